//! Binding a box's TCP listeners from its configuration.
//!
//! Listeners are bound with the standard library, before daemonizing and
//! before any runtime exists: a port already in use is then reported on the
//! terminal that started the box, and the runtime adopts the bound socket.

use std::net::TcpListener;

use super::ProcessError;

/// Kannel binds every interface unless `*-interface` narrows it.
const ALL_INTERFACES: &str = "0.0.0.0";

/// Binds `port_key` of `group` on `interface_key` (all interfaces if unset).
/// `Ok(None)` when the port is not configured; whether that is an error is
/// the box's call.
pub fn listen(
    group: &conf::Group,
    port_key: &str,
    interface_key: &str,
) -> Result<Option<TcpListener>, ProcessError> {
    let Some(port) = port(group, port_key)? else {
        return Ok(None);
    };
    let interface = group
        .get(interface_key)
        .map(str::trim)
        .unwrap_or(ALL_INTERFACES);
    TcpListener::bind((interface, port))
        .map(Some)
        .map_err(|error| ProcessError::Bind {
            key: port_key.into(),
            address: format!("{interface}:{port}"),
            error,
        })
}

/// A port number from `key`, `Ok(None)` when absent.
pub fn port(group: &conf::Group, key: &str) -> Result<Option<u16>, ProcessError> {
    let Some(text) = group.get(key) else {
        return Ok(None);
    };
    match text.trim().parse::<u16>() {
        Ok(port) if port != 0 => Ok(Some(port)),
        _ => Err(ProcessError::BadValue {
            location: location_of(group, key),
            key: key.into(),
            expected: "a port number from 1 to 65535",
            value: text.into(),
        }),
    }
}

/// Where `key` was set in `group` (the last setting wins, as in Kannel), or
/// the group's own line when it is not set.
pub fn location_of(group: &conf::Group, key: &str) -> String {
    group
        .entries
        .iter()
        .rev()
        .find(|entry| entry.key == key)
        .map(|entry| entry.location.to_string())
        .unwrap_or_else(|| group.location.to_string())
}

/// A `Missing` error for a key the box cannot run without.
pub fn missing(group: &conf::Group, key: &str) -> ProcessError {
    ProcessError::Missing {
        location: group.location.to_string(),
        group: group.name.clone(),
        key: key.into(),
    }
}

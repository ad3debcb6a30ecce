//! Generated `.conf` files: Kannel's syntax written from a list of groups.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::HarnessError;
use crate::ports::GatewayPorts;

/// A configuration under construction, one group after another.
#[derive(Debug, Clone, Default)]
pub struct ConfText {
    text: String,
}

impl ConfText {
    pub fn new() -> ConfText {
        ConfText::default()
    }

    /// Appends `group = name` with its entries; the blank line after it ends
    /// the group, as Kannel's syntax wants.
    pub fn group(mut self, name: &str, entries: &[(&str, &str)]) -> ConfText {
        let _ = writeln!(self.text, "group = {name}");
        for (key, value) in entries {
            let _ = writeln!(self.text, "{key} = {value}");
        }
        self.text.push('\n');
        self
    }

    /// Appends an SMPP transceiver link to the simulator on `port`, with the
    /// login [`SimConfig::with_login`] takes and Kannel's required
    /// `system-type`; `extra` entries follow.
    ///
    /// [`SimConfig::with_login`]: crate::smsc_sim::SimConfig::with_login
    pub fn smpp_transceiver(self, smsc_id: &str, port: u16, extra: &[(&str, &str)]) -> ConfText {
        let port = port.to_string();
        let mut entries = vec![
            ("smsc", "smpp"),
            ("smsc-id", smsc_id),
            ("host", "127.0.0.1"),
            ("port", port.as_str()),
            ("transceiver-mode", "true"),
            ("smsc-username", "kuser"),
            ("smsc-password", "kpass"),
            ("system-type", "VMA"),
        ];
        entries.extend_from_slice(extra);
        self.group("smsc", &entries)
    }

    /// Appends text as it is, for mistakes a test wants to make on purpose.
    pub fn raw(mut self, text: &str) -> ConfText {
        self.text.push_str(text);
        self
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn write_to(&self, path: &Path) -> Result<(), HarnessError> {
        fs::write(path, &self.text)
            .map_err(|source| HarnessError::io("writing the configuration", source))
    }
}

/// The smallest configuration both boxes start on: loopback only, both log
/// files in `dir` at level 0, one sendsms user and a default service.
pub fn gateway_conf(ports: &GatewayPorts, dir: &Path) -> ConfText {
    let admin_port = ports.admin.number().to_string();
    let smsbox_port = ports.smsbox.number().to_string();
    let sendsms_port = ports.sendsms.number().to_string();
    let bearerbox_log = dir.join("bearerbox.log").display().to_string();
    let smsbox_log = dir.join("smsbox.log").display().to_string();
    ConfText::new()
        .group(
            "core",
            &[
                ("admin-port", &admin_port),
                ("admin-interface", "127.0.0.1"),
                ("admin-password", "secret"),
                ("smsbox-port", &smsbox_port),
                ("smsbox-interface", "127.0.0.1"),
                ("log-file", &bearerbox_log),
                ("log-level", "0"),
            ],
        )
        .group(
            "smsbox",
            &[
                ("bearerbox-host", "127.0.0.1"),
                ("sendsms-port", &sendsms_port),
                ("sendsms-interface", "127.0.0.1"),
                ("log-file", &smsbox_log),
                ("log-level", "0"),
            ],
        )
        .group(
            "sendsms-user",
            &[("username", "tester"), ("password", "foobar")],
        )
        .group(
            "sms-service",
            &[("keyword", "default"), ("text", "No service here.")],
        )
}

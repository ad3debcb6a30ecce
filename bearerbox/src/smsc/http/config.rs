//! The settings of an `smsc = http` group, read once into types.
//!
//! Defaults are Kannel 1.4.5's, checked against its `http` driver: a
//! `kannel` link answers its supplier `202 Sent.`, a `generic` one `202 Sent`,
//! and both listen for callbacks only from 127.0.0.1 unless told otherwise.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use conf::{Config, Group};
use regex::Regex;

use crate::ip_list::IpList;
use crate::settings::SettingsError;

/// Kannel's `http-timeout` default, in seconds, for the core group.
const DEFAULT_TIMEOUT_SECS: u64 = 240;

/// Which supplier API the link speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemType {
    /// Another gateway's sendsms interface (Kannel's, or ours).
    Kannel,
    /// Any HTTP API, shaped by `send-url` escapes and the regexes.
    Generic,
}

/// The callback parameter names (`generic-param-*`); a `kannel` link uses
/// the defaults, which are sendsms's own names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamNames {
    pub username: String,
    pub password: String,
    pub from: String,
    pub to: String,
    pub text: String,
    pub udh: String,
    pub service: String,
    pub account: String,
    pub binfo: String,
    pub dlr_mask: String,
    pub dlr_err: String,
    pub dlr_mid: String,
    pub flash: String,
    pub mclass: String,
    pub mwi: String,
    pub coding: String,
    pub validity: String,
    pub deferred: String,
    pub foreign_id: String,
    pub meta_data: String,
}

impl Default for ParamNames {
    fn default() -> ParamNames {
        let name = |text: &str| text.to_owned();
        ParamNames {
            username: name("username"),
            password: name("password"),
            from: name("from"),
            to: name("to"),
            text: name("text"),
            udh: name("udh"),
            service: name("service"),
            account: name("account"),
            binfo: name("binfo"),
            dlr_mask: name("dlr-mask"),
            dlr_err: name("dlr-err"),
            dlr_mid: name("dlr-mid"),
            flash: name("flash"),
            mclass: name("mclass"),
            mwi: name("mwi"),
            coding: name("coding"),
            validity: name("validity"),
            deferred: name("deferred"),
            foreign_id: name("foreign-id"),
            meta_data: name("meta-data"),
        }
    }
}

/// How the supplier's answer to an MT is judged (`generic` only).
#[derive(Debug, Clone, Default)]
pub struct Judging {
    pub success: Option<Regex>,
    pub permfail: Option<Regex>,
    pub tempfail: Option<Regex>,
    pub foreign_id: Option<Regex>,
}

/// What the listener answers the supplier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replies {
    pub sent_status: u16,
    pub sent_body: String,
    pub error_status: u16,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub smsc_id: String,
    pub system_type: SystemType,
    pub send_url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Where the MO/DLR listener binds; `None`: no listener.
    pub listen: Option<SocketAddr>,
    pub allow: IpList,
    pub no_sender: bool,
    pub no_coding: bool,
    pub no_sep: bool,
    /// Requests to the supplier in flight at once.
    pub max_pending: usize,
    /// Messages per second; `None`: as fast as the supplier answers.
    pub throughput: Option<f64>,
    /// How long a request may take before it counts as a temporary failure.
    pub timeout: Duration,
    pub params: ParamNames,
    pub judging: Judging,
    pub replies: Replies,
}

/// Reads an `smsc = http` group; `config` gives the core's `http-timeout`.
pub fn from_group(
    group: &Group,
    config: &Config,
    smsc_id: &str,
) -> Result<HttpSettings, SettingsError> {
    let location = |key: &str| {
        group
            .entry(key)
            .map_or_else(|| group.location.clone(), |e| e.location.clone())
    };
    let text = |key: &str| group.get(key).map(str::to_owned);
    let system_type = match group.get("system-type") {
        Some("kannel") => SystemType::Kannel,
        Some("generic") => SystemType::Generic,
        Some(other) => {
            return Err(SettingsError::BadValue {
                location: location("system-type"),
                key: "system-type",
                reason: format!(
                    "this bearerbox speaks the 'kannel' and 'generic' HTTP APIs, not \"{other}\""
                ),
            });
        }
        None => {
            return Err(SettingsError::Missing {
                location: group.location.clone(),
                kind: "http".into(),
                key: "system-type",
            });
        }
    };
    let send_url = text("send-url").ok_or_else(|| SettingsError::Missing {
        location: group.location.clone(),
        kind: "http".into(),
        key: "send-url",
    })?;
    let host: IpAddr = match group.get("our-host") {
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Some(found) => found.parse().map_err(|_| SettingsError::BadAddress {
            location: location("our-host"),
            key: "our-host",
            found: found.to_owned(),
        })?,
    };
    let listen = group
        .get_int("port")
        .and_then(|port| u16::try_from(port).ok())
        .filter(|&port| port != 0)
        .map(|port| SocketAddr::new(host, port));
    let regex = |key: &str| -> Result<Option<Regex>, SettingsError> {
        group
            .get(key)
            .map(|pattern| {
                Regex::new(pattern).map_err(|error| SettingsError::BadRegex {
                    location: location(key),
                    key: key.to_owned(),
                    reason: error.to_string(),
                })
            })
            .transpose()
    };
    let judging = Judging {
        success: regex("status-success-regex")?,
        permfail: regex("status-permfail-regex")?,
        tempfail: regex("status-tempfail-regex")?,
        foreign_id: regex("generic-foreign-id-regex")?,
    };
    let status = |key: &str| {
        group
            .get_int(key)
            .and_then(|code| u16::try_from(code).ok())
            .filter(|code| (100..=599).contains(code))
            .unwrap_or(202)
    };
    let (params, replies) = match system_type {
        SystemType::Kannel => (
            ParamNames::default(),
            Replies {
                sent_status: 202,
                sent_body: "Sent.".into(),
                error_status: 202,
            },
        ),
        SystemType::Generic => (
            generic_params(group),
            Replies {
                sent_status: status("generic-status-sent"),
                sent_body: text("generic-message-sent").unwrap_or_else(|| "Sent".into()),
                error_status: status("generic-status-error"),
            },
        ),
    };
    let timeout = config
        .single("core")
        .and_then(|core| core.get_int("http-timeout"))
        .and_then(|secs| u64::try_from(secs).ok())
        .filter(|&secs| secs > 0)
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    Ok(HttpSettings {
        smsc_id: smsc_id.to_owned(),
        system_type,
        send_url,
        username: text("smsc-username"),
        password: text("smsc-password"),
        listen,
        allow: IpList::parse(group.get("connect-allow-ip").unwrap_or("127.0.0.1")),
        no_sender: group.get_bool("no-sender").unwrap_or(false),
        no_coding: group.get_bool("no-coding").unwrap_or(false),
        no_sep: group.get_bool("no-sep").unwrap_or(false),
        max_pending: group
            .get_int("max-pending-submits")
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0)
            .unwrap_or(10),
        throughput: group.get_decimal("throughput").filter(|&t| t > 0.0),
        timeout: Duration::from_secs(timeout),
        params,
        judging,
        replies,
    })
}

fn generic_params(group: &Group) -> ParamNames {
    let defaults = ParamNames::default();
    let name = |suffix: &str, default: String| {
        group
            .get(&format!("generic-param-{suffix}"))
            .map_or(default, str::to_owned)
    };
    ParamNames {
        username: name("username", defaults.username),
        password: name("password", defaults.password),
        from: name("from", defaults.from),
        to: name("to", defaults.to),
        text: name("text", defaults.text),
        udh: name("udh", defaults.udh),
        service: name("service", defaults.service),
        account: name("account", defaults.account),
        binfo: name("binfo", defaults.binfo),
        dlr_mask: name("dlr-mask", defaults.dlr_mask),
        dlr_err: name("dlr-err", defaults.dlr_err),
        dlr_mid: name("dlr-mid", defaults.dlr_mid),
        flash: name("flash", defaults.flash),
        mclass: name("mclass", defaults.mclass),
        mwi: name("mwi", defaults.mwi),
        coding: name("coding", defaults.coding),
        validity: name("validity", defaults.validity),
        deferred: name("deferred", defaults.deferred),
        foreign_id: name("foreign-id", defaults.foreign_id),
        meta_data: name("meta-data", defaults.meta_data),
    }
}

//! The bearerbox settings, read once from the loaded configuration into
//! types: the rest of bearerbox never looks at a `conf::Group` again.
//!
//! The `conf` crate already refused unknown keys and malformed values; what
//! can still fail here is what only bearerbox knows: a regex that does not
//! compile, a `fake` link without a port. Those are errors with `file:line`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use conf::{Config, Group, Location};

use crate::foreign_id::IdForms;
use crate::ip_list::{IpAccess, IpList};
use crate::router::{IdRule, PrefixRule, SmscRules, UnifiedPrefix};
pub use crate::smsc::at::AtSettings;
pub use crate::smsc::http::HttpSettings;
pub use crate::smsc::smpp::config::SmppSettings;

/// Where the store goes when the configuration names none.
pub const DEFAULT_STORE: &str = "bearerbox-store.sqlite";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    #[error("{location}: '{key}' is not a valid regular expression: {reason}")]
    BadRegex {
        location: Location,
        key: String,
        reason: String,
    },
    #[error("{location}: an smsc group of type '{kind}' needs '{key}'")]
    Missing {
        location: Location,
        kind: String,
        key: &'static str,
    },
    #[error("{location}: '{key}' must be an address, got \"{found}\"")]
    BadAddress {
        location: Location,
        key: &'static str,
        found: String,
    },
    #[error("{location}: '{key}': {reason}")]
    BadValue {
        location: Location,
        key: &'static str,
        reason: String,
    },
    #[error("no 'core' group")]
    NoCore,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub store_path: PathBuf,
    /// The configuration asked for Kannel's `file` or `spool` store: we keep
    /// our format at that place, and say so once.
    pub store_kind_note: Option<String>,
    /// Seconds before a temporarily failed message is tried again.
    pub resend_freq: i64,
    /// How many temporary failures a message may have; `None`: no limit.
    pub resend_retry: Option<i64>,
    pub unified_prefix: UnifiedPrefix,
    /// Messages that may wait for an SMSC, all links together.
    pub outgoing_queue_limit: usize,
    /// Unacknowledged messages in flight to one box.
    pub smsbox_max_pending: usize,
    pub box_access: IpAccess,
    pub links: Vec<LinkSettings>,
    pub box_routes: Vec<BoxRoute>,
    pub admin: crate::admin::AdminSettings,
}

#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub rules: SmscRules,
    /// The id admin commands use (`smsc-admin-id`, else `smsc-id`).
    pub admin_id: String,
    pub driver: DriverSettings,
    /// Applied to the receiver after the core's rules.
    pub unified_prefix: UnifiedPrefix,
    /// Submissions in flight on the link at once.
    pub max_pending: usize,
    pub dead_start: bool,
    pub id_forms: IdForms,
    /// `reroute-smsc-id` for the loopback driver's MO.
    pub reroute_smsc_id: Option<String>,
    /// Kannel's `reroute*` keys: MO from this link sent straight back out.
    pub reroute: Reroute,
    pub location: Location,
    /// The group's keys and values, sorted: a graceful restart restarts a
    /// link whose group reads differently, as Kannel compares checksums.
    pub fingerprint: String,
}

#[derive(Debug, Clone)]
pub enum DriverSettings {
    /// Kannel's `fake`: we listen, `fakesmsc` connects.
    Fake {
        listen: SocketAddr,
        allow: Option<IpList>,
    },
    /// Kannel's `loopback`: every MT comes back as an MO.
    Loopback,
    /// Kannel's `at`: a GSM modem on a serial port.
    At(Box<AtSettings>),
    /// Kannel's `smpp`: an SMPP 3.4 client.
    Smpp(Box<SmppSettings>),
    /// Kannel's `http`: a supplier's HTTP API (`kannel` or `generic`).
    Http(Box<HttpSettings>),
    /// Ours: a simulated SMSC inside bearerbox that accepts everything and
    /// reports delivery, for the demo.
    Sim,
    /// A driver this bearerbox does not have yet: the link stays offline,
    /// so messages for it wait (or fail over).
    Unsupported { kind: String },
}

/// Kannel's MO rerouting on an smsc group: `reroute = true` sends every MO
/// back out as an MT through the router; `reroute-smsc-id` names the link
/// it should take; `reroute-receiver = "smsc-a,111,222;smsc-b,333"` chooses
/// it by the receiver; `reroute-dlr` includes delivery reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reroute {
    pub all: bool,
    pub smsc_id: Option<String>,
    pub by_receiver: Vec<(String, Vec<String>)>,
    pub reports: bool,
}

impl Reroute {
    fn from_group(group: &Group) -> Reroute {
        let by_receiver = group
            .get("reroute-receiver")
            .map(|rules| {
                rules
                    .split(';')
                    .filter_map(|rule| {
                        let mut items = rule
                            .split(',')
                            .map(str::trim)
                            .filter(|item| !item.is_empty());
                        let smsc = items.next()?.to_owned();
                        Some((smsc, items.map(str::to_owned).collect()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Reroute {
            all: group.get_bool("reroute").unwrap_or(false),
            smsc_id: group.get("reroute-smsc-id").map(str::to_owned),
            by_receiver,
            reports: group.get_bool("reroute-dlr").unwrap_or(false),
        }
    }

    /// Whether an MO to `receiver` goes back out, and with which smsc-id as
    /// its routing hint (`Some(None)`: rerouted, no hint).
    pub fn target(&self, receiver: &str, is_report: bool) -> Option<Option<String>> {
        if is_report && !self.reports {
            return None;
        }
        if let Some((smsc, _)) = self
            .by_receiver
            .iter()
            .find(|(_, receivers)| receivers.iter().any(|r| r == receiver))
        {
            return Some(Some(smsc.clone()));
        }
        if let Some(smsc) = &self.smsc_id {
            return Some(Some(smsc.clone()));
        }
        self.all.then_some(None)
    }
}

/// An `smsbox-route` group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxRoute {
    pub smsbox_id: String,
    pub smsc_ids: Vec<String>,
    pub shortcodes: Vec<String>,
}

impl Settings {
    pub fn from_config(config: &Config) -> Result<Settings, Vec<SettingsError>> {
        let mut errors = Vec::new();
        let Some(core) = config.single("core") else {
            return Err(vec![SettingsError::NoCore]);
        };
        let store_type = core.get("store-type");
        let store_path = core
            .get("store-location")
            .or_else(|| core.get("store-file"))
            .map_or_else(|| PathBuf::from(DEFAULT_STORE), PathBuf::from);
        let store_kind_note = match store_type {
            Some(kind @ ("file" | "spool")) => Some(format!(
                "store-type '{kind}': messages are kept in our SQLite store at {}",
                store_path.display()
            )),
            _ => None,
        };
        let links = config
            .multi("smsc")
            .filter_map(|group| match link(group, config) {
                Ok(link) => Some(link),
                Err(error) => {
                    errors.push(error);
                    None
                }
            })
            .collect();
        let box_routes = config
            .multi("smsbox-route")
            .map(|group| BoxRoute {
                smsbox_id: group.get("smsbox-id").unwrap_or_default().to_owned(),
                smsc_ids: list(group, "smsc-id"),
                shortcodes: list(group, "shortcode"),
            })
            .collect();
        let settings = Settings {
            store_path,
            store_kind_note,
            resend_freq: core
                .get_int("sms-resend-freq")
                .filter(|&s| s > 0)
                .unwrap_or(60),
            resend_retry: core.get_int("sms-resend-retry").filter(|&n| n >= 0),
            unified_prefix: core
                .get("unified-prefix")
                .map(UnifiedPrefix::parse)
                .unwrap_or_default(),
            outgoing_queue_limit: core
                .get_int("sms-outgoing-queue-limit")
                .filter(|&n| n >= 0)
                .map_or(1_000_000, |n| n as usize),
            smsbox_max_pending: core
                .get_int("smsbox-max-pending")
                .filter(|&n| n > 0)
                .map_or(100, |n| n as usize),
            box_access: IpAccess {
                allow: IpList::parse(core.get("box-allow-ip").unwrap_or_default()),
                deny: IpList::parse(core.get("box-deny-ip").unwrap_or_default()),
            },
            links,
            box_routes,
            admin: crate::admin::AdminSettings::from_core(core),
        };
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }
}

fn list(group: &Group, key: &str) -> Vec<String> {
    group
        .get_list(key)
        .map(|items| items.into_iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn regex(group: &Group, key: &str) -> Result<Option<regex::Regex>, SettingsError> {
    let Some(pattern) = group.get(key) else {
        return Ok(None);
    };
    regex::Regex::new(pattern)
        .map(Some)
        .map_err(|error| SettingsError::BadRegex {
            location: group
                .entry(key)
                .map_or_else(|| group.location.clone(), |e| e.location.clone()),
            key: key.to_owned(),
            reason: error.to_string(),
        })
}

fn id_rule(group: &Group, key: &str) -> Result<IdRule, SettingsError> {
    Ok(IdRule {
        ids: list(group, key),
        regex: regex(group, &format!("{key}-regex"))?,
    })
}

fn prefix_rule(group: &Group, key: &str) -> Result<PrefixRule, SettingsError> {
    Ok(PrefixRule {
        prefixes: list(group, key),
        regex: regex(group, &format!("{key}-regex"))?,
    })
}

/// The settings of one `smsc` group (with `config` for the `modems` groups
/// an `at` link names).
pub fn link(group: &Group, config: &Config) -> Result<LinkSettings, SettingsError> {
    let kind = group.get("smsc").unwrap_or_default().to_owned();
    let smsc_id = group.get("smsc-id").unwrap_or(&kind).to_owned();
    let rules = SmscRules {
        smsc_id: smsc_id.clone(),
        allowed_smsc_id: id_rule(group, "allowed-smsc-id")?,
        denied_smsc_id: id_rule(group, "denied-smsc-id")?,
        preferred_smsc_id: id_rule(group, "preferred-smsc-id")?,
        allowed_prefix: prefix_rule(group, "allowed-prefix")?,
        denied_prefix: prefix_rule(group, "denied-prefix")?,
        preferred_prefix: prefix_rule(group, "preferred-prefix")?,
        cost: group.get_decimal("cost").unwrap_or(0.0),
    };
    let driver = match kind.as_str() {
        "fake" => {
            let port = group
                .get_int("port")
                .filter(|&port| (1..=65535).contains(&port))
                .ok_or_else(|| SettingsError::Missing {
                    location: group.location.clone(),
                    kind: kind.clone(),
                    key: "port",
                })?;
            let host: IpAddr = match group.get("our-host") {
                None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                Some(text) => text.parse().map_err(|_| SettingsError::BadAddress {
                    location: group
                        .entry("our-host")
                        .map_or_else(|| group.location.clone(), |e| e.location.clone()),
                    key: "our-host",
                    found: text.to_owned(),
                })?,
            };
            DriverSettings::Fake {
                listen: SocketAddr::new(host, port as u16),
                allow: group.get("connect-allow-ip").map(IpList::parse),
            }
        }
        "loopback" => DriverSettings::Loopback,
        "at" => DriverSettings::At(Box::new(at(group, config, &smsc_id)?)),
        "smpp" => DriverSettings::Smpp(Box::new(crate::smsc::smpp::config::from_group(
            group, config, &smsc_id,
        )?)),
        "http" => DriverSettings::Http(Box::new(crate::smsc::http::config::from_group(
            group, config, &smsc_id,
        )?)),
        "sim" => DriverSettings::Sim,
        other => DriverSettings::Unsupported {
            kind: other.to_owned(),
        },
    };
    Ok(LinkSettings {
        admin_id: group.get("smsc-admin-id").unwrap_or(&smsc_id).to_owned(),
        rules,
        driver,
        unified_prefix: group
            .get("unified-prefix")
            .map(UnifiedPrefix::parse)
            .unwrap_or_default(),
        max_pending: group
            .get_int("max-pending-submits")
            .filter(|&n| n > 0)
            .map_or(100, |n| n as usize),
        dead_start: group.get_bool("dead-start").unwrap_or(false),
        id_forms: IdForms::from_msg_id_type(group.get_int("msg-id-type")),
        reroute_smsc_id: group.get("reroute-smsc-id").map(str::to_owned),
        reroute: Reroute::from_group(group),
        location: group.location.clone(),
        fingerprint: fingerprint(group),
    })
}

fn fingerprint(group: &Group) -> String {
    let mut pairs: Vec<String> = group
        .entries
        .iter()
        .map(|entry| format!("{}={}", entry.key, entry.value))
        .collect();
    pairs.sort();
    pairs.join("\n")
}

/// An `smsc = at` group, with the `modems` group its `modemtype` names, or
/// all of them to pick from by the `ATI` answer when it is `auto` or unset.
fn at(group: &Group, config: &Config, smsc_id: &str) -> Result<AtSettings, SettingsError> {
    use crate::smsc::at::ModemType;
    let device = group.get("device").ok_or_else(|| SettingsError::Missing {
        location: group.location.clone(),
        kind: "at".into(),
        key: "device",
    })?;
    let modems: Vec<_> = config.multi("modems").map(modem_definition).collect();
    let modem = match group.get("modemtype").or_else(|| group.get("modem-type")) {
        Some(id) if id != "auto" => match modems.iter().find(|modem| modem.id == id) {
            Some(modem) => ModemType::Known(Box::new(modem.clone())),
            None => {
                log::warn!(
                    "{}: modemtype '{id}' names no modems group; the modem will be detected",
                    group.location
                );
                ModemType::Detect(modems)
            }
        },
        _ => ModemType::Detect(modems),
    };
    let seconds = |key: &str| {
        group
            .get_int(key)
            .filter(|&s| s > 0)
            .map(|s| std::time::Duration::from_secs(s as u64))
    };
    let mut settings = AtSettings::new(smsc_id, device);
    settings.speed = group
        .get_int("speed")
        .filter(|&speed| speed > 0)
        .and_then(|speed| u32::try_from(speed).ok());
    settings.modem = modem;
    settings.pin = group.get("pin").map(str::to_owned);
    settings.sms_center = group.get("sms-center").map(str::to_owned);
    settings.my_number = group.get("my-number").map(str::to_owned);
    // A relative TP-VP code, as Kannel reads it; 167 is a day.
    settings.validity_period = Some(
        group
            .get_int("validityperiod")
            .and_then(|vp| u8::try_from(vp).ok())
            .unwrap_or(167),
    );
    settings.keepalive = seconds("keepalive");
    settings.sim_buffering = group.get_bool("sim-buffering").unwrap_or(false);
    settings.max_error_count = group
        .get_int("max-error-count")
        .and_then(|n| u32::try_from(n).ok())
        .filter(|&n| n > 0);
    settings.message_storage = group.get("message-storage").map(str::to_owned);
    if let Some(delay) = seconds("reconnect-delay") {
        settings.reconnect_delay = delay;
    }
    if let Some(octets) = group.get_int("max-sms-octets").filter(|&n| n > 0) {
        settings.max_sms_octets = octets as usize;
    }
    Ok(settings)
}

/// A `modems` group over Kannel's defaults.
fn modem_definition(group: &Group) -> crate::smsc::at::ModemDefinition {
    let defaults = crate::smsc::at::ModemDefinition::default();
    let text = |key: &str| group.get(key).map(str::to_owned);
    let flag = |key: &str, default: bool| group.get_bool(key).unwrap_or(default);
    crate::smsc::at::ModemDefinition {
        id: text("id").unwrap_or_default(),
        name: text("name").or_else(|| text("id")).unwrap_or_default(),
        detect_string: text("detect-string"),
        detect_string2: text("detect-string2"),
        init_string: text("init-string").unwrap_or(defaults.init_string),
        reset_string: text("reset-string"),
        speed: group
            .get_int("speed")
            .filter(|&speed| speed > 0)
            .and_then(|speed| u32::try_from(speed).ok()),
        enable_hwhs: text("enable-hwhs").unwrap_or(defaults.enable_hwhs),
        hardware_flow_control: flag("hardware-flow-control", defaults.hardware_flow_control),
        need_sleep: flag("need-sleep", false),
        no_pin: flag("no-pin", false),
        no_smsc: flag("no-smsc", false),
        sendline_sleep: group
            .get_int("sendline-sleep")
            .filter(|&ms| ms >= 0)
            .map_or(defaults.sendline_sleep, |ms| {
                std::time::Duration::from_millis(ms as u64)
            }),
        keepalive_cmd: text("keepalive-cmd").unwrap_or(defaults.keepalive_cmd),
        message_storage: text("message-storage"),
        message_start: group
            .get_int("message-start")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(defaults.message_start),
        enable_mms: flag("enable-mms", false),
        broken: flag("broken", false),
    }
}

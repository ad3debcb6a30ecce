//! The settings of one `smsc = smpp` group, typed: what the driver, the session and the
//! submit_sm builder need, read from the configuration by [`from_group`] with Kannel's
//! defaults.
//!
//! Kannel's smpp keys and where they go: connection (`host`, `port`, `receive-port`,
//! `transceiver-mode`, `our-host`, `our-port`, `our-receiver-port`, `connect-allow-ip`,
//! `use-ssl`, `ssl-client-certkey-file`, `reconnect-delay`) here; the bind and the timers
//! (`smsc-username`/`system-id`, `smsc-password`, `system-type`, `interface-version`,
//! `bind-addr-ton`/`-npi`, `address-range`, `max-pending-submits`, `enquire-link-interval`,
//! `wait-ack`, `wait-ack-expire`, `throughput`, `connection-timeout`) in [`SessionConfig`];
//! what shapes each submit_sm (`service-type`, `source-addr-*`, `dest-addr-*`, `esm-class`,
//! `priority`, `validityperiod`, `max-sms-octets`, `alt-charset`, `alt-addr-charset`,
//! `alt-dcs`, the `smpp-tlv` groups) in [`SubmitOptions`]; `my-number` and `alt-addr-charset`
//! for MO; the link's own `log-file`, `log-level`, `log-format` in [`LinkLog`]. `msg-id-type`,
//! `dead-start` and the routing keys are every driver's, read in `settings.rs`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use conf::{Config, Group};

use super::address::{AddrCharset, TonNpi};
use super::custom_tlv::CustomTlvs;
use super::deliver::DEFAULT_MO_TIMEOUT;
use super::session::{SessionConfig, WaitAckExpire};
use super::submit::{LongMessages, SubmitOptions};
use super::tls::{TlsClient, TlsFiles};
use crate::ip_list::IpList;
use crate::process::logging::Level;
use crate::settings::SettingsError;

#[derive(Debug, Clone)]
pub struct SmppSettings {
    pub host: String,
    /// Transmitter (or transceiver) port; 0: no sending session.
    pub port: u16,
    /// A separate receiver session's port; 0: none.
    pub receive_port: u16,
    /// `transceiver-mode`: one bind_transceiver on `port`.
    pub transceiver: bool,
    /// `our-host`: the local address to connect from.
    pub our_host: Option<IpAddr>,
    /// `our-port` / `our-receiver-port`: local ports to connect from.
    pub our_port: Option<u16>,
    pub our_receiver_port: Option<u16>,
    /// `connect-allow-ip`: when set, the SMSC's address must be in it.
    pub connect_allow_ip: Option<IpList>,
    /// `use-ssl`: the TLS client every connection of the link goes through.
    pub tls: Option<TlsClient>,
    /// Everything but the bind mode, which follows from the ports.
    pub session: SessionConfig,
    pub submit: SubmitOptions,
    /// `my-number`: replaces the destination of every MO.
    pub my_number: Option<String>,
    /// `reconnect-delay`: the first wait after a failed connection; doubles up to
    /// [`SmppSettings::max_reconnect_delay`] while the SMSC stays away.
    pub reconnect_delay: Duration,
    /// How long concatenated MO parts wait for their siblings.
    pub mo_timeout: Duration,
    /// The link's own log file; `None` logs with everything else.
    pub log: Option<LinkLog>,
}

/// `log-file`, `log-level` and `log-format` of an smsc group: Kannel writes that link's lines
/// to their own file, and only there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkLog {
    pub path: PathBuf,
    pub level: Level,
    /// How PDUs are dumped at debug level into the file.
    pub format: PduDump,
}

/// Kannel's `log-format`: 1, a PDU dump of one line per field; 2, one line per PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PduDump {
    #[default]
    Multiline,
    OneLine,
}

impl SmppSettings {
    /// The longest wait between connection attempts: sixteen times the configured delay, at
    /// most five minutes (never less than the configured delay).
    pub fn max_reconnect_delay(&self) -> Duration {
        (self.reconnect_delay * 16)
            .min(Duration::from_secs(300))
            .max(self.reconnect_delay)
    }
}

impl Default for SmppSettings {
    fn default() -> Self {
        SmppSettings {
            host: String::new(),
            port: 0,
            receive_port: 0,
            transceiver: false,
            our_host: None,
            our_port: None,
            our_receiver_port: None,
            connect_allow_ip: None,
            tls: None,
            session: SessionConfig::default(),
            submit: SubmitOptions::default(),
            my_number: None,
            reconnect_delay: Duration::from_secs(10),
            mo_timeout: DEFAULT_MO_TIMEOUT,
            log: None,
        }
    }
}

/// Reads an `smsc = smpp` group, with the `smpp-tlv` groups for `smsc_id` and the core
/// group's TLS keys.
pub fn from_group(
    group: &Group,
    config: &Config,
    smsc_id: &str,
) -> Result<SmppSettings, SettingsError> {
    let location = |key: &str| {
        group
            .entry(key)
            .map_or_else(|| group.location.clone(), |e| e.location.clone())
    };
    let text = |key: &str| group.get(key).map(str::to_owned);
    let port = |key: &str| {
        group
            .get_int(key)
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or(0)
    };
    let seconds = |key: &str, default: u64| {
        group
            .get_int(key)
            .and_then(|s| u64::try_from(s).ok())
            .map_or(Duration::from_secs(default), Duration::from_secs)
    };
    let octet = |key: &str| group.get_int(key).and_then(|v| u8::try_from(v).ok());
    let pair = |ton: &str, npi: &str| match (octet(ton), octet(npi)) {
        (Some(ton), Some(npi)) => Some(TonNpi { ton, npi }),
        _ => None,
    };
    let address = |key: &'static str| -> Result<Option<IpAddr>, SettingsError> {
        group
            .get(key)
            .map(|found| {
                found.parse().map_err(|_| SettingsError::BadAddress {
                    location: location(key),
                    key,
                    found: found.to_owned(),
                })
            })
            .transpose()
    };
    let alt_charset =
        match group.get("alt-charset") {
            None => None,
            Some(name) => Some(box_protocol::encoding::Charset::from_name(name).map_err(
                |error| SettingsError::BadValue {
                    location: location("alt-charset"),
                    key: "alt-charset",
                    reason: error.to_string(),
                },
            )?),
        };
    let mut settings = SmppSettings {
        host: text("host").unwrap_or_default(),
        port: port("port"),
        receive_port: port("receive-port"),
        transceiver: group.get_bool("transceiver-mode").unwrap_or(false),
        our_host: address("our-host")?,
        our_port: Some(port("our-port")).filter(|&p| p != 0),
        our_receiver_port: Some(port("our-receiver-port")).filter(|&p| p != 0),
        connect_allow_ip: group.get("connect-allow-ip").map(IpList::parse),
        my_number: text("my-number"),
        reconnect_delay: seconds("reconnect-delay", 10).max(Duration::from_millis(100)),
        ..SmppSettings::default()
    };
    let session = &mut settings.session;
    session.system_id = text("smsc-username")
        .or_else(|| text("system-id"))
        .unwrap_or_default();
    session.password = text("smsc-password").unwrap_or_default();
    session.system_type = text("system-type").unwrap_or_default();
    // Kannel writes the decimal digits as BCD: 34 → 0x34.
    let version = group.get_int("interface-version").unwrap_or(34);
    session.interface_version = u8::try_from(version / 10 * 16 + version % 10).unwrap_or(0x34);
    session.addr_ton = octet("bind-addr-ton").unwrap_or(0);
    session.addr_npi = octet("bind-addr-npi").unwrap_or(0);
    session.address_range = text("address-range").unwrap_or_default();
    session.window = group
        .get_int("max-pending-submits")
        .filter(|&n| n > 0)
        .map_or(10, |n| n as usize);
    session.enquire_link_interval =
        seconds("enquire-link-interval", 30).max(Duration::from_secs(1));
    session.wait_ack = seconds("wait-ack", 60).max(Duration::from_secs(1));
    session.wait_ack_expire = match group.get_int("wait-ack-expire") {
        None => WaitAckExpire::Requeue,
        Some(value) => {
            WaitAckExpire::from_kannel(value).ok_or_else(|| SettingsError::BadValue {
                location: location("wait-ack-expire"),
                key: "wait-ack-expire",
                reason: format!("expected 0, 1 or 2, got {value}"),
            })?
        }
    };
    session.throughput = group.get_decimal("throughput").filter(|&t| t > 0.0);
    session.connection_timeout = Some(seconds("connection-timeout", 300)).filter(|t| !t.is_zero());
    let submit = &mut settings.submit;
    submit.service_type = text("service-type").unwrap_or_default();
    submit.source_ton_npi = pair("source-addr-ton", "source-addr-npi");
    submit.source_autodetect = group.get_bool("source-addr-autodetect").unwrap_or(true);
    submit.dest_ton_npi = pair("dest-addr-ton", "dest-addr-npi");
    submit.esm_class = match group.get_int("esm-class") {
        None => 3,
        Some(value @ (0 | 3)) => value as u8,
        Some(value) => {
            return Err(SettingsError::BadValue {
                location: location("esm-class"),
                key: "esm-class",
                reason: format!("expected 0 or 3, got {value}"),
            });
        }
    };
    submit.priority = octet("priority").filter(|&p| p <= 3).unwrap_or(0);
    submit.validity_minutes = group.get_int("validityperiod").filter(|&m| m > 0);
    submit.max_sms_octets = group
        .get_int("max-sms-octets")
        .filter(|&n| n > 0)
        .map_or(140, |n| n.min(254) as usize);
    submit.alt_charset = alt_charset;
    submit.alt_dcs = group.get_bool("alt-dcs").unwrap_or(false);
    if let Some(value) = group.get("long-messages") {
        submit.long_messages =
            LongMessages::from_key(value).ok_or_else(|| SettingsError::BadValue {
                location: location("long-messages"),
                key: "long-messages",
                reason: format!("expected udh, sar or payload, got \"{value}\""),
            })?;
    }
    if let Some(name) = group.get("alt-addr-charset") {
        submit.alt_addr_charset =
            Some(
                AddrCharset::from_name(name).map_err(|error| SettingsError::BadValue {
                    location: location("alt-addr-charset"),
                    key: "alt-addr-charset",
                    reason: format!("expected gsm or a charset name: {error}"),
                })?,
            );
    }
    submit.custom_tlvs = CustomTlvs::from_groups(config.multi("smpp-tlv"), smsc_id)?;
    if group.get_bool("use-ssl").unwrap_or(false) {
        let core = config.single("core");
        let path = |key: &str| {
            group
                .get(key)
                .or_else(|| core.and_then(|core| core.get(key)))
                .map(PathBuf::from)
        };
        let files = TlsFiles {
            client_certkey: path("ssl-client-certkey-file"),
            // Kannel reads the trusted CAs from the core group only.
            trusted_ca: core
                .and_then(|core| core.get("ssl-trusted-ca-file"))
                .map(PathBuf::from),
        };
        settings.tls = Some(
            TlsClient::new(files).map_err(|error| SettingsError::BadValue {
                location: location("use-ssl"),
                key: "use-ssl",
                reason: error.to_string(),
            })?,
        );
    }
    settings.log = link_log(group)?;
    Ok(settings)
}

/// The group's own `log-file`, `log-level` and `log-format`.
fn link_log(group: &Group) -> Result<Option<LinkLog>, SettingsError> {
    let location = |key: &str| {
        group
            .entry(key)
            .map_or_else(|| group.location.clone(), |e| e.location.clone())
    };
    let format = match group.get_int("log-format") {
        None | Some(1) => PduDump::Multiline,
        Some(2) => PduDump::OneLine,
        Some(other) => {
            return Err(SettingsError::BadValue {
                location: location("log-format"),
                key: "log-format",
                reason: format!("expected 1 (multi-line PDU dumps) or 2 (one line), got {other}"),
            });
        }
    };
    let Some(path) = group.get("log-file") else {
        return Ok(None);
    };
    // Kannel's default for an smsc log file is 0: everything, PDU dumps included.
    let level = match group.get_int("log-level") {
        None => Level::Debug,
        Some(number) => Level::from_kannel(number).ok_or_else(|| SettingsError::BadValue {
            location: location("log-level"),
            key: "log-level",
            reason: format!("expected a log level from 0 (debug) to 5, got {number}"),
        })?,
    };
    Ok(Some(LinkLog {
        path: PathBuf::from(path),
        level,
        format,
    }))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::settings::{DriverSettings, Settings, SettingsError};
    use crate::smsc::smpp::address::TonNpi;
    use crate::smsc::smpp::session::WaitAckExpire;

    use super::*;

    fn smpp(keys: &str) -> Result<SmppSettings, Vec<SettingsError>> {
        let text = format!(
            "group = core\nadmin-port = 13000\nadmin-password = x\n\n\
             group = smsc\nsmsc = smpp\nhost = 127.0.0.1\nsmsc-username = u\n\
             smsc-password = p\nsystem-type = VMA\n{keys}\n"
        );
        let loaded = conf::load_str(
            &text,
            Path::new("kannel.conf"),
            conf::Reader::Bearerbox,
            &conf::LoadOptions::default(),
        )
        .unwrap_or_else(|refused| panic!("{:?}", refused.diagnostics));
        let settings = Settings::from_config(&loaded.config)?;
        match settings.links.into_iter().next().map(|link| link.driver) {
            Some(DriverSettings::Smpp(smpp)) => Ok(*smpp),
            other => panic!("not an smpp link: {other:?}"),
        }
    }

    #[test]
    fn kannel_defaults_apply_when_keys_are_absent() {
        let s = smpp("port = 2775").unwrap();
        assert_eq!((s.port, s.receive_port, s.transceiver), (2775, 0, false));
        assert_eq!(s.session.window, 10);
        assert_eq!(s.session.interface_version, 0x34);
        assert_eq!(s.session.enquire_link_interval, Duration::from_secs(30));
        assert_eq!(s.session.wait_ack, Duration::from_secs(60));
        assert_eq!(s.session.wait_ack_expire, WaitAckExpire::Requeue);
        assert_eq!(s.session.throughput, None);
        assert_eq!(s.submit.esm_class, 3);
        assert!(s.submit.source_autodetect);
        assert_eq!(s.submit.max_sms_octets, 140);
        assert_eq!(s.reconnect_delay, Duration::from_secs(10));
    }

    #[test]
    fn every_smpp_key_reaches_its_setting() {
        let s = smpp(
            "port = 2775\ntransceiver-mode = yes\nsystem-type = VMA\nservice-type = CMT\n\
             interface-version = 33\naddress-range = 123\nmax-pending-submits = 5\n\
             throughput = 12.5\nenquire-link-interval = 4\nreconnect-delay = 2\nwait-ack = 9\n\
             wait-ack-expire = 0\nsource-addr-ton = 1\nsource-addr-npi = 1\ndest-addr-ton = 0\n\
             dest-addr-npi = 9\nbind-addr-ton = 2\nbind-addr-npi = 3\n\
             source-addr-autodetect = no\nalt-charset = ISO-8859-1\nmax-sms-octets = 120\n\
             priority = 2\nvalidityperiod = 1440\nesm-class = 0\nmy-number = 555\n\
             connection-timeout = 0\nalt-dcs = yes",
        )
        .unwrap();
        assert!(s.transceiver);
        assert_eq!(s.session.system_type, "VMA");
        assert_eq!(s.session.interface_version, 0x33);
        assert_eq!(s.session.address_range, "123");
        assert_eq!((s.session.addr_ton, s.session.addr_npi), (2, 3));
        assert_eq!(s.session.window, 5);
        assert_eq!(s.session.throughput, Some(12.5));
        assert_eq!(s.session.enquire_link_interval, Duration::from_secs(4));
        assert_eq!(s.session.wait_ack, Duration::from_secs(9));
        assert_eq!(s.session.wait_ack_expire, WaitAckExpire::Reconnect);
        assert_eq!(s.session.connection_timeout, None);
        assert_eq!(s.reconnect_delay, Duration::from_secs(2));
        assert_eq!(s.submit.service_type, "CMT");
        assert_eq!(s.submit.source_ton_npi, Some(TonNpi { ton: 1, npi: 1 }));
        assert_eq!(s.submit.dest_ton_npi, Some(TonNpi { ton: 0, npi: 9 }));
        assert!(!s.submit.source_autodetect);
        assert!(s.submit.alt_charset.is_some());
        assert_eq!(s.submit.max_sms_octets, 120);
        assert_eq!(s.submit.priority, 2);
        assert_eq!(s.submit.validity_minutes, Some(1440));
        assert_eq!(s.submit.esm_class, 0);
        assert!(s.submit.alt_dcs);
        assert_eq!(s.my_number.as_deref(), Some("555"));
    }

    /// Like [`smpp`], with extra text after the smsc group (more groups) and in the core group.
    fn smpp_with(keys: &str, core: &str, after: &str) -> Result<SmppSettings, Vec<SettingsError>> {
        let text = format!(
            "group = core\nadmin-port = 13000\nadmin-password = x\n{core}\n\n\
             group = smsc\nsmsc = smpp\nsmsc-id = link1\nhost = 127.0.0.1\nsmsc-username = u\n\
             smsc-password = p\nsystem-type = VMA\nport = 2775\n{keys}\n\n{after}"
        );
        let loaded = conf::load_str(
            &text,
            Path::new("kannel.conf"),
            conf::Reader::Bearerbox,
            &conf::LoadOptions::default(),
        )
        .unwrap_or_else(|refused| panic!("{:?}", refused.diagnostics));
        let settings = Settings::from_config(&loaded.config)?;
        match settings.links.into_iter().next().map(|link| link.driver) {
            Some(DriverSettings::Smpp(smpp)) => Ok(*smpp),
            other => panic!("not an smpp link: {other:?}"),
        }
    }

    #[test]
    fn alt_addr_charset_takes_gsm_or_a_charset_and_refuses_others() {
        let gsm = smpp("port = 2775\nalt-addr-charset = gsm").unwrap();
        assert_eq!(gsm.submit.alt_addr_charset, Some(AddrCharset::Gsm));
        let latin = smpp("port = 2775\nalt-addr-charset = ISO-8859-1").unwrap();
        assert!(matches!(
            latin.submit.alt_addr_charset,
            Some(AddrCharset::Other(_))
        ));
        let message = smpp("port = 2775\nalt-addr-charset = klingon").unwrap_err()[0].to_string();
        assert!(message.contains("'alt-addr-charset'"), "{message}");
        assert!(message.contains("klingon"), "{message}");
    }

    #[test]
    fn the_links_own_log_file_level_and_format_are_read() {
        let s =
            smpp("port = 2775\nlog-file = /tmp/link.log\nlog-level = 1\nlog-format = 2").unwrap();
        assert_eq!(
            s.log,
            Some(LinkLog {
                path: PathBuf::from("/tmp/link.log"),
                level: Level::Info,
                format: PduDump::OneLine,
            })
        );
        let default = smpp("port = 2775\nlog-file = /tmp/link.log").unwrap();
        assert_eq!(
            default.log.map(|l| (l.level, l.format)),
            Some((Level::Debug, PduDump::Multiline))
        );
        assert_eq!(smpp("port = 2775").unwrap().log, None);
        let message = smpp("port = 2775\nlog-format = 3").unwrap_err()[0].to_string();
        assert!(message.contains("'log-format'"), "{message}");
    }

    #[test]
    fn use_ssl_reads_the_core_groups_ca_file_and_a_missing_one_is_an_error() {
        let plain = smpp("port = 2775").unwrap();
        assert!(plain.tls.is_none());
        let with_roots = smpp("port = 2775\nuse-ssl = true").unwrap();
        assert_eq!(
            with_roots.tls.map(|t| t.files().clone()),
            Some(TlsFiles::default())
        );
        let errors = smpp_with(
            "use-ssl = yes",
            "ssl-trusted-ca-file = /nonexistent/ca.pem",
            "",
        )
        .unwrap_err();
        let message = errors[0].to_string();
        assert!(message.starts_with("kannel.conf:"), "{message}");
        assert!(
            message.contains("'use-ssl': 'ssl-trusted-ca-file': cannot read /nonexistent/ca.pem"),
            "{message}"
        );
    }

    #[test]
    fn the_smsc_groups_certkey_file_wins_over_the_core_groups() {
        let errors = smpp_with(
            "use-ssl = yes\nssl-client-certkey-file = /nonexistent/link.pem",
            "ssl-client-certkey-file = /nonexistent/core.pem",
            "",
        )
        .unwrap_err();
        assert!(
            errors[0].to_string().contains("/nonexistent/link.pem"),
            "{}",
            errors[0]
        );
        let errors = smpp_with(
            "use-ssl = yes",
            "ssl-client-certkey-file = /nonexistent/core.pem",
            "",
        )
        .unwrap_err();
        assert!(
            errors[0].to_string().contains("/nonexistent/core.pem"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn smpp_tlv_groups_for_the_link_reach_its_submit_options() {
        let s = smpp_with(
            "",
            "",
            "group = smpp-tlv\nname = my_tlv\ntag = 0x1601\ntype = octetstring\nlength = 20\n\
             smsc-id = link1\n\n\
             group = smpp-tlv\nname = other\ntag = 0x1602\ntype = integer\nlength = 4\n\
             smsc-id = link2\n",
        )
        .unwrap();
        let mine = s
            .submit
            .custom_tlvs
            .by_name("my_tlv")
            .map(|t| (t.tag, t.length));
        assert_eq!(mine, Some((crate::smsc::smpp::tlv::Tag(0x1601), 20)));
        assert!(s.submit.custom_tlvs.by_name("other").is_none());
    }

    #[test]
    fn a_wait_ack_expire_outside_kannels_three_is_refused_with_its_line() {
        let errors = smpp("port = 2775\nwait-ack-expire = 7").unwrap_err();
        let message = errors[0].to_string();
        assert!(message.contains("wait-ack-expire"), "{message}");
        assert!(message.contains("kannel.conf:"), "{message}");
    }
}

//! The settings of one `smsc = smpp` group, typed: what the driver, the session and the
//! submit_sm builder need. `settings.rs` reads them from the configuration; the defaults are
//! Kannel's.

use std::net::IpAddr;
use std::time::Duration;

use super::deliver::DEFAULT_MO_TIMEOUT;
use super::session::SessionConfig;
use super::submit::SubmitOptions;
use crate::ip_list::IpList;

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
    /// `use-ssl`: not built; the link refuses to start rather than talk in clear.
    pub use_ssl: bool,
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
            use_ssl: false,
            session: SessionConfig::default(),
            submit: SubmitOptions::default(),
            my_number: None,
            reconnect_delay: Duration::from_secs(10),
            mo_timeout: DEFAULT_MO_TIMEOUT,
        }
    }
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

    #[test]
    fn a_wait_ack_expire_outside_kannels_three_is_refused_with_its_line() {
        let errors = smpp("port = 2775\nwait-ack-expire = 7").unwrap_err();
        let message = errors[0].to_string();
        assert!(message.contains("wait-ack-expire"), "{message}");
        assert!(message.contains("kannel.conf:"), "{message}");
    }
}

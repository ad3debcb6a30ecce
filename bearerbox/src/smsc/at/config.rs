//! What an `smsc = at` group and the `modems` groups say, as types. Filled
//! by `settings.rs` from the configuration; defaults are Kannel's
//! (reference/kannel.md §1.7).

use std::time::Duration;

/// One `modems` group: a kind of modem and its quirks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModemDefinition {
    pub id: String,
    pub name: String,
    /// Matched against the `ATI` answer when the type is detected.
    pub detect_string: Option<String>,
    pub detect_string2: Option<String>,
    /// Sent last in the start-up; sets up new-message indications.
    pub init_string: String,
    /// Sent after `max-error-count` failures in a row.
    pub reset_string: Option<String>,
    pub speed: Option<u32>,
    /// The command enabling hardware handshake, when `hardware-flow-control` is on.
    pub enable_hwhs: String,
    pub hardware_flow_control: bool,
    /// Some modems lose characters when spoken to at once after a command.
    pub need_sleep: bool,
    /// The modem has no SIM lock to ask about (`AT+CPIN?` would fail).
    pub no_pin: bool,
    /// The modem wants PDUs without the SMSC address in front.
    pub no_smsc: bool,
    pub sendline_sleep: Duration,
    pub keepalive_cmd: String,
    /// `AT+CPMS` storage for polled messages (`sim-buffering`).
    pub message_storage: Option<String>,
    pub message_start: u32,
    /// Send `AT+CMMS=2` before the parts of a long message.
    pub enable_mms: bool,
    pub broken: bool,
}

impl Default for ModemDefinition {
    fn default() -> Self {
        ModemDefinition {
            id: "generic".into(),
            name: "Generic Modem".into(),
            detect_string: None,
            detect_string2: None,
            init_string: "AT+CNMI=1,2,0,1,0".into(),
            reset_string: None,
            speed: None,
            enable_hwhs: "AT+IFC=2,2".into(),
            hardware_flow_control: true,
            need_sleep: false,
            no_pin: false,
            no_smsc: false,
            sendline_sleep: Duration::from_millis(100),
            keepalive_cmd: "AT".into(),
            message_storage: None,
            message_start: 1,
            enable_mms: false,
            broken: false,
        }
    }
}

impl ModemDefinition {
    /// Does this definition claim the modem that answered `ATI` with `text`?
    pub fn detects(&self, text: &str) -> bool {
        let text = text.to_ascii_uppercase();
        let found = |s: &Option<String>| {
            s.as_deref()
                .is_none_or(|s| text.contains(&s.to_ascii_uppercase()))
        };
        self.detect_string.is_some() && found(&self.detect_string) && found(&self.detect_string2)
    }
}

/// Which modem definition the link uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModemType {
    /// `modemtype` named a `modems` group.
    Known(Box<ModemDefinition>),
    /// `auto` or unset: ask `ATI` and pick among these; the generic
    /// definition when none matches.
    Detect(Vec<ModemDefinition>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AtSettings {
    pub smsc_id: String,
    pub device: String,
    /// `speed`; `None` leaves it to the modem definition, then 9600.
    pub speed: Option<u32>,
    pub modem: ModemType,
    pub pin: Option<String>,
    pub sms_center: Option<String>,
    /// Replaces the MT sender and names the MO receiver.
    pub my_number: Option<String>,
    /// Relative TP-VP code when a message has no validity of its own.
    pub validity_period: Option<u8>,
    /// Probe the modem after this long without a word from it.
    pub keepalive: Option<Duration>,
    /// Poll the modem's storage for messages it kept.
    pub sim_buffering: bool,
    /// Failures in a row before `reset-string`; `None`: never.
    pub max_error_count: Option<u32>,
    /// The `message-storage` of the smsc group, over the modem's.
    pub message_storage: Option<String>,
    /// Between attempts to open the device; doubles up to eight times that.
    pub reconnect_delay: Duration,
    /// `max-sms-octets`.
    pub max_sms_octets: usize,
}

impl AtSettings {
    pub fn new(smsc_id: &str, device: &str) -> AtSettings {
        AtSettings {
            smsc_id: smsc_id.to_owned(),
            device: device.to_owned(),
            speed: None,
            modem: ModemType::Detect(Vec::new()),
            pin: None,
            sms_center: None,
            my_number: None,
            validity_period: None,
            keepalive: None,
            sim_buffering: false,
            max_error_count: None,
            message_storage: None,
            reconnect_delay: Duration::from_secs(10),
            max_sms_octets: 140,
        }
    }

    /// The line speed to open the device at.
    pub fn baud_rate(&self) -> u32 {
        let from_modem = match &self.modem {
            ModemType::Known(modem) => modem.speed,
            ModemType::Detect(_) => None,
        };
        self.speed.or(from_modem).unwrap_or(9600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_detects_a_modem_only_when_both_strings_match() {
        let tc35 = ModemDefinition {
            detect_string: Some("SIEMENS".into()),
            detect_string2: Some("TC35".into()),
            ..ModemDefinition::default()
        };
        assert!(tc35.detects("SIEMENS\nTC35i\n"));
        assert!(!tc35.detects("SIEMENS M20"));
        assert!(!ModemDefinition::default().detects("anything"));
    }

    fn at_settings(text: &str) -> Option<AtSettings> {
        let loaded = conf::load_str(
            text,
            std::path::Path::new("kannel.conf"),
            conf::Reader::Bearerbox,
            &conf::LoadOptions::default(),
        )
        .map_err(|refused| eprintln!("{:?}", refused.diagnostics))
        .ok()?;
        let settings = crate::settings::Settings::from_config(&loaded.config)
            .map_err(|errors| eprintln!("{errors:?}"))
            .ok()?;
        settings
            .links
            .into_iter()
            .find_map(|link| match link.driver {
                crate::settings::DriverSettings::At(at) => Some(*at),
                _ => None,
            })
    }

    const CORE: &str = "group = core\nadmin-port = 13000\nadmin-password = x\n\n";

    #[test]
    fn an_at_group_names_its_modem_and_keeps_kannels_defaults() {
        let text = format!(
            "{CORE}group = modems\nid = tc35\nname = \"Siemens TC35\"\ndetect-string = SIEMENS\n\
             init-string = \"AT+CNMI=3,2,0,1,1\"\nspeed = 19200\nreset-string = \"AT+CFUN=1\"\n\
             keepalive-cmd = \"AT+CSQ\"\n\n\
             group = smsc\nsmsc = at\nsmsc-id = gsm\ndevice = /dev/ttyUSB0\nmodemtype = tc35\n\
             pin = 1234\nsms-center = +46705008999\nkeepalive = 30\nsim-buffering = true\n\
             max-error-count = 5\n"
        );
        let Some(at) = at_settings(&text) else {
            panic!("the at link did not load");
        };
        assert_eq!(at.smsc_id, "gsm");
        assert_eq!(at.device, "/dev/ttyUSB0");
        assert_eq!(at.baud_rate(), 19200);
        assert_eq!(at.pin.as_deref(), Some("1234"));
        assert_eq!(at.sms_center.as_deref(), Some("+46705008999"));
        assert_eq!(at.keepalive, Some(Duration::from_secs(30)));
        assert!(at.sim_buffering);
        assert_eq!(at.max_error_count, Some(5));
        assert_eq!(at.validity_period, Some(167));
        let ModemType::Known(modem) = at.modem else {
            panic!("modemtype tc35 was not resolved");
        };
        assert_eq!(modem.init_string, "AT+CNMI=3,2,0,1,1");
        assert_eq!(modem.reset_string.as_deref(), Some("AT+CFUN=1"));
        assert_eq!(modem.keepalive_cmd, "AT+CSQ");
        assert_eq!(modem.enable_hwhs, "AT+IFC=2,2");
    }

    #[test]
    fn without_a_modemtype_every_modems_group_is_a_candidate() {
        let text = format!(
            "{CORE}group = modems\nid = wavecom\ndetect-string = WAVECOM\n\n\
             group = smsc\nsmsc = at\ndevice = /dev/ttyS0\n"
        );
        let modem = at_settings(&text).map(|at| at.modem);
        assert!(matches!(modem, Some(ModemType::Detect(list)) if list.len() == 1));
    }
}

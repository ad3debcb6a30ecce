//! What the simulator is told at start ([`SimConfig`]) and what can change
//! while it runs ([`Faults`]).

use std::path::PathBuf;
use std::time::Duration;

/// How message ids are written in `submit_sm_resp` and in receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdFormat {
    #[default]
    Decimal,
    /// Upper-case hex without a prefix, as many SMSCs give them.
    Hex,
}

impl IdFormat {
    pub fn render(self, id: u64) -> String {
        match self {
            IdFormat::Decimal => id.to_string(),
            IdFormat::Hex => format!("{id:X}"),
        }
    }
}

/// Fixed for the life of a simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// 0 asks the system for a free port.
    pub port: u16,
    /// When set, binds must carry this system_id (else ESME_RINVSYSID).
    pub system_id: Option<String>,
    /// When set, binds must carry this password (else ESME_RINVPASWD).
    pub password: Option<String>,
    /// Ids in `submit_sm_resp`.
    pub id_format: IdFormat,
    /// Ids in receipts; Kannel's `msg-id-type` exists because SMSCs mix them.
    pub receipt_id_format: IdFormat,
    /// The first message id handed out.
    pub first_id: u64,
    /// One JSON line per PDU, in and out.
    pub record: Option<PathBuf>,
    /// Port of the line control interface; `None` leaves it off.
    pub control_port: Option<u16>,
    /// PDUs kept in memory for [`crate::smsc_sim::SimHandle::pdus`]; a long
    /// benchmark would otherwise grow without bound. Counters keep counting.
    pub max_records: usize,
    pub faults: Faults,
    /// Serve SMPP over TLS with this certificate (SMPP's "use-ssl").
    pub tls: Option<crate::tls::Identity>,
}

impl SimConfig {
    /// A simulator that takes only the login of [`ConfText::smpp_transceiver`]
    /// (`kuser`/`kpass`), as the tests' SMPP links give it.
    ///
    /// [`ConfText::smpp_transceiver`]: crate::conf_writer::ConfText::smpp_transceiver
    pub fn with_login() -> SimConfig {
        SimConfig {
            system_id: Some("kuser".into()),
            password: Some("kpass".into()),
            ..SimConfig::default()
        }
    }
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            port: 0,
            system_id: None,
            password: None,
            id_format: IdFormat::Decimal,
            receipt_id_format: IdFormat::Decimal,
            first_id: 1,
            record: None,
            control_port: None,
            max_records: 1_000_000,
            faults: Faults::default(),
            tls: None,
        }
    }
}

/// Behaviour that tests and the control interface change at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Faults {
    /// Delay before each response is written.
    pub latency: Duration,
    /// Every Nth submit (over all connections) gets ESME_RTHROTTLED.
    pub throttle_every: Option<u64>,
    /// Every Nth submit gets `fail_status`, a permanent error.
    pub fail_every: Option<u64>,
    pub fail_status: u32,
    /// A connection is closed once it has answered this many submits.
    pub drop_after: Option<u64>,
    /// Read and record, but answer nothing (not even enquire_link).
    pub stalled: bool,
    /// Send a receipt for each accepted submit that asks for one.
    pub receipts: bool,
    /// Delay between the `submit_sm_resp` and its receipt.
    pub receipt_delay: Duration,
    /// `stat:` of automatic receipts: DELIVRD, UNDELIV, EXPIRED, REJECTD...
    pub receipt_stat: String,
    /// Send again, on the next receiver or transceiver bind, every MO whose connection closed
    /// before it was answered (as an SMSC does with MO it has no deliver_sm_resp for).
    pub redeliver: bool,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            latency: Duration::ZERO,
            throttle_every: None,
            fail_every: None,
            fail_status: 0x0000_000B, // ESME_RINVDSTADR
            drop_after: None,
            stalled: false,
            receipts: false,
            receipt_delay: Duration::ZERO,
            receipt_stat: "DELIVRD".to_string(),
            redeliver: false,
        }
    }
}

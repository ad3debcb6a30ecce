//! The status snapshot: what bearerbox reports, as plain data.
//!
//! bearerbox fills it from its switchboard at the moment of a request; every
//! renderer reads only this, so each format shows the same numbers.

/// Messages per second over the last minute, the last five minutes, and
/// since start: Kannel's three load figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    pub minute: f64,
    pub five_minutes: f64,
    pub lifetime: f64,
}

impl Rates {
    /// Kannel's `0.00,0.00,0.00`.
    pub fn kannel(&self) -> String {
        format!(
            "{:.2},{:.2},{:.2}",
            self.minute, self.five_minutes, self.lifetime
        )
    }
}

/// What the gateway as a whole is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayState {
    Running,
    Suspended,
    Isolated,
    /// The outgoing queue is at its limit: new MT is refused for now.
    Full,
    ShuttingDown,
}

impl GatewayState {
    /// The word Kannel's status line uses.
    pub fn kannel(self) -> &'static str {
        match self {
            GatewayState::Running => "running",
            GatewayState::Suspended => "suspended",
            GatewayState::Isolated => "isolated",
            GatewayState::Full => "filled",
            GatewayState::ShuttingDown => "going down",
        }
    }
}

/// The state of one SMSC link, with Kannel's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStatus {
    Online {
        seconds: u64,
    },
    Connecting,
    Reconnecting,
    Disconnected,
    /// Stopped by `stop-smsc`, started dead, or without a driver.
    Dead,
    Unknown,
}

impl LinkStatus {
    /// Kannel's `online 12s`, `connecting`, `dead`...
    pub fn kannel(self) -> String {
        match self {
            LinkStatus::Online { seconds } => format!("online {seconds}s"),
            other => other.word().to_owned(),
        }
    }

    /// The state without its duration, for labels and metrics.
    pub fn word(self) -> &'static str {
        match self {
            LinkStatus::Online { .. } => "online",
            LinkStatus::Connecting => "connecting",
            LinkStatus::Reconnecting => "re-connecting",
            LinkStatus::Disconnected => "disconnected",
            LinkStatus::Dead => "dead",
            LinkStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SmsTotals {
    /// MO taken from the SMSCs.
    pub received: u64,
    /// MO and reports waiting for a box.
    pub received_queued: u64,
    /// MT accepted by an SMSC.
    pub sent: u64,
    /// MT waiting for an SMSC.
    pub sent_queued: u64,
    /// Messages in the store; Kannel shows -1 without one.
    pub store_size: i64,
    pub inbound: Rates,
    pub outbound: Rates,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DlrTotals {
    /// Delivery reports from the SMSCs.
    pub received: u64,
    /// Delivery reports sent to SMSCs (only when acting as an SMSC).
    pub sent: u64,
    pub inbound: Rates,
    pub outbound: Rates,
    /// Submissions waiting for their final report.
    pub queued: u64,
    pub storage: String,
    /// Reports whose id matched no submission (ours; not on Kannel's pages).
    pub unmatched: u64,
}

/// One connected box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxStatus {
    /// `smsbox` for every box bearerbox serves.
    pub kind: String,
    pub id: Option<String>,
    pub ip: String,
    /// Sent and not acked, plus waiting for this box alone.
    pub queued: u64,
    pub online_seconds: u64,
    pub ssl: bool,
}

/// One SMSC link.
#[derive(Debug, Clone, PartialEq)]
pub struct SmscStatus {
    pub id: String,
    pub admin_id: String,
    /// Kannel's description, `FAKE:13013`, `SMPP:host:port/port:user:type`.
    pub name: String,
    pub status: LinkStatus,
    pub received: u64,
    pub sent: u64,
    pub failed: u64,
    pub queued: u64,
    pub dlr_received: u64,
    pub dlr_sent: u64,
    pub inbound: Rates,
    pub outbound: Rates,
    pub dlr_inbound: Rates,
    pub dlr_outbound: Rates,
}

/// Which way the messages of a store lane go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneDirection {
    ToSmsc,
    ToBox,
}

impl LaneDirection {
    pub fn label(self) -> &'static str {
        match self {
            LaneDirection::ToSmsc => "mt",
            LaneDirection::ToBox => "to-box",
        }
    }
}

/// One queue of the store: its depth and the age of its oldest message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneDepth {
    pub name: String,
    pub direction: LaneDirection,
    pub count: u64,
    pub oldest_age_seconds: u64,
}

/// The store writer's work so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub commits: u64,
    pub operations: u64,
    pub commit_micros: u64,
}

/// Everything a status page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// The version block, one or more lines.
    pub version: String,
    pub state: GatewayState,
    pub uptime_seconds: u64,
    pub sms: SmsTotals,
    pub dlr: DlrTotals,
    pub boxes: Vec<BoxStatus>,
    pub smscs: Vec<SmscStatus>,
    pub lanes: Vec<LaneDepth>,
    pub store: StoreStats,
}

/// Kannel's `0d 0h 0m 9s`.
pub fn kannel_duration(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    format!(
        "{days}d {}h {}m {}s",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// One message in the store, as `store-status` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    pub id: String,
    /// `MO`, `MT-PUSH`, `MT-REPLY`, `DLR-MO`, `DLR-MT`.
    pub kind: String,
    /// `2026-11-25 19:12:21`.
    pub time: String,
    pub sender: String,
    pub receiver: String,
    pub smsc_id: String,
    pub box_id: String,
    /// `mclass:coding:mwi:compress:dlr_mask`.
    pub flags: String,
    /// Hex.
    pub udh: String,
    /// URL-encoded text, or hex for binary and UCS-2.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_kannel_writes_them() {
        assert_eq!(kannel_duration(9), "0d 0h 0m 9s");
        assert_eq!(kannel_duration(90_061), "1d 1h 1m 1s");
    }

    #[test]
    fn rates_have_two_decimals() {
        let rates = Rates {
            minute: 1.0,
            five_minutes: 0.125,
            lifetime: 12.0 / 7.0,
        };
        assert_eq!(rates.kannel(), "1.00,0.12,1.71");
    }
}

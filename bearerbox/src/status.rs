//! The status snapshot of `wapbox-free-admin`, filled from the switchboard,
//! the store and the admin port's own load meters.
//!
//! Kannel's load figures need the counters' history, which the switchboard
//! does not keep: [`Meters`] samples them about once a second (see
//! [`crate::admin::sample`]).

use std::net::SocketAddr;

use box_protocol::message::{Coding, Msg, Sms, SmsType};
use wapbox_free_admin::meter::Meter;
use wapbox_free_admin::model::{
    BoxStatus, DlrTotals, GatewayState, LaneDepth, LaneDirection, LinkStatus, SmsTotals,
    SmscStatus, Status, StoreStats, StoredItem,
};

use crate::settings::{DriverSettings, LinkSettings};
use crate::store::{Direction, LaneStatus};
use crate::switchboard::{Lifecycle, Switchboard};
use crate::urlcode::encode as url_encode;

/// What the version block of the status page says.
pub fn version() -> String {
    format!(
        "Kannel bearerbox version `{}'.\nkannel-rs bearerbox (Rust), compatible with Kannel 1.4.5.",
        env!("CARGO_PKG_VERSION")
    )
}

/// Where delivery-report correlations live: the store's SQLite file.
const DLR_STORAGE: &str = "sqlite";

/// At most this many messages are listed by `store-status`.
pub const STORE_LISTING_LIMIT: usize = 10_000;
/// Messages read from the store at once while listing or searching.
pub(crate) const PAGE: usize = 500;

/// The counters the load figures are computed from.
struct Totals {
    mo: u64,
    mt: u64,
    dlr: u64,
}

fn totals(board: &Switchboard) -> Totals {
    Totals {
        mo: board.mo_received,
        mt: board.sent_retired + board.links.iter().map(|link| link.sent).sum::<u64>(),
        dlr: board.reports_received,
    }
}

/// Load meters for the gateway and each link.
pub struct Meters {
    mo: Meter,
    mt: Meter,
    dlr: Meter,
    /// Per link: received, sent.
    links: Vec<(Meter, Meter)>,
}

impl Meters {
    pub fn new(board: &Switchboard) -> Meters {
        let start = board.started_at;
        Meters {
            mo: Meter::new(start),
            mt: Meter::new(start),
            dlr: Meter::new(start),
            links: board
                .links
                .iter()
                .map(|_| (Meter::new(start), Meter::new(start)))
                .collect(),
        }
    }

    pub fn observe(&mut self, board: &Switchboard, now: i64) {
        let totals = totals(board);
        self.mo.observe(now, totals.mo);
        self.mt.observe(now, totals.mt);
        self.dlr.observe(now, totals.dlr);
        // Links added at run time get their meters from now on.
        while self.links.len() < board.links.len() {
            self.links.push((Meter::new(now), Meter::new(now)));
        }
        for (link, (received, sent)) in board.links.iter().zip(&mut self.links) {
            received.observe(now, link.received);
            sent.observe(now, link.sent);
        }
    }
}

/// Kannel's description of a link.
fn link_name(settings: &LinkSettings) -> String {
    if let DriverSettings::Fake { listen, .. } = &settings.driver {
        format!("FAKE:{}", listen.port())
    } else if let DriverSettings::Unsupported { kind } = &settings.driver {
        kind.to_uppercase()
    } else if let DriverSettings::Loopback = &settings.driver {
        "LOOPBACK".to_owned()
    } else {
        settings.rules.smsc_id.to_uppercase()
    }
}

fn has_driver(settings: &LinkSettings) -> bool {
    !matches!(settings.driver, DriverSettings::Unsupported { .. })
}

/// The best link of an MT lane (`smsc:<best>,<next>...`).
fn first_candidate(lane: &str) -> Option<usize> {
    lane.strip_prefix("smsc:")?.split(',').next()?.parse().ok()
}

fn ip_of(peer: &str) -> String {
    peer.parse::<SocketAddr>()
        .map_or_else(|_| peer.to_owned(), |address| address.ip().to_string())
}

/// The snapshot at `now` (Unix seconds).
pub fn snapshot(board: &Switchboard, meters: &Meters, now: i64) -> Status {
    let lanes: Vec<LaneStatus> = board.store.lanes().unwrap_or_else(|error| {
        log::error!("status: {error}");
        Vec::new()
    });
    let lane_total = |direction: Direction| -> u64 {
        lanes
            .iter()
            .filter(|lane| lane.direction == direction)
            .map(|lane| lane.count)
            .sum()
    };
    let totals = totals(board);
    let state = match board.lifecycle {
        Lifecycle::Running if board.queued_mt >= board.settings.outgoing_queue_limit => {
            GatewayState::Full
        }
        Lifecycle::Running => GatewayState::Running,
        Lifecycle::Suspended => GatewayState::Suspended,
        Lifecycle::Isolated => GatewayState::Isolated,
        Lifecycle::ShuttingDown => GatewayState::ShuttingDown,
    };
    let smscs = board
        .links
        .iter()
        .enumerate()
        .filter(|(_, link)| !link.removed)
        .map(|(index, link)| {
            let status = if link.state.stopped || !has_driver(&link.settings) {
                LinkStatus::Dead
            } else if link.state.online {
                LinkStatus::Online {
                    seconds: link
                        .online_since
                        .map_or(0, |since| (now - since).max(0) as u64),
                }
            } else {
                LinkStatus::Connecting
            };
            let queued = lanes
                .iter()
                .filter(|lane| {
                    lane.direction == Direction::ToSmsc
                        && first_candidate(&lane.lane) == Some(index)
                })
                .map(|lane| lane.count)
                .sum();
            let (inbound, outbound) = meters
                .links
                .get(index)
                .map(|(received, sent)| {
                    (
                        received.rates(now, link.received),
                        sent.rates(now, link.sent),
                    )
                })
                .unwrap_or_default();
            SmscStatus {
                id: link.settings.rules.smsc_id.clone(),
                admin_id: link.settings.admin_id.clone(),
                name: link_name(&link.settings),
                status,
                received: link.received,
                sent: link.sent,
                failed: link.failed,
                queued,
                dlr_received: 0,
                dlr_sent: 0,
                inbound,
                outbound,
                dlr_inbound: Default::default(),
                dlr_outbound: Default::default(),
            }
        })
        .collect();
    let boxes = board
        .boxes
        .iter()
        .map(|conn| {
            let own_lane = conn.smsbox_id.as_ref().map_or(0, |id| {
                lanes
                    .iter()
                    .filter(|lane| {
                        lane.direction == Direction::ToBox && lane.lane == format!("box:{id}")
                    })
                    .map(|lane| lane.count)
                    .sum::<u64>()
            });
            BoxStatus {
                kind: "smsbox".to_owned(),
                id: conn.smsbox_id.clone(),
                ip: ip_of(&conn.peer),
                // Unacked messages are still in the lane's count: not twice.
                queued: own_lane.max(conn.pending.len() as u64),
                online_seconds: (now - conn.connected_at).max(0) as u64,
                ssl: false,
            }
        })
        .collect();
    let stats = board.store.stats();
    Status {
        version: version(),
        state,
        uptime_seconds: (now - board.started_at).max(0) as u64,
        sms: SmsTotals {
            received: totals.mo,
            received_queued: lane_total(Direction::ToBox),
            sent: totals.mt,
            sent_queued: board.queued_mt as u64,
            store_size: lanes.iter().map(|lane| lane.count).sum::<u64>() as i64,
            inbound: meters.mo.rates(now, totals.mo),
            outbound: meters.mt.rates(now, totals.mt),
        },
        dlr: DlrTotals {
            received: totals.dlr,
            sent: 0,
            inbound: meters.dlr.rates(now, totals.dlr),
            outbound: Default::default(),
            queued: board.store.reports_waiting(),
            storage: DLR_STORAGE.to_owned(),
            unmatched: board.dlr_misses,
        },
        boxes,
        smscs,
        lanes: lanes
            .iter()
            .map(|lane| LaneDepth {
                name: lane.lane.clone(),
                direction: match lane.direction {
                    Direction::ToSmsc => LaneDirection::ToSmsc,
                    Direction::ToBox => LaneDirection::ToBox,
                },
                count: lane.count,
                oldest_age_seconds: (now - lane.oldest_accepted_at).max(0) as u64,
            })
            .collect(),
        store: StoreStats {
            commits: stats.commits,
            operations: stats.operations,
            commit_micros: stats.commit_micros,
        },
    }
}

// ---- store-status ---------------------------------------------------------

fn text(bytes: &Option<Vec<u8>>) -> String {
    String::from_utf8_lossy(bytes.as_deref().unwrap_or_default()).into_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn kind(sms_type: Option<SmsType>) -> &'static str {
    match sms_type {
        Some(SmsType::Mo) => "MO",
        Some(SmsType::MtReply) => "MT-REPLY",
        Some(SmsType::MtPush) => "MT-PUSH",
        Some(SmsType::ReportMo) => "DLR-MO",
        Some(SmsType::ReportMt) => "DLR-MT",
        _ => "",
    }
}

fn local_time(seconds: i64) -> String {
    use chrono::TimeZone as _;
    chrono::Local
        .timestamp_opt(seconds, 0)
        .single()
        .map_or_else(String::new, |time| {
            time.format("%Y-%m-%d %H:%M:%S").to_string()
        })
}

/// One stored message as `store-status` lists it.
pub fn stored_item(sms: &Sms, accepted_at: i64) -> StoredItem {
    let int = |value: Option<i32>| value.unwrap_or(-1);
    let coding = sms.coding.map_or(-1, Coding::raw);
    let body = sms.msgdata.as_deref().unwrap_or_default();
    let binary = sms.udhdata.as_ref().is_some_and(|udh| !udh.is_empty())
        || matches!(sms.coding, Some(Coding::EightBit | Coding::Ucs2));
    StoredItem {
        id: sms.id.to_string(),
        kind: kind(sms.sms_type).to_owned(),
        time: local_time(sms.time.map_or(accepted_at, i64::from)),
        sender: text(&sms.sender),
        receiver: text(&sms.receiver),
        smsc_id: text(&sms.smsc_id),
        box_id: text(&sms.boxc_id),
        flags: format!(
            "{}:{}:{}:{}:{}",
            int(sms.mclass),
            coding,
            int(sms.mwi),
            int(sms.compress),
            int(sms.dlr_mask)
        ),
        udh: hex(sms.udhdata.as_deref().unwrap_or_default()),
        message: if binary { hex(body) } else { url_encode(body) },
    }
}

/// Every message in the store (up to [`STORE_LISTING_LIMIT`]), lane by lane
/// in commit order.
pub fn store_listing(board: &Switchboard) -> Vec<StoredItem> {
    let mut items = Vec::new();
    let lanes = board.store.lanes().unwrap_or_else(|error| {
        log::error!("store-status: {error}");
        Vec::new()
    });
    for lane in lanes {
        let mut after = 0;
        while items.len() < STORE_LISTING_LIMIT {
            let rows = match board
                .store
                .read_lane(lane.direction, &lane.lane, after, PAGE)
            {
                Ok(rows) => rows,
                Err(error) => {
                    log::error!("store-status: {error}");
                    break;
                }
            };
            let complete = rows.len() < PAGE;
            for row in rows {
                after = row.seq;
                if let Ok(Msg::Sms(sms)) = Msg::decode(&row.payload) {
                    items.push(stored_item(&sms, row.accepted_at));
                }
            }
            if complete {
                break;
            }
        }
    }
    items.truncate(STORE_LISTING_LIMIT);
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queued_text_is_listed_as_kannel_lists_it() {
        let mut sms = Sms::new_mt("12345", "4670000001", "Queued test");
        sms.time = Some(0);
        let item = stored_item(&sms, 0);
        assert_eq!(item.kind, "MT-PUSH");
        assert_eq!(item.flags, "-1:0:-1:-1:-1");
        assert_eq!(item.message, "Queued+test");
        assert_eq!(item.udh, "");
    }

    #[test]
    fn lanes_name_their_best_link_first() {
        assert_eq!(first_candidate("smsc:2,0"), Some(2));
        assert_eq!(first_candidate("smsc:"), None);
        assert_eq!(first_candidate("box:x"), None);
    }
}

//! `/metrics` in Prometheus' text exposition format (version 0.0.4): one
//! `# HELP` and `# TYPE` per family, then its samples.

use std::fmt::Write as _;

use crate::model::{GatewayState, LinkStatus, Status};

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Label values escape backslash, double quote and newline.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Families {
    out: String,
}

impl Families {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            let pairs: Vec<String> = labels
                .iter()
                .map(|(key, value)| format!("{key}=\"{}\"", label(value)))
                .collect();
            let _ = write!(self.out, "{{{}}}", pairs.join(","));
        }
        let _ = writeln!(self.out, " {value}");
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

const STATES: [GatewayState; 5] = [
    GatewayState::Running,
    GatewayState::Suspended,
    GatewayState::Isolated,
    GatewayState::Full,
    GatewayState::ShuttingDown,
];

const LINK_STATES: [&str; 6] = [
    "online",
    "connecting",
    "re-connecting",
    "disconnected",
    "dead",
    "unknown",
];

pub fn metrics(status: &Status) -> String {
    let mut m = Families { out: String::new() };
    m.single(
        "bearerbox_uptime_seconds",
        "gauge",
        "Seconds since bearerbox started.",
        status.uptime_seconds as f64,
    );
    m.family(
        "bearerbox_state",
        "gauge",
        "1 for the state bearerbox is in (running, suspended, isolated, filled, going down).",
    );
    for state in STATES {
        let value = if state == status.state { 1.0 } else { 0.0 };
        m.sample("bearerbox_state", &[("state", state.kannel())], value);
    }
    let sms = &status.sms;
    m.single(
        "bearerbox_sms_received_total",
        "counter",
        "MO messages taken from the SMSCs.",
        sms.received as f64,
    );
    m.single(
        "bearerbox_sms_sent_total",
        "counter",
        "MT messages accepted by an SMSC.",
        sms.sent as f64,
    );
    m.family(
        "bearerbox_sms_queued",
        "gauge",
        "Messages waiting: MT for an SMSC, MO and reports for a box.",
    );
    m.sample(
        "bearerbox_sms_queued",
        &[("direction", "mt")],
        sms.sent_queued as f64,
    );
    m.sample(
        "bearerbox_sms_queued",
        &[("direction", "to-box")],
        sms.received_queued as f64,
    );
    m.single(
        "bearerbox_store_messages",
        "gauge",
        "Messages in the store.",
        sms.store_size as f64,
    );
    m.single(
        "bearerbox_dlr_received_total",
        "counter",
        "Delivery reports taken from the SMSCs.",
        status.dlr.received as f64,
    );
    m.single(
        "bearerbox_dlr_queued",
        "gauge",
        "Submissions waiting for their final delivery report.",
        status.dlr.queued as f64,
    );

    m.single(
        "bearerbox_smscs",
        "gauge",
        "Configured SMSC links.",
        status.smscs.len() as f64,
    );
    type Pick = fn(&crate::model::SmscStatus) -> u64;
    let per_smsc: [(&str, &str, &str, Pick); 6] = [
        (
            "bearerbox_smsc_received_total",
            "counter",
            "MO messages from this SMSC.",
            |s| s.received,
        ),
        (
            "bearerbox_smsc_sent_total",
            "counter",
            "MT messages this SMSC accepted.",
            |s| s.sent,
        ),
        (
            "bearerbox_smsc_failed_total",
            "counter",
            "MT messages this SMSC refused for good.",
            |s| s.failed,
        ),
        (
            "bearerbox_smsc_dlr_received_total",
            "counter",
            "Delivery reports from this SMSC.",
            |s| s.dlr_received,
        ),
        (
            "bearerbox_smsc_queued",
            "gauge",
            "MT messages waiting for this SMSC as their first choice.",
            |s| s.queued,
        ),
        (
            "bearerbox_smsc_online_seconds",
            "gauge",
            "Seconds this SMSC has been online; 0 when it is not.",
            |s| match s.status {
                LinkStatus::Online { seconds } => seconds,
                _ => 0,
            },
        ),
    ];
    for (name, kind, help, pick) in per_smsc {
        m.family(name, kind, help);
        for smsc in &status.smscs {
            m.sample(
                name,
                &[("smsc", &smsc.id), ("admin_id", &smsc.admin_id)],
                pick(smsc) as f64,
            );
        }
    }
    m.family(
        "bearerbox_smsc_state",
        "gauge",
        "1 for the state each SMSC link is in.",
    );
    for smsc in &status.smscs {
        for state in LINK_STATES {
            let value = if smsc.status.word() == state {
                1.0
            } else {
                0.0
            };
            m.sample(
                "bearerbox_smsc_state",
                &[
                    ("smsc", &smsc.id),
                    ("admin_id", &smsc.admin_id),
                    ("state", state),
                ],
                value,
            );
        }
    }

    m.single(
        "bearerbox_boxes_connected",
        "gauge",
        "Boxes connected to the box port.",
        status.boxes.len() as f64,
    );
    m.family(
        "bearerbox_box_queued",
        "gauge",
        "Messages sent to this box and not acked, or waiting for it alone.",
    );
    for conn in &status.boxes {
        m.sample(
            "bearerbox_box_queued",
            &[
                ("box_id", conn.id.as_deref().unwrap_or_default()),
                ("ip", &conn.ip),
            ],
            conn.queued as f64,
        );
    }
    m.family(
        "bearerbox_box_online_seconds",
        "gauge",
        "Seconds since this box connected.",
    );
    for conn in &status.boxes {
        m.sample(
            "bearerbox_box_online_seconds",
            &[
                ("box_id", conn.id.as_deref().unwrap_or_default()),
                ("ip", &conn.ip),
            ],
            conn.online_seconds as f64,
        );
    }

    m.family(
        "bearerbox_queue_depth",
        "gauge",
        "Messages in each store lane.",
    );
    for lane in &status.lanes {
        m.sample(
            "bearerbox_queue_depth",
            &[("lane", &lane.name), ("direction", lane.direction.label())],
            lane.count as f64,
        );
    }
    m.family(
        "bearerbox_queue_oldest_age_seconds",
        "gauge",
        "Age of the oldest message of each store lane.",
    );
    for lane in &status.lanes {
        m.sample(
            "bearerbox_queue_oldest_age_seconds",
            &[("lane", &lane.name), ("direction", lane.direction.label())],
            lane.oldest_age_seconds as f64,
        );
    }

    m.single(
        "bearerbox_dlr_unmatched_total",
        "counter",
        "Delivery reports whose message id matched no submission.",
        status.dlr.unmatched as f64,
    );

    let store = &status.store;
    m.single(
        "bearerbox_store_commits_total",
        "counter",
        "Transactions the store writer committed.",
        store.commits as f64,
    );
    m.single(
        "bearerbox_store_operations_total",
        "counter",
        "Operations grouped into those commits.",
        store.operations as f64,
    );
    m.single(
        "bearerbox_store_commit_seconds_total",
        "counter",
        "Time spent committing; divided by the commits, the commit latency.",
        store.commit_micros as f64 / 1e6,
    );
    m.out
}

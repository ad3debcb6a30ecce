//! `status.json` and `store-status.json`: the same snapshot for programs
//! that would rather not parse Kannel's text or XML. Rates are numbers,
//! durations are seconds.

use serde_json::{Value, json};

use crate::model::{Rates, Status, StoredItem};

fn rates(rates: &Rates) -> Value {
    json!({
        "minute": rates.minute,
        "five_minutes": rates.five_minutes,
        "lifetime": rates.lifetime,
    })
}

pub fn status_json(status: &Status) -> String {
    let sms = &status.sms;
    let dlr = &status.dlr;
    let boxes: Vec<Value> = status
        .boxes
        .iter()
        .map(|conn| {
            json!({
                "type": conn.kind,
                "id": conn.id,
                "ip": conn.ip,
                "queued": conn.queued,
                "online_seconds": conn.online_seconds,
                "ssl": conn.ssl,
            })
        })
        .collect();
    let smscs: Vec<Value> = status
        .smscs
        .iter()
        .map(|smsc| {
            let online_seconds = match smsc.status {
                crate::model::LinkStatus::Online { seconds } => Some(seconds),
                _ => None,
            };
            json!({
                "id": smsc.id,
                "admin_id": smsc.admin_id,
                "name": smsc.name,
                "state": smsc.status.word(),
                "online_seconds": online_seconds,
                "received": smsc.received,
                "sent": smsc.sent,
                "failed": smsc.failed,
                "queued": smsc.queued,
                "dlr": { "received": smsc.dlr_received, "sent": smsc.dlr_sent },
                "inbound": rates(&smsc.inbound),
                "outbound": rates(&smsc.outbound),
            })
        })
        .collect();
    let lanes: Vec<Value> = status
        .lanes
        .iter()
        .map(|lane| {
            json!({
                "name": lane.name,
                "direction": lane.direction.label(),
                "count": lane.count,
                "oldest_age_seconds": lane.oldest_age_seconds,
            })
        })
        .collect();
    json!({
        "version": status.version.trim_end(),
        "state": status.state.kannel(),
        "uptime_seconds": status.uptime_seconds,
        "sms": {
            "received": sms.received,
            "received_queued": sms.received_queued,
            "sent": sms.sent,
            "sent_queued": sms.sent_queued,
            "store_size": sms.store_size,
            "inbound": rates(&sms.inbound),
            "outbound": rates(&sms.outbound),
        },
        "dlr": {
            "received": dlr.received,
            "sent": dlr.sent,
            "queued": dlr.queued,
            "storage": dlr.storage,
            "inbound": rates(&dlr.inbound),
            "outbound": rates(&dlr.outbound),
        },
        "boxes": boxes,
        "smscs": smscs,
        "lanes": lanes,
        "store": {
            "commits": status.store.commits,
            "operations": status.store.operations,
            "commit_seconds": status.store.commit_micros as f64 / 1e6,
        },
    })
    .to_string()
}

pub fn store_json(items: &[StoredItem]) -> String {
    let messages: Vec<Value> = items
        .iter()
        .map(|item| {
            json!({
                "id": item.id,
                "type": item.kind,
                "time": item.time,
                "sender": item.sender,
                "receiver": item.receiver,
                "smsc_id": item.smsc_id,
                "box_id": item.box_id,
                "flags": item.flags,
                "udh": item.udh,
                "message": item.message,
            })
        })
        .collect();
    json!({ "messages": messages }).to_string()
}

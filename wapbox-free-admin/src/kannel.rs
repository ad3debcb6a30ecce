//! The status and store-status documents in Kannel's own text and XML, byte
//! for byte, so that scripts and monitors written for Kannel read ours.

use std::fmt::Write as _;

use crate::model::{Status, StoredItem, kannel_duration};
use crate::reply::{HTML_HEAD, HTML_TAIL, XML_HEAD, XML_TAIL, escape_xml};

/// `status` as `text/plain`.
pub fn status_text(status: &Status) -> String {
    let mut out = String::new();
    let sms = &status.sms;
    let dlr = &status.dlr;
    let _ = write!(
        out,
        "{}\n\n\nStatus: {}, uptime {}\n\n\
         WDP: received 0 (0 queued), sent 0 (0 queued)\n\n\
         SMS: received {} ({} queued), sent {} ({} queued), store size {}\n\
         SMS: inbound ({}) msg/sec, outbound ({}) msg/sec\n\n\
         DLR: received {}, sent {}\n\
         DLR: inbound ({}) msg/sec, outbound ({}) msg/sec\n\
         DLR: {} queued, using {} storage\n\n",
        status.version.trim_end_matches('\n'),
        status.state.kannel(),
        kannel_duration(status.uptime_seconds),
        sms.received,
        sms.received_queued,
        sms.sent,
        sms.sent_queued,
        sms.store_size,
        sms.inbound.kannel(),
        sms.outbound.kannel(),
        dlr.received,
        dlr.sent,
        dlr.inbound.kannel(),
        dlr.outbound.kannel(),
        dlr.queued,
        dlr.storage,
    );
    if status.boxes.is_empty() {
        out.push_str("No boxes connected\n\n");
    } else {
        out.push_str("Box connections:\n");
        for conn in &status.boxes {
            let _ = writeln!(
                out,
                "    {}:{}, IP {} ({} queued), (on-line {}) {} ",
                conn.kind,
                conn.id.as_deref().unwrap_or("(none)"),
                conn.ip,
                conn.queued,
                kannel_duration(conn.online_seconds),
                if conn.ssl { "using SSL" } else { "" },
            );
        }
        out.push_str("\n\n");
    }
    if status.smscs.is_empty() {
        out.push_str("No SMSC connections\n\n");
    } else {
        out.push_str("SMSC connections:\n");
        for smsc in &status.smscs {
            let _ = writeln!(
                out,
                "    {}[{}]    {} ({}, rcvd: sms {} ({}) / dlr {} ({}), sent: sms {} ({}) / dlr {} ({}), failed {}, queued {} msgs)",
                smsc.id,
                smsc.admin_id,
                smsc.name,
                smsc.status.kannel(),
                smsc.received,
                smsc.inbound.kannel(),
                smsc.dlr_received,
                smsc.dlr_inbound.kannel(),
                smsc.sent,
                smsc.outbound.kannel(),
                smsc.dlr_sent,
                smsc.dlr_outbound.kannel(),
                smsc.failed,
                smsc.queued,
            );
        }
        out.push_str("\n\n");
    }
    out
}

/// `status.xml`, with Kannel's elements, order and indentation.
pub fn status_xml(status: &Status) -> String {
    let sms = &status.sms;
    let dlr = &status.dlr;
    let mut out = String::from(XML_HEAD);
    let _ = write!(
        out,
        "<version>{}\n</version>\n<status>{}, uptime {}</status>\n\
         \t<wdp>\n\t\t<received><total>0</total><queued>0</queued></received>\n\
         \t\t<sent><total>0</total><queued>0</queued></sent>\n\t</wdp>\n\
         \t<sms>\n\t\t<received><total>{}</total><queued>{}</queued></received>\n\
         \t\t<sent><total>{}</total><queued>{}</queued></sent>\n\
         \t\t<storesize>{}</storesize>\n\
         \t\t<inbound>{}</inbound>\n\t\t<outbound>{}</outbound>\n\t\t</sms>\n\
         \t<dlr>\n\t\t<received><total>{}</total></received>\n\
         \t\t<sent><total>{}</total></sent>\n\
         \t\t<inbound>{}</inbound>\n\t\t<outbound>{}</outbound>\n\
         \t\t<queued>{}</queued>\n\t\t<storage>{}</storage>\n\t</dlr>\n<boxes>\n",
        escape_xml(status.version.trim_end_matches('\n')),
        status.state.kannel(),
        kannel_duration(status.uptime_seconds),
        sms.received,
        sms.received_queued,
        sms.sent,
        sms.sent_queued,
        sms.store_size,
        sms.inbound.kannel(),
        sms.outbound.kannel(),
        dlr.received,
        dlr.sent,
        dlr.inbound.kannel(),
        dlr.outbound.kannel(),
        dlr.queued,
        escape_xml(&dlr.storage),
    );
    for conn in &status.boxes {
        let _ = write!(
            out,
            "\t<box>\n\t\t<type>{}</type>\n\t\t<id>{}</id>\n\t\t<IP>{}</IP>\n\
             \t\t<queue>{}</queue>\n\t\t<status>on-line {}</status>\n\t\t<ssl>{}</ssl>\n\t</box>",
            escape_xml(&conn.kind),
            escape_xml(conn.id.as_deref().unwrap_or_default()),
            escape_xml(&conn.ip),
            conn.queued,
            kannel_duration(conn.online_seconds),
            if conn.ssl { "yes" } else { "no" },
        );
    }
    if status.boxes.is_empty() {
        out.push('\t');
    }
    let _ = write!(
        out,
        "</boxes>\n<smscs><count>{}</count>\n",
        status.smscs.len()
    );
    for smsc in &status.smscs {
        let _ = write!(
            out,
            "\t<smsc>\n\t\t<name>{}</name>\n\t\t<admin-id>{}</admin-id>\n\t\t<id>{}</id>\n\
             \t\t<status>{}</status>\n\t\t<failed>{}</failed>\n\t\t<queued>{}</queued>\n\
             \t\t<sms>\n\t\t\t<received>{}</received>\n\t\t\t<sent>{}</sent>\n\
             \t\t\t<inbound>{}</inbound>\n\t\t\t<outbound>{}</outbound>\n\t\t</sms>\n\
             \t\t<dlr>\n\t\t\t<received>{}</received>\n\t\t\t<sent>{}</sent>\n\
             \t\t\t<inbound>{}</inbound>\n\t\t\t<outbound>{}</outbound>\n\t\t</dlr>\n\t</smsc>\n",
            escape_xml(&smsc.name),
            escape_xml(&smsc.admin_id),
            escape_xml(&smsc.id),
            smsc.status.kannel(),
            smsc.failed,
            smsc.queued,
            smsc.received,
            smsc.sent,
            smsc.inbound.kannel(),
            smsc.outbound.kannel(),
            smsc.dlr_received,
            smsc.dlr_sent,
            smsc.dlr_inbound.kannel(),
            smsc.dlr_outbound.kannel(),
        );
    }
    out.push_str("</smscs>\n");
    out.push_str(XML_TAIL);
    out
}

const STORE_COLUMNS: [&str; 10] = [
    "SMS ID", "Type", "Time", "Sender", "Receiver", "SMSC ID", "BOX ID", "Flags", "UDH", "Message",
];

fn fields(item: &StoredItem) -> [&str; 10] {
    [
        &item.id,
        &item.kind,
        &item.time,
        &item.sender,
        &item.receiver,
        &item.smsc_id,
        &item.box_id,
        &item.flags,
        &item.udh,
        &item.message,
    ]
}

/// `store-status` as text: a bracketed header, then one line a message.
pub fn store_text(items: &[StoredItem]) -> String {
    let bracket = |cells: &[&str]| {
        cells
            .iter()
            .map(|cell| format!("[{cell}]"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = bracket(&STORE_COLUMNS);
    out.push('\n');
    for item in items {
        out.push_str(&bracket(&fields(item)));
        out.push('\n');
    }
    out
}

/// `store-status.html`: Kannel's bordered table.
pub fn store_html(items: &[StoredItem]) -> String {
    let row = |cells: &[&str]| {
        let tds: String = cells
            .iter()
            .map(|cell| format!("<td>{}</td>", escape_xml(cell)))
            .collect();
        format!("<tr>{tds}</tr>\n")
    };
    let mut out = format!("{HTML_HEAD}<p><table border=1>\n");
    out.push_str(&row(&STORE_COLUMNS));
    for item in items {
        out.push_str(&row(&fields(item)));
    }
    out.push_str("</table></p>\n");
    out.push_str(HTML_TAIL);
    out
}

/// `store-status.xml`: one `<message>` a message.
pub fn store_xml(items: &[StoredItem]) -> String {
    const TAGS: [&str; 10] = [
        "id", "type", "time", "sender", "receiver", "smsc-id", "box-id", "flags", "udh-data",
        "msg-data",
    ];
    let mut out = String::from(XML_HEAD);
    for item in items {
        out.push_str("\t<message>\n");
        for (tag, value) in TAGS.iter().zip(fields(item)) {
            let _ = writeln!(out, "\t\t<{tag}>{}</{tag}>", escape_xml(value));
        }
        out.push_str("\t</message>\n");
    }
    out.push_str(XML_TAIL);
    out
}

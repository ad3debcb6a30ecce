//! The status page for people: `status.html`. One glance says whether the
//! gateway runs and which SMSC links are up; it fits a phone and refreshes
//! itself. Kannel's own formats stay in [`crate::kannel`] for machines.

use std::fmt::Write as _;

use crate::model::{GatewayState, LinkStatus, Rates, Status};
use crate::reply::escape_xml;

/// Seconds between the page's own refreshes.
pub const REFRESH_SECONDS: u32 = 10;

const STYLE: &str = r#"
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--muted:#667085;--line:#e4e7ec;
--ok:#067647;--ok-bg:#dcfae6;--warn:#b54708;--warn-bg:#fef0c7;--bad:#b42318;--bad-bg:#fee4e2;--idle:#475467;--idle-bg:#eaecf0}
@media (prefers-color-scheme:dark){:root{--bg:#0f1419;--card:#1a2029;--ink:#e6e9ef;--muted:#98a2b3;--line:#2c3440;
--ok:#75e0a7;--ok-bg:#053321;--warn:#fec84b;--warn-bg:#4e1d09;--bad:#fda29b;--bad-bg:#55160c;--idle:#d0d5dd;--idle-bg:#344054}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:980px;margin:0 auto;padding:16px 14px 28px}
header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 12px;margin-bottom:4px}
h1{font-size:22px;margin:0;letter-spacing:-.01em}
h2{font-size:16px;margin:22px 0 8px;display:flex;align-items:baseline;gap:8px}
h2 small{font-weight:400;color:var(--muted);font-size:13px}
.sub{color:var(--muted);font-size:13px;margin:0 0 14px}
.badge,.pill{display:inline-block;border-radius:999px;font-weight:600;white-space:nowrap}
.badge{padding:3px 12px;font-size:14px}
.pill{padding:1px 8px;font-size:12px;margin-left:2px;vertical-align:1px}
.ok{color:var(--ok);background:var(--ok-bg)}.warn{color:var(--warn);background:var(--warn-bg)}
.bad{color:var(--bad);background:var(--bad-bg)}.idle{color:var(--idle);background:var(--idle-bg)}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(112px,1fr));gap:8px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:8px 10px}
.tile b{display:block;font-size:22px;font-variant-numeric:tabular-nums;line-height:1.2}
.tile span{display:block;color:var(--muted);font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:14px}
@media (max-width:560px){td,th{padding:8px 5px}th{letter-spacing:0;font-size:11px}table{font-size:13.5px}td:first-child,th:first-child{padding-left:10px}}
th{text-align:left;font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;padding:8px 10px;border-bottom:1px solid var(--line)}
td{padding:9px 10px;border-bottom:1px solid var(--line);vertical-align:top}
tr:last-child td{border-bottom:0}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.id{font-weight:600}.meta{display:block;color:var(--muted);font-size:12px;white-space:nowrap}
.admin{color:var(--muted);font-weight:400}
.empty{color:var(--muted);padding:12px}
footer{margin-top:22px;color:var(--muted);font-size:12.5px}
footer a{color:inherit}
"#;

fn state_class(state: GatewayState) -> &'static str {
    match state {
        GatewayState::Running => "ok",
        GatewayState::Suspended | GatewayState::Isolated | GatewayState::Full => "warn",
        GatewayState::ShuttingDown => "bad",
    }
}

fn link_class(status: LinkStatus) -> &'static str {
    match status {
        LinkStatus::Online { .. } => "ok",
        LinkStatus::Connecting | LinkStatus::Reconnecting => "warn",
        LinkStatus::Disconnected | LinkStatus::Dead => "bad",
        LinkStatus::Unknown => "idle",
    }
}

/// `3d 4h`, `5m 3s`: the two largest units, for small spaces.
pub fn short_duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

fn per_second(rates: &Rates) -> String {
    format!("{:.2}/s, 1 min", rates.minute)
}

/// The page; `query` (`?password=…` or empty) is carried into its links.
pub fn status_page(status: &Status, query: &str) -> String {
    let query = escape_xml(query);
    let state = status.state.kannel();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\">\n\
         <title>bearerbox · {state}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <header><h1>bearerbox</h1><span class=\"badge {}\">{state}</span></header>\n\
         <p class=\"sub\">up {} · {}</p>\n",
        state_class(status.state),
        short_duration(status.uptime_seconds),
        escape_xml(status.version.lines().next().unwrap_or_default()),
    );

    let sms = &status.sms;
    let tiles = [
        (sms.sent, "MT sent", per_second(&sms.outbound)),
        (sms.sent_queued, "MT queued", "for an SMSC".to_owned()),
        (sms.received, "MO received", per_second(&sms.inbound)),
        (sms.received_queued, "MO queued", "for a box".to_owned()),
        (
            status.dlr.received,
            "DLRs received",
            format!("{} awaited", status.dlr.queued),
        ),
        (sms.store_size.max(0) as u64, "stored", "on disk".to_owned()),
    ];
    out.push_str("<section class=\"tiles\">\n");
    for (value, label, detail) in tiles {
        let _ = writeln!(
            out,
            "<div class=\"tile\"><span>{label}</span><b>{value}</b><span>{detail}</span></div>"
        );
    }
    out.push_str("</section>\n");

    let online = status
        .smscs
        .iter()
        .filter(|smsc| matches!(smsc.status, LinkStatus::Online { .. }))
        .count();
    let _ = write!(
        out,
        "<h2>SMSC links <small>{online} of {} online</small></h2>\n<div class=\"card\">",
        status.smscs.len()
    );
    if status.smscs.is_empty() {
        out.push_str("<p class=\"empty\">No SMSC links configured.</p>");
    } else {
        out.push_str(
            "<table>\n<thead><tr><th>Link</th><th class=\"n\">Sent</th>\
             <th class=\"n\">Rcvd</th><th class=\"n\">Fail</th><th class=\"n\">Queue</th></tr></thead>\n<tbody>\n",
        );
        for smsc in &status.smscs {
            let since = match smsc.status {
                LinkStatus::Online { seconds } => format!(" · for {}", short_duration(seconds)),
                _ => String::new(),
            };
            // Kannel's `id[admin-id]`, the admin id being what commands take.
            let admin = if smsc.admin_id != smsc.id {
                format!(
                    " <span class=\"admin\">[{}]</span>",
                    escape_xml(&smsc.admin_id)
                )
            } else {
                String::new()
            };
            // The state sits beside the name, where the eye lands first.
            let _ = writeln!(
                out,
                "<tr><td><span class=\"id\">{}</span>{admin} <span class=\"pill {}\">{}</span>\
                 <span class=\"meta\">{}{since}</span></td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape_xml(&smsc.id),
                link_class(smsc.status),
                smsc.status.word(),
                escape_xml(&smsc.name),
                smsc.sent,
                smsc.received,
                smsc.failed,
                smsc.queued,
            );
        }
        out.push_str("</tbody>\n</table>");
    }
    out.push_str("</div>\n");

    let _ = write!(
        out,
        "<h2>Boxes <small>{} connected</small></h2>\n<div class=\"card\">",
        status.boxes.len()
    );
    if status.boxes.is_empty() {
        out.push_str("<p class=\"empty\">No boxes connected.</p>");
    } else {
        out.push_str(
            "<table>\n<thead><tr><th>Box</th><th>Address</th><th class=\"n\">Queued</th><th class=\"n\">Up</th></tr></thead>\n<tbody>\n",
        );
        for conn in &status.boxes {
            let _ = writeln!(
                out,
                "<tr><td><span class=\"id\">{}</span><span class=\"meta\">{}</span></td><td>{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape_xml(conn.id.as_deref().unwrap_or("(no id)")),
                escape_xml(&conn.kind),
                escape_xml(&conn.ip),
                conn.queued,
                short_duration(conn.online_seconds),
            );
        }
        out.push_str("</tbody>\n</table>");
    }
    out.push_str("</div>\n");

    if !status.lanes.is_empty() {
        out.push_str(
            "<h2>Queues</h2>\n<div class=\"card\"><table>\n<thead><tr><th>Lane</th>\
             <th class=\"n\">Messages</th><th class=\"n\">Oldest</th></tr></thead>\n<tbody>\n",
        );
        for lane in &status.lanes {
            let _ = writeln!(
                out,
                "<tr><td><span class=\"id\">{}</span><span class=\"meta\">{}</span></td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape_xml(&lane.name),
                lane.direction.label(),
                lane.count,
                short_duration(lane.oldest_age_seconds),
            );
        }
        out.push_str("</tbody>\n</table></div>\n");
    }

    let _ = write!(
        out,
        "<footer>Refreshes every {REFRESH_SECONDS} s · also as \
         <a href=\"status.txt{query}\">text</a> · <a href=\"status.xml{query}\">XML</a> · \
         <a href=\"status.json{query}\">JSON</a> · <a href=\"metrics{query}\">metrics</a> · \
         <a href=\"store-status.html{query}\">store</a></footer>\n</main>\n</body>\n</html>\n"
    );
    out
}

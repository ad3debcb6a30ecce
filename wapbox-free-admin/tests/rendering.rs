//! The renderers on a fixed snapshot: Kannel's text and XML byte for byte
//! (as Kannel 1.4.5 wrote them for the same state, version block aside),
//! and the formats of our own.

use wapbox_free_admin::model::{
    BoxStatus, DlrTotals, GatewayState, LaneDepth, LaneDirection, LinkStatus, Rates, SmsTotals,
    SmscStatus, Status, StoreStats,
};
use wapbox_free_admin::{json, kannel, page, prometheus};

fn snapshot() -> Status {
    Status {
        version: "Kannel bearerbox version `1.4.5'.\n".into(),
        state: GatewayState::Running,
        uptime_seconds: 3,
        sms: SmsTotals {
            store_size: 0,
            ..SmsTotals::default()
        },
        dlr: DlrTotals {
            storage: "internal".into(),
            ..DlrTotals::default()
        },
        boxes: vec![BoxStatus {
            kind: "smsbox".into(),
            id: None,
            ip: "127.0.0.1".into(),
            queued: 0,
            online_seconds: 2,
            ssl: false,
        }],
        smscs: vec![SmscStatus {
            id: "fake1".into(),
            admin_id: "fakeA".into(),
            name: "FAKE:23902".into(),
            status: LinkStatus::Connecting,
            received: 0,
            sent: 0,
            failed: 0,
            queued: 0,
            dlr_received: 0,
            dlr_sent: 0,
            inbound: Rates::default(),
            outbound: Rates::default(),
            dlr_inbound: Rates::default(),
            dlr_outbound: Rates::default(),
        }],
        lanes: vec![LaneDepth {
            name: "smsc:0".into(),
            direction: LaneDirection::ToSmsc,
            count: 2,
            oldest_age_seconds: 61,
        }],
        store: StoreStats {
            commits: 4,
            operations: 9,
            commit_micros: 1500,
        },
    }
}

#[test]
fn the_text_status_is_kannels_byte_for_byte() {
    let expected = "Kannel bearerbox version `1.4.5'.\n\n\n\
Status: running, uptime 0d 0h 0m 3s\n\n\
WDP: received 0 (0 queued), sent 0 (0 queued)\n\n\
SMS: received 0 (0 queued), sent 0 (0 queued), store size 0\n\
SMS: inbound (0.00,0.00,0.00) msg/sec, outbound (0.00,0.00,0.00) msg/sec\n\n\
DLR: received 0, sent 0\n\
DLR: inbound (0.00,0.00,0.00) msg/sec, outbound (0.00,0.00,0.00) msg/sec\n\
DLR: 0 queued, using internal storage\n\n\
Box connections:\n    smsbox:(none), IP 127.0.0.1 (0 queued), (on-line 0d 0h 0m 2s)  \n\n\n\
SMSC connections:\n    fake1[fakeA]    FAKE:23902 (connecting, rcvd: sms 0 (0.00,0.00,0.00) / dlr 0 (0.00,0.00,0.00), sent: sms 0 (0.00,0.00,0.00) / dlr 0 (0.00,0.00,0.00), failed 0, queued 0 msgs)\n\n\n";
    assert_eq!(kannel::status_text(&snapshot()), expected);
}

#[test]
fn without_boxes_the_text_says_so_as_kannel_does() {
    let mut status = snapshot();
    status.boxes.clear();
    assert!(
        kannel::status_text(&status)
            .contains("using internal storage\n\nNo boxes connected\n\nSMSC connections:\n")
    );
}

#[test]
fn the_xml_status_is_kannels_byte_for_byte() {
    let expected = "<?xml version=\"1.0\"?>\n<gateway>\n<version>Kannel bearerbox version `1.4.5'.\n</version>\n\
<status>running, uptime 0d 0h 0m 3s</status>\n\
\t<wdp>\n\t\t<received><total>0</total><queued>0</queued></received>\n\t\t<sent><total>0</total><queued>0</queued></sent>\n\t</wdp>\n\
\t<sms>\n\t\t<received><total>0</total><queued>0</queued></received>\n\t\t<sent><total>0</total><queued>0</queued></sent>\n\
\t\t<storesize>0</storesize>\n\t\t<inbound>0.00,0.00,0.00</inbound>\n\t\t<outbound>0.00,0.00,0.00</outbound>\n\t\t</sms>\n\
\t<dlr>\n\t\t<received><total>0</total></received>\n\t\t<sent><total>0</total></sent>\n\
\t\t<inbound>0.00,0.00,0.00</inbound>\n\t\t<outbound>0.00,0.00,0.00</outbound>\n\t\t<queued>0</queued>\n\t\t<storage>internal</storage>\n\t</dlr>\n\
<boxes>\n\t<box>\n\t\t<type>smsbox</type>\n\t\t<id></id>\n\t\t<IP>127.0.0.1</IP>\n\t\t<queue>0</queue>\n\t\t<status>on-line 0d 0h 0m 2s</status>\n\t\t<ssl>no</ssl>\n\t</box></boxes>\n\
<smscs><count>1</count>\n\t<smsc>\n\t\t<name>FAKE:23902</name>\n\t\t<admin-id>fakeA</admin-id>\n\t\t<id>fake1</id>\n\t\t<status>connecting</status>\n\
\t\t<failed>0</failed>\n\t\t<queued>0</queued>\n\t\t<sms>\n\t\t\t<received>0</received>\n\t\t\t<sent>0</sent>\n\
\t\t\t<inbound>0.00,0.00,0.00</inbound>\n\t\t\t<outbound>0.00,0.00,0.00</outbound>\n\t\t</sms>\n\
\t\t<dlr>\n\t\t\t<received>0</received>\n\t\t\t<sent>0</sent>\n\t\t\t<inbound>0.00,0.00,0.00</inbound>\n\t\t\t<outbound>0.00,0.00,0.00</outbound>\n\t\t</dlr>\n\t</smsc>\n\
</smscs>\n</gateway>\n";
    assert_eq!(kannel::status_xml(&snapshot()), expected);
}

#[test]
fn text_from_outside_is_escaped_in_xml_and_html() {
    let mut status = snapshot();
    status.smscs[0].id = "<b>&".into();
    assert!(kannel::status_xml(&status).contains("<id>&lt;b&gt;&amp;</id>"));
    let html = page::status_page(&status, "?password=\"><script>");
    assert!(html.contains("&lt;b&gt;&amp;"));
    assert!(!html.contains("<script>"));
}

#[test]
fn the_page_shows_each_link_state_as_a_coloured_pill() {
    let mut status = snapshot();
    status.smscs[0].status = LinkStatus::Online { seconds: 75 };
    let html = page::status_page(&status, "");
    assert!(html.contains("<span class=\"pill ok\">online</span>"));
    assert!(html.contains("FAKE:23902 · for 1m 15s"));
    assert!(html.contains("<meta name=\"viewport\""));
    assert!(html.contains("<meta http-equiv=\"refresh\" content=\"10\">"));
    status.smscs[0].status = LinkStatus::Dead;
    assert!(page::status_page(&status, "").contains("<span class=\"pill bad\">dead</span>"));
}

#[test]
fn json_carries_rates_as_numbers_and_lanes_with_their_age() {
    let mut status = snapshot();
    status.sms.outbound = Rates {
        minute: 1.5,
        five_minutes: 0.5,
        lifetime: 0.25,
    };
    let value: serde_json::Value = serde_json::from_str(&json::status_json(&status)).unwrap();
    assert_eq!(value["sms"]["outbound"]["minute"], 1.5);
    assert_eq!(value["lanes"][0]["oldest_age_seconds"], 61);
    assert_eq!(value["smscs"][0]["state"], "connecting");
    assert_eq!(value["store"]["commit_seconds"], 0.0015);
}

#[test]
fn metrics_escape_label_values_and_type_every_family() {
    let mut status = snapshot();
    status.smscs[0].id = "a\"b\\c\nd".into();
    let text = prometheus::metrics(&status);
    assert!(
        text.contains("bearerbox_smsc_sent_total{smsc=\"a\\\"b\\\\c\\nd\",admin_id=\"fakeA\"} 0\n")
    );
    assert!(text.contains("bearerbox_queue_depth{lane=\"smsc:0\",direction=\"mt\"} 2\n"));
    assert!(
        text.contains("bearerbox_queue_oldest_age_seconds{lane=\"smsc:0\",direction=\"mt\"} 61\n")
    );
    assert!(text.contains("bearerbox_store_commit_seconds_total 0.0015\n"));
    let families = text.lines().filter(|l| l.starts_with("# TYPE ")).count();
    let helps = text.lines().filter(|l| l.starts_with("# HELP ")).count();
    assert_eq!(families, helps);
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap_or_default();
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "{name} has no TYPE"
        );
    }
}

//! The status documents: Kannel's text and XML as Kannel's own monitor reads
//! them, JSON, Prometheus metrics, and the HTML page as a browser shows it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use box_protocol::message::{AckStatus, Msg};
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::fake_client::FakeClient;
use tests::gateway::{Setup, http_get, wait_until};
use tests::ports::{self, Port};

const WAIT: Duration = Duration::from_secs(10);
const MONITOR: &str = "/usr/share/kannel/contrib/kannel-monitor";
const CHROMIUM: &str = "/usr/bin/chromium";

fn fake_link(conf: ConfText, id: &str, admin_id: &str, port: &Port) -> ConfText {
    let port = port.number().to_string();
    conf.group(
        "smsc",
        &[
            ("smsc", "fake"),
            ("smsc-id", id),
            ("smsc-admin-id", admin_id),
            ("port", &port),
            ("our-host", "127.0.0.1"),
        ],
    )
}

fn get(setup: &Setup, target: &str) -> Result<String, tests::HarnessError> {
    let (code, body) = http_get(setup.ports.admin.number(), target)?;
    assert_eq!(code, 200, "{target}");
    Ok(body)
}

/// A gateway with traffic behind it: `fake1` online (one MT sent, one MO
/// received), `fake2` stopped by command, `fake3` waiting for its client,
/// one box (without an smsbox-id, so that it gets the MO).
struct Busy {
    setup: Setup,
    _bearerbox: tests::gateway::BoxProcess,
    _links: FakeClient,
    _boxc: BoxClient,
}

fn busy_gateway() -> Result<Busy, Box<dyn std::error::Error>> {
    let ports = [ports::reserve()?, ports::reserve()?, ports::reserve()?];
    let setup = Setup::with_conf(|conf| {
        let text = conf.text().replacen(
            "admin-password = secret\n",
            "admin-password = secret\nstatus-password = look\n",
            1,
        );
        let conf = fake_link(ConfText::new().raw(&text), "fake1", "alpha", &ports[0]);
        let conf = fake_link(conf, "fake2", "beta", &ports[1]);
        fake_link(conf, "fake3", "gamma", &ports[2])
    })?;
    let bearerbox = setup.start_bearerbox(&[])?;
    let mut link = FakeClient::connect(ports[0].number(), WAIT)?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    wait_until("fake1 comes online", WAIT, || {
        Ok(get(&setup, "/status?password=look")?.contains("(online "))
    })?;
    assert_eq!(
        get(&setup, "/stop-smsc?smsc=beta&password=secret")?,
        "SMSC `beta' shut down"
    );
    let message = mt("12345", "4670000001", "hello");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Success)]);
    assert!(link.read_line(WAIT)?.is_some());
    link.send_line("4670000002 5555 text hi there")?;
    match boxc.next(WAIT)? {
        Msg::Sms(mo) => boxc.ack(&mo)?,
        other => return Err(format!("expected an MO, got a {}", other.type_name()).into()),
    }
    wait_until("the counters settle", WAIT, || {
        let page = get(&setup, "/status?password=look")?;
        Ok(page.contains("SMS: received 1 (0 queued), sent 1 (0 queued)"))
    })?;
    Ok(Busy {
        setup,
        _bearerbox: bearerbox,
        _links: link,
        _boxc: boxc,
    })
}

#[test]
fn the_text_status_has_kannel_lines() -> TestResult {
    let busy = busy_gateway()?;
    let page = get(&busy.setup, "/status.txt?password=look")?;
    let lines: Vec<&str> = page.lines().collect();
    assert!(lines[0].starts_with("Kannel bearerbox version `"), "{page}");
    for expected in [
        "WDP: received 0 (0 queued), sent 0 (0 queued)",
        "SMS: received 1 (0 queued), sent 1 (0 queued), store size 0",
        "DLR: received 0, sent 0",
        "DLR: 0 queued, using sqlite storage",
        "Box connections:",
        "SMSC connections:",
    ] {
        assert!(lines.contains(&expected), "no line {expected:?} in\n{page}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Status: running, uptime 0d 0h 0m "))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("SMS: inbound (") && l.ends_with(") msg/sec"))
    );
    assert!(lines.iter().any(|l| {
        l.starts_with("    smsbox:(none), IP 127.0.0.1 (0 queued), (on-line 0d 0h 0m ")
            && l.ends_with(")  ")
    }));
    let fake1 = lines
        .iter()
        .find(|l| l.starts_with("    fake1[alpha]    FAKE:"))
        .ok_or("no fake1 line")?;
    assert!(fake1.contains(" (online "), "{fake1}");
    assert!(fake1.contains("rcvd: sms 1 ("), "{fake1}");
    assert!(fake1.contains("sent: sms 1 ("), "{fake1}");
    assert!(fake1.ends_with(", failed 0, queued 0 msgs)"), "{fake1}");
    assert!(page.contains("    fake2[beta]    FAKE:"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    fake2[beta]") && l.contains(" (dead, "))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    fake3[gamma]") && l.contains(" (connecting, "))
    );
    Ok(())
}

/// A PHP driver that runs the parsing code path of Kannel's `kannel-monitor`
/// (its `xmltoarray.php` and `xmlfunc.php`, as its `index.php` calls them)
/// on our `status.xml`, and prints what the monitor would show as JSON.
const MONITOR_DRIVER: &str = r#"<?php
error_reporting(0);
$dir = $argv[1];
require_once("$dir/xmlfunc.php");
require_once("$dir/xmltoarray.php");
$xml_data = "";
if (!($fp = fopen($argv[2], "r"))) { exit(2); }
while (!feof($fp)) { $xml_data .= fread($fp, 200000); }
fclose($fp);
$xml_obj = new XmlToArray($xml_data);
// PHP 8 no longer runs a method named after its class as the constructor.
$xml_obj->XmlToArray($xml_data);
$status = cleanup_array($xml_obj->createArray());
for ($i = 0; $i < sizeof($status['smscs']); $i++) {
    clean_branch($status['smscs'][$i], '');
}
// index.php's parse_uptime, with preg_match for the removed ereg.
preg_match("/(.*), uptime (.*)d (.*)h (.*)m (.*)s/", $status['status'], $regs);
$smscs = array();
foreach ($status['smscs'] as $smsc) {
    list($state) = explode(" ", $smsc['status']);
    $smscs[] = array(
        'id' => $smsc['id'], 'admin-id' => $smsc['admin-id'], 'name' => $smsc['name'],
        'state' => $state, 'received' => $smsc['sms'][0]['received'],
        'sent' => $smsc['sms'][0]['sent'], 'failed' => $smsc['failed'],
        'queued' => $smsc['queued'], 'outbound' => $smsc['sms'][0]['outbound'],
    );
}
echo json_encode(array(
    'state' => $regs[1],
    'uptime_days' => $regs[2],
    'version' => $status['version'],
    'sms_inbound' => $status['sms']['inbound'],
    'sms_outbound' => $status['sms']['outbound'],
    'dlr_inbound' => $status['dlr']['inbound'],
    'sms_received' => $status['sms']['received'],
    'sms_sent' => $status['sms']['sent'],
    'boxes' => $status['boxes'],
    'smscs' => $smscs,
    'counts' => count_smsc_status($status['smscs']),
    'split_load' => split_load($status['sms']['outbound']),
));
"#;

#[test]
fn kannel_monitor_reads_our_status_xml() -> TestResult {
    if !Path::new(MONITOR).join("xmlfunc.php").is_file() {
        return Err(format!("{MONITOR} is missing: install kannel-extras (.ci/run does)").into());
    }
    let php = Command::new("php").arg("-v").output();
    if !php.is_ok_and(|out| out.status.success()) {
        return Err("php is missing: install php-cli and php-xml (.ci/run does)".into());
    }
    let busy = busy_gateway()?;
    let driver = busy.setup.path("monitor.php");
    std::fs::write(&driver, MONITOR_DRIVER)?;
    let url = format!(
        "http://127.0.0.1:{}/status.xml?password=look",
        busy.setup.ports.admin.number()
    );
    let out = Command::new("php")
        .arg(&driver)
        .arg(MONITOR)
        .arg(&url)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "php failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_str(&stdout)
        .map_err(|e| format!("the monitor's view is not JSON ({e}): {stdout}"))?;
    assert_eq!(seen["state"], "running", "{seen}");
    assert_eq!(seen["uptime_days"], "0");
    assert!(
        seen["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("Kannel bearerbox version `"))
    );
    assert_eq!(seen["sms_received"]["total"], "1", "{seen}");
    assert_eq!(seen["sms_sent"]["total"], "1", "{seen}");
    // XmlToArray keeps a value only if PHP finds it true: Kannel's zeros
    // reach the monitor as empty strings too.
    assert_eq!(seen["sms_sent"]["queued"], "", "{seen}");
    for rates in ["sms_inbound", "sms_outbound", "dlr_inbound"] {
        let text = seen[rates].as_str().unwrap_or_default();
        assert_eq!(text.split(',').count(), 3, "{rates}: {text}");
    }
    assert_eq!(
        seen["split_load"]
            .as_str()
            .map(|s| s.matches("<td>").count()),
        Some(3)
    );
    assert_eq!(seen["boxes"][0]["type"], "smsbox", "{seen}");
    assert_eq!(seen["boxes"][0]["id"], "");
    assert_eq!(seen["boxes"][0]["IP"], "127.0.0.1");
    assert_eq!(seen["counts"]["online"], 1, "{seen}");
    assert_eq!(seen["counts"]["dead"], 1);
    assert_eq!(seen["counts"]["connecting"], 1);
    let smscs = seen["smscs"].as_array().ok_or("no smscs")?;
    assert_eq!(smscs.len(), 3);
    assert_eq!(smscs[0]["id"], "fake1");
    assert_eq!(smscs[0]["admin-id"], "alpha");
    assert_eq!(smscs[0]["state"], "online");
    assert_eq!(smscs[0]["received"], "1");
    assert_eq!(smscs[0]["sent"], "1");
    assert_eq!(smscs[0]["failed"], "");
    assert!(
        smscs[0]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("FAKE:"))
    );
    assert_eq!(smscs[1]["state"], "dead");
    assert_eq!(smscs[2]["state"], "connecting");
    Ok(())
}

#[test]
fn status_json_carries_the_same_numbers() -> TestResult {
    let busy = busy_gateway()?;
    let json: serde_json::Value =
        serde_json::from_str(&get(&busy.setup, "/status.json?password=look")?)?;
    assert_eq!(json["state"], "running");
    assert_eq!(json["sms"]["received"], 1);
    assert_eq!(json["sms"]["sent"], 1);
    assert_eq!(json["boxes"][0]["ip"], "127.0.0.1");
    assert_eq!(json["smscs"][0]["state"], "online");
    assert_eq!(json["smscs"][1]["state"], "dead");
    assert_eq!(json["smscs"][2]["state"], "connecting");
    assert!(
        json["sms"]["outbound"]["minute"]
            .as_f64()
            .is_some_and(|r| r > 0.0)
    );
    assert!(json["store"]["commits"].as_u64().is_some_and(|c| c > 0));
    Ok(())
}

/// One sample of the text exposition format.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A strict reader of Prometheus' text format 0.0.4: every line is a HELP,
/// a TYPE before its family's samples, or a well-formed sample.
fn parse_exposition(text: &str) -> Result<Vec<Sample>, String> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut finished: HashSet<String> = HashSet::new();
    let mut current: Option<String> = None;
    let mut samples = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let bad = |why: &str| format!("line {}: {why}: {line:?}", number + 1);
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (keyword, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if !is_metric_name(name) {
                return Err(bad("bad metric name"));
            }
            match keyword {
                "HELP" => {}
                "TYPE" => {
                    let kind = parts.next().unwrap_or("");
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(bad("unknown type"));
                    }
                    if types.insert(name.to_owned(), kind.to_owned()).is_some() {
                        return Err(bad("second TYPE for a family"));
                    }
                    if let Some(previous) = current.replace(name.to_owned()) {
                        finished.insert(previous);
                    }
                }
                _ => return Err(bad("unknown comment keyword")),
            }
            continue;
        }
        if line.is_empty() {
            return Err(bad("empty line"));
        }
        let (series, value) = line.rsplit_once(' ').ok_or_else(|| bad("no value"))?;
        let value: f64 = value.parse().map_err(|_| bad("value is not a number"))?;
        let (name, labels) = match series.split_once('{') {
            None => (series, Vec::new()),
            Some((name, rest)) => {
                let body = rest
                    .strip_suffix('}')
                    .ok_or_else(|| bad("unclosed labels"))?;
                (name, parse_labels(body).map_err(|why| bad(&why))?)
            }
        };
        if !is_metric_name(name) {
            return Err(bad("bad metric name"));
        }
        if current.as_deref() != Some(name) || finished.contains(name) {
            return Err(bad("sample outside its family"));
        }
        if types.get(name).is_some_and(|kind| kind == "counter") && !name.ends_with("_total") {
            return Err(bad("a counter's name ends in _total"));
        }
        samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    Ok(samples)
}

fn parse_labels(body: &str) -> Result<Vec<(String, String)>, String> {
    let mut labels = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").ok_or("a label without =\"")?;
        if !is_metric_name(key) || key.contains(':') {
            return Err(format!("bad label name {key:?}"));
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    _ => return Err("bad escape".into()),
                },
                Some((at, '"')) => break at,
                Some((_, c)) => value.push(c),
                None => return Err("unclosed label value".into()),
            }
        };
        labels.push((key.to_owned(), value));
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    Ok(labels)
}

fn value_of(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|(lk, lv)| lk == k && lv == v))
        })
        .map(|s| s.value)
}

#[test]
fn metrics_are_valid_prometheus_text_with_per_smsc_and_per_box_series() -> TestResult {
    let busy = busy_gateway()?;
    let response = tests::http::request(
        busy.setup.ports.admin.number(),
        "GET",
        "/metrics?password=look",
        &[],
        b"",
    )?;
    assert_eq!(
        response.header("Content-Type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let samples = parse_exposition(&response.body)?;
    let fake1 = [("smsc", "fake1"), ("admin_id", "alpha")];
    assert_eq!(
        value_of(&samples, "bearerbox_smsc_sent_total", &fake1),
        Some(1.0)
    );
    assert_eq!(
        value_of(&samples, "bearerbox_smsc_received_total", &fake1),
        Some(1.0)
    );
    assert_eq!(
        value_of(&samples, "bearerbox_smsc_failed_total", &fake1),
        Some(0.0)
    );
    assert_eq!(
        value_of(&samples, "bearerbox_smsc_queued", &fake1),
        Some(0.0)
    );
    assert_eq!(
        value_of(
            &samples,
            "bearerbox_smsc_state",
            &[("smsc", "fake2"), ("state", "dead")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value_of(
            &samples,
            "bearerbox_smsc_state",
            &[("smsc", "fake3"), ("state", "connecting")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value_of(&samples, "bearerbox_state", &[("state", "running")]),
        Some(1.0)
    );
    assert_eq!(
        value_of(&samples, "bearerbox_sms_sent_total", &[]),
        Some(1.0)
    );
    assert_eq!(
        value_of(&samples, "bearerbox_boxes_connected", &[]),
        Some(1.0)
    );
    assert_eq!(
        value_of(
            &samples,
            "bearerbox_box_queued",
            &[("box_id", ""), ("ip", "127.0.0.1")]
        ),
        Some(0.0)
    );
    assert!(value_of(&samples, "bearerbox_store_commits_total", &[]).is_some_and(|c| c > 0.0));
    assert!(value_of(&samples, "bearerbox_store_commit_seconds_total", &[]).is_some());
    assert_eq!(
        value_of(&samples, "bearerbox_dlr_unmatched_total", &[]),
        Some(0.0)
    );
    Ok(())
}

#[test]
fn metrics_show_queue_depth_and_age_while_an_smsc_is_down() -> TestResult {
    let port = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", "fake1", &port))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    for n in 0..3 {
        boxc.send(&Msg::from(mt("12345", "4670000001", &format!("wait {n}"))))?;
    }
    assert_eq!(boxc.acks(3, WAIT)?.len(), 3);
    let samples = parse_exposition(&get(&setup, "/metrics")?)?;
    assert_eq!(
        value_of(
            &samples,
            "bearerbox_queue_depth",
            &[("lane", "smsc:0"), ("direction", "mt")]
        ),
        Some(3.0)
    );
    assert!(
        value_of(
            &samples,
            "bearerbox_queue_oldest_age_seconds",
            &[("lane", "smsc:0")]
        )
        .is_some()
    );
    assert_eq!(
        value_of(&samples, "bearerbox_smsc_queued", &[("smsc", "fake1")]),
        Some(3.0)
    );
    assert_eq!(
        value_of(&samples, "bearerbox_sms_queued", &[("direction", "mt")]),
        Some(3.0)
    );
    Ok(())
}

#[test]
fn the_strict_exposition_reader_refuses_malformed_text() {
    assert!(parse_exposition("# TYPE a_total counter\na_total 1\n").is_ok());
    assert!(
        parse_exposition("a 1\n").is_err(),
        "a sample before its TYPE"
    );
    assert!(
        parse_exposition("# TYPE a counter\na 1\n").is_err(),
        "a counter without _total"
    );
    assert!(parse_exposition("# TYPE a gauge\na{x=\"1} 1\n").is_err());
    assert!(parse_exposition("# TYPE a gauge\na one\n").is_err());
}

/// The PNG's width and height, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(..8)? != b"\x89PNG\r\n\x1a\n" || bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(bytes.get(16..20)?.try_into().ok()?);
    let height = u32::from_be_bytes(bytes.get(20..24)?.try_into().ok()?);
    Some((width, height))
}

#[test]
fn the_html_status_page_renders_in_a_phone_sized_browser() -> TestResult {
    if !Path::new(CHROMIUM).is_file() {
        return Err(
            format!("{CHROMIUM} is missing: install Debian's chromium (.ci/run does)").into(),
        );
    }
    let busy = busy_gateway()?;
    let page = get(&busy.setup, "/status.html?password=look")?;
    assert!(
        page.contains("<meta name=\"viewport\""),
        "readable on a phone"
    );
    assert!(
        page.contains("<meta http-equiv=\"refresh\""),
        "refreshes by itself"
    );
    assert!(page.contains("<span class=\"pill ok\">online</span>"));
    assert!(page.contains("<span class=\"pill bad\">dead</span>"));
    assert!(page.contains("<span class=\"pill warn\">connecting</span>"));

    let profile = busy.setup.path("chromium-profile");
    std::fs::create_dir_all(&profile)?;
    let shot = busy.setup.path("status.png");
    let url = format!(
        "http://127.0.0.1:{}/status.html?password=look",
        busy.setup.ports.admin.number()
    );
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=412,900")
        .arg(&url)
        .output()?;
    let png = std::fs::read(&shot).map_err(|e| {
        format!(
            "no screenshot ({e}); chromium said: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    if let Some(dir) = std::env::var_os("ADMIN_SCREENSHOT_DIR") {
        std::fs::write(Path::new(&dir).join("status.png"), &png)?;
    }
    assert_eq!(png_size(&png), Some((412, 900)));
    // A blank page compresses to a few kilobytes; tables and colours do not.
    assert!(
        png.len() > 20_000,
        "the screenshot is nearly empty: {} bytes",
        png.len()
    );
    Ok(())
}

/// Numbers (counts, rates, ports, uptimes, Kannel's `-1`) as `N`.
fn without_numbers(line: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().any(|c| c.is_ascii_digit()) {
            out.push('N');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in line.chars() {
        if c.is_ascii_digit() || c == '.' || c == '-' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The XML with every text node emptied and the version block left out:
/// the elements, their order and the whitespace between them.
fn xml_skeleton(xml: &str) -> Vec<String> {
    let without_version = match (xml.find("<version>"), xml.find("</version>")) {
        (Some(start), Some(end)) => format!("{}{}", &xml[..start + 9], &xml[end..]),
        _ => xml.to_owned(),
    };
    without_version
        .lines()
        .map(|line| {
            let mut out = String::new();
            let mut in_text = false;
            for c in line.chars() {
                match c {
                    '<' => {
                        in_text = false;
                        out.push(c);
                    }
                    '>' => {
                        in_text = true;
                        out.push(c);
                    }
                    _ if in_text && !c.is_whitespace() => {}
                    _ => out.push(c),
                }
            }
            out
        })
        .collect()
}

/// The text status from its `Status:` line on, numbers and the storage
/// name left out.
fn text_skeleton(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|line| !line.starts_with("Status: "))
        .map(|line| {
            without_numbers(line).replace("using internal storage", "using STORAGE storage")
        })
        .map(|line| line.replace("using sqlite storage", "using STORAGE storage"))
        .collect()
}

#[test]
fn status_xml_and_text_have_kannel_1_4_5_structure_line_for_line() -> TestResult {
    let kannel = Path::new("/usr/sbin/bearerbox");
    if !kannel.is_file() {
        return Err(
            "Kannel's /usr/sbin/bearerbox is missing: install kannel (.ci/run does)".into(),
        );
    }
    let port = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", "fakeA", &port))?;
    let admin = setup.ports.admin.number();
    let fetch = || -> Result<(String, String), tests::HarnessError> {
        wait_until("the status page", WAIT, || {
            Ok(http_get(admin, "/status").is_ok_and(|(_, body)| body.contains("SMSC connections")))
        })?;
        Ok((
            http_get(admin, "/status.xml")?.1,
            http_get(admin, "/status")?.1,
        ))
    };
    let theirs = {
        let mut process = tests::gateway::BoxProcess::spawn_program(
            "kannel-bearerbox",
            kannel,
            ["-v".as_ref(), "1".as_ref(), setup.conf.as_os_str()],
            setup.dir.path(),
        )?;
        process.wait_for_port(admin, tests::gateway::START_TIMEOUT)?;
        let pages = fetch()?;
        process.stop()?;
        pages
    };
    let ours = {
        let _bearerbox = setup.start_bearerbox(&[])?;
        fetch()?
    };
    assert_eq!(
        xml_skeleton(&ours.0),
        xml_skeleton(&theirs.0),
        "status.xml\nours:\n{}\nKannel's:\n{}",
        ours.0,
        theirs.0
    );
    assert_eq!(
        text_skeleton(&ours.1),
        text_skeleton(&theirs.1),
        "status\nours:\n{}\nKannel's:\n{}",
        ours.1,
        theirs.1
    );
    Ok(())
}

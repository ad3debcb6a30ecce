//! bearerbox's core with real processes: box connections, the store, routing
//! and failover, delivery reports, and what survives `kill -9`.
//!
//! The SMSC side is the `fake` link with our own line client
//! ([`tests::fake_client`]); the box side is either our box-protocol client
//! ([`tests::box_client`]) or Kannel 1.4.5's own `smsbox` and `fakesmsc`.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use box_protocol::message::{AckStatus, Msg, SmsType};
use nix::sys::signal::Signal;
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::fake_client::FakeClient;
use tests::gateway::{BoxProcess, Setup};
use tests::ports::{self, Port};

const WAIT: Duration = Duration::from_secs(10);

/// A `fake` smsc group listening on `port`.
fn fake_link(conf: ConfText, id: &str, port: &Port, extra: &[(&str, &str)]) -> ConfText {
    let port = port.number().to_string();
    let mut entries = vec![
        ("smsc", "fake"),
        ("smsc-id", id),
        ("port", port.as_str()),
        ("our-host", "127.0.0.1"),
    ];
    entries.extend_from_slice(extra);
    conf.group("smsc", &entries)
}

fn box_client(setup: &Setup) -> Result<BoxClient, tests::HarnessError> {
    BoxClient::connect(setup.ports.smsbox.number(), None)
}

#[test]
fn an_mt_is_acked_after_commit_and_reaches_the_smsc() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", &smsc, &[]))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    let mut boxc = box_client(&setup)?;
    std::thread::sleep(Duration::from_millis(200));

    let message = mt("12345", "4670000001", "hello from a box");
    boxc.send(&Msg::from(message.clone()))?;
    let acks = boxc.acks(1, WAIT)?;
    assert_eq!(acks, vec![(message.id, AckStatus::Success)]);
    assert_eq!(
        link.read_line(WAIT)?.as_deref(),
        Some("12345 4670000001 text hello from a box")
    );
    Ok(())
}

#[test]
fn with_the_smsc_down_an_mt_is_queued_and_sent_when_it_comes_up() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", &smsc, &[]))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = box_client(&setup)?;

    let message = mt("12345", "4670000001", "waiting");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Buffered)]);

    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    assert_eq!(
        link.read_line(WAIT)?.as_deref(),
        Some("12345 4670000001 text waiting")
    );
    Ok(())
}

#[test]
fn a_message_no_smsc_may_carry_is_refused_at_once() -> TestResult {
    let smsc = ports::reserve()?;
    let setup =
        Setup::with_conf(|conf| fake_link(conf, "italy", &smsc, &[("allowed-prefix", "+39")]))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = box_client(&setup)?;
    let message = mt("12345", "+4915112345678", "nowhere to go");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Failed)]);
    Ok(())
}

#[test]
fn each_country_goes_to_its_own_supplier() -> TestResult {
    let (italy, france, germany) = (ports::reserve()?, ports::reserve()?, ports::reserve()?);
    let setup = Setup::with_conf(|conf| {
        let conf = fake_link(
            conf,
            "italy",
            &italy,
            &[("allowed-prefix", "+39"), ("cost", "0.02")],
        );
        let conf = fake_link(
            conf,
            "france",
            &france,
            &[("allowed-prefix", "+33"), ("cost", "0.03")],
        );
        fake_link(
            conf,
            "germany",
            &germany,
            &[("allowed-prefix", "+49"), ("cost", "0.04")],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut links = [
        FakeClient::connect(italy.number(), WAIT)?,
        FakeClient::connect(france.number(), WAIT)?,
        FakeClient::connect(germany.number(), WAIT)?,
    ];
    let mut boxc = box_client(&setup)?;
    std::thread::sleep(Duration::from_millis(200));

    let receivers = [
        "+393331111111",
        "+33612345678",
        "+4915112345678",
        "+393332222222",
    ];
    let messages: Vec<Msg> = receivers
        .iter()
        .map(|to| Msg::from(mt("777", to, "hi")))
        .collect();
    boxc.send_all(&messages)?;
    let acks = boxc.acks(messages.len(), WAIT)?;
    assert!(
        acks.iter().all(|(_, status)| *status == AckStatus::Success),
        "{acks:?}"
    );

    let [italy, france, germany] = &mut links;
    let quiet = Duration::from_millis(500);
    assert_eq!(
        italy.read_lines(3, quiet)?,
        vec!["777 +393331111111 text hi", "777 +393332222222 text hi"]
    );
    assert_eq!(
        france.read_lines(2, quiet)?,
        vec!["777 +33612345678 text hi"]
    );
    assert_eq!(
        germany.read_lines(2, quiet)?,
        vec!["777 +4915112345678 text hi"]
    );
    Ok(())
}

#[test]
fn the_cheapest_online_supplier_wins_and_a_dearer_one_takes_over_while_it_is_down() -> TestResult {
    let (cheap, dear) = (ports::reserve()?, ports::reserve()?);
    let setup = Setup::with_conf(|conf| {
        let conf = fake_link(
            conf,
            "cheap",
            &cheap,
            &[("allowed-prefix", "+39"), ("cost", "0.01")],
        );
        fake_link(
            conf,
            "dear",
            &dear,
            &[("allowed-prefix", "+39"), ("cost", "0.05")],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut dear_link = FakeClient::connect(dear.number(), WAIT)?;
    let mut boxc = box_client(&setup)?;
    std::thread::sleep(Duration::from_millis(200));

    // The cheap supplier is down: the dear one carries the traffic.
    boxc.send(&Msg::from(mt("777", "+39333000001", "while cheap is down")))?;
    assert_eq!(boxc.acks(1, WAIT)?[0].1, AckStatus::Success);
    assert_eq!(
        dear_link.read_line(WAIT)?.as_deref(),
        Some("777 +39333000001 text while cheap is down")
    );

    // It comes back: traffic returns to it.
    let mut cheap_link = FakeClient::connect(cheap.number(), WAIT)?;
    std::thread::sleep(Duration::from_millis(200));
    boxc.send(&Msg::from(mt("777", "+39333000002", "cheap again")))?;
    assert_eq!(boxc.acks(1, WAIT)?[0].1, AckStatus::Success);
    assert_eq!(
        cheap_link.read_line(WAIT)?.as_deref(),
        Some("777 +39333000002 text cheap again")
    );
    assert_eq!(dear_link.read_line(Duration::from_millis(300))?, None);
    Ok(())
}

#[test]
fn an_mo_goes_to_a_box_and_leaves_the_store_only_when_the_box_acks_it() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", &smsc, &[]))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    link.send_line("4670000002 5555 text first mo")?;

    // The first box reads the MO but never acks it, then goes away.
    let mut careless = box_client(&setup)?;
    let Msg::Sms(first) = careless.next(WAIT)? else {
        return Err("expected an sms".into());
    };
    assert_eq!(first.sms_type, Some(SmsType::Mo));
    assert_eq!(first.msgdata.as_deref(), Some(&b"first mo"[..]));
    assert_eq!(first.smsc_id.as_deref(), Some(&b"fake1"[..]));
    drop(careless);

    // The next box gets it again, and acks it.
    let mut careful = box_client(&setup)?;
    let Msg::Sms(again) = careful.next(WAIT)? else {
        return Err("expected an sms".into());
    };
    assert_eq!(again.id, first.id);
    careful.ack(&again)?;
    Ok(())
}

#[test]
fn delivery_reports_reach_the_box_first_the_smsc_ack_then_the_final_state() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", &smsc, &[]))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let _link = FakeClient::connect(smsc.number(), WAIT)?;
    let mut boxc = box_client(&setup)?;
    std::thread::sleep(Duration::from_millis(200));

    let mut message = mt("12345", "4670000001", "report me");
    message.dlr_mask = Some(31);
    message.dlr_url = Some(b"http://127.0.0.1/dlr?type=%d".to_vec());
    boxc.send(&Msg::from(message.clone()))?;
    let mut events = Vec::new();
    while events.len() < 2 {
        match boxc.next(WAIT)? {
            Msg::Ack { .. } => {}
            Msg::Sms(report) => {
                assert_eq!(report.sms_type, Some(SmsType::ReportMo));
                assert_eq!(report.receiver, message.receiver);
                assert_eq!(report.dlr_url, message.dlr_url);
                events.push(report.dlr_mask);
                boxc.ack(&report)?;
            }
            other => return Err(format!("unexpected {}", other.type_name()).into()),
        }
    }
    assert_eq!(events, vec![Some(8), Some(1)]);
    Ok(())
}

/// The durability promise: what bearerbox acked survives `kill -9` and is
/// delivered after the restart. Reports how many came twice.
#[test]
fn ten_thousand_queued_messages_survive_kill_9_and_all_reach_the_smsc() -> TestResult {
    const COUNT: usize = 10_000;
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", &smsc, &[]))?;
    let mut bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = box_client(&setup)?;

    let messages: Vec<Msg> = (0..COUNT)
        .map(|n| Msg::from(mt("777", &format!("+39333{n:07}"), &format!("durable {n}"))))
        .collect();
    let started = Instant::now();
    for chunk in messages.chunks(500) {
        boxc.send_all(chunk)?;
    }
    let acks = boxc.acks(COUNT, Duration::from_secs(60))?;
    let accepted = started.elapsed();
    assert!(
        acks.iter()
            .all(|(_, status)| *status == AckStatus::Buffered)
    );

    bearerbox.signal(Signal::SIGKILL)?;
    bearerbox.wait_exit(WAIT)?;
    drop(boxc);

    let _restarted = setup.start_bearerbox(&[])?;
    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    let lines = link.read_lines(COUNT * 2, Duration::from_secs(3))?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in &lines {
        *seen.entry(line.clone()).or_default() += 1;
    }
    let duplicates: usize = seen.values().map(|count| count - 1).sum();
    eprintln!(
        "{COUNT} messages acked in {accepted:?}; after kill -9 and restart {} distinct arrived, {duplicates} twice",
        seen.len()
    );
    assert_eq!(seen.len(), COUNT, "every acked message must arrive");
    assert_eq!(duplicates, 0, "nothing was in flight when bearerbox died");
    Ok(())
}

/// Kannel 1.4.5's own smsbox and fakesmsc against our bearerbox: sendsms in,
/// MT out at fakesmsc; MO in at fakesmsc, the service's reply back out.
#[test]
fn kannels_smsbox_and_fakesmsc_work_through_our_bearerbox() -> TestResult {
    let kannel_smsbox = Path::new("/usr/sbin/smsbox");
    let fakesmsc = Path::new("/usr/lib/kannel/test/fakesmsc");
    if !kannel_smsbox.exists() || !fakesmsc.exists() {
        return Err(
            "Kannel is not installed: apt-get install kannel kannel-extras (.ci/run does)".into(),
        );
    }
    let smsc = ports::reserve()?;
    // Only keys Kannel knows: its smsbox reads the whole file.
    let setup = Setup::with_conf(|conf| {
        fake_link(conf, "fake1", &smsc, &[]).group(
            "sms-service",
            &[("keyword", "echo"), ("text", "You said: %r")],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let conf = setup.conf.display().to_string();
    let mut smsbox = BoxProcess::spawn_program(
        "kannel-smsbox",
        kannel_smsbox,
        ["-v", "1", conf.as_str()],
        setup.dir.path(),
    )?;
    smsbox.wait_for_port(setup.ports.sendsms.number(), WAIT)?;
    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    std::thread::sleep(Duration::from_millis(300));

    let (status, body) = tests::gateway::http_get(
        setup.ports.sendsms.number(),
        "/cgi-bin/sendsms?username=tester&password=foobar&from=123&to=4670000001&text=Hello+Kannel",
    )?;
    assert_eq!((status, body.as_str()), (202, "0: Accepted for delivery"));
    assert_eq!(
        link.read_line(WAIT)?.as_deref(),
        Some("123 4670000001 text Hello Kannel")
    );

    link.send_line("4670000002 5555 text echo ping")?;
    assert_eq!(
        link.read_line(WAIT)?.as_deref(),
        Some("5555 4670000002 text You said: ping")
    );
    Ok(())
}

/// `-d` forks: the store's writer thread must be started in the daemon, not
/// before the fork, or every commit would wait forever.
#[test]
fn a_daemonized_bearerbox_still_commits_and_acks() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", &smsc, &[]))?;
    let pid_file = setup.path("daemon.pid");
    let output = std::process::Command::new(tests::gateway::binary_path("bearerbox")?)
        .arg("-d")
        .arg("-P")
        .arg(&pid_file)
        .arg(&setup.conf)
        .current_dir(setup.dir.path())
        .output()?;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _daemon = tests::gateway::Daemon::from_pid_file(&pid_file, WAIT)?;
    let mut boxc = BoxClient::connect_retrying(setup.ports.smsbox.number(), WAIT)?;
    let message = mt("12345", "4670000001", "from a daemon");
    boxc.send(&Msg::from(message.clone()))?;
    // The SMSC is down: "queued" is answered only after the commit.
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Buffered)]);
    Ok(())
}

#[test]
fn a_loopback_link_turns_an_mt_into_an_mo_for_the_boxes() -> TestResult {
    let setup =
        Setup::with_conf(|conf| conf.group("smsc", &[("smsc", "loopback"), ("smsc-id", "loop")]))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = box_client(&setup)?;
    std::thread::sleep(Duration::from_millis(200));
    let message = mt("12345", "4670000001", "round trip");
    boxc.send(&Msg::from(message.clone()))?;
    let mut got_ack = false;
    let mut got_mo = None;
    while !(got_ack && got_mo.is_some()) {
        match boxc.next(WAIT)? {
            Msg::Ack { id, nack, .. } => {
                assert_eq!((id, nack), (message.id, AckStatus::Success));
                got_ack = true;
            }
            Msg::Sms(mo) => {
                boxc.ack(&mo)?;
                got_mo = Some(mo);
            }
            other => return Err(format!("unexpected {}", other.type_name()).into()),
        }
    }
    let mo = got_mo.ok_or("no MO")?;
    assert_eq!(mo.sms_type, Some(SmsType::Mo));
    assert_ne!(mo.id, message.id, "the MO is a new message");
    assert_eq!((mo.sender, mo.receiver), (message.sender, message.receiver));
    assert_eq!(mo.msgdata.as_deref(), Some(&b"round trip"[..]));
    assert_eq!(mo.smsc_id.as_deref(), Some(&b"loop"[..]));
    Ok(())
}

#[test]
fn an_mo_on_a_rerouting_link_goes_straight_back_out_on_the_named_link() -> TestResult {
    let (incoming, outgoing) = (ports::reserve()?, ports::reserve()?);
    let setup = Setup::with_conf(|conf| {
        let conf = fake_link(
            conf,
            "in",
            &incoming,
            &[("reroute-smsc-id", "out"), ("denied-smsc-id", "out")],
        );
        fake_link(conf, "out", &outgoing, &[("allowed-smsc-id", "out")])
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut in_link = FakeClient::connect(incoming.number(), WAIT)?;
    let mut out_link = FakeClient::connect(outgoing.number(), WAIT)?;
    std::thread::sleep(Duration::from_millis(200));
    in_link.send_line("4670000002 5555 text pass me on")?;
    assert_eq!(
        out_link.read_line(WAIT)?.as_deref(),
        Some("4670000002 5555 text pass me on")
    );
    assert_eq!(in_link.read_line(Duration::from_millis(300))?, None);
    Ok(())
}

#[test]
fn unified_prefix_rewrites_receivers_for_routing_and_each_link_rewrites_again() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| {
        fake_link(
            conf,
            "italy",
            &smsc,
            &[("allowed-prefix", "+39"), ("unified-prefix", "-,+")],
        )
    })?;
    // The core's rule: national numbers become international.
    let text = std::fs::read_to_string(&setup.conf)?.replace(
        "group = core\n",
        "group = core\nunified-prefix = \"+39,0039,0\"\n",
    );
    std::fs::write(&setup.conf, text)?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    let mut boxc = box_client(&setup)?;
    std::thread::sleep(Duration::from_millis(200));
    boxc.send(&Msg::from(mt("777", "0039333123", "a")))?;
    boxc.send(&Msg::from(mt("777", "0333456", "b")))?;
    assert!(
        boxc.acks(2, WAIT)?
            .iter()
            .all(|(_, status)| *status == AckStatus::Success)
    );
    // Routed as +39…, sent without the plus, as the link's rule says.
    assert_eq!(
        link.read_lines(2, WAIT)?,
        vec!["777 39333123 text a", "777 39333456 text b"]
    );
    Ok(())
}

#[test]
fn smsbox_route_sends_a_links_mo_to_the_named_box_only() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| {
        fake_link(conf, "fake1", &smsc, &[]).group(
            "smsbox-route",
            &[("smsbox-id", "billing"), ("smsc-id", "fake1")],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut anonymous = box_client(&setup)?;
    let mut billing = BoxClient::connect(setup.ports.smsbox.number(), Some("billing"))?;
    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    std::thread::sleep(Duration::from_millis(200));
    link.send_line("4670000002 5555 text for billing")?;
    let Msg::Sms(mo) = billing.next(WAIT)? else {
        return Err("expected an sms".into());
    };
    assert_eq!(mo.msgdata.as_deref(), Some(&b"for billing"[..]));
    billing.ack(&mo)?;
    assert!(
        anonymous.next(Duration::from_millis(300)).is_err(),
        "the other box got nothing"
    );
    Ok(())
}

#[test]
fn the_built_in_sim_smsc_accepts_at_once_and_reports_delivery() -> TestResult {
    let setup =
        Setup::with_conf(|conf| conf.group("smsc", &[("smsc", "sim"), ("smsc-id", "sim")]))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = box_client(&setup)?;
    std::thread::sleep(Duration::from_millis(200));
    let mut message = mt("12345", "4670000001", "simulated");
    message.dlr_mask = Some(31);
    boxc.send(&Msg::from(message.clone()))?;
    let mut events = Vec::new();
    while events.len() < 2 {
        match boxc.next(WAIT)? {
            Msg::Ack { id, nack, .. } => assert_eq!((id, nack), (message.id, AckStatus::Success)),
            Msg::Sms(report) => {
                events.push(report.dlr_mask);
                boxc.ack(&report)?;
            }
            other => return Err(format!("unexpected {}", other.type_name()).into()),
        }
    }
    assert_eq!(events, vec![Some(8), Some(1)]);
    Ok(())
}

//! `smsc = http`, `system-type = generic`, end to end: MT from a box through
//! bearerbox's http driver to the supplier simulator ([`tests::http_supplier`]),
//! each class of the supplier's answers, and MO and delivery reports called
//! back to the link's listener, reaching the box (and, with our smsbox, the
//! sms-service and the dlr-url).

use std::time::{Duration, Instant};

use box_protocol::message::{AckStatus, Msg, Sms, SmsType};
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::gateway::{BoxProcess, Setup};
use tests::http_supplier::{HttpSupplier, Outcome};
use tests::ports::{self, Port};
use tests::recorder::Recorder;

const WAIT: Duration = Duration::from_secs(10);

struct Rig {
    supplier: HttpSupplier,
    /// The link's callback listener.
    listen: Port,
    boxc: BoxClient,
    _bearerbox: BoxProcess,
    setup: Setup,
}

/// The generic group for `supplier`, changed by `extra`.
fn generic_link(supplier: &HttpSupplier, listen: &Port, extra: &[(&str, &str)]) -> ConfText {
    let send_url = format!(
        "\"{}\"",
        supplier.url("/send?to=%p&from=%P&text=%b&mask=%d&user=%n")
    );
    let port = listen.number().to_string();
    let mut entries: Vec<(&str, &str)> = vec![
        ("smsc", "http"),
        ("smsc-id", "sup"),
        ("system-type", "generic"),
        ("send-url", &send_url),
        ("status-success-regex", "\"^OK\""),
        ("status-permfail-regex", "\"^ERR\""),
        ("status-tempfail-regex", "\"^BUSY\""),
        ("generic-foreign-id-regex", "\"^OK ([a-z0-9-]+)\""),
        ("port", &port),
        ("our-host", "127.0.0.1"),
        ("connect-allow-ip", "127.0.0.1"),
    ];
    for (key, value) in extra {
        entries.retain(|(k, _)| k != key);
        entries.push((key, value));
    }
    ConfText::new().group("smsc", &entries)
}

fn with_core(conf: &ConfText, core: &[(&str, &str)]) -> ConfText {
    let lines: String = core.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
    ConfText::new().raw(&conf.text().replacen(
        "group = core\n",
        &format!("group = core\n{lines}"),
        1,
    ))
}

fn rig(extra: &[(&str, &str)], core: &[(&str, &str)]) -> Result<Rig, Box<dyn std::error::Error>> {
    let supplier = HttpSupplier::start(0)?;
    let listen = ports::reserve()?;
    let link = generic_link(&supplier, &listen, extra);
    let setup = Setup::with_conf(|conf| with_core(&conf, core).raw(link.text()))?;
    let bearerbox = setup.start_bearerbox(&[])?;
    let boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    // The link is online at once; let the core hear it before the first MT.
    std::thread::sleep(Duration::from_millis(300));
    Ok(Rig {
        supplier,
        listen,
        boxc,
        _bearerbox: bearerbox,
        setup,
    })
}

/// The next sms from bearerbox that is not an ack.
fn next_sms(boxc: &mut BoxClient, timeout: Duration) -> Result<Sms, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + timeout;
    loop {
        match boxc.next(deadline.saturating_duration_since(Instant::now()))? {
            Msg::Sms(sms) => return Ok(*sms),
            Msg::Ack { .. } => continue,
            other => return Err(format!("expected an sms, got a {}", other.type_name()).into()),
        }
    }
}

fn text(bytes: &Option<Vec<u8>>) -> String {
    String::from_utf8_lossy(bytes.as_deref().unwrap_or_default()).into_owned()
}

#[test]
fn an_mt_through_a_generic_supplier_fills_the_send_url_and_its_report_comes_back() -> TestResult {
    let mut rig = rig(&[], &[])?;
    let mut message = mt("12345", "4670000001", "hello world");
    message.dlr_mask = Some(31);
    message.service = Some(b"tester".to_vec());
    rig.boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(
        rig.boxc.acks(1, WAIT)?,
        vec![(message.id, AckStatus::Success)]
    );

    let submitted = rig.supplier.wait_for(1, WAIT)?;
    let request = &submitted[0].request;
    assert_eq!(request.path(), "/send");
    assert_eq!(request.query("to").as_deref(), Some("4670000001"));
    assert_eq!(request.query("from").as_deref(), Some("12345"));
    assert_eq!(request.query("text").as_deref(), Some("hello world"));
    assert_eq!(request.query("mask").as_deref(), Some("31"));
    assert_eq!(request.query("user").as_deref(), Some("tester"));

    let ack = next_sms(&mut rig.boxc, WAIT)?;
    assert_eq!(ack.sms_type, Some(SmsType::ReportMo));
    assert_eq!(ack.dlr_mask, Some(8));
    rig.boxc.ack(&ack)?;

    let answer = HttpSupplier::report(rig.listen.number(), "sup-1", 1, &[])?;
    assert_eq!((answer.status, answer.body.as_str()), (202, "Sent"));
    let report = next_sms(&mut rig.boxc, WAIT)?;
    assert_eq!(report.sms_type, Some(SmsType::ReportMo));
    assert_eq!(report.dlr_mask, Some(1));
    assert_eq!(text(&report.foreign_id), "sup-1");
    assert_eq!(text(&report.smsc_id), "sup");
    assert_eq!(report.receiver, message.receiver);
    Ok(())
}

#[test]
fn a_5xx_and_a_tempfail_answer_are_tried_again_until_the_supplier_takes_the_message() -> TestResult
{
    let mut rig = rig(&[], &[("sms-resend-freq", "1")])?;
    rig.supplier
        .script(&[Outcome::Unavailable, Outcome::BusyBody]);
    let message = mt("12345", "4670000002", "again");
    rig.boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(
        rig.boxc.acks(1, WAIT)?,
        vec![(message.id, AckStatus::Success)]
    );
    let submitted = rig.supplier.wait_for(3, Duration::from_secs(20))?;
    let outcomes: Vec<Outcome> = submitted.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        vec![Outcome::Unavailable, Outcome::BusyBody, Outcome::Accept]
    );
    assert!(
        submitted
            .iter()
            .all(|s| s.request.query("text").as_deref() == Some("again"))
    );
    Ok(())
}

#[test]
fn a_4xx_and_a_permfail_answer_fail_the_message_for_good_with_a_nack() -> TestResult {
    let mut rig = rig(&[], &[("sms-resend-freq", "1")])?;
    rig.supplier
        .script(&[Outcome::BadRequest, Outcome::ErrBody]);
    for receiver in ["4670000003", "4670000004"] {
        let mut message = mt("12345", receiver, "doomed");
        message.dlr_mask = Some(16);
        rig.boxc.send(&Msg::from(message.clone()))?;
        assert_eq!(
            rig.boxc.acks(1, WAIT)?,
            vec![(message.id, AckStatus::Success)]
        );
        let nack = next_sms(&mut rig.boxc, WAIT)?;
        assert_eq!(nack.dlr_mask, Some(16));
        assert!(text(&nack.msgdata).starts_with("NACK/"), "{nack:?}");
        assert_eq!(nack.receiver.as_deref(), Some(receiver.as_bytes()));
        rig.boxc.ack(&nack)?;
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(rig.supplier.submitted().len(), 2, "not tried again");
    Ok(())
}

#[test]
fn a_supplier_that_does_not_answer_in_time_gets_the_message_again() -> TestResult {
    let mut rig = rig(&[], &[("sms-resend-freq", "1"), ("http-timeout", "1")])?;
    rig.supplier
        .script(&[Outcome::Stall(Duration::from_secs(3))]);
    let message = mt("12345", "4670000005", "slow");
    rig.boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(
        rig.boxc.acks(1, WAIT)?,
        vec![(message.id, AckStatus::Success)]
    );
    let submitted = rig.supplier.wait_for(2, Duration::from_secs(20))?;
    assert!(
        submitted.iter().any(|s| s.outcome == Outcome::Accept),
        "{submitted:#?}"
    );
    assert!(
        rig.setup
            .read("bearerbox.log")
            .contains("failed temporarily")
    );
    Ok(())
}

#[test]
fn an_mo_callback_reaches_the_box_and_is_answered_after_it() -> TestResult {
    let mut rig = rig(&[], &[])?;
    let answer = HttpSupplier::mo(
        rig.listen.number(),
        "4670000006",
        "12345",
        "hi there",
        &[("account", "acme")],
    )?;
    assert_eq!((answer.status, answer.body.as_str()), (202, "Sent"));
    let mo = next_sms(&mut rig.boxc, WAIT)?;
    assert_eq!(mo.sms_type, Some(SmsType::Mo));
    assert_eq!(text(&mo.sender), "4670000006");
    assert_eq!(text(&mo.receiver), "12345");
    assert_eq!(text(&mo.msgdata), "hi there");
    assert_eq!(text(&mo.smsc_id), "sup");
    assert_eq!(text(&mo.account), "acme");

    let incomplete = tests::http::get(rig.listen.number(), "/?from=1&to=2")?;
    assert_eq!(incomplete.body, "Insufficient args, rejected");
    Ok(())
}

#[test]
fn generic_param_names_and_answers_follow_the_configuration() -> TestResult {
    let mut rig = rig(
        &[
            ("generic-param-from", "msisdn"),
            ("generic-param-text", "message"),
            ("generic-message-sent", "\"OK thanks\""),
            ("generic-status-sent", "200"),
            ("generic-status-error", "400"),
        ],
        &[],
    )?;
    let answer = tests::http::get(
        rig.listen.number(),
        "/?msisdn=4670000007&to=12345&message=renamed",
    )?;
    assert_eq!((answer.status, answer.body.as_str()), (200, "OK thanks"));
    let mo = next_sms(&mut rig.boxc, WAIT)?;
    assert_eq!(text(&mo.msgdata), "renamed");
    let refused = tests::http::get(rig.listen.number(), "/?from=1&to=2&text=x")?;
    assert_eq!(refused.status, 400);
    Ok(())
}

#[test]
fn callbacks_without_the_configured_credentials_are_refused() -> TestResult {
    let mut rig = rig(
        &[("smsc-username", "supplier"), ("smsc-password", "s3cret")],
        &[],
    )?;
    let wrong = HttpSupplier::mo(
        rig.listen.number(),
        "4670000008",
        "12345",
        "intruder",
        &[("username", "supplier"), ("password", "guess")],
    )?;
    assert_eq!(wrong.body, "Authorization failed for sendsms");
    let right = HttpSupplier::mo(
        rig.listen.number(),
        "4670000008",
        "12345",
        "friend",
        &[("username", "supplier"), ("password", "s3cret")],
    )?;
    assert_eq!(right.body, "Sent");
    let mo = next_sms(&mut rig.boxc, WAIT)?;
    assert_eq!(text(&mo.msgdata), "friend");
    Ok(())
}

#[test]
fn callbacks_from_an_address_not_allowed_are_dropped() -> TestResult {
    let mut rig = rig(&[("connect-allow-ip", "10.9.8.7")], &[])?;
    let answer = HttpSupplier::mo(rig.listen.number(), "4670000009", "12345", "x", &[]);
    assert!(answer.is_err(), "{answer:?}");
    assert!(rig.boxc.next(Duration::from_millis(500)).is_err());
    Ok(())
}

#[test]
fn max_pending_submits_bounds_the_requests_in_flight() -> TestResult {
    let mut rig = rig(&[("max-pending-submits", "2")], &[])?;
    rig.supplier
        .set_default(Outcome::Stall(Duration::from_millis(300)));
    for n in 0..6 {
        let message = mt("12345", &format!("46700001{n:02}"), "burst");
        rig.boxc.send(&Msg::from(message))?;
    }
    rig.boxc.acks(6, WAIT)?;
    rig.supplier.wait_for(6, Duration::from_secs(20))?;
    assert_eq!(rig.supplier.most_in_flight(), 2);
    Ok(())
}

#[test]
fn throughput_spaces_the_requests() -> TestResult {
    let mut rig = rig(&[("throughput", "5")], &[])?;
    let started = Instant::now();
    for n in 0..6 {
        let message = mt("12345", &format!("46700002{n:02}"), "paced");
        rig.boxc.send(&Msg::from(message))?;
    }
    rig.boxc.acks(6, WAIT)?;
    rig.supplier.wait_for(6, WAIT)?;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(950), "took {took:?}");
    Ok(())
}

#[test]
fn with_our_smsbox_an_mo_reaches_the_service_and_a_report_the_dlr_url() -> TestResult {
    let supplier = HttpSupplier::start(0)?;
    let listen = ports::reserve()?;
    let app = Recorder::start()?;
    let link = generic_link(&supplier, &listen, &[]);
    let service_url = format!("\"{}\"", app.url("/mo?from=%p&to=%P&text=%a&smsc=%i"));
    let setup = Setup::with_conf(|conf| {
        conf.raw(link.text()).group(
            "sms-service",
            &[
                ("keyword", "ask"),
                ("get-url", &service_url),
                ("max-messages", "0"),
            ],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let _smsbox = setup.start_smsbox(&[])?;
    std::thread::sleep(Duration::from_millis(500));

    let answer = HttpSupplier::mo(listen.number(), "4670000010", "12345", "ask me", &[])?;
    assert_eq!(answer.body, "Sent");
    let hits = app.wait_for(1, WAIT)?;
    assert_eq!(hits[0].path(), "/mo");
    assert_eq!(hits[0].query("from").as_deref(), Some("4670000010"));
    assert_eq!(hits[0].query("text").as_deref(), Some("ask me"));
    assert_eq!(hits[0].query("smsc").as_deref(), Some("sup"));

    let dlr_url = tests::http::encode(&app.url("/dlr?type=%d&fid=%F&smsc=%i"));
    let sent = tests::http::get(
        setup.ports.sendsms.number(),
        &format!(
            "/cgi-bin/sendsms?username=tester&password=foobar&from=777&to=4670000011&text=report+me&dlr-mask=1&dlr-url={dlr_url}"
        ),
    )?;
    assert_eq!(sent.status, 202, "{}", sent.body);
    let submitted = supplier.wait_for(1, WAIT)?;
    let id = submitted[0].id.clone().ok_or("the supplier gave no id")?;
    let answer = HttpSupplier::report(listen.number(), &id, 1, &[])?;
    assert_eq!(answer.body, "Sent");
    let hits = app.wait_for(2, WAIT)?;
    let report = &hits[1];
    assert_eq!(report.path(), "/dlr");
    assert_eq!(report.query("type").as_deref(), Some("1"));
    assert_eq!(report.query("fid"), Some(id));
    assert_eq!(report.query("smsc").as_deref(), Some("sup"));
    Ok(())
}

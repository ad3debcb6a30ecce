//! The `at` driver against the fake modem on a pseudo-terminal: what a
//! box sends arrives at the modem as a valid SMS-SUBMIT (checked by the
//! simulator's own decoder), what the modem receives reaches the box, and
//! the modem is the backup line when the SMPP supplier is down.

use std::path::Path;
use std::time::Duration;

use box_protocol::message::{AckStatus, Coding, Msg, Sms, SmsType};
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::fake_client::FakeClient;
use tests::gateway::{BoxProcess, Setup};
use tests::modem_sim::{DecodedSubmit, ModemSim, SimAlphabet, SimOptions};
use tests::ports::{self, Port};

const WAIT: Duration = Duration::from_secs(15);

/// The `modems` group the simulator is detected by, and an `at` link on it.
fn modem_link(conf: ConfText, device: &Path, extra: &[(&str, &str)]) -> ConfText {
    let device = device.display().to_string();
    let mut entries = vec![
        ("smsc", "at"),
        ("smsc-id", "modem"),
        ("device", device.as_str()),
        ("reconnect-delay", "1"),
    ];
    entries.extend_from_slice(extra);
    conf.group(
        "modems",
        &[
            ("id", "sim"),
            ("name", "Simulated modem"),
            ("detect-string", "MODEM-SIM"),
            ("sendline-sleep", "0"),
        ],
    )
    .group("smsc", &entries)
}

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

struct Rig {
    modem: ModemSim,
    boxc: BoxClient,
    // Dropped after the box client: bearerbox, then its folder.
    _bearerbox: BoxProcess,
    _setup: Setup,
}

fn rig(extra: &[(&str, &str)]) -> Result<Rig, Box<dyn std::error::Error>> {
    let modem = ModemSim::start(SimOptions::default())?;
    let setup = Setup::with_conf(|conf| modem_link(conf, modem.device(), extra))?;
    let bearerbox = setup.start_bearerbox(&[])?;
    modem.wait_for_setup(WAIT)?;
    let boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    // The link's Online travels from the modem thread to the core.
    std::thread::sleep(Duration::from_millis(300));
    Ok(Rig {
        modem,
        boxc,
        _bearerbox: bearerbox,
        _setup: setup,
    })
}

fn decoded(
    modem: &ModemSim,
    count: usize,
) -> Result<Vec<DecodedSubmit>, Box<dyn std::error::Error>> {
    modem
        .wait_for_submits(count, WAIT)?
        .into_iter()
        .map(|s| {
            s.decoded
                .map_err(|e| format!("the modem refused a PDU: {e}").into())
        })
        .collect()
}

/// The next sms from bearerbox (an MO or a report), skipping acks.
fn next_sms(boxc: &mut BoxClient) -> Result<Sms, Box<dyn std::error::Error>> {
    for _ in 0..100 {
        match boxc.next(WAIT)? {
            Msg::Ack { .. } => continue,
            Msg::Sms(sms) => return Ok(*sms),
            other => return Err(format!("unexpected {}", other.type_name()).into()),
        }
    }
    Err("only acks from bearerbox".into())
}

fn utf16be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

#[test]
fn a_text_sent_through_the_modem_arrives_as_a_gsm_7_bit_sms_submit() -> TestResult {
    let mut rig = rig(&[])?;
    let message = mt("12345", "+46700000001", "Hello from the box: 100€ [ok]");
    rig.boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(
        rig.boxc.acks(1, WAIT)?,
        vec![(message.id, AckStatus::Success)]
    );
    let submits = decoded(&rig.modem, 1)?;
    let submit = &submits[0];
    assert_eq!(submit.destination, "+46700000001");
    assert_eq!(submit.type_of_address, 0x91);
    assert_eq!(submit.alphabet, SimAlphabet::Gsm);
    assert_eq!(submit.text, "Hello from the box: 100€ [ok]");
    assert_eq!(submit.validity, Some(167));
    assert!(submit.had_sca);
    assert!(!submit.status_report_requested);
    assert_eq!(submit.concat, None);
    Ok(())
}

#[test]
fn a_ucs2_message_arrives_as_ucs2() -> TestResult {
    let mut rig = rig(&[])?;
    let mut message = mt("12345", "0700000002", "");
    message.msgdata = Some(utf16be("Привет, мир ☺"));
    message.coding = Some(Coding::Ucs2);
    rig.boxc.send(&Msg::from(message))?;
    assert_eq!(rig.boxc.acks(1, WAIT)?[0].1, AckStatus::Success);
    let submit = &decoded(&rig.modem, 1)?[0];
    assert_eq!(submit.alphabet, SimAlphabet::Ucs2);
    assert_eq!(submit.dcs, 0x08);
    assert_eq!(submit.destination, "0700000002");
    assert_eq!(submit.text, "Привет, мир ☺");
    Ok(())
}

#[test]
fn a_long_message_goes_out_as_three_concatenated_parts() -> TestResult {
    let mut rig = rig(&[])?;
    let text: String = (0..400)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    rig.boxc
        .send(&Msg::from(mt("12345", "+46700000003", &text)))?;
    assert_eq!(rig.boxc.acks(1, WAIT)?[0].1, AckStatus::Success);
    let submits = decoded(&rig.modem, 3)?;
    assert_eq!(submits.len(), 3);
    let reference = submits[0].concat.map(|(r, _, _)| r);
    for (i, submit) in submits.iter().enumerate() {
        let (r, total, seq) = submit.concat.ok_or("a part without concatenation")?;
        assert_eq!((Some(r), total, seq), (reference, 3, i as u8 + 1));
    }
    let joined: String = submits.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(joined, text);
    Ok(())
}

#[test]
fn an_mo_stored_on_the_modem_reaches_the_box_and_is_deleted() -> TestResult {
    let mut rig = rig(&[])?;
    rig.modem
        .inject_stored_mo("+46709999999", "hello gateway")?;
    let mo = next_sms(&mut rig.boxc)?;
    assert_eq!(mo.sms_type, Some(SmsType::Mo));
    assert_eq!(mo.sender.as_deref(), Some(&b"+46709999999"[..]));
    assert_eq!(mo.msgdata.as_deref(), Some(&b"hello gateway"[..]));
    assert_eq!(mo.smsc_id.as_deref(), Some(&b"modem"[..]));
    rig.boxc.ack(&mo)?;
    rig.modem
        .wait_until("the MO to be deleted", WAIT, |m| m.storage.is_empty())?;
    assert!(rig.modem.commands().iter().any(|c| c == "AT+CMGR=1"));
    Ok(())
}

#[test]
fn a_three_part_mo_delivered_directly_reaches_the_box_as_one_message() -> TestResult {
    let mut rig = rig(&[("my-number", "5555")])?;
    let text = "Grüße aus dem Modem. ".repeat(20);
    rig.modem.inject_direct_mo("+46708888888", &text)?;
    let mo = next_sms(&mut rig.boxc)?;
    assert_eq!(mo.msgdata.as_deref(), Some(text.as_bytes()));
    assert_eq!(mo.udhdata, None);
    assert_eq!(mo.receiver.as_deref(), Some(&b"5555"[..]));
    rig.boxc.ack(&mo)?;
    Ok(())
}

#[test]
fn a_status_report_from_the_modem_becomes_a_dlr_at_the_box() -> TestResult {
    let mut rig = rig(&[])?;
    let mut message = mt("12345", "+46700000004", "report me");
    message.dlr_mask = Some(31);
    message.dlr_url = Some(b"http://127.0.0.1/dlr?type=%d".to_vec());
    rig.boxc.send(&Msg::from(message.clone()))?;
    let submitted = rig.modem.wait_for_submits(1, WAIT)?;
    let submit = submitted[0].decoded.as_ref().map_err(|e| e.clone())?;
    assert!(submit.status_report_requested);
    let reference = submitted[0].reference.ok_or("the send was refused")?;

    rig.modem.inject_report(reference, "+46700000004", 0x00)?;
    // The SMSC's ack (8), made by the core when the modem took the message,
    // comes first; then the handset's answer (1).
    let mut events = Vec::new();
    while events.len() < 2 {
        let report = next_sms(&mut rig.boxc)?;
        assert_eq!(report.sms_type, Some(SmsType::ReportMo));
        assert_eq!(report.receiver, message.receiver);
        assert_eq!(report.dlr_url, message.dlr_url);
        if report.dlr_mask == Some(1) {
            assert_eq!(report.foreign_id, Some(reference.to_string().into_bytes()));
        }
        events.push(report.dlr_mask);
        rig.boxc.ack(&report)?;
    }
    assert_eq!(events, vec![Some(8), Some(1)]);
    Ok(())
}

#[test]
fn a_cmti_in_the_middle_of_a_send_loses_neither_the_send_nor_the_mo() -> TestResult {
    let mut rig = rig(&[])?;
    rig.modem
        .cmti_during_next_send("+46707777777", "sneaked in");
    let message = mt("12345", "+46700000005", "going out");
    rig.boxc.send(&Msg::from(message.clone()))?;
    let mut acked = false;
    let mut mo = None;
    while !acked || mo.is_none() {
        match rig.boxc.next(WAIT)? {
            Msg::Ack { id, nack, .. } => {
                assert_eq!((id, nack), (message.id, AckStatus::Success));
                acked = true;
            }
            Msg::Sms(sms) => {
                rig.boxc.ack(&sms)?;
                mo = Some(sms);
            }
            other => return Err(format!("unexpected {}", other.type_name()).into()),
        }
    }
    assert_eq!(decoded(&rig.modem, 1)?[0].text, "going out");
    let mo = mo.ok_or("no MO")?;
    assert_eq!(mo.msgdata.as_deref(), Some(&b"sneaked in"[..]));
    rig.modem
        .wait_until("the MO to be deleted", WAIT, |m| m.storage.is_empty())?;
    Ok(())
}

#[test]
fn a_send_the_network_refuses_for_good_fails_the_message_for_good() -> TestResult {
    let mut rig = rig(&[])?;
    rig.modem.fail_next_send(21);
    let mut message = mt("12345", "+46700000006", "refused");
    message.dlr_mask = Some(16);
    rig.boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(rig.boxc.acks(1, WAIT)?[0].1, AckStatus::Success);
    // The box hears of it: a report with event 16 and the modem's error.
    let report = next_sms(&mut rig.boxc)?;
    assert_eq!(report.dlr_mask, Some(16));
    assert!(
        report
            .msgdata
            .as_deref()
            .unwrap_or_default()
            .starts_with(b"NACK/"),
        "{report:?}"
    );
    rig.boxc.ack(&report)?;
    let submits = rig.modem.wait_for_submits(1, WAIT)?;
    assert_eq!(submits[0].reference, None);
    let failed = format!("message {} failed for good: +CMS ERROR: 21", message.id);
    tests::gateway::wait_until("the refusal in the log", WAIT, || {
        Ok(rig._setup.read("bearerbox.log").contains(&failed))
    })?;
    // Not retried: a permanent refusal is final.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(rig.modem.submits().len(), 1);
    Ok(())
}

#[test]
fn with_the_supplier_down_the_modem_carries_the_traffic_until_it_is_back() -> TestResult {
    let modem = ModemSim::start(SimOptions::default())?;
    let supplier = ports::reserve()?;
    let setup = Setup::with_conf(|conf| {
        let conf = fake_link(conf, "supplier", &supplier, &[("cost", "0.01")]);
        modem_link(conf, modem.device(), &[("cost", "0.05")])
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    modem.wait_for_setup(WAIT)?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    std::thread::sleep(Duration::from_millis(300));

    boxc.send(&Msg::from(mt("777", "+39333000001", "supplier is down")))?;
    assert_eq!(boxc.acks(1, WAIT)?[0].1, AckStatus::Success);
    assert_eq!(decoded(&modem, 1)?[0].text, "supplier is down");

    let mut link = FakeClient::connect(supplier.number(), WAIT)?;
    std::thread::sleep(Duration::from_millis(300));
    boxc.send(&Msg::from(mt("777", "+39333000002", "supplier is back")))?;
    assert_eq!(boxc.acks(1, WAIT)?[0].1, AckStatus::Success);
    assert_eq!(
        link.read_line(WAIT)?.as_deref(),
        Some("777 +39333000002 text supplier is back")
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(modem.submits().len(), 1);
    Ok(())
}

#[test]
fn a_modem_that_falls_silent_is_taken_down_and_traffic_fails_over_then_returns() -> TestResult {
    let modem = ModemSim::start(SimOptions::default())?;
    let dear = ports::reserve()?;
    let setup = Setup::with_conf(|conf| {
        let conf = fake_link(conf, "dear", &dear, &[("cost", "0.05")]);
        modem_link(
            conf,
            modem.device(),
            &[("cost", "0.01"), ("keepalive", "1")],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    modem.wait_for_setup(WAIT)?;
    let mut link = FakeClient::connect(dear.number(), WAIT)?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    std::thread::sleep(Duration::from_millis(300));

    modem.set_silent(true);
    boxc.send(&Msg::from(mt("777", "+46700000007", "modem is mute")))?;
    assert_eq!(boxc.acks(1, WAIT)?[0].1, AckStatus::Success);
    assert_eq!(
        link.read_line(Duration::from_secs(30))?.as_deref(),
        Some("777 +46700000007 text modem is mute")
    );

    modem.set_silent(false);
    modem.wait_until(
        "the driver to set the modem up again",
        Duration::from_secs(40),
        |m| {
            m.commands
                .iter()
                .rev()
                .take(10)
                .any(|c| c.starts_with("AT+CNMI"))
                && m.commands
                    .last()
                    .is_some_and(|c| c.starts_with("AT+CNMI") || c == "AT")
        },
    )?;
    std::thread::sleep(Duration::from_millis(500));
    boxc.send(&Msg::from(mt("777", "+46700000008", "modem speaks again")))?;
    assert_eq!(boxc.acks(1, WAIT)?[0].1, AckStatus::Success);
    let submits = modem.wait_for_submits(1, WAIT)?;
    let texts: Vec<String> = submits
        .iter()
        .filter_map(|s| s.decoded.as_ref().ok().map(|d| d.text.clone()))
        .collect();
    assert!(texts.iter().any(|t| t == "modem speaks again"), "{texts:?}");
    Ok(())
}

/// The whole way: an MO read from the modem reaches an sms-service through
/// our smsbox, and the service's answer goes back to the handset through
/// the modem.
#[test]
fn an_mo_from_the_modem_reaches_an_sms_service_and_the_answer_goes_back_through_it() -> TestResult {
    let recorder = tests::recorder::Recorder::start()?;
    recorder.set_reply(tests::recorder::Reply::text("Sunny, 21 C"));
    let url = recorder.url("/weather?from=%p&text=%a");
    let modem = ModemSim::start(SimOptions::default())?;
    let setup = Setup::with_conf(|conf| {
        modem_link(conf, modem.device(), &[]).group(
            "sms-service",
            &[("keyword", "weather"), ("get-url", url.as_str())],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let _smsbox = setup.start_smsbox(&[])?;
    modem.wait_for_setup(WAIT)?;
    std::thread::sleep(Duration::from_millis(300));

    modem.inject_stored_mo("+46707777777", "weather Rome")?;
    let calls = recorder.wait_for(1, WAIT)?;
    assert_eq!(calls[0].query("from").as_deref(), Some("+46707777777"));
    assert_eq!(calls[0].query("text").as_deref(), Some("weather Rome"));
    let reply = decoded(&modem, 1)?;
    assert_eq!(reply[0].text, "Sunny, 21 C");
    assert_eq!(reply[0].destination, "+46707777777");
    Ok(())
}

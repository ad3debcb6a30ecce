//! smsbox's side of the box protocol, against a bearerbox the test scripts:
//! what each sendsms parameter becomes on the wire, how each ack becomes
//! Kannel's answer, and what happens when bearerbox is away or silent.

use std::thread;
use std::time::{Duration, Instant};

use box_protocol::message::{AckStatus, Coding, Msg, SmsType};
use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::http;
use tests::scripted_bearerbox::ScriptedRig;

const WAIT: Duration = Duration::from_secs(10);

fn users() -> ConfText {
    ConfText::new().group(
        "sendsms-user",
        &[
            ("username", "tester"),
            ("password", "foobar"),
            ("max-messages", "3"),
        ],
    )
}

fn get_in_background(
    port: u16,
    query: &str,
) -> thread::JoinHandle<Result<http::Response, tests::HarnessError>> {
    let target = format!("/cgi-bin/sendsms?{query}");
    thread::spawn(move || http::get(port, &target))
}

fn joined(
    handle: thread::JoinHandle<Result<http::Response, tests::HarnessError>>,
) -> Result<http::Response, Box<dyn std::error::Error>> {
    match handle.join() {
        Ok(result) => Ok(result?),
        Err(_) => Err("the HTTP client thread panicked".into()),
    }
}

#[test]
fn smsbox_identifies_and_puts_every_sendsms_parameter_in_its_wire_field() -> TestResult {
    let mut rig = ScriptedRig::start(&[("smsbox-id", "box1")], users())?;
    let query = "username=tester&password=foobar&from=777&to=4670000001&text=All+fields\
        &smsc=fake1&mclass=1&mwi=2&compress=0&coding=0&validity=10&deferred=5\
        &dlr-mask=3&dlr-url=http%3A%2F%2F127.0.0.1%2Fdlr%3Ft%3D%25d&pid=64&alt-dcs=1&rpi=1\
        &account=acct1&binfo=bill1&priority=2&meta-data=%3Fsmpp%3Fmy_tlv%3Dhello";
    let client = get_in_background(rig.sendsms_port(), query);
    let sms = rig.session.next_sms(WAIT)?;
    assert_eq!(rig.session.identified, Some(Some(b"box1".to_vec())));
    rig.session.ack(&sms, AckStatus::Success)?;
    let answer = joined(client)?;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    assert_eq!(
        answer.header("X-Message-Id"),
        Some(sms.id.to_string().as_str())
    );

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs() as i32;
    assert_eq!(sms.sender.as_deref(), Some(&b"777"[..]));
    assert_eq!(sms.receiver.as_deref(), Some(&b"4670000001"[..]));
    assert_eq!(sms.msgdata.as_deref(), Some(&b"All fields"[..]));
    assert_eq!(sms.udhdata.as_deref(), Some(&b""[..]));
    assert_eq!(sms.smsc_id.as_deref(), Some(&b"fake1"[..]));
    assert_eq!(sms.service.as_deref(), Some(&b"tester"[..]));
    assert_eq!(sms.sms_type, Some(SmsType::MtPush));
    assert_eq!(sms.coding, Some(Coding::SevenBit));
    assert_eq!(
        (sms.mclass, sms.mwi, sms.compress),
        (Some(1), Some(2), Some(0))
    );
    let validity = sms.validity.unwrap_or_default();
    let deferred = sms.deferred.unwrap_or_default();
    assert!(
        (validity - (now + 600)).abs() <= 2,
        "validity {validity} is absolute"
    );
    assert!(
        (deferred - (now + 300)).abs() <= 2,
        "deferred {deferred} is absolute"
    );
    assert_eq!(sms.dlr_mask, Some(3));
    assert_eq!(
        sms.dlr_url.as_deref(),
        Some(&b"http://127.0.0.1/dlr?t=%d"[..])
    );
    assert_eq!(
        (sms.pid, sms.alt_dcs, sms.rpi),
        (Some(64), Some(1), Some(1))
    );
    assert_eq!(sms.account.as_deref(), Some(&b"acct1"[..]));
    assert_eq!(sms.binfo.as_deref(), Some(&b"bill1"[..]));
    assert_eq!(sms.boxc_id.as_deref(), Some(&b"box1"[..]));
    assert_eq!(sms.priority, Some(2));
    assert_eq!(sms.meta_data.as_deref(), Some(&b"?smpp?my_tlv=hello"[..]));
    Ok(())
}

#[test]
fn smsbox_answers_each_ack_status_with_kannels_text() -> TestResult {
    let mut rig = ScriptedRig::start(&[], users())?;
    let cases = [
        (AckStatus::Success, 202, "0: Accepted for delivery"),
        (AckStatus::Buffered, 202, "3: Queued for later delivery"),
        (AckStatus::Failed, 403, "Not routable. Do not try again."),
        (
            AckStatus::FailedTmp,
            503,
            "Temporal failure, try again later.",
        ),
    ];
    for (status, code, body) in cases {
        let client = get_in_background(
            rig.sendsms_port(),
            "username=tester&password=foobar&to=1&text=ack",
        );
        let sms = rig.session.next_sms(WAIT)?;
        rig.session.ack(&sms, status)?;
        let answer = joined(client)?;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (code, body),
            "for {status:?}"
        );
    }
    Ok(())
}

#[test]
fn smsbox_acks_mo_and_reports_with_their_own_id() -> TestResult {
    let groups = users().group("sms-service", &[("keyword", "default"), ("text", "hi")]);
    let mut rig = ScriptedRig::start(&[], groups)?;
    let mo = box_protocol::message::Sms::new_mo(
        "4670000002".as_bytes(),
        "5555".as_bytes(),
        "hello".as_bytes(),
        Coding::SevenBit,
        "fake1".as_bytes(),
    );
    rig.session.send(&Msg::from(mo.clone()))?;
    let mut acked = false;
    let mut reply = None;
    for _ in 0..2 {
        match rig.session.next(WAIT)? {
            Msg::Ack { nack, id, time } => {
                assert_eq!((nack, id, time), (AckStatus::Success, mo.id, mo.time));
                acked = true;
            }
            Msg::Sms(sms) => reply = Some(sms),
            other => return Err(format!("unexpected {other:?}").into()),
        }
    }
    assert!(acked);
    let reply = reply.ok_or("no reply")?;
    assert_eq!(reply.receiver.as_deref(), Some(&b"4670000002"[..]));
    assert_eq!(reply.msgdata.as_deref(), Some(&b"hi"[..]));
    assert_eq!(reply.sms_type, Some(SmsType::MtReply));
    Ok(())
}

#[test]
fn smsbox_answers_temporary_failure_at_once_while_bearerbox_is_away() -> TestResult {
    let mut rig = ScriptedRig::start(&[], users())?;
    rig.go_away();
    let deadline = Instant::now() + WAIT;
    let answer = loop {
        let started = Instant::now();
        let answer = http::get(
            rig.sendsms_port(),
            "/cgi-bin/sendsms?username=tester&password=foobar&to=1&text=x",
        )?;
        if answer.status == 503 || Instant::now() >= deadline {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "answered at once"
            );
            break answer;
        }
        thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (503, "Temporal failure, try again later.")
    );

    rig.come_back()?;
    let client = get_in_background(
        rig.sendsms_port(),
        "username=tester&password=foobar&to=1&text=back",
    );
    let sms = rig.session.next_sms(WAIT)?;
    rig.session.ack(&sms, AckStatus::Success)?;
    assert_eq!(
        joined(client)?.status,
        202,
        "sending resumes once bearerbox is back"
    );
    Ok(())
}

#[test]
fn smsbox_answers_temporary_failure_when_bearerbox_never_acks() -> TestResult {
    let mut rig = ScriptedRig::start(&[], users())?;
    let started = Instant::now();
    let client = get_in_background(
        rig.sendsms_port(),
        "username=tester&password=foobar&to=1&text=x",
    );
    let _sms = rig.session.next_sms(WAIT)?;
    let answer = joined(client)?;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (503, "Temporal failure, try again later.")
    );
    assert!(started.elapsed() < Duration::from_secs(9));
    Ok(())
}

#[test]
fn smsbox_forced_smsc_wins_and_default_smsc_fills_in() -> TestResult {
    let groups = ConfText::new()
        .group(
            "sendsms-user",
            &[
                ("username", "forced"),
                ("password", "pw"),
                ("forced-smsc", "A"),
            ],
        )
        .group(
            "sendsms-user",
            &[
                ("username", "defaulted"),
                ("password", "pw"),
                ("default-smsc", "D"),
                ("default-sender", "DS"),
            ],
        );
    let mut rig = ScriptedRig::start(&[], groups)?;
    let cases = [
        (
            "username=forced&password=pw&to=1&text=x&smsc=B",
            "A",
            "12345",
        ),
        ("username=defaulted&password=pw&to=1&text=x", "D", "DS"),
        (
            "username=defaulted&password=pw&to=1&text=x&smsc=B&from=F",
            "B",
            "F",
        ),
    ];
    for (query, smsc, sender) in cases {
        let client = get_in_background(rig.sendsms_port(), query);
        let sms = rig.session.next_sms(WAIT)?;
        rig.session.ack(&sms, AckStatus::Success)?;
        assert_eq!(joined(client)?.status, 202);
        assert_eq!(sms.smsc_id.as_deref(), Some(smsc.as_bytes()), "for {query}");
        assert_eq!(
            sms.sender.as_deref(),
            Some(sender.as_bytes()),
            "for {query}"
        );
    }
    Ok(())
}

//! Per-user credits: one credit per part, a request charged whole or
//! refused whole, no overspending under concurrency, balances that survive
//! restarts and configuration changes, top-ups by the operator, and refunds
//! when bearerbox refuses a message or its delivery report says it failed.

use std::process::Command;
use std::thread;
use std::time::Duration;

use box_protocol::message::{AckStatus, Msg, Sms, SmsType};
use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::gateway::binary_path;
use tests::http;
use tests::kannel::{Bearer, SmsboxRig};
use tests::recorder::Recorder;
use tests::scripted_bearerbox::ScriptedRig;

const QUIET: Duration = Duration::from_millis(1500);
const WAIT: Duration = Duration::from_secs(10);

fn user(name: &str, credits: &str) -> ConfText {
    ConfText::new().group(
        "sendsms-user",
        &[
            ("username", name),
            ("password", "pw"),
            ("credits", credits),
            ("max-messages", "5"),
            ("concatenation", "true"),
        ],
    )
}

fn balance(port: u16, name: &str) -> Result<String, tests::HarnessError> {
    let answer = http::get(
        port,
        &format!("/cgi-bin/balance?username={name}&password=pw"),
    )?;
    Ok(answer.body)
}

fn credits_cli(args: &[&str], dir: &std::path::Path) -> Result<String, Box<dyn std::error::Error>> {
    let output = Command::new(binary_path("smsbox")?)
        .arg("credits")
        .args(args)
        .current_dir(dir)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "smsbox credits {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn smsbox_hundred_concurrent_requests_never_spend_more_than_a_balance_of_ten() -> TestResult {
    let mut rig = SmsboxRig::start(Bearer::from_env(), &[], user("racer", "10"))?;
    let port = rig.sendsms_port();
    let clients: Vec<_> = (0..100)
        .map(|i| {
            thread::spawn(move || {
                http::get(
                    port,
                    &format!(
                        "/cgi-bin/sendsms?username=racer&password=pw&to=46700{i:05}&text=race"
                    ),
                )
            })
        })
        .collect();
    let mut accepted = 0;
    let mut refused = 0;
    for client in clients {
        let answer = client.join().map_err(|_| "client thread panicked")??;
        match (answer.status, answer.body.as_str()) {
            (202, "0: Accepted for delivery") => accepted += 1,
            (402, "Insufficient credits: need 1, have 0") => refused += 1,
            other => return Err(format!("unexpected answer {other:?}").into()),
        }
    }
    assert_eq!((accepted, refused), (10, 90));
    assert_eq!(rig.mt_lines(20, QUIET)?.len(), 10, "exactly 10 parts sent");
    assert_eq!(balance(port, "racer")?, "0");
    Ok(())
}

#[test]
fn smsbox_charges_one_credit_per_part_for_all_recipients_or_refuses_whole() -> TestResult {
    let mut rig = SmsboxRig::start(Bearer::from_env(), &[], user("buyer", "5"))?;
    let port = rig.sendsms_port();
    let answer = http::get(
        port,
        "/cgi-bin/sendsms?username=buyer&password=pw&to=1+2+3+4+5+6&text=six",
    )?;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (402, "Insufficient credits: need 6, have 5")
    );
    assert_eq!(
        rig.mt_lines(1, QUIET)?,
        Vec::<String>::new(),
        "nothing sent"
    );
    assert_eq!(balance(port, "buyer")?, "5");

    // 161 GSM characters are two parts; two recipients cost four.
    let long = "a".repeat(161);
    let answer = http::get(
        port,
        &format!("/cgi-bin/sendsms?username=buyer&password=pw&to=11+22&text={long}"),
    )?;
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(balance(port, "buyer")?, "1");
    // 71 UCS-2 characters are two parts too.
    let ucs2 = "%D0%96".repeat(71);
    let answer = http::get(
        port,
        &format!("/cgi-bin/sendsms?username=buyer&password=pw&to=11&text={ucs2}"),
    )?;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (402, "Insufficient credits: need 2, have 1")
    );
    let answer = http::get(
        port,
        "/cgi-bin/sendsms?username=buyer&password=pw&to=11&text=one",
    )?;
    assert_eq!(answer.status, 202);
    assert_eq!(balance(port, "buyer")?, "0");
    Ok(())
}

#[test]
fn smsbox_balances_survive_restarts_and_configuration_changes_and_take_top_ups() -> TestResult {
    let mut rig = SmsboxRig::start(Bearer::from_env(), &[], user("keeper", "3"))?;
    let port = rig.sendsms_port();
    let answer = http::get(
        port,
        "/cgi-bin/sendsms?username=keeper&password=pw&to=1&text=x",
    )?;
    assert_eq!(answer.status, 202);
    assert_eq!(balance(port, "keeper")?, "2");

    rig.stop_smsbox()?;
    let conf = std::fs::read_to_string(&rig.smsbox_conf)?;
    std::fs::write(
        &rig.smsbox_conf,
        conf.replace("credits = 3", "credits = 100"),
    )?;
    let conf_path = rig.smsbox_conf.display().to_string();
    let out = credits_cli(&["add", "keeper", "5", &conf_path], rig.dir.path())?;
    assert_eq!(out.trim(), "keeper: 7");
    rig.start_smsbox()?;
    assert_eq!(
        balance(port, "keeper")?,
        "7",
        "the starting balance applies once"
    );

    let answer = http::get(
        port,
        "/cgi-bin/credits?admin-password=secret&username=keeper&add=3",
    )?;
    assert_eq!((answer.status, answer.body.as_str()), (200, "10"));
    let answer = http::get(
        port,
        "/cgi-bin/credits?admin-password=wrong&username=keeper&add=3",
    )?;
    assert_eq!(answer.status, 403);
    let answer = http::get(port, "/cgi-bin/balance?username=keeper&password=bad")?;
    assert_eq!(answer.status, 403);
    assert_eq!(balance(port, "keeper")?, "10");

    let ledger = credits_cli(&["ledger", "keeper", &conf_path], rig.dir.path())?;
    let reasons: Vec<&str> = ledger
        .lines()
        .filter_map(|l| l.split('\t').nth(1))
        .collect();
    assert_eq!(
        reasons,
        [
            "opening balance",
            "sendsms",
            "top-up by the operator",
            "top-up over HTTP"
        ],
        "{ledger}"
    );
    Ok(())
}

#[test]
fn smsbox_refunds_a_message_bearerbox_refuses() -> TestResult {
    let mut rig = ScriptedRig::start(&[], user("refused", "4"))?;
    let port = rig.sendsms_port();
    let client = thread::spawn(move || {
        http::get(
            port,
            "/cgi-bin/sendsms?username=refused&password=pw&to=1+2&text=x",
        )
    });
    for _ in 0..2 {
        let sms = rig.session.next_sms(WAIT)?;
        rig.session.ack(&sms, AckStatus::Failed)?;
    }
    let answer = client.join().map_err(|_| "client thread panicked")??;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (403, "Not routable. Do not try again.")
    );
    assert_eq!(balance(port, "refused")?, "4");
    Ok(())
}

/// The report bearerbox sends for `mt` with DLR event `event`.
fn report(mt: &Sms, event: i32) -> Sms {
    Sms {
        sender: mt.sender.clone(),
        receiver: mt.receiver.clone(),
        msgdata: Some(Vec::new()),
        time: mt.time,
        smsc_id: Some(b"fake1".to_vec()),
        foreign_id: Some(b"F42".to_vec()),
        service: mt.service.clone(),
        sms_type: Some(SmsType::ReportMo),
        dlr_mask: Some(event),
        dlr_url: mt.dlr_url.clone(),
        ..Sms::undefined(uuid::Uuid::new_v4())
    }
}

#[test]
fn smsbox_refunds_a_failed_delivery_and_calls_back_only_the_events_asked_for() -> TestResult {
    let recorder = Recorder::start()?;
    let mut rig = ScriptedRig::start(&[], user("dlruser", "5"))?;
    let port = rig.sendsms_port();
    let dlr_url = http::encode(&recorder.url("/dlr?type=%d&to=%p&fid=%F"));

    // Asks for success and failure reports (mask 3).
    let query = format!(
        "/cgi-bin/sendsms?username=dlruser&password=pw&to=4670000001&text=x&dlr-mask=3&dlr-url={dlr_url}"
    );
    let client = thread::spawn(move || http::get(port, &query));
    let first = rig.session.next_sms(WAIT)?;
    assert_eq!(
        first.dlr_mask,
        Some(3 | 2 | 16),
        "the failure events are asked for too"
    );
    rig.session.ack(&first, AckStatus::Success)?;
    assert_eq!(
        client.join().map_err(|_| "client thread panicked")??.status,
        202
    );
    assert_eq!(balance(port, "dlruser")?, "4");

    // Asks only for success; the failure must not reach the user.
    let query = format!(
        "/cgi-bin/sendsms?username=dlruser&password=pw&to=4670000002&text=y&dlr-mask=1&dlr-url={dlr_url}"
    );
    let client = thread::spawn(move || http::get(port, &query));
    let second = rig.session.next_sms(WAIT)?;
    rig.session.ack(&second, AckStatus::Success)?;
    assert_eq!(
        client.join().map_err(|_| "client thread panicked")??.status,
        202
    );
    assert_eq!(balance(port, "dlruser")?, "3");

    for (mt, event) in [(&first, 2), (&second, 16)] {
        let dlr = report(mt, event);
        rig.session.send(&Msg::from(dlr.clone()))?;
        match rig.session.next_ack(WAIT)? {
            Msg::Ack { id, nack, .. } => assert_eq!((id, nack), (dlr.id, AckStatus::Success)),
            other => return Err(format!("unexpected {other:?}").into()),
        }
    }
    let calls = recorder.wait_for(1, WAIT)?;
    thread::sleep(Duration::from_millis(500));
    let calls = if recorder.requests().len() > calls.len() {
        recorder.requests()
    } else {
        calls
    };
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].query("type").as_deref(), Some("2"));
    assert_eq!(calls[0].query("to").as_deref(), Some("4670000001"));
    assert_eq!(calls[0].query("fid").as_deref(), Some("F42"));
    tests::gateway::wait_until("both refunds", WAIT, || {
        Ok(balance(port, "dlruser").map(|b| b == "5").unwrap_or(false))
    })?;
    // A second failure report for the same message refunds nothing more.
    let dlr = report(&first, 2);
    rig.session.send(&Msg::from(dlr))?;
    let _ = rig.session.next_ack(WAIT)?;
    thread::sleep(Duration::from_millis(300));
    assert_eq!(balance(port, "dlruser")?, "5");
    Ok(())
}

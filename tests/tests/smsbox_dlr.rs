//! Delivery reports to the user's dlr-url, through a real bearerbox: the
//! SMSC's ack first, then the final state, with Kannel's escapes; only the
//! events the user asked for; failed calls retried as configured.

use std::time::Duration;

use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::http::{self, encode};
use tests::kannel::{Bearer, SmsboxRig};
use tests::recorder::{Recorder, Reply};

const WAIT: Duration = Duration::from_secs(10);

fn users() -> ConfText {
    ConfText::new()
        .group(
            "sendsms-user",
            &[("username", "tester"), ("password", "foobar")],
        )
        .group(
            "sendsms-user",
            &[("username", "payer"), ("password", "pw"), ("credits", "10")],
        )
}

#[test]
fn smsbox_calls_the_dlr_url_for_the_smsc_ack_then_the_delivery_in_that_order() -> TestResult {
    dlr_url_calls_come_in_kannels_order(Bearer::from_env())
}

#[test]
fn smsbox_on_kannels_bearerbox_calls_the_dlr_url_in_the_same_order() -> TestResult {
    dlr_url_calls_come_in_kannels_order(Bearer::Kannel)
}

fn dlr_url_calls_come_in_kannels_order(bearer: Bearer) -> TestResult {
    let recorder = Recorder::start()?;
    let mut rig = SmsboxRig::start(bearer, &[], users())?;
    let url =
        recorder.url("/dlr?id=42&type=%d&answer=%A&smscid=%i&to=%p&from=%P&fid=%F&user=%n&ts=%T");
    let answer = http::get(
        rig.sendsms_port(),
        &format!(
            "/cgi-bin/sendsms?username=tester&password=foobar&from=777&to=4670000003&text=dlr&dlr-mask=31&dlr-url={}",
            encode(&url)
        ),
    )?;
    assert_eq!(answer.status, 202);
    let id = answer
        .header("X-Message-Id")
        .unwrap_or_default()
        .to_string();
    assert_eq!(rig.mt_lines(1, WAIT)?.len(), 1);
    let calls = recorder.wait_for(2, WAIT)?;
    let q = |i: usize, name: &str| calls[i].query(name).unwrap_or_default();
    assert_eq!(
        (q(0, "type"), q(1, "type")),
        ("8".into(), "1".into()),
        "{calls:#?}"
    );
    assert_eq!(q(0, "answer"), "ACK/");
    for i in 0..2 {
        assert_eq!(q(i, "id"), "42");
        assert_eq!(q(i, "smscid"), "fake1");
        assert_eq!(q(i, "to"), "4670000003");
        assert_eq!(q(i, "from"), "777");
        assert_eq!(q(i, "user"), "tester");
        assert!(q(i, "ts").parse::<i64>().is_ok());
    }
    // The fake link uses the message id as the SMSC's id.
    assert_eq!(q(1, "fid"), id);
    Ok(())
}

#[test]
fn smsbox_a_user_with_credits_gets_only_the_reports_asked_for() -> TestResult {
    let recorder = Recorder::start()?;
    let mut rig = SmsboxRig::start(Bearer::from_env(), &[], users())?;
    let url = recorder.url("/dlr?type=%d");
    let answer = http::get(
        rig.sendsms_port(),
        &format!(
            "/cgi-bin/sendsms?username=payer&password=pw&to=4670000004&text=paid&dlr-mask=1&dlr-url={}",
            encode(&url)
        ),
    )?;
    assert_eq!(answer.status, 202);
    assert_eq!(rig.mt_lines(1, WAIT)?.len(), 1);
    let calls = recorder.wait_for(1, WAIT)?;
    std::thread::sleep(Duration::from_millis(1000));
    let calls = if recorder.requests().len() > calls.len() {
        recorder.requests()
    } else {
        calls
    };
    let types: Vec<String> = calls.iter().filter_map(|c| c.query("type")).collect();
    assert_eq!(types, ["1"]);
    let balance = http::get(
        rig.sendsms_port(),
        "/cgi-bin/balance?username=payer&password=pw",
    )?;
    assert_eq!(balance.body, "9", "a delivered message stays charged");
    Ok(())
}

#[test]
fn smsbox_retries_a_failing_service_url_as_configured() -> TestResult {
    let recorder = Recorder::start()?;
    recorder.set_reply(Reply {
        status: 503,
        content_type: "text/plain".into(),
        headers: Vec::new(),
        body: Vec::new(),
    });
    let groups = users().group(
        "sms-service",
        &[
            ("keyword", "default"),
            ("get-url", &recorder.url("/flaky")),
            ("catch-all", "true"),
        ],
    );
    let mut rig = SmsboxRig::start(
        Bearer::from_env(),
        &[("http-request-retry", "2"), ("http-queue-delay", "1")],
        groups,
    )?;
    rig.send_mo("4670000005", "5555", "hello")?;
    assert_eq!(
        rig.mt_lines(1, WAIT)?,
        ["12345 4670000005 text Could not fetch content, sorry."]
    );
    assert_eq!(recorder.requests().len(), 3, "one call and two retries");
    Ok(())
}

//! sms-service rules seen from a bearerbox the test scripts, so that an MO
//! can carry what a fake SMSC cannot (an account, UCS-2 text):
//! `accepted-account`, `prefix`/`suffix` on an HTML answer, `mo-recode`,
//! and the smsbox group's `immediate-sendsms-reply`.

use std::thread;
use std::time::Duration;

use box_protocol::encoding::ucs2;
use box_protocol::message::{Coding, Msg, Sms};
use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::http;
use tests::recorder::{Recorder, Reply};
use tests::scripted_bearerbox::{BoxSession, ScriptedRig};

const WAIT: Duration = Duration::from_secs(10);

fn mo(text: &[u8], coding: Coding, account: Option<&str>) -> Sms {
    let mut sms = Sms::new_mo(
        "4670000001".as_bytes(),
        "5555".as_bytes(),
        text,
        coding,
        "fake1".as_bytes(),
    );
    sms.account = account.map(|a| a.as_bytes().to_vec());
    sms
}

/// The next reply's text, acks skipped.
fn reply(session: &mut BoxSession) -> Result<String, tests::HarnessError> {
    loop {
        if let Msg::Sms(sms) = session.next(WAIT)? {
            return Ok(
                String::from_utf8_lossy(sms.msgdata.as_deref().unwrap_or_default()).into_owned(),
            );
        }
    }
}

#[test]
fn smsbox_accepted_account_limits_a_service_to_mo_of_those_accounts() -> TestResult {
    let groups = ConfText::new()
        .group(
            "sms-service",
            &[
                ("keyword", "bill"),
                ("accepted-account", "acct1;acct2"),
                ("text", "billing for %o"),
            ],
        )
        .group(
            "sms-service",
            &[
                ("keyword", "vip"),
                ("accepted-account-regex", "^gold-[0-9]+$"),
                ("text", "vip"),
            ],
        )
        .group(
            "sms-service",
            &[("keyword", "default"), ("text", "fallback")],
        );
    let mut rig = ScriptedRig::start(&[], groups)?;
    let cases = [
        ("bill", Some("acct2"), "billing for acct2"),
        ("bill", Some("acct3"), "fallback"),
        // Kannel checks the account only on an MO that carries one.
        ("bill", None, "billing for "),
        ("vip", Some("gold-7"), "vip"),
        ("vip", Some("gold-x"), "fallback"),
    ];
    for (text, account, expected) in cases {
        rig.session
            .send(&Msg::from(mo(text.as_bytes(), Coding::SevenBit, account)))?;
        assert_eq!(
            reply(&mut rig.session)?,
            expected,
            "{text:?} with account {account:?}"
        );
    }
    Ok(())
}

#[test]
fn smsbox_prefix_and_suffix_keep_only_the_text_between_them_in_an_html_answer() -> TestResult {
    let recorder = Recorder::start()?;
    recorder.set_reply(Reply {
        status: 200,
        content_type: "text/html; charset=UTF-8".into(),
        headers: Vec::new(),
        body: b"<html><h1>Weather</h1><!-- forecast --> START <b>Sunny</b>,\n  21&nbsp;C &amp; dry End <p>ads</p> END</html>".to_vec(),
    });
    let url = recorder.url("/page");
    let groups = ConfText::new()
        .group(
            "sms-service",
            &[
                ("keyword", "cut"),
                ("get-url", &url),
                ("prefix", "start"),
                ("suffix", "end"),
            ],
        )
        .group(
            "sms-service",
            &[("keyword", "half"), ("get-url", &url), ("prefix", "START")],
        );
    let mut rig = ScriptedRig::start(&[], groups)?;
    rig.session
        .send(&Msg::from(mo(b"cut", Coding::SevenBit, None)))?;
    assert_eq!(
        reply(&mut rig.session)?,
        "Sunny, 21 C & dry",
        "between the first prefix and the first suffix after it, either case"
    );
    rig.session
        .send(&Msg::from(mo(b"half", Coding::SevenBit, None)))?;
    assert_eq!(
        reply(&mut rig.session)?,
        "Weather START Sunny, 21 C & dry End ads END",
        "a prefix without a suffix cuts nothing"
    );
    Ok(())
}

#[test]
fn smsbox_mo_recode_hands_ucs2_mo_to_services_as_utf8_text() -> TestResult {
    let recorder = Recorder::start()?;
    let url = recorder.url("/mo?text=%a&b=%b&coding=%c&charset=%C&k=%k");
    let groups = ConfText::new().group(
        "sms-service",
        &[
            ("keyword", "привет"),
            ("get-url", &url),
            ("catch-all", "true"),
        ],
    );
    let text = ucs2::encode("Привет мир €");
    let mut recoding = ScriptedRig::start(&[("mo-recode", "true")], groups.clone())?;
    recoding
        .session
        .send(&Msg::from(mo(&text, Coding::Ucs2, None)))?;
    let calls = recorder.wait_for(1, WAIT)?;
    let q = |name: &str| calls[0].query(name).unwrap_or_default();
    assert_eq!(
        (q("text"), q("b"), q("coding"), q("charset"), q("k")),
        (
            "Привет мир €".to_string(),
            "Привет мир €".to_string(),
            "0".to_string(),
            "UTF-8".to_string(),
            "Привет".to_string()
        ),
        "%b, the message's own octets, are UTF-8 now"
    );

    // Without mo-recode the message stays UTF-16BE: %b gives its octets.
    let mut raw = ScriptedRig::start(&[], groups)?;
    raw.session
        .send(&Msg::from(mo(&text, Coding::Ucs2, None)))?;
    let calls = recorder.wait_for(2, WAIT)?;
    assert_eq!(calls[1].query("coding").as_deref(), Some("2"));
    assert_eq!(calls[1].query("charset").as_deref(), Some("UTF-16BE"));
    let target = &calls[1].target;
    assert!(
        target.contains("&b=%04%1F%04"),
        "raw UTF-16BE octets: {target}"
    );
    Ok(())
}

#[test]
fn smsbox_immediate_sendsms_reply_answers_sent_without_waiting_for_bearerbox() -> TestResult {
    let groups = ConfText::new().group(
        "sendsms-user",
        &[
            ("username", "tester"),
            ("password", "foobar"),
            ("black-list-regex", "^222$"),
            ("max-messages", "3"),
            ("concatenation", "true"),
        ],
    );
    let mut rig = ScriptedRig::start(&[("immediate-sendsms-reply", "true")], groups)?;
    let port = rig.sendsms_port();
    // bearerbox never acks here: the answer must not wait for it.
    let client = thread::spawn(move || {
        http::get(
            port,
            "/cgi-bin/sendsms?username=tester&password=foobar&to=111+222&text=hello",
        )
    });
    let answer = match client.join() {
        Ok(answer) => answer?,
        Err(_) => return Err("the HTTP client thread panicked".into()),
    };
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (202, "Sent. Denied receivers are: 222")
    );
    let sms = rig.session.next_sms(WAIT)?;
    assert_eq!(sms.receiver.as_deref(), Some(&b"111"[..]));

    let long = "a".repeat(200);
    let answer = http::get(
        port,
        &format!("/cgi-bin/sendsms?username=tester&password=foobar&to=111&text={long}"),
    )?;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (202, "Sent. Message splits: 2")
    );
    Ok(())
}

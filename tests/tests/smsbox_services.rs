//! sms-services: an MO from a handset picks its service as Kannel picks
//! it, the service's URL gets Kannel's escapes, and the answer goes back
//! to the handset as the reply.

use std::time::Duration;

use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::kannel::{Bearer, SmsboxRig};
use tests::recorder::{Recorder, Reply};

const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(1500);

fn rig_with(services: ConfText) -> Result<SmsboxRig, tests::HarnessError> {
    rig_on(Bearer::from_env(), services)
}

fn rig_on(bearer: Bearer, services: ConfText) -> Result<SmsboxRig, tests::HarnessError> {
    let groups = ConfText::new()
        .group(
            "sendsms-user",
            &[("username", "tester"), ("password", "foobar")],
        )
        .raw(services.text());
    SmsboxRig::start(bearer, &[], groups)
}

#[test]
fn smsbox_mo_calls_the_get_url_with_kannels_escapes_and_replies_with_its_answer() -> TestResult {
    mo_reaches_the_get_url_and_the_reply_goes_back(Bearer::from_env())
}

#[test]
fn smsbox_on_kannels_bearerbox_takes_mo_to_the_get_url_and_replies_the_same() -> TestResult {
    mo_reaches_the_get_url_and_the_reply_goes_back(Bearer::Kannel)
}

fn mo_reaches_the_get_url_and_the_reply_goes_back(bearer: Bearer) -> TestResult {
    let recorder = Recorder::start()?;
    recorder.set_reply(Reply::text("Sunny, 21 C"));
    let url = recorder.url(
        "/weather?k=%k&s=%s&r=%r&a=%a&b=%b&p=%p&P=%P&q=%q&i=%i&t=%t&T=%T&c=%c&C=%C&m=%m&M=%M&d=%d&n=%n&I=%I&e=%e&O=%O&pct=%%",
    );
    let mut rig = rig_on(
        bearer,
        ConfText::new().group(
            "sms-service",
            &[("keyword", "weather"), ("name", "wx"), ("get-url", &url)],
        ),
    )?;
    rig.send_mo("004670000001", "5555", "Weather stock*holm  today")?;
    let calls = recorder.wait_for(1, WAIT)?;
    let call = &calls[0];
    assert_eq!(call.method, "GET");
    assert_eq!(call.path(), "/weather");
    let q = |name: &str| call.query(name).unwrap_or_default();
    assert_eq!(q("k"), "Weather");
    assert_eq!(q("s"), "stock*holm");
    assert_eq!(q("r"), "today");
    assert_eq!(q("a"), "Weather stock*holm today");
    assert_eq!(q("b"), "Weather stock*holm  today");
    assert_eq!(q("p"), "004670000001");
    assert_eq!(q("q"), "+4670000001");
    assert_eq!(
        q("P"),
        "12345",
        "after the swap %P is the reply's sender, the global sender"
    );
    assert_eq!(q("i"), "fake1");
    assert_eq!(q("c"), "0");
    assert_eq!(q("C"), "UTF-8");
    assert_eq!(
        (q("m"), q("M"), q("d"), q("O")),
        ("-1".into(), "-1".into(), "-1".into(), "00".into())
    );
    assert_eq!(q("n"), "wx");
    assert_eq!(q("I").len(), 36);
    assert_eq!(q("e"), "576561746865722073746F636B2A686F6C6D2020746F646179");
    assert_eq!(q("pct"), "%");
    let time = q("t");
    assert!(
        time.len() == 19 && time.as_bytes()[10] == b' ',
        "%t is YYYY-MM-DD+HH:MM:SS: {time:?}"
    );
    assert!(q("T").parse::<i64>().is_ok());
    assert_eq!(
        rig.mt_lines(1, WAIT)?,
        ["12345 004670000001 text Sunny, 21 C"]
    );
    Ok(())
}

#[test]
fn smsbox_picks_services_by_keyword_alias_regex_word_count_and_default() -> TestResult {
    let services = ConfText::new()
        .group("sms-service", &[("keyword", "two"), ("text", "two:%s,%s")])
        .group(
            "sms-service",
            &[
                ("keyword", "hi"),
                ("aliases", "hello;hey"),
                ("text", "greeting %k"),
            ],
        )
        .group(
            "sms-service",
            &[("keyword-regex", "^rx[0-9]+$"), ("text", "regex %k")],
        )
        .group(
            "sms-service",
            &[
                ("keyword", "only"),
                ("accepted-smsc", "elsewhere"),
                ("text", "never"),
            ],
        )
        .group(
            "sms-service",
            &[
                ("keyword", "echo"),
                ("text", "You said %r"),
                ("faked-sender", "ECHO"),
                ("header", "<"),
                ("footer", ">"),
            ],
        )
        .group(
            "sms-service",
            &[("keyword", "quiet"), ("text", ""), ("omit-empty", "true")],
        )
        .group(
            "sms-service",
            &[
                ("keyword", "rcv"),
                ("allowed-receiver-prefix", "7777"),
                ("denied-prefix", "999"),
                ("text", "rcv ok"),
            ],
        )
        .group(
            "sms-service",
            &[("keyword", "default"), ("text", "No service for %k")],
        );
    let mut rig = rig_with(services)?;
    let cases = [
        ("two alpha beta", "12345 111 text two:alpha,beta"),
        ("two alpha", "12345 111 text No service for two"),
        ("HEY", "12345 111 text greeting HEY"),
        ("hey there", "12345 111 text No service for hey"),
        ("rx42", "12345 111 text regex rx42"),
        ("rx42 more", "12345 111 text No service for rx42"),
        ("only me", "12345 111 text No service for only"),
        ("echo hello world", "ECHO 111 text <You said hello+world>"),
    ];
    for (text, expected) in cases {
        rig.send_mo("111", "5555", text)?;
        assert_eq!(rig.mt_lines(1, WAIT)?, [expected], "for MO {text:?}");
    }
    for (from, to, expected) in [
        ("111", "7777", "12345 111 text rcv ok"),
        ("111", "5555", "12345 111 text No service for rcv"),
        ("999111", "7777", "12345 999111 text No service for rcv"),
    ] {
        rig.send_mo(from, to, "rcv")?;
        assert_eq!(rig.mt_lines(1, WAIT)?, [expected], "from {from} to {to}");
    }
    rig.send_mo("111", "5555", "quiet")?;
    assert_eq!(
        rig.mt_lines(1, QUIET)?,
        Vec::<String>::new(),
        "omit-empty sends no reply"
    );
    Ok(())
}

#[test]
fn smsbox_post_url_sends_the_text_with_x_kannel_headers() -> TestResult {
    let recorder = Recorder::start()?;
    recorder.set_reply(Reply {
        status: 200,
        content_type: "text/plain".into(),
        headers: vec![("X-Kannel-From".into(), "BRAND".into())],
        body: b"posted".to_vec(),
    });
    let url = recorder.url("/post");
    let mut rig = rig_with(ConfText::new().group(
        "sms-service",
        &[
            ("keyword", "vote"),
            ("name", "voting"),
            ("post-url", &url),
            ("send-sender", "true"),
            ("strip-keyword", "true"),
            ("accept-x-kannel-headers", "true"),
        ],
    ))?;
    rig.send_mo("4670000002", "5555", "vote for blue")?;
    let calls = recorder.wait_for(1, WAIT)?;
    let call = &calls[0];
    assert_eq!(call.method, "POST");
    assert_eq!(String::from_utf8_lossy(&call.body), "for blue");
    assert_eq!(
        call.header("Content-Type"),
        Some("text/plain; charset=\"UTF-8\"")
    );
    assert_eq!(call.header("X-Kannel-From"), Some("4670000002"));
    assert_eq!(call.header("X-Kannel-To"), Some("5555"));
    assert_eq!(call.header("X-Kannel-SMSC"), Some("fake1"));
    assert_eq!(call.header("X-Kannel-Service"), Some("voting"));
    assert_eq!(call.header("X-Kannel-Coding"), Some("0"));
    assert!(call.header("X-Kannel-Time").is_some());
    assert_eq!(rig.mt_lines(1, WAIT)?, ["BRAND 4670000002 text posted"]);
    Ok(())
}

#[test]
fn smsbox_a_failing_service_url_gets_kannels_could_not_fetch_reply() -> TestResult {
    let recorder = Recorder::start()?;
    recorder.set_reply(Reply {
        status: 500,
        content_type: "text/plain".into(),
        headers: Vec::new(),
        body: b"boom".to_vec(),
    });
    let url = recorder.url("/broken?x=%s");
    let mut rig = rig_with(ConfText::new().group(
        "sms-service",
        &[
            ("keyword", "default"),
            ("get-url", &url),
            ("catch-all", "true"),
        ],
    ))?;
    rig.send_mo("4670000003", "5555", "anything at all")?;
    assert_eq!(
        rig.mt_lines(1, WAIT)?,
        ["12345 4670000003 text Could not fetch content, sorry."]
    );
    assert_eq!(recorder.requests().len(), 1);
    Ok(())
}

#[test]
fn smsbox_post_xml_and_file_services_work_as_kannels() -> TestResult {
    let recorder = Recorder::start()?;
    recorder.set_reply(Reply::text("xml done"));
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("reply.txt");
    std::fs::write(&file, "from a file\n")?;
    let services = ConfText::new()
        .group(
            "sms-service",
            &[
                ("keyword", "pxml"),
                ("name", "px"),
                ("post-xml", &recorder.url("/xml")),
            ],
        )
        .group(
            "sms-service",
            &[("keyword", "file"), ("file", &file.display().to_string())],
        );
    let mut rig = rig_with(services)?;
    rig.send_mo("4670000006", "5555", "pxml xml body")?;
    let calls = recorder.wait_for(1, WAIT)?;
    let xml = String::from_utf8_lossy(&calls[0].body).into_owned();
    assert_eq!(calls[0].header("Content-Type"), Some("text/xml"));
    assert!(xml.contains("<ud>pxml+xml+body</ud>"), "{xml}");
    assert!(xml.contains("<number>5555</number>"), "{xml}");
    assert!(xml.contains("<service>px</service>"), "{xml}");
    assert!(
        !xml.contains("<oa>"),
        "no sender without send-sender: {xml}"
    );
    assert_eq!(rig.mt_lines(1, WAIT)?, ["12345 4670000006 text xml done"]);
    rig.send_mo("4670000006", "5555", "file")?;
    assert_eq!(
        rig.mt_lines(1, WAIT)?,
        ["12345 4670000006 text from a file"]
    );
    Ok(())
}

#[test]
fn smsbox_a_long_reply_goes_as_at_most_max_messages_separate_messages() -> TestResult {
    let recorder = Recorder::start()?;
    let long = format!(
        "{} {} {}",
        "x".repeat(150),
        "y".repeat(150),
        "z".repeat(150)
    );
    recorder.set_reply(Reply::text(&long));
    let mut rig = rig_with(ConfText::new().group(
        "sms-service",
        &[
            ("keyword", "default"),
            ("get-url", &recorder.url("/long")),
            ("catch-all", "true"),
            ("max-messages", "2"),
            ("split-chars", "\" \""),
        ],
    ))?;
    rig.send_mo("4670000007", "5555", "long please")?;
    let lines = rig.mt_lines(3, QUIET)?;
    assert_eq!(
        lines,
        [
            format!("12345 4670000007 text {} ", "x".repeat(150)),
            format!("12345 4670000007 text {} ", "y".repeat(150)),
        ]
    );
    Ok(())
}

/// An MO is acked to bearerbox only once its service was called: smsbox
/// killed while the call is in progress loses nothing, bearerbox hands the
/// MO to the smsbox started after it. (Kannel's smsbox acks on arrival and
/// loses it.)
#[test]
fn smsbox_killed_during_a_service_call_loses_no_mo() -> TestResult {
    let recorder = Recorder::start()?;
    recorder.set_delay(Duration::from_secs(3));
    let url = recorder.url("/slow?text=%a");
    let mut rig = rig_on(
        Bearer::Ours,
        ConfText::new().group(
            "sms-service",
            &[
                ("keyword", "default"),
                ("get-url", &url),
                ("max-messages", "0"),
            ],
        ),
    )?;
    rig.send_mo("4670000001", "5555", "keep me")?;
    // The call has started: smsbox is waiting for the slow answer.
    recorder.wait_for(1, WAIT)?;
    if let Some(smsbox) = rig.smsbox.as_ref() {
        smsbox.signal(nix::sys::signal::Signal::SIGKILL)?;
    }
    rig.smsbox = None;
    recorder.set_delay(Duration::ZERO);
    rig.start_smsbox()?;
    let calls = recorder.wait_for(2, WAIT)?;
    assert_eq!(calls[1].query("text").as_deref(), Some("keep me"));
    Ok(())
}

//! sendsms against a real bearerbox (Kannel 1.4.5's unless
//! `SMSBOX_TEST_BEARER=ours`): each form of request reaches the handset's
//! link, every refusal has Kannel's answer or a clear one, and nothing
//! refused is sent.

use std::time::Duration;

use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::http::{self, encode};
use tests::kannel::{Bearer, SmsboxRig};

const QUIET: Duration = Duration::from_millis(1500);
const LONG: Duration = Duration::from_secs(10);

fn users() -> ConfText {
    ConfText::new()
        .group(
            "sendsms-user",
            &[
                ("username", "tester"),
                ("password", "foobar"),
                ("max-messages", "3"),
                ("concatenation", "true"),
            ],
        )
        .group(
            "sendsms-user",
            &[
                ("username", "picky"),
                ("password", "secret"),
                ("allowed-prefix", "46"),
                ("denied-prefix", "4699"),
                ("black-list-regex", "^4670000666$"),
                ("faked-sender", "FAKED"),
                ("header", "[H]"),
                ("footer", "[F]"),
            ],
        )
        .group(
            "sendsms-user",
            &[
                ("username", "cutter"),
                ("password", "pw"),
                ("max-messages", "3"),
                ("split-chars", "\" \""),
                ("split-suffix", "+"),
            ],
        )
        .group(
            "sendsms-user",
            &[
                ("username", "remote"),
                ("password", "pw"),
                ("user-allow-ip", "10.9.9.9"),
                ("user-deny-ip", "*.*.*.*"),
            ],
        )
}

fn rig() -> Result<SmsboxRig, tests::HarnessError> {
    SmsboxRig::start(Bearer::from_env(), &[], users())
}

fn send(rig: &SmsboxRig, query: &str) -> Result<http::Response, tests::HarnessError> {
    http::get(rig.sendsms_port(), &format!("/cgi-bin/sendsms?{query}"))
}

fn assert_answer(answer: &http::Response, status: u16, body: &str) {
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (status, body),
        "answer headers: {:?}",
        answer.headers
    );
}

#[test]
fn smsbox_get_sendsms_is_accepted_and_reaches_the_handset_with_a_message_id() -> TestResult {
    let mut rig = rig()?;
    let answer = send(
        &rig,
        "username=tester&password=foobar&from=777&to=4670000001&text=Hello+world",
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    assert_eq!(answer.header("Content-Type"), Some("text/html"));
    assert_eq!(answer.header("Cache-Control"), Some("no-cache"));
    let id = answer.header("X-Message-Id").unwrap_or_default();
    assert_eq!(id.len(), 36, "one UUID per message: {id:?}");
    assert_eq!(rig.mt_lines(1, LONG)?, ["777 4670000001 text Hello world"]);
    Ok(())
}

#[test]
fn smsbox_sendsms_without_from_uses_the_global_sender_and_aliases_work() -> TestResult {
    let mut rig = rig()?;
    let answer = send(&rig, "user=tester&pass=foobar&to=4670000002&text=alias")?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    assert_eq!(rig.mt_lines(1, LONG)?, ["12345 4670000002 text alias"]);
    Ok(())
}

#[test]
fn smsbox_several_recipients_get_one_message_each_with_its_own_id() -> TestResult {
    let mut rig = rig()?;
    let answer = send(
        &rig,
        "username=tester&password=foobar&from=1&to=111+222+333&text=all",
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    let ids: Vec<&str> = answer
        .header("X-Message-Id")
        .unwrap_or_default()
        .split(' ')
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] != ids[1] && ids[1] != ids[2]);
    let mut lines = rig.mt_lines(3, LONG)?;
    lines.sort();
    assert_eq!(
        lines,
        ["1 111 text all", "1 222 text all", "1 333 text all"]
    );
    Ok(())
}

#[test]
fn smsbox_form_encoded_post_is_accepted() -> TestResult {
    let mut rig = rig()?;
    let body = format!(
        "username=tester&password=foobar&from=9&to=4670000003&text={}",
        encode("form & body")
    );
    let answer = http::request(
        rig.sendsms_port(),
        "POST",
        "/cgi-bin/sendsms",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    assert_eq!(rig.mt_lines(1, LONG)?, ["9 4670000003 text form & body"]);
    Ok(())
}

#[test]
fn smsbox_plain_text_post_takes_its_fields_from_x_kannel_headers() -> TestResult {
    let mut rig = rig()?;
    let answer = http::request(
        rig.sendsms_port(),
        "POST",
        "/cgi-bin/sendsms",
        &[
            ("Content-Type", "text/plain; charset=ISO-8859-1"),
            ("X-Kannel-Username", "tester"),
            ("X-Kannel-Password", "foobar"),
            ("X-Kannel-From", "55"),
            ("X-Kannel-To", "4670000004"),
        ],
        b"caf\xe9 body",
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    assert_eq!(rig.mt_lines(1, LONG)?, ["55 4670000004 text café body"]);
    Ok(())
}

#[test]
fn smsbox_xml_post_sends_to_every_da() -> TestResult {
    let mut rig = rig()?;
    let xml = "<?xml version=\"1.0\"?>\n<message><submit>\
        <da><number>4670000005</number></da><da><number>4670000006</number></da>\
        <oa><number>77</number></oa><ud>xml body</ud>\
        <from><username>tester</username><password>foobar</password></from>\
        </submit></message>";
    let answer = http::request(
        rig.sendsms_port(),
        "POST",
        "/cgi-bin/sendsms",
        &[("Content-Type", "text/xml")],
        xml.as_bytes(),
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    let mut lines = rig.mt_lines(2, LONG)?;
    lines.sort();
    assert_eq!(
        lines,
        ["77 4670000005 text xml body", "77 4670000006 text xml body"]
    );
    Ok(())
}

#[test]
fn smsbox_json_post_takes_a_list_of_recipients() -> TestResult {
    let mut rig = rig()?;
    let json = r#"{"username":"tester","password":"foobar","from":"88","to":["4670000007","4670000008"],"text":"json ✓"}"#;
    let answer = http::request(
        rig.sendsms_port(),
        "POST",
        "/cgi-bin/sendsms",
        &[("Content-Type", "application/json")],
        json.as_bytes(),
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    assert_eq!(
        answer
            .header("X-Message-Id")
            .unwrap_or_default()
            .split(' ')
            .count(),
        2
    );
    let lines = rig.mt_lines(2, LONG)?;
    assert_eq!(lines.len(), 2);
    // ✓ has no GSM mapping: the text goes as UCS-2.
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("88 46700000") && l.contains(" ucs-2 ")),
        "{lines:?}"
    );
    Ok(())
}

#[test]
fn smsbox_ucs2_and_udh_requests_reach_the_link_in_their_coding() -> TestResult {
    let mut rig = rig()?;
    let answer = send(
        &rig,
        "username=tester&password=foobar&from=1&to=4670000009&coding=2&charset=UTF-8&text=%C3%A9t%C3%A9",
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    assert_eq!(
        rig.mt_lines(1, LONG)?,
        ["1 4670000009 ucs-2 %00%E9%00t%00%E9"]
    );
    let answer = send(
        &rig,
        "username=tester&password=foobar&from=1&to=4670000009&udh=%05%00%03%01%02%01&text=part",
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    let lines = rig.mt_lines(1, LONG)?;
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("1 4670000009 udh "), "{lines:?}");
    Ok(())
}

#[test]
fn smsbox_user_rules_apply_faked_sender_header_footer_and_prefixes() -> TestResult {
    let mut rig = rig()?;
    let answer = send(
        &rig,
        "username=picky&password=secret&from=777&to=4670000010+4699000000+3312345+4670000666&text=body",
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    // Kannel's pair: with both lists, allowed-prefix 46 wins over
    // denied-prefix 4699, and 33 (in neither) passes; the black-list-regex
    // refuses 4670000666.
    let mut lines = rig.mt_lines(4, QUIET)?;
    lines.sort();
    assert_eq!(
        lines,
        [
            "FAKED 3312345 text [H]body[F]",
            "FAKED 4670000010 text [H]body[F]",
            "FAKED 4699000000 text [H]body[F]",
        ],
        "every receiver but the black-listed one gets it"
    );
    let answer = send(
        &rig,
        "username=picky&password=secret&to=4670000666&text=body",
    )?;
    assert_answer(
        &answer,
        400,
        "Number(s) has/have been denied by white- and/or black-lists.",
    );
    Ok(())
}

#[test]
fn smsbox_every_refusal_has_its_answer_and_sends_nothing() -> TestResult {
    let mut rig = rig()?;
    let ok = "username=tester&password=foobar&to=4670000011";
    let long = "a".repeat(3 * 153 + 1);
    let cases: Vec<(String, u16, &str)> = vec![
        (
            "username=tester&password=wrong&to=1&text=x".into(),
            403,
            "Authorization failed for sendsms",
        ),
        (
            "username=nobody&password=foobar&to=1&text=x".into(),
            403,
            "Authorization failed for sendsms",
        ),
        (
            "username=remote&password=pw&to=1&text=x".into(),
            403,
            "Authorization failed for sendsms",
        ),
        (
            "username=tester&password=foobar&text=x".into(),
            400,
            "Missing receiver number, rejected",
        ),
        (
            "username=tester&password=foobar&to=&text=x".into(),
            400,
            "Empty receiver number not allowed, rejected",
        ),
        (
            "username=tester&password=foobar&to=46abc&text=x".into(),
            400,
            "Receiver \"46abc\" is not a number, rejected",
        ),
        (ok.to_string(), 400, "Text missing or empty, rejected"),
        (
            format!("{ok}&text="),
            400,
            "Text missing or empty, rejected",
        ),
        (
            format!("{ok}&text=bad%zzescape"),
            400,
            "malformed %-encoding at byte 3 of parameter 'text'",
        ),
        (
            format!("{ok}&text={long}"),
            400,
            "Message too long: 4 parts, at most 3 allowed, rejected",
        ),
        (
            format!("{ok}&text=x&charset=NO-SUCH-CHARSET"),
            400,
            "Charset or body misformed, rejected",
        ),
        (
            format!("{ok}&text=x&udh=%05%00%03"),
            400,
            "UDH field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&dlr-mask=99"),
            400,
            "DLR-Mask field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&dlr-mask=3&dlr-url=ftp://x/"),
            400,
            "DLR-URL field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&mclass=4"),
            400,
            "MClass field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&mwi=8"),
            400,
            "MWI field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&coding=3"),
            400,
            "Coding field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&compress=2"),
            400,
            "Compress field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&validity=-5"),
            400,
            "Validity field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&deferred=-5"),
            400,
            "Deferred field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&pid=256"),
            400,
            "PID field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&alt-dcs=2"),
            400,
            "Alt-DCS field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&rpi=3"),
            400,
            "RPI field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&priority=4"),
            400,
            "Priority field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&mclass=one"),
            400,
            "MClass field misformed, rejected",
        ),
        (
            format!("{ok}&text=x&account=a%5Bb"),
            400,
            "Account field misformed or too long, rejected",
        ),
    ];
    for (query, status, body) in &cases {
        let answer = send(&rig, query)?;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (*status, *body),
            "for {query}"
        );
        assert_eq!(answer.header("X-Message-Id"), None);
    }
    let answer = http::request(
        rig.sendsms_port(),
        "POST",
        "/cgi-bin/sendsms",
        &[("Content-Type", "text/html")],
        b"<p>x</p>",
    )?;
    assert_answer(&answer, 415, "Unsupported content-type, rejected");
    let answer = http::request(
        rig.sendsms_port(),
        "POST",
        "/cgi-bin/sendsms",
        &[("Content-Type", "image/png")],
        b"x",
    )?;
    assert_answer(&answer, 400, "Invalid content-type");
    let answer = http::get(rig.sendsms_port(), "/cgi-bin/elsewhere")?;
    assert_eq!(answer.status, 404);
    assert_eq!(
        rig.mt_lines(1, QUIET)?,
        Vec::<String>::new(),
        "nothing refused is sent"
    );
    Ok(())
}

#[test]
fn smsbox_keeps_a_connection_alive_across_requests() -> TestResult {
    use std::io::{Read, Write};
    let mut rig = rig()?;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", rig.sendsms_port()))?;
    stream.set_read_timeout(Some(LONG))?;
    let request = "GET /cgi-bin/sendsms?username=tester&password=foobar&to=4670000012&text=ka HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut seen = String::new();
    for _ in 0..2 {
        stream.write_all(request.as_bytes())?;
        let mut buffer = [0u8; 4096];
        let deadline = std::time::Instant::now() + LONG;
        while !seen.ends_with("0: Accepted for delivery") && std::time::Instant::now() < deadline {
            let read = stream.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            seen.push_str(&String::from_utf8_lossy(&buffer[..read]));
        }
        seen.push('|');
    }
    assert_eq!(seen.matches("202 Accepted").count(), 2, "{seen}");
    assert_eq!(rig.mt_lines(2, LONG)?.len(), 2);
    Ok(())
}

#[test]
fn smsbox_refuses_oversized_bodies_and_urls_and_sends_nothing() -> TestResult {
    let mut rig = rig()?;
    let body = format!(
        "username=tester&password=foobar&to=4670000013&text={}",
        "a".repeat(70 * 1024)
    );
    let answer = http::request(
        rig.sendsms_port(),
        "POST",
        "/cgi-bin/sendsms",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )?;
    assert_answer(&answer, 413, "Request body too long, rejected");
    let long_url = format!(
        "/cgi-bin/sendsms?username=tester&password=foobar&to=4670000013&text={}",
        "a".repeat(20 * 1024)
    );
    let refused = match http::get(rig.sendsms_port(), &long_url) {
        Ok(answer) => answer.status >= 400,
        // Closing the connection on an oversized head is a refusal too.
        Err(_) => true,
    };
    assert!(refused);
    assert_eq!(rig.mt_lines(1, QUIET)?, Vec::<String>::new());
    Ok(())
}

#[test]
fn smsbox_closes_the_connection_of_a_client_too_slow_to_send_its_request() -> TestResult {
    use std::io::{Read, Write};
    let rig = rig()?;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", rig.sendsms_port()))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.write_all(b"GET /cgi-bin/sendsms?username=tester HTTP/1.1\r\nHost: x\r\n")?;
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(19),
        "closed after {waited:?}"
    );
    Ok(())
}

#[test]
fn smsbox_without_concatenation_a_long_text_goes_as_separate_messages_cut_at_split_chars()
-> TestResult {
    let mut rig = rig()?;
    let first = "a".repeat(150);
    let second = "b".repeat(40);
    let answer = send(
        &rig,
        &format!("username=cutter&password=pw&from=5&to=4670000014&text={first}+{second}"),
    )?;
    assert_answer(&answer, 202, "0: Accepted for delivery");
    assert_eq!(
        answer
            .header("X-Message-Id")
            .unwrap_or_default()
            .split(' ')
            .count(),
        2,
        "one id per message"
    );
    let lines = rig.mt_lines(2, LONG)?;
    assert_eq!(
        lines,
        [
            format!("5 4670000014 text {first} +"),
            format!("5 4670000014 text {second}")
        ]
    );
    Ok(())
}

#[test]
fn smsbox_a_body_cut_short_is_a_malformed_request_not_a_long_one() -> TestResult {
    use std::io::{Read, Write};
    let mut rig = rig()?;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", rig.sendsms_port()))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(
        b"POST /cgi-bin/sendsms HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=tester",
    )?;
    // The client stops writing: 15 of the 100 bytes it promised.
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "answered {answer:?}");
    assert!(
        answer.contains("Malformed request body"),
        "answered {answer:?}"
    );
    assert_eq!(
        rig.mt_lines(1, Duration::from_millis(300))?.len(),
        0,
        "nothing sent"
    );
    Ok(())
}

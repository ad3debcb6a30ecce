//! smsbox's HTTP client for sms-service URLs and dlr-urls: at most
//! `max-pending-requests` calls in flight, failed calls retried
//! `http-request-retry` times `http-queue-delay` seconds apart, and
//! `https://` URLs over TLS, the server verified against the core group's
//! `ssl-trusted-ca-file`.

use std::time::Duration;

use box_protocol::message::{Coding, Msg, Sms, SmsType};
use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::recorder::{Recorder, Reply};
use tests::scripted_bearerbox::{BoxSession, ScriptedRig};
use tests::tls::Identity;

const WAIT: Duration = Duration::from_secs(15);

fn mo(text: &str) -> Sms {
    Sms::new_mo(
        "4670000001".as_bytes(),
        "5555".as_bytes(),
        text.as_bytes(),
        Coding::SevenBit,
        "fake1".as_bytes(),
    )
}

/// The text of the next `count` replies smsbox sends, acks skipped.
fn replies(session: &mut BoxSession, count: usize) -> Result<Vec<String>, tests::HarnessError> {
    let mut texts = Vec::new();
    while texts.len() < count {
        if let Msg::Sms(sms) = session.next(WAIT)? {
            texts.push(
                String::from_utf8_lossy(sms.msgdata.as_deref().unwrap_or_default()).into_owned(),
            );
        }
    }
    Ok(texts)
}

fn service(url: &str) -> ConfText {
    ConfText::new().group(
        "sms-service",
        &[
            ("keyword", "default"),
            ("get-url", url),
            ("catch-all", "true"),
        ],
    )
}

#[test]
fn smsbox_keeps_at_most_max_pending_requests_calls_in_flight() -> TestResult {
    let recorder = Recorder::start()?;
    recorder.set_delay(Duration::from_millis(700));
    recorder.set_reply(Reply::text("done"));
    let mut rig = ScriptedRig::start(
        &[("max-pending-requests", "2")],
        service(&recorder.url("/slow?t=%a")),
    )?;
    for n in 0..6 {
        rig.session.send(&Msg::from(mo(&format!("call {n}"))))?;
    }
    assert_eq!(replies(&mut rig.session, 6)?, ["done"; 6]);
    assert_eq!(recorder.requests().len(), 6);
    assert_eq!(
        recorder.max_in_flight(),
        2,
        "six calls, two at a time (the recorder holds each 700 ms)"
    );
    Ok(())
}

#[test]
fn smsbox_retries_failed_calls_http_queue_delay_apart_until_one_succeeds() -> TestResult {
    let recorder = Recorder::start()?;
    let failure = Reply {
        status: 500,
        content_type: "text/plain".into(),
        headers: Vec::new(),
        body: b"down".to_vec(),
    };
    recorder.queue_replies([failure.clone(), failure]);
    recorder.set_reply(Reply::text("third time lucky"));
    let mut rig = ScriptedRig::start(
        &[("http-request-retry", "3"), ("http-queue-delay", "1")],
        service(&recorder.url("/flaky")),
    )?;
    rig.session.send(&Msg::from(mo("hello")))?;
    assert_eq!(replies(&mut rig.session, 1)?, ["third time lucky"]);
    let arrivals = recorder.arrivals();
    assert_eq!(
        arrivals.len(),
        3,
        "two failures, then the success: no more calls"
    );
    for pair in arrivals.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= Duration::from_millis(950) && gap < Duration::from_millis(2500),
            "retries come http-queue-delay (1 s) apart: {gap:?}"
        );
    }
    Ok(())
}

#[test]
fn smsbox_calls_https_service_and_dlr_urls_it_trusts_through_ssl_trusted_ca_file() -> TestResult {
    let identity = Identity::self_signed()?;
    let recorder = Recorder::start_tls(&identity)?;
    recorder.set_reply(Reply::text("secure answer"));
    let dir = tempfile::tempdir()?;
    let ca = dir.path().join("ca.pem");
    identity.write_cert(&ca)?;
    let ca = ca.display().to_string();
    let mut rig = ScriptedRig::start_with_core(
        &[("ssl-trusted-ca-file", &ca)],
        &[],
        service(&recorder.https_url("/mo?from=%p&text=%a")),
    )?;
    rig.session.send(&Msg::from(mo("over tls")))?;
    assert_eq!(replies(&mut rig.session, 1)?, ["secure answer"]);
    let calls = recorder.wait_for(1, WAIT)?;
    assert_eq!(calls[0].path(), "/mo");
    assert_eq!(calls[0].query("text").as_deref(), Some("over tls"));

    // A delivery report whose dlr-url is https goes the same way.
    let mut report = mo("");
    report.sms_type = Some(SmsType::ReportMo);
    report.dlr_mask = Some(1);
    report.dlr_url = Some(recorder.https_url("/dlr?type=%d").into_bytes());
    rig.session.send(&Msg::from(report))?;
    let calls = recorder.wait_for(2, WAIT)?;
    assert_eq!(calls[1].path(), "/dlr");
    assert_eq!(calls[1].query("type").as_deref(), Some("1"));
    Ok(())
}

#[test]
fn smsbox_refuses_an_https_server_it_does_not_trust() -> TestResult {
    let identity = Identity::self_signed()?;
    let recorder = Recorder::start_tls(&identity)?;
    // Trusts another certificate than the recorder's.
    let other = Identity::self_signed()?;
    let dir = tempfile::tempdir()?;
    let ca = dir.path().join("other.pem");
    other.write_cert(&ca)?;
    let ca = ca.display().to_string();
    let mut rig = ScriptedRig::start_with_core(
        &[("ssl-trusted-ca-file", &ca)],
        &[],
        service(&recorder.https_url("/mo")),
    )?;
    rig.session.send(&Msg::from(mo("hello")))?;
    assert_eq!(
        replies(&mut rig.session, 1)?,
        ["Could not fetch content, sorry."]
    );
    assert_eq!(
        recorder.requests().len(),
        0,
        "no request over an untrusted connection"
    );
    assert!(
        rig.smsbox_log().contains("TLS with 127.0.0.1:"),
        "the log says why: {}",
        rig.smsbox_log()
    );
    Ok(())
}

#[test]
fn smsbox_refuses_to_start_on_an_unreadable_ssl_trusted_ca_file() -> TestResult {
    let missing = "/nonexistent/kannel-rs/ca.pem";
    let result = ScriptedRig::start_with_core(
        &[("ssl-trusted-ca-file", missing)],
        &[],
        service("http://127.0.0.1:9/"),
    );
    let Err(error) = result else {
        return Err("smsbox started without its CA file".into());
    };
    let text = error.to_string();
    assert!(
        text.contains(&format!(
            "smsbox.conf:5: 'ssl-trusted-ca-file' \"{missing}\""
        )),
        "{text}"
    );
    Ok(())
}

//! White and black lists as Kannel has them: `white-list` and `black-list`
//! name a URL that answers a `text/plain` list of numbers, fetched once at
//! start; numbers compare by their digits (`+46…`, `0046…`, `46…` are one
//! number). A list that cannot be fetched stops the start, naming its key.

use std::thread;
use std::time::Duration;

use box_protocol::message::{AckStatus, Coding, Msg, Sms};
use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::gateway::BoxProcess;
use tests::http;
use tests::kannel::{RigPorts, smsbox_conf};
use tests::ports;
use tests::recorder::{Recorder, Reply};
use tests::scripted_bearerbox::ScriptedRig;

const WAIT: Duration = Duration::from_secs(10);
const QUIET: Duration = Duration::from_millis(1500);

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

fn receiver_of(sms: &Sms) -> String {
    String::from_utf8_lossy(sms.receiver.as_deref().unwrap_or_default()).into_owned()
}

#[test]
fn smsbox_sendsms_user_and_smsbox_lists_are_fetched_from_their_urls() -> TestResult {
    let lists = Recorder::start()?;
    // One recorder answers every list: queued in the order smsbox fetches
    // them (smsbox group white, black; then the user's white).
    lists.queue_replies([
        Reply::text(
            "# the smsbox group's white list\n+4670000001\n4670000002\n4670000003\n4670000004\n",
        ),
        Reply::text("4670000004\n"),
        Reply::text("004670000001\n 46 7000-0002\n4670000003 # trailing words\n"),
    ]);
    let groups = ConfText::new().group(
        "sendsms-user",
        &[
            ("username", "tester"),
            ("password", "foobar"),
            ("white-list", &lists.url("/user-white")),
        ],
    );
    let mut rig = ScriptedRig::start(
        &[
            ("white-list", &lists.url("/box-white")),
            ("black-list", &lists.url("/box-black")),
        ],
        groups,
    )?;
    let fetched: Vec<String> = lists.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(fetched, ["/box-white", "/box-black", "/user-white"]);

    // 4670000001 and 2 are on both white lists, 3 is on both too, 4 is
    // black-listed by the smsbox group, 5 is on no list.
    let client = get_in_background(
        rig.sendsms_port(),
        "username=tester&password=foobar&to=4670000001+%2B4670000002+4670000004+4670000005+004670000003&text=listed",
    );
    let mut sent = Vec::new();
    for _ in 0..3 {
        let sms = rig.session.next_sms(WAIT)?;
        sent.push(receiver_of(&sms));
        rig.session.ack(&sms, AckStatus::Success)?;
    }
    let answer = joined(client)?;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (202, "0: Accepted for delivery")
    );
    assert_eq!(sent, ["4670000001", "+4670000002", "004670000003"]);

    let refused = http::get(
        rig.sendsms_port(),
        "/cgi-bin/sendsms?username=tester&password=foobar&to=4670000004+4670000005&text=x",
    )?;
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (
            400,
            "Number(s) has/have been denied by white- and/or black-lists."
        )
    );
    assert!(
        matches!(
            rig.session.next(QUIET),
            Err(tests::HarnessError::Timeout { .. })
        ),
        "nothing refused reaches bearerbox"
    );
    Ok(())
}

#[test]
fn smsbox_sms_service_lists_filter_the_mo_sender() -> TestResult {
    let lists = Recorder::start()?;
    lists.queue_replies([Reply::text("4670000001\n"), Reply::text("4670000002\n")]);
    let groups = ConfText::new()
        .group(
            "sms-service",
            &[
                ("keyword", "club"),
                ("white-list", &lists.url("/members")),
                ("text", "welcome"),
            ],
        )
        .group(
            "sms-service",
            &[
                ("keyword", "news"),
                ("black-list", &lists.url("/banned")),
                ("text", "news for you"),
            ],
        )
        .group("sms-service", &[("keyword", "default"), ("text", "no")]);
    let mut rig = ScriptedRig::start(&[], groups)?;
    for (sender, text, expected) in [
        ("+4670000001", "club", "welcome"),
        ("4670000002", "club", "no"),
        ("4670000001", "news", "news for you"),
        ("004670000002", "news", "no"),
    ] {
        let mo = Sms::new_mo(
            sender.as_bytes(),
            "5555".as_bytes(),
            text.as_bytes(),
            Coding::SevenBit,
            "fake1".as_bytes(),
        );
        rig.session.send(&Msg::from(mo))?;
        let reply = loop {
            // The MO's ack comes too; the reply is the sms.
            if let Msg::Sms(sms) = rig.session.next(WAIT)? {
                break sms;
            }
        };
        assert_eq!(
            reply.msgdata.as_deref(),
            Some(expected.as_bytes()),
            "{text:?} from {sender}"
        );
    }
    Ok(())
}

/// Starts our smsbox on `groups` with a scripted bearerbox port nobody
/// listens on, and returns what it printed when it stopped.
fn refused_start(
    extra: &[(&str, &str)],
    groups: ConfText,
) -> Result<String, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let rig_ports = RigPorts {
        admin: ports::reserve()?,
        smsbox: ports::reserve()?,
        sendsms: ports::reserve()?,
        fake: ports::reserve()?,
    };
    let conf = dir.path().join("smsbox.conf");
    smsbox_conf(&rig_ports, dir.path(), extra, &groups).write_to(&conf)?;
    let mut smsbox = BoxProcess::spawn("smsbox", [conf.as_os_str()], dir.path())?;
    let status = smsbox.wait_exit(WAIT)?;
    assert!(!status.success(), "smsbox must not start: {status}");
    let log = std::fs::read_to_string(dir.path().join("smsbox.log")).unwrap_or_default();
    Ok(format!("{}\n{log}", smsbox.output()))
}

#[test]
fn smsbox_refuses_to_start_when_a_list_cannot_be_fetched() -> TestResult {
    let lists = Recorder::start()?;
    lists.set_reply(Reply {
        status: 404,
        content_type: "text/plain".into(),
        headers: Vec::new(),
        body: b"no such list".to_vec(),
    });
    let url = lists.url("/gone");
    let output = refused_start(
        &[],
        ConfText::new().group(
            "sendsms-user",
            &[("username", "u"), ("password", "p"), ("black-list", &url)],
        ),
    )?;
    assert!(
        output.contains(&format!(
            "smsbox.conf:18: 'black-list' could not be loaded from \"{url}\": the answer was HTTP 404, expected 200"
        )),
        "{output}"
    );

    lists.set_reply(Reply {
        status: 200,
        content_type: "text/html".into(),
        headers: Vec::new(),
        body: b"<p>4670000001</p>".to_vec(),
    });
    let output = refused_start(&[("white-list", &url)], ConfText::new())?;
    assert!(
        output.contains("'white-list' could not be loaded from")
            && output.contains("the content type was \"text/html\", expected \"text/plain\""),
        "{output}"
    );

    let closed = format!("http://127.0.0.1:{}/list", ports::reserve()?.number());
    let output = refused_start(
        &[],
        ConfText::new().group(
            "sms-service",
            &[
                ("keyword", "default"),
                ("white-list", &closed),
                ("text", "x"),
            ],
        ),
    )?;
    assert!(
        output.contains(&format!(
            "'white-list' could not be loaded from \"{closed}\": connecting to 127.0.0.1:"
        )),
        "{output}"
    );
    Ok(())
}

//! The admin port's commands with Kannel's paths and answers: each with and
//! without the right password, and what each changes (or, refused, does not).

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use box_protocol::message::{AckStatus, Msg};
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::fake_client::FakeClient;
use tests::gateway::{Setup, http_get, wait_until};
use tests::ports::{self, Port};

const WAIT: Duration = Duration::from_secs(10);
const ADMIN: &str = "secret";
const STATUS: &str = "look";

/// The default configuration with a status password in `core`.
fn with_status_password(conf: ConfText) -> ConfText {
    let text = conf.text().replacen(
        "admin-password = secret\n",
        "admin-password = secret\nstatus-password = look\n",
        1,
    );
    ConfText::new().raw(&text)
}

fn fake_link(conf: ConfText, id: &str, admin_id: &str, port: &Port) -> ConfText {
    let port = port.number().to_string();
    conf.group(
        "smsc",
        &[
            ("smsc", "fake"),
            ("smsc-id", id),
            ("smsc-admin-id", admin_id),
            ("port", &port),
            ("our-host", "127.0.0.1"),
        ],
    )
}

fn get(setup: &Setup, target: &str) -> Result<String, tests::HarnessError> {
    let (code, body) = http_get(setup.ports.admin.number(), target)?;
    assert_eq!(code, 200, "Kannel answers everything with 200: {target}");
    Ok(body)
}

fn status(setup: &Setup) -> Result<String, tests::HarnessError> {
    get(setup, &format!("/status?password={STATUS}"))
}

/// Every command with its parameters, and its answer with the right password
/// on a fresh gateway whose link `fakeA` is configured.
const COMMANDS: [(&str, &str); 16] = [
    ("suspend", "Kannel suspended"),
    ("resume", "Running resumed"),
    ("isolate", "Kannel isolated from message providers"),
    ("resume", "Running resumed"),
    ("stop-smsc?smsc=fakeA", "SMSC `fakeA' shut down"),
    ("start-smsc?smsc=fakeA", "SMSC `fakeA' re-started"),
    ("log-level?level=0", "log-level set to 0"),
    ("reload-lists", "Black/white lists re-loaded"),
    (
        "flush-dlr",
        "Suspend Kannel before trying to flush DLR queue",
    ),
    // fakeA runs: it cannot be added again.
    ("add-smsc?smsc=fakeA", "Could not add smsc-id `fakeA'"),
    ("remove-smsc?smsc=fakeA", "SMSC `fakeA' removed"),
    (
        "remove-message?id=d3026fe2-c755-4ff8-a347-7c50e9e9fe7d",
        "Could not remove message id `d3026fe2-c755-4ff8-a347-7c50e9e9fe7d'",
    ),
    ("restart", "Restarting....."),
    // Brings fakeA back from the configuration.
    ("graceful-restart", "Restarting gracefully....."),
    (
        "store-status",
        "[SMS ID] [Type] [Time] [Sender] [Receiver] [SMSC ID] [BOX ID] [Flags] [UDH] [Message]\n",
    ),
    ("shutdown", "Bringing system down"),
];

fn with_password(command: &str, password: &str) -> String {
    let separator = if command.contains('?') { '&' } else { '?' };
    format!("/{command}{separator}password={password}")
}

#[test]
fn every_command_without_the_admin_password_is_denied_and_changes_nothing() -> TestResult {
    let smsc = ports::reserve()?;
    let setup =
        Setup::with_conf(|conf| fake_link(with_status_password(conf), "fake1", "fakeA", &smsc))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let before = status(&setup)?;
    assert!(before.contains("Status: running"), "{before}");
    for (command, _) in COMMANDS {
        if command == "store-status" {
            continue;
        }
        for target in [
            format!("/{command}"),
            with_password(command, STATUS),
            with_password(command, "wrong"),
        ] {
            assert_eq!(get(&setup, &target)?, "Denied", "{target}");
            // A success between refusals keeps Kannel's growing pause short.
            status(&setup)?;
        }
        let after = status(&setup)?;
        assert!(after.contains("Status: running"), "{command}: {after}");
        assert!(after.contains("fake1[fakeA]    FAKE:"), "{after}");
        assert!(
            !after.contains("dead"),
            "{command} stopped the link: {after}"
        );
    }
    assert!(status(&setup)?.contains("Status: running"));
    Ok(())
}

#[test]
fn every_command_with_the_admin_password_answers_as_kannel_does() -> TestResult {
    let smsc = ports::reserve()?;
    let setup =
        Setup::with_conf(|conf| fake_link(with_status_password(conf), "fake1", "fakeA", &smsc))?;
    let mut bearerbox = setup.start_bearerbox(&[])?;
    for (command, answer) in COMMANDS {
        // A restart runs bearerbox anew; admin_links.rs checks it.
        if command == "restart" {
            continue;
        }
        for prefix in ["", "/cgi-bin"] {
            if command == "shutdown" && prefix.is_empty() {
                continue;
            }
            let target = format!("{prefix}{}", with_password(command, ADMIN));
            let body = get(&setup, &target)?;
            // Commands that move a state answer differently the second time.
            let expected = match (prefix, command) {
                ("/cgi-bin", "suspend") => "Already suspended",
                ("/cgi-bin", "resume") => "Already running",
                ("/cgi-bin", "isolate") => "Already isolated",
                ("/cgi-bin", "stop-smsc?smsc=fakeA") => "Could not shut down smsc-id `fakeA'",
                ("/cgi-bin", "start-smsc?smsc=fakeA") => "Could not re-start smsc-id `fakeA'",
                ("/cgi-bin", "remove-smsc?smsc=fakeA") => "Could not remove smsc-id `fakeA'",
                _ => answer,
            };
            assert_eq!(body, expected, "{target}");
        }
    }
    bearerbox.wait_exit(WAIT)?;
    Ok(())
}

#[test]
fn status_needs_the_status_or_admin_password_where_one_is_set() -> TestResult {
    let setup = Setup::with_conf(with_status_password)?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    for page in [
        "status",
        "status.txt",
        "status.xml",
        "status.html",
        "status.json",
        "store-status",
        "metrics",
    ] {
        let denied = get(&setup, &format!("/{page}"))?;
        assert!(denied.contains("Denied"), "{page}: {denied}");
        get(&setup, &format!("/status?password={STATUS}"))?;
        assert!(get(&setup, &format!("/{page}?password=wrong"))?.contains("Denied"));
        for password in [STATUS, ADMIN] {
            let body = get(&setup, &format!("/{page}?password={password}"))?;
            assert!(!body.contains("Denied"), "{page} with {password}: {body}");
        }
    }
    Ok(())
}

#[test]
fn without_a_status_password_status_is_open_and_commands_are_not() -> TestResult {
    let setup = Setup::new()?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    assert!(get(&setup, "/status")?.starts_with("Kannel bearerbox version `"));
    assert!(
        get(&setup, "/cgi-bin/status.xml")?.starts_with("<?xml version=\"1.0\"?>\n<gateway>\n")
    );
    assert_eq!(get(&setup, "/suspend")?, "Denied");
    assert_eq!(get(&setup, "/suspend?password=secret")?, "Kannel suspended");
    assert!(get(&setup, "/status")?.contains("Status: suspended, uptime "));
    Ok(())
}

#[test]
fn suspend_isolate_and_resume_move_the_state_the_status_shows() -> TestResult {
    let setup = Setup::new()?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let steps = [
        ("suspend", "Kannel suspended", "suspended"),
        ("suspend", "Already suspended", "suspended"),
        ("resume", "Running resumed", "running"),
        ("resume", "Already running", "running"),
        (
            "isolate",
            "Kannel isolated from message providers",
            "isolated",
        ),
        ("isolate", "Already isolated", "isolated"),
        ("resume", "Running resumed", "running"),
    ];
    for (command, answer, state) in steps {
        assert_eq!(get(&setup, &with_password(command, ADMIN))?, answer);
        let page = get(&setup, "/status")?;
        assert!(
            page.contains(&format!("Status: {state}, uptime ")),
            "{page}"
        );
    }
    Ok(())
}

#[test]
fn a_suspended_bearerbox_holds_a_boxs_mt_unanswered_until_resume() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", "fake1", &smsc))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    assert_eq!(
        get(&setup, &with_password("suspend", ADMIN))?,
        "Kannel suspended"
    );
    let message = mt("12345", "4670000001", "while suspended");
    boxc.send(&Msg::from(message.clone()))?;
    // Kannel 1.4.5 reads nothing from its boxes while suspended: the
    // sendsms request hangs and the store stays empty [obs].
    assert!(boxc.next(Duration::from_millis(500)).is_err());
    assert!(!get(&setup, &with_password("store-status", ADMIN))?.contains("while+suspended"));
    assert_eq!(
        get(&setup, &with_password("resume", ADMIN))?,
        "Running resumed"
    );
    // No client on the link: queued, as Kannel answers (ack 3) [obs].
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Buffered)]);
    Ok(())
}

#[test]
fn stop_and_start_smsc_answer_as_kannel_and_the_status_shows_dead() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", "fakeA", &smsc))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let _link = FakeClient::connect(smsc.number(), WAIT)?;
    wait_until("the link comes online", WAIT, || {
        Ok(get(&setup, "/status")?.contains("(online "))
    })?;
    let answers = [
        ("stop-smsc", "SMSC id not given"),
        ("start-smsc", "SMSC id not given"),
        ("add-smsc", "SMSC id not given"),
        ("remove-smsc", "SMSC id not given"),
        ("stop-smsc?smsc=nope", "Could not shut down smsc-id `nope'"),
        // The admin id names a link, not its smsc-id.
        (
            "stop-smsc?smsc=fake1",
            "Could not shut down smsc-id `fake1'",
        ),
        (
            "start-smsc?smsc=fakeA",
            "Could not re-start smsc-id `fakeA'",
        ),
        ("stop-smsc?smsc=fakeA", "SMSC `fakeA' shut down"),
        (
            "stop-smsc?smsc=fakeA",
            "Could not shut down smsc-id `fakeA'",
        ),
    ];
    for (command, answer) in answers {
        assert_eq!(
            get(&setup, &with_password(command, ADMIN))?,
            answer,
            "{command}"
        );
    }
    let page = get(&setup, "/status")?;
    assert!(page.contains("fake1[fakeA]    FAKE:"), "{page}");
    assert!(page.contains(" (dead, rcvd: sms 0"), "{page}");
    assert!(get(&setup, "/status.xml")?.contains("<status>dead</status>"));
    assert_eq!(
        get(&setup, &with_password("start-smsc?smsc=fakeA", ADMIN))?,
        "SMSC `fakeA' re-started"
    );
    // Stopping closed the client's connection; the started link takes a new one.
    let _link = FakeClient::connect(smsc.number(), WAIT)?;
    wait_until("the started link comes online", WAIT, || {
        Ok(get(&setup, "/status")?.contains(" (online "))
    })?;
    Ok(())
}

#[test]
fn log_level_flush_dlr_and_reload_lists_answer_as_kannel() -> TestResult {
    let setup = Setup::new()?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let answers = [
        ("log-level", "New level not given"),
        ("log-level?level=1", "log-level set to 1"),
        ("log-level?level=x", "log-level set to 0"),
        ("log-level?level=9", "log-level set to 9"),
        ("log-level?level=0", "log-level set to 0"),
        (
            "flush-dlr",
            "Suspend Kannel before trying to flush DLR queue",
        ),
        ("suspend", "Kannel suspended"),
        ("flush-dlr", "DLR queue flushed"),
        ("resume", "Running resumed"),
        ("reload-lists", "Black/white lists re-loaded"),
        ("remove-message", "Message id not given"),
        (
            "remove-message?id=abc",
            "Message id should be 36 characters long",
        ),
    ];
    for (command, answer) in answers {
        assert_eq!(
            get(&setup, &with_password(command, ADMIN))?,
            answer,
            "{command}"
        );
    }
    Ok(())
}

#[test]
fn reload_lists_does_not_claim_to_reload_lists_it_does_not_load() -> TestResult {
    let setup = Setup::with_conf(|conf| {
        let text = conf.text().replacen(
            "admin-password = secret\n",
            "admin-password = secret\nwhite-list-regex = ^46\n",
            1,
        );
        ConfText::new().raw(&text)
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    assert_eq!(
        get(&setup, &with_password("reload-lists", ADMIN))?,
        "Could not re-load lists"
    );
    Ok(())
}

#[test]
fn remove_message_takes_a_queued_message_out_of_the_store() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", "fake1", &smsc))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    let doomed = mt("12345", "4670000001", "Queued test");
    let kept = mt("12345", "4670000002", "kept");
    boxc.send(&Msg::from(doomed.clone()))?;
    boxc.send(&Msg::from(kept.clone()))?;
    assert_eq!(boxc.acks(2, WAIT)?.len(), 2);

    let listing = get(&setup, "/store-status")?;
    let line = format!("[{}] [MT-PUSH] [", doomed.id);
    assert!(listing.contains(&line), "{listing}");
    assert!(
        listing.contains("] [12345] [4670000001] [] [] [-1:0:-1:-1:-1] [] [Queued+test]\n"),
        "{listing}"
    );
    assert!(get(&setup, "/store-status.xml")?.contains(&format!("<id>{}</id>", doomed.id)));
    assert!(get(&setup, "/store-status.json")?.contains(&doomed.id.to_string()));
    assert!(get(&setup, "/store-status.html")?.contains("<table border=1>"));

    let target = format!("remove-message?id={}", doomed.id);
    assert_eq!(
        get(&setup, &with_password(&target, ADMIN))?,
        format!("Message id `{}' removed", doomed.id)
    );
    assert_eq!(
        get(&setup, &with_password(&target, ADMIN))?,
        format!("Could not remove message id `{}'", doomed.id)
    );
    assert!(!get(&setup, "/store-status")?.contains(&doomed.id.to_string()));

    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    assert_eq!(
        link.read_line(WAIT)?.as_deref(),
        Some("12345 4670000002 text kept")
    );
    assert_eq!(link.read_line(Duration::from_millis(500))?, None);
    Ok(())
}

#[test]
fn remove_message_finds_a_message_queued_beyond_the_lanes_windows() -> TestResult {
    let smsc = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "fake1", "fake1", &smsc))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    // More than a lane reads into memory (1 024), the last one doomed: only
    // the search through the store finds it.
    let queued: Vec<Msg> = (0..1_500)
        .map(|n| Msg::from(mt("12345", &format!("46700{n:05}"), "queued")))
        .collect();
    boxc.send_all(&queued)?;
    assert_eq!(boxc.acks(queued.len(), WAIT)?.len(), queued.len());
    let Some(Msg::Sms(doomed)) = queued.last() else {
        return Err("no message to remove".into());
    };

    let target = format!("remove-message?id={}", doomed.id);
    assert_eq!(
        get(&setup, &with_password(&target, ADMIN))?,
        format!("Message id `{}' removed", doomed.id)
    );
    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    let mut delivered = 0;
    while let Some(line) = link.read_line(Duration::from_secs(2))? {
        assert!(
            !line.contains("4670001499"),
            "the removed message was sent: {line}"
        );
        delivered += 1;
    }
    assert_eq!(delivered, queued.len() - 1);
    Ok(())
}

#[test]
fn shutdown_brings_bearerbox_down() -> TestResult {
    let setup = Setup::new()?;
    let mut bearerbox = setup.start_bearerbox(&[])?;
    assert_eq!(
        get(&setup, "/shutdown.txt?password=secret")?,
        "Bringing system down"
    );
    let status = bearerbox.wait_exit(WAIT)?;
    assert!(status.success(), "{status:?}");
    Ok(())
}

#[test]
fn an_unknown_command_lists_the_commands_in_each_format() -> TestResult {
    let setup = Setup::new()?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let text = get(&setup, "/frob?password=secret")?;
    assert!(
        text.starts_with(
            "Unknown command `/frob'.\nPossible commands are:\nstatus\nstore-status\n"
        )
    );
    assert!(text.ends_with("reload-lists\nremove-message\n"));
    let html = get(&setup, "/cgi-bin/frob.html")?;
    assert!(html.contains("<p>Unknown command `/frob.html'.<br>\nPossible commands are:<br>\n"));
    let xml = get(&setup, "/suspend.xml?password=secret")?;
    assert_eq!(
        xml,
        "<?xml version=\"1.0\"?>\n<gateway>\nKannel suspended</gateway>\n"
    );
    let json = get(&setup, "/resume.json?password=secret")?;
    assert_eq!(json, "{\"reply\":\"Running resumed\"}");
    Ok(())
}

#[test]
fn the_accept_header_chooses_the_format_without_a_suffix() -> TestResult {
    let setup = Setup::new()?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let response = tests::http::request(
        setup.ports.admin.number(),
        "GET",
        "/status",
        &[("Accept", "text/html,application/xhtml+xml")],
        b"",
    )?;
    assert_eq!(response.header("Content-Type"), Some("text/html"));
    assert!(response.body.starts_with("<!DOCTYPE html>"));
    Ok(())
}

#[test]
fn a_denied_address_is_closed_without_an_answer() -> TestResult {
    let setup = Setup::with_conf(|conf| {
        let text = conf.text().replacen(
            "admin-password = secret\n",
            "admin-password = secret\nadmin-deny-ip = 127.0.0.1\n",
            1,
        );
        ConfText::new().raw(&text)
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, setup.ports.admin.number()));
    let mut stream = TcpStream::connect_timeout(&address, WAIT)?;
    stream.set_read_timeout(Some(WAIT))?;
    std::io::Write::write_all(&mut stream, b"GET /status HTTP/1.1\r\nHost: x\r\n\r\n")?;
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    assert!(
        matches!(read, Ok(0)) || read.is_err(),
        "a denied address got an answer: {}",
        String::from_utf8_lossy(&answer)
    );
    Ok(())
}

//! Both boxes start on a generated configuration, answer on their ports and
//! find each other.

use std::time::Duration;

use tests::TestResult;
use tests::gateway::{Gateway, Setup, http_get, wait_until};

const LINK_TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn bearerbox_and_smsbox_start_and_answer_on_their_ports() -> TestResult {
    let gateway = Gateway::start()?;
    let ports = &gateway.setup.ports;

    let (status, body) = http_get(ports.admin.number(), "/status")?;
    assert_eq!(status, 200);
    assert!(
        body.starts_with("Kannel bearerbox version `"),
        "admin answered {body:?}"
    );
    assert!(
        body.contains("\nStatus: running, uptime "),
        "admin answered {body:?}"
    );

    // No `from` and no global-sender: Kannel's own refusal, before anything is sent.
    let (status, body) = http_get(
        ports.sendsms.number(),
        "/cgi-bin/sendsms?username=tester&password=foobar&to=1&text=x",
    )?;
    assert_eq!(
        (status, body.as_str()),
        (400, "Sender missing and no global set, rejected")
    );
    let (status, body) = http_get(ports.sendsms.number(), "/nowhere")?;
    assert_eq!((status, body.as_str()), (404, "Unknown request.\n"));
    Ok(())
}

#[test]
fn smsbox_attaches_to_bearerbox_on_its_smsbox_port() -> TestResult {
    let gateway = Gateway::start()?;
    let setup = &gateway.setup;
    wait_until(
        "bearerbox to log the smsbox connection",
        LINK_TIMEOUT,
        || {
            Ok(setup
                .read("bearerbox.log")
                .contains("box connected from 127.0.0.1"))
        },
    )?;
    wait_until("smsbox to log its connection", LINK_TIMEOUT, || {
        Ok(setup
            .read("smsbox.log")
            .contains("connected to bearerbox at 127.0.0.1:"))
    })?;
    Ok(())
}

#[test]
fn smsbox_retries_until_bearerbox_is_reachable() -> TestResult {
    let setup = Setup::new()?;
    let mut smsbox = setup.start_smsbox(&[])?;
    smsbox.wait_for_output("(attempt 2)", LINK_TIMEOUT)?;
    assert!(smsbox.output().contains("cannot connect to bearerbox"));

    let _bearerbox = setup.start_bearerbox(&[])?;
    wait_until(
        "smsbox to connect once bearerbox listens",
        LINK_TIMEOUT,
        || {
            Ok(setup
                .read("smsbox.log")
                .contains("connected to bearerbox at"))
        },
    )?;
    Ok(())
}

#[test]
fn log_lines_have_kannels_format() -> TestResult {
    let setup = Setup::new()?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let log = setup.read("bearerbox.log");
    let first = log.lines().next().unwrap_or_default();
    // 2026-11-25 19:00:00 [pid] [thread] INFO: text
    let fields: Vec<&str> = first.splitn(5, ' ').collect();
    assert_eq!(fields.len(), 5, "line {first:?}");
    assert_eq!(fields[0].len(), 10, "date in {first:?}");
    assert_eq!(fields[1].len(), 8, "time in {first:?}");
    assert!(
        fields[2].starts_with('[') && fields[2].ends_with(']'),
        "pid in {first:?}"
    );
    assert!(
        fields[3].starts_with('[') && fields[3].ends_with(']'),
        "thread in {first:?}"
    );
    assert!(
        fields[4].starts_with("INFO: bearerbox version "),
        "level and text in {first:?}"
    );
    Ok(())
}

#[test]
fn console_and_each_log_file_keep_their_own_level() -> TestResult {
    let setup = Setup::new()?;
    let bearerbox = setup.start_bearerbox(&["-v", "2", "-F", "extra.log", "-V", "1"])?;
    http_get(setup.ports.admin.number(), "/levels")?;
    wait_until("the request in the extra log", LINK_TIMEOUT, || {
        Ok(setup.read("extra.log").contains("/levels"))
    })?;

    // The configured log-file is at level 0: debug lines included.
    assert!(setup.read("bearerbox.log").contains("] DEBUG: "));
    let extra = setup.read("extra.log");
    assert!(
        extra.contains("] INFO: ") && !extra.contains("] DEBUG: "),
        "-V 1 file:\n{extra}"
    );
    let console = bearerbox.output();
    assert!(
        !console.contains("] INFO: ") && !console.contains("] DEBUG: "),
        "-v 2 console:\n{console}"
    );
    Ok(())
}

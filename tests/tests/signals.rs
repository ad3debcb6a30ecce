//! Signals as Kannel's boxes take them: SIGTERM stops cleanly, SIGHUP
//! reopens the log files.

use std::fs;
use std::time::Duration;

use nix::sys::signal::Signal;
use tests::TestResult;
use tests::gateway::{BoxProcess, STOP_GRACE, Setup, http_get, wait_until};

const WAIT: Duration = Duration::from_secs(10);

fn assert_stops_cleanly(mut process: BoxProcess, setup: &Setup, name: &str) -> TestResult {
    let pid_file = setup.path(&format!("{name}.pid"));
    // The ports answer as soon as they are bound; the pid file follows.
    wait_until(&format!("{name} to write its pid file"), WAIT, || {
        Ok(pid_file.exists())
    })
    .map_err(|_| format!("{name} wrote no pid file"))?;
    process.signal(Signal::SIGTERM)?;
    let status = process.wait_exit(STOP_GRACE)?;
    assert_eq!(
        status.code(),
        Some(0),
        "{name} exit status, output:\n{}",
        process.output()
    );
    assert!(!pid_file.exists(), "{name} left its pid file behind");
    let log = setup.read(&format!("{name}.log"));
    assert!(log.contains("SIGTERM received"), "{name} log:\n{log}");
    assert!(
        log.trim_end()
            .ends_with(&format!("INFO: {name} terminated")),
        "{name} log:\n{log}"
    );
    Ok(())
}

#[test]
fn sigterm_stops_bearerbox_cleanly() -> TestResult {
    let setup = Setup::new()?;
    let bearerbox = setup.start_bearerbox(&["-P", "bearerbox.pid"])?;
    assert_stops_cleanly(bearerbox, &setup, "bearerbox")
}

#[test]
fn sigterm_stops_smsbox_cleanly() -> TestResult {
    let setup = Setup::new()?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    // Kannel's own spelling of the pid-file option.
    let smsbox = setup.start_smsbox(&["-p", "smsbox.pid"])?;
    assert_stops_cleanly(smsbox, &setup, "smsbox")
}

#[test]
fn sigint_stops_bearerbox_like_sigterm() -> TestResult {
    let setup = Setup::new()?;
    let mut bearerbox = setup.start_bearerbox(&[])?;
    bearerbox.signal(Signal::SIGINT)?;
    assert_eq!(bearerbox.wait_exit(STOP_GRACE)?.code(), Some(0));
    Ok(())
}

#[test]
fn sighup_reopens_the_log_file_after_it_was_renamed() -> TestResult {
    let setup = Setup::new()?;
    let bearerbox = setup.start_bearerbox(&[])?;
    let log = setup.path("bearerbox.log");
    let rotated = setup.path("bearerbox.log.1");
    fs::rename(&log, &rotated)?;

    bearerbox.signal(Signal::SIGHUP)?;
    wait_until("a new bearerbox.log", WAIT, || {
        Ok(setup.read("bearerbox.log").contains("SIGHUP received"))
    })?;
    http_get(setup.ports.admin.number(), "/after-rotation")?;
    wait_until("the next line in the new file", WAIT, || {
        Ok(setup.read("bearerbox.log").contains("/after-rotation"))
    })?;

    let old = fs::read_to_string(&rotated)?;
    assert!(
        old.contains("bearerbox version"),
        "the old file keeps the old lines"
    );
    assert!(
        !old.contains("/after-rotation"),
        "the old file got a line after rotation:\n{old}"
    );
    Ok(())
}

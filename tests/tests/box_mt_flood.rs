//! A box that sends MT messages without waiting for their acks is read no
//! faster than bearerbox's store commits them: while the commits are held
//! up, bearerbox stops reading after a bounded number of unacked messages,
//! says so in its log, and its memory stays small however many the box
//! pushes; every one is acked once the store moves again.

use std::fs;
use std::thread;
use std::time::Duration;

use box_protocol::message::{AckStatus, Msg};
use tests::TestResult;
use tests::box_client::{self, BoxClient};
use tests::conf_writer::ConfText;
use tests::gateway::{BoxProcess, Setup};
use tests::smsc_sim::{SimConfig, SmscSim};

const WAIT: Duration = Duration::from_secs(60);
/// Far more than bearerbox lets one box have waiting (1 024).
const FLOOD: usize = 20_000;
/// Shorter than the store's busy timeout (5 s): the commits wait, none fails.
const HOLD: Duration = Duration::from_secs(3);

fn peak_rss_kib(process: &BoxProcess) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{}/status", process.pid())).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn a_box_that_does_not_wait_for_acks_waits_in_its_socket_not_in_bearerboxs_memory() -> TestResult {
    let sim = SmscSim::start(SimConfig {
        system_id: Some("kuser".into()),
        password: Some("kpass".into()),
        ..SimConfig::default()
    })?;
    let port = sim.port().to_string();
    let setup = Setup::with_conf(|conf: ConfText| {
        conf.group(
            "smsc",
            &[
                ("smsc", "smpp"),
                ("smsc-id", "sim"),
                ("host", "127.0.0.1"),
                ("port", port.as_str()),
                ("transceiver-mode", "true"),
                ("smsc-username", "kuser"),
                ("smsc-password", "kpass"),
                ("system-type", "VMA"),
            ],
        )
    })?;
    let bearerbox = setup.start_bearerbox(&[])?;
    if !sim.wait_for_binds(1, WAIT) {
        return Err(format!("bearerbox did not bind:\n{}", setup.read("bearerbox.log")).into());
    }
    let mut boxc = BoxClient::connect_retrying(setup.ports.smsbox.number(), WAIT)?;
    let before = peak_rss_kib(&bearerbox).ok_or("no VmHWM for bearerbox")?;

    // Another connection's write transaction holds bearerbox's commits for HOLD.
    let store = rusqlite::Connection::open(setup.path("bearerbox-store.sqlite"))?;
    store.busy_timeout(WAIT)?;
    store.execute_batch("BEGIN EXCLUSIVE")?;
    let holder = thread::spawn(move || {
        thread::sleep(HOLD);
        store.execute_batch("COMMIT")
    });
    let flood: Vec<Msg> = (0..FLOOD)
        .map(|n| Msg::from(box_client::mt("12345", &format!("+4670{n:07}"), "flood")))
        .collect();
    // Blocks while bearerbox does not read, until the store moves again.
    boxc.send_all(&flood)?;
    holder.join().map_err(|_| "the store holder panicked")??;

    let acks = boxc.acks(FLOOD, WAIT)?;
    let refused = acks
        .iter()
        .filter(|(_, status)| *status != AckStatus::Success)
        .count();
    assert_eq!(refused, 0, "every message is accepted once the store moves");
    assert!(
        setup.read("bearerbox.log").contains("reading paused"),
        "bearerbox says it stopped reading the box"
    );
    // The 20 000 held in memory took 31 MiB more (a debug build, without the bound); 1 024 take a few.
    let grown = peak_rss_kib(&bearerbox)
        .ok_or("no VmHWM for bearerbox")?
        .saturating_sub(before);
    assert!(
        grown < 12 * 1024,
        "bearerbox grew by {grown} KiB ({before} KiB before)"
    );
    Ok(())
}

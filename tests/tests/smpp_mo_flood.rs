//! An SMSC that sends deliver_sm without waiting for their answers is read no
//! faster than bearerbox's store commits what it sends: while the commits are
//! held up, bearerbox stops reading after a bounded number of unanswered
//! PDUs, says so in its log, and its memory stays small however many the SMSC
//! pushes; the rest wait in the SMSC's socket, and every one is answered once
//! the store moves again.

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::gateway::{BoxProcess, Setup};
use tests::smsc_sim::{SimConfig, SmscSim};

const WAIT: Duration = Duration::from_secs(30);
/// Far more than bearerbox may hold unanswered (1 024), and a few times its
/// whole memory at start if each were kept.
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
fn a_flood_of_mo_waits_in_the_smscs_socket_not_in_bearerboxs_memory() -> TestResult {
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
                ("smsc-id", "flooded"),
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
    let before = peak_rss_kib(&bearerbox).ok_or("no VmHWM for bearerbox")?;

    // Another connection's write transaction: bearerbox's commits wait for it.
    let store = rusqlite::Connection::open(setup.path("bearerbox-store.sqlite"))?;
    store.busy_timeout(WAIT)?;
    store.execute_batch("BEGIN EXCLUSIVE")?;
    let held = Instant::now();
    for n in 0..FLOOD {
        sim.send_mo(
            "+46700000001",
            "12345",
            format!("flood {n}").as_bytes(),
            0,
            None,
        )?;
    }
    let paused = Instant::now() + WAIT;
    while !setup.read("bearerbox.log").contains("reading paused") {
        if Instant::now() > paused {
            return Err(format!("bearerbox never paused:\n{}", setup.read("bearerbox.log")).into());
        }
        thread::sleep(Duration::from_millis(50));
    }
    thread::sleep(HOLD.saturating_sub(held.elapsed()));
    let peak = peak_rss_kib(&bearerbox).ok_or("no VmHWM for bearerbox")?;
    store.execute_batch("COMMIT")?;
    drop(store);

    // The 20 000 held in memory took 44 MiB more (a debug build, without the bound); 1 024 take a few.
    let grown = peak.saturating_sub(before);
    assert!(
        grown < 12 * 1024,
        "bearerbox grew by {grown} KiB while the store was held ({before} KiB before)"
    );
    let answered = Instant::now() + WAIT;
    while !sim.unanswered_mo().is_empty() {
        if Instant::now() > answered {
            return Err(format!(
                "{} MO still unanswered after the store moved again",
                sim.unanswered_mo().len()
            )
            .into());
        }
        thread::sleep(Duration::from_millis(100));
    }
    let refused = sim
        .errors()
        .into_iter()
        .filter(|error| error.contains("deliver_sm"))
        .count();
    assert_eq!(refused, 0, "{:?}", sim.errors());
    Ok(())
}

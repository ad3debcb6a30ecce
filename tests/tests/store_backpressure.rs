//! A peer that sends without waiting for answers is read no faster than
//! bearerbox's store commits what it sends. While the commits are held up
//! (here by another connection's write transaction on the store), bearerbox
//! stops reading an SMSC link after 1 024 unanswered deliver_sm and a box
//! connection after 1 024 unacked MT, says so in its log, and its memory
//! stays small however many the peer pushes: the rest wait in the peer's
//! socket, and every one is answered once the store moves again. A box that
//! does not read its acks is read no further either: its acks wait in its
//! socket, not in bearerbox's memory.

use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

use box_protocol::frame::write_frame;
use box_protocol::message::{AckStatus, Msg};
use tests::TestResult;
use tests::box_client::{self, BoxClient};
use tests::conf_writer::ConfText;
use tests::gateway::{BoxProcess, Setup};
use tests::smsc_sim::{SimConfig, SimHandle, SmscSim};

const WAIT: Duration = Duration::from_secs(60);
/// Far more than bearerbox lets one peer have waiting.
const FLOOD: usize = 20_000;
/// A write to bearerbox that makes no progress for this long: it stopped reading.
const STALL: Duration = Duration::from_secs(3);
/// Shorter than the store's busy timeout (5 s): the commits wait, none fails.
const HOLD: Duration = Duration::from_secs(3);
/// What bearerbox may grow by while the store is held. Holding the whole
/// flood took 44 MiB (MO) and 31 MiB (MT) more in a debug build; 1 024 take a few.
const GROWTH_KIB: u64 = 12 * 1024;

/// bearerbox with one SMPP transceiver to a simulator, bound.
fn gateway_on_sim() -> Result<(SimHandle, Setup, BoxProcess), Box<dyn std::error::Error>> {
    let sim = SmscSim::start(SimConfig::with_login())?;
    let setup = Setup::with_conf(|conf: ConfText| conf.smpp_transceiver("sim", sim.port(), &[]))?;
    let bearerbox = setup.start_bearerbox(&[])?;
    if !sim.wait_for_binds(1, WAIT) {
        return Err(format!("bearerbox did not bind:\n{}", setup.read("bearerbox.log")).into());
    }
    Ok((sim, setup, bearerbox))
}

/// Holds bearerbox's commits with a write transaction of our own, for `HOLD`.
fn hold_store(
    setup: &Setup,
) -> Result<thread::JoinHandle<rusqlite::Result<()>>, Box<dyn std::error::Error>> {
    let store = rusqlite::Connection::open(setup.path("bearerbox-store.sqlite"))?;
    store.busy_timeout(WAIT)?;
    store.execute_batch("BEGIN EXCLUSIVE")?;
    Ok(thread::spawn(move || {
        thread::sleep(HOLD);
        store.execute_batch("COMMIT")
    }))
}

/// What bearerbox logs when it stops reading a box.
const BOX_PAUSED: &str = "MT wait for the store or for the box to read their acks; reading paused";

/// `count` MT to different numbers, with `text`.
fn mt_flood(count: usize, text: &str) -> Vec<Msg> {
    (0..count)
        .map(|n| Msg::from(box_client::mt("12345", &format!("+4670{n:07}"), text)))
        .collect()
}

/// How many of `acks` did not accept their message.
fn refused(acks: &[(uuid::Uuid, AckStatus)]) -> usize {
    acks.iter()
        .filter(|(_, status)| *status != AckStatus::Success)
        .count()
}

/// The most MT bearerbox may take from a box that reads none of their acks:
/// its 1 024 unacked, and the acks the sockets' buffers hold, with a quarter
/// more for how Linux counts buffers. bearerbox's send buffer grows up to
/// tcp_wmem's maximum (4 MiB, some 70 000 acks, here); the box's receive
/// buffer stays at tcp_rmem's default while the box reads nothing.
fn most_taken_unread() -> Result<usize, Box<dyn std::error::Error>> {
    let mut ack = Vec::new();
    write_frame(
        &Msg::ack(
            &box_client::mt("12345", "+46700000000", "unread"),
            AckStatus::Success,
        ),
        &mut ack,
    )?;
    let buffered = sysctl_field("net/ipv4/tcp_wmem", 2)? + sysctl_field("net/ipv4/tcp_rmem", 1)?;
    Ok(1024 + buffered * 5 / 4 / ack.len())
}

fn sysctl_field(name: &str, index: usize) -> Result<usize, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(format!("/proc/sys/{name}"))?;
    let field = text
        .split_whitespace()
        .nth(index)
        .ok_or(format!("{name}: {text}"))?;
    Ok(field.parse()?)
}

/// How many MT bearerbox's store holds.
fn queued_mt(setup: &Setup) -> Result<u64, Box<dyn std::error::Error>> {
    let store = rusqlite::Connection::open(setup.path("bearerbox-store.sqlite"))?;
    store.busy_timeout(WAIT)?;
    let count: i64 = store.query_row("SELECT count(*) FROM messages", [], |row| row.get(0))?;
    Ok(count.unsigned_abs())
}

fn assert_small_growth(bearerbox: &BoxProcess, before: u64) -> TestResult {
    let grown = bearerbox
        .peak_rss_kib()
        .ok_or("no VmHWM for bearerbox")?
        .saturating_sub(before);
    assert!(
        grown < GROWTH_KIB,
        "bearerbox grew by {grown} KiB while the store was held ({before} KiB before)"
    );
    Ok(())
}

#[test]
fn a_flood_of_mo_waits_in_the_smscs_socket_not_in_bearerboxs_memory() -> TestResult {
    let (sim, setup, bearerbox) = gateway_on_sim()?;
    let before = bearerbox.peak_rss_kib().ok_or("no VmHWM for bearerbox")?;
    let holder = hold_store(&setup)?;
    // The simulator sends from its own thread: these only queue.
    for n in 0..FLOOD {
        sim.send_mo(
            "+46700000001",
            "12345",
            format!("flood {n}").as_bytes(),
            0,
            None,
        )?;
    }
    holder.join().map_err(|_| "the store holder panicked")??;

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
    assert!(sim.errors().is_empty(), "{:?}", sim.errors());
    assert!(
        setup
            .read("bearerbox.log")
            .contains("inbound PDUs wait for the store; reading paused"),
        "bearerbox says it stopped reading the SMSC"
    );
    assert_small_growth(&bearerbox, before)
}

#[test]
fn a_box_that_does_not_wait_for_acks_waits_in_its_socket_not_in_bearerboxs_memory() -> TestResult {
    let (_sim, setup, bearerbox) = gateway_on_sim()?;
    let mut boxc = BoxClient::connect_retrying(setup.ports.smsbox.number(), WAIT)?;
    let before = bearerbox.peak_rss_kib().ok_or("no VmHWM for bearerbox")?;
    let holder = hold_store(&setup)?;
    let flood = mt_flood(FLOOD, "flood");
    // Blocks while bearerbox does not read, until the store moves again.
    boxc.send_all(&flood)?;
    holder.join().map_err(|_| "the store holder panicked")??;

    let acks = boxc.acks(FLOOD, WAIT)?;
    assert_eq!(
        refused(&acks),
        0,
        "every message is accepted once the store moves"
    );
    assert!(
        setup.read("bearerbox.log").contains(BOX_PAUSED),
        "bearerbox says it stopped reading the box"
    );
    assert_small_growth(&bearerbox, before)
}

#[test]
fn a_box_that_does_not_read_its_acks_stops_being_read() -> TestResult {
    let (sim, setup, bearerbox) = gateway_on_sim()?;
    let mut boxc = BoxClient::connect_retrying(setup.ports.smsbox.number(), WAIT)?;
    let before = bearerbox.peak_rss_kib().ok_or("no VmHWM for bearerbox")?;
    let most = most_taken_unread()?;
    let flood = mt_flood(2 * most, "unread");

    let stalled = boxc.send_until_stalled(&flood, STALL)?;
    // What the sockets' buffers hold counts as written; taken are those in
    // the store or already sent on.
    let taken = queued_mt(&setup)? + sim.stats().submits;
    eprintln!(
        "{} MT written, {taken} taken, at most {most} expected",
        stalled.whole
    );
    assert!(
        taken <= most as u64,
        "bearerbox took {taken} MT though the box read none of their acks"
    );
    assert!(
        setup.read("bearerbox.log").contains(BOX_PAUSED),
        "bearerbox says it stopped reading the box"
    );
    assert_small_growth(&bearerbox, before)?;

    // Once the box reads its acks, the rest is read and accepted too.
    let mut writer = boxc.writer()?;
    let rest = stalled.rest;
    let sending = thread::spawn(move || writer.write_all(&rest));
    let acks = boxc.acks(flood.len(), WAIT)?;
    sending
        .join()
        .map_err(|_| "the writing thread panicked")??;
    assert_eq!(
        refused(&acks),
        0,
        "every message is accepted once the box reads"
    );
    Ok(())
}

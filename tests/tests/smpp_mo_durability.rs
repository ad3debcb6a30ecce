//! A concatenated MO over SMPP is acknowledged to the SMSC only once bearerbox has committed
//! the whole message: the parts held for reassembly get no deliver_sm_resp, so a bearerbox
//! killed (`kill -9`) while holding them loses nothing. The SMSC simulator sends unanswered
//! MO again when the link binds anew ([`Faults::redeliver`]), as an SMSC does.

use std::time::{Duration, Instant, SystemTime};

use box_protocol::message::SmsType;
use nix::sys::signal::Signal;
use tests::TestResult;
use tests::box_client::BoxClient;
use tests::conf_writer::ConfText;
use tests::gateway::{BoxProcess, Setup};
use tests::smsc_sim::{Faults, PduRecord, SimConfig, SimHandle, SmscSim};

const WAIT: Duration = Duration::from_secs(10);
const DELIVER_SM_RESP: u32 = 0x8000_0005;
/// Time for bearerbox to read a deliver_sm and, were it to answer at once, to answer it.
const SETTLE: Duration = Duration::from_millis(1500);
const SENDER: &str = "+46709999999";

/// Part `seq` of the three-part message "one two three" (reference 0x42).
fn send_part(sim: &SimHandle, seq: u8) -> Result<(), Box<dyn std::error::Error>> {
    let text: &[u8] = match seq {
        1 => b"one ",
        2 => b"two ",
        _ => b"three",
    };
    sim.send_mo(SENDER, "12345", text, 0, Some(&[5, 0, 3, 0x42, 3, seq]))?;
    Ok(())
}

fn responses(sim: &SimHandle) -> Vec<PduRecord> {
    sim.pdus()
        .into_iter()
        .filter(|p| p.command_id == DELIVER_SM_RESP)
        .collect()
}

/// A simulator and a gateway folder with one transceiver link to it.
fn setup(faults: Faults) -> Result<(SimHandle, Setup), Box<dyn std::error::Error>> {
    let sim = SmscSim::start(SimConfig {
        faults,
        ..SimConfig::with_login()
    })?;
    let setup = Setup::with_conf(|conf: ConfText| {
        conf.smpp_transceiver("smpp1", sim.port(), &[("reconnect-delay", "1")])
    })?;
    Ok((sim, setup))
}

/// Starts bearerbox and waits for its `binds`th bind at the simulator, then attaches a box.
fn start(
    sim: &SimHandle,
    setup: &Setup,
    binds: usize,
) -> Result<(BoxProcess, BoxClient), Box<dyn std::error::Error>> {
    let bearerbox = setup.start_bearerbox(&[])?;
    if !sim.wait_for_binds(binds, WAIT) {
        return Err(format!("bearerbox did not bind:\n{}", setup.read("bearerbox.log")).into());
    }
    let boxc = BoxClient::connect_retrying(setup.ports.smsbox.number(), WAIT)?;
    Ok((bearerbox, boxc))
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) -> TestResult {
    let deadline = Instant::now() + WAIT;
    while !done() {
        if Instant::now() >= deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[test]
fn held_mo_parts_are_answered_only_after_the_whole_message_is_committed() -> TestResult {
    let (sim, setup) = setup(Faults::default())?;
    let (_bearerbox, mut boxc) = start(&sim, &setup, 1)?;
    send_part(&sim, 2)?;
    send_part(&sim, 1)?;
    std::thread::sleep(SETTLE);
    assert_eq!(
        responses(&sim),
        vec![],
        "parts held in memory were acknowledged"
    );
    assert_eq!(sim.unanswered_mo().len(), 2);
    let last_sent = SystemTime::now();
    send_part(&sim, 3)?;
    let mo = boxc.next_sms_acked(WAIT).ok_or_else(|| {
        format!(
            "no MO at the box\n--- bearerbox.log ---\n{}",
            setup.read("bearerbox.log")
        )
    })?;
    assert_eq!(mo.sms_type, Some(SmsType::Mo));
    assert_eq!(mo.msgdata.as_deref(), Some(&b"one two three"[..]));
    wait_for("three deliver_sm_resp", || responses(&sim).len() >= 3)?;
    let answered = responses(&sim);
    assert_eq!(answered.len(), 3, "{answered:?}");
    assert!(answered.iter().all(|r| r.status == 0), "{answered:?}");
    assert!(
        answered.iter().all(|r| r.at >= last_sent),
        "a part was answered before the last one came: {answered:?}"
    );
    assert_eq!(sim.unanswered_mo(), vec![]);
    Ok(())
}

#[test]
fn a_part_the_smsc_sends_twice_is_joined_once_and_both_copies_are_answered() -> TestResult {
    let (sim, setup) = setup(Faults::default())?;
    let (_bearerbox, mut boxc) = start(&sim, &setup, 1)?;
    send_part(&sim, 1)?;
    send_part(&sim, 2)?;
    send_part(&sim, 1)?;
    std::thread::sleep(SETTLE);
    assert_eq!(responses(&sim), vec![]);
    send_part(&sim, 3)?;
    let mo = boxc.next_sms_acked(WAIT).ok_or("no MO at the box")?;
    assert_eq!(mo.msgdata.as_deref(), Some(&b"one two three"[..]));
    wait_for("four deliver_sm_resp", || responses(&sim).len() >= 4)?;
    assert_eq!(sim.unanswered_mo(), vec![]);
    assert!(
        boxc.next_sms_acked(Duration::from_secs(1)).is_none(),
        "the copy came through"
    );
    Ok(())
}

#[test]
fn parts_held_when_bearerbox_is_killed_come_again_and_the_message_arrives_once() -> TestResult {
    let faults = Faults {
        redeliver: true,
        ..Faults::default()
    };
    let (sim, setup) = setup(faults)?;
    let (mut bearerbox, boxc) = start(&sim, &setup, 1)?;
    send_part(&sim, 1)?;
    send_part(&sim, 2)?;
    std::thread::sleep(SETTLE);
    assert_eq!(
        responses(&sim),
        vec![],
        "parts held in memory were acknowledged"
    );
    bearerbox.signal(Signal::SIGKILL)?;
    bearerbox.wait_exit(WAIT)?;
    drop(boxc);
    let (_bearerbox, mut boxc) = start(&sim, &setup, 2)?;
    // The simulator sends parts 1 and 2 again on the new bind.
    wait_for("parts 1 and 2 sent again", || {
        sim.unanswered_mo().iter().filter(|(c, _)| *c != 1).count() == 2
    })?;
    send_part(&sim, 3)?;
    let mo = boxc.next_sms_acked(WAIT).ok_or_else(|| {
        format!(
            "no MO at the box after the restart\n--- bearerbox.log ---\n{}",
            setup.read("bearerbox.log")
        )
    })?;
    assert_eq!(mo.msgdata.as_deref(), Some(&b"one two three"[..]));
    assert_eq!(mo.sender.as_deref(), Some(SENDER.as_bytes()));
    wait_for("every MO answered", || sim.unanswered_mo().is_empty())?;
    assert!(
        responses(&sim).iter().all(|r| r.status == 0),
        "{:?}",
        responses(&sim)
    );
    assert!(
        boxc.next_sms_acked(Duration::from_secs(2)).is_none(),
        "the message (or a part) arrived twice"
    );
    Ok(())
}

//! A concatenated MO stored on the modem is deleted from its storage (`AT+CMGD`) only once
//! bearerbox has committed the whole message: parts held for reassembly stay on the modem, so
//! a bearerbox killed (`kill -9`) while holding them finds them again (`sim-buffering` lists
//! the storage when the link comes up) and the message arrives once.

use std::path::Path;
use std::time::Duration;

use box_protocol::message::SmsType;
use nix::sys::signal::Signal;
use tests::TestResult;
use tests::box_client::BoxClient;
use tests::conf_writer::ConfText;
use tests::gateway::{BoxProcess, Setup};
use tests::modem_sim::{ModemSim, SimOptions};

const WAIT: Duration = Duration::from_secs(15);
/// Time for the driver to read a stored part and, were it to delete it at once, to delete it.
const SETTLE: Duration = Duration::from_millis(1500);
const SENDER: &str = "+46709999999";

/// Three parts of GSM text: 153 + 153 + the rest.
fn long_text() -> String {
    (0..40).map(|i| format!("word{i:03} ")).collect()
}

fn modem_link(conf: ConfText, device: &Path) -> ConfText {
    let device = device.display().to_string();
    conf.group(
        "modems",
        &[
            ("id", "sim"),
            ("name", "Simulated modem"),
            ("detect-string", "MODEM-SIM"),
            ("sendline-sleep", "0"),
        ],
    )
    .group(
        "smsc",
        &[
            ("smsc", "at"),
            ("smsc-id", "modem"),
            ("device", device.as_str()),
            ("reconnect-delay", "1"),
            ("sim-buffering", "true"),
        ],
    )
}

fn count(modem: &ModemSim, prefix: &str) -> usize {
    modem
        .commands()
        .iter()
        .filter(|c| c.starts_with(prefix))
        .count()
}

/// Starts bearerbox, waits for the link to list the storage (the `lists`th `AT+CMGL`) and
/// attaches a box.
fn start(
    modem: &ModemSim,
    setup: &Setup,
    lists: usize,
) -> Result<(BoxProcess, BoxClient), Box<dyn std::error::Error>> {
    let bearerbox = setup.start_bearerbox(&[])?;
    modem.wait_until("the storage listed at start-up", WAIT, |m| {
        m.commands
            .iter()
            .filter(|c| c.starts_with("AT+CMGL"))
            .count()
            >= lists
    })?;
    let boxc = BoxClient::connect_retrying(setup.ports.smsbox.number(), WAIT)?;
    Ok((bearerbox, boxc))
}

#[test]
fn stored_parts_are_deleted_only_after_the_whole_message_reached_the_box() -> TestResult {
    let modem = ModemSim::start(SimOptions::default())?;
    let setup = Setup::with_conf(|conf| modem_link(conf, modem.device()))?;
    let (_bearerbox, mut boxc) = start(&modem, &setup, 1)?;
    let parts = modem.mo_parts(SENDER, &long_text());
    assert_eq!(parts.len(), 3);
    let first = modem.inject_stored_part(&parts[1]);
    let second = modem.inject_stored_part(&parts[0]);
    modem.wait_until("both parts read", WAIT, |m| {
        m.commands.contains(&format!("AT+CMGR={second}"))
    })?;
    std::thread::sleep(SETTLE);
    assert_eq!(count(&modem, "AT+CMGD"), 0, "{:?}", modem.commands());
    assert_eq!(modem.stored(), vec![first, second]);
    let third = modem.inject_stored_part(&parts[2]);
    let mo = boxc.next_sms_acked(WAIT).ok_or_else(|| {
        format!(
            "no MO at the box\n--- bearerbox.log ---\n{}",
            setup.read("bearerbox.log")
        )
    })?;
    assert_eq!(mo.sms_type, Some(SmsType::Mo));
    assert_eq!(mo.msgdata.as_deref(), Some(long_text().as_bytes()));
    modem.wait_until("the three parts deleted", WAIT, |m| m.storage.is_empty())?;
    let deletes: Vec<String> = modem
        .commands()
        .into_iter()
        .filter(|c| c.starts_with("AT+CMGD"))
        .collect();
    let mut expected: Vec<String> = [first, second, third]
        .iter()
        .map(|i| format!("AT+CMGD={i}"))
        .collect();
    expected.sort();
    let mut sorted = deletes.clone();
    sorted.sort();
    assert_eq!(sorted, expected, "{deletes:?}");
    Ok(())
}

#[test]
fn parts_on_the_modem_when_bearerbox_is_killed_are_joined_after_the_restart_once() -> TestResult {
    let modem = ModemSim::start(SimOptions::default())?;
    let setup = Setup::with_conf(|conf| modem_link(conf, modem.device()))?;
    let (mut bearerbox, boxc) = start(&modem, &setup, 1)?;
    let parts = modem.mo_parts(SENDER, &long_text());
    assert_eq!(parts.len(), 3);
    modem.inject_stored_part(&parts[0]);
    let second = modem.inject_stored_part(&parts[1]);
    modem.wait_until("both parts read", WAIT, |m| {
        m.commands.contains(&format!("AT+CMGR={second}"))
    })?;
    std::thread::sleep(SETTLE);
    assert_eq!(modem.stored().len(), 2, "{:?}", modem.commands());
    let lists = count(&modem, "AT+CMGL");
    bearerbox.signal(Signal::SIGKILL)?;
    bearerbox.wait_exit(WAIT)?;
    drop(boxc);
    let (_bearerbox, mut boxc) = start(&modem, &setup, lists + 1)?;
    modem.inject_stored_part(&parts[2]);
    let mo = boxc.next_sms_acked(WAIT).ok_or_else(|| {
        format!(
            "no MO at the box after the restart\n--- bearerbox.log ---\n{}",
            setup.read("bearerbox.log")
        )
    })?;
    assert_eq!(mo.msgdata.as_deref(), Some(long_text().as_bytes()));
    assert_eq!(mo.sender.as_deref(), Some(SENDER.as_bytes()));
    modem.wait_until("the storage emptied", WAIT, |m| m.storage.is_empty())?;
    assert!(
        boxc.next_sms_acked(Duration::from_secs(2)).is_none(),
        "the message (or a part) arrived twice"
    );
    Ok(())
}

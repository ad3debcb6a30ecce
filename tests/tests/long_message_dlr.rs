//! Delivery reports for a long message, end to end: sendsms on smsbox,
//! bearerbox's SMPP link, the SMSC simulator ([`tests::smsc_sim`]) answering
//! each part of a concatenated message with its own id and sending receipts
//! part by part when the test says so, and the user's dlr-url at the
//! recorder.
//!
//! The user sees one story per message, whatever the parts say: delivered
//! once, when the last part is; failed at the first failed part, and nothing
//! after; of the intermediate reports only the first. A one-part message
//! shows every report, as Kannel does. Refunds follow the same story, and
//! the records that hold it survive a restart of bearerbox.

use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::gateway::{BoxProcess, Setup, binary_path, http_get, wait_until};
use tests::http::{self, encode};
use tests::recorder::{Recorded, Recorder};
use tests::smsc_sim::{SimConfig, SimHandle, SmscSim, Submit};

const WAIT: Duration = Duration::from_secs(10);
/// How long a report that should not come is waited for: longer than
/// bearerbox's retries of an unmatched report (1 s, then 2 s more) would
/// need to turn a report into a callback.
const QUIET: Duration = Duration::from_millis(2500);
/// 300 GSM characters: two parts of at most 153 under a concatenation UDH.
const LONG_TEXT_LEN: usize = 300;
const TO: &str = "4670000001";
const FROM: &str = "12345";

/// The simulator, the boxes on an smpp link to it, and the recorder behind
/// the dlr-url.
struct Rig {
    // Fields drop in order: smsbox stops before bearerbox, the folder last.
    _smsbox: BoxProcess,
    bearerbox: BoxProcess,
    sim: SimHandle,
    recorder: Recorder,
    setup: Setup,
}

impl Rig {
    fn start() -> Result<Rig, Box<dyn std::error::Error>> {
        let sim = SmscSim::start(SimConfig::with_login())?;
        let setup = Setup::with_conf(|conf: ConfText| {
            conf.smpp_transceiver("smpp1", sim.port(), &[("reconnect-delay", "1")])
                .group(
                    "sendsms-user",
                    &[
                        ("username", "long"),
                        ("password", "pw"),
                        ("concatenation", "true"),
                        ("max-messages", "5"),
                    ],
                )
                .group(
                    "sendsms-user",
                    &[
                        ("username", "payer"),
                        ("password", "pw"),
                        ("concatenation", "true"),
                        ("max-messages", "5"),
                        ("credits", "10"),
                    ],
                )
        })?;
        let bearerbox = setup.start_bearerbox(&[])?;
        if !sim.wait_for_binds(1, WAIT) {
            return Err(format!("bearerbox did not bind:\n{}", setup.read("bearerbox.log")).into());
        }
        let smsbox = setup.start_smsbox(&[])?;
        let recorder = Recorder::start()?;
        let rig = Rig {
            _smsbox: smsbox,
            bearerbox,
            sim,
            recorder,
            setup,
        };
        rig.wait_until_online()?;
        Ok(rig)
    }

    /// Until the status page shows the link online and smsbox attached.
    fn wait_until_online(&self) -> TestResult {
        wait_until("the smpp link online and smsbox attached", WAIT, || {
            let page = self.status().unwrap_or_default();
            Ok(page.contains("(online ") && page.contains("smsbox:"))
        })
        .map_err(|error| self.explain(error))
    }

    fn status(&self) -> Result<String, tests::HarnessError> {
        let (_, page) = http_get(
            self.setup.ports.admin.number(),
            "/status.txt?password=secret",
        )?;
        Ok(page)
    }

    /// Until bearerbox's store holds `count` messages waiting for reports:
    /// a record seen here is committed, and survives a crash.
    fn wait_for_records(&self, count: usize) -> TestResult {
        let line = format!("DLR: {count} queued");
        wait_until(&format!("{line:?} on the status page"), WAIT, || {
            Ok(self.status().unwrap_or_default().contains(&line))
        })
        .map_err(|error| self.explain(error))
    }

    /// sendsms as `user` with `dlr-mask` and a dlr-url at the recorder; the
    /// parts the SMSC accepted, in part order, once all `parts` are.
    fn send(
        &self,
        user: &str,
        text: &str,
        mask: i32,
        parts: usize,
    ) -> Result<Vec<Submit>, Box<dyn std::error::Error>> {
        let url = self.recorder.url("/dlr?type=%d&to=%p&fid=%F&answer=%A");
        let answer = http::get(
            self.setup.ports.sendsms.number(),
            &format!(
                "/cgi-bin/sendsms?username={user}&password=pw&from={FROM}&to={TO}&text={}&dlr-mask={mask}&dlr-url={}",
                encode(text),
                encode(&url)
            ),
        )?;
        assert_eq!(answer.status, 202, "{}", answer.body);
        let accepted = self.accepted(parts);
        assert_eq!(accepted.len(), parts, "{accepted:#?}");
        Ok(accepted)
    }

    /// The submits answered ESME_ROK once `count` of them have been, sorted by
    /// their part number (the last octet of the concatenation UDH).
    fn accepted(&self, count: usize) -> Vec<Submit> {
        let deadline = Instant::now() + WAIT;
        let mut accepted: Vec<Submit> = loop {
            let accepted: Vec<Submit> = self
                .sim
                .received()
                .into_iter()
                .filter(|s| s.status == Some(0))
                .collect();
            if accepted.len() >= count || Instant::now() >= deadline {
                break accepted;
            }
            thread::sleep(Duration::from_millis(20));
        };
        accepted.sort_by_key(|s| s.udh().and_then(|udh| udh.last().copied()));
        accepted
    }

    /// The simulator's receipt for `part` with `stat`.
    fn receipt(&self, part: &Submit, stat: &str) -> TestResult {
        let id = part.message_id.as_deref().ok_or("a part without an id")?;
        let err = if stat == "DELIVRD" || stat == "ENROUTE" || stat == "ACCEPTD" {
            0
        } else {
            1
        };
        self.sim.send_receipt(id, stat, err)?;
        Ok(())
    }

    /// The DLR types of the callbacks once `count` have arrived.
    fn callbacks(&self, count: usize) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let calls = self
            .recorder
            .wait_for(count, WAIT)
            .map_err(|error| self.explain(error))?;
        Ok(types(&calls))
    }

    /// The DLR types of the callbacks after [`QUIET`] more.
    fn callbacks_after_quiet(&self) -> Vec<String> {
        thread::sleep(QUIET);
        types(&self.recorder.requests())
    }

    fn balance(&self, user: &str) -> Result<String, tests::HarnessError> {
        let answer = http::get(
            self.setup.ports.sendsms.number(),
            &format!("/cgi-bin/balance?username={user}&password=pw"),
        )?;
        Ok(answer.body)
    }

    /// A harness error with both logs, for a failure that needs them.
    fn explain(&self, error: impl std::fmt::Display) -> Box<dyn std::error::Error> {
        format!(
            "{error}\n--- bearerbox.log ---\n{}\n--- smsbox.log ---\n{}",
            self.setup.read("bearerbox.log"),
            self.setup.read("smsbox.log")
        )
        .into()
    }
}

fn types(calls: &[Recorded]) -> Vec<String> {
    calls.iter().filter_map(|c| c.query("type")).collect()
}

fn long_text() -> String {
    // Letters that change, so a swapped or lost part would show.
    (0..LONG_TEXT_LEN)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}

/// `smsbox credits ledger <user> <conf>`: each change's amount and reason.
fn ledger(user: &str, conf: &Path, dir: &Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let output = Command::new(binary_path("smsbox")?)
        .args(["credits", "ledger", user])
        .arg(conf)
        .current_dir(dir)
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "smsbox credits ledger {user}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let mut fields = line.split('\t');
            format!(
                "{} {}",
                fields.next().unwrap_or_default(),
                fields.next().unwrap_or_default()
            )
        })
        .collect())
}

#[test]
fn a_long_message_sent_in_two_parts_is_delivered_once_when_its_last_part_is() -> TestResult {
    let rig = Rig::start()?;
    let parts = rig.send("long", &long_text(), 3, 2)?;
    // Each part its own submit under one concatenation reference, its own id.
    let udhs: Vec<Option<&[u8]>> = parts.iter().map(Submit::udh).collect();
    assert!(udhs.iter().all(Option::is_some), "{parts:#?}");
    assert_ne!(parts[0].message_id, parts[1].message_id);
    rig.wait_for_records(1)?;

    rig.receipt(&parts[1], "DELIVRD")?;
    assert_eq!(
        rig.callbacks_after_quiet(),
        Vec::<String>::new(),
        "part 2 delivered, part 1 not yet: nothing to tell"
    );
    rig.wait_for_records(1)?;

    rig.receipt(&parts[0], "DELIVRD")?;
    assert_eq!(rig.callbacks(1)?, ["1"]);
    assert_eq!(
        rig.callbacks_after_quiet(),
        ["1"],
        "one message, one delivery"
    );
    let call = &rig.recorder.requests()[0];
    assert_eq!(call.query("to").as_deref(), Some(TO));
    rig.wait_for_records(0)?;
    Ok(())
}

#[test]
fn a_long_message_fails_at_its_first_failed_part_and_the_later_delivery_adds_nothing() -> TestResult
{
    let rig = Rig::start()?;
    let parts = rig.send("long", &long_text(), 3, 2)?;
    rig.wait_for_records(1)?;

    rig.receipt(&parts[0], "UNDELIV")?;
    // Told at once, before the other part's receipt exists.
    assert_eq!(rig.callbacks(1)?, ["2"]);

    rig.receipt(&parts[1], "DELIVRD")?;
    assert_eq!(
        rig.callbacks_after_quiet(),
        ["2"],
        "a failed message is not delivered later"
    );
    rig.wait_for_records(0)?;
    Ok(())
}

#[test]
fn of_the_intermediate_reports_of_a_long_message_only_the_first_is_shown() -> TestResult {
    let rig = Rig::start()?;
    let parts = rig.send("long", &long_text(), 1 | 2 | 4, 2)?;
    rig.wait_for_records(1)?;

    rig.receipt(&parts[0], "ENROUTE")?;
    assert_eq!(rig.callbacks(1)?, ["4"]);
    rig.receipt(&parts[1], "ACCEPTD")?;
    assert_eq!(
        rig.callbacks_after_quiet(),
        ["4"],
        "the second part's buffered report is not shown"
    );

    rig.receipt(&parts[0], "DELIVRD")?;
    assert_eq!(
        rig.callbacks_after_quiet(),
        ["4"],
        "part 1 delivered, part 2 not yet"
    );
    rig.receipt(&parts[1], "DELIVRD")?;
    assert_eq!(rig.callbacks(2)?, ["4", "1"]);
    assert_eq!(rig.callbacks_after_quiet(), ["4", "1"]);
    Ok(())
}

#[test]
fn a_one_part_message_still_gets_the_smsc_ack_every_intermediate_report_and_the_final_one()
-> TestResult {
    let rig = Rig::start()?;
    let parts = rig.send("long", "short and sweet", 31, 1)?;
    assert_eq!(parts[0].udh(), None);
    assert_eq!(rig.callbacks(1)?, ["8"], "the SMSC's ack");
    let ack = &rig.recorder.requests()[0];
    assert_eq!(ack.query("answer").as_deref(), Some("ACK/"));
    rig.wait_for_records(1)?;

    rig.receipt(&parts[0], "ENROUTE")?;
    assert_eq!(rig.callbacks(2)?, ["8", "4"]);
    rig.receipt(&parts[0], "ACCEPTD")?;
    assert_eq!(rig.callbacks(3)?, ["8", "4", "4"], "as Kannel: every one");
    rig.receipt(&parts[0], "DELIVRD")?;
    assert_eq!(rig.callbacks(4)?, ["8", "4", "4", "1"]);
    assert_eq!(rig.callbacks_after_quiet(), ["8", "4", "4", "1"]);
    let delivered = &rig.recorder.requests()[3];
    assert_eq!(
        delivered.query("fid").as_deref(),
        parts[0].message_id.as_deref()
    );
    rig.wait_for_records(0)?;
    Ok(())
}

#[test]
fn a_failed_long_message_is_refunded_once_although_both_parts_report_failure() -> TestResult {
    let rig = Rig::start()?;
    let parts = rig.send("payer", &long_text(), 3, 2)?;
    assert_eq!(rig.balance("payer")?, "8", "one credit per part");
    rig.wait_for_records(1)?;

    rig.receipt(&parts[1], "UNDELIV")?;
    assert_eq!(rig.callbacks(1)?, ["2"]);
    wait_until("the refund", WAIT, || {
        Ok(rig.balance("payer").is_ok_and(|b| b == "10"))
    })
    .map_err(|error| rig.explain(error))?;

    rig.receipt(&parts[0], "UNDELIV")?;
    assert_eq!(rig.callbacks_after_quiet(), ["2"]);
    assert_eq!(rig.balance("payer")?, "10", "refunded once");
    let changes = ledger("payer", &rig.setup.conf, rig.setup.dir.path())?;
    assert_eq!(changes.len(), 3, "{changes:#?}");
    assert_eq!(changes[0], "+10 opening balance");
    assert_eq!(changes[1], "-2 sendsms");
    assert!(changes[2].starts_with("+2 delivery failed"), "{changes:#?}");
    rig.wait_for_records(0)?;
    Ok(())
}

fn the_story_survives_a_restart_of_bearerbox(signal: Signal) -> TestResult {
    let mut rig = Rig::start()?;
    let parts = rig.send("long", &long_text(), 3, 2)?;
    rig.wait_for_records(1)?;

    rig.bearerbox.signal(signal)?;
    rig.bearerbox.wait_exit(WAIT)?;
    // Both receipts come after the restart: only the store knows the parts.
    rig.bearerbox = rig.setup.start_bearerbox(&[])?;
    if !rig.sim.wait_for_binds(2, WAIT) {
        return Err(rig.explain("bearerbox did not bind again"));
    }
    rig.wait_until_online()?;
    rig.wait_for_records(1)?;

    rig.receipt(&parts[1], "DELIVRD")?;
    assert_eq!(rig.callbacks_after_quiet(), Vec::<String>::new());
    rig.receipt(&parts[0], "DELIVRD")?;
    assert_eq!(rig.callbacks(1)?, ["1"]);
    assert_eq!(rig.callbacks_after_quiet(), ["1"]);
    rig.wait_for_records(0)?;
    Ok(())
}

#[test]
fn a_long_messages_report_records_survive_a_graceful_restart_of_bearerbox() -> TestResult {
    the_story_survives_a_restart_of_bearerbox(Signal::SIGTERM)
}

#[test]
fn a_long_messages_report_records_survive_a_kill_of_bearerbox() -> TestResult {
    the_story_survives_a_restart_of_bearerbox(Signal::SIGKILL)
}

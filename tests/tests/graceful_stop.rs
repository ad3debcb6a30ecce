//! A graceful stop (SIGTERM) finishes what is in flight: the submissions the
//! SMSC has not answered yet are waited for, so a start after it sends none
//! of them again; what was never sent stays in the store and goes after the
//! start.

use std::collections::BTreeMap;
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tests::TestResult;
use tests::faults::{Sendsms, SmppGateway};
use tests::smsc_sim::{Faults, SimConfig};

/// The simulator answers each submit this late: long enough for the stop to
/// come while the window is full of unanswered submissions.
const LATENCY: Duration = Duration::from_millis(1500);
const MESSAGES: usize = 30;
const WAIT: Duration = Duration::from_secs(20);

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) -> TestResult {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}").into());
        }
        thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[test]
fn sigterm_waits_for_the_smscs_answers_and_a_start_sends_nothing_twice() -> TestResult {
    let sim = SimConfig {
        faults: Faults {
            latency: LATENCY,
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    // A window smaller than the batch: some messages are still only in the
    // store when the stop comes.
    let mut gateway = SmppGateway::start(sim, &[("max-pending-submits", "10")])?;
    let before = gateway.sim.received().len();
    let mut sendsms = Sendsms::new(gateway.sendsms_port());
    for n in 0..MESSAGES {
        let answer = sendsms.send(&format!("3933{n:08}"), &format!("graceful {n}"));
        assert!(answer.accepted(), "message {n}: {answer:?}");
    }
    wait_until("submits in the window", WAIT, || {
        gateway.sim.received().len() > before
    })?;
    let stop_asked = Instant::now();
    gateway.bearerbox.signal(Signal::SIGTERM)?;
    gateway.bearerbox.wait_exit(WAIT)?;
    let stopped_after = stop_asked.elapsed();
    let unanswered = gateway
        .sim
        .received()
        .iter()
        .filter(|submit| submit.status.is_none())
        .count();
    assert_eq!(
        unanswered, 0,
        "bearerbox stopped with submissions unanswered"
    );
    assert!(
        stopped_after >= LATENCY / 2,
        "stopped {stopped_after:?} after SIGTERM: it did not wait for the answers"
    );
    let log = gateway.setup.read("bearerbox.log");
    assert!(
        !log.contains("not answered after"),
        "the stop gave up waiting:\n{log}"
    );

    gateway.restart_bearerbox()?;
    wait_until("every message at the simulator", WAIT, || {
        gateway.sim.received().len() >= before + MESSAGES
    })?;
    // Whatever a start would send again comes at once; give it the time.
    thread::sleep(LATENCY * 2);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for submit in gateway.sim.received().iter().skip(before) {
        // The gateway's start-up probes go to other numbers.
        if let Some(to) = submit
            .destinations
            .first()
            .filter(|to| to.addr.contains("3933"))
        {
            *seen.entry(to.addr.clone()).or_default() += 1;
        }
    }
    let twice: Vec<_> = seen.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "sent twice after the start: {twice:?}");
    assert_eq!(seen.len(), MESSAGES, "every accepted message arrives");
    Ok(())
}

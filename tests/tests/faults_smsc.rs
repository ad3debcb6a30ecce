//! The SMSC misbehaves while keep-alive HTTP clients send through the
//! gateway: it drops the link, throttles, stalls without answering, answers
//! garbage. Whatever it does, nothing answered 2xx is lost, and sendsms
//! answers 202 during the trouble and after it.
//!
//! Order: each client sends one message after the other, each after the
//! previous one's 202, so its messages are committed in its order and one
//! lane (one route) holds them in that order. On each SMPP connection their
//! first arrivals must keep it (a resend of a message already seen on the
//! connection, after ESME_RTHROTTLED, is not an arrival), also where a session
//! is lost and its messages go back to the lane.

use std::thread;
use std::time::{Duration, Instant};

use tests::TestResult;
use tests::faults::{Load, LoadPlan, SmppGateway, order_breaks, settle};
use tests::smsc_sim::{Direction, SimConfig};

/// Few clients, so that each has several messages in the SMPP window at once.
const CLIENTS: usize = 2;
/// Accepted before the fault, and again after it before the clients stop.
const BEFORE: usize = 300;
const AFTER: usize = 200;
const WAIT: Duration = Duration::from_secs(20);

/// What a faulty run showed.
struct FaultRun {
    gateway: SmppGateway,
    order_breaks: Vec<String>,
}

/// Starts the gateway (`link` keys on the smpp group), runs the clients,
/// calls `fault` once [`BEFORE`] messages were accepted, stops the clients
/// once [`AFTER`] more were, and checks that sendsms still accepts and that
/// nothing accepted is lost or changed.
fn run_with_fault(
    what: &str,
    sim: SimConfig,
    link: &[(&str, &str)],
    fault: impl FnOnce(&SmppGateway, &Load) -> TestResult,
) -> Result<FaultRun, Box<dyn std::error::Error>> {
    let gateway = SmppGateway::start(sim, link)?;
    // The clients run until stopped: the fault, not a count, sets the length.
    let plan = LoadPlan {
        clients: CLIENTS,
        per_client: 100_000,
        time_limit: Duration::from_secs(40),
        pause_after_failure: Duration::from_millis(20),
    };
    let load = Load::start(gateway.sendsms_port(), &plan);
    assert!(
        load.wait_accepted(BEFORE, WAIT),
        "only {} accepted before the fault\n{}",
        load.accepted(),
        gateway.logs()
    );
    fault(&gateway, &load)?;
    assert_serving(&load, AFTER, WAIT, "after the fault");
    load.stop();
    let result = load.finish();
    gateway
        .wait_until_accepting(Duration::from_secs(5))
        .map_err(|error| format!("sendsms refuses after the fault: {error}"))?;
    let tally = settle(&gateway.sim, &result, WAIT);
    let submits = gateway.sim.received();
    let order_breaks = order_breaks(&submits);
    eprintln!(
        "{}; {} SMPP binds, {} submits seen, {} order breaks",
        tally.report(&format!("{what}, run of {:.1?}", result.elapsed)),
        gateway.binds(),
        submits.len(),
        order_breaks.len()
    );
    assert!(
        tally.lost.is_empty(),
        "{} messages answered 2xx never reached the SMSC, first: {:?}\n{}",
        tally.lost.len(),
        tally.lost.iter().take(5).collect::<Vec<_>>(),
        gateway.logs()
    );
    assert!(
        tally.garbled.is_empty(),
        "texts changed: {:?}",
        tally.garbled.iter().take(5).collect::<Vec<_>>()
    );
    assert!(
        tally.accepted >= BEFORE + AFTER,
        "the run hardly ran: {}",
        tally.report(what)
    );
    Ok(FaultRun {
        gateway,
        order_breaks,
    })
}

/// Asserts that `load` gets `more` requests accepted within `within`: the
/// gateway serves while the SMSC is in trouble.
fn assert_serving(load: &Load, more: usize, within: Duration, when: &str) {
    let before = load.accepted();
    assert!(
        load.wait_more_accepted(more, within),
        "sendsms stopped accepting {when}: {} accepted in {within:?}",
        load.accepted() - before
    );
}

fn assert_in_order(run: &FaultRun) {
    assert!(
        run.order_breaks.is_empty(),
        "{} messages arrived out of their client's order, first: {:?}",
        run.order_breaks.len(),
        run.order_breaks.iter().take(5).collect::<Vec<_>>()
    );
}

/// A simulator that answers after 20 ms: about as fast as the clients send,
/// so the window is full when the link goes, with several messages of each
/// client in it.
fn slow_sim() -> SimConfig {
    let mut sim = SimConfig::default();
    sim.faults.latency = Duration::from_millis(20);
    sim
}

/// The SMSC cuts the connection three times during the run.
fn dropped_link() -> Result<FaultRun, Box<dyn std::error::Error>> {
    let run = run_with_fault("link dropped 3 times", slow_sim(), &[], |gateway, load| {
        for drop in 1..=3 {
            let binds = gateway.binds();
            let dropped = gateway.sim.drop_connections();
            assert_eq!(dropped, 1, "drop {drop}: one connection to drop");
            // bearerbox reconnects after a second: this is while the link is down.
            assert_serving(load, 50, Duration::from_secs(5), "while the link is down");
            if !gateway.sim.wait_for_binds(binds + 1, WAIT) {
                return Err(format!("no new bind after drop {drop}\n{}", gateway.logs()).into());
            }
            assert_serving(load, 100, WAIT, "after the link came back");
        }
        Ok(())
    })?;
    assert!(run.gateway.binds() >= 4, "{} binds", run.gateway.binds());
    Ok(run)
}

#[test]
fn a_dropped_link_loses_nothing_and_sendsms_keeps_accepting() -> TestResult {
    dropped_link()?;
    Ok(())
}

#[test]
fn a_dropped_link_keeps_each_clients_order() -> TestResult {
    assert_in_order(&dropped_link()?);
    Ok(())
}

#[test]
fn a_throttling_smsc_loses_nothing_keeps_order_and_sendsms_keeps_accepting() -> TestResult {
    let sim = SimConfig::default();
    let run = run_with_fault(
        "throttled every 3rd submit for 3 s",
        sim,
        &[],
        |gateway, load| {
            gateway.sim.update_faults(|f| f.throttle_every = Some(3));
            let until = Instant::now() + Duration::from_secs(3);
            assert_serving(load, 50, Duration::from_secs(3), "while throttled");
            thread::sleep(until.saturating_duration_since(Instant::now()));
            gateway.sim.update_faults(|f| f.throttle_every = None);
            assert_serving(load, 100, WAIT, "after the throttling");
            Ok(())
        },
    )?;
    let throttled = run
        .gateway
        .sim
        .received()
        .iter()
        .filter(|s| s.status == Some(0x58))
        .count();
    eprintln!("{throttled} submits answered ESME_RTHROTTLED");
    assert!(throttled > 0, "the simulator throttled nothing");
    assert_in_order(&run);
    Ok(())
}

/// The SMSC answers nothing, not even enquire_link, for two seconds.
fn stalled_smsc() -> Result<FaultRun, Box<dyn std::error::Error>> {
    let link = [("enquire-link-interval", "1"), ("wait-ack", "3")];
    let run = run_with_fault("stalled for 2 s", slow_sim(), &link, |gateway, load| {
        gateway.sim.update_faults(|f| f.stalled = true);
        let until = Instant::now() + Duration::from_secs(2);
        assert_serving(
            load,
            50,
            Duration::from_secs(2),
            "while the SMSC is stalled",
        );
        thread::sleep(until.saturating_duration_since(Instant::now()));
        gateway.sim.update_faults(|f| f.stalled = false);
        // A bind that came during the stall is never answered (bearerbox would
        // wait out its bind timeout): cut such a connection, as a restarting
        // SMSC would.
        thread::sleep(Duration::from_millis(100));
        let stats = gateway.sim.stats();
        if stats.connections.iter().any(|c| c.open && c.bind.is_none()) {
            gateway.sim.drop_connections();
        }
        assert_serving(load, 100, WAIT, "after the stall");
        Ok(())
    })?;
    let unanswered = run
        .gateway
        .sim
        .received()
        .iter()
        .filter(|s| s.status.is_none())
        .count();
    eprintln!("{unanswered} submits left unanswered by the stalled simulator");
    assert!(unanswered > 0, "nothing reached the stalled simulator");
    Ok(run)
}

#[test]
fn a_stalled_smsc_loses_nothing_and_sendsms_keeps_accepting() -> TestResult {
    stalled_smsc()?;
    Ok(())
}

#[test]
fn a_stalled_smsc_keeps_each_clients_order() -> TestResult {
    assert_in_order(&stalled_smsc()?);
    Ok(())
}

/// An enquire_link-shaped request with an unknown command id: framed, so
/// bearerbox can answer generic_nack and carry on.
fn unknown_command(sequence: u32) -> Vec<u8> {
    let mut pdu = Vec::new();
    for word in [16u32, 0x0000_0123, 0, sequence] {
        pdu.extend_from_slice(&word.to_be_bytes());
    }
    pdu
}

/// Garbage costs sessions, and a session lost puts its messages back the
/// way [`a_dropped_link_keeps_each_clients_order`] shows: order breaks are
/// counted here, and asserted there.
#[test]
fn an_smsc_answering_garbage_loses_nothing_and_sendsms_keeps_accepting() -> TestResult {
    let sim = SimConfig::default();
    let run = run_with_fault("garbage from the SMSC", sim, &[], |gateway, load| {
        // Framed but unknown: answered, the session goes on.
        for n in 0..5 {
            assert_eq!(
                gateway
                    .sim
                    .inject_garbage(&unknown_command(0x7000_0000 + n)),
                1
            );
            assert_serving(load, 20, WAIT, "after an unknown PDU");
        }
        // No framing at all: the session cannot go on; bearerbox binds again.
        for round in 1..=2 {
            let binds = gateway.binds();
            assert_eq!(
                gateway
                    .sim
                    .inject_garbage(b"HTTP/1.1 500 Internal Server Error\r\n\r\n"),
                1
            );
            assert_serving(load, 50, WAIT, "after garbage on the link");
            if !gateway.sim.wait_for_binds(binds + 1, WAIT) {
                return Err(
                    format!("no new bind after garbage {round}\n{}", gateway.logs()).into(),
                );
            }
            assert_serving(load, 100, WAIT, "after the link came back");
        }
        Ok(())
    })?;
    let nacks = run
        .gateway
        .sim
        .pdus()
        .iter()
        .filter(|p| {
            p.direction == Direction::In
                && p.command_id == 0x8000_0000
                && p.sequence_number >= 0x7000_0000
        })
        .count();
    eprintln!(
        "{nacks} generic_nack for 5 unknown PDUs; {} binds",
        run.gateway.binds()
    );
    assert_eq!(nacks, 5, "every unknown PDU gets its generic_nack");
    Ok(())
}

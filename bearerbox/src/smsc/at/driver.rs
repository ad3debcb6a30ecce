//! The serial side of the `at` driver: one thread per modem owns the port,
//! moves bytes between it and the [`Session`], and talks to the async core
//! through the link's channels (their blocking ends). A device that cannot
//! be opened, or a session that ends, is retried after a delay that doubles
//! up to eight times `reconnect-delay`; the link is `Offline` meanwhile, so
//! the router fails over.
//!
//! An MO or a report is deleted from the modem (or acknowledged) only
//! after the core confirms it has it (`LinkEvent::Flush`), so a crash in
//! between leaves the message on the modem rather than nowhere.

use std::io;
use std::thread;
use std::time::{Duration, Instant};

use serialport::{FlowControl, SerialPort};
use smol::channel::{Receiver, Sender, TryRecvError};

use super::config::{AtSettings, ModemType};
use super::session::{Output, Session};
use crate::smsc::{LinkEvent, Submission};

/// How long one read waits for bytes: the latency of a new submission and
/// of timers when the modem is quiet.
const READ_SLICE: Duration = Duration::from_millis(20);
/// How long the core may take to commit an MO before the modem is told to
/// delete it; past that the message stays in the modem's storage.
const COMMIT_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    #[error("cannot start the thread for modem {device}: {source}")]
    Thread { device: String, source: io::Error },
}

/// Starts the modem's thread. It runs until the core drops the link's
/// submission channel.
pub fn spawn(
    settings: AtSettings,
    submissions: Receiver<Submission>,
    events: Sender<LinkEvent>,
) -> Result<thread::JoinHandle<()>, DriverError> {
    let device = settings.device.clone();
    thread::Builder::new()
        .name(format!("modem {}", settings.smsc_id))
        .spawn(move || run(settings, submissions, events))
        .map_err(|source| DriverError::Thread { device, source })
}

fn run(settings: AtSettings, submissions: Receiver<Submission>, events: Sender<LinkEvent>) {
    let base = settings.reconnect_delay.max(Duration::from_millis(100));
    let mut delay = base;
    let mut session: Option<Session> = None;
    loop {
        if submissions.is_closed() {
            return;
        }
        match open(&settings) {
            Err(error) => log::warn!(
                "SMSC {}: cannot open {}: {error}; next try in {} s",
                settings.smsc_id,
                settings.device,
                delay.as_secs_f32()
            ),
            Ok(mut port) => {
                let now = Instant::now();
                let session = match session.as_mut() {
                    Some(session) => {
                        session.restart(now);
                        session
                    }
                    None => session.insert(Session::new(settings.clone(), now)),
                };
                let ended = converse(&settings, port.as_mut(), session, &submissions, &events);
                let was_online = session.is_online();
                drop(port);
                match ended {
                    End::Shutdown => return,
                    End::Reopen(reason) => {
                        log::warn!("SMSC {}: {reason}", settings.smsc_id);
                        if was_online {
                            delay = base;
                            if events.send_blocking(LinkEvent::Offline { reason }).is_err() {
                                return;
                            }
                            discard_stale(&submissions);
                        }
                    }
                }
            }
        }
        if !sleep_unless_closed(delay, &submissions) {
            return;
        }
        delay = (delay * 2).min(base * 8);
    }
}

fn open(settings: &AtSettings) -> serialport::Result<Box<dyn SerialPort>> {
    let flow = match &settings.modem {
        ModemType::Known(modem) if modem.hardware_flow_control => FlowControl::Hardware,
        _ => FlowControl::None,
    };
    serialport::new(&settings.device, settings.baud_rate())
        .flow_control(flow)
        .timeout(READ_SLICE)
        .open()
}

enum End {
    Shutdown,
    Reopen(String),
}

fn converse(
    settings: &AtSettings,
    port: &mut dyn SerialPort,
    session: &mut Session,
    submissions: &Receiver<Submission>,
    events: &Sender<LinkEvent>,
) -> End {
    let mut buffer = [0u8; 512];
    loop {
        for output in session.take_output() {
            match output {
                Output::Write(bytes) => {
                    log::debug!(
                        "SMSC {} <- {}",
                        settings.smsc_id,
                        String::from_utf8_lossy(&bytes).trim_end()
                    );
                    if let Err(error) = port.write_all(&bytes).and_then(|()| port.flush()) {
                        return End::Reopen(format!(
                            "writing to {} failed: {error}",
                            settings.device
                        ));
                    }
                    let pause = session.modem().sendline_sleep;
                    if !pause.is_zero() {
                        thread::sleep(pause);
                    }
                }
                Output::Event(event) => {
                    if matches!(event, LinkEvent::Online) {
                        discard_stale(submissions);
                    }
                    let must_commit =
                        matches!(event, LinkEvent::Received(_) | LinkEvent::Report { .. });
                    if events.send_blocking(event).is_err() {
                        return End::Shutdown;
                    }
                    // The session's next words to the modem may be AT+CMGD
                    // or AT+CNMA: only once the core has the message.
                    if must_commit && let Some(end) = wait_for_commit(events) {
                        return end;
                    }
                }
                Output::Reopen(reason) => return End::Reopen(reason),
            }
        }
        let now = Instant::now();
        if session.wants_submission() {
            match submissions.try_recv() {
                Ok(submission) => {
                    session.submit(submission, now);
                    continue;
                }
                Err(TryRecvError::Closed) => return End::Shutdown,
                Err(TryRecvError::Empty) => {}
            }
        } else if submissions.is_closed() {
            return End::Shutdown;
        }
        match port.read(&mut buffer) {
            Ok(0) => return End::Reopen(format!("{} was closed", settings.device)),
            Ok(n) => {
                let bytes = buffer.get(..n).unwrap_or_default();
                log::debug!(
                    "SMSC {} -> {:?}",
                    settings.smsc_id,
                    String::from_utf8_lossy(bytes)
                );
                session.receive(bytes, Instant::now());
            }
            Err(error) if error.kind() == io::ErrorKind::TimedOut => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => {
                return End::Reopen(format!("reading {} failed: {error}", settings.device));
            }
        }
        session.tick(Instant::now());
    }
}

/// Waits until the core has handled every event sent so far; `None` when
/// it has.
fn wait_for_commit(events: &Sender<LinkEvent>) -> Option<End> {
    let (done, committed) = smol::channel::bounded(1);
    if events.send_blocking(LinkEvent::Flush(done)).is_err() {
        return Some(End::Shutdown);
    }
    let until = Instant::now() + COMMIT_WAIT;
    while Instant::now() < until {
        match committed.try_recv() {
            Ok(true) => return None,
            // Not on disk (disk full): the message stays on the modem; reading
            // it again after a reopen is the retry.
            Ok(false) => {
                return Some(End::Reopen(
                    "the core could not commit a received message; it stays on the modem".into(),
                ));
            }
            Err(TryRecvError::Closed) => return Some(End::Shutdown),
            Err(TryRecvError::Empty) => thread::sleep(Duration::from_millis(2)),
        }
    }
    Some(End::Reopen(format!(
        "the core did not take a received message within {} s; it stays on the modem",
        COMMIT_WAIT.as_secs()
    )))
}

/// Submissions still in the channel when the link goes down or comes up
/// were handed back to the router by `Offline`; sending them would send
/// them twice.
fn discard_stale(submissions: &Receiver<Submission>) {
    let mut dropped = 0usize;
    while submissions.try_recv().is_ok() {
        dropped += 1;
    }
    if dropped > 0 {
        log::debug!("{dropped} submissions from before the link went down dropped");
    }
}

/// Sleeps `total` in slices; false when the link was closed meanwhile.
fn sleep_unless_closed(total: Duration, submissions: &Receiver<Submission>) -> bool {
    let until = Instant::now() + total;
    while Instant::now() < until {
        if submissions.is_closed() {
            return false;
        }
        thread::sleep(
            Duration::from_millis(50).min(until.saturating_duration_since(Instant::now())),
        );
    }
    !submissions.is_closed()
}

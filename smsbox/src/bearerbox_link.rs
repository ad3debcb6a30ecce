//! The link to bearerbox: connect, identify with `smsbox-id`, heartbeat
//! every 30 s, send MT messages and route each ack back to the request
//! waiting on that message's id, hand MO and DLR messages to the inbound
//! queue, and when bearerbox is unreachable or goes away try again with
//! back-off.
//!
//! [`Link`] is the handle the rest of smsbox holds: it says whether a
//! session is up (sendsms answers 503 at once when not) and sends.
//! Everything lives on one thread (smol's local executor), hence `Rc`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use box_protocol::frame::{Deframer, Limits, write_frame};
use box_protocol::message::{AckStatus, AdminCommand, Msg, Sms};
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, future};
use smol::channel::{Receiver, Sender};
use thiserror::Error;
use uuid::Uuid;

/// Kannel's compiled-in defaults when the configuration says nothing.
pub const DEFAULT_HOST: &str = "localhost";
pub const DEFAULT_PORT: u16 = 13001;
/// Kannel's DEFAULT_HEARTBEAT.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(30);
/// How long a message waits for bearerbox's ack before its request is
/// answered with a temporary failure. A healthy bearerbox acks in
/// milliseconds (one store write); one silent for seconds is not going to
/// deliver either, and the client is better told to retry than left hanging.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(4);
/// How often a session looks for acks overdue, so an overdue ack is given
/// up at most this much after [`ACK_TIMEOUT`]. One look a second costs
/// less than a timer for each message, which async-io registers (and wakes
/// its reactor for) on every request.
const ACK_SWEEP: Duration = Duration::from_secs(1);

/// Where bearerbox is and who we say we are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub smsbox_id: Option<String>,
}

/// Delays between connection attempts: from `FIRST`, doubling, at most `MAX`.
/// Starting short lets an smsbox started together with bearerbox attach
/// within a second; the cap keeps a long outage from spacing retries out
/// beyond what an operator would wait for.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Backoff {
    pub const FIRST: Duration = Duration::from_millis(250);
    pub const MAX: Duration = Duration::from_secs(10);

    pub fn new() -> Backoff {
        Backoff {
            next: Backoff::FIRST,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Backoff::MAX);
        delay
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum SendError {
    #[error("not connected to bearerbox")]
    NotConnected,
    #[error("the connection to bearerbox was lost before the ack")]
    Lost,
    #[error("bearerbox did not ack in time")]
    Timeout,
}

/// A message's ack, or why there will be none.
pub type AckOutcome = Result<AckStatus, SendError>;

/// Where an ack is left for the request waiting on it.
#[derive(Default)]
struct AckSlot {
    outcome: Cell<Option<AckOutcome>>,
    waker: Cell<Option<Waker>>,
}

impl AckSlot {
    fn fill(&self, outcome: AckOutcome) {
        self.outcome.set(Some(outcome));
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

/// Completes with bearerbox's ack of one message: its status, or
/// [`SendError::Lost`] when the session ends first, or
/// [`SendError::Timeout`] after [`ACK_TIMEOUT`].
pub struct AckWait(Rc<AckSlot>);

impl Future for AckWait {
    type Output = AckOutcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<AckOutcome> {
        match self.0.outcome.take() {
            Some(outcome) => Poll::Ready(outcome),
            None => {
                self.0.waker.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

impl fmt::Debug for AckWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AckWait")
    }
}

struct Waiting {
    slot: Rc<AckSlot>,
    due: Instant,
}

#[derive(Default)]
struct State {
    writer: Option<Sender<Msg>>,
    pending: HashMap<Uuid, Waiting>,
    load: i32,
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("connected", &self.writer.is_some())
            .field("pending", &self.pending.len())
            .field("load", &self.load)
            .finish()
    }
}

/// The shared handle on the link.
#[derive(Debug, Clone, Default)]
pub struct Link {
    state: Rc<RefCell<State>>,
}

impl Link {
    pub fn new() -> Link {
        Link::default()
    }

    pub fn is_connected(&self) -> bool {
        self.state.borrow().writer.is_some()
    }

    /// Sends an MT; the wait completes with bearerbox's ack of its id.
    pub fn submit(&self, sms: Sms) -> Result<AckWait, SendError> {
        let mut state = self.state.borrow_mut();
        let writer = state.writer.as_ref().ok_or(SendError::NotConnected)?;
        let id = sms.id;
        if writer.try_send(Msg::from(sms)).is_err() {
            return Err(SendError::Lost);
        }
        let slot = Rc::new(AckSlot::default());
        let due = Instant::now() + ACK_TIMEOUT;
        state.pending.insert(
            id,
            Waiting {
                slot: slot.clone(),
                due,
            },
        );
        Ok(AckWait(slot))
    }

    /// Forgets a message whose ack nobody waits for any more.
    pub fn forget(&self, id: &Uuid) {
        self.state.borrow_mut().pending.remove(id);
    }

    /// Acks an MO or DLR bearerbox handed us; dropped if the session that
    /// carried it is gone (bearerbox re-sends unacked messages).
    pub fn ack(&self, sms: &Sms, status: AckStatus) {
        self.ack_id(sms.id, sms.time, status);
    }

    /// Acks the message `id` (sent at `time`) once it was handled and dropped.
    pub fn ack_id(&self, id: Uuid, time: Option<i32>, nack: AckStatus) {
        if let Some(writer) = &self.state.borrow().writer {
            let _ = writer.try_send(Msg::Ack { nack, time, id });
        }
    }

    /// Sends an MT without waiting for its ack (service replies).
    pub fn push(&self, sms: Sms) -> Result<(), SendError> {
        let state = self.state.borrow();
        let writer = state.writer.as_ref().ok_or(SendError::NotConnected)?;
        writer.try_send(Msg::from(sms)).map_err(|_| SendError::Lost)
    }

    /// The `load` heartbeats report: requests in progress.
    pub fn add_load(&self, delta: i32) {
        self.state.borrow_mut().load += delta;
    }

    fn attach(&self, writer: Sender<Msg>) {
        self.state.borrow_mut().writer = Some(writer);
    }

    fn detach(&self) {
        let pending = {
            let mut state = self.state.borrow_mut();
            state.writer = None;
            std::mem::take(&mut state.pending)
        };
        for waiting in pending.into_values() {
            waiting.slot.fill(Err(SendError::Lost));
        }
    }

    fn resolve(&self, id: &Uuid, status: AckStatus) {
        let waiting = self.state.borrow_mut().pending.remove(id);
        match waiting {
            Some(waiting) => waiting.slot.fill(Ok(status)),
            None => log::debug!("ack {status:?} for {id}, which nobody waits for"),
        }
    }

    /// Gives up on every ack due by `now`.
    fn expire(&self, now: Instant) {
        let mut overdue = Vec::new();
        self.state.borrow_mut().pending.retain(|_, waiting| {
            let keep = waiting.due > now;
            if !keep {
                overdue.push(waiting.slot.clone());
            }
            keep
        });
        for slot in overdue {
            slot.fill(Err(SendError::Timeout));
        }
    }
}

/// Keeps a session with bearerbox for as long as the future is polled.
pub async fn keep_connected<S, C, CF, Z, ZF>(
    target: Target,
    link: Link,
    inbound: Sender<Box<Sms>>,
    mut connect: C,
    sleep: Z,
) where
    S: AsyncRead + AsyncWrite + Unpin + Clone,
    C: FnMut(String, u16) -> CF,
    CF: Future<Output = io::Result<S>>,
    Z: Fn(Duration) -> ZF,
    ZF: Future<Output = ()>,
{
    let mut backoff = Backoff::new();
    let mut attempt: u64 = 0;
    loop {
        attempt += 1;
        log::info!(
            "connecting to bearerbox at {}:{} (attempt {attempt})",
            target.host,
            target.port
        );
        match connect(target.host.clone(), target.port).await {
            Ok(stream) => {
                log::info!("connected to bearerbox at {}:{}", target.host, target.port);
                backoff = Backoff::new();
                attempt = 0;
                match session(stream, &target, &link, &inbound, &sleep).await {
                    Ok(()) => log::warn!("bearerbox closed the connection"),
                    Err(error) => log::warn!("connection to bearerbox lost: {error}"),
                }
                link.detach();
            }
            Err(error) => {
                log::warn!(
                    "cannot connect to bearerbox at {}:{}: {error}",
                    target.host,
                    target.port
                );
            }
        }
        let delay = backoff.next_delay();
        log::info!(
            "next attempt to reach bearerbox in {} ms",
            delay.as_millis()
        );
        sleep(delay).await;
    }
}

async fn session<S, Z, ZF>(
    stream: S,
    target: &Target,
    link: &Link,
    inbound: &Sender<Box<Sms>>,
    sleep: &Z,
) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Clone,
    Z: Fn(Duration) -> ZF,
    ZF: Future<Output = ()>,
{
    let (writer, outgoing) = smol::channel::unbounded();
    let identify = Msg::identify(target.smsbox_id.clone().map(String::into_bytes));
    let _ = writer.try_send(identify);
    link.attach(writer.clone());
    let reading = read_loop(stream.clone(), link, inbound);
    let writing = write_loop(stream, outgoing);
    let beating = async {
        loop {
            sleep(HEARTBEAT_INTERVAL).await;
            let load = link.state.borrow().load;
            if writer.try_send(Msg::heartbeat(load)).is_err() {
                return Ok(());
            }
        }
    };
    let expiring = async {
        loop {
            sleep(ACK_SWEEP).await;
            link.expire(Instant::now());
        }
    };
    future::or(reading, future::or(writing, future::or(beating, expiring))).await
}

/// A write takes every message waiting, up to about this many octets: under
/// load, many requests are answered in one turn of the executor, and one
/// write for all of them costs one trip through the kernel's TCP instead of
/// one each.
const WRITE_BATCH: usize = 64 * 1024;

async fn write_loop<S: AsyncWrite + Unpin>(
    mut stream: S,
    outgoing: Receiver<Msg>,
) -> io::Result<()> {
    let mut buffer = Vec::new();
    while let Ok(msg) = outgoing.recv().await {
        buffer.clear();
        let mut next = Some(msg);
        let mut unwritable = None;
        while let Some(msg) = next.take() {
            if let Err(error) = write_frame(&msg, &mut buffer) {
                unwritable = Some(io::Error::new(
                    io::ErrorKind::InvalidData,
                    error.to_string(),
                ));
                break;
            }
            if buffer.len() < WRITE_BATCH {
                next = outgoing.try_recv().ok();
            }
        }
        // The messages framed before one that cannot be are still sent.
        stream.write_all(&buffer).await?;
        if let Some(error) = unwritable {
            return Err(error);
        }
    }
    Ok(())
}

async fn read_loop<S: AsyncRead + Unpin>(
    mut stream: S,
    link: &Link,
    inbound: &Sender<Box<Sms>>,
) -> io::Result<()> {
    let mut deframer = Deframer::new(Limits::default());
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        deframer.push(&buffer[..read]);
        loop {
            let msg = deframer
                .next_msg()
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error.to_string()))?;
            let Some(msg) = msg else { break };
            match msg {
                Msg::Ack { nack, id, .. } => link.resolve(&id, nack),
                Msg::Sms(sms) => {
                    if inbound.send(sms).await.is_err() {
                        return Ok(());
                    }
                }
                Msg::Admin {
                    command: AdminCommand::Shutdown | AdminCommand::Restart,
                    ..
                } => {
                    log::info!("bearerbox asked this box to stop; reconnecting when it is back");
                    return Ok(());
                }
                other => log::debug!("ignoring {} from bearerbox", other.type_name()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_a_quarter_second_up_to_ten_seconds() {
        let mut backoff = Backoff::new();
        let delays: Vec<u128> = (0..9).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(
            delays,
            [250, 500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]
        );
    }

    fn sent(link: &Link, to: &str) -> (Uuid, AckWait) {
        let sms = Sms::new_mt("12345", to, "hello");
        let id = sms.id;
        match link.submit(sms) {
            Ok(wait) => (id, wait),
            Err(error) => panic!("a connected link refused a message: {error}"),
        }
    }

    #[test]
    fn each_ack_reaches_the_request_waiting_on_that_message() {
        let link = Link::new();
        let (writer, written) = smol::channel::unbounded();
        link.attach(writer);
        let (first, first_ack) = sent(&link, "1");
        let (second, second_ack) = sent(&link, "2");
        link.resolve(&second, AckStatus::Failed);
        link.resolve(&first, AckStatus::Success);
        assert_eq!(smol::block_on(first_ack), Ok(AckStatus::Success));
        assert_eq!(smol::block_on(second_ack), Ok(AckStatus::Failed));
        assert_eq!(written.len(), 2, "both messages went to the writer");
    }

    #[test]
    fn an_ack_not_in_by_its_deadline_is_given_up_and_a_late_one_is_ignored() {
        let link = Link::new();
        let (writer, _written) = smol::channel::unbounded();
        link.attach(writer);
        let (id, ack) = sent(&link, "1");
        link.expire(Instant::now());
        assert_eq!(
            link.state.borrow().pending.len(),
            1,
            "given up before its time"
        );
        link.expire(Instant::now() + ACK_TIMEOUT);
        assert_eq!(smol::block_on(ack), Err(SendError::Timeout));
        link.resolve(&id, AckStatus::Success);
        assert!(link.state.borrow().pending.is_empty());
    }

    #[test]
    fn a_session_that_ends_loses_every_ack_still_awaited_and_refuses_new_messages() {
        let link = Link::new();
        let (writer, _written) = smol::channel::unbounded();
        link.attach(writer);
        let (_, ack) = sent(&link, "1");
        link.detach();
        assert_eq!(smol::block_on(ack), Err(SendError::Lost));
        let refused = link.submit(Sms::new_mt("12345", "2", "hello"));
        assert!(matches!(refused, Err(SendError::NotConnected)));
    }
}

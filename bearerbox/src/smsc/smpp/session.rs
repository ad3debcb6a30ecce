//! One SMPP session as a deterministic state machine: bytes and the current time in, bytes to
//! write, events and the next deadline out. No socket, no clock, no task: the driver
//! (`driver.rs`) moves bytes and sleeps until [`Session::poll_timeout`]; tests pair it with an
//! SMSC in memory and a simulated clock.
//!
//! ```text
//!            submit(key, submit_sm) ─┐            ┌─▶ poll_transmit(now) ──▶ bytes to write
//!  bytes ──▶ handle_input(now, ..) ──┤  Session   ├─▶ poll_event()        ──▶ Bound, Accepted, ...
//!  timer ──▶ handle_timeout(now) ────┘            └─▶ poll_timeout()      ──▶ when to call again
//! ```
//!
//! What it decides: binding; the window of unanswered submit_sm (`max-pending-submits`);
//! `throughput` as a token bucket; enquire_link every `enquire-link-interval` and a dead link
//! when one goes unanswered until the next is due; `wait-ack` with Kannel's three
//! `wait-ack-expire` choices; ESME_RTHROTTLED / ESME_RMSGQFUL pausing the session and resending
//! in the original order; answering the SMSC's enquire_link, unbind and unknown PDUs; holding
//! each deliver_sm / data_sm response until the caller says the message is safe.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use thiserror::Error;

use super::pdu::{
    self, BindReceiver, BindTransceiver, BindTransmitter, Body, DataSm, DataSmResp, DecodeError,
    DeliverSm, DeliverSmResp, EnquireLink, EnquireLinkResp, Pdu, SubmitSm, Unbind, UnbindResp,
};
use super::status::CommandStatus;
use super::wire::COctetString;

/// The caller's name for one submit_sm, echoed in its outcome.
pub type SubmitKey = u64;
/// Names a deliver_sm / data_sm whose response waits for [`Session::respond`].
pub type InboundHandle = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindMode {
    Transmitter,
    Receiver,
    Transceiver,
}

impl BindMode {
    pub fn can_submit(self) -> bool {
        self != BindMode::Receiver
    }
}

/// Kannel's `wait-ack-expire`: what to do with a submit_sm unanswered for `wait-ack`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitAckExpire {
    /// 0: drop the connection and bind again.
    Reconnect,
    /// 1: give the message back to be sent again (Kannel's default in code).
    Requeue,
    /// 2: keep waiting.
    KeepWaiting,
}

impl WaitAckExpire {
    pub fn from_kannel(value: i64) -> Option<Self> {
        match value {
            0 => Some(WaitAckExpire::Reconnect),
            1 => Some(WaitAckExpire::Requeue),
            2 => Some(WaitAckExpire::KeepWaiting),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub mode: BindMode,
    pub system_id: String,
    pub password: String,
    pub system_type: String,
    /// 0x34 for SMPP 3.4.
    pub interface_version: u8,
    pub addr_ton: u8,
    pub addr_npi: u8,
    pub address_range: String,
    /// `max-pending-submits`: submit_sm sent and not yet answered, at most.
    pub window: usize,
    pub enquire_link_interval: Duration,
    pub wait_ack: Duration,
    pub wait_ack_expire: WaitAckExpire,
    /// `throughput`: submit_sm per second; `None` for no limit.
    pub throughput: Option<f64>,
    /// `connection-timeout`: nothing heard for this long ends the session.
    pub connection_timeout: Option<Duration>,
    pub bind_timeout: Duration,
    /// How long ESME_RTHROTTLED / ESME_RMSGQFUL stop sending (Kannel: 1 s).
    pub throttle_pause: Duration,
    /// How long to wait for unbind_resp before closing anyway.
    pub unbind_timeout: Duration,
    pub max_command_length: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            mode: BindMode::Transceiver,
            system_id: String::new(),
            password: String::new(),
            system_type: String::new(),
            interface_version: 0x34,
            addr_ton: 0,
            addr_npi: 0,
            address_range: String::new(),
            window: 10,
            enquire_link_interval: Duration::from_secs(30),
            wait_ack: Duration::from_secs(60),
            wait_ack_expire: WaitAckExpire::Requeue,
            throughput: None,
            connection_timeout: Some(Duration::from_secs(300)),
            bind_timeout: Duration::from_secs(30),
            throttle_pause: Duration::from_secs(1),
            unbind_timeout: Duration::from_secs(5),
            max_command_length: pdu::DEFAULT_MAX_COMMAND_LENGTH,
        }
    }
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CloseReason {
    #[error("bind refused with {status}")]
    BindRefused { status: CommandStatus },
    #[error("no bind response within {0:?}")]
    BindTimeout(Duration),
    #[error("the SMSC unbound")]
    UnboundByPeer,
    #[error("unbound")]
    Unbound,
    #[error("no answer to enquire_link within {0:?}")]
    LinkDead(Duration),
    #[error("nothing heard from the SMSC for {0:?}")]
    ConnectionTimeout(Duration),
    #[error("submit_sm (sequence {sequence_number}) unanswered for {after:?}")]
    WaitAck {
        sequence_number: u32,
        after: Duration,
    },
    #[error("unreadable bytes from the SMSC: {0}")]
    Protocol(DecodeError),
    #[error("connection lost: {0}")]
    ConnectionLost(String),
}

impl CloseReason {
    /// A refusal that binding again with the same credentials cannot cure (Kannel stops the
    /// link on these).
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            CloseReason::BindRefused {
                status: CommandStatus::InvalidSystemId
                    | CommandStatus::InvalidPassword
                    | CommandStatus::InvalidSystemType
            }
        )
    }
}

/// A message from the SMSC waiting for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundPdu {
    DeliverSm(Box<DeliverSm>),
    DataSm(Box<DataSm>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Bound: submissions go out from now on.
    Bound { system_id: String },
    /// submit_sm_resp with ESME_ROK.
    Accepted { key: SubmitKey, message_id: String },
    /// An error response (or generic_nack) other than throttling, which the session retries
    /// itself. The caller decides with `status.is_temporary()`.
    Failed {
        key: SubmitKey,
        status: CommandStatus,
    },
    /// No response within `wait-ack` with `wait-ack-expire = 1`: the caller requeues it.
    TimedOut { key: SubmitKey },
    /// Answer with [`Session::respond`] once the message is safe.
    Inbound {
        handle: InboundHandle,
        pdu: InboundPdu,
    },
    /// The session is over; `unanswered` lists every submission sent without an answer or not
    /// sent at all, in the order they were given.
    Closed {
        reason: CloseReason,
        unanswered: Vec<SubmitKey>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Binding { deadline: Instant },
    Bound,
    Unbinding { deadline: Instant },
    Closed,
}

#[derive(Debug, Clone)]
struct Queued {
    key: SubmitKey,
    order: u64,
    pdu: SubmitSm,
}

#[derive(Debug, Clone)]
struct InFlight {
    queued: Queued,
    sent_at: Instant,
}

#[derive(Debug, Clone, Copy)]
enum InboundKind {
    Deliver,
    Data,
}

/// `throughput` as a bucket of one token: submissions are spaced at least 1/rate apart, so
/// no second ever sees more than the rate.
#[derive(Debug, Clone)]
struct TokenBucket {
    rate: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl TokenBucket {
    const CAPACITY: f64 = 1.0;
    /// Float rounding must not leave a token at 0.999… forever.
    const EPSILON: f64 = 1e-9;

    fn new(rate: f64) -> Self {
        TokenBucket {
            rate,
            tokens: Self::CAPACITY,
            last: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(Self::CAPACITY);
        }
        self.last = Some(now);
    }

    fn try_take(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= 1.0 - Self::EPSILON {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn ready_at(&self) -> Option<Instant> {
        let last = self.last?;
        let missing = (1.0 - self.tokens).max(0.0);
        Some(last + Duration::from_secs_f64(missing / self.rate))
    }
}

pub struct Session {
    config: SessionConfig,
    state: State,
    next_sequence: u32,
    input: Vec<u8>,
    output: Vec<u8>,
    events: VecDeque<Event>,
    queue: VecDeque<Queued>,
    in_flight: BTreeMap<u32, InFlight>,
    next_order: u64,
    enquire: Option<(u32, Instant)>,
    next_enquire: Option<Instant>,
    last_heard: Instant,
    paused_until: Option<Instant>,
    bucket: Option<TokenBucket>,
    inbound: HashMap<InboundHandle, (u32, InboundKind)>,
    next_handle: InboundHandle,
}

/// Fits a configured string into a C-octet field, cutting what is too long, since a bind must
/// go out whatever the configuration says (the SMSC then says what it dislikes).
fn c_string<const MAX: usize>(text: &str) -> COctetString<MAX> {
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|&b| b != 0)
        .take(MAX.saturating_sub(1))
        .collect();
    COctetString::new(bytes).unwrap_or_default()
}

impl Session {
    /// A session on a fresh connection: the bind is the first thing it writes.
    pub fn new(config: SessionConfig, now: Instant) -> Self {
        let bucket = config
            .throughput
            .filter(|rate| *rate > 0.0 && rate.is_finite())
            .map(TokenBucket::new);
        let mut session = Session {
            state: State::Binding {
                deadline: now + config.bind_timeout,
            },
            config,
            next_sequence: 1,
            input: Vec::new(),
            output: Vec::new(),
            events: VecDeque::new(),
            queue: VecDeque::new(),
            in_flight: BTreeMap::new(),
            next_order: 0,
            enquire: None,
            next_enquire: None,
            last_heard: now,
            paused_until: None,
            bucket,
            inbound: HashMap::new(),
            next_handle: 1,
        };
        let c = &session.config;
        let (system_id, password, system_type, address_range) = (
            c_string(&c.system_id),
            c_string(&c.password),
            c_string(&c.system_type),
            c_string(&c.address_range),
        );
        let (interface_version, addr_ton, addr_npi) = (c.interface_version, c.addr_ton, c.addr_npi);
        let body: Body = match c.mode {
            BindMode::Transmitter => BindTransmitter {
                system_id,
                password,
                system_type,
                interface_version,
                addr_ton,
                addr_npi,
                address_range,
            }
            .into(),
            BindMode::Receiver => BindReceiver {
                system_id,
                password,
                system_type,
                interface_version,
                addr_ton,
                addr_npi,
                address_range,
            }
            .into(),
            BindMode::Transceiver => BindTransceiver {
                system_id,
                password,
                system_type,
                interface_version,
                addr_ton,
                addr_npi,
                address_range,
            }
            .into(),
        };
        session.send_request(body);
        session
    }

    pub fn is_bound(&self) -> bool {
        self.state == State::Bound
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Submissions sent and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Submissions waiting for room in the window (or for the bind).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Queues one submit_sm; it goes out, in the order given, when the session is bound and
    /// the window, the throughput and any throttling pause allow.
    pub fn submit(&mut self, key: SubmitKey, pdu: SubmitSm) {
        let order = self.next_order;
        self.next_order += 1;
        self.queue.push_back(Queued { key, order, pdu });
    }

    /// Answers a deliver_sm / data_sm given by [`Event::Inbound`].
    pub fn respond(&mut self, handle: InboundHandle, status: CommandStatus) {
        let Some((sequence_number, kind)) = self.inbound.remove(&handle) else {
            return;
        };
        if self.state == State::Closed {
            return;
        }
        let body: Body = match kind {
            InboundKind::Deliver => DeliverSmResp::default().into(),
            InboundKind::Data => DataSmResp::default().into(),
        };
        self.write(&Pdu {
            command_status: status,
            sequence_number,
            body,
        });
    }

    /// Starts a clean goodbye; the session closes on unbind_resp or after `unbind_timeout`.
    pub fn unbind(&mut self, now: Instant) {
        match self.state {
            State::Bound => {
                self.send_request(Unbind {}.into());
                self.state = State::Unbinding {
                    deadline: now + self.config.unbind_timeout,
                };
            }
            State::Binding { .. } => self.close(CloseReason::Unbound),
            State::Unbinding { .. } | State::Closed => {}
        }
    }

    /// The connection under the session is gone.
    pub fn connection_lost(&mut self, reason: impl Into<String>) {
        if self.state != State::Closed {
            self.close(CloseReason::ConnectionLost(reason.into()));
        }
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to write now, if any; moves queued submissions into the window first.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        self.fill_window(now);
        if self.output.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.output))
        }
    }

    /// When [`Session::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            State::Binding { deadline } | State::Unbinding { deadline } => Some(deadline),
            State::Bound => {
                let mut due = self.next_enquire;
                let mut earliest = |at: Option<Instant>| {
                    if let Some(at) = at {
                        due = Some(due.map_or(at, |d| d.min(at)));
                    }
                };
                earliest(
                    self.config
                        .connection_timeout
                        .map(|timeout| self.last_heard + timeout),
                );
                if self.config.wait_ack_expire != WaitAckExpire::KeepWaiting {
                    earliest(
                        self.in_flight
                            .values()
                            .map(|f| f.sent_at + self.config.wait_ack)
                            .min(),
                    );
                }
                if !self.queue.is_empty() && self.in_flight.len() < self.config.window {
                    earliest(self.paused_until);
                    if self.paused_until.is_none() {
                        earliest(self.bucket.as_ref().and_then(TokenBucket::ready_at));
                    }
                }
                due
            }
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Closed => {}
            State::Binding { deadline } => {
                if now >= deadline {
                    self.close(CloseReason::BindTimeout(self.config.bind_timeout));
                }
            }
            State::Unbinding { deadline } => {
                if now >= deadline {
                    self.close(CloseReason::Unbound);
                }
            }
            State::Bound => self.bound_timers(now),
        }
    }

    fn bound_timers(&mut self, now: Instant) {
        if let Some(timeout) = self.config.connection_timeout
            && now >= self.last_heard + timeout
        {
            self.close(CloseReason::ConnectionTimeout(timeout));
            return;
        }
        if self.paused_until.is_some_and(|until| now >= until) {
            self.paused_until = None;
        }
        let wait_ack = self.config.wait_ack;
        let expired: Vec<u32> = self
            .in_flight
            .iter()
            .filter(|(_, f)| now >= f.sent_at + wait_ack)
            .map(|(&seq, _)| seq)
            .collect();
        match self.config.wait_ack_expire {
            WaitAckExpire::KeepWaiting => {}
            WaitAckExpire::Reconnect => {
                if let Some(&sequence_number) = expired.first() {
                    self.close(CloseReason::WaitAck {
                        sequence_number,
                        after: wait_ack,
                    });
                    return;
                }
            }
            WaitAckExpire::Requeue => {
                for seq in expired {
                    if let Some(flight) = self.in_flight.remove(&seq) {
                        self.events.push_back(Event::TimedOut {
                            key: flight.queued.key,
                        });
                    }
                }
            }
        }
        if self.next_enquire.is_some_and(|at| now >= at) {
            if self.enquire.is_some() {
                self.close(CloseReason::LinkDead(self.config.enquire_link_interval));
                return;
            }
            let sequence_number = self.send_request(EnquireLink {}.into());
            self.enquire = Some((sequence_number, now));
            self.next_enquire = Some(now + self.config.enquire_link_interval);
        }
    }

    /// Bytes read from the connection.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        if self.state == State::Closed {
            return;
        }
        self.last_heard = now;
        // PDUs are parsed where they lie and the consumed front dropped once
        // at the end: taking each out of the buffer moved all the rest, for
        // every PDU of a read.
        let mut input = std::mem::take(&mut self.input);
        input.extend_from_slice(bytes);
        let mut consumed = 0;
        // Each turn consumes at least a header, so this ends.
        while self.state != State::Closed {
            let rest = input.get(consumed..).unwrap_or_default();
            let len = match pdu::check(rest, self.config.max_command_length) {
                Ok(len) => len,
                Err(error) if error.is_incomplete() => break,
                Err(error) => {
                    // A length we cannot trust: there is no next PDU boundary to resync on.
                    self.close(CloseReason::Protocol(error));
                    break;
                }
            };
            let frame = rest.get(..len).unwrap_or(rest);
            consumed += frame.len();
            match Pdu::parse(frame) {
                Ok(pdu) => self.on_pdu(pdu, now),
                Err(error) => self.on_undecodable(frame, &error),
            }
        }
        input.drain(..consumed.min(input.len()));
        self.input = input;
    }

    fn on_undecodable(&mut self, frame: &[u8], error: &DecodeError) {
        let header = pdu::Header::peek(frame);
        let is_request = header.is_some_and(|h| h.command_id & 0x8000_0000 == 0);
        log::warn!("SMPP: undecodable PDU from the SMSC: {error}");
        if let (true, Some(sequence_number)) = (is_request, error.sequence_number()) {
            self.write(&Pdu::generic_nack(sequence_number, error.nack_status()));
        }
        // A response we cannot read is left to wait-ack, like one that never came.
    }

    fn on_pdu(&mut self, pdu: Pdu, now: Instant) {
        let Pdu {
            command_status: status,
            sequence_number: seq,
            body,
        } = pdu;
        match body {
            Body::BindTransmitterResp(pdu::BindTransmitterResp { system_id, .. })
            | Body::BindReceiverResp(pdu::BindReceiverResp { system_id, .. })
            | Body::BindTransceiverResp(pdu::BindTransceiverResp { system_id, .. }) => {
                if !matches!(self.state, State::Binding { .. }) {
                    return;
                }
                if status.is_ok() {
                    self.state = State::Bound;
                    self.next_enquire = Some(now + self.config.enquire_link_interval);
                    self.events.push_back(Event::Bound {
                        system_id: system_id.to_string_lossy(),
                    });
                } else {
                    self.close(CloseReason::BindRefused { status });
                }
            }
            Body::SubmitSmResp(resp) => {
                self.on_submit_answer(seq, status, Some(resp.message_id.to_string_lossy()), now)
            }
            Body::GenericNack(_) => {
                if matches!(self.state, State::Binding { .. }) {
                    self.close(CloseReason::BindRefused { status });
                } else if self.enquire.is_some_and(|(s, _)| s == seq) {
                    self.enquire = None;
                } else {
                    // A generic_nack of ESME_ROK would be nonsense; it still is no acceptance.
                    let status = if status.is_ok() {
                        CommandStatus::SystemError
                    } else {
                        status
                    };
                    self.on_submit_answer(seq, status, None, now);
                }
            }
            Body::EnquireLinkResp(_) => {
                if self.enquire.is_some_and(|(s, _)| s == seq) {
                    self.enquire = None;
                }
            }
            Body::EnquireLink(_) => self.write(&Pdu::new(seq, EnquireLinkResp {})),
            Body::Unbind(_) => {
                self.write(&Pdu::new(seq, UnbindResp {}));
                self.close(CloseReason::UnboundByPeer);
            }
            Body::UnbindResp(_) => {
                if matches!(self.state, State::Unbinding { .. }) {
                    self.close(CloseReason::Unbound);
                }
            }
            Body::DeliverSm(deliver) => self.hold_inbound(
                seq,
                InboundKind::Deliver,
                InboundPdu::DeliverSm(Box::new(deliver)),
            ),
            Body::DataSm(data) => {
                self.hold_inbound(seq, InboundKind::Data, InboundPdu::DataSm(Box::new(data)))
            }
            // Requests that need no answer from us.
            Body::Outbind(_) | Body::AlertNotification(_) => {}
            other => {
                if !other.command_id().is_response() {
                    self.write(&Pdu::generic_nack(seq, CommandStatus::InvalidCommandId));
                }
            }
        }
    }

    fn hold_inbound(&mut self, seq: u32, kind: InboundKind, pdu: InboundPdu) {
        let handle = self.next_handle;
        self.next_handle += 1;
        self.inbound.insert(handle, (seq, kind));
        self.events.push_back(Event::Inbound { handle, pdu });
    }

    fn on_submit_answer(
        &mut self,
        seq: u32,
        status: CommandStatus,
        message_id: Option<String>,
        now: Instant,
    ) {
        let Some(flight) = self.in_flight.remove(&seq) else {
            log::debug!("SMPP: answer for unknown sequence {seq} ({status}) ignored");
            return;
        };
        match status {
            CommandStatus::Ok => self.events.push_back(Event::Accepted {
                key: flight.queued.key,
                message_id: message_id.unwrap_or_default(),
            }),
            CommandStatus::Throttled | CommandStatus::MessageQueueFull => {
                self.paused_until = Some(now + self.config.throttle_pause);
                let order = flight.queued.order;
                let at = self
                    .queue
                    .iter()
                    .position(|q| q.order > order)
                    .unwrap_or(self.queue.len());
                self.queue.insert(at, flight.queued);
            }
            status => self.events.push_back(Event::Failed {
                key: flight.queued.key,
                status,
            }),
        }
    }

    fn fill_window(&mut self, now: Instant) {
        if self.state != State::Bound || !self.config.mode.can_submit() {
            return;
        }
        if self.paused_until.is_some_and(|until| now < until) {
            return;
        }
        self.paused_until = None;
        while self.in_flight.len() < self.config.window.max(1) {
            if self.queue.is_empty() {
                break;
            }
            if let Some(bucket) = self.bucket.as_mut()
                && !bucket.try_take(now)
            {
                break;
            }
            let Some(queued) = self.queue.pop_front() else {
                break;
            };
            let sequence_number = self.send_request(queued.pdu.clone().into());
            self.in_flight.insert(
                sequence_number,
                InFlight {
                    queued,
                    sent_at: now,
                },
            );
        }
    }

    fn send_request(&mut self, body: Body) -> u32 {
        let sequence_number = self.next_sequence;
        // Sequence numbers run 1..=0x7FFFFFFF (SMPP 3.4 §5.1.4).
        self.next_sequence = if sequence_number >= 0x7FFF_FFFF {
            1
        } else {
            sequence_number + 1
        };
        self.write(&Pdu::new(sequence_number, body));
        sequence_number
    }

    fn write(&mut self, pdu: &Pdu) {
        pdu.encode(&mut self.output);
    }

    fn close(&mut self, reason: CloseReason) {
        let mut unanswered: Vec<Queued> = std::mem::take(&mut self.in_flight)
            .into_values()
            .map(|f| f.queued)
            .collect();
        unanswered.extend(std::mem::take(&mut self.queue));
        unanswered.sort_by_key(|q| q.order);
        self.state = State::Closed;
        self.inbound.clear();
        self.events.push_back(Event::Closed {
            reason,
            unanswered: unanswered.into_iter().map(|q| q.key).collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::pdu::{BindTransceiverResp, SubmitSmResp};
    use super::super::wire::ShortMessage;
    use super::*;

    /// An SMSC in memory on our own codec: it decodes what the session writes and answers as
    /// told.
    struct Smsc {
        input: Vec<u8>,
        requests: Vec<Pdu>,
        next_id: u32,
        /// Answer submit_sm at once; when false they wait in `held`.
        auto_answer: bool,
        held: Vec<u32>,
        /// Status for the nth submit (from 1); ESME_ROK otherwise.
        status_for: fn(usize) -> CommandStatus,
        submits: usize,
        answer_enquire: bool,
    }

    impl Smsc {
        fn new() -> Self {
            Smsc {
                input: Vec::new(),
                requests: Vec::new(),
                next_id: 1,
                auto_answer: true,
                held: Vec::new(),
                status_for: |_| CommandStatus::Ok,
                submits: 0,
                answer_enquire: true,
            }
        }

        /// Takes the session's bytes; returns the bytes to send back.
        fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
            self.input.extend_from_slice(bytes);
            let mut out = Vec::new();
            while let Ok((pdu, len)) = pdu::decode(&self.input, pdu::DEFAULT_MAX_COMMAND_LENGTH) {
                self.input.drain(..len);
                let seq = pdu.sequence_number;
                match &pdu.body {
                    Body::BindTransceiver(_) => {
                        Pdu::new(
                            seq,
                            BindTransceiverResp {
                                system_id: COctetString::new(&b"SMSC"[..]).unwrap(),
                                ..Default::default()
                            },
                        )
                        .encode(&mut out);
                    }
                    Body::SubmitSm(_) => {
                        self.submits += 1;
                        if self.auto_answer {
                            self.answer(seq, (self.status_for)(self.submits), &mut out);
                        } else {
                            self.held.push(seq);
                        }
                    }
                    Body::EnquireLink(_) if self.answer_enquire => {
                        Pdu::new(seq, EnquireLinkResp {}).encode(&mut out)
                    }
                    Body::Unbind(_) => Pdu::new(seq, UnbindResp {}).encode(&mut out),
                    _ => {}
                }
                self.requests.push(pdu);
            }
            out
        }

        fn answer(&mut self, seq: u32, status: CommandStatus, out: &mut Vec<u8>) {
            let message_id = if status.is_ok() {
                let id = format!("{:X}", self.next_id);
                self.next_id += 1;
                COctetString::new(id.into_bytes()).unwrap()
            } else {
                COctetString::default()
            };
            Pdu {
                command_status: status,
                sequence_number: seq,
                body: SubmitSmResp {
                    message_id,
                    ..Default::default()
                }
                .into(),
            }
            .encode(out);
        }

        fn submitted_texts(&self) -> Vec<Vec<u8>> {
            self.requests
                .iter()
                .filter_map(|p| match &p.body {
                    Body::SubmitSm(s) => Some(s.short_message.as_bytes().to_vec()),
                    _ => None,
                })
                .collect()
        }
    }

    /// Moves bytes both ways until neither side has anything to say.
    fn pump(session: &mut Session, smsc: &mut Smsc, now: Instant) {
        for _ in 0..100 {
            let Some(bytes) = session.poll_transmit(now) else {
                return;
            };
            let answer = smsc.feed(&bytes);
            if !answer.is_empty() {
                session.handle_input(now, &answer);
            }
        }
    }

    fn events(session: &mut Session) -> Vec<Event> {
        std::iter::from_fn(|| session.poll_event()).collect()
    }

    fn submit_sm(text: &str) -> SubmitSm {
        SubmitSm {
            short_message: ShortMessage::new(text.as_bytes().to_vec()).unwrap(),
            ..SubmitSm::default()
        }
    }

    fn bound(config: SessionConfig, smsc: &mut Smsc, t0: Instant) -> Session {
        let mut session = Session::new(config, t0);
        pump(&mut session, smsc, t0);
        assert!(matches!(
            events(&mut session).as_slice(),
            [Event::Bound { .. }]
        ));
        session
    }

    /// Advances the clock to each deadline in turn up to `until`, pumping as the driver would.
    fn run_until(session: &mut Session, smsc: &mut Smsc, now: &mut Instant, until: Instant) {
        for _ in 0..100_000 {
            pump(session, smsc, *now);
            match session.poll_timeout() {
                Some(due) if due <= until => {
                    *now = due.max(*now);
                    session.handle_timeout(*now);
                }
                _ => break,
            }
        }
        *now = until;
        session.handle_timeout(until);
        pump(session, smsc, until);
    }

    #[test]
    fn binding_as_transceiver_sends_the_credentials_and_reports_bound() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        let config = SessionConfig {
            system_id: "kuser".into(),
            password: "kpass".into(),
            system_type: "VMA".into(),
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t0);
        let Body::BindTransceiver(bind) = &smsc.requests[0].body else {
            panic!("first PDU is not a bind_transceiver");
        };
        assert_eq!(bind.system_id.as_bytes(), b"kuser");
        assert_eq!(bind.password.as_bytes(), b"kpass");
        assert_eq!(bind.system_type.as_bytes(), b"VMA");
        assert_eq!(bind.interface_version, 0x34);
        assert!(session.is_bound());
        assert!(events(&mut session).is_empty());
    }

    #[test]
    fn submissions_wait_for_the_bind_and_are_accepted_with_the_smsc_id() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        let mut session = Session::new(SessionConfig::default(), t0);
        session.submit(7, submit_sm("hello"));
        pump(&mut session, &mut smsc, t0);
        assert_eq!(
            events(&mut session),
            vec![
                Event::Bound {
                    system_id: "SMSC".into()
                },
                Event::Accepted {
                    key: 7,
                    message_id: "1".into()
                }
            ]
        );
    }

    #[test]
    fn a_refused_bind_closes_and_bad_credentials_are_permanent() {
        let t0 = Instant::now();
        let mut session = Session::new(SessionConfig::default(), t0);
        session.submit(1, submit_sm("x"));
        let _ = session.poll_transmit(t0);
        let refusal = Pdu {
            command_status: CommandStatus::InvalidPassword,
            sequence_number: 1,
            body: BindTransceiverResp::default().into(),
        };
        session.handle_input(t0, &refusal.to_bytes());
        let all = events(&mut session);
        let [Event::Closed { reason, unanswered }] = all.as_slice() else {
            panic!("not closed");
        };
        assert!(reason.is_permanent());
        assert_eq!(unanswered, &vec![1]);
    }

    #[test]
    fn no_bind_response_closes_after_the_bind_timeout() {
        let t0 = Instant::now();
        let mut session = Session::new(SessionConfig::default(), t0);
        let _ = session.poll_transmit(t0);
        let due = session.poll_timeout().unwrap();
        assert_eq!(due, t0 + Duration::from_secs(30));
        session.handle_timeout(due);
        assert!(matches!(
            events(&mut session).as_slice(),
            [Event::Closed {
                reason: CloseReason::BindTimeout(_),
                ..
            }]
        ));
    }

    #[test]
    fn the_window_never_holds_more_than_max_pending_submits() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        smsc.auto_answer = false;
        let config = SessionConfig {
            window: 3,
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t0);
        for key in 0..10 {
            session.submit(key, submit_sm(&format!("m{key}")));
        }
        pump(&mut session, &mut smsc, t0);
        assert_eq!(
            (smsc.submits, session.in_flight(), session.queued()),
            (3, 3, 7)
        );
        let mut answers = Vec::new();
        let first = smsc.held.remove(0);
        smsc.answer(first, CommandStatus::Ok, &mut answers);
        session.handle_input(t0, &answers);
        pump(&mut session, &mut smsc, t0);
        assert_eq!((smsc.submits, session.in_flight()), (4, 3));
        assert_eq!(
            smsc.submitted_texts(),
            vec![
                b"m0".to_vec(),
                b"m1".to_vec(),
                b"m2".to_vec(),
                b"m3".to_vec()
            ]
        );
    }

    #[test]
    fn enquire_link_goes_out_on_the_interval_and_an_unanswered_one_ends_the_link() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        let config = SessionConfig {
            enquire_link_interval: Duration::from_secs(4),
            connection_timeout: None,
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t0);
        let mut now = t0;
        run_until(
            &mut session,
            &mut smsc,
            &mut now,
            t0 + Duration::from_secs(13),
        );
        let enquiries = smsc
            .requests
            .iter()
            .filter(|p| matches!(p.body, Body::EnquireLink(_)))
            .count();
        assert_eq!(enquiries, 3);
        assert!(session.is_bound());

        smsc.answer_enquire = false;
        session.submit(1, submit_sm("lost?"));
        smsc.auto_answer = false;
        run_until(
            &mut session,
            &mut smsc,
            &mut now,
            t0 + Duration::from_secs(30),
        );
        let closed: Vec<Event> = events(&mut session)
            .into_iter()
            .filter(|e| matches!(e, Event::Closed { .. }))
            .collect();
        assert_eq!(
            closed,
            vec![Event::Closed {
                reason: CloseReason::LinkDead(Duration::from_secs(4)),
                unanswered: vec![1]
            }]
        );
    }

    #[test]
    fn the_smsc_enquire_link_and_unknown_requests_are_answered() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        let mut session = bound(SessionConfig::default(), &mut smsc, t0);
        session.handle_input(t0, &Pdu::new(77, EnquireLink {}).to_bytes());
        // A query_sm from the SMSC makes no sense to an ESME.
        session.handle_input(t0, &Pdu::new(78, pdu::QuerySm::default()).to_bytes());
        // An operation SMPP 3.4 does not have.
        let mut unknown = Pdu::new(79, EnquireLink {}).to_bytes();
        unknown[4..8].copy_from_slice(&0x0000_0999u32.to_be_bytes());
        session.handle_input(t0, &unknown);
        let bytes = session.poll_transmit(t0).unwrap();
        let mut answers = Vec::new();
        let mut rest = bytes.as_slice();
        while let Ok((pdu, len)) = pdu::decode(rest, pdu::DEFAULT_MAX_COMMAND_LENGTH) {
            answers.push((pdu.command_id(), pdu.command_status, pdu.sequence_number));
            rest = &rest[len..];
        }
        assert_eq!(
            answers,
            vec![
                (pdu::CommandId::EnquireLinkResp, CommandStatus::Ok, 77),
                (
                    pdu::CommandId::GenericNack,
                    CommandStatus::InvalidCommandId,
                    78
                ),
                (
                    pdu::CommandId::GenericNack,
                    CommandStatus::InvalidCommandId,
                    79
                ),
            ]
        );
    }

    #[test]
    fn wait_ack_expiry_requeues_by_default() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        smsc.auto_answer = false;
        let config = SessionConfig {
            wait_ack: Duration::from_secs(5),
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t0);
        session.submit(1, submit_sm("slow"));
        let mut now = t0;
        run_until(
            &mut session,
            &mut smsc,
            &mut now,
            t0 + Duration::from_secs(6),
        );
        assert_eq!(events(&mut session), vec![Event::TimedOut { key: 1 }]);
        assert!(session.is_bound());
        assert_eq!(session.in_flight(), 0);
    }

    #[test]
    fn wait_ack_expiry_reconnects_when_told_to() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        smsc.auto_answer = false;
        let config = SessionConfig {
            wait_ack: Duration::from_secs(5),
            wait_ack_expire: WaitAckExpire::Reconnect,
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t0);
        session.submit(1, submit_sm("slow"));
        session.submit(2, submit_sm("next"));
        let mut now = t0;
        run_until(
            &mut session,
            &mut smsc,
            &mut now,
            t0 + Duration::from_secs(6),
        );
        assert!(matches!(
            events(&mut session).as_slice(),
            [Event::Closed { reason: CloseReason::WaitAck { .. }, unanswered }] if unanswered == &vec![1, 2]
        ));
    }

    #[test]
    fn wait_ack_expiry_keeps_waiting_when_told_to() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        smsc.auto_answer = false;
        let config = SessionConfig {
            wait_ack: Duration::from_secs(5),
            wait_ack_expire: WaitAckExpire::KeepWaiting,
            connection_timeout: None,
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t0);
        session.submit(1, submit_sm("slow"));
        let mut now = t0;
        run_until(
            &mut session,
            &mut smsc,
            &mut now,
            t0 + Duration::from_secs(20),
        );
        assert!(events(&mut session).is_empty());
        let mut late = Vec::new();
        let seq = smsc.held.remove(0);
        smsc.answer(seq, CommandStatus::Ok, &mut late);
        session.handle_input(now, &late);
        assert!(matches!(
            events(&mut session).as_slice(),
            [Event::Accepted { key: 1, .. }]
        ));
    }

    #[test]
    fn throttling_pauses_the_session_and_resends_in_the_original_order() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        // The 2nd and 3rd submits are throttled.
        smsc.status_for = |n| {
            if n == 2 || n == 3 {
                CommandStatus::Throttled
            } else {
                CommandStatus::Ok
            }
        };
        let config = SessionConfig {
            window: 1,
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t0);
        for key in 0..4 {
            session.submit(key, submit_sm(&format!("m{key}")));
        }
        pump(&mut session, &mut smsc, t0);
        // m0 accepted, m1 throttled: nothing more until the pause is over.
        assert_eq!(smsc.submits, 2);
        assert_eq!(session.poll_timeout(), Some(t0 + Duration::from_secs(1)));
        let mut now = t0;
        run_until(
            &mut session,
            &mut smsc,
            &mut now,
            t0 + Duration::from_secs(3),
        );
        let accepted: Vec<SubmitKey> = events(&mut session)
            .into_iter()
            .filter_map(|e| match e {
                Event::Accepted { key, .. } => Some(key),
                _ => None,
            })
            .collect();
        assert_eq!(accepted, vec![0, 1, 2, 3]);
        assert_eq!(
            smsc.submitted_texts(),
            ["m0", "m1", "m1", "m1", "m2", "m3"]
                .iter()
                .map(|t| t.as_bytes().to_vec())
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn permanent_and_temporary_errors_are_reported_with_their_status() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        smsc.status_for = |n| match n {
            1 => CommandStatus::InvalidDestinationAddress,
            _ => CommandStatus::SystemError,
        };
        let mut session = bound(SessionConfig::default(), &mut smsc, t0);
        session.submit(1, submit_sm("a"));
        session.submit(2, submit_sm("b"));
        pump(&mut session, &mut smsc, t0);
        assert_eq!(
            events(&mut session),
            vec![
                Event::Failed {
                    key: 1,
                    status: CommandStatus::InvalidDestinationAddress
                },
                Event::Failed {
                    key: 2,
                    status: CommandStatus::SystemError
                }
            ]
        );
    }

    #[test]
    fn throughput_spaces_submissions_by_the_rate() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        let config = SessionConfig {
            throughput: Some(4.0),
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t0);
        for key in 0..10 {
            session.submit(key, submit_sm("x"));
        }
        let mut now = t0;
        let mut sent_at = Vec::new();
        for _ in 0..1000 {
            let before = smsc.submits;
            pump(&mut session, &mut smsc, now);
            for _ in before..smsc.submits {
                sent_at.push(now.duration_since(t0));
            }
            match session.poll_timeout() {
                Some(due) if sent_at.len() < 10 => {
                    now = due.max(now);
                    session.handle_timeout(now);
                }
                _ => break,
            }
        }
        assert_eq!(sent_at.len(), 10);
        for pair in sent_at.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_millis(249),
                "{sent_at:?}"
            );
        }
        assert!(sent_at[9] <= Duration::from_millis(2300), "{sent_at:?}");
    }

    #[test]
    fn deliver_sm_is_answered_only_when_the_caller_says_so() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        let mut session = bound(SessionConfig::default(), &mut smsc, t0);
        session.handle_input(t0, &Pdu::new(41, DeliverSm::default()).to_bytes());
        assert_eq!(session.poll_transmit(t0), None);
        let all = events(&mut session);
        let [Event::Inbound { handle, .. }] = all.as_slice() else {
            panic!("no inbound event");
        };
        session.respond(*handle, CommandStatus::Ok);
        let bytes = session.poll_transmit(t0).unwrap();
        let (pdu, _) = pdu::decode(&bytes, pdu::DEFAULT_MAX_COMMAND_LENGTH).unwrap();
        assert_eq!(
            (pdu.command_id(), pdu.sequence_number),
            (pdu::CommandId::DeliverSmResp, 41)
        );
    }

    #[test]
    fn held_deliver_sm_are_answered_late_in_any_order_and_leave_the_window_alone() {
        let mut t = Instant::now();
        let mut smsc = Smsc::new();
        smsc.auto_answer = false;
        let config = SessionConfig {
            window: 1,
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t);
        for seq in [41, 42, 43] {
            session.handle_input(t, &Pdu::new(seq, DeliverSm::default()).to_bytes());
        }
        let handles: Vec<InboundHandle> = events(&mut session)
            .into_iter()
            .filter_map(|e| match e {
                Event::Inbound { handle, .. } => Some(handle),
                _ => None,
            })
            .collect();
        assert_eq!(handles.len(), 3);
        // Held answers neither block a submit nor count in its window.
        session.submit(1, submit_sm("mt"));
        pump(&mut session, &mut smsc, t);
        assert_eq!(smsc.submitted_texts(), vec![b"mt".to_vec()]);
        assert_eq!(session.in_flight(), 1);
        // Long after (past enquire_link and wait-ack-free timers), in reverse order.
        let later = t + Duration::from_secs(50);
        run_until(&mut session, &mut smsc, &mut t, later);
        assert!(!session.is_closed());
        for handle in handles.iter().rev() {
            session.respond(*handle, CommandStatus::Ok);
        }
        // Answering twice is harmless: the second is ignored.
        session.respond(handles[0], CommandStatus::Ok);
        let mut answered = Vec::new();
        while let Some(bytes) = session.poll_transmit(t) {
            let mut rest = bytes.as_slice();
            while let Ok((pdu, len)) = pdu::decode(rest, pdu::DEFAULT_MAX_COMMAND_LENGTH) {
                if pdu.command_id() == pdu::CommandId::DeliverSmResp {
                    answered.push(pdu.sequence_number);
                }
                rest = rest.get(len..).unwrap_or_default();
            }
        }
        assert_eq!(answered, vec![43, 42, 41]);
        assert_eq!(session.in_flight(), 1);
    }

    #[test]
    fn unbind_waits_for_unbind_resp_and_gives_back_what_was_not_sent() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        smsc.auto_answer = false;
        let config = SessionConfig {
            window: 1,
            ..SessionConfig::default()
        };
        let mut session = bound(config, &mut smsc, t0);
        session.submit(1, submit_sm("a"));
        session.submit(2, submit_sm("b"));
        pump(&mut session, &mut smsc, t0);
        session.unbind(t0);
        pump(&mut session, &mut smsc, t0);
        assert_eq!(
            events(&mut session),
            vec![Event::Closed {
                reason: CloseReason::Unbound,
                unanswered: vec![1, 2]
            }]
        );
    }

    #[test]
    fn a_peer_unbind_is_answered_and_closes() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        let mut session = bound(SessionConfig::default(), &mut smsc, t0);
        session.handle_input(t0, &Pdu::new(5, Unbind {}).to_bytes());
        let bytes = session.poll_transmit(t0).unwrap();
        let (pdu, _) = pdu::decode(&bytes, pdu::DEFAULT_MAX_COMMAND_LENGTH).unwrap();
        assert_eq!(pdu.command_id(), pdu::CommandId::UnbindResp);
        assert!(session.is_closed());
    }

    #[test]
    fn garbage_with_an_impossible_length_closes_instead_of_panicking() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        let mut session = bound(SessionConfig::default(), &mut smsc, t0);
        session.handle_input(t0, &[0, 0, 0, 3, 1, 2, 3]);
        assert!(matches!(
            events(&mut session).as_slice(),
            [Event::Closed {
                reason: CloseReason::Protocol(_),
                ..
            }]
        ));
    }

    #[test]
    fn input_split_anywhere_gives_the_same_result() {
        let t0 = Instant::now();
        let mut smsc = Smsc::new();
        let mut session = bound(SessionConfig::default(), &mut smsc, t0);
        let bytes = [
            Pdu::new(9, EnquireLink {}).to_bytes(),
            Pdu::new(10, DeliverSm::default()).to_bytes(),
        ]
        .concat();
        for byte in &bytes {
            session.handle_input(t0, std::slice::from_ref(byte));
        }
        assert!(matches!(
            events(&mut session).as_slice(),
            [Event::Inbound { .. }]
        ));
        assert!(session.poll_transmit(t0).is_some());
    }
}

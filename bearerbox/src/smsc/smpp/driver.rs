//! `smsc = smpp`: the smol task that connects, moves bytes between the socket and a
//! [`Session`], sleeps until the session's next deadline, and turns session events into
//! [`LinkEvent`]s for the core. Everything SMPP decides is in the session; this file only knows
//! sockets, timers and channels.
//!
//! ```text
//!  core ──Submission──▶ submit::submits_for ──▶ Session ──bytes──▶ TCP ──▶ SMSC
//!  core ◀──LinkEvent─── (parts joined per message) ◀── Session ◀──bytes── TCP ◀── SMSC
//!  core ◀──Received/Report, Flush ── deliver ──▶ deliver_sm_resp once Flush is answered
//! ```
//!
//! No deliver_sm (or data_sm) is answered before what it carried is committed. A part of a
//! concatenated MO is held unanswered with its siblings ([`MoAssembler`]); when the message is
//! whole (or given up on after `mo-timeout`), it goes to the core, and the answer to its Flush
//! releases the responses of all its parts at once. If bearerbox dies meanwhile, the SMSC never
//! had an answer for those parts and sends them again; a lost connection drops them from memory
//! for the same reason.
//!
//! Binds: one transceiver on `port` (`transceiver-mode`), else a transmitter on `port` and a
//! receiver on `receive-port`, each with its own connection and reconnect loop. Only a session
//! that can submit tells the core it is online, so the router never picks a receive-only link.
//!
//! With `use-ssl` each connection is TLS ([`super::tls`]); a handshake that fails (an SMSC
//! certificate we do not trust) counts as a failed connection: the link stays offline, says
//! why, and tries again after `reconnect-delay`.
//!
//! A group with its own `log-file` gets every line of this task in that file only, with the
//! PDUs dumped at debug level in its `log-format`.
//!
//! On a lost connection the driver says `Offline`, and the core takes back every message it had
//! handed over and not heard about (the interface's contract), to send again at once on this or
//! another link; anything still in the submission channel at the next bind is one of those and
//! is dropped, not sent twice.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_lite::future;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use smol::Timer;
use smol::channel::{Receiver, Sender};

use super::config::SmppSettings;
use super::connect;
use super::deliver::{self, DeliverError, Inbound, MoAssembler, MoOptions};
use super::dlr_err;
use super::dump;
use super::meta_data;
use super::pdu::Pdu;
use super::session::{BindMode, CloseReason, Event, InboundHandle, InboundPdu, Session, SubmitKey};
use super::status::CommandStatus;
use super::submit;
use super::tls::LinkStream;
use super::tlv::Tlvs;
use crate::backpressure::PauseLog;
use crate::deadline::Deadline;
use crate::smsc::{LinkEvent, Submission};
use crate::tcp_reader::TcpReader;

/// How long a TCP connect may take before the attempt counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one write may wait for the SMSC to take the bytes.
const WRITE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often held MO parts are checked for expiry.
const MO_EXPIRY_CHECK: Duration = Duration::from_secs(30);
/// How long an MO part waits unanswered for the rest of its message. Parts of one message
/// come within milliseconds of each other from an SMSC that sends without waiting; one that
/// waits for each answer would otherwise stall until the reassembly timeout.
const PART_HOLD: Duration = Duration::from_secs(5);
/// Read buffer: one large PDU at a time is plenty; the session keeps partial ones.
const READ_CHUNK: usize = 16 * 1024;
/// Submissions taken from the core in one turn of the loop, and written together.
const SUBMISSIONS_PER_TURN: usize = 64;
/// Inbound PDUs (MOs, reports) read but not yet answered because the store
/// has not committed them: past this many, the link stops reading until
/// commits catch up, and TCP makes the SMSC wait. An SMSC keeps a window of
/// a few dozen, so only one that sends without waiting for its answers ever
/// meets this; without it, such an SMSC filled bearerbox's memory with
/// messages waiting for the store (a peak of 441 MiB for 400 000 MO from smsc-sim).
const MAX_UNANSWERED_INBOUND: usize = 1024;

/// The log target of a link's lines: a link with its own `log-file` claims it.
pub fn log_target(smsc_id: &str) -> String {
    format!("smsc:{smsc_id}")
}

/// Runs the link until the core goes away.
pub async fn run(
    smsc_id: String,
    settings: SmppSettings,
    submissions: Receiver<Submission>,
    events: Sender<LinkEvent>,
) {
    let target = log_target(&smsc_id);
    if let Some(own) = &settings.log {
        match crate::process::logging::add_exclusive_file(&own.path, own.level, &target) {
            Ok(()) => log::info!(
                "SMSC {smsc_id}: custom logging to {} at level {}",
                own.path.display(),
                own.level as u8
            ),
            Err(error) => log::error!("SMSC {smsc_id}: {error}; its lines stay in the main log"),
        }
    }
    if settings.host.is_empty() {
        log::error!(target: &target, "SMSC {smsc_id}: no 'host'; the link stays offline");
        hold(&events).await;
        return;
    }
    if let Some(tls) = &settings.tls {
        log::info!(
            target: &target,
            "SMSC {smsc_id}: SMPP over TLS; the SMSC's certificate is checked against {}",
            tls.trust_description()
        );
    }
    let link = Link {
        smsc_id,
        target,
        settings,
        events,
    };
    let receive_port = link.settings.receive_port;
    match (link.settings.transceiver, link.settings.port, receive_port) {
        (true, port, _) if port != 0 => {
            link.bind_loop(BindMode::Transceiver, port, Some(&submissions))
                .await
        }
        (false, port, 0) if port != 0 => {
            link.bind_loop(BindMode::Transmitter, port, Some(&submissions))
                .await
        }
        (false, port, receive) if port != 0 => {
            // The transmitter ends when the core stops the link; the
            // receiver then goes with it.
            future::or(
                link.bind_loop(BindMode::Transmitter, port, Some(&submissions)),
                link.bind_loop(BindMode::Receiver, receive, None),
            )
            .await;
        }
        (_, _, receive) if receive != 0 => link.bind_loop(BindMode::Receiver, receive, None).await,
        _ => {
            log::error!(
                target: &link.target,
                "SMSC {}: neither 'port' nor 'receive-port' is set; the link stays offline",
                link.smsc_id
            );
            hold(&link.events).await;
        }
    }
}

/// Keeps a link that cannot work idle until the core goes away, so its queue stays open for
/// failover rather than refusing.
async fn hold(events: &Sender<LinkEvent>) {
    for _ in 0.. {
        if events.is_closed() {
            return;
        }
        Timer::after(Duration::from_secs(3600)).await;
    }
}

struct Link {
    smsc_id: String,
    /// The log target of every line of the link.
    target: String,
    settings: SmppSettings,
    events: Sender<LinkEvent>,
}

/// How a connection ended.
enum Ended {
    /// The core is gone (or asked us to stop): the task ends.
    Shutdown,
    Closed {
        reason: CloseReason,
        was_bound: bool,
    },
    ConnectFailed(String),
    /// TCP connected but TLS did not: most often a certificate we do not trust.
    TlsFailed(String),
}

/// One message handed to the session as parts.
struct Pending {
    token: i64,
    parts: usize,
    accepted: usize,
    /// The SMSC's id of each part, by part; empty until answered (or when
    /// the SMSC gave none).
    ids: Vec<String>,
    /// Answered already (a part failed): later part outcomes change nothing.
    settled: bool,
}

impl Link {
    async fn bind_loop(
        &self,
        mode: BindMode,
        port: u16,
        submissions: Option<&Receiver<Submission>>,
    ) {
        let mut delay = self.settings.reconnect_delay;
        let mut reference = seed_reference();
        // Each turn is one connection; the loop ends when the core does.
        for attempt in 0u64.. {
            match self
                .connection(mode, port, submissions, &mut reference)
                .await
            {
                Ended::Shutdown => return,
                Ended::Closed { reason, was_bound } => {
                    let permanent = reason.is_permanent();
                    log::warn!(
                        target: &self.target,
                        "SMSC {} ({mode:?} {}:{port}): session ended: {reason}",
                        self.smsc_id,
                        self.settings.host
                    );
                    if was_bound && mode.can_submit() {
                        let offline = LinkEvent::Offline {
                            reason: reason.to_string(),
                        };
                        if self.events.send(offline).await.is_err() {
                            return;
                        }
                    }
                    if permanent {
                        log::error!(
                            target: &self.target,
                            "SMSC {}: the SMSC refused our credentials; not binding again until restart",
                            self.smsc_id
                        );
                        hold(&self.events).await;
                        return;
                    }
                    if was_bound {
                        delay = self.settings.reconnect_delay;
                    }
                }
                Ended::ConnectFailed(reason) => log::warn!(
                    target: &self.target,
                    "SMSC {}: cannot connect to {}:{port} (attempt {}): {reason}",
                    self.smsc_id,
                    self.settings.host,
                    attempt + 1
                ),
                Ended::TlsFailed(reason) => log::error!(
                    target: &self.target,
                    "SMSC {}: TLS handshake with {}:{port} failed (attempt {}): {reason}; \
                     the SMSC's certificate was checked against {}; the link stays offline",
                    self.smsc_id,
                    self.settings.host,
                    attempt + 1,
                    self.settings
                        .tls
                        .as_ref()
                        .map_or_else(String::new, |tls| tls.trust_description())
                ),
            }
            // Stopped (`stop-smsc`): the session said goodbye; stay down.
            if self.events.is_closed() || submissions.is_some_and(Receiver::is_closed) {
                return;
            }
            let pause = async {
                Timer::after(delay).await;
            };
            match submissions {
                // Nothing is sent to a link that is down, so what arrives
                // here is stale (the core took it back on Offline); a close
                // ends the pause at once.
                Some(channel) => {
                    future::or(pause, async { while channel.recv().await.is_ok() {} }).await;
                    if channel.is_closed() {
                        return;
                    }
                }
                None => pause.await,
            }
            delay = (delay * 2).min(self.settings.max_reconnect_delay());
        }
    }

    /// The connection, with its peer for the log; TLS when the link asks for it.
    async fn connect(&self, mode: BindMode, port: u16) -> Result<(LinkStream, String), Ended> {
        let local_port = match mode {
            BindMode::Receiver => self.settings.our_receiver_port,
            _ => self.settings.our_port,
        };
        let tcp = connect::open(&connect::Target {
            host: &self.settings.host,
            port,
            local_host: self.settings.our_host,
            local_port,
            allow: self.settings.connect_allow_ip.as_ref(),
            timeout: CONNECT_TIMEOUT,
        })
        .await
        .map_err(|error| Ended::ConnectFailed(error.to_string()))?;
        let peer = tcp
            .peer_addr()
            .map_or_else(|_| "?".into(), |a: SocketAddr| a.to_string());
        let stream = match &self.settings.tls {
            None => LinkStream::Plain(TcpReader::new(tcp)),
            Some(tls) => tls
                .handshake(&self.settings.host, tcp, CONNECT_TIMEOUT)
                .await
                .map_err(|error| Ended::TlsFailed(error.to_string()))?,
        };
        Ok((stream, peer))
    }

    async fn connection(
        &self,
        mode: BindMode,
        port: u16,
        submissions: Option<&Receiver<Submission>>,
        reference: &mut u8,
    ) -> Ended {
        let (stream, peer) = match self.connect(mode, port).await {
            Ok(connected) => connected,
            Err(ended) => return ended,
        };
        log::info!(
            target: &self.target,
            "SMSC {}: connected to {peer}{} as {mode:?}; binding",
            self.smsc_id,
            if matches!(stream, LinkStream::Tls(_)) { " over TLS" } else { "" }
        );
        let config = super::session::SessionConfig {
            mode,
            ..self.settings.session.clone()
        };
        let mut conn = Connection {
            link: self,
            session: Session::new(config, Instant::now()),
            stream,
            submissions,
            messages: HashMap::new(),
            parts: HashMap::new(),
            next_key: 1,
            awaiting_flush: VecDeque::new(),
            awaiting: 0,
            pauses: PauseLog::default(),
            flushed: smol::channel::unbounded(),
            assembler: MoAssembler::new(self.settings.mo_timeout),
            mo_options: MoOptions {
                smsc_id: self.smsc_id.clone(),
                my_number: self.settings.my_number.clone(),
                alt_charset: self.settings.submit.alt_charset,
                alt_addr_charset: self.settings.submit.alt_addr_charset,
            },
            was_bound: false,
            reference,
            stopping: false,
            framer: dump::Framer::default(),
            timeout: Deadline::new(),
        };
        conn.run().await
    }
}

struct Connection<'a> {
    link: &'a Link,
    session: Session,
    stream: LinkStream,
    submissions: Option<&'a Receiver<Submission>>,
    messages: HashMap<i64, Pending>,
    parts: HashMap<SubmitKey, (i64, usize)>,
    next_key: SubmitKey,
    /// Inbound PDUs whose responses wait for the core, per Flush, in the order they were sent.
    awaiting_flush: VecDeque<Vec<InboundHandle>>,
    /// How many PDUs `awaiting_flush` holds in all.
    awaiting: usize,
    pauses: PauseLog,
    flushed: (Sender<bool>, Receiver<bool>),
    assembler: MoAssembler<InboundHandle>,
    mo_options: MoOptions,
    was_bound: bool,
    reference: &'a mut u8,
    stopping: bool,
    /// PDUs read, for the dumps of a link with its own log file.
    framer: dump::Framer,
    /// The session's next timeout (enquire_link, a response overdue, an MO
    /// part held too long), which moves with nearly every PDU.
    timeout: Deadline,
}

enum Wake {
    Read(io::Result<usize>),
    Submission(Option<Submission>),
    /// A Flush answered: whether what it covers is on disk.
    Flushed(bool),
    Timer,
}

impl Connection<'_> {
    async fn run(&mut self) -> Ended {
        let mut buf = vec![0u8; READ_CHUNK];
        // Each turn handles one wake-up; the loop ends when the session closes.
        loop {
            let now = Instant::now();
            // Every PDU ready goes out in one write: a syscall per submit_sm
            // was a fifth of the driver's time under load.
            let mut outgoing = Vec::new();
            while let Some(bytes) = self.session.poll_transmit(now) {
                self.dump("Sending PDU:", &bytes);
                outgoing.extend_from_slice(&bytes);
            }
            if !outgoing.is_empty() {
                let bytes = outgoing;
                let stream = &mut self.stream;
                // TLS holds written bytes in its own buffer until flushed.
                let write = async {
                    stream.write_all(&bytes).await?;
                    stream.flush().await
                };
                let write = async { write.await.map_err(|e| e.to_string()) };
                // An SMSC that stops reading would otherwise hold this task, and every timer
                // of the session, forever.
                let stalled = async {
                    Timer::after(WRITE_TIMEOUT).await;
                    Err(format!("the SMSC took nothing for {WRITE_TIMEOUT:?}"))
                };
                if let Err(error) = future::or(write, stalled).await {
                    self.session
                        .connection_lost(format!("write failed: {error}"));
                }
            }
            let mut handled = false;
            while let Some(event) = self.session.poll_event() {
                handled = true;
                if let Some(ended) = self.on_event(event).await {
                    return ended;
                }
            }
            if self.link.events.is_closed() {
                return Ended::Shutdown;
            }
            // Handling events may have queued responses (a refused deliver_sm,
            // a held MO part): write them now, not at the next wake-up.
            if handled {
                continue;
            }
            let mut deadline = self.session.poll_timeout();
            if self.assembler.pending() > 0 {
                let check = now + MO_EXPIRY_CHECK;
                deadline = Some(deadline.map_or(check, |d| d.min(check)));
            }
            if let Some(oldest) = self.assembler.oldest_unanswered() {
                let check = oldest + PART_HOLD;
                deadline = Some(deadline.map_or(check, |d| d.min(check)));
            }
            let take_submissions = self.session.is_bound() && !self.stopping;
            let submissions = self.submissions.filter(|_| take_submissions);
            let reader = &mut self.stream;
            let reading = self.awaiting < MAX_UNANSWERED_INBOUND;
            let flushed = &self.flushed.1;
            let timeout = &mut self.timeout;
            let wake = future::or(
                future::or(
                    async {
                        if !reading {
                            return future::pending().await;
                        }
                        Wake::Read(reader.read(&mut buf).await)
                    },
                    async {
                        match submissions {
                            Some(channel) => Wake::Submission(channel.recv().await.ok()),
                            None => future::pending().await,
                        }
                    },
                ),
                future::or(
                    async {
                        match flushed.recv().await {
                            Ok(committed) => Wake::Flushed(committed),
                            Err(_) => future::pending().await,
                        }
                    },
                    async {
                        match deadline {
                            Some(at) => timeout.until(at).await,
                            None => future::pending().await,
                        };
                        Wake::Timer
                    },
                ),
            )
            .await;
            let now = Instant::now();
            match wake {
                Wake::Read(Ok(0)) => self.session.connection_lost("closed by the SMSC"),
                Wake::Read(Ok(n)) => {
                    let bytes = buf.get(..n).unwrap_or_default();
                    if self.link.settings.log.is_some() {
                        for pdu in self.framer.push(bytes) {
                            self.dump_pdu("Got PDU:", &pdu);
                        }
                    }
                    self.session.handle_input(now, bytes)
                }
                Wake::Read(Err(error)) => self
                    .session
                    .connection_lost(format!("read failed: {error}")),
                Wake::Submission(Some(submission)) => {
                    self.submit(submission);
                    // Take what else is waiting now, so that it goes out in the same write.
                    if let Some(channel) = submissions {
                        for _ in 1..SUBMISSIONS_PER_TURN {
                            match channel.try_recv() {
                                Ok(submission) => self.submit(submission),
                                Err(_) => break,
                            }
                        }
                    }
                }
                Wake::Submission(None) => {
                    // The core dropped the link: say goodbye properly.
                    self.stopping = true;
                    self.session.unbind(now);
                }
                Wake::Flushed(committed) => {
                    // Committed: everything these PDUs carried is on disk. Not: the SMSC
                    // is told to try again later, and does.
                    let status = if committed {
                        CommandStatus::Ok
                    } else {
                        CommandStatus::ReceiverTemporaryAppError
                    };
                    let handles = self.awaiting_flush.pop_front().unwrap_or_default();
                    self.awaiting = self.awaiting.saturating_sub(handles.len());
                    for handle in handles {
                        self.session.respond(handle, status);
                    }
                }
                Wake::Timer => {
                    self.session.handle_timeout(now);
                    let overdue = self.assembler.overdue(now, PART_HOLD);
                    if !overdue.is_empty() {
                        log::info!(
                            target: &self.link.target,
                            "SMSC {}: {} MO part(s) waited {PART_HOLD:?} for the rest of their message; \
                             answered now, held in memory only (an SMSC that sends one part at a time)",
                            self.link.smsc_id,
                            overdue.len()
                        );
                    }
                    for handle in overdue {
                        self.session.respond(handle, CommandStatus::Ok);
                    }
                    if let Some(ended) = self.expire_mo(now).await {
                        return ended;
                    }
                }
            }
        }
    }

    /// Dumps the PDUs of `bytes` into the link's own log file, if it has one.
    fn dump(&mut self, what: &str, bytes: &[u8]) {
        if self.link.settings.log.is_none() {
            return;
        }
        if let Ok(pdu) = Pdu::parse(bytes) {
            self.dump_pdu(what, &pdu);
        }
    }

    fn dump_pdu(&self, what: &str, pdu: &Pdu) {
        let Some(own) = &self.link.settings.log else {
            return;
        };
        for line in dump::lines(&self.link.smsc_id, what, pdu, own.format) {
            log::debug!(target: &self.link.target, "{line}");
        }
    }

    fn submit(&mut self, Submission { token, sms }: Submission) {
        *self.reference = self.reference.wrapping_add(1);
        let now_unix = crate::clock::unix_now();
        match submit::submits_for(&sms, &self.link.settings.submit, *self.reference, now_unix) {
            Ok(pdus) => {
                self.messages.insert(
                    token,
                    Pending {
                        token,
                        parts: pdus.len(),
                        accepted: 0,
                        ids: vec![String::new(); pdus.len()],
                        settled: false,
                    },
                );
                for (index, pdu) in pdus.into_iter().enumerate() {
                    let key = self.next_key;
                    self.next_key += 1;
                    self.parts.insert(key, (token, index));
                    self.session.submit(key, pdu);
                }
            }
            Err(error) => {
                log::warn!(
                    target: &self.link.target,
                    "SMSC {}: message {} cannot be sent: {error}",
                    self.link.smsc_id,
                    sms.id
                );
                let _ = self.link.events.try_send(LinkEvent::FailedPermanently {
                    token,
                    reason: error.to_string(),
                });
            }
        }
    }

    /// Handles one session event; `Some` when the connection is over.
    async fn on_event(&mut self, event: Event) -> Option<Ended> {
        let events = &self.link.events;
        match event {
            Event::Bound { system_id } => {
                self.was_bound = true;
                log::info!(
                    target: &self.link.target,
                    "SMSC {}: bound ({:?}) to '{system_id}'",
                    self.link.smsc_id,
                    self.session_mode()
                );
                if let Some(submissions) = self.submissions {
                    // Whatever waits here was handed over before our last Offline, which gave it
                    // back to the core: sending it too would send it twice.
                    let mut stale = 0;
                    while submissions.try_recv().is_ok() {
                        stale += 1;
                    }
                    if stale > 0 {
                        log::debug!(
                            target: &self.link.target,
                            "SMSC {}: {stale} submission(s) from before the reconnect dropped; the core resends them",
                            self.link.smsc_id
                        );
                    }
                    if events.send(LinkEvent::Online).await.is_err() {
                        return Some(Ended::Shutdown);
                    }
                }
            }
            Event::Accepted { key, message_id } => {
                let (token, index) = self.parts.remove(&key)?;
                let pending = self.messages.get_mut(&token)?;
                pending.accepted += 1;
                if let Some(slot) = pending.ids.get_mut(index) {
                    *slot = message_id;
                }
                if pending.accepted >= pending.parts && !pending.settled {
                    let accepted = LinkEvent::Accepted {
                        token: pending.token,
                        foreign_ids: std::mem::take(&mut pending.ids),
                    };
                    self.messages.remove(&token);
                    if events.send(accepted).await.is_err() {
                        return Some(Ended::Shutdown);
                    }
                } else if pending.accepted >= pending.parts {
                    self.messages.remove(&token);
                }
            }
            Event::Failed { key, status } => {
                let reason = format!(
                    "0x{:08x}/{} ({})",
                    status.as_u32(),
                    status.description(),
                    status.name().unwrap_or("unnamed status")
                );
                let failure = |token| {
                    if status.is_temporary() {
                        LinkEvent::FailedTemporarily { token, reason }
                    } else {
                        LinkEvent::FailedPermanently { token, reason }
                    }
                };
                if let Some(event) = self.settle(key, failure)
                    && events.send(event).await.is_err()
                {
                    return Some(Ended::Shutdown);
                }
            }
            Event::TimedOut { key } => {
                let failure = |token| LinkEvent::FailedTemporarily {
                    token,
                    reason: "no submit_sm_resp within wait-ack".to_owned(),
                };
                if let Some(event) = self.settle(key, failure)
                    && events.send(event).await.is_err()
                {
                    return Some(Ended::Shutdown);
                }
            }
            Event::Inbound { handle, pdu } => return self.on_inbound(handle, pdu).await,
            Event::Closed { reason, .. } => {
                let held = self.assembler.unanswered();
                if held > 0 {
                    log::info!(
                        target: &self.link.target,
                        "SMSC {}: {held} MO part(s) held for reassembly were never answered; \
                         the SMSC sends them again",
                        self.link.smsc_id
                    );
                }
                if self.stopping {
                    return Some(Ended::Shutdown);
                }
                return Some(Ended::Closed {
                    reason,
                    was_bound: self.was_bound,
                });
            }
        }
        None
    }

    fn session_mode(&self) -> &'static str {
        match self.submissions {
            Some(_) => "sending",
            None => "receiving",
        }
    }

    /// The first failure of a part answers for its whole message; later ones are dropped.
    fn settle(
        &mut self,
        key: SubmitKey,
        failure: impl FnOnce(i64) -> LinkEvent,
    ) -> Option<LinkEvent> {
        let (token, _) = self.parts.remove(&key)?;
        let pending = self.messages.get_mut(&token)?;
        pending.accepted += 1;
        let first = !pending.settled;
        pending.settled = true;
        if pending.accepted >= pending.parts {
            self.messages.remove(&token);
        }
        first.then(|| failure(token))
    }

    async fn on_inbound(&mut self, handle: InboundHandle, pdu: InboundPdu) -> Option<Ended> {
        let (read, tlvs) = match &pdu {
            InboundPdu::DeliverSm(deliver) => (deliver::from_deliver_sm(deliver), &deliver.tlvs),
            InboundPdu::DataSm(data) => (deliver::from_data_sm(data), &data.tlvs),
        };
        let event = match read {
            Ok(Inbound::Report {
                foreign_id,
                event,
                text,
                dlr_err,
            }) => {
                let pairs = self.configured_tlvs(tlvs, "receipt");
                let meta = dlr_err::report_meta_data(dlr_err.as_deref(), pairs);
                LinkEvent::Report {
                    foreign_id,
                    event,
                    text: Some(text),
                    meta_data: (!meta.is_empty()).then_some(meta),
                }
            }
            Ok(Inbound::Mo(mut part)) => {
                let pairs = self.configured_tlvs(tlvs, "MO");
                part.meta_data = meta_data::group("smpp", &pairs);
                let unix_now = crate::clock::unix_now_i32();
                return match self.assembler.offer(
                    part,
                    handle,
                    &self.mo_options,
                    Instant::now(),
                    unix_now,
                ) {
                    Some(released) => {
                        let events = released
                            .messages
                            .into_iter()
                            .map(|sms| LinkEvent::Received(Box::new(sms)))
                            .collect();
                        self.hand_to_core(released.handles, events).await
                    }
                    // A part held for its siblings, unanswered: answering now would tell the
                    // SMSC it is safe while it is only in memory.
                    None => None,
                };
            }
            Err(error @ (DeliverError::NoReceiptId | DeliverError::UnknownState { .. })) => {
                // As Kannel: a receipt we cannot match is still acknowledged, or the SMSC
                // would send it again forever.
                log::warn!(
                    target: &self.link.target,
                    "SMSC {}: {error}; acknowledged and dropped",
                    self.link.smsc_id
                );
                self.session.respond(handle, CommandStatus::Ok);
                return None;
            }
            Err(error @ DeliverError::Address { .. }) => {
                // Kannel answers a bad address of either side with ESME_RINVSRCADR.
                log::error!(
                    target: &self.link.target,
                    "SMSC {}: refusing a deliver_sm: {error}",
                    self.link.smsc_id
                );
                self.session
                    .respond(handle, CommandStatus::InvalidSourceAddress);
                return None;
            }
            Err(error) => {
                log::warn!(
                    target: &self.link.target,
                    "SMSC {}: refusing a deliver_sm: {error}",
                    self.link.smsc_id
                );
                self.session
                    .respond(handle, CommandStatus::ReceiverPermanentAppError);
                return None;
            }
        };
        self.hand_to_core(vec![handle], vec![event]).await
    }

    /// The `?smpp?` pairs of the TLVs of `tlvs` that `smpp-tlv` groups configure for this link;
    /// those that do not decode are logged and left out.
    fn configured_tlvs(&self, tlvs: &Tlvs, what: &str) -> Vec<(String, Vec<u8>)> {
        let (pairs, skipped) = self.link.settings.submit.custom_tlvs.to_pairs(tlvs);
        for skip in skipped {
            log::warn!(target: &self.link.target, "SMSC {}: {what}: {skip}", self.link.smsc_id);
        }
        pairs
    }

    /// Sends MOs or a report to the core, then a Flush whose answer releases the responses of
    /// `handles` together. With no events, the Flush only waits for what was sent before (a
    /// copy of a part of a message handed over already).
    async fn hand_to_core(
        &mut self,
        handles: Vec<InboundHandle>,
        events: Vec<LinkEvent>,
    ) -> Option<Ended> {
        let link = &self.link.events;
        for event in events {
            if link.send(event).await.is_err() {
                return Some(Ended::Shutdown);
            }
        }
        if link
            .send(LinkEvent::Flush(self.flushed.0.clone()))
            .await
            .is_err()
        {
            return Some(Ended::Shutdown);
        }
        self.awaiting += handles.len();
        if self.awaiting >= MAX_UNANSWERED_INBOUND
            && self.awaiting - handles.len() < MAX_UNANSWERED_INBOUND
        {
            log::log!(
                target: &self.link.target,
                self.pauses.level(),
                "SMSC {}: {} inbound PDUs wait for the store; reading paused until they are answered",
                self.link.smsc_id,
                self.awaiting
            );
        }
        self.awaiting_flush.push_back(handles);
        None
    }

    /// Hands over the messages given up on, part by part; `Some` when the core is gone.
    async fn expire_mo(&mut self, now: Instant) -> Option<Ended> {
        let unix_now = crate::clock::unix_now_i32();
        for released in self.assembler.expire(now, &self.mo_options, unix_now) {
            let sender = released
                .messages
                .first()
                .and_then(|sms| sms.sender.as_deref())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .unwrap_or_default();
            log::warn!(
                target: &self.link.target,
                "SMSC {}: concatenated MO from {sender} incomplete after {:?}; its {} part(s) go on alone",
                self.link.smsc_id,
                self.link.settings.mo_timeout,
                released.messages.len()
            );
            let events = released
                .messages
                .into_iter()
                .map(|sms| LinkEvent::Received(Box::new(sms)))
                .collect();
            if let Some(ended) = self.hand_to_core(released.handles, events).await {
                return Some(ended);
            }
        }
        None
    }
}

/// Kannel counts concatenation references per process; starting from the clock makes a
/// restarted gateway unlikely to reuse the reference of a message still being delivered.
fn seed_reference() -> u8 {
    (crate::clock::unix_now() & 0xff) as u8
}

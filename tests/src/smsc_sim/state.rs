//! State shared by the listener, the connections, the control interface and
//! the [`SimHandle`](super::SimHandle): one mutex, one condvar that wakes
//! anyone waiting for traffic.

use std::cmp::Ordering as CmpOrdering;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rusmpp_core::command::owned::Command;

use super::SimError;
use super::config::{Faults, SimConfig};
use super::receipt::{self, ReceiptSpec};
use super::record::{Address, Direction, PduRecord, Submit};
use super::wire;

/// How a connection is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindKind {
    Transmitter,
    Receiver,
    Transceiver,
}

impl BindKind {
    pub fn can_submit(self) -> bool {
        self != BindKind::Receiver
    }

    pub fn can_receive(self) -> bool {
        self != BindKind::Transmitter
    }
}

/// What a connection's writer thread is asked to do.
#[derive(Debug)]
pub(crate) enum OutKind {
    /// A response to a submit: the window shrinks when it is written.
    SubmitResp,
    Pdu,
    /// Bytes that are not a PDU (fault injection).
    Raw,
    /// Close the connection once everything due before is written.
    Close,
}

#[derive(Debug)]
pub(crate) struct Outgoing {
    pub due: Instant,
    pub order: u64,
    pub kind: OutKind,
    pub bytes: Vec<u8>,
    pub record: Option<PduRecord>,
}

// Ordered so that a `BinaryHeap` pops the earliest due first, and among
// equal times the one queued first: a receipt never overtakes its resp.
impl Ord for Outgoing {
    fn cmp(&self, other: &Outgoing) -> CmpOrdering {
        (other.due, other.order).cmp(&(self.due, self.order))
    }
}

impl PartialOrd for Outgoing {
    fn partial_cmp(&self, other: &Outgoing) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Outgoing {
    fn eq(&self, other: &Outgoing) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}

impl Eq for Outgoing {}

/// An MO sent and not answered yet: what to build it from again, and where it went last.
#[derive(Debug, Clone)]
pub(crate) struct UnansweredMo {
    pub connection: u64,
    pub sequence_number: u32,
    pub from: Address,
    pub to: Address,
    pub data_coding: u8,
    pub udh: Option<Vec<u8>>,
    pub text: Vec<u8>,
    pub tlvs: Vec<(u16, Vec<u8>)>,
}

/// Counters of one connection, in [`Stats`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionStats {
    pub id: u64,
    pub bind: Option<BindKind>,
    pub system_id: String,
    pub open: bool,
    pub submits: u64,
    /// Most submits received on this connection and not yet answered.
    pub max_outstanding: u64,
}

/// What the simulator measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub submits: u64,
    /// Most submits received and not yet answered, over all connections.
    pub max_outstanding: u64,
    pub first_submit: Option<Instant>,
    pub last_submit: Option<Instant>,
    pub connections: Vec<ConnectionStats>,
}

impl Stats {
    /// Submits per second between the first and the last one.
    pub fn throughput(&self) -> Option<f64> {
        let span = self
            .last_submit?
            .checked_duration_since(self.first_submit?)?;
        (span > Duration::ZERO && self.submits > 1)
            .then(|| (self.submits - 1) as f64 / span.as_secs_f64())
    }
}

pub(crate) struct Conn {
    pub id: u64,
    pub bind: Option<BindKind>,
    pub system_id: String,
    pub outbox: Option<Sender<Outgoing>>,
    pub stream: TcpStream,
    pub submits: u64,
    pub outstanding: u64,
    pub max_outstanding: u64,
    pub next_seq: u32,
}

impl Conn {
    fn open(&self) -> bool {
        self.outbox.is_some()
    }

    fn stats(&self) -> ConnectionStats {
        ConnectionStats {
            id: self.id,
            bind: self.bind,
            system_id: self.system_id.clone(),
            open: self.open(),
            submits: self.submits,
            max_outstanding: self.max_outstanding,
        }
    }
}

#[derive(Default)]
pub(crate) struct State {
    pub pdus: Vec<PduRecord>,
    pub submits: Vec<Submit>,
    pub conns: Vec<Conn>,
    pub submit_count: u64,
    pub outstanding: u64,
    pub max_outstanding: u64,
    pub first_submit: Option<Instant>,
    pub last_submit: Option<Instant>,
    /// Problems seen on the wire (garbage, undecodable bodies).
    pub errors: Vec<String>,
    /// MO deliver_sm with no response yet, oldest first.
    /// Oldest first; answers come mostly in order, so the one answered is
    /// found near the front, not by a `retain` over every MO in flight under
    /// the state's lock.
    pub unanswered_mo: VecDeque<UnansweredMo>,
}

pub(crate) struct Shared {
    pub config: SimConfig,
    pub faults: Mutex<Faults>,
    state: Mutex<State>,
    changed: Condvar,
    next_id: AtomicU64,
    next_conn: AtomicU64,
    next_order: AtomicU64,
    stop: AtomicBool,
    recorder: Option<Mutex<BufWriter<File>>>,
}

impl Shared {
    pub fn new(config: SimConfig) -> Result<Shared, SimError> {
        let recorder = match &config.record {
            Some(path) => Some(Mutex::new(BufWriter::new(File::create(path).map_err(
                |error| SimError::Record {
                    path: path.clone(),
                    error,
                },
            )?))),
            None => None,
        };
        Ok(Shared {
            faults: Mutex::new(config.faults.clone()),
            next_id: AtomicU64::new(config.first_id),
            config,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            next_conn: AtomicU64::new(1),
            next_order: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            recorder,
        })
    }

    // A panic in one connection thread must not wedge the others: take
    // the data even if a holder panicked.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    pub fn update_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.faults.lock().unwrap_or_else(|p| p.into_inner()));
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        // Takes the state lock after the flag is set, so a waiter that saw
        // the flag clear is already waiting when notified below.
        self.drop_connections();
        self.changed.notify_all();
    }

    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    pub fn next_order(&self) -> u64 {
        self.next_order.fetch_add(1, Ordering::Relaxed)
    }

    pub fn next_message_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Waits until `done` holds or `timeout` passes; returns what `done`
    /// last said.
    pub fn wait_until(&self, timeout: Duration, mut done: impl FnMut(&State) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.state();
        loop {
            if done(&state) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline || self.stopped() {
                return false;
            }
            state = match self.changed.wait_timeout(state, deadline - now) {
                Ok((state, _)) => state,
                Err(poison) => poison.into_inner().0,
            };
        }
    }

    /// Keeps a PDU in memory and in the record file.
    pub fn record(&self, record: PduRecord, submit: Option<&Submit>) {
        if let Some(recorder) = &self.recorder {
            let line = record.to_json_line(submit);
            let mut file = recorder.lock().unwrap_or_else(|p| p.into_inner());
            // The record is a test aid: a full disk must not stop the traffic.
            let _ = writeln!(file, "{line}").and_then(|()| file.flush());
        }
        let mut state = self.state();
        if state.pdus.len() < self.config.max_records {
            state.pdus.push(record);
        }
        drop(state);
        self.changed.notify_all();
    }

    pub fn record_in(&self, connection: u64, command: &Command, submit: Option<&Submit>) {
        self.record(PduRecord::new(connection, Direction::In, command), submit);
    }

    pub fn note_error(&self, error: String) {
        self.state().errors.push(error);
        self.changed.notify_all();
    }

    pub fn add_conn(&self, conn: Conn) {
        self.state().conns.push(conn);
        self.changed.notify_all();
    }

    pub fn set_bind(&self, id: u64, bind: BindKind, system_id: &str) {
        let mut state = self.state();
        if let Some(conn) = state.conns.iter_mut().find(|c| c.id == id) {
            conn.bind = Some(bind);
            conn.system_id = system_id.to_string();
        }
        drop(state);
        self.changed.notify_all();
    }

    /// The connection is gone: nothing more can be answered on it.
    pub fn conn_closed(&self, id: u64) {
        let mut state = self.state();
        let mut lost = 0;
        if let Some(conn) = state.conns.iter_mut().find(|c| c.id == id) {
            conn.outbox = None;
            lost = std::mem::take(&mut conn.outstanding);
        }
        state.outstanding = state.outstanding.saturating_sub(lost);
        drop(state);
        self.changed.notify_all();
    }

    /// Counts a submit in; returns its global number (from 1) and how
    /// many this connection has had.
    pub fn submit_received(&self, connection: u64, submit: Submit, stalled: bool) -> (u64, u64) {
        let now = Instant::now();
        let mut state = self.state();
        state.submit_count += 1;
        let number = state.submit_count;
        state.first_submit.get_or_insert(now);
        state.last_submit = Some(now);
        let mut on_conn = 0;
        if !stalled {
            state.outstanding += 1;
            state.max_outstanding = state.max_outstanding.max(state.outstanding);
        }
        if let Some(conn) = state.conns.iter_mut().find(|c| c.id == connection) {
            conn.submits += 1;
            on_conn = conn.submits;
            if !stalled {
                conn.outstanding += 1;
                conn.max_outstanding = conn.max_outstanding.max(conn.outstanding);
            }
        }
        if state.submits.len() < self.config.max_records {
            state.submits.push(submit);
        }
        drop(state);
        self.changed.notify_all();
        (number, on_conn)
    }

    /// Notes what was answered to a submit, for `received()`.
    pub fn submit_answered(&self, connection: u64, sequence: u32, status: u32, id: Option<u64>) {
        let rendered = id.map(|id| self.config.id_format.render(id));
        let mut state = self.state();
        if let Some(submit) = state
            .submits
            .iter_mut()
            .rev()
            .find(|s| s.connection == connection && s.sequence_number == sequence)
        {
            submit.status = Some(status);
            submit.id_number = id;
            submit.message_id = rendered;
        }
    }

    /// A submit response left the simulator: the window shrinks.
    pub fn resp_written(&self, connection: u64) {
        let mut state = self.state();
        let mut counted = false;
        if let Some(conn) = state.conns.iter_mut().find(|c| c.id == connection)
            && conn.outstanding > 0
        {
            conn.outstanding -= 1;
            counted = true;
        }
        if counted {
            state.outstanding = state.outstanding.saturating_sub(1);
        }
    }

    pub fn stats(&self) -> Stats {
        let state = self.state();
        Stats {
            submits: state.submit_count,
            max_outstanding: state.max_outstanding,
            first_submit: state.first_submit,
            last_submit: state.last_submit,
            connections: state.conns.iter().map(Conn::stats).collect(),
        }
    }

    /// Queues `bytes` on a connection's writer.
    pub fn queue(&self, outbox: &Sender<Outgoing>, due: Instant, kind: OutKind, bytes: Vec<u8>) {
        let outgoing = Outgoing {
            due,
            order: self.next_order(),
            kind,
            bytes,
            record: None,
        };
        // A closed writer means a closed connection: nothing to deliver to.
        let _ = outbox.send(outgoing);
    }

    /// Queues a PDU; it is recorded when it is actually written.
    pub fn queue_pdu(
        &self,
        outbox: &Sender<Outgoing>,
        connection: u64,
        due: Instant,
        kind: OutKind,
        command: &Command,
    ) {
        let outgoing = Outgoing {
            due,
            order: self.next_order(),
            kind,
            bytes: wire::encode(command),
            record: Some(PduRecord::new(connection, Direction::Out, command)),
        };
        let _ = outbox.send(outgoing);
    }

    /// The open connection that should get deliver_sm: `preferred` if it
    /// can receive, else the most recently bound receiver or transceiver.
    /// Returns its id, outbox and the sequence number to use.
    fn receiver(&self, preferred: Option<u64>) -> Option<(u64, Sender<Outgoing>, u32)> {
        let mut state = self.state();
        let can_receive = |c: &Conn| c.open() && c.bind.is_some_and(BindKind::can_receive);
        let index = preferred
            .and_then(|id| {
                state
                    .conns
                    .iter()
                    .position(|c| c.id == id && can_receive(c))
            })
            .or_else(|| state.conns.iter().rposition(can_receive))?;
        let conn = state.conns.get_mut(index)?;
        conn.next_seq = conn.next_seq.wrapping_add(1).max(1);
        Some((conn.id, conn.outbox.clone()?, conn.next_seq))
    }

    pub fn send_mo(
        &self,
        from: &Address,
        to: &Address,
        data_coding: u8,
        udh: Option<&[u8]>,
        text: &[u8],
    ) -> Result<u64, SimError> {
        self.send_mo_with_tlvs(from, to, data_coding, udh, text, &[])
    }

    /// [`Shared::send_mo`] with TLVs after the mandatory fields.
    pub fn send_mo_with_tlvs(
        &self,
        from: &Address,
        to: &Address,
        data_coding: u8,
        udh: Option<&[u8]>,
        text: &[u8],
        tlvs: &[(u16, Vec<u8>)],
    ) -> Result<u64, SimError> {
        let (id, outbox, seq) = self.receiver(None).ok_or(SimError::NoReceiver)?;
        let command = receipt::mo_pdu_with_tlvs(from, to, data_coding, udh, text, tlvs, seq)?;
        self.state().unanswered_mo.push_back(UnansweredMo {
            connection: id,
            sequence_number: seq,
            from: from.clone(),
            to: to.clone(),
            data_coding,
            udh: udh.map(<[u8]>::to_vec),
            text: text.to_vec(),
            tlvs: tlvs.to_vec(),
        });
        self.queue_pdu(&outbox, id, Instant::now(), OutKind::Pdu, &command);
        Ok(id)
    }

    /// A deliver_sm_resp (or data_sm_resp) came: that MO is answered, whatever the status.
    pub fn mo_answered(&self, connection: u64, sequence_number: u32) {
        let mut state = self.state();
        let answered = state
            .unanswered_mo
            .iter()
            .position(|mo| (mo.connection, mo.sequence_number) == (connection, sequence_number));
        if let Some(position) = answered {
            state.unanswered_mo.remove(position);
        }
    }

    /// MO sent and not answered yet, oldest first: (connection, sequence number) of the last
    /// try of each.
    pub fn unanswered_mo(&self) -> Vec<(u64, u32)> {
        self.state()
            .unanswered_mo
            .iter()
            .map(|mo| (mo.connection, mo.sequence_number))
            .collect()
    }

    /// With [`Faults::redeliver`], sends again on `connection` (just bound to receive) every MO
    /// whose connection closed without answering it, oldest first, due at `due`.
    pub fn redeliver(&self, connection: u64, due: Instant) {
        if !self.faults().redeliver {
            return;
        }
        let lost: Vec<UnansweredMo> = {
            let state = self.state();
            let open: Vec<u64> = state
                .conns
                .iter()
                .filter(|c| c.open())
                .map(|c| c.id)
                .collect();
            state
                .unanswered_mo
                .iter()
                .filter(|mo| mo.connection != connection && !open.contains(&mo.connection))
                .cloned()
                .collect()
        };
        for mo in lost {
            let Some((id, outbox, seq)) = self.receiver(Some(connection)) else {
                return;
            };
            let command = match receipt::mo_pdu_with_tlvs(
                &mo.from,
                &mo.to,
                mo.data_coding,
                mo.udh.as_deref(),
                &mo.text,
                &mo.tlvs,
                seq,
            ) {
                Ok(command) => command,
                Err(error) => {
                    self.note_error(format!("connection {id}: cannot redeliver an MO: {error}"));
                    continue;
                }
            };
            if let Some(entry) =
                self.state().unanswered_mo.iter_mut().find(|m| {
                    (m.connection, m.sequence_number) == (mo.connection, mo.sequence_number)
                })
            {
                entry.connection = id;
                entry.sequence_number = seq;
            }
            self.queue_pdu(&outbox, id, due, OutKind::Pdu, &command);
        }
    }

    /// Sends a receipt for the submit answered with `message_id`.
    pub fn send_receipt(&self, message_id: &str, stat: &str, err: u16) -> Result<(), SimError> {
        self.send_receipt_with_tlvs(message_id, stat, err, &[])
    }

    /// [`Shared::send_receipt`] with further TLVs after the receipt's own.
    pub fn send_receipt_with_tlvs(
        &self,
        message_id: &str,
        stat: &str,
        err: u16,
        tlvs: &[(u16, Vec<u8>)],
    ) -> Result<(), SimError> {
        let submit = self
            .state()
            .submits
            .iter()
            .rev()
            .find(|s| s.message_id.as_deref() == Some(message_id))
            .cloned()
            .ok_or_else(|| SimError::UnknownMessageId(message_id.to_string()))?;
        self.schedule_receipt(&submit, stat, err, tlvs, Instant::now())
    }

    /// Queues a receipt (with `tlvs`) for an answered submit, on the
    /// connection it came from when that one can receive.
    pub fn schedule_receipt(
        &self,
        submit: &Submit,
        stat: &str,
        err: u16,
        tlvs: &[(u16, Vec<u8>)],
        due: Instant,
    ) -> Result<(), SimError> {
        let id = submit
            .id_number
            .map(|n| self.config.receipt_id_format.render(n))
            .ok_or_else(|| SimError::UnknownMessageId(format!("seq {}", submit.sequence_number)))?;
        let handset = submit.destination().ok_or(SimError::NoReceiver)?;
        let (conn, outbox, seq) = self
            .receiver(Some(submit.connection))
            .ok_or(SimError::NoReceiver)?;
        // Another socket has no order with the resp's: give the resp a head start.
        let due = if conn == submit.connection {
            due
        } else {
            due + Duration::from_millis(20)
        };
        let spec = ReceiptSpec {
            handset,
            originator: &submit.source,
            id: &id,
            submitted: submit.at,
            stat,
            err,
            original: submit.text(),
            tlvs,
        };
        let command = receipt::receipt_pdu(&spec, seq)?;
        self.queue_pdu(&outbox, conn, due, OutKind::Pdu, &command);
        Ok(())
    }

    /// Writes bytes that are not SMPP to every open connection.
    pub fn inject_garbage(&self, bytes: &[u8]) -> usize {
        let outboxes: Vec<_> = self
            .state()
            .conns
            .iter()
            .filter_map(|c| c.outbox.clone())
            .collect();
        for outbox in &outboxes {
            self.queue(outbox, Instant::now(), OutKind::Raw, bytes.to_vec());
        }
        outboxes.len()
    }

    /// Cuts every open connection at once, as a crashed SMSC would.
    pub fn drop_connections(&self) -> usize {
        let state = self.state();
        let mut dropped = 0;
        for conn in state.conns.iter().filter(|c| c.open()) {
            let _ = conn.stream.shutdown(Shutdown::Both);
            dropped += 1;
        }
        dropped
    }
}

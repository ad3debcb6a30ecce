//! One client connection: a reader thread that decodes, records and decides
//! the answers, and a writer thread that sends them when they fall due.
//!
//! Splitting the two is what lets the simulator hold responses back
//! (latency) while it keeps reading, so it sees the client's real window.

use std::collections::BinaryHeap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread;
use std::time::{Duration, Instant};

use rusmpp_core::command::owned::Command;
use rusmpp_core::pdus::owned::{
    BindReceiverResp, BindTransceiverResp, BindTransmitterResp, DataSmResp, Pdu, SubmitMultiResp,
    SubmitSmResp,
};
use rusmpp_core::types::owned::COctetString;
use rusmpp_core::values::InterfaceVersion;
use rusmpp_core::{CommandId, CommandStatus};

use super::record::{PduRecord, Submit, SubmitKind, c_str};
use super::state::{BindKind, Conn, OutKind, Outgoing, Shared};
use super::wire::{self, FrameError, GENERIC_NACK};

pub const ESME_RINVCMDLEN: u32 = 0x02;
pub const ESME_RINVCMDID: u32 = 0x03;
pub const ESME_RINVBNDSTS: u32 = 0x04;
pub const ESME_RALYBND: u32 = 0x05;
pub const ESME_RINVPASWD: u32 = 0x0E;
pub const ESME_RINVSYSID: u32 = 0x0F;
pub const ESME_RTHROTTLED: u32 = 0x58;

const SMSC_SYSTEM_ID: &str = "smsc-sim";
/// How often a blocked read looks up to see whether the simulator stops.
const POLL: Duration = Duration::from_millis(100);

/// Runs a connection to its end; called on its own thread.
pub(crate) fn serve(shared: Arc<Shared>, stream: TcpStream) {
    let id = shared.next_conn_id();
    let (Ok(write_half), Ok(handle)) = (stream.try_clone(), stream.try_clone()) else {
        shared.note_error(format!("connection {id}: cannot clone the socket"));
        return;
    };
    // Without a read timeout the reader could not notice a stop.
    if stream.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let _ = stream.set_nodelay(true);
    let (outbox, inbox) = channel();
    shared.add_conn(Conn {
        id,
        bind: None,
        system_id: String::new(),
        outbox: Some(outbox.clone()),
        stream: handle,
        submits: 0,
        outstanding: 0,
        max_outstanding: 0,
        next_seq: 0,
    });
    let writer_shared = Arc::clone(&shared);
    let writer = thread::Builder::new()
        .name(format!("smsc-sim-w{id}"))
        .spawn(move || write_loop(&writer_shared, id, write_half, inbox));
    let mut session = Session {
        shared: &shared,
        id,
        outbox: &outbox,
        bind: None,
        submits: 0,
        closing: false,
    };
    session.read_loop(&stream);
    shared.conn_closed(id);
    shared.queue(&outbox, Instant::now(), OutKind::Close, Vec::new());
    drop(outbox);
    if let Ok(writer) = writer {
        let _ = writer.join();
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn write_loop(shared: &Shared, id: u64, mut stream: TcpStream, inbox: Receiver<Outgoing>) {
    let mut queue: BinaryHeap<Outgoing> = BinaryHeap::new();
    let mut inbox_open = true;
    while !shared.stopped() && (inbox_open || !queue.is_empty()) {
        let wait = queue
            .peek()
            .map(|next| next.due.saturating_duration_since(Instant::now()))
            .unwrap_or(POLL)
            .min(POLL);
        match inbox.recv_timeout(wait) {
            Ok(outgoing) => queue.push(outgoing),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => inbox_open = false,
        }
        while let Ok(outgoing) = inbox.try_recv() {
            queue.push(outgoing);
        }
        // Everything due leaves in one write, as a real SMSC's answers to a
        // window of submits do: a write per PDU made the simulator the
        // benchmark's largest consumer of CPU.
        let mut bytes = Vec::new();
        let mut records = Vec::new();
        let mut closing = false;
        while queue.peek().is_some_and(|next| next.due <= Instant::now()) {
            let Some(outgoing) = queue.pop() else { break };
            if let OutKind::Close = outgoing.kind {
                closing = true;
                break;
            }
            // The window shrinks before the answer leaves: once the client
            // can read it, it may send the next submit, and counting that one
            // before this answer would show a window one larger than it is.
            if let OutKind::SubmitResp = outgoing.kind {
                shared.resp_written(id);
            }
            bytes.extend_from_slice(&outgoing.bytes);
            records.extend(outgoing.record);
        }
        if !bytes.is_empty() && stream.write_all(&bytes).is_err() {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        let at = std::time::SystemTime::now();
        for mut record in records {
            record.at = at;
            shared.record(record, None);
        }
        if closing {
            let _ = stream.flush();
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    }
}

struct Session<'a> {
    shared: &'a Shared,
    id: u64,
    outbox: &'a Sender<Outgoing>,
    bind: Option<BindKind>,
    submits: u64,
    /// Set once the connection is to be dropped: read, record, answer nothing.
    closing: bool,
}

impl Session<'_> {
    fn read_loop(&mut self, mut stream: &TcpStream) {
        let mut buf: Vec<u8> = Vec::with_capacity(4096);
        let mut chunk = [0u8; 4096];
        while !self.shared.stopped() {
            match stream.read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
            // Frames are read where they lie; the consumed front goes once per read.
            let mut start = 0;
            loop {
                let rest = buf.get(start..).unwrap_or_default();
                match wire::check(rest) {
                    Ok(None) => break,
                    Ok(Some(len)) => {
                        let frame = rest.get(..len).unwrap_or(rest);
                        start += frame.len();
                        self.on_frame(frame);
                    }
                    Err(error) => {
                        // The stream has lost its framing: say so and hang up.
                        self.shared
                            .note_error(format!("connection {}: {error}", self.id));
                        let seq = wire::header(rest).map_or(0, |h| h.sequence_number);
                        self.answer(wire::header_only(GENERIC_NACK, ESME_RINVCMDLEN, seq));
                        self.close_after_answers();
                        start = buf.len();
                        break;
                    }
                }
            }
            buf.drain(..start.min(buf.len()));
        }
    }

    fn due(&self) -> Instant {
        Instant::now() + self.shared.faults().latency
    }

    fn answer(&self, command: Command) {
        self.shared
            .queue_pdu(self.outbox, self.id, self.due(), OutKind::Pdu, &command);
    }

    fn close_after_answers(&mut self) {
        self.closing = true;
        self.shared
            .queue(self.outbox, self.due(), OutKind::Close, Vec::new());
    }

    fn on_frame(&mut self, frame: &[u8]) {
        let command = match wire::decode(frame) {
            Ok(command) => command,
            Err(error) => return self.on_undecodable(frame, error),
        };
        let submit = Submit::from_command(&command, self.id);
        self.shared.record_in(self.id, &command, submit.as_ref());
        if matches!(
            command.id(),
            CommandId::DeliverSmResp | CommandId::DataSmResp
        ) {
            self.shared.mo_answered(self.id, command.sequence_number());
        }
        if self.closing {
            return;
        }
        let stalled = self.shared.faults().stalled;
        if let Some(submit) = submit {
            return self.on_submit(&command, submit, stalled);
        }
        if stalled {
            return;
        }
        let seq = command.sequence_number();
        let id = u32::from(command.id());
        match (command.id(), command.pdu()) {
            (CommandId::BindTransmitter, Some(Pdu::BindTransmitter(bind))) => {
                self.on_bind(BindKind::Transmitter, &bind.system_id, &bind.password, seq);
            }
            (CommandId::BindReceiver, Some(Pdu::BindReceiver(bind))) => {
                self.on_bind(BindKind::Receiver, &bind.system_id, &bind.password, seq);
            }
            (CommandId::BindTransceiver, Some(Pdu::BindTransceiver(bind))) => {
                self.on_bind(BindKind::Transceiver, &bind.system_id, &bind.password, seq);
            }
            (CommandId::EnquireLink, _) => {
                self.answer(Command::new(
                    CommandStatus::EsmeRok,
                    seq,
                    Pdu::EnquireLinkResp,
                ));
            }
            (CommandId::Unbind, _) => {
                self.answer(Command::new(CommandStatus::EsmeRok, seq, Pdu::UnbindResp));
                self.close_after_answers();
            }
            // Answers to what the simulator sent: recorded above, nothing to say.
            _ if id & GENERIC_NACK != 0 => {}
            _ => self.answer(wire::header_only(GENERIC_NACK, ESME_RINVCMDID, seq)),
        }
    }

    fn on_undecodable(&mut self, frame: &[u8], error: FrameError) {
        let Some(head) = wire::header(frame) else {
            return;
        };
        self.shared.record(
            PduRecord {
                at: std::time::SystemTime::now(),
                connection: self.id,
                direction: super::record::Direction::In,
                command_id: head.command_id,
                status: head.status,
                sequence_number: head.sequence_number,
                body: super::record::RecordBody::Undecodable(error.to_string()),
            },
            None,
        );
        self.shared
            .note_error(format!("connection {}: {error}", self.id));
        if self.closing || self.shared.faults().stalled || head.command_id & GENERIC_NACK != 0 {
            return;
        }
        let known = !matches!(CommandId::from(head.command_id), CommandId::Other(_));
        let status = if known {
            ESME_RINVCMDLEN
        } else {
            ESME_RINVCMDID
        };
        self.answer(wire::header_only(
            GENERIC_NACK,
            status,
            head.sequence_number,
        ));
    }

    fn on_bind(
        &mut self,
        kind: BindKind,
        system_id: &COctetString<1, 16>,
        password: &COctetString<1, 9>,
        seq: u32,
    ) {
        let config = &self.shared.config;
        let status = if self.bind.is_some() {
            ESME_RALYBND
        } else if config
            .system_id
            .as_deref()
            .is_some_and(|want| want.as_bytes() != c_str(system_id))
        {
            ESME_RINVSYSID
        } else if config
            .password
            .as_deref()
            .is_some_and(|want| want.as_bytes() != c_str(password))
        {
            ESME_RINVPASWD
        } else {
            0
        };
        let resp_id = match kind {
            BindKind::Transmitter => 0x8000_0002,
            BindKind::Receiver => 0x8000_0001,
            BindKind::Transceiver => 0x8000_0009,
        };
        if status != 0 {
            return self.answer(wire::header_only(resp_id, status, seq));
        }
        self.bind = Some(kind);
        self.shared
            .set_bind(self.id, kind, &String::from_utf8_lossy(c_str(system_id)));
        let me = COctetString::from_string(SMSC_SYSTEM_ID.to_string()).unwrap_or_default();
        let version = Some(InterfaceVersion::Smpp3_4);
        let pdu = match kind {
            BindKind::Transmitter => {
                Pdu::BindTransmitterResp(BindTransmitterResp::new(me, version))
            }
            BindKind::Receiver => Pdu::BindReceiverResp(BindReceiverResp::new(me, version)),
            BindKind::Transceiver => {
                Pdu::BindTransceiverResp(BindTransceiverResp::new(me, version))
            }
        };
        self.answer(Command::new(CommandStatus::EsmeRok, seq, pdu));
        if kind.can_receive() {
            // After the bind_resp: the same due time, queued later.
            self.shared.redeliver(self.id, self.due());
        }
    }

    fn on_submit(&mut self, command: &Command, submit: Submit, stalled: bool) {
        let seq = command.sequence_number();
        let resp_id = u32::from(command.id()) | GENERIC_NACK;
        if !self.bind.is_some_and(BindKind::can_submit) {
            if !stalled {
                self.answer(wire::header_only(resp_id, ESME_RINVBNDSTS, seq));
            }
            return;
        }
        let faults = self.shared.faults();
        let (number, _) = self
            .shared
            .submit_received(self.id, submit.clone(), stalled);
        self.submits += 1;
        if stalled {
            return;
        }
        let every = |n: Option<u64>| n.is_some_and(|n| n > 0 && number % n == 0);
        let status = if every(faults.throttle_every) {
            ESME_RTHROTTLED
        } else if every(faults.fail_every) {
            faults.fail_status
        } else {
            0
        };
        let due = Instant::now() + faults.latency;
        let mut answered_id = None;
        let reply = if status == 0 {
            let id_number = self.shared.next_message_id();
            let text = self.shared.config.id_format.render(id_number);
            let message_id = COctetString::from_string(text).unwrap_or_default();
            let pdu = match submit.kind {
                SubmitKind::SubmitSm => {
                    Pdu::SubmitSmResp(SubmitSmResp::builder().message_id(message_id).build())
                }
                SubmitKind::SubmitMulti => {
                    Pdu::SubmitMultiResp(SubmitMultiResp::builder().message_id(message_id).build())
                }
                SubmitKind::DataSm => {
                    Pdu::DataSmResp(DataSmResp::builder().message_id(message_id).build())
                }
            };
            self.shared
                .submit_answered(self.id, seq, 0, Some(id_number));
            answered_id = Some(id_number);
            Command::new(CommandStatus::EsmeRok, seq, pdu)
        } else {
            self.shared.submit_answered(self.id, seq, status, None);
            wire::header_only(resp_id, status, seq)
        };
        self.shared
            .queue_pdu(self.outbox, self.id, due, OutKind::SubmitResp, &reply);
        if status == 0 && faults.receipts && submit.wants_receipt() {
            let submit = Submit {
                id_number: answered_id,
                ..submit
            };
            self.auto_receipt(&submit, &faults.receipt_stat, due + faults.receipt_delay);
        }
        if faults.drop_after.is_some_and(|n| self.submits >= n) {
            self.closing = true;
            self.shared
                .queue(self.outbox, due, OutKind::Close, Vec::new());
        }
    }

    fn auto_receipt(&self, submit: &Submit, stat: &str, due: Instant) {
        // registered_delivery 2 asks for failures only.
        if submit.registered_delivery & 0x03 == 2 && stat == "DELIVRD" {
            return;
        }
        let err = if stat == "DELIVRD" { 0 } else { 1 };
        if let Err(error) = self.shared.schedule_receipt(submit, stat, err, &[], due) {
            self.shared
                .note_error(format!("connection {}: no receipt: {error}", self.id));
        }
    }
}

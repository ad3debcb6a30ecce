//! The conversation with one modem, as a state machine with no port and no
//! clock of its own: the driver feeds it bytes, submissions and the time,
//! and carries out what it asks ([`Output`]): write these bytes, tell the
//! core this, reopen the device.
//!
//! One command is outstanding at a time. Commands wait in a queue: the
//! start-up first, then reads and deletes that URCs asked for, then the
//! parts of the message being sent. URCs are recognised on every line, also
//! between `AT+CMGS` and its `>` prompt, so none is lost to a send.
//!
//! ```text
//!  Starting ──init done──▶ Ready ──timeout / fatal answer──▶ (reopen)
//! ```
//!
//! A message read from the modem's storage is deleted (`AT+CMGD`) only after the event that
//! carries it, and the driver holds every write after such an event until the core has
//! committed it. A part of a concatenated MO stays in storage, undeleted, until its whole
//! message (or, after the reassembly timeout, what arrived of it) has gone to the core: a
//! crash meanwhile leaves the parts on the modem, where `sim-buffering` finds them again.
//! A part delivered directly (`+CMT`) is acknowledged (`AT+CNMA`) at once: a phase 2+ modem
//! waits only seconds for that before it refuses the message and turns the indications off.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use box_protocol::encoding::{ConcatRef, Offer, Reassembler, Udh};
use box_protocol::message::Coding;

use super::config::{AtSettings, ModemDefinition, ModemType};
use super::message::{self, ReceivedPart, SubmitOptions};
use super::pdu::{self, Deliver, StatusClass, StatusReport};
use super::response::{Line, LineReader};
use crate::dlr::DlrEvent;
use crate::smsc::{LinkEvent, Submission};

/// How long a plain command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// `ATZ` and SIM commands can take a while on real modems.
const SLOW_TIMEOUT: Duration = Duration::from_secs(10);
/// From `AT+CMGS` to `+CMGS: <mr>`, as Kannel waits.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// Storage polling without `keepalive`.
const DEFAULT_POLL: Duration = Duration::from_secs(60);
/// Parts of a concatenated MO wait this long for the others (Kannel's default).
const REASSEMBLY_TIMEOUT: Duration = Duration::from_secs(1800);
const CTRL_Z: u8 = 0x1A;
/// Cancels a `>` prompt a previous session may have left the modem in;
/// otherwise the modem would take our next commands for a PDU.
const ESC: u8 = 0x1B;
/// After the ESC, what the modem still says about earlier commands is
/// ignored for this long, so no old answer is taken for a new one.
const SETTLE: Duration = Duration::from_millis(300);

/// What the driver must do.
#[derive(Debug, Clone)]
pub enum Output {
    Write(Vec<u8>),
    Event(LinkEvent),
    /// Close the device and open it again later; the session is over.
    Reopen(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Settling(Instant),
    Starting,
    Ready,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A start-up command; `required` ones end the session when refused.
    Init {
        step: Step,
        required: bool,
    },
    Keepalive,
    /// One part of the job in progress.
    Send,
    Read(u32),
    Delete(u32),
    List,
    /// `AT+CNMA`, `AT+CMMS`: refused by modems that do not need them, harmlessly.
    Housekeeping,
    Reset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Hello,
    Plain,
    Identify,
    Pin,
    PduMode,
}

#[derive(Debug, Clone)]
struct Command {
    text: String,
    kind: Kind,
    timeout: Duration,
}

impl Command {
    fn new(text: impl Into<String>, kind: Kind) -> Command {
        Command {
            text: text.into(),
            kind,
            timeout: COMMAND_TIMEOUT,
        }
    }

    fn slow(mut self) -> Command {
        self.timeout = SLOW_TIMEOUT;
        self
    }
}

#[derive(Debug)]
struct Outstanding {
    command: Command,
    deadline: Instant,
    /// Information lines of the answer.
    info: Vec<String>,
    /// PDUs of `+CMGR`/`+CMGL` answers, with their storage index.
    pdus: Vec<(Option<u32>, Vec<u8>)>,
    reference: Option<u8>,
    prompted: bool,
}

/// The message being sent: its parts as (TPDU length, hex PDU to write).
#[derive(Debug)]
struct Job {
    token: i64,
    parts: VecDeque<(usize, String)>,
    /// The modem's reference of each part sent so far.
    references: Vec<String>,
}

/// The line after a `+CMT:`, `+CDS:`, `+CMGR:` or `+CMGL:` header.
#[derive(Debug, Clone, Copy)]
enum PduFor {
    Unsolicited,
    Answer(Option<u32>),
}

type Origin = (String, Coding, Option<u8>, u8);
/// A concatenated message being joined, as the reassembler keys it.
type GroupKey = (Origin, ConcatRef, u8);

pub struct Session {
    settings: AtSettings,
    modem: ModemDefinition,
    phase: Phase,
    online: bool,
    reader: LineReader,
    queue: VecDeque<Command>,
    current: Option<Outstanding>,
    job: Option<Job>,
    pdu_for: Option<PduFor>,
    out: Vec<Output>,
    errors_in_a_row: u32,
    next_reference: u8,
    reassembler: Reassembler<Origin>,
    /// The storage indexes of the parts held by the reassembler, per message: deleted from
    /// the modem once the message has gone to the core.
    stored_parts: HashMap<GroupKey, Vec<u32>>,
    last_heard: Instant,
    next_poll: Option<Instant>,
}

impl Session {
    pub fn new(settings: AtSettings, now: Instant) -> Session {
        let modem = match &settings.modem {
            ModemType::Known(modem) => (**modem).clone(),
            ModemType::Detect(_) => ModemDefinition::default(),
        };
        let mut session = Session {
            settings,
            modem,
            phase: Phase::Starting,
            online: false,
            reader: LineReader::new(),
            queue: VecDeque::new(),
            current: None,
            job: None,
            pdu_for: None,
            out: Vec::new(),
            errors_in_a_row: 0,
            next_reference: 1,
            reassembler: Reassembler::new(REASSEMBLY_TIMEOUT),
            stored_parts: HashMap::new(),
            last_heard: now,
            next_poll: None,
        };
        session.restart(now);
        session
    }

    /// Starts over on a freshly opened device. Parts of MOs and the
    /// concatenation counter survive; everything in flight is forgotten
    /// (the core hears `Offline` and sends it again).
    pub fn restart(&mut self, now: Instant) {
        self.phase = Phase::Settling(now + SETTLE);
        self.online = false;
        self.reader.clear();
        self.queue.clear();
        self.current = None;
        self.job = None;
        self.pdu_for = None;
        self.errors_in_a_row = 0;
        self.last_heard = now;
        self.next_poll = None;
        let mut start = vec![
            Command::new(
                "AT",
                Kind::Init {
                    step: Step::Hello,
                    required: true,
                },
            ),
            Command::new(
                "ATZ",
                Kind::Init {
                    step: Step::Plain,
                    required: false,
                },
            )
            .slow(),
            Command::new(
                "ATE0",
                Kind::Init {
                    step: Step::Plain,
                    required: true,
                },
            ),
        ];
        if matches!(self.settings.modem, ModemType::Detect(_)) {
            start.push(Command::new(
                "ATI",
                Kind::Init {
                    step: Step::Identify,
                    required: false,
                },
            ));
        }
        self.queue.extend(start);
        if !matches!(self.settings.modem, ModemType::Detect(_)) {
            self.queue_setup();
        }
        self.out.push(Output::Write(vec![ESC]));
    }

    /// Whether the link is up (`Online` was reported).
    pub fn is_online(&self) -> bool {
        self.online
    }

    /// Whether a new submission can start now.
    pub fn wants_submission(&self) -> bool {
        self.phase == Phase::Ready && self.job.is_none()
    }

    /// The modem definition in use (after detection).
    pub fn modem(&self) -> &ModemDefinition {
        &self.modem
    }

    /// What the driver must do, in order.
    pub fn take_output(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.out)
    }

    /// The next moment [`Session::tick`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let mut soonest = match self.phase {
            Phase::Settling(until) => Some(until),
            _ => self.current.as_ref().map(|c| c.deadline),
        };
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                soonest = Some(soonest.map_or(t, |s: Instant| s.min(t)));
            }
        };
        consider(self.next_poll);
        consider(self.settings.keepalive.map(|k| self.last_heard + k));
        soonest
    }

    pub fn submit(&mut self, submission: Submission, now: Instant) {
        let reference = self.next_reference;
        self.next_reference = self.next_reference.wrapping_add(1);
        let options = SubmitOptions {
            validity_period: self.settings.validity_period,
            max_octets: self.settings.max_sms_octets,
            reference,
            now: crate::clock::unix_now(),
        };
        let prefix = if self.modem.no_smsc {
            Vec::new()
        } else {
            pdu::default_sca()
        };
        let parts = message::submits_for(&submission.sms, &options).and_then(|submits| {
            submits
                .iter()
                .map(|submit| {
                    let tpdu = submit.emit().map_err(message::MessageError::Pdu)?;
                    let mut whole = prefix.clone();
                    whole.extend_from_slice(&tpdu);
                    Ok((tpdu.len(), pdu::to_hex(&whole)))
                })
                .collect::<Result<VecDeque<_>, _>>()
        });
        match parts {
            Ok(parts) => {
                // Keeps the radio link up between the parts of a long message.
                if parts.len() > 1 && self.modem.enable_mms {
                    self.queue
                        .push_back(Command::new("AT+CMMS=2", Kind::Housekeeping));
                }
                self.job = Some(Job {
                    token: submission.token,
                    parts,
                    references: Vec::new(),
                });
                self.pump(now);
            }
            Err(error) => self.event(LinkEvent::FailedPermanently {
                token: submission.token,
                reason: error.to_string(),
            }),
        }
    }

    /// Bytes from the modem.
    pub fn receive(&mut self, bytes: &[u8], now: Instant) {
        if bytes.is_empty() {
            return;
        }
        self.last_heard = now;
        let lines = self.reader.push(bytes);
        if matches!(self.phase, Phase::Settling(_)) {
            return;
        }
        for line in lines {
            self.on_line(&line, now);
        }
        let waiting_for_prompt = self
            .current
            .as_ref()
            .is_some_and(|c| c.command.kind == Kind::Send && !c.prompted);
        if waiting_for_prompt && self.reader.pending_prompt() {
            self.on_line(">", now);
        }
        self.pump(now);
    }

    /// Time passes: deadlines, keepalive, polling, stale MO parts.
    pub fn tick(&mut self, now: Instant) {
        match self.phase {
            Phase::Failed => return,
            Phase::Settling(until) if now < until => return,
            Phase::Settling(_) => {
                self.phase = Phase::Starting;
                self.reader.clear();
                self.pump(now);
                return;
            }
            _ => {}
        }
        if let Some(current) = &self.current
            && now >= current.deadline
        {
            let reason = format!(
                "the modem did not answer '{}' within {} s",
                current.command.text,
                current.command.timeout.as_secs()
            );
            self.fail(reason);
            return;
        }
        if self.phase == Phase::Ready && self.idle() {
            if self.next_poll.is_some_and(|at| now >= at) {
                self.next_poll = Some(now + self.settings.keepalive.unwrap_or(DEFAULT_POLL));
                self.queue
                    .push_back(Command::new("AT+CMGL=4", Kind::List).slow());
            } else if let Some(keepalive) = self.settings.keepalive
                && now >= self.last_heard + keepalive
            {
                let probe = self.modem.keepalive_cmd.clone();
                self.queue.push_back(Command::new(probe, Kind::Keepalive));
            }
        }
        for expired in self.reassembler.expire(now) {
            log::warn!(
                "SMSC {}: {} of {} parts of an MO from {} arrived; delivering them as they are",
                self.settings.smsc_id,
                expired.parts.len(),
                expired.total,
                expired.origin.0
            );
            let key = (expired.origin.clone(), expired.reference, expired.total);
            let stored = self.stored_parts.remove(&key).unwrap_or_default();
            for part in expired.parts {
                let (sender, coding, class, pid) = expired.origin.clone();
                self.deliver_mo(ReceivedPart {
                    sender,
                    udh: part.udh,
                    payload: part.payload,
                    coding,
                    class,
                    pid,
                });
            }
            self.delete_committed(stored);
        }
        self.pump(now);
    }

    /// Deletes these messages from storage, first thing: they were in events already sent,
    /// which the driver lets the core commit before it writes another command.
    fn delete_committed(&mut self, mut indexes: Vec<u32>) {
        indexes.sort_unstable();
        indexes.dedup();
        for index in indexes.into_iter().rev() {
            self.queue.push_front(Command::new(
                format!("AT+CMGD={index}"),
                Kind::Delete(index),
            ));
        }
    }

    fn idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty() && self.job.is_none()
    }

    fn event(&mut self, event: LinkEvent) {
        self.out.push(Output::Event(event));
    }

    fn write_line(&mut self, text: &str) {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(b'\r');
        self.out.push(Output::Write(bytes));
    }

    fn fail(&mut self, reason: String) {
        self.phase = Phase::Failed;
        self.current = None;
        self.queue.clear();
        self.job = None;
        self.out.push(Output::Reopen(reason));
    }

    /// Starts the next command when none is outstanding.
    fn pump(&mut self, now: Instant) {
        if self.current.is_some() || matches!(self.phase, Phase::Failed | Phase::Settling(_)) {
            return;
        }
        let next = match self.queue.pop_front() {
            Some(command) => Some(command),
            None if self.phase == Phase::Starting => {
                self.phase = Phase::Ready;
                self.online = true;
                if self.settings.sim_buffering {
                    self.next_poll = Some(now);
                }
                log::info!(
                    "SMSC {}: modem '{}' ready on {}",
                    self.settings.smsc_id,
                    self.modem.name,
                    self.settings.device
                );
                self.event(LinkEvent::Online);
                None
            }
            None => self.job.as_ref().and_then(|job| {
                job.parts.front().map(|(length, _)| Command {
                    text: format!("AT+CMGS={length}"),
                    kind: Kind::Send,
                    timeout: SEND_TIMEOUT,
                })
            }),
        };
        let Some(command) = next else {
            return;
        };
        self.write_line(&command.text);
        self.current = Some(Outstanding {
            deadline: now + command.timeout,
            command,
            info: Vec::new(),
            pdus: Vec::new(),
            reference: None,
            prompted: false,
        });
    }

    fn on_line(&mut self, text: &str, now: Instant) {
        if let Some(target) = self.pdu_for.take() {
            if let Ok(bytes) = pdu::from_hex(text) {
                match target {
                    PduFor::Unsolicited => {
                        // Nothing stored, nothing to delete.
                        self.take_pdu(&bytes, now, None);
                        // Phase 2+ modems wait for this; others refuse it harmlessly.
                        self.queue
                            .push_front(Command::new("AT+CNMA", Kind::Housekeeping));
                    }
                    PduFor::Answer(index) => {
                        if let Some(current) = self.current.as_mut() {
                            current.pdus.push((index, bytes));
                        }
                    }
                }
                return;
            }
            log::warn!(
                "SMSC {}: expected a PDU, got '{text}'",
                self.settings.smsc_id
            );
        }
        let line = Line::parse(text);
        match line {
            Line::Cmt | Line::Cds => self.pdu_for = Some(PduFor::Unsolicited),
            Line::Cmti { index, .. } | Line::Cdsi { index, .. } => {
                // Ahead of further sends: the storage is small.
                let read = Command::new(format!("AT+CMGR={index}"), Kind::Read(index)).slow();
                self.queue.push_front(read);
            }
            Line::Cmgr => self.pdu_for = Some(PduFor::Answer(None)),
            Line::Cmgl { index } => self.pdu_for = Some(PduFor::Answer(Some(index))),
            Line::Prompt => {
                let pdu = match (&mut self.current, &self.job) {
                    (Some(current), Some(job))
                        if current.command.kind == Kind::Send && !current.prompted =>
                    {
                        current.prompted = true;
                        current.deadline = now + SEND_TIMEOUT;
                        job.parts.front().map(|(_, hex)| hex.clone())
                    }
                    _ => None,
                };
                if let Some(hex) = pdu {
                    let mut bytes = hex.into_bytes();
                    bytes.push(CTRL_Z);
                    self.out.push(Output::Write(bytes));
                }
            }
            Line::Cmgs(reference) => {
                if let Some(current) = self.current.as_mut() {
                    current.reference = Some(reference);
                }
            }
            Line::Cpin(code) => {
                if let Some(current) = self.current.as_mut() {
                    current.info.push(code);
                }
            }
            Line::Text(text) => match self.current.as_mut() {
                // The echo, before ATE0 took effect.
                Some(current) if text == current.command.text => {}
                Some(current) => current.info.push(text),
                None => log::debug!("SMSC {}: modem says '{text}'", self.settings.smsc_id),
            },
            final_line => {
                if let Some(current) = self.current.take() {
                    self.finish(current, &final_line, now);
                }
            }
        }
    }

    fn finish(&mut self, done: Outstanding, result: &Line, now: Instant) {
        let ok = *result == Line::Ok;
        if ok {
            self.errors_in_a_row = 0;
        } else {
            log::warn!(
                "SMSC {}: '{}' answered {result:?}",
                self.settings.smsc_id,
                done.command.text
            );
            self.count_error();
        }
        match done.command.kind {
            Kind::Init { step, required } => {
                if !ok && required {
                    self.fail(format!(
                        "start-up command '{}' refused: {result:?}",
                        done.command.text
                    ));
                    return;
                }
                match step {
                    Step::Identify => {
                        self.detect(&done.info.join("\n"));
                        self.queue_setup();
                    }
                    Step::Pin if ok => self.check_pin(&done.info),
                    Step::PduMode if !ok => {
                        self.fail("the modem refused PDU mode (AT+CMGF=0)".into());
                    }
                    _ => {}
                }
            }
            Kind::Send => self.finish_part(done.reference, result),
            Kind::Read(index) => {
                let stored = ok.then_some(index);
                let mut deletes = Vec::new();
                for (_, bytes) in &done.pdus {
                    deletes.extend(self.take_pdu(bytes, now, stored));
                }
                if ok && done.pdus.is_empty() {
                    deletes.push(index);
                }
                self.delete_committed(deletes);
            }
            Kind::List => {
                let mut deletes = Vec::new();
                for (index, bytes) in &done.pdus {
                    deletes.extend(self.take_pdu(bytes, now, *index));
                }
                self.delete_committed(deletes);
            }
            Kind::Keepalive if !ok => {
                self.fail(format!(
                    "keepalive '{}' answered {result:?}",
                    done.command.text
                ));
            }
            Kind::Keepalive | Kind::Delete(_) | Kind::Housekeeping | Kind::Reset => {}
        }
    }

    fn count_error(&mut self) {
        self.errors_in_a_row += 1;
        let Some(limit) = self.settings.max_error_count else {
            return;
        };
        if self.errors_in_a_row >= limit {
            self.errors_in_a_row = 0;
            if let Some(reset) = self.modem.reset_string.clone() {
                log::warn!(
                    "SMSC {}: {limit} errors in a row; resetting the modem",
                    self.settings.smsc_id
                );
                self.queue
                    .push_front(Command::new(reset, Kind::Reset).slow());
            }
        }
    }

    fn finish_part(&mut self, reference: Option<u8>, result: &Line) {
        let Some(job) = self.job.as_mut() else {
            return;
        };
        let token = job.token;
        match (result, reference) {
            (Line::Ok, Some(reference)) => {
                job.parts.pop_front();
                job.references.push(reference.to_string());
                if job.parts.is_empty() {
                    let foreign_ids = std::mem::take(&mut job.references);
                    self.job = None;
                    self.event(LinkEvent::Accepted { token, foreign_ids });
                }
            }
            (Line::Ok, None) => {
                self.job = None;
                self.event(LinkEvent::FailedTemporarily {
                    token,
                    reason: "the modem answered OK without +CMGS: <mr>".into(),
                });
            }
            (Line::CmsError(code), _) => {
                self.job = None;
                let reason = format!("+CMS ERROR: {code}");
                self.event(if cms_is_permanent(*code) {
                    LinkEvent::FailedPermanently { token, reason }
                } else {
                    LinkEvent::FailedTemporarily { token, reason }
                });
            }
            (other, _) => {
                self.job = None;
                self.event(LinkEvent::FailedTemporarily {
                    token,
                    reason: format!("the modem answered {other:?}"),
                });
            }
        }
    }

    fn detect(&mut self, answer: &str) {
        let ModemType::Detect(candidates) = &self.settings.modem else {
            return;
        };
        match candidates.iter().find(|modem| modem.detects(answer)) {
            Some(modem) => self.modem = modem.clone(),
            None => {
                if let Some(generic) = candidates.iter().find(|m| m.id == "generic") {
                    self.modem = generic.clone();
                }
            }
        }
        log::info!(
            "SMSC {}: detected modem '{}'",
            self.settings.smsc_id,
            self.modem.name
        );
    }

    /// The start-up after identification: the modem's own commands.
    fn queue_setup(&mut self) {
        let init = |text: String, step, required| Command::new(text, Kind::Init { step, required });
        if self.modem.hardware_flow_control && !self.modem.enable_hwhs.is_empty() {
            self.queue
                .push_back(init(self.modem.enable_hwhs.clone(), Step::Plain, false));
        }
        if !self.modem.no_pin {
            self.queue
                .push_back(init("AT+CPIN?".into(), Step::Pin, false).slow());
        }
        if let Some(center) = &self.settings.sms_center {
            self.queue
                .push_back(init(format!("AT+CSCA=\"{center}\""), Step::Plain, false));
        }
        self.queue
            .push_back(init("AT+CMGF=0".into(), Step::PduMode, false));
        if !self.modem.init_string.is_empty() {
            self.queue
                .push_back(init(self.modem.init_string.clone(), Step::Plain, false));
        }
        let storage = self
            .settings
            .message_storage
            .clone()
            .or_else(|| self.modem.message_storage.clone());
        if let Some(storage) = storage.filter(|_| self.settings.sim_buffering) {
            self.queue
                .push_back(init(format!("AT+CPMS=\"{storage}\""), Step::Plain, false));
        }
    }

    fn check_pin(&mut self, info: &[String]) {
        let state = info.first().map(String::as_str).unwrap_or("READY");
        if state == "READY" {
            return;
        }
        match (&self.settings.pin, state) {
            (Some(pin), "SIM PIN") => {
                let command = Command::new(
                    format!("AT+CPIN=\"{pin}\""),
                    Kind::Init {
                        step: Step::Plain,
                        required: true,
                    },
                )
                .slow();
                self.queue.push_front(command);
            }
            (None, "SIM PIN") => self.fail("the SIM wants a PIN and 'pin' is not set".into()),
            (_, other) => self.fail(format!("the SIM is not ready: +CPIN: {other}")),
        }
    }

    /// A PDU the modem handed us: an MO part or a status report, read from storage index
    /// `stored` or delivered directly. Returns the storage indexes that may be deleted once
    /// the events sent so far are committed: none for a part held for its siblings.
    fn take_pdu(&mut self, bytes: &[u8], now: Instant, stored: Option<u32>) -> Vec<u32> {
        let smsc_id = self.settings.smsc_id.clone();
        // An unreadable message would be read again at every poll, for ever.
        let dropped = stored.into_iter().collect();
        let (sca, tpdu) = match pdu::split_sca(bytes) {
            Ok(split) => split,
            Err(error) => {
                log::warn!("SMSC {smsc_id}: unreadable PDU dropped: {error}");
                return dropped;
            }
        };
        let smsc_number = sca.map(|a| a.number);
        match tpdu.first().map(|first| first & 0x03) {
            Some(0x02) => match StatusReport::parse(tpdu) {
                Ok(report) => {
                    let (event, text) = match StatusClass::of(report.status) {
                        StatusClass::Completed => (DlrEvent::Delivered, "Success"),
                        StatusClass::Pending => (DlrEvent::Buffered, "Buffered"),
                        StatusClass::Failed => (DlrEvent::Undelivered, "Failed"),
                    };
                    self.event(LinkEvent::Report {
                        foreign_id: report.reference.to_string(),
                        event,
                        text: Some(format!("{text} (TP-ST 0x{:02X})", report.status).into_bytes()),
                        meta_data: None,
                    });
                    dropped
                }
                Err(error) => {
                    log::warn!("SMSC {smsc_id}: status report dropped: {error}");
                    dropped
                }
            },
            _ => match Deliver::parse(tpdu) {
                Ok(deliver) => {
                    let part = message::received_part(&deliver);
                    self.offer_part(part, smsc_number, now, stored)
                }
                Err(error) => {
                    log::warn!("SMSC {smsc_id}: MO dropped: {error}");
                    dropped
                }
            },
        }
    }

    /// Joins an MO part with its siblings; returns the storage indexes its event (if any)
    /// releases: every stored part of a message that went to the core.
    fn offer_part(
        &mut self,
        part: ReceivedPart,
        smsc_number: Option<String>,
        now: Instant,
        stored: Option<u32>,
    ) -> Vec<u32> {
        let origin: Origin = (part.sender.clone(), part.coding, part.class, part.pid);
        let concat = Udh::parse(&part.udh)
            .ok()
            .and_then(|header| header.concat().ok().flatten());
        match self
            .reassembler
            .offer(origin.clone(), &part.udh, part.payload.clone(), now)
        {
            Ok(Offer::Complete(whole)) => {
                let mut release = whole
                    .reference
                    .and_then(|reference| {
                        self.stored_parts
                            .remove(&(whole.origin.clone(), reference, whole.total))
                    })
                    .unwrap_or_default();
                release.extend(stored);
                let (sender, coding, class, pid) = whole.origin;
                let mut sms = message::mo_sms(
                    ReceivedPart {
                        sender,
                        udh: whole.udh,
                        payload: whole.payload,
                        coding,
                        class,
                        pid,
                    },
                    &self.settings.smsc_id,
                    self.settings.my_number.as_deref(),
                    smsc_number.as_deref(),
                    crate::clock::unix_now_i32(),
                );
                if sms.udhdata.as_ref().is_some_and(Vec::is_empty) {
                    sms.udhdata = None;
                }
                self.event(LinkEvent::Received(Box::new(sms)));
                release
            }
            // Held (or a copy of a part held): it stays in storage with its siblings.
            Ok(_) => match (concat, stored) {
                (Some(concat), Some(index)) => {
                    let key = (origin, concat.reference, concat.total);
                    let indexes = self.stored_parts.entry(key).or_default();
                    if !indexes.contains(&index) {
                        indexes.push(index);
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            },
            Err(error) => {
                log::warn!(
                    "SMSC {}: MO part with a bad header delivered alone: {error}",
                    self.settings.smsc_id
                );
                self.deliver_mo(part);
                stored.into_iter().collect()
            }
        }
    }

    fn deliver_mo(&mut self, part: ReceivedPart) {
        let sms = message::mo_sms(
            part,
            &self.settings.smsc_id,
            self.settings.my_number.as_deref(),
            None,
            crate::clock::unix_now_i32(),
        );
        self.event(LinkEvent::Received(Box::new(sms)));
    }
}

/// `+CMS ERROR` codes (3GPP TS 27.005 §3.2.5) after which sending the same
/// message again cannot help: the number, the subscription or our PDU is
/// wrong. Everything else (network, SIM, memory, unknown) is worth a retry.
fn cms_is_permanent(code: u16) -> bool {
    matches!(
        code,
        1 | 8 | 10 | 21 | 29 | 30 | 50 | 69 | 81 | 95..=97 | 99
            | 128..=191 | 193 | 195..=197 | 303..=305
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use box_protocol::message::Sms;

    fn settings() -> AtSettings {
        let mut settings = AtSettings::new("modem", "/dev/null");
        settings.modem = ModemType::Known(Box::new(ModemDefinition {
            hardware_flow_control: false,
            ..ModemDefinition::default()
        }));
        settings
    }

    /// Answers every command until the session asks for nothing more.
    struct Harness {
        session: Session,
        now: Instant,
        written: Vec<String>,
        events: Vec<LinkEvent>,
        reopen: Option<String>,
    }

    impl Harness {
        fn new(settings: AtSettings) -> Harness {
            let start = Instant::now();
            let mut session = Session::new(settings, start);
            let now = start + SETTLE;
            session.tick(now);
            let mut harness = Harness {
                session,
                now,
                written: Vec::new(),
                events: Vec::new(),
                reopen: None,
            };
            harness.collect();
            harness
        }

        fn collect(&mut self) {
            for output in self.session.take_output() {
                match output {
                    Output::Write(bytes) if bytes == [ESC] => {}
                    Output::Write(bytes) => self
                        .written
                        .push(String::from_utf8_lossy(&bytes).into_owned()),
                    Output::Event(event) => self.events.push(event),
                    Output::Reopen(reason) => self.reopen = Some(reason),
                }
            }
        }

        fn modem_says(&mut self, text: &str) {
            self.session.receive(text.as_bytes(), self.now);
            self.collect();
        }

        fn last_written(&self) -> &str {
            self.written.last().map(String::as_str).unwrap_or_default()
        }

        /// Answers OK to each command until Online.
        fn start(&mut self) {
            for _ in 0..20 {
                if self.session.is_online() {
                    return;
                }
                let answer = if self.last_written() == "AT+CPIN?\r" {
                    "\r\n+CPIN: READY\r\n\r\nOK\r\n"
                } else {
                    "\r\nOK\r\n"
                };
                self.modem_says(answer);
            }
        }
    }

    fn submission(token: i64, text: &str) -> Submission {
        Submission {
            token,
            sms: Box::new(Sms::new_mt("123", "+46700000001", text)),
        }
    }

    #[test]
    fn start_up_goes_through_echo_off_pin_and_pdu_mode_then_online() {
        let mut h = Harness::new(settings());
        h.start();
        assert!(h.session.is_online());
        let sent: Vec<&str> = h.written.iter().map(|s| s.trim_end()).collect();
        assert_eq!(
            sent,
            vec![
                "AT",
                "ATZ",
                "ATE0",
                "AT+CPIN?",
                "AT+CMGF=0",
                "AT+CNMI=1,2,0,1,0"
            ]
        );
        assert!(matches!(h.events.as_slice(), [LinkEvent::Online]));
    }

    #[test]
    fn a_sim_asking_for_a_pin_gets_the_configured_one() {
        let mut s = settings();
        s.pin = Some("1234".into());
        let mut h = Harness::new(s);
        for _ in 0..3 {
            h.modem_says("\r\nOK\r\n");
        }
        assert_eq!(h.last_written(), "AT+CPIN?\r");
        h.modem_says("\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
        assert_eq!(h.last_written(), "AT+CPIN=\"1234\"\r");
    }

    #[test]
    fn a_send_writes_the_pdu_at_the_prompt_and_the_reference_is_the_foreign_id() {
        let mut h = Harness::new(settings());
        h.start();
        h.session.submit(submission(7, "hellohello"), h.now);
        h.collect();
        assert_eq!(h.last_written(), "AT+CMGS=22\r");
        h.modem_says("\r\n> ");
        assert!(h.last_written().starts_with("0001000B916407"));
        assert!(h.last_written().ends_with('\u{1A}'));
        h.modem_says("\r\n+CMGS: 42\r\n\r\nOK\r\n");
        assert!(matches!(
            h.events.last(),
            Some(LinkEvent::Accepted { token: 7, foreign_ids }) if *foreign_ids == ["42"]
        ));
    }

    #[test]
    fn a_cmti_in_the_middle_of_a_send_is_read_after_it() {
        let mut h = Harness::new(settings());
        h.start();
        h.session.submit(submission(1, "hi"), h.now);
        h.collect();
        h.modem_says("\r\n+CMTI: \"SM\",3\r\n> ");
        h.modem_says("\r\n+CMGS: 5\r\n\r\nOK\r\n");
        assert_eq!(h.last_written(), "AT+CMGR=3\r");
        let deliver = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37";
        h.modem_says(&format!("\r\n+CMGR: 0,,39\r\n{deliver}\r\n\r\nOK\r\n"));
        assert_eq!(h.last_written(), "AT+CMGD=3\r");
        let mo = h.events.iter().find_map(|e| match e {
            LinkEvent::Received(sms) => Some(sms.msgdata.clone()),
            _ => None,
        });
        assert_eq!(mo, Some(Some(b"hellohello".to_vec())));
    }

    #[test]
    fn a_cds_becomes_a_report_named_by_the_message_reference() {
        let mut h = Harness::new(settings());
        h.start();
        h.modem_says("\r\n+CDS: 25\r\n07916407058099F9061C0B916407281553F8117011125455801170111254558000\r\n");
        assert!(matches!(
            h.events.last(),
            Some(LinkEvent::Report { foreign_id, event: DlrEvent::Delivered, .. }) if foreign_id == "28"
        ));
        assert_eq!(h.last_written(), "AT+CNMA\r");
    }

    #[test]
    fn cms_errors_fail_a_send_for_good_or_for_now() {
        let mut h = Harness::new(settings());
        h.start();
        h.session.submit(submission(1, "a"), h.now);
        h.collect();
        h.modem_says("\r\n+CMS ERROR: 42\r\n");
        assert!(matches!(
            h.events.last(),
            Some(LinkEvent::FailedTemporarily { token: 1, .. })
        ));
        h.session.submit(submission(2, "b"), h.now);
        h.collect();
        h.modem_says("\r\n> ");
        h.modem_says("\r\n+CMS ERROR: 304\r\n");
        assert!(matches!(
            h.events.last(),
            Some(LinkEvent::FailedPermanently { token: 2, .. })
        ));
    }

    #[test]
    fn a_modem_that_stops_answering_is_reopened() {
        let mut h = Harness::new(settings());
        h.start();
        h.session.submit(submission(1, "a"), h.now);
        h.collect();
        h.session
            .tick(h.now + SEND_TIMEOUT + Duration::from_secs(1));
        h.collect();
        assert!(h.reopen.is_some());
    }

    #[test]
    fn the_modem_type_is_detected_from_ati() {
        let mut s = settings();
        let wavecom = ModemDefinition {
            id: "wavecom".into(),
            name: "Wavecom".into(),
            detect_string: Some("WAVECOM".into()),
            init_string: "AT+CNMI=2,2,0,1,0".into(),
            hardware_flow_control: false,
            ..ModemDefinition::default()
        };
        s.modem = ModemType::Detect(vec![wavecom]);
        let mut h = Harness::new(s);
        for _ in 0..3 {
            h.modem_says("\r\nOK\r\n");
        }
        assert_eq!(h.last_written(), "ATI\r");
        h.modem_says("\r\nWAVECOM MODEM\r\nMULTIBAND 900E 1800\r\n\r\nOK\r\n");
        h.start();
        assert_eq!(h.session.modem().id, "wavecom");
        assert!(h.written.iter().any(|w| w == "AT+CNMI=2,2,0,1,0\r"));
    }

    #[test]
    fn sim_buffering_lists_and_deletes_stored_messages() {
        let mut s = settings();
        s.sim_buffering = true;
        let mut h = Harness::new(s);
        h.start();
        h.session.tick(h.now);
        h.collect();
        assert_eq!(h.last_written(), "AT+CMGL=4\r");
        let deliver = "07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37";
        h.modem_says(&format!("\r\n+CMGL: 2,0,,39\r\n{deliver}\r\n\r\nOK\r\n"));
        assert_eq!(h.last_written(), "AT+CMGD=2\r");
        assert!(h.events.iter().any(|e| matches!(e, LinkEvent::Received(_))));
    }

    #[test]
    fn a_keepalive_probe_goes_out_when_the_modem_is_quiet_and_a_refusal_reopens() {
        let mut s = settings();
        s.keepalive = Some(Duration::from_secs(1));
        let mut h = Harness::new(s);
        h.start();
        h.now += Duration::from_secs(2);
        h.session.tick(h.now);
        h.collect();
        assert_eq!(h.last_written(), "AT\r");
        h.modem_says("\r\nERROR\r\n");
        assert!(h.reopen.is_some());
    }

    #[test]
    fn errors_in_a_row_up_to_the_limit_send_the_reset_string() {
        let mut s = settings();
        s.max_error_count = Some(2);
        s.modem = ModemType::Known(Box::new(ModemDefinition {
            hardware_flow_control: false,
            reset_string: Some("AT+CFUN=1".into()),
            ..ModemDefinition::default()
        }));
        let mut h = Harness::new(s);
        h.start();
        for token in 0..2 {
            h.session.submit(submission(token, "x"), h.now);
            h.collect();
            h.modem_says("\r\n+CMS ERROR: 500\r\n");
        }
        assert_eq!(h.last_written(), "AT+CFUN=1\r");
    }

    /// Part `seq` of `total` (reference 7) of an 8-bit MO from +46709999999, as the modem
    /// hands it over: SCA, then the SMS-DELIVER, in hex.
    fn concat_part_hex(seq: u8, total: u8, text: &str) -> String {
        let deliver = Deliver {
            more_messages: false,
            originator: pdu::Address::from_number("+46709999999").expect("a valid number"),
            pid: 0,
            dcs: 0x04,
            timestamp: pdu::Timestamp([0x52, 0x11, 0x52, 0x21, 0x43, 0x00, 0x00]),
            user_data: pdu::UserData {
                udh: vec![5, 0, 3, 7, total, seq],
                body: text.as_bytes().to_vec(),
            },
        };
        let mut whole = pdu::default_sca();
        whole.extend(deliver.emit().expect("a PDU that fits"));
        pdu::to_hex(&whole)
    }

    fn received(h: &Harness) -> Vec<Vec<u8>> {
        h.events
            .iter()
            .filter_map(|e| match e {
                LinkEvent::Received(sms) => Some(sms.msgdata.clone().unwrap_or_default()),
                _ => None,
            })
            .collect()
    }

    fn deletes(h: &Harness) -> Vec<&str> {
        h.written
            .iter()
            .map(|w| w.trim_end())
            .filter(|w| w.starts_with("AT+CMGD="))
            .collect()
    }

    #[test]
    fn stored_parts_stay_on_the_modem_until_their_message_went_to_the_core() {
        let mut h = Harness::new(settings());
        h.start();
        for (index, seq) in [(1, 2), (2, 1)] {
            h.modem_says(&format!("\r\n+CMTI: \"SM\",{index}\r\n"));
            assert_eq!(h.last_written(), format!("AT+CMGR={index}\r"));
            let hex = concat_part_hex(seq, 3, &format!("part{seq} "));
            h.modem_says(&format!("\r\n+CMGR: 0,,40\r\n{hex}\r\n\r\nOK\r\n"));
        }
        assert!(
            deletes(&h).is_empty(),
            "held parts deleted: {:?}",
            h.written
        );
        assert!(received(&h).is_empty());
        h.modem_says("\r\n+CMTI: \"SM\",3\r\n");
        let hex = concat_part_hex(3, 3, "part3");
        h.modem_says(&format!("\r\n+CMGR: 0,,40\r\n{hex}\r\n\r\nOK\r\n"));
        assert_eq!(received(&h), vec![b"part1 part2 part3".to_vec()]);
        // Deleted one by one after the event, which the driver lets the core commit first.
        assert_eq!(deletes(&h), vec!["AT+CMGD=1"]);
        h.modem_says("\r\nOK\r\n");
        h.modem_says("\r\nOK\r\n");
        assert_eq!(deletes(&h), vec!["AT+CMGD=1", "AT+CMGD=2", "AT+CMGD=3"]);
    }

    #[test]
    fn a_listed_part_seen_again_is_deleted_once_with_its_message() {
        let mut s = settings();
        s.sim_buffering = true;
        let mut h = Harness::new(s);
        h.start();
        let part1 = concat_part_hex(1, 2, "a");
        for _ in 0..2 {
            h.session.tick(h.now);
            h.collect();
            assert_eq!(h.last_written(), "AT+CMGL=4\r");
            h.modem_says(&format!("\r\n+CMGL: 4,0,,30\r\n{part1}\r\n\r\nOK\r\n"));
            h.now += DEFAULT_POLL;
        }
        assert!(deletes(&h).is_empty(), "{:?}", h.written);
        let part2 = concat_part_hex(2, 2, "b");
        h.session.tick(h.now);
        h.collect();
        h.modem_says(&format!(
            "\r\n+CMGL: 4,0,,30\r\n{part1}\r\n+CMGL: 5,0,,30\r\n{part2}\r\n\r\nOK\r\n"
        ));
        assert_eq!(received(&h), vec![b"ab".to_vec()]);
        h.modem_says("\r\nOK\r\n");
        assert_eq!(deletes(&h), vec!["AT+CMGD=4", "AT+CMGD=5"]);
    }

    #[test]
    fn an_expired_message_deletes_the_parts_it_delivered_alone() {
        let mut h = Harness::new(settings());
        h.start();
        h.modem_says("\r\n+CMTI: \"SM\",9\r\n");
        let hex = concat_part_hex(1, 2, "lonely");
        h.modem_says(&format!("\r\n+CMGR: 0,,40\r\n{hex}\r\n\r\nOK\r\n"));
        assert!(deletes(&h).is_empty());
        h.now += REASSEMBLY_TIMEOUT;
        h.session.tick(h.now);
        h.collect();
        assert_eq!(received(&h), vec![b"lonely".to_vec()]);
        assert_eq!(deletes(&h), vec!["AT+CMGD=9"]);
    }
}

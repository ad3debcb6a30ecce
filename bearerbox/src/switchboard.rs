//! The switchboard: where messages from boxes meet the SMSC links, and MO
//! messages and delivery reports from the links meet the boxes.
//!
//! ```text
//!  box ──sms──▶ accept_mt ──▶ store (commit) ──▶ ack to box
//!                                  │
//!                  dispatch ◀──────┘ lanes (windows of the store)
//!                     │
//!                     ▼
//!        link driver ──LinkEvent──▶ on_link_event ──▶ delete / defer / DLR record
//!                                        │ MO, reports
//!                                        ▼
//!                                  store (ToBox lanes) ──▶ dispatch to boxes ──ack──▶ delete
//! ```
//!
//! One task's state: the switchboard lives in an `Rc<RefCell<_>>` on
//! bearerbox's single-threaded executor, and no borrow is ever held across
//! an `.await` (every await point — a store commit — drops it first).
//!
//! What the store holds decides what survives a crash: an MT is acked to its
//! box only after its commit, and leaves the store only when its link
//! accepted it or it failed for good; an MO or report leaves only when a box
//! acked it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use box_protocol::message::{AckStatus, Msg, Sms, SmsType};
use smol::channel::Sender;
use uuid::Uuid;

use crate::boxc::Outgoing;
use crate::clock::unix_now;
use crate::dlr::DlrEvent;
use crate::lane::{Lane, Queued, WINDOW};
use crate::router::{self, LinkState};
use crate::settings::BoxRoute;
use crate::settings::{LinkSettings, Settings};
use crate::smsc::{LinkEvent, Submission};
use crate::store::{
    Completion, Direction, DlrRecord, NewMessage, ReportOutcome, ReportQuery, Store, StoredMessage,
};

/// The lane of MO messages and reports for any box without an smsbox-id.
const ANY_BOX: &str = "box:";

pub type Shared = Rc<RefCell<Switchboard>>;

/// What bearerbox is doing, as the admin interface moves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Running,
    /// No new MT accepted from boxes (answered with a temporary failure).
    Suspended,
    /// No MO taken from the links.
    Isolated,
    /// Finishing what is in flight; nothing new is taken.
    ShuttingDown,
}

/// A link as the switchboard sees it.
pub struct Link {
    pub settings: LinkSettings,
    pub state: LinkState,
    pub submit: Sender<Submission>,
    /// Submitted and not yet answered, by store seq.
    pub(crate) in_flight: HashMap<i64, (String, Queued)>,
    /// Accepted by the SMSC, their removal from the store not yet committed.
    /// They still count against the window: a crash now would send them
    /// again, so at most `max-pending-submits` can come twice.
    pub(crate) completing: usize,
    pub sent: u64,
    pub failed: u64,
    pub received: u64,
    /// Unix seconds when it last came online.
    pub online_since: Option<i64>,
    /// Taken out by `remove-smsc` or a graceful restart. The slot stays, so
    /// that the indices stored lanes name keep their meaning.
    pub removed: bool,
    /// Counts the driver runs of this slot: events from a driver that was
    /// stopped must not move the state of the one started after it.
    pub generation: u64,
}

impl AsRef<router::SmscRules> for Link {
    fn as_ref(&self) -> &router::SmscRules {
        &self.settings.rules
    }
}

impl Link {
    fn new(settings: LinkSettings, submit: Sender<Submission>) -> Link {
        Link {
            state: LinkState {
                online: false,
                stopped: settings.dead_start,
                load: 0,
            },
            settings,
            submit,
            in_flight: HashMap::new(),
            completing: 0,
            sent: 0,
            failed: 0,
            received: 0,
            online_since: None,
            removed: false,
            generation: 0,
        }
    }
}

/// A connected box.
pub struct BoxConn {
    pub id: u64,
    /// Its smsbox-id, once it identified.
    pub smsbox_id: Option<String>,
    /// Kannel sends MO only to boxes that identified or sent an sms.
    pub routable: bool,
    pub outbox: Sender<Outgoing>,
    /// Sent and not yet acked, by message id.
    pub(crate) pending: HashMap<Uuid, (String, Queued)>,
    pub peer: String,
    /// Unix seconds when it connected.
    pub connected_at: i64,
}

pub struct Switchboard {
    pub settings: Settings,
    pub store: Store,
    pub links: Vec<Link>,
    pub(crate) lanes: HashMap<String, Lane>,
    pub(crate) box_lanes: HashMap<String, Lane>,
    pub boxes: Vec<BoxConn>,
    pub(crate) next_box: u64,
    pub(crate) box_cursor: usize,
    pub lifecycle: Lifecycle,
    /// Unix seconds at start, for uptimes.
    pub started_at: i64,
    /// MT messages taken from boxes, MO and reports taken from links.
    pub mt_received: u64,
    pub mo_received: u64,
    pub reports_received: u64,
    /// MO and reports acked by boxes.
    pub to_boxes_done: u64,
    /// Delivery reports whose message id matched no record.
    pub dlr_misses: u64,
    /// See [`Switchboard::completions`].
    after_commit: Option<Sender<AfterCommit>>,
    /// Reports that matched nothing yet, waiting to be tried again.
    parked_reports: Vec<ParkedReport>,
    /// MT messages in the store.
    pub queued_mt: usize,
    /// MT sent by links whose counters were reset (`start-smsc`) or that
    /// were removed: the gateway's total does not go down with them.
    pub sent_retired: u64,
    pub(crate) wake: Sender<()>,
    /// Open while suspended: MT from boxes wait on it unanswered, as
    /// Kannel's box readers wait, and go on when it closes.
    suspended_gate: Option<(Sender<()>, smol::channel::Receiver<()>)>,
}

/// Why the MT of a box was answered as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    Accepted,
    Queued,
    NotRoutable,
    TryLater,
}

impl Acceptance {
    pub fn ack_status(self) -> AckStatus {
        match self {
            Acceptance::Accepted => AckStatus::Success,
            Acceptance::Queued => AckStatus::Buffered,
            Acceptance::NotRoutable => AckStatus::Failed,
            Acceptance::TryLater => AckStatus::FailedTmp,
        }
    }
}

/// The lane of an MT message is its candidate links, best first.
fn mt_lane(candidates: &[usize]) -> String {
    let ids: Vec<String> = candidates.iter().map(usize::to_string).collect();
    format!("smsc:{}", ids.join(","))
}

fn parse_mt_lane(lane: &str, links: usize) -> Option<Vec<usize>> {
    let list = lane.strip_prefix("smsc:")?;
    if list.is_empty() {
        return Some(Vec::new());
    }
    list.split(',')
        .map(|item| item.parse::<usize>().ok().filter(|&index| index < links))
        .collect()
}

fn decode(stored: StoredMessage) -> Option<Queued> {
    match Msg::decode(&stored.payload) {
        Ok(Msg::Sms(sms)) => Some(Queued {
            seq: stored.seq,
            sms,
            tries: stored.tries,
            not_before: stored.not_before,
            accepted_at: stored.accepted_at,
            durable: true,
        }),
        Ok(other) => {
            log::error!(
                "store: message {} is a {}, not an sms; skipped",
                stored.seq,
                other.type_name()
            );
            None
        }
        Err(error) => {
            log::error!(
                "store: message {} cannot be decoded ({error}); skipped",
                stored.seq
            );
            None
        }
    }
}

fn text(bytes: &Option<Vec<u8>>) -> String {
    String::from_utf8_lossy(bytes.as_deref().unwrap_or_default()).into_owned()
}

impl Switchboard {
    pub fn new(
        settings: Settings,
        store: Store,
        submits: Vec<Sender<Submission>>,
        wake: Sender<()>,
    ) -> Switchboard {
        let links = settings
            .links
            .iter()
            .cloned()
            .zip(submits)
            .map(|(settings, submit)| Link::new(settings, submit))
            .collect();
        Switchboard {
            settings,
            store,
            links,
            lanes: HashMap::new(),
            box_lanes: HashMap::new(),
            boxes: Vec::new(),
            next_box: 1,
            box_cursor: 0,
            lifecycle: Lifecycle::Running,
            started_at: unix_now(),
            mt_received: 0,
            mo_received: 0,
            reports_received: 0,
            to_boxes_done: 0,
            dlr_misses: 0,
            queued_mt: 0,
            sent_retired: 0,
            wake,
            suspended_gate: None,
            after_commit: None,
            parked_reports: Vec::new(),
        }
    }

    /// Where changes whose commit the switchboard must act on go to be
    /// awaited, in the order they were queued to the store; the runtime
    /// reads the other end and calls [`Switchboard::committed`].
    pub fn completions(&mut self) -> smol::channel::Receiver<AfterCommit> {
        let (sender, receiver) = smol::channel::unbounded();
        self.after_commit = Some(sender);
        receiver
    }

    fn after_commit(&self, pending: AfterCommit) {
        if let Some(queue) = &self.after_commit {
            let _ = queue.try_send(pending);
        }
    }

    /// Answered once every change queued so far was acted on after its
    /// commit (an MO appended to its lane, say); `None` without the queue.
    pub fn after_commits_passed(&self) -> Option<smol::channel::Receiver<()>> {
        let queue = self.after_commit.as_ref()?;
        let (reply, passed) = smol::channel::bounded(1);
        queue.try_send(AfterCommit::Passed { reply }).ok()?;
        Some(passed)
    }

    /// Awaits each change of `queue` in turn and acts on it: the store
    /// commits in queue order, so by the time the first of a batch is
    /// answered the others are too.
    pub async fn run_after_commit(shared: &Shared, queue: smol::channel::Receiver<AfterCommit>) {
        // Links with an MO or report whose commit failed since their last
        // Flush: that Flush must not let them acknowledge it.
        let mut failed: std::collections::HashSet<usize> = std::collections::HashSet::new();
        while let Ok(pending) = queue.recv().await {
            match pending {
                AfterCommit::Released { link, done } => {
                    if let Err(error) = done.wait().await {
                        log::error!("{error}");
                    }
                    shared.borrow_mut().released(link);
                }
                AfterCommit::ToBox {
                    lane,
                    link,
                    seq,
                    sms,
                    done,
                } => match done.wait().await {
                    Ok(_) => shared.borrow_mut().box_lane_committed(lane, seq, sms),
                    Err(error) => {
                        log::error!("{error}");
                        failed.extend(link);
                        // A commit reported failed may still be on disk: the
                        // lane reads the store again rather than pass it by.
                        shared.borrow_mut().box_lane_filled(lane);
                    }
                },
                AfterCommit::Report { report, done } => match done.wait().await {
                    Ok(ReportOutcome::Forwarded { lane, seq, payload }) => {
                        match Msg::decode(&payload) {
                            Ok(Msg::Sms(sms)) => {
                                shared.borrow_mut().box_lane_committed(lane, seq, sms)
                            }
                            // Not ours to read here: the lane reads it from the store.
                            _ => shared.borrow_mut().box_lane_filled(lane),
                        }
                    }
                    Ok(ReportOutcome::Absorbed) => {}
                    Ok(ReportOutcome::Unmatched) => shared.borrow_mut().unmatched_report(report),
                    Err(error) => {
                        log::error!("{error}");
                        failed.insert(report.link);
                        // As above; which lane it would have gone to is not known.
                        shared.borrow_mut().box_lanes_reread();
                    }
                },
                AfterCommit::Flush { link, done, reply } => {
                    // On error the link must not acknowledge: its SMSC sends
                    // those messages again.
                    let committed = done.wait().await.is_ok() && !failed.remove(&link);
                    let _ = reply.try_send(committed);
                }
                AfterCommit::Passed { reply } => {
                    let _ = reply.try_send(());
                }
            }
        }
    }

    /// Something was committed on a box lane: it has something to read.
    fn box_lane_filled(&mut self, lane: String) {
        self.box_lanes.entry(lane).or_default().exhausted = false;
        self.poke();
    }

    /// Every box lane reads the store again from its cursor.
    fn box_lanes_reread(&mut self) {
        for lane in self.box_lanes.values_mut() {
            lane.exhausted = false;
        }
        self.poke();
    }

    /// Message `seq` (`sms`) is on disk on a box lane. A lane that has read
    /// everything before it takes it as it is, instead of reading it back
    /// from the store; any other reads it in turn.
    ///
    /// Every box-lane commit is told here in commit order (the after-commit
    /// queue is the store's queue order, which is `seq` order), so a lane
    /// caught up when `seq` is told holds, or has finished, everything
    /// before it. A refill that already read `seq` moved the cursor past it.
    fn box_lane_committed(&mut self, lane: String, seq: i64, sms: Box<Sms>) {
        let entry = self.box_lanes.entry(lane).or_default();
        if entry.exhausted && entry.unread_commits == 0 && entry.room() > 0 && seq > entry.cursor {
            entry.cursor = seq;
            entry.window.push_back(Queued {
                seq,
                sms,
                tries: 0,
                not_before: 0,
                accepted_at: unix_now(),
                durable: true,
            });
        } else {
            entry.exhausted = false;
        }
        self.poke();
    }

    /// An accepted message of link `index` is out of the store: its window
    /// slot is free.
    pub fn released(&mut self, index: usize) {
        if let Some(link) = self.links.get_mut(index) {
            link.completing = link.completing.saturating_sub(1);
        }
        self.poke();
    }

    /// Finds the lanes the store holds from an earlier run.
    pub fn resume(&mut self) -> Result<(usize, usize), crate::store::StoreError> {
        let mut mt = 0;
        let mut mo = 0;
        for status in self.store.lanes()? {
            match status.direction {
                Direction::ToSmsc => {
                    mt += status.count as usize;
                    self.lanes.entry(status.lane).or_default();
                }
                Direction::ToBox => {
                    mo += status.count as usize;
                    self.box_lanes.entry(status.lane).or_default();
                }
            }
        }
        self.queued_mt = mt;
        self.poke();
        Ok((mt, mo))
    }

    pub(crate) fn poke(&self) {
        let _ = self.wake.try_send(());
    }

    fn states(&self) -> Vec<LinkState> {
        self.links.iter().map(|link| link.state).collect()
    }

    /// Moves the lifecycle; leaving `Suspended` releases the MT held.
    pub fn set_lifecycle(&mut self, lifecycle: Lifecycle) {
        self.lifecycle = lifecycle;
        if lifecycle == Lifecycle::Suspended {
            if self.suspended_gate.is_none() {
                self.suspended_gate = Some(smol::channel::bounded(1));
            }
        } else if let Some((gate, _)) = self.suspended_gate.take() {
            gate.close();
        }
        self.poke();
    }

    // ---- links coming and going -------------------------------------------

    /// A link is no longer connected: what it had not answered goes back to
    /// its lanes, for it or another allowed link to take.
    pub fn link_down(&mut self, index: usize) {
        let Some(link) = self.links.get_mut(index) else {
            return;
        };
        link.state.online = false;
        link.online_since = None;
        link.state.load = 0;
        let mut unanswered: Vec<(String, Queued)> =
            link.in_flight.drain().map(|(_, v)| v).collect();
        // Put back newest first, so the oldest ends up at the front: the
        // lane keeps its order (the map gave them in no order at all).
        unanswered.sort_by_key(|(_, message)| std::cmp::Reverse(message.seq));
        for (lane, message) in unanswered {
            self.lanes.entry(lane).or_default().put_back(message);
        }
        self.poke();
    }

    /// A new link in a new slot; its index.
    pub fn add_link(&mut self, settings: LinkSettings, submit: Sender<Submission>) -> usize {
        let mut link = Link::new(settings, submit);
        // Added by an operator: started now, whatever `dead-start` says.
        link.state.stopped = false;
        self.links.push(link);
        self.links.len() - 1
    }

    /// Takes a stopped link out for good; its slot stays reserved. Messages
    /// only it could carry are routed anew by the next dispatch.
    pub fn retire_link(&mut self, index: usize) {
        let Some(link) = self.links.get_mut(index) else {
            return;
        };
        link.removed = true;
        link.state.stopped = true;
        self.sent_retired += link.sent;
        link.sent = 0;
        self.poke();
    }

    /// A link started again (`start-smsc`): Kannel's counters restart at 0.
    pub fn restart_link(
        &mut self,
        index: usize,
        settings: LinkSettings,
        submit: Sender<Submission>,
    ) {
        let Some(link) = self.links.get_mut(index) else {
            return;
        };
        self.sent_retired += link.sent;
        let generation = link.generation + 1;
        *link = Link::new(settings, submit);
        link.state.stopped = false;
        link.generation = generation;
        self.poke();
    }

    // ---- MT from boxes -------------------------------------------------

    /// Decides what to do with an MT from a box, before it is stored.
    fn plan_mt(&self, sms: &mut Sms, now: i64) -> Result<String, Acceptance> {
        if self.lifecycle != Lifecycle::Running && self.lifecycle != Lifecycle::Isolated {
            return Err(Acceptance::TryLater);
        }
        let receiver = text(&sms.receiver);
        if receiver.trim().is_empty() {
            return Err(Acceptance::NotRoutable);
        }
        if sms
            .validity
            .is_some_and(|validity| i64::from(validity) < now)
        {
            return Err(Acceptance::NotRoutable);
        }
        let receiver = self.settings.unified_prefix.normalise(receiver.trim());
        sms.receiver = Some(receiver.clone().into_bytes());
        let hint = sms
            .smsc_id
            .as_ref()
            .map(|id| String::from_utf8_lossy(id).into_owned());
        let candidates =
            router::candidates(&self.links, &self.states(), hint.as_deref(), &receiver);
        if candidates.is_empty() {
            return Err(Acceptance::NotRoutable);
        }
        if self.queued_mt >= self.settings.outgoing_queue_limit {
            return Err(Acceptance::TryLater);
        }
        Ok(mt_lane(&candidates))
    }

    fn any_online(&self, lane: &str) -> bool {
        parse_mt_lane(lane, self.links.len())
            .unwrap_or_default()
            .iter()
            .any(|&index| self.links[index].state.online)
    }

    /// Takes an MT from a box: routes it, commits it, says what to answer.
    pub async fn accept_mt(shared: &Shared, mut sms: Box<Sms>) -> Acceptance {
        // Suspended, Kannel reads nothing more from its boxes: their MT are
        // answered once it resumes (or told to try later at shutdown).
        let gate = shared
            .borrow()
            .suspended_gate
            .as_ref()
            .map(|(_, gate)| gate.clone());
        if let Some(gate) = gate {
            // Nothing is ever sent: it ends when the gate closes.
            let _ = gate.recv().await;
        }
        let now = unix_now();
        let (lane, store) = {
            let board = shared.borrow();
            match board.plan_mt(&mut sms, now) {
                Ok(lane) => (lane, board.store.clone()),
                Err(refusal) => return refusal,
            }
        };
        if sms.time.is_none() {
            sms.time = Some(now as i32);
        }
        let message = NewMessage {
            direction: Direction::ToSmsc,
            lane: lane.clone(),
            accepted_at: now,
            payload: Msg::sms_to_bytes(&sms),
        };
        let (seqs, done) = store.insert_numbered(vec![message]);
        let seq = seqs.first().copied().unwrap_or_default();
        let placement = shared
            .borrow_mut()
            .lanes
            .entry(lane.clone())
            .or_default()
            .committing(Queued {
                seq,
                sms,
                tries: 0,
                not_before: 0,
                accepted_at: now,
                durable: false,
            });
        let committed = done.wait().await;
        if let Some(lane) = shared.borrow_mut().lanes.get_mut(&lane) {
            lane.committed(seq, placement, committed.is_ok());
        }
        match committed {
            Ok(_) => {
                let mut board = shared.borrow_mut();
                board.queued_mt += 1;
                board.mt_received += 1;
                let online = board.any_online(&lane);
                board.poke();
                if online {
                    Acceptance::Accepted
                } else {
                    Acceptance::Queued
                }
            }
            Err(error) => {
                log::error!("{error}; the box is told to try again");
                Acceptance::TryLater
            }
        }
    }

    // ---- dispatching -----------------------------------------------------

    /// Moves what can move: MT to links, MO and reports to boxes. Returns the
    /// earliest time a deferred message waits for.
    pub fn dispatch(&mut self) -> Option<i64> {
        let now = unix_now();
        let mut next_due = None;
        // Suspended or stopping: nothing new goes to the SMSCs; what waits
        // stays in the store.
        let sending = matches!(self.lifecycle, Lifecycle::Running | Lifecycle::Isolated);
        let lane_names: Vec<String> = if sending {
            self.lanes.keys().cloned().collect()
        } else {
            Vec::new()
        };
        for name in lane_names {
            if let Some(due) = self.dispatch_mt_lane(&name, now) {
                next_due = Some(next_due.map_or(due, |d: i64| d.min(due)));
            }
        }
        // Stopping: nothing new goes to the boxes either, so that what they
        // were sent can be acked before they are told goodbye.
        let box_lane_names: Vec<String> = if self.lifecycle == Lifecycle::ShuttingDown {
            Vec::new()
        } else {
            self.box_lanes.keys().cloned().collect()
        };
        for name in box_lane_names {
            self.dispatch_box_lane(&name, now);
        }
        if let Some(due) = self.retry_reports(now) {
            next_due = Some(next_due.map_or(due, |d: i64| d.min(due)));
        }
        next_due
    }

    fn refill(&mut self, direction: Direction, name: &str, now: i64) {
        let lanes = match direction {
            Direction::ToSmsc => &mut self.lanes,
            Direction::ToBox => &mut self.box_lanes,
        };
        let Some(lane) = lanes.get_mut(name) else {
            return;
        };
        if !lane.wants_refill() {
            return;
        }
        let limit = lane.room();
        match self.store.read_lane(direction, name, lane.cursor, limit) {
            Ok(rows) => {
                let complete = rows.len() < limit;
                // The cursor must pass rows that fail to decode too.
                if let Some(last) = rows.last() {
                    lane.cursor = lane.cursor.max(last.seq);
                }
                let messages = rows.into_iter().filter_map(decode).collect();
                lane.refilled(messages, complete, now);
            }
            Err(error) => log::error!("{error}"),
        }
    }

    fn dispatch_mt_lane(&mut self, name: &str, now: i64) -> Option<i64> {
        self.refill(Direction::ToSmsc, name, now);
        // A removed link is no candidate; a lane left with none is routed
        // anew, message by message, as a lane from an older configuration is.
        let candidates = parse_mt_lane(name, self.links.len())
            .map(|candidates| {
                candidates
                    .into_iter()
                    .filter(|&index| !self.links[index].removed)
                    .collect::<Vec<_>>()
            })
            .filter(|candidates| !candidates.is_empty());
        let lane = self.lanes.get_mut(name)?;
        let next_due = lane.release_due(now);
        while let Some(front) = lane.ready_front() {
            let message_candidates = match &candidates {
                Some(candidates) => candidates.clone(),
                // A lane from an older configuration: route each message anew.
                None => {
                    let states: Vec<LinkState> = self.links.iter().map(|link| link.state).collect();
                    let hint = front
                        .sms
                        .smsc_id
                        .as_ref()
                        .map(|id| String::from_utf8_lossy(id).into_owned());
                    router::candidates(
                        &self.links,
                        &states,
                        hint.as_deref(),
                        &text(&front.sms.receiver),
                    )
                }
            };
            if message_candidates.is_empty() {
                let Some(message) = lane.window.pop_front() else {
                    break;
                };
                log::warn!(
                    "message {} has no SMSC any more: failed for good",
                    message.sms.id
                );
                self.store.delete(vec![message.seq]).detach();
                self.queued_mt = self.queued_mt.saturating_sub(1);
                let sms = message.sms.clone();
                self.report_locally(&sms, DlrEvent::SmscNack, "NACK/No route", None);
                return next_due;
            }
            let states: Vec<LinkState> = self.links.iter().map(|link| link.state).collect();
            let links = &self.links;
            let Some(index) = router::pick(&self.links, &states, &message_candidates, |index| {
                links.get(index).is_some_and(|link| {
                    link.in_flight.len() + link.completing < link.settings.max_pending
                })
            }) else {
                break;
            };
            let Some(message) = lane.window.pop_front() else {
                break;
            };
            let link = &mut self.links[index];
            let mut sms = message.sms.clone();
            // The link's own unified-prefix, after the core's (applied on acceptance).
            let receiver = link.settings.unified_prefix.normalise(&text(&sms.receiver));
            sms.receiver = Some(receiver.into_bytes());
            let submission = Submission {
                token: message.seq,
                sms,
            };
            if link.submit.try_send(submission).is_err() {
                lane.window.push_front(message);
                break;
            }
            link.state.load += 1;
            link.in_flight
                .insert(message.seq, (name.to_owned(), message));
        }
        next_due
    }

    // ---- events from links -------------------------------------------------

    pub async fn on_link_event(shared: &Shared, index: usize, event: LinkEvent) {
        match event {
            LinkEvent::Online => {
                let mut board = shared.borrow_mut();
                if let Some(link) = board.links.get_mut(index) {
                    log::info!("SMSC {} is online", link.settings.rules.smsc_id);
                    link.state.online = true;
                    link.online_since = Some(unix_now());
                }
                board.poke();
            }
            LinkEvent::Offline { reason } => {
                let mut board = shared.borrow_mut();
                let Some(link) = board.links.get_mut(index) else {
                    return;
                };
                log::warn!("SMSC {} is offline: {reason}", link.settings.rules.smsc_id);
                board.link_down(index);
            }
            LinkEvent::Accepted { token, foreign_ids } => {
                let Some((message, smsc_id, id_forms)) = shared.borrow_mut().finish(index, token)
                else {
                    return;
                };
                let store = shared.borrow().store.clone();
                let deleted = store.delete(vec![token]);
                shared.borrow().after_commit(AfterCommit::Released {
                    link: index,
                    done: deleted,
                });
                {
                    let mut board = shared.borrow_mut();
                    board.queued_mt = board.queued_mt.saturating_sub(1);
                    if let Some(link) = board.links.get_mut(index) {
                        link.sent += 1;
                    }
                }
                let mask = message.sms.dlr_mask;
                if DlrEvent::SmscAck.wanted_by(mask) {
                    shared.borrow_mut().report_locally(
                        &message.sms,
                        DlrEvent::SmscAck,
                        "ACK/",
                        Some(&smsc_id),
                    );
                }
                let wants_final = [
                    DlrEvent::Delivered,
                    DlrEvent::Undelivered,
                    DlrEvent::Buffered,
                ]
                .iter()
                .any(|event| event.wanted_by(mask));
                // An empty id names nothing a receipt could refer to: the
                // message's story is told by the parts that have one (a part
                // waiting for a report that cannot come would leave it
                // untold for ever).
                let keys: Vec<String> = if wants_final {
                    foreign_ids
                        .iter()
                        .filter(|id| !id.is_empty())
                        .map(|id| id_forms.submit_key(id))
                        .collect()
                } else {
                    Vec::new()
                };
                if !keys.is_empty() {
                    store
                        .record_dlr(DlrRecord {
                            smsc_id,
                            keys,
                            created_at: unix_now(),
                            payload: Msg::sms_to_bytes(&message.sms),
                        })
                        .detach();
                }
                shared.borrow().poke();
            }
            LinkEvent::FailedTemporarily { token, reason } => {
                let mut board = shared.borrow_mut();
                let Some(link) = board.links.get_mut(index) else {
                    return;
                };
                let Some((lane, mut message)) = link.in_flight.remove(&token) else {
                    return;
                };
                link.state.load = link.state.load.saturating_sub(1);
                message.tries += 1;
                let exhausted = board
                    .settings
                    .resend_retry
                    .is_some_and(|limit| message.tries > limit);
                if exhausted {
                    log::warn!(
                        "message {} failed {} times ({reason}): given up",
                        message.sms.id,
                        message.tries
                    );
                    board.store.delete(vec![message.seq]).detach();
                    board.queued_mt = board.queued_mt.saturating_sub(1);
                    let smsc_id = board
                        .links
                        .get(index)
                        .map(|link| link.settings.rules.smsc_id.clone());
                    board.report_locally(
                        &message.sms,
                        DlrEvent::SmscNack,
                        "NACK/Retries Exceeded",
                        smsc_id.as_deref(),
                    );
                } else {
                    // sms-resend-freq, doubling with each failure up to 16 times it:
                    // an SMSC that keeps refusing is not hammered.
                    let backoff = 1i64 << (message.tries - 1).clamp(0, 4);
                    message.not_before = unix_now() + board.settings.resend_freq * backoff;
                    log::info!(
                        "message {} failed temporarily ({reason}); retry {} at {}",
                        message.sms.id,
                        message.tries,
                        message.not_before
                    );
                    board
                        .store
                        .defer(message.seq, message.not_before, message.tries)
                        .detach();
                    board.lanes.entry(lane).or_default().deferred.push(message);
                }
                board.poke();
            }
            LinkEvent::FailedPermanently { token, reason } => {
                let mut board = shared.borrow_mut();
                let Some(link) = board.links.get_mut(index) else {
                    return;
                };
                let Some((_, message)) = link.in_flight.remove(&token) else {
                    return;
                };
                link.state.load = link.state.load.saturating_sub(1);
                link.failed += 1;
                log::warn!("message {} failed for good: {reason}", message.sms.id);
                board.store.delete(vec![message.seq]).detach();
                board.queued_mt = board.queued_mt.saturating_sub(1);
                let smsc_id = board
                    .links
                    .get(index)
                    .map(|link| link.settings.rules.smsc_id.clone());
                board.report_locally(
                    &message.sms,
                    DlrEvent::SmscNack,
                    &format!("NACK/{reason}"),
                    smsc_id.as_deref(),
                );
                board.poke();
            }
            LinkEvent::Received(sms) => {
                if shared.borrow().lifecycle == Lifecycle::Isolated {
                    log::info!("isolated: MO from link {index} dropped before it was taken");
                    return;
                }
                let mut sms = *sms;
                let reroute = {
                    let mut board = shared.borrow_mut();
                    board.mo_received += 1;
                    let core_prefix = board.settings.unified_prefix.clone();
                    let Some(link) = board.links.get_mut(index) else {
                        return;
                    };
                    link.received += 1;
                    // The sender: the link's rules first, then the core's, as Kannel.
                    let sender = link.settings.unified_prefix.normalise(&text(&sms.sender));
                    sms.sender = Some(core_prefix.normalise(&sender).into_bytes());
                    // A loopback link's MO is an MT turned round already; its
                    // reroute-smsc-id only names it (see smsc::loopback).
                    if matches!(
                        link.settings.driver,
                        crate::settings::DriverSettings::Loopback
                    ) {
                        None
                    } else {
                        link.settings
                            .reroute
                            .target(&text(&sms.receiver), sms.is_report())
                    }
                };
                match reroute {
                    None => shared.borrow_mut().queue_to_boxes(sms, Some(index)),
                    Some(hint) => {
                        // Kannel's reroute: the MO goes straight back out as an MT.
                        sms.sms_type = Some(SmsType::MtPush);
                        if let Some(hint) = hint {
                            sms.smsc_id = Some(hint.into_bytes());
                        }
                        let id = sms.id;
                        let acceptance = Switchboard::accept_mt(shared, Box::new(sms)).await;
                        log::info!("MO {id} rerouted as an MT: {acceptance:?}");
                    }
                }
            }
            LinkEvent::Report {
                foreign_id,
                event,
                text,
                meta_data,
            } => {
                let mut board = shared.borrow_mut();
                board.reports_received += 1;
                board.resolve_report(ParkedReport {
                    due: 0,
                    link: index,
                    foreign_id,
                    event,
                    text,
                    meta_data,
                    attempt: 0,
                });
            }
            // The store commits in order: once the barrier is on disk, so is
            // everything the link sent before it.
            LinkEvent::Flush(reply) => {
                let board = shared.borrow();
                let done = board.store.barrier();
                board.after_commit(AfterCommit::Flush {
                    link: index,
                    done,
                    reply,
                });
            }
        }
    }

    fn finish(
        &mut self,
        index: usize,
        token: i64,
    ) -> Option<(Queued, String, crate::foreign_id::IdForms)> {
        let link = self.links.get_mut(index)?;
        let (_, message) = link.in_flight.remove(&token)?;
        link.state.load = link.state.load.saturating_sub(1);
        link.completing += 1;
        Some((
            message,
            link.settings.rules.smsc_id.clone(),
            link.settings.id_forms,
        ))
    }

    /// Matches a report from link `report.link` to its record and commits what
    /// its user sees, in one trip through the store.
    fn resolve_report(&mut self, report: ParkedReport) {
        let Some(link) = self.links.get(report.link) else {
            return;
        };
        let smsc_id = link.settings.rules.smsc_id.clone();
        let query = ReportQuery {
            smsc_id: smsc_id.clone(),
            keys: link.settings.id_forms.receipt_keys(&report.foreign_id),
            event: report.event,
        };
        let routes = self.settings.box_routes.clone();
        let (foreign_id, receipt) = (report.foreign_id.clone(), report.text.clone());
        let receipt_meta = report.meta_data.clone();
        let done = self.store.resolve_report(
            query,
            Box::new(move |payload, shown| {
                let Ok(Msg::Sms(mt)) = Msg::decode(payload) else {
                    return None;
                };
                if !shown.wanted_by(mt.dlr_mask) {
                    return None;
                }
                let text = receipt.unwrap_or_default();
                let mut sms = report_for(&mt, shown, text, Some(&smsc_id));
                sms.foreign_id = Some(foreign_id.into_bytes());
                if let (Some(meta), Some(extra)) = (sms.meta_data.as_mut(), receipt_meta) {
                    meta.extend_from_slice(&extra);
                }
                Some(NewMessage {
                    direction: Direction::ToBox,
                    lane: box_lane_for(&routes, &sms),
                    accepted_at: unix_now(),
                    payload: Msg::sms_to_bytes(&sms),
                })
            }),
        );
        self.after_commit(AfterCommit::Report { report, done });
    }

    /// A report that matched nothing may have overtaken its submission's
    /// answer (an HTTP supplier's callback racing its reply, an SMSC sending
    /// the receipt before submit_sm_resp): it is tried again a little later
    /// before it counts as unknown.
    fn unmatched_report(&mut self, mut report: ParkedReport) {
        match REPORT_RETRIES.get(report.attempt) {
            Some(&delay) => {
                report.attempt += 1;
                report.due = unix_now() + delay;
                self.parked_reports.push(report);
                self.poke();
            }
            None => {
                self.dlr_misses += 1;
                let smsc_id = self
                    .links
                    .get(report.link)
                    .map_or("?", |link| link.settings.rules.smsc_id.as_str());
                log::warn!(
                    "SMSC {smsc_id}: delivery report for unknown message id '{}' ignored",
                    report.foreign_id
                );
            }
        }
    }

    /// Tries the parked reports whose time came; the earliest time another waits for.
    fn retry_reports(&mut self, now: i64) -> Option<i64> {
        // Run by every dispatch: nothing to do, nothing to allocate.
        if self.parked_reports.is_empty() {
            return None;
        }
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.parked_reports)
            .into_iter()
            .partition(|report| report.due <= now);
        self.parked_reports = waiting;
        for report in due {
            self.resolve_report(report);
        }
        self.parked_reports.iter().map(|report| report.due).min()
    }

    /// A report bearerbox makes itself (SMSC ack, refusal, expiry): queued
    /// for the boxes in the background.
    fn report_locally(&mut self, mt: &Sms, event: DlrEvent, text: &str, smsc_id: Option<&str>) {
        if !event.wanted_by(mt.dlr_mask) {
            return;
        }
        let report = report_for(mt, event, text.as_bytes().to_vec(), smsc_id);
        self.queue_to_boxes(report, None);
    }

    // ---- MO and reports to boxes ---------------------------------------------

    /// Commits an MO or a report for the boxes; its lane is read once the
    /// commit is on disk (a lane marked before would be read too early and
    /// fall asleep with the message unread).
    /// `link`: the link it came from, whose next Flush reports a failed commit.
    pub fn queue_to_boxes(&mut self, sms: Sms, link: Option<usize>) {
        let lane = box_lane_for(&self.settings.box_routes, &sms);
        let message = NewMessage {
            direction: Direction::ToBox,
            lane: lane.clone(),
            accepted_at: unix_now(),
            payload: Msg::sms_to_bytes(&sms),
        };
        let (seqs, done) = self.store.insert_numbered(vec![message]);
        let seq = seqs.first().copied().unwrap_or_default();
        self.after_commit(AfterCommit::ToBox {
            lane,
            link,
            seq,
            sms: Box::new(sms),
            done,
        });
    }

    fn dispatch_box_lane(&mut self, name: &str, now: i64) {
        self.refill(Direction::ToBox, name, now);
        let max_pending = self.settings.smsbox_max_pending;
        let wanted_id = name
            .strip_prefix("box:")
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        let Some(lane) = self.box_lanes.get_mut(name) else {
            return;
        };
        lane.release_due(now);
        while !lane.window.is_empty() {
            let count = self.boxes.len();
            let chosen = (0..count)
                .map(|offset| (self.box_cursor + offset) % count)
                .find(|&i| {
                    let conn = &self.boxes[i];
                    let fits = match &wanted_id {
                        Some(id) => conn.smsbox_id.as_deref() == Some(id.as_str()),
                        None => conn.routable && conn.smsbox_id.is_none(),
                    };
                    fits && conn.pending.len() < max_pending
                });
            let Some(i) = chosen else { break };
            self.box_cursor = i + 1;
            let Some(message) = lane.window.pop_front() else {
                break;
            };
            let conn = &mut self.boxes[i];
            if conn
                .outbox
                .try_send(Msg::from(message.sms.clone()).into())
                .is_err()
            {
                lane.window.push_front(message);
                break;
            }
            conn.pending
                .insert(message.sms.id, (name.to_owned(), message));
        }
    }

    // ---- box connections -------------------------------------------------------

    pub fn add_box(&mut self, outbox: Sender<Outgoing>, peer: String) -> u64 {
        let id = self.next_box;
        self.next_box += 1;
        self.boxes.push(BoxConn {
            id,
            smsbox_id: None,
            routable: false,
            outbox,
            pending: HashMap::new(),
            peer,
            connected_at: unix_now(),
        });
        id
    }

    pub fn identify(&mut self, id: u64, smsbox_id: Option<String>) {
        if let Some(conn) = self.boxes.iter_mut().find(|conn| conn.id == id) {
            conn.smsbox_id = smsbox_id.filter(|id| !id.is_empty());
            conn.routable = true;
            log::info!(
                "box {} identified as {}",
                conn.peer,
                conn.smsbox_id.as_deref().unwrap_or("(no smsbox-id)")
            );
        }
        self.poke();
    }

    pub fn mark_routable(&mut self, id: u64) {
        if let Some(conn) = self
            .boxes
            .iter_mut()
            .find(|conn| conn.id == id && !conn.routable)
        {
            conn.routable = true;
            self.poke();
        }
    }

    /// A box answered an MO or report we sent it.
    pub fn box_ack(&mut self, id: u64, message_id: Uuid, status: AckStatus) {
        let Some(conn) = self.boxes.iter_mut().find(|conn| conn.id == id) else {
            return;
        };
        let Some((lane, message)) = conn.pending.remove(&message_id) else {
            log::debug!("box {}: ack for unknown message {message_id}", conn.peer);
            return;
        };
        match status {
            AckStatus::FailedTmp => {
                self.box_lanes.entry(lane).or_default().put_back(message);
            }
            AckStatus::Failed => {
                log::warn!(
                    "box {} refused message {message_id} for good: dropped",
                    conn.peer
                );
                self.store.delete(vec![message.seq]).detach();
            }
            _ => {
                self.to_boxes_done += 1;
                self.store.delete(vec![message.seq]).detach();
            }
        }
        self.poke();
    }

    /// A box went away: what it had not acked goes to the others.
    pub fn remove_box(&mut self, id: u64) {
        let Some(position) = self.boxes.iter().position(|conn| conn.id == id) else {
            return;
        };
        let conn = self.boxes.remove(position);
        let mut pending: Vec<(String, Queued)> = conn.pending.into_values().collect();
        pending.sort_by_key(|(_, message)| std::cmp::Reverse(message.seq));
        for (lane, message) in pending {
            self.box_lanes.entry(lane).or_default().put_back(message);
        }
        self.poke();
    }

    /// Messages sent and not answered yet: submissions a link has not
    /// answered or whose removal is not on disk yet, MO and reports a box
    /// has not acked. A graceful stop waits for them.
    pub fn unsettled(&self) -> usize {
        self.links
            .iter()
            .map(|link| link.in_flight.len() + link.completing)
            .sum::<usize>()
            + self
                .boxes
                .iter()
                .map(|conn| conn.pending.len())
                .sum::<usize>()
            + self.parked_reports.len()
    }

    /// Messages in the store per lane direction, for status.
    pub fn window_total(&self) -> usize {
        self.lanes.values().map(Lane::held).sum::<usize>()
            + self.box_lanes.values().map(Lane::held).sum::<usize>()
    }
}

/// The box lane of an MO or report: the box its MT came from, else the first
/// `smsbox-route` that matches (shortcode and smsc-id, then shortcode, then
/// smsc-id), else any box.
fn box_lane_for(routes: &[BoxRoute], sms: &Sms) -> String {
    if let Some(id) = sms.boxc_id.as_ref().filter(|id| !id.is_empty()) {
        return format!("box:{}", String::from_utf8_lossy(id));
    }
    let smsc_id = text(&sms.smsc_id);
    let receiver = text(&sms.receiver);
    let by = |shortcode: bool, smsc: bool| {
        routes.iter().find(|route| {
            let short_ok = route.shortcodes.contains(&receiver);
            let smsc_ok = route.smsc_ids.contains(&smsc_id);
            match (shortcode, smsc) {
                (true, true) => short_ok && smsc_ok,
                (true, false) => short_ok && route.smsc_ids.is_empty(),
                _ => smsc_ok && route.shortcodes.is_empty(),
            }
        })
    };
    match by(true, true)
        .or_else(|| by(true, false))
        .or_else(|| by(false, true))
    {
        Some(route) => format!("box:{}", route.smsbox_id),
        None => ANY_BOX.to_owned(),
    }
}

/// Delays, in seconds, before a report that matched nothing is tried again.
const REPORT_RETRIES: [i64; 2] = [1, 2];

/// A delivery report from a link, kept to be matched again.
pub struct ParkedReport {
    /// Unix seconds of the next attempt.
    due: i64,
    link: usize,
    foreign_id: String,
    event: DlrEvent,
    text: Option<Vec<u8>>,
    /// The receipt's own meta-data, added to the report's.
    meta_data: Option<Vec<u8>>,
    /// Attempts made before this one.
    attempt: usize,
}

/// A change queued to the store whose commit the switchboard acts on.
pub enum AfterCommit {
    /// An accepted MT's removal: its link's window slot is free.
    Released { link: usize, done: Completion<()> },
    /// An MO or report on a box lane; `link` is the link it came from.
    ToBox {
        lane: String,
        link: Option<usize>,
        /// The message, as committed with `seq`.
        seq: i64,
        sms: Box<Sms>,
        done: Completion<Vec<i64>>,
    },
    /// A delivery report matched (or not) and committed for the boxes.
    Report {
        report: ParkedReport,
        done: Completion<ReportOutcome>,
    },
    /// A link's Flush: everything it sent before is on disk; `reply` lets it
    /// acknowledge those messages to its SMSC.
    Flush {
        link: usize,
        done: Completion<()>,
        reply: Sender<bool>,
    },
    /// Answered once everything queued before it was acted on.
    Passed { reply: Sender<()> },
}

/// The report a box gets for `mt`, as Kannel builds it: the MT's addresses
/// and callback, the event as `dlr_mask`, a fresh id.
fn report_for(mt: &Sms, event: DlrEvent, text: Vec<u8>, smsc_id: Option<&str>) -> Sms {
    let mut meta = mt.meta_data.clone().unwrap_or_default();
    let mask = mt.dlr_mask.unwrap_or(-1);
    meta.extend_from_slice(format!("?orig_msg?dlr_mask={mask}&id={}&", mt.id).as_bytes());
    Sms {
        sender: mt.sender.clone(),
        receiver: mt.receiver.clone(),
        msgdata: Some(text),
        time: Some(unix_now() as i32),
        smsc_id: smsc_id
            .map(|id| id.as_bytes().to_vec())
            .or_else(|| mt.smsc_id.clone()),
        service: mt.service.clone(),
        account: mt.account.clone(),
        sms_type: Some(SmsType::ReportMo),
        dlr_mask: Some(event.bit()),
        dlr_url: mt.dlr_url.clone(),
        boxc_id: mt.boxc_id.clone(),
        binfo: mt.binfo.clone(),
        meta_data: Some(meta),
        ..Sms::undefined(Uuid::new_v4())
    }
}

/// The window size, for the benchmarks' memory arithmetic.
pub const LANE_WINDOW: usize = WINDOW;

//! The durable message store: one SQLite file in WAL mode, one writer thread,
//! group commits.
//!
//! # Why this shape
//! Durability is the product: a message is acked to a box only after the
//! transaction that holds it is on disk. A sync per message would cap us at
//! the disk's sync rate, so the writer thread drains every operation that is
//! waiting in its channel into one transaction and syncs once: under load, a
//! commit carries hundreds of messages and the sync cost per message vanishes;
//! when idle, a lone message still commits at once.
//!
//! The store is a queue on disk, not a mirror of memory: messages are read
//! back in `seq` order per lane, a bounded window at a time, so a backlog of a
//! million messages costs disk, not RAM, and sending starts after the first
//! window is read.
//!
//! # Layout
//! ```text
//!  tasks ──Op──▶ crossbeam channel ──▶ writer thread ──▶ messages.sqlite (WAL)
//!    ▲                                     │ one transaction per batch
//!    └────────── completion (smol channel) ┘
//!  tasks ──▶ Reader (own connection, WAL snapshot) ──▶ windows, store-status
//! ```
//!
//! Payloads are opaque bytes (the packed box-protocol message): the store
//! does not know the message model, so it is tested on its own.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

mod answer;
mod depths;
pub mod reports;
mod statements;

use depths::{DepthChanges, Depths};
pub use reports::{DlrRecord, ReportOutcome, ReportQuery, ReportRoute};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Statement, params};
use statements::BatchStatements;

/// How many operations one transaction takes at most: bounds the latency a
/// message waits behind a large batch.
const MAX_BATCH: usize = 8192;
/// A batch this large, with new messages in it, says the writer is under
/// load: the next one waits up to `GATHER` for `GATHER_ENOUGH` operations
/// before it commits.
const BUSY: usize = 8;
const GATHER: Duration = Duration::from_micros(300);
const GATHER_ENOUGH: usize = 64;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("store {path}: cannot open: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("store {path}: {operation} failed: {source}")]
    Sql {
        path: PathBuf,
        operation: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error("store {path}: the writer thread has stopped")]
    WriterGone { path: PathBuf },
    #[error("store {path}: the writer thread could not be started: {source}")]
    Spawn {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Which way a stored message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From a box towards an SMSC.
    ToSmsc,
    /// From an SMSC towards a box (MO messages and delivery reports).
    ToBox,
}

impl Direction {
    fn code(self) -> i64 {
        match self {
            Direction::ToSmsc => 0,
            Direction::ToBox => 1,
        }
    }

    fn from_code(code: i64) -> Option<Direction> {
        match code {
            0 => Some(Direction::ToSmsc),
            1 => Some(Direction::ToBox),
            _ => None,
        }
    }
}

/// A message to commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub direction: Direction,
    /// The queue the message waits in: messages of one lane are read back in
    /// the order they were committed.
    pub lane: String,
    /// Unix seconds when the message was accepted.
    pub accepted_at: i64,
    pub payload: Vec<u8>,
}

/// A message read back from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// Commit order; the key of the message in the store.
    pub seq: i64,
    pub direction: Direction,
    pub lane: String,
    pub accepted_at: i64,
    /// Unix seconds before which the message is not to be tried again.
    pub not_before: i64,
    /// Temporary failures so far.
    pub tries: i64,
    pub payload: Vec<u8>,
}

/// Queue depth and age of one lane, for `store-status` and the status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneStatus {
    pub direction: Direction,
    pub lane: String,
    pub count: u64,
    /// When the lane's first message, the next in its order, was accepted.
    pub oldest_accepted_at: i64,
}

/// The result of one operation, available once its transaction committed.
#[must_use = "a store operation's completion says whether it is on disk"]
pub struct Completion<T> {
    answer: answer::Answer<Result<Reply, StoreError>>,
    convert: fn(Reply) -> T,
    /// Shared, not copied: a completion is made for every operation.
    path: Arc<Path>,
}

impl<T> Completion<T> {
    /// Waits for the commit.
    pub async fn wait(self) -> Result<T, StoreError> {
        match self.answer.await {
            Some(answer) => answer.map(self.convert),
            None => Err(StoreError::WriterGone {
                path: self.path.to_path_buf(),
            }),
        }
    }

    /// Waits for the commit, blocking the thread (tests, start-up).
    pub fn wait_blocking(self) -> Result<T, StoreError> {
        smol::block_on(self.wait())
    }

    /// Lets the change commit in the background: for changes whose loss in
    /// a crash only repeats work (a delete after delivery: at worst the
    /// message is sent again).
    pub fn detach(self) {}
}

/// One change (or ordered read) for the writer thread.
enum Change {
    Insert(Vec<(i64, NewMessage)>),
    Delete(Vec<i64>),
    Defer {
        seq: i64,
        not_before: i64,
        tries: i64,
    },
    MoveLane {
        seq: i64,
        lane: String,
    },
    RecordDlr(DlrRecord),
    /// Goes through the writer so that it sees every record queued before it.
    ResolveReport {
        query: ReportQuery,
        /// Taken when the change is applied.
        route: Option<ReportRoute>,
        /// The `seq` of the report for the boxes, if one is made.
        seq: i64,
    },
    /// Forgets every delivery-report record (the admin's `flush-dlr`).
    FlushReports,
    /// Changes nothing: answered once everything queued before it is on disk.
    Barrier,
}

/// What a change answers.
enum Reply {
    Seqs(Vec<i64>),
    Done,
    Report(ReportOutcome),
    Count(usize),
}

struct Op {
    change: Change,
    done: Option<answer::Answerer<Result<Reply, StoreError>>>,
}

/// The handle tasks use: cheap to clone, safe to share.
#[derive(Clone)]
pub struct Store {
    ops: Sender<Op>,
    path: Arc<Path>,
    reader: Arc<Mutex<Connection>>,
    counters: Arc<Counters>,
    /// Each lane's depth as committed, kept by the writer.
    depths: Arc<Mutex<Depths>>,
    /// The next `seq`. Taken when a change is queued, not when it is
    /// applied, and held while it is queued: the queue is the commit order,
    /// so `seq`s grow in commit order and a lane read by cursor never misses
    /// a message committed after a later one.
    next_seq: Arc<Mutex<i64>>,
}

/// Statistics of the writer, for `/metrics` and the benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub commits: u64,
    pub operations: u64,
    pub commit_micros: u64,
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    operations: AtomicU64,
    commit_micros: AtomicU64,
}

/// `seq` is given by the store itself (its `next_seq`), so the table
/// needs no AUTOINCREMENT: that kept a `sqlite_sequence` row up to date on
/// every insert, a fifth of an insert's work. A store made before keeps its
/// AUTOINCREMENT table (and its `sqlite_sequence`, which `open` still reads).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    seq          INTEGER PRIMARY KEY,
    direction    INTEGER NOT NULL,
    lane         TEXT    NOT NULL,
    accepted_at  INTEGER NOT NULL,
    not_before   INTEGER NOT NULL DEFAULT 0,
    tries        INTEGER NOT NULL DEFAULT 0,
    payload      BLOB    NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_lane ON messages (direction, lane, seq);
";

impl Store {
    /// Opens (or creates) the store at `path` and starts its writer thread.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let writer = open_connection(path)?;
        writer
            .execute_batch(SCHEMA)
            .and_then(|()| writer.execute_batch(reports::SCHEMA))
            .map_err(|source| sql_error(path, "creating the schema", source))?;
        let migrated = writer
            .unchecked_transaction()
            .and_then(|transaction| {
                let count = reports::migrate(&transaction)?;
                transaction.commit()?;
                Ok(count)
            })
            .map_err(|source| sql_error(path, "converting delivery-report records", source))?;
        if migrated > 0 {
            log::info!(
                "store {}: {migrated} delivery-report records converted to per-part records",
                path.display()
            );
        }
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: path.to_owned(),
            source,
        })?;
        let next_seq = last_seq(&writer)
            .map_err(|source| sql_error(path, "reading the last seq", source))?
            + 1;
        let depths =
            Arc::new(Mutex::new(Depths::count(&writer).map_err(|source| {
                sql_error(path, "counting the lanes", source)
            })?));
        let (ops, incoming) = crossbeam_channel::unbounded();
        let writer_side = Writer {
            path: path.to_owned(),
            counters: Arc::new(Counters::default()),
            depths: Arc::clone(&depths),
        };
        let counters = Arc::clone(&writer_side.counters);
        thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || write_loop(writer, incoming, &writer_side))
            .map_err(|source| StoreError::Spawn {
                path: path.to_owned(),
                source,
            })?;
        Ok(Store {
            ops,
            path: Arc::from(path),
            reader: Arc::new(Mutex::new(reader)),
            counters,
            depths,
            next_seq: Arc::new(Mutex::new(next_seq)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Commits and operations so far: operations per commit is the grouping.
    pub fn stats(&self) -> CommitStats {
        CommitStats {
            commits: self.counters.commits.load(Ordering::Relaxed),
            operations: self.counters.operations.load(Ordering::Relaxed),
            commit_micros: self.counters.commit_micros.load(Ordering::Relaxed),
        }
    }

    /// Commits messages; the completion yields their `seq`s, in order, once
    /// they are on disk.
    pub fn insert(&self, messages: Vec<NewMessage>) -> Completion<Vec<i64>> {
        self.insert_numbered(messages).1
    }

    /// As [`Store::insert`], with the `seq`s the messages will have, known
    /// at once: a caller can hold a message in memory before its commit.
    pub fn insert_numbered(&self, messages: Vec<NewMessage>) -> (Vec<i64>, Completion<Vec<i64>>) {
        let count = messages.len();
        let (first, done) = self.numbered(
            count,
            |first| Change::Insert((first..).zip(messages).collect()),
            |reply| match reply {
                Reply::Seqs(seqs) => seqs,
                _ => Vec::new(),
            },
        );
        ((first..first + count as i64).collect(), done)
    }

    /// Queues a change that takes `count` new `seq`s from `first` on.
    fn numbered<T>(
        &self,
        count: usize,
        change: impl FnOnce(i64) -> Change,
        convert: fn(Reply) -> T,
    ) -> (i64, Completion<T>) {
        let mut next = self
            .next_seq
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let first = *next;
        *next += count as i64;
        let done = self.request(change(first), convert);
        (first, done)
    }

    /// Removes messages that were delivered or failed for good.
    pub fn delete(&self, seqs: Vec<i64>) -> Completion<()> {
        self.request(Change::Delete(seqs), |_| ())
    }

    /// Records a temporary failure: not to be tried before `not_before`.
    pub fn defer(&self, seq: i64, not_before: i64, tries: i64) -> Completion<()> {
        self.request(
            Change::Defer {
                seq,
                not_before,
                tries,
            },
            |_| (),
        )
    }

    /// Moves a message to another lane (a reroute after a configuration change).
    pub fn move_lane(&self, seq: i64, lane: String) -> Completion<()> {
        self.request(Change::MoveLane { seq, lane }, |_| ())
    }

    /// Records what a later delivery report needs (replacing an older record
    /// under the same id).
    pub fn record_dlr(&self, record: DlrRecord) -> Completion<()> {
        self.request(Change::RecordDlr(record), |_| ())
    }

    /// Matches a delivery report to its record and, in the same transaction,
    /// commits what its user sees (built by `route`) for the boxes. Ordered
    /// after every change queued before it, so a report racing its
    /// submission's record finds it.
    pub fn resolve_report(
        &self,
        query: ReportQuery,
        route: ReportRoute,
    ) -> Completion<ReportOutcome> {
        let (_, done) = self.numbered(
            1,
            |seq| Change::ResolveReport {
                query,
                route: Some(route),
                seq,
            },
            |reply| match reply {
                Reply::Report(outcome) => outcome,
                _ => ReportOutcome::Unmatched,
            },
        );
        done
    }

    /// Forgets every delivery-report record; how many messages had one.
    pub fn flush_reports(&self) -> Completion<usize> {
        self.request(Change::FlushReports, |reply| match reply {
            Reply::Count(count) => count,
            _ => 0,
        })
    }

    /// Submitted messages waiting for their final report, as committed.
    pub fn reports_waiting(&self) -> u64 {
        self.depths
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .reports_waiting()
    }

    /// Answered once every change queued before it is on disk.
    pub fn barrier(&self) -> Completion<()> {
        self.request(Change::Barrier, |_| ())
    }

    /// Queues a change; its completion is answered on the writer thread once
    /// the batch holding the change committed.
    fn request<T>(&self, change: Change, convert: fn(Reply) -> T) -> Completion<T> {
        let (done, answer) = answer::pair();
        let queued = self.ops.send(Op {
            change,
            done: Some(done),
        });
        if let Err(crossbeam_channel::SendError(op)) = queued
            && let Some(done) = op.done
        {
            done.send(Err(StoreError::WriterGone {
                path: self.path.to_path_buf(),
            }));
        }
        Completion {
            answer,
            convert,
            path: self.path.clone(),
        }
    }

    /// Up to `limit` messages of a lane with `seq > after`, in commit order.
    pub fn read_lane(
        &self,
        direction: Direction,
        lane: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let reader = self.lock_reader();
        let mut statement = reader
            .prepare_cached(
                "SELECT seq, direction, lane, accepted_at, not_before, tries, payload
                 FROM messages WHERE direction = ?1 AND lane = ?2 AND seq > ?3
                 ORDER BY seq LIMIT ?4",
            )
            .map_err(|source| sql_error(&self.path, "reading a lane", source))?;
        let rows = statement
            .query_map(
                params![direction.code(), lane, after, limit as i64],
                row_to_message,
            )
            .map_err(|source| sql_error(&self.path, "reading a lane", source))?;
        rows.filter_map(|row| row.transpose())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| sql_error(&self.path, "reading a lane", source))
    }

    /// Every lane that holds messages, with its depth and its oldest message:
    /// the depths as the writer keeps them, and each lane's first message
    /// found by its index, so that a look costs the same with a million queued.
    pub fn lanes(&self) -> Result<Vec<LaneStatus>, StoreError> {
        let depths = self
            .depths
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .lanes();
        let reader = self.lock_reader();
        let mut first = reader
            .prepare_cached(
                "SELECT accepted_at FROM messages WHERE direction = ?1 AND lane = ?2
                 ORDER BY seq LIMIT 1",
            )
            .map_err(|source| sql_error(&self.path, "listing lanes", source))?;
        let mut lanes = Vec::with_capacity(depths.len());
        for (direction, lane, count) in depths {
            let oldest = first
                .query_row(params![direction.code(), lane], |row| row.get(0))
                .optional()
                .map_err(|source| sql_error(&self.path, "listing lanes", source))?;
            // None: emptied by a commit since the depths were taken.
            if let Some(oldest_accepted_at) = oldest {
                lanes.push(LaneStatus {
                    direction,
                    lane,
                    count,
                    oldest_accepted_at,
                });
            }
        }
        Ok(lanes)
    }

    fn lock_reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave the connection in a
        // state worse than the one SQLite itself guarantees.
        self.reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A row whose direction code we do not know is skipped, not fatal: it can
/// only come from a newer version of ours.
fn row_to_message(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<StoredMessage>> {
    let direction: i64 = row.get(1)?;
    let Some(direction) = Direction::from_code(direction) else {
        return Ok(None);
    };
    Ok(Some(StoredMessage {
        seq: row.get(0)?,
        direction,
        lane: row.get(2)?,
        accepted_at: row.get(3)?,
        not_before: row.get(4)?,
        tries: row.get(5)?,
        payload: row.get(6)?,
    }))
}

/// The highest `seq` in use: in the table, or (in a store made with
/// AUTOINCREMENT) the highest it ever gave.
fn last_seq(connection: &Connection) -> rusqlite::Result<i64> {
    let has_sequence: bool = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence')",
        [],
        |row| row.get(0),
    )?;
    let query = if has_sequence {
        "SELECT MAX(last) FROM (SELECT MAX(seq) AS last FROM messages
         UNION ALL SELECT seq FROM sqlite_sequence WHERE name = 'messages')"
    } else {
        "SELECT MAX(seq) FROM messages"
    };
    Ok(connection
        .query_row(query, [], |row| row.get::<_, Option<i64>>(0))?
        .unwrap_or(0))
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.to_owned(),
        source,
    })?;
    // WAL + synchronous=FULL: each commit syncs the log, so an acked message
    // survives power loss; readers never block the writer.
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(|source| sql_error(path, "setting WAL mode", source))?;
    // Every statement the writer runs stays prepared (rusqlite keeps 16 by default: with
    // delivery reports the writer uses more, and would parse some again for each batch).
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

fn sql_error(path: &Path, operation: &'static str, source: rusqlite::Error) -> StoreError {
    StoreError::Sql {
        path: path.to_owned(),
        operation,
        source,
    }
}

/// What the writer thread keeps up to date for the others.
struct Writer {
    path: PathBuf,
    counters: Arc<Counters>,
    depths: Arc<Mutex<Depths>>,
}

fn write_loop(mut connection: Connection, incoming: Receiver<Op>, writer: &Writer) {
    let counters = &writer.counters;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut busy = false;
    while let Ok(first) = incoming.recv() {
        batch.push(first);
        // Under load a commit (its WAL writes and its sync) costs far more
        // than the operations in it: waiting a little for more to join it
        // halves the commits. Alone, an operation commits at once.
        let gather_until = busy.then(|| Instant::now() + GATHER);
        while batch.len() < MAX_BATCH {
            let next = match gather_until {
                Some(deadline) if batch.len() < GATHER_ENOUGH => {
                    incoming.recv_deadline(deadline).ok()
                }
                _ => incoming.try_recv().ok(),
            };
            match next {
                Some(op) => batch.push(op),
                None => break,
            }
        }
        // Only new messages are worth waiting for: removals of sent ones hold
        // SMPP window slots until they commit, and waiting for more of them
        // slowed draining a queue by a fifth.
        busy = batch.len() >= BUSY
            && batch
                .iter()
                .any(|op| matches!(op.change, Change::Insert(_)));
        let started = Instant::now();
        counters
            .operations
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        commit_batch(&mut connection, &mut batch, writer);
        counters.commits.fetch_add(1, Ordering::Relaxed);
        counters
            .commit_micros
            .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    }
}

/// Runs a batch in one transaction. If the transaction fails (disk full, I/O
/// error), every operation in it is answered with the error and nothing of it
/// is on disk: callers answer their clients with a temporary failure.
fn commit_batch(connection: &mut Connection, batch: &mut Vec<Op>, writer: &Writer) {
    let path = writer.path.as_path();
    // BEGIN and COMMIT are cached statements, not `Connection::transaction`:
    // that one parses both again for every batch, a tenth of the writer's time.
    let result = (|| -> Result<(Vec<Reply>, DepthChanges), rusqlite::Error> {
        connection.prepare_cached("BEGIN")?.execute([])?;
        let transaction = RolledBackUnlessCommitted(connection);
        let mut replies = Vec::with_capacity(batch.len());
        let mut depths = DepthChanges::default();
        let mut statements = BatchStatements::new(transaction.0);
        for op in batch.iter_mut() {
            replies.push(apply(&mut statements, &mut op.change, &mut depths)?);
        }
        drop(statements);
        transaction.commit()?;
        Ok((replies, depths))
    })();
    match result {
        Ok((replies, depths)) => {
            writer
                .depths
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .apply(depths);
            let wakers: Vec<Waker> = batch
                .drain(..)
                .zip(replies)
                .filter_map(|(op, reply)| op.done.and_then(|done| done.fill(Ok(reply))))
                .collect();
            wakers.into_iter().for_each(Waker::wake);
        }
        Err(source) => {
            for op in batch.drain(..) {
                if let Some(done) = op.done {
                    done.send(Err(sql_error(path, "committing", clone_sql_error(&source))));
                }
            }
        }
    }
}

/// An open transaction: rolled back when dropped before `commit`.
struct RolledBackUnlessCommitted<'c>(&'c Connection);

impl RolledBackUnlessCommitted<'_> {
    fn commit(self) -> rusqlite::Result<()> {
        self.0.prepare_cached("COMMIT")?.execute([])?;
        std::mem::forget(self);
        Ok(())
    }
}

impl Drop for RolledBackUnlessCommitted<'_> {
    fn drop(&mut self) {
        // A failed COMMIT (disk full) can leave the transaction open; without
        // this the next batch's BEGIN would fail too.
        if !self.0.is_autocommit() {
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

/// Applies one change inside the batch's transaction, noting in `depths`
/// what it adds to or takes from each lane.
fn apply(
    statements: &mut BatchStatements<'_>,
    change: &mut Change,
    depths: &mut DepthChanges,
) -> rusqlite::Result<Reply> {
    Ok(match change {
        Change::Insert(messages) => {
            let mut seqs = Vec::with_capacity(messages.len());
            for (seq, message) in messages.iter() {
                insert_message(statements.get(INSERT_MESSAGE)?, *seq, message)?;
                depths.added(message.direction, &message.lane);
                seqs.push(*seq);
            }
            Reply::Seqs(seqs)
        }
        Change::Delete(seqs) => {
            for seq in seqs {
                // Its lane, for the depths: a SELECT first costs less than the
                // DELETE's own RETURNING (0.3–1.2 µs more per message, against 1.7–2.8).
                let lane = lane_of(statements, *seq)?;
                statements
                    .get("DELETE FROM messages WHERE seq = ?1")?
                    .execute([*seq])?;
                if let Some((direction, lane)) = lane {
                    depths.removed(direction, &lane);
                }
            }
            Reply::Done
        }
        Change::Defer {
            seq,
            not_before,
            tries,
        } => {
            statements
                .get("UPDATE messages SET not_before = ?2, tries = ?3 WHERE seq = ?1")?
                .execute(params![*seq, *not_before, *tries])?;
            Reply::Done
        }
        Change::MoveLane { seq, lane } => {
            let from = lane_of(statements, *seq)?;
            statements
                .get("UPDATE messages SET lane = ?2 WHERE seq = ?1")?
                .execute(params![*seq, lane.as_str()])?;
            if let Some((direction, from)) = from {
                depths.removed(direction, &from);
                depths.added(direction, lane);
            }
            Reply::Done
        }
        Change::RecordDlr(record) => {
            reports::record(statements, record, depths)?;
            Reply::Done
        }
        Change::ResolveReport { query, route, seq } => match route.take() {
            Some(route) => Reply::Report(reports::resolve(statements, query, route, *seq, depths)?),
            None => Reply::Report(ReportOutcome::Unmatched),
        },
        Change::FlushReports => Reply::Count(reports::flush(statements, depths)?),
        Change::Barrier => Reply::Done,
    })
}

/// The direction and lane of message `seq`, if the store holds it (in a
/// direction this version knows).
fn lane_of(
    statements: &mut BatchStatements<'_>,
    seq: i64,
) -> rusqlite::Result<Option<(Direction, String)>> {
    let found = statements
        .get("SELECT direction, lane FROM messages WHERE seq = ?1")?
        .query_row([seq], |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .optional()?;
    Ok(found.and_then(|(direction, lane)| Some((Direction::from_code(direction)?, lane))))
}

const INSERT_MESSAGE: &str =
    "INSERT INTO messages (seq, direction, lane, accepted_at, payload) VALUES (?1, ?2, ?3, ?4, ?5)";

/// Commits one message, under its `seq`, with [`INSERT_MESSAGE`].
fn insert_message(
    insert: &mut Statement<'_>,
    seq: i64,
    message: &NewMessage,
) -> rusqlite::Result<()> {
    insert.execute(params![
        seq,
        message.direction.code(),
        message.lane,
        message.accepted_at,
        message.payload
    ])?;
    Ok(())
}

/// rusqlite errors are not `Clone`; every waiter of a failed batch gets the
/// same text.
fn clone_sql_error(error: &rusqlite::Error) -> rusqlite::Error {
    match error {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone())
        }
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dlr::DlrEvent;

    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("store.sqlite")).expect("open store");
        (dir, store)
    }

    fn mt(lane: &str, payload: &[u8]) -> NewMessage {
        NewMessage {
            direction: Direction::ToSmsc,
            lane: lane.into(),
            accepted_at: 1_700_000_000,
            payload: payload.to_vec(),
        }
    }

    fn wait<T>(completion: Completion<T>) -> T {
        completion.wait_blocking().expect("operation committed")
    }

    #[test]
    fn inserted_messages_are_read_back_in_commit_order_per_lane() {
        let (_dir, store) = temp_store();
        let seqs = wait(store.insert(vec![mt("a", b"1"), mt("b", b"2"), mt("a", b"3")]));
        assert_eq!(seqs.len(), 3);
        let lane_a = store.read_lane(Direction::ToSmsc, "a", 0, 10).unwrap();
        let payloads: Vec<_> = lane_a.iter().map(|m| m.payload.clone()).collect();
        assert_eq!(payloads, vec![b"1".to_vec(), b"3".to_vec()]);
        assert!(
            store
                .read_lane(Direction::ToBox, "a", 0, 10)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_window_reads_only_after_the_cursor_and_at_most_the_limit() {
        let (_dir, store) = temp_store();
        let messages = (0..10).map(|i| mt("a", &[i])).collect();
        let seqs = wait(store.insert(messages));
        let window = store.read_lane(Direction::ToSmsc, "a", seqs[2], 4).unwrap();
        let got: Vec<_> = window.iter().map(|m| m.seq).collect();
        assert_eq!(got, seqs[3..7].to_vec());
    }

    #[test]
    fn deleted_messages_are_gone_and_deferred_ones_keep_their_retry_state() {
        let (_dir, store) = temp_store();
        let seqs = wait(store.insert(vec![mt("a", b"x"), mt("a", b"y")]));
        wait(store.delete(vec![seqs[0]]));
        wait(store.defer(seqs[1], 1_800_000_000, 2));
        let left = store.read_lane(Direction::ToSmsc, "a", 0, 10).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!((left[0].not_before, left[0].tries), (1_800_000_000, 2));
    }

    #[test]
    fn messages_survive_reopening_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        {
            let store = Store::open(&path).unwrap();
            wait(store.insert(vec![mt("a", b"kept")]));
        }
        let store = Store::open(&path).unwrap();
        let lanes = store.lanes().unwrap();
        assert_eq!(lanes.len(), 1);
        assert_eq!(lanes[0].count, 1);
        assert_eq!(
            store.read_lane(Direction::ToSmsc, "a", 0, 1).unwrap()[0].payload,
            b"kept"
        );
    }

    /// (direction, lane, depth, oldest) of every lane, as the status page shows them.
    fn depths(store: &Store) -> Vec<(Direction, String, u64, i64)> {
        store
            .lanes()
            .unwrap()
            .into_iter()
            .map(|lane| {
                (
                    lane.direction,
                    lane.lane,
                    lane.count,
                    lane.oldest_accepted_at,
                )
            })
            .collect()
    }

    fn accepted_at(at: i64, message: NewMessage) -> NewMessage {
        NewMessage {
            accepted_at: at,
            ..message
        }
    }

    #[test]
    fn lanes_show_what_is_committed_and_an_emptied_lane_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        {
            let store = Store::open(&path).unwrap();
            let a = wait(store.insert(vec![
                accepted_at(10, mt("a", b"1")),
                accepted_at(20, mt("a", b"2")),
                accepted_at(30, mt("a", b"3")),
            ]));
            let b = wait(store.insert(vec![mt("b", b"4"), mt("b", b"5")]));
            wait(store.delete(vec![a[0], b[0], b[1], 999]));
            let expected = vec![(Direction::ToSmsc, "a".to_owned(), 2, 20)];
            assert_eq!(depths(&store), expected);
            wait(store.move_lane(a[1], "c".into()));
            assert_eq!(
                depths(&store),
                [
                    (Direction::ToSmsc, "a".to_owned(), 1, 30),
                    (Direction::ToSmsc, "c".to_owned(), 1, 20),
                ]
            );
        }
        // Counted from the table when the store opens again: the same.
        let store = Store::open(&path).unwrap();
        assert_eq!(
            depths(&store),
            [
                (Direction::ToSmsc, "a".to_owned(), 1, 30),
                (Direction::ToSmsc, "c".to_owned(), 1, 20),
            ]
        );
    }

    #[test]
    fn a_batch_that_fails_changes_no_depth() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        let store = Store::open(&path).unwrap();
        // A message the table refuses, so that a batch fails halfway.
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN NEW.payload = x'21'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .unwrap();
        wait(store.insert(vec![mt("a", b"kept")]));
        let failed = store
            .insert(vec![mt("a", b"rolled back"), mt("a", b"!")])
            .wait_blocking();
        assert!(failed.is_err(), "the batch with the refused message fails");
        assert_eq!(
            depths(&store),
            [(Direction::ToSmsc, "a".to_owned(), 1, 1_700_000_000)]
        );
    }

    #[test]
    fn a_store_made_with_autoincrement_goes_on_after_the_highest_seq_it_ever_gave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE messages (
                     seq INTEGER PRIMARY KEY AUTOINCREMENT, direction INTEGER NOT NULL,
                     lane TEXT NOT NULL, accepted_at INTEGER NOT NULL,
                     not_before INTEGER NOT NULL DEFAULT 0, tries INTEGER NOT NULL DEFAULT 0,
                     payload BLOB NOT NULL);
                 INSERT INTO messages (seq, direction, lane, accepted_at, payload)
                     VALUES (41, 0, 'a', 1, x'01'), (42, 0, 'a', 1, x'02');
                 DELETE FROM messages WHERE seq = 42;",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let seqs = wait(store.insert(vec![mt("a", b"new")]));
        assert_eq!(seqs, vec![43]);
        let lane = store.read_lane(Direction::ToSmsc, "a", 0, 10).unwrap();
        let kept: Vec<_> = lane.iter().map(|m| m.seq).collect();
        assert_eq!(kept, vec![41, 43]);
    }

    #[test]
    fn a_new_store_numbers_after_the_highest_seq_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        {
            let store = Store::open(&path).unwrap();
            wait(store.insert(vec![mt("a", b"1"), mt("a", b"2"), mt("a", b"3")]));
            wait(store.delete(vec![1]));
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(wait(store.insert(vec![mt("a", b"4")])), vec![4]);
        let autoincrement: i64 = Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_sequence'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(autoincrement, 0, "a new store has no AUTOINCREMENT table");
    }

    #[test]
    fn concurrent_inserts_share_commits() {
        let (_dir, store) = temp_store();
        let completions: Vec<_> = (0..2000u32)
            .map(|i| store.insert(vec![mt("a", &i.to_be_bytes())]))
            .collect();
        for completion in completions {
            wait(completion);
        }
        assert_eq!(store.lanes().unwrap()[0].count, 2000);
        let stats = store.stats();
        assert_eq!(stats.operations, 2000);
        assert!(
            stats.commits < stats.operations,
            "2000 inserts queued at once must share transactions: {stats:?}"
        );
    }

    fn record(keys: &[&str]) -> DlrRecord {
        DlrRecord {
            smsc_id: "a".into(),
            keys: keys.iter().map(|key| key.to_string()).collect(),
            created_at: 1,
            payload: b"the MT".to_vec(),
        }
    }

    fn report(keys: &[&str], event: DlrEvent) -> ReportQuery {
        ReportQuery {
            smsc_id: "a".into(),
            keys: keys.iter().map(|key| key.to_string()).collect(),
            event,
        }
    }

    /// A route that sends every shown event to lane `seen`, with the event's
    /// bit and the MT's payload as the report.
    fn to_boxes() -> ReportRoute {
        Box::new(|payload, event| {
            let mut report = payload.to_vec();
            report.push(event.bit() as u8);
            Some(NewMessage {
                direction: Direction::ToBox,
                lane: "seen".into(),
                accepted_at: 1,
                payload: report,
            })
        })
    }

    fn shown(store: &Store) -> Vec<u8> {
        store
            .read_lane(Direction::ToBox, "seen", 0, 100)
            .unwrap()
            .iter()
            .map(|m| *m.payload.last().unwrap())
            .collect()
    }

    /// A forwarded report by its lane only: what the tests compare.
    fn forwarded() -> ReportOutcome {
        ReportOutcome::Forwarded {
            lane: "seen".into(),
            seq: 0,
            payload: Vec::new(),
        }
    }

    fn resolved(completion: Completion<ReportOutcome>) -> ReportOutcome {
        match wait(completion) {
            ReportOutcome::Forwarded { lane, .. } => ReportOutcome::Forwarded {
                lane,
                seq: 0,
                payload: Vec::new(),
            },
            other => other,
        }
    }

    #[test]
    fn a_report_finds_its_record_by_any_candidate_key_and_a_final_one_ends_it() {
        let (_dir, store) = temp_store();
        store.record_dlr(record(&["1a2b"])).detach();
        // Queued behind the record: the writer sees it even before a commit.
        let buffered =
            store.resolve_report(report(&["6699", "1a2b"], DlrEvent::Buffered), to_boxes());
        assert_eq!(resolved(buffered), forwarded());
        let other_smsc = ReportQuery {
            smsc_id: "b".into(),
            ..report(&["1a2b"], DlrEvent::Delivered)
        };
        assert_eq!(
            resolved(store.resolve_report(other_smsc, to_boxes())),
            ReportOutcome::Unmatched
        );
        let delivered = store.resolve_report(report(&["1a2b"], DlrEvent::Delivered), to_boxes());
        assert_eq!(resolved(delivered), forwarded());
        let again = store.resolve_report(report(&["1a2b"], DlrEvent::Delivered), to_boxes());
        assert_eq!(resolved(again), ReportOutcome::Unmatched);
        assert_eq!(shown(&store), vec![4, 1]);
        assert_eq!(store_waiting(&store), 0);
        assert_eq!(
            depths(&store),
            [(Direction::ToBox, "seen".to_owned(), 2, 1)],
            "the two reports forwarded are in their lane's depth"
        );
    }

    #[test]
    fn a_forwarded_report_says_where_it_was_committed_and_what() {
        let (_dir, store) = temp_store();
        store.record_dlr(record(&["k"])).detach();
        let outcome = wait(store.resolve_report(report(&["k"], DlrEvent::Delivered), to_boxes()));
        let stored = store.read_lane(Direction::ToBox, "seen", 0, 10).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(
            outcome,
            ReportOutcome::Forwarded {
                lane: "seen".into(),
                seq: stored[0].seq,
                payload: stored[0].payload.clone(),
            }
        );
    }

    #[test]
    fn a_long_message_shows_one_delivered_report_after_all_its_parts() {
        let (_dir, store) = temp_store();
        store.record_dlr(record(&["p1", "p2", "p3"])).detach();
        let outcomes: Vec<_> = ["p2", "p1", "p3"]
            .iter()
            .map(|key| {
                resolved(store.resolve_report(report(&[key], DlrEvent::Delivered), to_boxes()))
            })
            .collect();
        assert_eq!(
            outcomes,
            vec![
                ReportOutcome::Absorbed,
                ReportOutcome::Absorbed,
                forwarded()
            ]
        );
        assert_eq!(shown(&store), vec![1]);
        assert_eq!(store_waiting(&store), 0);
    }

    #[test]
    fn a_long_message_fails_when_one_part_fails_and_its_record_ends_with_the_last_part() {
        let (_dir, store) = temp_store();
        store.record_dlr(record(&["p1", "p2"])).detach();
        resolved(store.resolve_report(report(&["p1"], DlrEvent::Undelivered), to_boxes()));
        assert_eq!(store_waiting(&store), 1);
        resolved(store.resolve_report(report(&["p2"], DlrEvent::Delivered), to_boxes()));
        assert_eq!(shown(&store), vec![2]);
        assert_eq!(store_waiting(&store), 0);
    }

    #[test]
    fn parts_that_share_one_id_are_one_part_for_the_reports() {
        let (_dir, store) = temp_store();
        store.record_dlr(record(&["same", "same"])).detach();
        let outcome =
            resolved(store.resolve_report(report(&["same"], DlrEvent::Delivered), to_boxes()));
        assert_eq!(outcome, forwarded());
        assert_eq!(shown(&store), vec![1]);
        assert_eq!(store_waiting(&store), 0);
    }

    #[test]
    fn an_event_the_user_did_not_ask_for_is_absorbed_and_still_ends_the_record() {
        let (_dir, store) = temp_store();
        store.record_dlr(record(&["x"])).detach();
        let outcome = resolved(
            store.resolve_report(report(&["x"], DlrEvent::Delivered), Box::new(|_, _| None)),
        );
        assert_eq!(outcome, ReportOutcome::Absorbed);
        assert_eq!(store_waiting(&store), 0);
    }

    #[test]
    fn records_of_an_older_store_become_one_part_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.sqlite");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE dlr (smsc_id TEXT NOT NULL, key TEXT NOT NULL, created_at INTEGER NOT NULL,
                                   payload BLOB NOT NULL, PRIMARY KEY (smsc_id, key));
                 INSERT INTO dlr VALUES ('a', 'old1', 1, x'01'), ('a', 'old2', 1, x'02');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store_waiting(&store), 2);
        let outcome =
            resolved(store.resolve_report(report(&["old2"], DlrEvent::Delivered), to_boxes()));
        assert_eq!(outcome, forwarded());
        assert_eq!(shown(&store), vec![1]);
        assert_eq!(store_waiting(&store), 1);
    }

    #[test]
    fn flushing_the_reports_forgets_every_record_and_the_count() {
        let (_dir, store) = temp_store();
        store.record_dlr(record(&["k1"])).detach();
        store.record_dlr(record(&["k2", "k3"])).detach();
        assert_eq!(store_waiting(&store), 2);
        assert_eq!(wait(store.flush_reports()), 2);
        assert_eq!(store_waiting(&store), 0);
        assert_eq!(
            resolved(store.resolve_report(report(&["k2"], DlrEvent::Delivered), to_boxes())),
            ReportOutcome::Unmatched
        );
    }

    /// Messages waiting for reports, as the store counts them; checked
    /// against the table itself.
    fn store_waiting(store: &Store) -> i64 {
        wait(store.barrier());
        let connection = Connection::open(store.path()).unwrap();
        let in_table: i64 = connection
            .query_row("SELECT COUNT(*) FROM dlr_messages", [], |row| row.get(0))
            .unwrap();
        assert_eq!(
            store.reports_waiting(),
            in_table.unsigned_abs(),
            "the count kept is the table's"
        );
        in_table
    }
}

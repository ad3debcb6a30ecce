//! Delivery-report records: what a report needs to find its message, one key
//! per part of a long message, and how far the parts' reports have come.
//!
//! Two tables. `dlr_messages` has one row per submitted message that asked for
//! reports: the packed MT, its number of parts and the progress of their
//! reports ([`PartsProgress`]). `dlr_parts` has one row per part still waiting
//! for its final report, keyed by the SMSC's id for that part. A report finds
//! its part, the part its message; the message's row goes when its last part
//! had its final report.
//!
//! Matching a report, deciding what the user sees and committing the report
//! for the boxes happen in one transaction on the writer thread: one trip
//! through the writer per report, and a crash cannot leave a part marked done
//! whose report is not stored.

use rusqlite::{OptionalExtension, Transaction, params};

use super::depths::DepthChanges;
use super::statements::BatchStatements;
use super::{INSERT_MESSAGE, NewMessage, insert_message};
use crate::dlr::{DlrEvent, PartsProgress};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dlr_messages (
    id          INTEGER PRIMARY KEY,
    smsc_id     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    parts       INTEGER NOT NULL,
    failed      INTEGER NOT NULL DEFAULT 0,
    noted       INTEGER NOT NULL DEFAULT 0,
    payload     BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS dlr_parts (
    smsc_id     TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    message     INTEGER NOT NULL,
    PRIMARY KEY (smsc_id, key)
);
CREATE INDEX IF NOT EXISTS dlr_parts_by_message ON dlr_parts (message);
";

/// What later delivery reports need: recorded when the SMSC accepts a message
/// that asked for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlrRecord {
    pub smsc_id: String,
    /// The SMSC's id of each part, in its canonical form, in part order.
    pub keys: Vec<String>,
    pub created_at: i64,
    /// The packed MT message the reports are about.
    pub payload: Vec<u8>,
}

/// A delivery report from an SMSC, to match against the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    pub smsc_id: String,
    /// The keys the report's id may have been recorded under, most likely first.
    pub keys: Vec<String>,
    pub event: DlrEvent,
}

/// Turns the matched MT (its packed payload) and the event its user sees
/// into the message for the boxes, or `None` when the user did not ask for
/// that event. Runs on the writer thread, inside the transaction.
pub type ReportRoute = Box<dyn FnOnce(&[u8], DlrEvent) -> Option<NewMessage> + Send>;

/// What became of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportOutcome {
    /// No record has its id: an unknown message, or one whose final report
    /// came already.
    Unmatched,
    /// Matched, and nothing for the user: a part's report that the message's
    /// story does not show, or an event the user did not ask for.
    Absorbed,
    /// Matched, and committed on the boxes' lane `lane` as `seq`, the
    /// packed message `payload`: the lane can take it without reading it
    /// back from the store.
    Forwarded {
        lane: String,
        seq: i64,
        payload: Vec<u8>,
    },
}

pub(super) fn record(
    statements: &mut BatchStatements<'_>,
    record: &DlrRecord,
    depths: &mut DepthChanges,
) -> rusqlite::Result<()> {
    // An SMSC that gives every part the same id sends one report for them
    // all: the message has as many parts as distinct ids.
    let mut keys: Vec<&String> = Vec::with_capacity(record.keys.len());
    for key in &record.keys {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    // An SMSC that reuses an id ends the wait of the part that had it: the
    // old part can no longer be told apart from the new one.
    for key in &keys {
        let old: Option<i64> = statements
            .get("SELECT message FROM dlr_parts WHERE smsc_id = ?1 AND key = ?2")?
            .query_row(params![record.smsc_id, key], |row| row.get(0))
            .optional()?;
        if let Some(message) = old {
            statements
                .get(DELETE_PART)?
                .execute(params![record.smsc_id, key])?;
            forget_if_done(statements, message, depths)?;
        }
    }
    statements
        .get("INSERT INTO dlr_messages (smsc_id, created_at, parts, payload) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            record.smsc_id,
            record.created_at,
            keys.len() as i64,
            record.payload
        ])?;
    depths.reports_waiting(1);
    let message = statements.connection().last_insert_rowid();
    let insert = statements
        .get("INSERT OR REPLACE INTO dlr_parts (smsc_id, key, message) VALUES (?1, ?2, ?3)")?;
    for key in &keys {
        insert.execute(params![record.smsc_id, key, message])?;
    }
    Ok(())
}

pub(super) fn resolve(
    statements: &mut BatchStatements<'_>,
    query: &ReportQuery,
    route: ReportRoute,
    seq: i64,
    depths: &mut DepthChanges,
) -> rusqlite::Result<ReportOutcome> {
    let find =
        statements.get("SELECT key, message FROM dlr_parts WHERE smsc_id = ?1 AND key = ?2")?;
    let mut part = None;
    for key in &query.keys {
        part = find
            .query_row(params![query.smsc_id, key], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })
            .optional()?;
        if part.is_some() {
            break;
        }
    }
    let Some((key, message)) = part else {
        return Ok(ReportOutcome::Unmatched);
    };
    let row = statements
        .get("SELECT parts, failed, noted, payload FROM dlr_messages WHERE id = ?1")?
        .query_row([message], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, bool>(1)?,
                row.get::<_, bool>(2)?,
                row.get::<_, Vec<u8>>(3)?,
            ))
        })
        .optional()?;
    let Some((parts, failed, noted, payload)) = row else {
        // A part without its message cannot be reported on: drop it.
        statements
            .get(DELETE_PART)?
            .execute(params![query.smsc_id, key])?;
        return Ok(ReportOutcome::Unmatched);
    };
    let mut progress = PartsProgress {
        parts: u32::try_from(parts).unwrap_or(u32::MAX),
        failed,
        noted,
    };
    let last = if query.event.is_final() {
        statements
            .get(DELETE_PART)?
            .execute(params![query.smsc_id, key])?;
        // A one-part message had one row, the one just deleted: no need to count.
        parts <= 1 || waiting_parts(statements, message)? == 0
    } else {
        false
    };
    let shown = progress.user_event(query.event, last);
    if last {
        let deleted = statements.get(DELETE_MESSAGE)?.execute([message])?;
        depths.reports_waiting(-(deleted as i64));
    } else if (progress.failed, progress.noted) != (failed, noted) {
        statements
            .get("UPDATE dlr_messages SET failed = ?2, noted = ?3 WHERE id = ?1")?
            .execute(params![message, progress.failed, progress.noted])?;
    }
    let Some(report) = shown.and_then(|event| route(&payload, event)) else {
        return Ok(ReportOutcome::Absorbed);
    };
    insert_message(statements.get(INSERT_MESSAGE)?, seq, &report)?;
    depths.added(report.direction, &report.lane);
    Ok(ReportOutcome::Forwarded {
        lane: report.lane,
        seq,
        payload: report.payload,
    })
}

/// Records kept from a store written before records had parts (one table
/// `dlr`, one row per message) become one-part records.
pub(super) fn migrate(transaction: &Transaction<'_>) -> rusqlite::Result<usize> {
    let old_table: Option<String> = transaction
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'dlr'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    if old_table.is_none() {
        return Ok(0);
    }
    let old: Vec<DlrRecord> = transaction
        .prepare("SELECT smsc_id, key, created_at, payload FROM dlr")?
        .query_map([], |row| {
            Ok(DlrRecord {
                smsc_id: row.get(0)?,
                keys: vec![row.get(1)?],
                created_at: row.get(2)?,
                payload: row.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut statements = BatchStatements::new(transaction);
    // Before the store counts its tables: nothing to keep count of yet.
    let mut uncounted = DepthChanges::default();
    for one in &old {
        record(&mut statements, one, &mut uncounted)?;
    }
    drop(statements);
    transaction.execute_batch("DROP TABLE dlr")?;
    Ok(old.len())
}

const DELETE_PART: &str = "DELETE FROM dlr_parts WHERE smsc_id = ?1 AND key = ?2";
const DELETE_MESSAGE: &str = "DELETE FROM dlr_messages WHERE id = ?1";

fn waiting_parts(statements: &mut BatchStatements<'_>, message: i64) -> rusqlite::Result<i64> {
    statements
        .get("SELECT COUNT(*) FROM dlr_parts WHERE message = ?1")?
        .query_row([message], |row| row.get(0))
}

fn forget_if_done(
    statements: &mut BatchStatements<'_>,
    message: i64,
    depths: &mut DepthChanges,
) -> rusqlite::Result<()> {
    if waiting_parts(statements, message)? == 0 {
        let deleted = statements.get(DELETE_MESSAGE)?.execute([message])?;
        depths.reports_waiting(-(deleted as i64));
    }
    Ok(())
}

/// Forgets every record (the admin's `flush-dlr`); how many messages had one.
pub(super) fn flush(
    statements: &mut BatchStatements<'_>,
    depths: &mut DepthChanges,
) -> rusqlite::Result<usize> {
    statements.get("DELETE FROM dlr_parts")?.execute([])?;
    let count = statements.get("DELETE FROM dlr_messages")?.execute([])?;
    depths.reports_waiting(-(count as i64));
    Ok(count)
}

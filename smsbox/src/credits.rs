//! Per-user credits in the accounts database (SQLite): balances, the ledger
//! of every change, and the charges a refund may undo.
//!
//! A balance exists once a user with `credits = N` is first seen, starting
//! at N; later configuration changes do not reset it, so balances survive
//! restarts and reloads. Users without `credits` are unlimited and have no
//! row. Charges and refunds are made by one thread, which takes every one
//! waiting and makes them one after the other in one `BEGIN IMMEDIATE`
//! transaction, so that their requests share one commit and its sync: a
//! commit per request held smsbox to about 1 200 requests a second. Each
//! charge is all or nothing on its own; SQLite serialises writers, so
//! concurrent requests (in this process or in other smsboxes sharing the
//! file) can never spend more than the balance.
//!
//! ```text
//! accounts(username PK, balance)
//! ledger(id, time, username, amount, reason, message_id)   one row per change
//! charges(message_id PK, username, parts, refunded)       what a refund may undo
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use thiserror::Error;

/// Under heavy concurrency other writers hold the lock for milliseconds;
/// waiting this long means something is wrong with the file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The most charges and refunds one transaction makes: bounds how long a
/// request waits behind the others.
const MAX_BATCH: usize = 1024;

#[derive(Debug, Error)]
pub enum CreditsError {
    #[error("accounts database {path}: {error}")]
    Open {
        path: PathBuf,
        error: rusqlite::Error,
    },
    #[error("accounts database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("Insufficient credits: need {need}, have {have}")]
    Insufficient { need: i64, have: i64 },
    #[error("user {0:?} has unlimited credits (no 'credits' key); nothing to add to")]
    Unlimited(String),
    #[error("the accounts database lock was poisoned by a crashed thread")]
    Poisoned,
    /// A batch of charges failed as a whole: every request in it gets the text.
    #[error("accounts database: {0}")]
    Batch(String),
    #[error("the thread that charges and refunds credits has stopped")]
    ChargerGone,
    #[error("accounts database: the thread that charges credits could not be started: {0}")]
    Spawn(std::io::Error),
}

/// One message to charge: its id and how many parts it costs.
#[derive(Debug, Clone)]
pub struct Charge {
    pub message_id: String,
    pub parts: i64,
}

/// The accounts database; cheap to clone, one connection behind a lock.
#[derive(Debug, Clone)]
pub struct Accounts {
    conn: Arc<Mutex<Connection>>,
    changes: crossbeam_channel::Sender<Request>,
}

/// A change of balance for the charging thread, answered once committed
/// with the credits it moved.
#[derive(Debug)]
struct Request {
    change: Change,
    done: smol::channel::Sender<Result<i64, CreditsError>>,
}

/// Where a request's outcome arrives.
type Answer = smol::channel::Receiver<Result<i64, CreditsError>>;

#[derive(Debug)]
enum Change {
    /// One sendsms request's messages: all charged, or none.
    Charge {
        username: String,
        charges: Vec<Charge>,
    },
    /// What one message was charged, given back once.
    Refund { message_id: String, reason: String },
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Accounts {
    pub fn open(path: &Path) -> Result<Accounts, CreditsError> {
        let open_error = |error| CreditsError::Open {
            path: path.to_path_buf(),
            error,
        };
        let conn = Connection::open(path).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS accounts (
                 username TEXT PRIMARY KEY,
                 balance INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS ledger (
                 id INTEGER PRIMARY KEY,
                 time INTEGER NOT NULL,
                 username TEXT NOT NULL,
                 amount INTEGER NOT NULL,
                 reason TEXT NOT NULL,
                 message_id TEXT);
             CREATE TABLE IF NOT EXISTS charges (
                 message_id TEXT PRIMARY KEY,
                 username TEXT NOT NULL,
                 parts INTEGER NOT NULL,
                 refunded INTEGER NOT NULL DEFAULT 0);",
        )
        .map_err(open_error)?;
        let conn = Arc::new(Mutex::new(conn));
        let (changes, waiting) = crossbeam_channel::unbounded();
        let charger = Arc::clone(&conn);
        thread::Builder::new()
            .name("accounts".into())
            .spawn(move || charge_loop(&charger, &waiting))
            .map_err(CreditsError::Spawn)?;
        Ok(Accounts { conn, changes })
    }

    fn with<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, CreditsError>,
    ) -> Result<T, CreditsError> {
        let mut conn = self.conn.lock().map_err(|_| CreditsError::Poisoned)?;
        work(&mut conn)
    }

    /// Opens the account of `username` at `start` credits if it has none yet.
    pub fn ensure(&self, username: &str, start: i64) -> Result<(), CreditsError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let created = tx.execute(
                "INSERT OR IGNORE INTO accounts (username, balance) VALUES (?1, ?2)",
                params![username, start],
            )?;
            if created == 1 {
                tx.execute(
                    "INSERT INTO ledger (time, username, amount, reason) VALUES (?1, ?2, ?3, 'opening balance')",
                    params![now(), username, start],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// The balance, `None` when the user has no account (unlimited).
    pub fn balance(&self, username: &str) -> Result<Option<i64>, CreditsError> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT balance FROM accounts WHERE username = ?1",
                    params![username],
                    |row| row.get(0),
                )
                .optional()?)
        })
    }

    /// Charges every message at once, or nothing; the credits charged. Users
    /// without an account are unlimited and pass without a charge being
    /// recorded (0). Answered once the charge is committed, with the others
    /// waiting at the same time.
    pub async fn charge(&self, username: &str, charges: Vec<Charge>) -> Result<i64, CreditsError> {
        self.commit(Change::Charge {
            username: username.to_owned(),
            charges,
        })
        .await
    }

    /// Gives back what `message_id` was charged, once however often it is
    /// asked; the credits refunded, 0 if there was nothing (left) to refund.
    pub async fn refund(&self, message_id: &str, reason: &str) -> Result<i64, CreditsError> {
        self.commit(Change::Refund {
            message_id: message_id.to_owned(),
            reason: reason.to_owned(),
        })
        .await
    }

    /// Refunds several messages, in one commit if nothing else is waiting;
    /// each message's outcome, in order.
    pub async fn refund_all(
        &self,
        refunds: Vec<(String, String)>,
    ) -> Vec<(String, Result<i64, CreditsError>)> {
        let asked: Vec<_> = refunds
            .into_iter()
            .map(|(message_id, reason)| {
                let answer = self.send(Change::Refund {
                    message_id: message_id.clone(),
                    reason,
                });
                (message_id, answer)
            })
            .collect();
        let mut outcomes = Vec::with_capacity(asked.len());
        for (message_id, answer) in asked {
            outcomes.push((message_id, Self::answer(answer).await));
        }
        outcomes
    }

    async fn commit(&self, change: Change) -> Result<i64, CreditsError> {
        Self::answer(self.send(change)).await
    }

    fn send(&self, change: Change) -> Result<Answer, CreditsError> {
        let (done, answer) = smol::channel::bounded(1);
        self.changes
            .send(Request { change, done })
            .map_err(|_| CreditsError::ChargerGone)?;
        Ok(answer)
    }

    async fn answer(answer: Result<Answer, CreditsError>) -> Result<i64, CreditsError> {
        answer?
            .recv()
            .await
            .map_err(|_| CreditsError::ChargerGone)?
    }

    /// Adds `amount` (may be negative) to an existing account; the new balance.
    pub fn add(&self, username: &str, amount: i64, reason: &str) -> Result<i64, CreditsError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = tx.execute(
                "UPDATE accounts SET balance = balance + ?1 WHERE username = ?2",
                params![amount, username],
            )?;
            if changed == 0 {
                return Err(CreditsError::Unlimited(username.to_string()));
            }
            tx.execute(
                "INSERT INTO ledger (time, username, amount, reason) VALUES (?1, ?2, ?3, ?4)",
                params![now(), username, amount, reason],
            )?;
            let balance = tx.query_row(
                "SELECT balance FROM accounts WHERE username = ?1",
                params![username],
                |row| row.get(0),
            )?;
            tx.commit()?;
            Ok(balance)
        })
    }

    /// The ledger of one user, oldest first: (amount, reason, message id).
    pub fn ledger(
        &self,
        username: &str,
    ) -> Result<Vec<(i64, String, Option<String>)>, CreditsError> {
        self.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT amount, reason, message_id FROM ledger WHERE username = ?1 ORDER BY id",
            )?;
            let rows = statement
                .query_map(params![username], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }
}

/// The charging thread: every charge and refund waiting, in one transaction.
fn charge_loop(conn: &Mutex<Connection>, waiting: &crossbeam_channel::Receiver<Request>) {
    while let Ok(first) = waiting.recv() {
        let mut batch = vec![first];
        batch.extend(waiting.try_iter().take(MAX_BATCH - 1));
        let outcomes = match conn.lock() {
            Ok(mut conn) => commit_batch(&mut conn, &batch),
            Err(_) => batch.iter().map(|_| Err(CreditsError::Poisoned)).collect(),
        };
        for (request, outcome) in batch.into_iter().zip(outcomes) {
            // The request may have given up waiting; its change stands.
            let _ = request.done.try_send(outcome);
        }
    }
}

/// Each request's outcome, in order. A database error fails the whole batch:
/// nothing of it is committed, and every request is told.
fn commit_batch(conn: &mut Connection, batch: &[Request]) -> Vec<Result<i64, CreditsError>> {
    let committed = (|| -> rusqlite::Result<Vec<Result<i64, CreditsError>>> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let time = now();
        let outcomes = batch
            .iter()
            .map(|request| match &request.change {
                Change::Charge { username, charges } => charge_one(&tx, time, username, charges),
                Change::Refund { message_id, reason } => {
                    refund_one(&tx, time, message_id, reason).map(Ok)
                }
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(outcomes)
    })();
    match committed {
        Ok(outcomes) => outcomes,
        Err(error) => {
            let text = error.to_string();
            batch
                .iter()
                .map(|_| Err(CreditsError::Batch(text.clone())))
                .collect()
        }
    }
}

/// One request's charges inside the batch's transaction: all of them, or
/// none if the balance is short.
fn charge_one(
    tx: &Transaction<'_>,
    time: i64,
    username: &str,
    charges: &[Charge],
) -> rusqlite::Result<Result<i64, CreditsError>> {
    let need: i64 = charges.iter().map(|c| c.parts).sum();
    let balance: Option<i64> = tx
        .prepare_cached("SELECT balance FROM accounts WHERE username = ?1")?
        .query_row(params![username], |row| row.get(0))
        .optional()?;
    let Some(have) = balance else {
        return Ok(Ok(0));
    };
    if have < need {
        return Ok(Err(CreditsError::Insufficient { need, have }));
    }
    tx.prepare_cached("UPDATE accounts SET balance = balance - ?1 WHERE username = ?2")?
        .execute(params![need, username])?;
    for charge in charges {
        tx.prepare_cached(
            "INSERT INTO ledger (time, username, amount, reason, message_id) VALUES (?1, ?2, ?3, 'sendsms', ?4)",
        )?
        .execute(params![time, username, -charge.parts, charge.message_id])?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO charges (message_id, username, parts, refunded) VALUES (?1, ?2, ?3, 0)",
        )?
        .execute(params![charge.message_id, username, charge.parts])?;
    }
    Ok(Ok(need))
}

/// One message's refund inside the batch's transaction; the credits given back.
fn refund_one(
    tx: &Transaction<'_>,
    time: i64,
    message_id: &str,
    reason: &str,
) -> rusqlite::Result<i64> {
    let charge: Option<(String, i64)> = tx
        .prepare_cached(
            "SELECT username, parts FROM charges WHERE message_id = ?1 AND refunded = 0",
        )?
        .query_row(params![message_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((username, parts)) = charge else {
        return Ok(0);
    };
    tx.prepare_cached("UPDATE charges SET refunded = 1 WHERE message_id = ?1")?
        .execute(params![message_id])?;
    tx.prepare_cached("UPDATE accounts SET balance = balance + ?1 WHERE username = ?2")?
        .execute(params![parts, username])?;
    tx.prepare_cached(
        "INSERT INTO ledger (time, username, amount, reason, message_id) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![time, username, parts, reason, message_id])?;
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(id: &str, parts: i64) -> Charge {
        Charge {
            message_id: id.into(),
            parts,
        }
    }

    #[test]
    fn a_charge_beyond_the_balance_is_refused_whole_and_a_refund_happens_once()
    -> Result<(), CreditsError> {
        let dir = std::env::temp_dir().join(format!("smsbox-credits-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let accounts = Accounts::open(&dir.join("a.db"))?;
        accounts.ensure("u", 3)?;
        accounts.ensure("u", 100)?;
        assert_eq!(accounts.balance("u")?, Some(3));
        assert!(matches!(
            smol::block_on(accounts.charge("u", vec![charge("a", 2), charge("b", 2)])),
            Err(CreditsError::Insufficient { need: 4, have: 3 })
        ));
        assert_eq!(
            smol::block_on(accounts.charge("u", vec![charge("a", 2)]))?,
            2
        );
        assert_eq!(accounts.balance("u")?, Some(1));
        assert_eq!(smol::block_on(accounts.refund("a", "refused"))?, 2);
        assert_eq!(smol::block_on(accounts.refund("a", "refused"))?, 0);
        assert_eq!(accounts.balance("u")?, Some(3));
        assert_eq!(accounts.ledger("u")?.len(), 3);
        assert_eq!(accounts.balance("nobody")?, None);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }

    #[test]
    fn charges_made_together_never_spend_more_than_the_balance() -> Result<(), CreditsError> {
        let dir = std::env::temp_dir().join(format!("smsbox-credits-many-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let accounts = Accounts::open(&dir.join("a.db"))?;
        accounts.ensure("u", 150)?;
        let outcomes = smol::block_on(async {
            let requests: Vec<_> = (0..200)
                .map(|n| {
                    let accounts = accounts.clone();
                    smol::spawn(async move {
                        accounts
                            .charge("u", vec![charge(&format!("m{n}"), 1)])
                            .await
                    })
                })
                .collect();
            let mut outcomes = Vec::new();
            for request in requests {
                outcomes.push(request.await);
            }
            outcomes
        });
        let charged = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        let refused = outcomes
            .iter()
            .filter(|outcome| {
                matches!(
                    outcome,
                    Err(CreditsError::Insufficient { need: 1, have: 0 })
                )
            })
            .count();
        assert_eq!((charged, refused), (150, 50));
        assert_eq!(accounts.balance("u")?, Some(0));
        assert_eq!(
            accounts.ledger("u")?.len(),
            151,
            "the opening balance and one line per charge"
        );
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}

//! Per-user credits in the accounts database (SQLite): balances, the ledger
//! of every change, and the charges a refund may undo.
//!
//! A balance exists once a user with `credits = N` is first seen, starting
//! at N; later configuration changes do not reset it, so balances survive
//! restarts and reloads. Users without `credits` are unlimited and have no
//! row. A charge for a request is one `BEGIN IMMEDIATE` transaction: SQLite
//! serialises writers, so concurrent requests (in this process or in other
//! smsboxes sharing the file) can never spend more than the balance.
//!
//! ```text
//! accounts(username PK, balance)
//! ledger(id, time, username, amount, reason, message_id)   one row per change
//! charges(message_id PK, username, parts, refunded)       what a refund may undo
//! ```

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use thiserror::Error;

/// Under heavy concurrency other writers hold the lock for milliseconds;
/// waiting this long means something is wrong with the file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

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
        Ok(Accounts {
            conn: Arc::new(Mutex::new(conn)),
        })
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

    /// Charges every message at once, or nothing. Users without an account
    /// are unlimited and pass without a charge being recorded.
    pub fn charge(&self, username: &str, charges: &[Charge]) -> Result<(), CreditsError> {
        let need: i64 = charges.iter().map(|c| c.parts).sum();
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let balance: Option<i64> = tx
                .query_row(
                    "SELECT balance FROM accounts WHERE username = ?1",
                    params![username],
                    |row| row.get(0),
                )
                .optional()?;
            let Some(have) = balance else {
                return Ok(());
            };
            if have < need {
                return Err(CreditsError::Insufficient { need, have });
            }
            tx.execute(
                "UPDATE accounts SET balance = balance - ?1 WHERE username = ?2",
                params![need, username],
            )?;
            let time = now();
            for charge in charges {
                tx.execute(
                    "INSERT INTO ledger (time, username, amount, reason, message_id) VALUES (?1, ?2, ?3, 'sendsms', ?4)",
                    params![time, username, -charge.parts, charge.message_id],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO charges (message_id, username, parts, refunded) VALUES (?1, ?2, ?3, 0)",
                    params![charge.message_id, username, charge.parts],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Gives back what `message_id` was charged, once however often it is
    /// asked; the credits refunded, 0 if there was nothing (left) to refund.
    pub fn refund(&self, message_id: &str, reason: &str) -> Result<i64, CreditsError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let charge: Option<(String, i64)> = tx
                .query_row(
                    "SELECT username, parts FROM charges WHERE message_id = ?1 AND refunded = 0",
                    params![message_id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let Some((username, parts)) = charge else {
                return Ok(0);
            };
            tx.execute(
                "UPDATE charges SET refunded = 1 WHERE message_id = ?1",
                params![message_id],
            )?;
            tx.execute(
                "UPDATE accounts SET balance = balance + ?1 WHERE username = ?2",
                params![parts, username],
            )?;
            tx.execute(
                "INSERT INTO ledger (time, username, amount, reason, message_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![now(), username, parts, reason, message_id],
            )?;
            tx.commit()?;
            Ok(parts)
        })
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
            accounts.charge("u", &[charge("a", 2), charge("b", 2)]),
            Err(CreditsError::Insufficient { need: 4, have: 3 })
        ));
        accounts.charge("u", &[charge("a", 2)])?;
        assert_eq!(accounts.balance("u")?, Some(1));
        assert_eq!(accounts.refund("a", "refused")?, 2);
        assert_eq!(accounts.refund("a", "refused")?, 0);
        assert_eq!(accounts.balance("u")?, Some(3));
        assert_eq!(accounts.ledger("u")?.len(), 3);
        assert_eq!(accounts.balance("nobody")?, None);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}

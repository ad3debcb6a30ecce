//! The statements of one batch, prepared once for the batch.
//!
//! rusqlite's statement cache hashes a statement's text each time one is
//! taken, and resets and files it each time it goes back: for a short
//! message, more work than its insert. A batch runs the same few statements
//! for every operation in it, so it takes each from the cache once and keeps
//! it until the batch ends.

use rusqlite::{CachedStatement, Connection};

pub(super) struct BatchStatements<'c> {
    transaction: &'c Connection,
    /// A handful at most, found by the address of their text: every
    /// statement the writer runs is a constant. (Two constants of the same
    /// text would only be prepared twice.)
    prepared: Vec<(&'static str, CachedStatement<'c>)>,
}

impl<'c> BatchStatements<'c> {
    pub(super) fn new(transaction: &'c Connection) -> BatchStatements<'c> {
        BatchStatements {
            transaction,
            prepared: Vec::new(),
        }
    }

    pub(super) fn connection(&self) -> &'c Connection {
        self.transaction
    }

    /// The statement for `sql`, prepared the first time the batch asks.
    pub(super) fn get(&mut self, sql: &'static str) -> rusqlite::Result<&mut CachedStatement<'c>> {
        let index = match self
            .prepared
            .iter()
            .position(|(text, _)| std::ptr::eq(*text, sql))
        {
            Some(index) => index,
            None => {
                let statement = self.transaction.prepare_cached(sql)?;
                self.prepared.push((sql, statement));
                self.prepared.len() - 1
            }
        };
        Ok(&mut self.prepared[index].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_asked_for_again_is_the_one_already_prepared() -> rusqlite::Result<()> {
        let connection = Connection::open_in_memory()?;
        connection.execute_batch("CREATE TABLE t (n INTEGER)")?;
        let mut statements = BatchStatements::new(&connection);
        statements.get("INSERT INTO t VALUES (?1)")?.execute([1])?;
        statements.get("INSERT INTO t VALUES (?1)")?.execute([2])?;
        let count: i64 = statements
            .get("SELECT COUNT(*) FROM t")?
            .query_row([], |row| row.get(0))?;
        assert_eq!(count, 2);
        assert_eq!(statements.prepared.len(), 2);
        Ok(())
    }
}

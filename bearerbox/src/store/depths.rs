//! How many messages each lane holds, and how many submitted messages wait
//! for their delivery reports: counted once when the store opens, then kept
//! by the writer as its batches commit.
//!
//! Counting is a walk over the whole table: with a million messages queued,
//! the `GROUP BY` the status page ran took 0.4 s, on bearerbox's thread, for
//! every look a sysadmin or a monitor took at it.

use std::collections::HashMap;

use rusqlite::Connection;

use super::Direction;

/// The committed depth of every lane that holds messages.
#[derive(Debug, Default)]
pub(super) struct Depths {
    by_lane: HashMap<(Direction, String), u64>,
    /// Submitted messages whose final report has not come (`dlr_messages`).
    reports_waiting: u64,
}

/// What one batch does to the depths; applied only if the batch commits.
/// By lane name first, so that a message's lane is looked up without a copy.
#[derive(Debug, Default)]
pub(super) struct DepthChanges {
    by_lane: HashMap<String, PerDirection>,
    reports_waiting: i64,
}

#[derive(Debug, Default, Clone, Copy)]
struct PerDirection {
    to_smsc: i64,
    to_box: i64,
}

impl PerDirection {
    fn of(&mut self, direction: Direction) -> &mut i64 {
        match direction {
            Direction::ToSmsc => &mut self.to_smsc,
            Direction::ToBox => &mut self.to_box,
        }
    }
}

impl DepthChanges {
    pub(super) fn added(&mut self, direction: Direction, lane: &str) {
        self.change(direction, lane, 1);
    }

    pub(super) fn removed(&mut self, direction: Direction, lane: &str) {
        self.change(direction, lane, -1);
    }

    /// `by` more (or fewer) messages wait for their reports.
    pub(super) fn reports_waiting(&mut self, by: i64) {
        self.reports_waiting += by;
    }

    fn change(&mut self, direction: Direction, lane: &str, by: i64) {
        match self.by_lane.get_mut(lane) {
            Some(changes) => *changes.of(direction) += by,
            None => {
                let mut changes = PerDirection::default();
                *changes.of(direction) = by;
                self.by_lane.insert(lane.to_owned(), changes);
            }
        }
    }
}

impl Depths {
    /// Counts what `connection` holds, lane by lane, and the reports awaited.
    pub(super) fn count(connection: &Connection) -> rusqlite::Result<Depths> {
        let mut statement = connection
            .prepare("SELECT direction, lane, COUNT(*) FROM messages GROUP BY direction, lane")?;
        let mut by_lane = HashMap::new();
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            // A direction this version does not know is left out, as reading the lane does.
            if let Some(direction) = Direction::from_code(row.get(0)?) {
                by_lane.insert(
                    (direction, row.get(1)?),
                    row.get::<_, i64>(2)?.unsigned_abs(),
                );
            }
        }
        let reports_waiting: i64 =
            connection.query_row("SELECT COUNT(*) FROM dlr_messages", [], |row| row.get(0))?;
        Ok(Depths {
            by_lane,
            reports_waiting: reports_waiting.unsigned_abs(),
        })
    }

    /// Takes in a committed batch's changes; a lane left empty is forgotten.
    pub(super) fn apply(&mut self, changes: DepthChanges) {
        self.reports_waiting = self
            .reports_waiting
            .saturating_add_signed(changes.reports_waiting);
        for (lane, mut changes) in changes.by_lane {
            for direction in [Direction::ToSmsc, Direction::ToBox] {
                let change = *changes.of(direction);
                if change == 0 {
                    continue;
                }
                let key = (direction, lane.clone());
                let depth = self.by_lane.get(&key).copied().unwrap_or(0);
                match depth.saturating_add_signed(change) {
                    0 => self.by_lane.remove(&key),
                    depth => self.by_lane.insert(key, depth),
                };
            }
        }
    }

    pub(super) fn reports_waiting(&self) -> u64 {
        self.reports_waiting
    }

    /// Every lane that holds messages, with its depth, by direction then name.
    pub(super) fn lanes(&self) -> Vec<(Direction, String, u64)> {
        let mut lanes: Vec<_> = self
            .by_lane
            .iter()
            .map(|((direction, lane), depth)| (*direction, lane.clone(), *depth))
            .collect();
        lanes.sort_by(|a, b| (a.0.code(), &a.1).cmp(&(b.0.code(), &b.1)));
        lanes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(ops: &[(Direction, &str, i64)]) -> DepthChanges {
        let mut changes = DepthChanges::default();
        for (direction, lane, count) in ops {
            for _ in 0..count.unsigned_abs() {
                if *count > 0 {
                    changes.added(*direction, lane);
                } else {
                    changes.removed(*direction, lane);
                }
            }
        }
        changes
    }

    #[test]
    fn a_batch_adds_and_removes_per_lane_and_an_emptied_lane_is_gone() {
        let mut depths = Depths::default();
        depths.apply(changes(&[
            (Direction::ToSmsc, "smsc:b", 3),
            (Direction::ToSmsc, "smsc:a", 2),
            (Direction::ToBox, "box:", 1),
        ]));
        depths.apply(changes(&[
            (Direction::ToSmsc, "smsc:a", -2),
            (Direction::ToSmsc, "smsc:b", -1),
            (Direction::ToSmsc, "smsc:b", 1),
            (Direction::ToSmsc, "smsc:b", -1),
        ]));
        assert_eq!(
            depths.lanes(),
            [
                (Direction::ToSmsc, "smsc:b".to_owned(), 2),
                (Direction::ToBox, "box:".to_owned(), 1),
            ]
        );
    }

    #[test]
    fn the_count_at_opening_is_the_tables() -> rusqlite::Result<()> {
        let connection = Connection::open_in_memory()?;
        connection.execute_batch(
            "CREATE TABLE messages (seq INTEGER PRIMARY KEY, direction INTEGER, lane TEXT);
             INSERT INTO messages (direction, lane) VALUES
                 (0, 'smsc:a'), (0, 'smsc:a'), (1, 'box:'), (7, 'from a later version');
             CREATE TABLE dlr_messages (id INTEGER PRIMARY KEY);
             INSERT INTO dlr_messages (id) VALUES (1), (2), (3);",
        )?;
        let depths = Depths::count(&connection)?;
        assert_eq!(
            depths.lanes(),
            [
                (Direction::ToSmsc, "smsc:a".to_owned(), 2),
                (Direction::ToBox, "box:".to_owned(), 1),
            ]
        );
        assert_eq!(depths.reports_waiting(), 3);
        Ok(())
    }
}

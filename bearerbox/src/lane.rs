//! A lane: one queue of the store, with the window of it held in memory.
//!
//! Messages that share a route (the same list of candidate links, best
//! first) share a lane; MO messages and reports share a lane per target box.
//! The store is the queue; the lane keeps only a bounded window of it, read
//! in commit order, so a million waiting messages cost disk, not memory.
//!
//! Invariant: every message of the lane with `seq <= cursor` is in memory
//! (window, deferred, or in flight somewhere) or finished; every message with
//! `seq > cursor` is only in the store (or on its way there).
//!
//! A lane that has caught up with the store (the last read found its end)
//! takes a new message into its window as it is being committed, so the
//! message is never read back; it is sent only once its commit is on disk.
//! A lane behind the store leaves new messages to its next read. Box lanes
//! (MO and reports) take theirs once committed instead
//! (`Switchboard::box_lane_committed`): a report's content is made inside
//! its commit.

use std::collections::VecDeque;

use box_protocol::message::Sms;

/// How many messages of one lane are held in memory at most.
pub const WINDOW: usize = 1024;

/// A message taken from the store, decoded.
#[derive(Debug, Clone)]
pub struct Queued {
    pub seq: i64,
    /// Boxed: lanes, windows and maps move a `Queued` about several times per message.
    pub sms: Box<Sms>,
    pub tries: i64,
    /// Unix seconds before which it must not be tried.
    pub not_before: i64,
    pub accepted_at: i64,
    /// Its commit is on disk: it may be sent.
    pub durable: bool,
}

/// Where a message being committed waits: see [`Lane::committing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "the commit's end must be told to the lane with the same placement"]
pub enum Placement {
    /// In the window, not to be sent before its commit.
    Held,
    /// In the store only; a read takes it after its commit.
    Unread,
}

#[derive(Debug, Default)]
pub struct Lane {
    /// Highest `seq` read from the store.
    pub cursor: i64,
    /// Ready to go, in order.
    pub window: VecDeque<Queued>,
    /// Waiting for their retry time.
    pub deferred: Vec<Queued>,
    /// The last read found the end of the lane: nothing more in the store
    /// until a new commit marks the lane dirty.
    pub exhausted: bool,
    /// Messages being committed that were left to a read: until they are
    /// on disk, a later message must not be held either, or the cursor
    /// would pass them.
    pub unread_commits: usize,
}

impl Lane {
    /// Messages held in memory, not counting those in flight.
    pub fn held(&self) -> usize {
        self.window.len() + self.deferred.len()
    }

    /// How many more messages a refill may read.
    pub fn room(&self) -> usize {
        WINDOW.saturating_sub(self.held())
    }

    /// Whether the lane should read more from the store now.
    pub fn wants_refill(&self) -> bool {
        !self.exhausted && self.room() >= WINDOW / 2
    }

    /// Adds what a refill read; `complete` says the read reached the end.
    pub fn refilled(&mut self, messages: Vec<Queued>, complete: bool, now: i64) {
        for message in messages {
            self.cursor = self.cursor.max(message.seq);
            if message.not_before > now {
                self.deferred.push(message);
            } else {
                self.window.push_back(message);
            }
        }
        self.exhausted = complete;
    }

    /// A message whose commit was just queued: held in the window when the
    /// lane has caught up with the store, else left for a read.
    pub fn committing(&mut self, message: Queued) -> Placement {
        if self.exhausted && self.unread_commits == 0 && self.room() > 0 {
            self.cursor = self.cursor.max(message.seq);
            self.window.push_back(Queued {
                durable: false,
                ..message
            });
            Placement::Held
        } else {
            self.unread_commits += 1;
            Placement::Unread
        }
    }

    /// The commit of message `seq` ended, `ok` or not.
    pub fn committed(&mut self, seq: i64, placement: Placement, ok: bool) {
        match placement {
            Placement::Held => {
                // Not durable, it cannot have left the window; it is near its back.
                if let Some(at) = self.window.iter().rposition(|m| m.seq == seq) {
                    if ok {
                        if let Some(message) = self.window.get_mut(at) {
                            message.durable = true;
                        }
                    } else {
                        self.window.remove(at);
                    }
                }
            }
            Placement::Unread => {
                self.unread_commits = self.unread_commits.saturating_sub(1);
                if ok {
                    self.exhausted = false;
                }
            }
        }
    }

    /// The message at the front, if it may be sent now.
    pub fn ready_front(&self) -> Option<&Queued> {
        self.window.front().filter(|message| message.durable)
    }

    /// A message that must be tried again at once (its link went down):
    /// ahead of the others, to keep the order as far as we can.
    pub fn put_back(&mut self, message: Queued) {
        self.window.push_front(message);
    }

    /// Moves deferred messages whose time has come to the window, oldest
    /// first; returns the earliest time still waited for.
    pub fn release_due(&mut self, now: i64) -> Option<i64> {
        if self.deferred.is_empty() {
            return None;
        }
        self.deferred
            .sort_by_key(|message| (message.not_before, message.seq));
        let due = self
            .deferred
            .partition_point(|message| message.not_before <= now);
        for message in self.deferred.drain(..due) {
            self.window.push_back(message);
        }
        self.deferred.first().map(|message| message.not_before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn queued(seq: i64, not_before: i64) -> Queued {
        Queued {
            seq,
            sms: Box::new(Sms::undefined(uuid::Uuid::nil())),
            tries: 0,
            not_before,
            accepted_at: 0,
            durable: true,
        }
    }

    #[test]
    fn a_caught_up_lane_holds_a_new_message_until_its_commit() {
        let mut lane = Lane::default();
        lane.refilled(vec![queued(3, 0)], true, 0);
        lane.window.clear();
        let placement = lane.committing(queued(4, 0));
        assert_eq!(placement, Placement::Held);
        assert!(lane.ready_front().is_none(), "not sent before its commit");
        lane.committed(4, placement, true);
        assert_eq!(lane.ready_front().map(|m| m.seq), Some(4));
        assert_eq!(lane.cursor, 4);
    }

    #[test]
    fn a_failed_commit_takes_the_held_message_out() {
        let mut lane = Lane::default();
        lane.refilled(Vec::new(), true, 0);
        let placement = lane.committing(queued(9, 0));
        lane.committed(9, placement, false);
        assert!(lane.window.is_empty());
    }

    #[test]
    fn a_lane_behind_the_store_leaves_new_messages_to_its_next_read() {
        let mut lane = Lane::default();
        // Never read: not caught up.
        assert_eq!(lane.committing(queued(1, 0)), Placement::Unread);
        lane.refilled(Vec::new(), true, 0);
        // Caught up, but message 1 is still on its way: 2 must not pass it.
        assert_eq!(lane.committing(queued(2, 0)), Placement::Unread);
        lane.committed(1, Placement::Unread, true);
        lane.committed(2, Placement::Unread, true);
        assert!(lane.wants_refill());
        assert_eq!(lane.cursor, 0, "the read finds both after cursor 0");
    }

    #[test]
    fn a_refill_advances_the_cursor_and_parks_what_is_not_due() {
        let mut lane = Lane::default();
        lane.refilled(vec![queued(3, 0), queued(5, 100), queued(7, 0)], true, 50);
        assert_eq!(lane.cursor, 7);
        assert_eq!(
            lane.window.iter().map(|m| m.seq).collect::<Vec<_>>(),
            vec![3, 7]
        );
        assert_eq!(lane.deferred.len(), 1);
        assert!(lane.exhausted);
    }

    #[test]
    fn deferred_messages_come_back_when_due_in_time_order() {
        let mut lane = Lane::default();
        lane.refilled(vec![queued(1, 30), queued(2, 10), queued(3, 20)], true, 0);
        assert_eq!(lane.release_due(20), Some(30));
        assert_eq!(
            lane.window.iter().map(|m| m.seq).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert_eq!(lane.release_due(30), None);
    }

    #[test]
    fn a_put_back_message_goes_first() {
        let mut lane = Lane::default();
        lane.refilled(vec![queued(2, 0)], true, 0);
        lane.put_back(queued(1, 0));
        assert_eq!(lane.window.front().map(|m| m.seq), Some(1));
    }

    #[test]
    fn a_full_window_asks_for_no_refill() {
        let mut lane = Lane::default();
        lane.refilled(
            (0..WINDOW as i64).map(|seq| queued(seq, 0)).collect(),
            false,
            0,
        );
        assert!(!lane.wants_refill());
        lane.window.truncate(10);
        assert!(lane.wants_refill());
    }
}

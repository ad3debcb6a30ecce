//! A deadline that moves at every turn of a loop but seldom comes.
//!
//! A box connection's silence limit moves with every read, an SMPP session's
//! next timeout with every PDU. A fresh `Timer` for each turn registers with
//! async-io's reactor and wakes it (a write to its eventfd) every time, and
//! removes itself again when dropped: thousands of times a second under
//! load, for deadlines of seconds that almost never fire. A [`Deadline`]
//! keeps one timer and moves it only when the deadline comes earlier; when
//! the deadline moved later, the timer fires early once and is set again.

use std::time::Instant;

use smol::Timer;

#[derive(Debug)]
pub struct Deadline {
    timer: Timer,
    /// Where the timer is set; `None` once it fired (or before it was set).
    armed: Option<Instant>,
}

impl Default for Deadline {
    fn default() -> Self {
        Self::new()
    }
}

impl Deadline {
    pub fn new() -> Deadline {
        Deadline {
            timer: Timer::never(),
            armed: None,
        }
    }

    /// Completes at `at` (at once if it is past).
    ///
    /// Cancel-safe: dropped before it completes, the timer stays set, and
    /// the next call with a deadline no earlier does not touch it.
    pub async fn until(&mut self, at: Instant) {
        loop {
            if self.armed.is_none_or(|armed| at < armed) {
                self.timer.set_at(at);
                self.armed = Some(at);
            }
            (&mut self.timer).await;
            self.armed = None;
            if Instant::now() >= at {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_lite::future;
    use std::time::Duration;

    #[test]
    fn completes_at_the_deadline_given_not_the_one_the_timer_was_set_for() {
        smol::block_on(async {
            let mut deadline = Deadline::new();
            let started = Instant::now();
            let early = started + Duration::from_millis(20);
            let later = started + Duration::from_millis(60);
            // Set for `early`, then abandoned before it fired.
            let abandoned = future::poll_once(deadline.until(early)).await;
            assert!(abandoned.is_none());
            // The deadline moved later: the timer fires at `early`, is set again, and
            // the wait ends at `later`.
            deadline.until(later).await;
            assert!(Instant::now() >= later);
            // An earlier deadline moves the timer at once.
            let sooner = Instant::now() + Duration::from_millis(10);
            let _ =
                future::poll_once(deadline.until(Instant::now() + Duration::from_secs(60))).await;
            deadline.until(sooner).await;
            assert!(Instant::now() >= sooner);
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "waited for the abandoned later deadline"
            );
        });
    }

    #[test]
    fn a_deadline_already_past_completes_at_once() {
        smol::block_on(async {
            let mut deadline = Deadline::new();
            let past = Instant::now();
            let done = future::poll_once(deadline.until(past)).await;
            // async-io fires a timer that is due on its first poll.
            assert!(done.is_some());
        });
    }
}

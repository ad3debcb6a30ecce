//! Kannel's load figures from a growing counter: messages per second over
//! the last 60 s, the last 300 s, and since start.
//!
//! The owner samples the counter about once a second; a rate over a window
//! is the growth since the newest sample at least that old, divided by the
//! whole window (as Kannel does: a young gateway does not show inflated
//! rates). No clock here: every call is given `now` in Unix seconds.

use std::collections::VecDeque;

use crate::model::Rates;

/// The windows Kannel reports, in seconds.
const WINDOWS: [i64; 2] = [60, 300];
/// Samples older than the longest window, plus one, are of no use.
const KEEP: i64 = 301;

#[derive(Debug, Clone)]
pub struct Meter {
    started_at: i64,
    /// (time, total), oldest first, at most one per second.
    samples: VecDeque<(i64, u64)>,
}

impl Meter {
    pub fn new(started_at: i64) -> Meter {
        Meter {
            started_at,
            samples: VecDeque::new(),
        }
    }

    /// Records the counter's value at `now`.
    pub fn observe(&mut self, now: i64, total: u64) {
        match self.samples.back_mut() {
            Some((time, value)) if *time == now => *value = total,
            Some((time, _)) if *time > now => {}
            _ => self.samples.push_back((now, total)),
        }
        // Keep one sample at or before the longest window's start.
        while self.samples.len() > 1 && self.samples.get(1).is_some_and(|(t, _)| *t <= now - KEEP) {
            self.samples.pop_front();
        }
    }

    /// The three figures for a counter now at `total`.
    pub fn rates(&self, now: i64, total: u64) -> Rates {
        let over = |window: i64| {
            let base = self
                .samples
                .iter()
                .rev()
                .find(|(time, _)| *time <= now - window)
                .map_or(0, |(_, value)| *value);
            total.saturating_sub(base) as f64 / window as f64
        };
        let lived = (now - self.started_at).max(1);
        Rates {
            minute: over(WINDOWS[0]),
            five_minutes: over(WINDOWS[1]),
            lifetime: total as f64 / lived as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_young_gateway_divides_by_the_whole_window() {
        let mut meter = Meter::new(1000);
        meter.observe(1000, 0);
        meter.observe(1010, 60);
        let rates = meter.rates(1010, 60);
        assert_eq!(rates.minute, 1.0);
        assert_eq!(rates.five_minutes, 0.2);
        assert_eq!(rates.lifetime, 6.0);
    }

    #[test]
    fn old_traffic_leaves_the_minute_but_not_the_five_minutes() {
        let mut meter = Meter::new(0);
        meter.observe(0, 0);
        meter.observe(10, 120);
        for t in 11..=130 {
            meter.observe(t, 120);
        }
        let rates = meter.rates(130, 120);
        assert_eq!(rates.minute, 0.0);
        assert_eq!(rates.five_minutes, 0.4);
    }

    #[test]
    fn samples_are_bounded() {
        let mut meter = Meter::new(0);
        for t in 0..10_000 {
            meter.observe(t, t as u64);
        }
        assert!(meter.samples.len() <= KEEP as usize + 1);
        assert_eq!(meter.rates(9_999, 9_999).minute, 1.0);
    }
}

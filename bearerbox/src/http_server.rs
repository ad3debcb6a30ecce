//! What both HTTP servers on hyper share (smsbox's sendsms port, the HTTP
//! SMSC's callback port): a deadline for each request head, and collecting a
//! request body with a deadline.
//!
//! Both deadlines are kept without a timer per request. hyper's own
//! `header_read_timeout` arms a new timer for every request head, and makes
//! hyper read the socket once more after every answer to start it: with
//! keep-alive clients sending thousands of requests a second, that was a
//! tenth of smsbox's time. Here one watchdog per connection wakes once per
//! period, and a body that is complete when its head is (every GET, and most
//! POSTs) never arms a timer at all.

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_lite::future;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use smol::Timer;

/// Whether a connection is answering a request, and since when it is not.
///
/// Shared by the connection's service (which marks each request with
/// [`IdleWatch::answering`]) and its watchdog ([`IdleWatch::idle_for`]).
#[derive(Debug, Clone)]
pub struct IdleWatch(Rc<IdleState>);

#[derive(Debug)]
struct IdleState {
    answering: Cell<usize>,
    idle_since: Cell<Instant>,
}

/// A request in progress: the connection is not idle until it drops.
#[derive(Debug)]
pub struct Answering(IdleWatch);

impl Drop for Answering {
    fn drop(&mut self) {
        let state = &self.0.0;
        let left = state.answering.get().saturating_sub(1);
        state.answering.set(left);
        if left == 0 {
            state.idle_since.set(Instant::now());
        }
    }
}

impl Default for IdleWatch {
    fn default() -> Self {
        Self::new()
    }
}

impl IdleWatch {
    /// A connection that has just opened: idle, waiting for its first request.
    pub fn new() -> IdleWatch {
        IdleWatch(Rc::new(IdleState {
            answering: Cell::new(0),
            idle_since: Cell::new(Instant::now()),
        }))
    }

    /// Marks a request as in progress until the returned guard drops.
    pub fn answering(&self) -> Answering {
        let state = &self.0;
        state.answering.set(state.answering.get() + 1);
        Answering(self.clone())
    }

    /// Completes once the connection has had no request in progress for
    /// `limit`: a client that sends no request head, or only part of one,
    /// for that long. A request still being answered is never cut off.
    pub async fn idle_for(&self, limit: Duration) {
        loop {
            let state = &self.0;
            let wait = if state.answering.get() > 0 {
                limit
            } else {
                let idle = state.idle_since.get().elapsed();
                if idle >= limit {
                    return;
                }
                limit - idle
            };
            Timer::after(wait).await;
        }
    }
}

/// A request body, collected.
#[derive(Debug)]
pub enum Body {
    Complete(Bytes),
    /// Longer than the limit.
    TooLong,
    /// Cut short or badly chunked: the text says how.
    Malformed(String),
    /// Not all there before the deadline.
    TimedOut,
}

/// Collects a request body of at most `max` octets, waiting at most `timeout`
/// for the rest of it.
pub async fn collect(body: Incoming, max: usize, timeout: Duration) -> Body {
    let mut collecting = pin!(Limited::new(body, max).collect());
    // Most bodies are complete when their head is: those need no timer.
    let result = match future::poll_once(collecting.as_mut()).await {
        Some(result) => result,
        None => {
            let rest = future::or(async { Some(collecting.await) }, async {
                Timer::after(timeout).await;
                None
            });
            match rest.await {
                Some(result) => result,
                None => return Body::TimedOut,
            }
        }
    };
    match result {
        Ok(collected) => Body::Complete(collected.to_bytes()),
        Err(error)
            if error
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Body::TooLong
        }
        Err(error) => Body::Malformed(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_connection_is_idle_and_a_request_keeps_it_busy_until_answered() {
        let watch = IdleWatch::new();
        let opened = watch.0.idle_since.get();
        let first = watch.answering();
        let second = watch.answering();
        assert_eq!(watch.0.answering.get(), 2);
        drop(first);
        assert_eq!(watch.0.answering.get(), 1);
        assert_eq!(watch.0.idle_since.get(), opened, "still answering one");
        drop(second);
        assert_eq!(watch.0.answering.get(), 0);
        assert!(watch.0.idle_since.get() >= opened);
    }

    #[test]
    fn the_watchdog_fires_after_the_idle_limit_and_not_while_answering() {
        smol::block_on(async {
            let watch = IdleWatch::new();
            let limit = Duration::from_millis(50);
            let started = Instant::now();
            watch.idle_for(limit).await;
            assert!(started.elapsed() >= limit);

            let busy = watch.answering();
            let fired = future::or(
                async {
                    watch.idle_for(limit).await;
                    true
                },
                async {
                    Timer::after(limit * 3).await;
                    false
                },
            )
            .await;
            assert!(!fired, "cut off a request still being answered");
            drop(busy);
            let answered = Instant::now();
            watch.idle_for(limit).await;
            assert!(answered.elapsed() >= limit);
        });
    }
}

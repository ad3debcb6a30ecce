//! The link to bearerbox: connect, hold the connection, and when bearerbox
//! is unreachable or goes away, try again with back-off, logging each
//! attempt. Reading is a placeholder (bytes are dropped) until the box
//! protocol is spoken here.
//!
//! The loop is written against closures for connecting and sleeping so it
//! does not depend on the runtime; [`crate::runtime`] supplies smol's.

use std::future::Future;
use std::io;
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncReadExt};

/// Kannel's compiled-in defaults when the configuration says nothing.
pub const DEFAULT_HOST: &str = "localhost";
pub const DEFAULT_PORT: u16 = 13001;

/// Where bearerbox is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

/// Delays between connection attempts: from `FIRST`, doubling, at most `MAX`.
/// Starting short lets an smsbox started together with bearerbox attach
/// within a second; the cap keeps a long outage from spacing retries out
/// beyond what an operator would wait for.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Backoff {
    pub const FIRST: Duration = Duration::from_millis(250);
    pub const MAX: Duration = Duration::from_secs(10);

    pub fn new() -> Backoff {
        Backoff {
            next: Backoff::FIRST,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(Backoff::MAX);
        delay
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

/// Keeps a connection to bearerbox for as long as the future is polled.
pub async fn keep_connected<S, C, CF, Z, ZF>(target: Target, mut connect: C, mut sleep: Z)
where
    S: AsyncRead + Unpin,
    C: FnMut(String, u16) -> CF,
    CF: Future<Output = io::Result<S>>,
    Z: FnMut(Duration) -> ZF,
    ZF: Future<Output = ()>,
{
    let mut backoff = Backoff::new();
    let mut attempt: u64 = 0;
    loop {
        attempt += 1;
        log::info!(
            "connecting to bearerbox at {}:{} (attempt {attempt})",
            target.host,
            target.port
        );
        match connect(target.host.clone(), target.port).await {
            Ok(stream) => {
                log::info!("connected to bearerbox at {}:{}", target.host, target.port);
                backoff = Backoff::new();
                attempt = 0;
                match hold(stream).await {
                    Ok(()) => log::warn!("bearerbox closed the connection"),
                    Err(error) => log::warn!("connection to bearerbox lost: {error}"),
                }
            }
            Err(error) => {
                log::warn!(
                    "cannot connect to bearerbox at {}:{}: {error}",
                    target.host,
                    target.port
                );
            }
        }
        let delay = backoff.next_delay();
        log::info!(
            "next attempt to reach bearerbox in {} ms",
            delay.as_millis()
        );
        sleep(delay).await;
    }
}

async fn hold<S: AsyncRead + Unpin>(mut stream: S) -> io::Result<()> {
    let mut buffer = [0u8; 4096];
    while stream.read(&mut buffer).await? != 0 {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_a_quarter_second_up_to_ten_seconds() {
        let mut backoff = Backoff::new();
        let delays: Vec<u128> = (0..9).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(
            delays,
            [250, 500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]
        );
    }
}

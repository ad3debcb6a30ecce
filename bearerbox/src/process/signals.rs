//! Signals, taken synchronously by one thread with `sigwait`.
//!
//! [`block`] masks the signals we handle before any other thread exists, so
//! every thread (smol's included) inherits the mask and only the waiting
//! thread started by [`spawn`] ever sees them. A signal that arrives while
//! the box is still starting stays pending and is acted on once the thread
//! runs, instead of killing the box half-started.
//!
//! | signal | action |
//! | --- | --- |
//! | SIGTERM, SIGINT | first: `on_shutdown` (a clean stop); second: forced exit, status 1 |
//! | SIGHUP | reopen the log files, then the hook of [`on_hangup`] (bearerbox: a graceful restart, as Kannel's) |
//! | SIGUSR2 | reopen the log files (logrotate) |

use std::path::PathBuf;
use std::sync::OnceLock;
use std::thread;

use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, pthread_sigmask};
use thiserror::Error;

use super::logging;
use super::pidfile;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SignalError {
    #[error("cannot block signals: {0}")]
    Mask(nix::Error),
    #[error("cannot start the signal thread: {0}")]
    Thread(std::io::Error),
}

type Hook = Box<dyn Fn() + Send + Sync>;

/// What SIGHUP does besides reopening the logs; set once by a box that
/// does more (bearerbox restarts gracefully, smsbox does not).
static HANGUP: OnceLock<Hook> = OnceLock::new();

/// Makes SIGHUP call `hook` after reopening the logs. Only the first call
/// counts.
pub fn on_hangup(hook: impl Fn() + Send + Sync + 'static) {
    let _ = HANGUP.set(Box::new(hook));
}

fn handled() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGUSR2,
    ] {
        set.add(signal);
    }
    set
}

/// Blocks the handled signals in the calling thread and every thread it
/// starts later. Call first thing in `main`.
pub fn block() -> Result<(), SignalError> {
    let set = handled();
    pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(SignalError::Mask)?;
    // An ignored signal is discarded, never left pending for `sigwait`; a
    // shell starting us in the background (or `nohup`) ignores SIGINT or
    // SIGHUP, so take them back as Kannel's own handlers do. They are
    // blocked already, so the default action can no longer strike.
    for signal in set.iter() {
        // SAFETY: installing SIG_DFL runs no code of ours in signal context.
        unsafe { nix::sys::signal::signal(signal, SigHandler::SigDfl) }
            .map_err(SignalError::Mask)?;
    }
    Ok(())
}

/// Starts the thread that waits for signals. `on_shutdown` runs once, on the
/// first SIGTERM or SIGINT; a second one exits at once, after removing
/// `pid_file`, for an operator who will not wait for a slow stop.
pub fn spawn(
    name: &'static str,
    pid_file: Option<PathBuf>,
    on_shutdown: impl FnOnce() + Send + 'static,
) -> Result<(), SignalError> {
    let set = handled();
    thread::Builder::new()
        .name("signals".into())
        .spawn(move || wait_loop(name, set, pid_file, on_shutdown))
        .map(|_| ())
        .map_err(SignalError::Thread)
}

fn wait_loop(
    name: &'static str,
    set: SigSet,
    pid_file: Option<PathBuf>,
    on_shutdown: impl FnOnce(),
) {
    let mut on_shutdown = Some(on_shutdown);
    loop {
        let signal = match set.wait() {
            Ok(signal) => signal,
            Err(error) => {
                log::error!("waiting for signals failed: {error}; signals are no longer handled");
                return;
            }
        };
        match signal {
            Signal::SIGHUP => {
                logging::reopen();
                match HANGUP.get() {
                    Some(hook) => {
                        log::info!("SIGHUP received, re-opening logs and gracefully restarting.");
                        hook();
                    }
                    None => log::info!("{signal} received, re-opened log files"),
                }
            }
            Signal::SIGUSR2 => {
                logging::reopen();
                log::info!("{signal} received, re-opened log files");
            }
            Signal::SIGTERM | Signal::SIGINT => match on_shutdown.take() {
                Some(shutdown) => {
                    log::info!("{signal} received, {name} shutting down");
                    shutdown();
                }
                None => {
                    logging::panic(&format!("{signal} received again, {name} exiting at once"));
                    if let Some(path) = &pid_file {
                        pidfile::remove_path(path);
                    }
                    std::process::exit(1);
                }
            },
            other => log::debug!("ignoring {other}"),
        }
    }
}

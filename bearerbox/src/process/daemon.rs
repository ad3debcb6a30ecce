//! `-d`: detach from the terminal.
//!
//! One fork and `setsid` (the C library's `daemon`): the parent exits 0 at
//! once, the child leads a new session with no controlling terminal and its
//! standard streams on `/dev/null`.
//!
//! Unlike Kannel we keep the working directory. Kannel moves to `/`, which
//! makes every relative path in `kannel.conf` (log files, the store) mean
//! something else under `-d` than in the foreground; keeping it makes them
//! mean the same in both. Absolute paths, which Kannel configs use because
//! of that, are unaffected.
//!
//! Call it before any thread exists: threads do not survive a fork.

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DaemonError {
    #[error("cannot daemonize: {0}")]
    Fork(nix::Error),
}

pub fn daemonize() -> Result<(), DaemonError> {
    nix::unistd::daemon(true, false).map_err(DaemonError::Fork)
}

//! The process shell both boxes share: command line, logging, signals,
//! daemonizing, pid file, and reading the configuration at start.
//!
//! A box's `main` goes through three steps:
//!
//! ```text
//! boot()  ── --check-config ──▶ Boot::Checked(exit code)
//!   │ signals blocked, logging up, configuration loaded (or refused: exit 1)
//!   ▼
//! bind its listeners with listen() (errors still reach the terminal)
//!   ▼
//! detach() ── -d: fork ── pid file ── signal thread ──▶ Running
//!   │ runtime serves until the first SIGTERM/SIGINT calls on_shutdown
//!   ▼
//! Running::finish(): pid file removed, closing line logged, exit 0
//! ```

pub mod cli;
pub mod daemon;
pub mod listen;
pub mod logging;
pub mod pidfile;
pub mod signals;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use conf::{Diagnostic, LoadOptions, Reader, Severity};
use thiserror::Error;

pub use cli::CommonArgs;
pub use listen::listen;
pub use logging::Level;

/// What distinguishes the boxes to the shared shell.
#[derive(Debug, Clone, Copy)]
pub struct BoxKind {
    /// The name in log lines and messages.
    pub name: &'static str,
    pub reader: Reader,
    /// The group whose `log-file` and `log-level` this box follows.
    pub log_group: &'static str,
}

pub const BEARERBOX: BoxKind = BoxKind {
    name: "bearerbox",
    reader: Reader::Bearerbox,
    log_group: "core",
};
pub const SMSBOX: BoxKind = BoxKind {
    name: "smsbox",
    reader: Reader::Smsbox,
    log_group: "smsbox",
};

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProcessError {
    #[error("configuration {} refused with {errors} error(s)", path.display())]
    Refused { path: PathBuf, errors: usize },
    #[error("{location}: '{key}' must be {expected}, got {value:?}")]
    BadValue {
        location: String,
        key: String,
        expected: &'static str,
        value: String,
    },
    #[error("{location}: group '{group}' needs '{key}'")]
    Missing {
        location: String,
        group: String,
        key: String,
    },
    #[error("the configuration has no '{0}' group")]
    NoGroup(String),
    // The io errors below are part of the message, not a `source()`, so
    // that an error chain does not print them twice.
    #[error("cannot listen on {address} for '{key}': {error}")]
    Bind {
        key: String,
        address: String,
        error: std::io::Error,
    },
    #[error(transparent)]
    Log(#[from] logging::LogError),
    #[error(transparent)]
    Signals(#[from] signals::SignalError),
    #[error(transparent)]
    Daemon(#[from] daemon::DaemonError),
    #[error(transparent)]
    PidFile(#[from] pidfile::PidFileError),
}

/// The outcome of [`boot`].
#[derive(Debug)]
pub enum Boot {
    /// `--check-config` ran; exit with this code.
    Checked(ExitCode),
    /// The box is to run with this configuration.
    Run(conf::Config),
}

/// Handles `--check-config`, or blocks signals, sets up logging and loads
/// the configuration. A refused configuration has every diagnostic printed
/// on standard error before the error returns.
pub fn boot(kind: BoxKind, args: &CommonArgs) -> Result<Boot, ProcessError> {
    if args.check_config {
        return Ok(Boot::Checked(check_config(kind, &args.config)));
    }
    signals::block()?;
    logging::install(Some(args.verbosity))?;
    if let Some(path) = &args.logfile {
        logging::add_file(path, args.fileverbosity)?;
    }
    if args.debug.is_some() {
        log::debug!("-D/--debug places are accepted for Kannel compatibility and ignored");
    }

    let loaded = match conf::load(&args.config, kind.reader, &LoadOptions::default()) {
        Ok(loaded) => loaded,
        Err(refused) => {
            for diagnostic in &refused.diagnostics {
                eprintln!("{}", labelled(diagnostic));
            }
            let errors = refused
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            return Err(ProcessError::Refused {
                path: args.config.clone(),
                errors,
            });
        }
    };
    if let Some(group) = loaded.config.single(kind.log_group) {
        add_configured_log(group)?;
    }
    // Only now are all log files open: the first line of each says who wrote it.
    log::info!(
        "{} version {} starting with configuration {}",
        kind.name,
        env!("CARGO_PKG_VERSION"),
        args.config.display()
    );
    // After the configured log file is open, so the warnings are kept there too.
    for warning in &loaded.warnings {
        log::warn!("{warning}");
    }
    Ok(Boot::Run(loaded.config))
}

fn add_configured_log(group: &conf::Group) -> Result<(), ProcessError> {
    let Some(path) = group.get("log-file") else {
        return Ok(());
    };
    let level = match group.get("log-level") {
        None => Level::Debug,
        Some(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(Level::from_kannel)
            .ok_or_else(|| ProcessError::BadValue {
                location: listen::location_of(group, "log-level"),
                key: "log-level".into(),
                expected: "a log level from 0 (debug) to 4 (panic)",
                value: text.into(),
            })?,
    };
    logging::add_file(Path::new(path), level)?;
    Ok(())
}

/// `--check-config`: every finding on standard output, errors first-word
/// `ERROR:` so they stand out from warnings, then a one-line verdict.
fn check_config(kind: BoxKind, path: &Path) -> ExitCode {
    match conf::load(path, kind.reader, &LoadOptions::default()) {
        Ok(loaded) => {
            for warning in &loaded.warnings {
                println!("{}", labelled(warning));
            }
            println!(
                "{}: configuration accepted by {} ({} warning(s))",
                path.display(),
                kind.name,
                loaded.warnings.len()
            );
            ExitCode::SUCCESS
        }
        Err(refused) => {
            for diagnostic in &refused.diagnostics {
                println!("{}", labelled(diagnostic));
            }
            let errors = refused
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            println!(
                "{}: configuration refused by {} ({errors} error(s))",
                path.display(),
                kind.name
            );
            ExitCode::from(1)
        }
    }
}

fn labelled(diagnostic: &Diagnostic) -> String {
    match diagnostic.severity {
        Severity::Error => format!("ERROR: {diagnostic}"),
        Severity::Warning => format!("WARNING: {diagnostic}"),
    }
}

/// A box past start-up, in its final process.
#[derive(Debug)]
pub struct Running {
    kind: BoxKind,
    pid_file: Option<pidfile::PidFile>,
}

/// Daemonizes if asked, writes the pid file and starts the signal thread,
/// which calls `on_shutdown` on the first SIGTERM or SIGINT.
///
/// Call it after binding the listeners (so that bind errors reach the
/// terminal) and before starting any thread or runtime (threads do not
/// survive the fork).
pub fn detach(
    kind: BoxKind,
    args: &CommonArgs,
    on_shutdown: impl FnOnce() + Send + 'static,
) -> Result<Running, ProcessError> {
    if args.daemonize {
        daemon::daemonize()?;
        // Standard error is /dev/null from here on.
        logging::set_console(None);
        log::info!("{} daemonized", kind.name);
    }
    let pid_file = args
        .pid_file
        .as_deref()
        .map(pidfile::PidFile::create)
        .transpose()?;
    signals::spawn(
        kind.name,
        pid_file.as_ref().map(|p| p.path().to_path_buf()),
        on_shutdown,
    )?;
    log::info!("{} running, pid {}", kind.name, std::process::id());
    Ok(Running { kind, pid_file })
}

impl Running {
    /// The clean end: pid file gone, closing line logged.
    pub fn finish(self) -> ExitCode {
        if let Some(pid_file) = self.pid_file {
            pid_file.remove();
        }
        log::info!("{} terminated", self.kind.name);
        log::logger().flush();
        ExitCode::SUCCESS
    }
}

/// Reports an error that ends the box: as a PANIC line where logging is up
/// (console and files, as Kannel does), else on standard error.
pub fn report_fatal(kind: BoxKind, error: &dyn std::fmt::Display) {
    let text = format!("{}: {error}", kind.name);
    if logging::is_installed() {
        logging::panic(&text);
        log::logger().flush();
    } else {
        eprintln!("{text}");
    }
}

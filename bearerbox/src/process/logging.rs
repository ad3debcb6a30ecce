//! Kannel's log lines, written by our own backend of the `log` facade.
//!
//! Every line reads `2026-11-25 19:00:00 [pid] [thread] LEVEL: text` in local
//! time, so tools that parse Kannel's logs parse ours. The console
//! (standard error) and each log file have their own level; a record goes to
//! every sink whose level it reaches.
//!
//! Kannel has one level more than `log`: PANIC. A record logged with the
//! target [`PANIC_TARGET`] is written as PANIC (see [`fn@panic`]).

use std::cell::Cell;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use thiserror::Error;

/// The target that turns an error record into a PANIC line.
pub const PANIC_TARGET: &str = "panic";

/// Kannel's levels, in its order: 0 debug to 4 panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    Panic = 4,
}

impl Level {
    /// The level for Kannel's number (`-v`, `log-level`). Kannel documents
    /// 0..5; 5 and above keep only PANIC lines, as the highest level does.
    pub fn from_kannel(number: i64) -> Option<Level> {
        match number {
            0 => Some(Level::Debug),
            1 => Some(Level::Info),
            2 => Some(Level::Warning),
            3 => Some(Level::Error),
            4 | 5 => Some(Level::Panic),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Panic => "PANIC",
        }
    }

    /// The `log` filter that lets through every record a sink at this level takes.
    fn filter(self) -> log::LevelFilter {
        match self {
            Level::Debug => log::LevelFilter::Trace,
            Level::Info => log::LevelFilter::Info,
            Level::Warning => log::LevelFilter::Warn,
            Level::Error | Level::Panic => log::LevelFilter::Error,
        }
    }

    fn of(record: &log::Record<'_>) -> Level {
        match record.level() {
            log::Level::Error if record.target() == PANIC_TARGET => Level::Panic,
            log::Level::Error => Level::Error,
            log::Level::Warn => Level::Warning,
            log::Level::Info => Level::Info,
            log::Level::Debug | log::Level::Trace => Level::Debug,
        }
    }
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LogError {
    // The io error is part of the message, not a `source()`: printed
    // either way, it would otherwise show twice in an error chain.
    #[error("cannot open log file {path}: {error}")]
    Open { path: PathBuf, error: io::Error },
    #[error("logging was already set up in this process")]
    AlreadyInstalled,
}

struct FileSink {
    /// The path as given, reopened on SIGHUP: logrotate renames the old file
    /// and the next line must land in a new one under the same name.
    path: PathBuf,
    level: Level,
    file: File,
    /// Kannel's exclusive log (an smsc group's `log-file`): only records of
    /// this target land here, and they land nowhere else.
    only: Option<String>,
}

struct Sinks {
    console: Option<Level>,
    files: Vec<FileSink>,
}

impl Sinks {
    /// The lowest level any sink takes: records below it are not even formatted.
    fn lowest(&self) -> Option<Level> {
        self.files
            .iter()
            .map(|sink| sink.level)
            .chain(self.console)
            .min()
    }
}

struct Logger {
    sinks: Mutex<Sinks>,
}

/// Tells the `log` facade which records some sink wants, so that a
/// `log::debug!` in a hot path costs one comparison when nothing takes debug
/// lines. Called with the sinks locked, after every change to them.
fn set_max_level(sinks: &Sinks) {
    log::set_max_level(sinks.lowest().map_or(log::LevelFilter::Off, Level::filter));
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

fn lock(logger: &Logger) -> MutexGuard<'_, Sinks> {
    // A writer that panicked mid-line leaves nothing inconsistent behind.
    logger
        .sinks
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Installs the backend with the console at `console` (None: no console,
/// as after daemonizing). Call once, before any thread logs.
pub fn install(console: Option<Level>) -> Result<(), LogError> {
    let logger = Logger {
        sinks: Mutex::new(Sinks {
            console,
            files: Vec::new(),
        }),
    };
    if LOGGER.set(logger).is_err() {
        return Err(LogError::AlreadyInstalled);
    }
    let Some(logger) = LOGGER.get() else {
        return Err(LogError::AlreadyInstalled);
    };
    log::set_logger(logger).map_err(|_| LogError::AlreadyInstalled)?;
    set_max_level(&lock(logger));
    Ok(())
}

pub fn is_installed() -> bool {
    LOGGER.get().is_some()
}

/// Adds a log file at `level`, appending to it as Kannel does.
pub fn add_file(path: &Path, level: Level) -> Result<(), LogError> {
    let file = open_append(path)?;
    if let Some(logger) = LOGGER.get() {
        let mut sinks = lock(logger);
        sinks.files.push(FileSink {
            path: path.to_path_buf(),
            level,
            file,
            only: None,
        });
        set_max_level(&sinks);
    }
    Ok(())
}

/// Adds a file that takes the records logged with `target` and keeps them
/// from every other sink, console included, as Kannel's per-SMSC `log-file`
/// does. A second call for the same target (a restarted link) replaces the
/// first file.
pub fn add_exclusive_file(path: &Path, level: Level, target: &str) -> Result<(), LogError> {
    let file = open_append(path)?;
    if let Some(logger) = LOGGER.get() {
        let mut sinks = lock(logger);
        sinks
            .files
            .retain(|sink| sink.only.as_deref() != Some(target));
        sinks.files.push(FileSink {
            path: path.to_path_buf(),
            level,
            file,
            only: Some(target.to_owned()),
        });
        set_max_level(&sinks);
    }
    Ok(())
}

/// Changes the console level; `None` silences it (its stream is gone after
/// daemonizing).
pub fn set_console(level: Option<Level>) {
    if let Some(logger) = LOGGER.get() {
        let mut sinks = lock(logger);
        sinks.console = level;
        set_max_level(&sinks);
    }
}

/// Sets the level of every log file (admin `log-level`); the console keeps
/// its own, as in Kannel, whose command changes "everything but stderr".
pub fn set_file_level(level: Level) {
    let Some(logger) = LOGGER.get() else { return };
    let mut sinks = lock(logger);
    for sink in &mut sinks.files {
        sink.level = level;
    }
    set_max_level(&sinks);
}

/// Reopens every log file under its name (SIGHUP, SIGUSR2). A file that
/// cannot be reopened keeps its old handle, and the failure is logged.
pub fn reopen() {
    let Some(logger) = LOGGER.get() else { return };
    let mut failures = Vec::new();
    {
        let mut sinks = lock(logger);
        for sink in &mut sinks.files {
            match open_append(&sink.path) {
                Ok(file) => sink.file = file,
                Err(error) => failures.push(error),
            }
        }
    }
    for error in failures {
        log::error!("{error}");
    }
}

/// Logs at Kannel's PANIC level.
pub fn panic(text: &str) {
    log::error!(target: PANIC_TARGET, "{text}");
}

fn open_append(path: &Path) -> Result<File, LogError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|error| LogError::Open {
            path: path.to_path_buf(),
            error,
        })
}

/// Formats one line, without the newline.
pub fn format_line(
    now: chrono::DateTime<chrono::Local>,
    pid: u32,
    thread: u64,
    level: Level,
    text: &str,
) -> String {
    format!(
        "{} [{pid}] [{thread}] {}: {text}",
        now.format("%Y-%m-%d %H:%M:%S"),
        level.name()
    )
}

static NEXT_THREAD: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Kannel numbers its threads from 0 in start order; the first thread
    // that logs is nearly always main, so it gets 0 here too.
    static THREAD_NUMBER: Cell<Option<u64>> = const { Cell::new(None) };
}

fn thread_number() -> u64 {
    THREAD_NUMBER.with(|cell| match cell.get() {
        Some(number) => number,
        None => {
            let number = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
            cell.set(Some(number));
            number
        }
    })
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        // rustls narrates every handshake at debug level, ClientHello dumps included: at
        // Kannel's level 0 that would bury the gateway's own lines. Its warnings still count.
        if record.level() > log::Level::Info && record.target().starts_with("rustls") {
            return;
        }
        let level = Level::of(record);
        let mut line = format_line(
            chrono::Local::now(),
            std::process::id(),
            thread_number(),
            level,
            &record.args().to_string(),
        );
        line.push('\n');
        let mut sinks = lock(self);
        let target = record.target();
        let claimed = sinks
            .files
            .iter()
            .any(|sink| sink.only.as_deref() == Some(target));
        if !claimed && sinks.console.is_some_and(|console| level >= console) {
            // Nowhere to report a failing console; the files still get the line.
            let _ = io::stderr().lock().write_all(line.as_bytes());
        }
        for sink in &mut sinks.files {
            let wanted = match sink.only.as_deref() {
                Some(only) => only == target,
                None => !claimed,
            };
            if wanted && level >= sink.level {
                let _ = sink.file.write_all(line.as_bytes());
            }
        }
    }

    fn flush(&self) {
        let mut sinks = lock(self);
        for sink in &mut sinks.files {
            let _ = sink.file.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_line_reads_like_kannels() {
        let Some(now) = chrono::Local
            .with_ymd_and_hms(2026, 11, 25, 19, 0, 0)
            .single()
        else {
            return;
        };
        assert_eq!(
            format_line(now, 4242, 0, Level::Info, "Starting to service <foo>"),
            "2026-11-25 19:00:00 [4242] [0] INFO: Starting to service <foo>"
        );
    }

    #[test]
    fn kannel_level_numbers_map_to_levels_and_out_of_range_is_refused() {
        assert_eq!(Level::from_kannel(0), Some(Level::Debug));
        assert_eq!(Level::from_kannel(2), Some(Level::Warning));
        assert_eq!(Level::from_kannel(4), Some(Level::Panic));
        assert_eq!(Level::from_kannel(5), Some(Level::Panic));
        assert_eq!(Level::from_kannel(-1), None);
        assert_eq!(Level::from_kannel(6), None);
    }
}

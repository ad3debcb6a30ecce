//! The options both boxes share, started as Kannel's are: `box [options] kannel.conf`.

use std::path::PathBuf;

use clap::{ArgAction, Args};

use super::logging::Level;

/// Options common to `bearerbox` and `smsbox`; each binary flattens this
/// into its own `clap::Parser` and adds what only it has.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Console log level: 0 debug, 1 info, 2 warning, 3 error, 4 panic.
    // Kannel's default is 0 and its init scripts pass `-v` explicitly, so
    // migrating sysadmins see the same output with the same command line.
    #[arg(short = 'v', long = "verbosity", value_name = "LEVEL", default_value = "0",
          value_parser = parse_level)]
    pub verbosity: Level,

    /// An extra log file, besides the `log-file` of the configuration.
    #[arg(short = 'F', long = "logfile", value_name = "FILE")]
    pub logfile: Option<PathBuf>,

    /// Log level of the `-F` file.
    #[arg(short = 'V', long = "fileverbosity", value_name = "LEVEL", default_value = "0",
          value_parser = parse_level)]
    pub fileverbosity: Level,

    /// Kannel's debug-place filter; accepted for compatibility, not used.
    #[arg(short = 'D', long = "debug", value_name = "PLACES")]
    pub debug: Option<String>,

    /// Detach from the terminal and run in the background.
    #[arg(short = 'd', long = "daemonize")]
    pub daemonize: bool,

    /// Write the process id to FILE; the file is removed on a clean exit.
    // Kannel spells this `-p` and uses `-P` for its parachute; we take both
    // letters for the pid file so Kannel command lines keep working.
    #[arg(short = 'P', long = "pid-file", value_name = "FILE", short_alias = 'p')]
    pub pid_file: Option<PathBuf>,

    /// Read the configuration, print every finding and exit: 0 if it loads,
    /// 1 if it is refused. Nothing is started and no port is bound.
    #[arg(long = "check-config")]
    pub check_config: bool,

    /// Print the version and exit.
    // clap's own version flag would take `-V`, which Kannel uses for
    // `--fileverbosity`; only the long form is ours.
    #[arg(long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,

    /// The configuration file.
    #[arg(value_name = "CONFIG", default_value = "kannel.conf")]
    pub config: PathBuf,
}

fn parse_level(text: &str) -> Result<Level, String> {
    text.trim()
        .parse::<i64>()
        .ok()
        .and_then(Level::from_kannel)
        .ok_or_else(|| format!("expected a log level from 0 (debug) to 4 (panic), got {text:?}"))
}

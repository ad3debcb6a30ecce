//! The `bearerbox` command: `bearerbox [options] [kannel.conf]`.

use std::process::ExitCode;

use anyhow::Context;
use bearerbox::process::{self, BEARERBOX, Boot, CommonArgs};
use bearerbox::runtime::{self, Core, Ending, Listeners};
use bearerbox::settings::{DriverSettings, Settings};
use bearerbox::store::Store;
use bearerbox::switchboard::Lifecycle;
use clap::Parser;

// Both boxes allocate and free a handful of small buffers per message, across
// an executor thread and the store's writer: glibc's malloc was a tenth of
// their CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "bearerbox",
    version,
    disable_version_flag = true,
    about = "Kannel-compatible bearerbox"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,

    /// Start suspended: nothing is taken from boxes or sent to SMSCs until
    /// the admin `resume`.
    #[arg(short = 'S', long = "suspended")]
    suspended: bool,

    /// Start isolated: no MO messages are taken from the SMSCs until the
    /// admin `resume`.
    #[arg(short = 'I', long = "isolated")]
    isolated: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(error) => {
            process::report_fatal(BEARERBOX, &format!("{error:#}"));
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let config = match process::boot(BEARERBOX, &cli.common)? {
        Boot::Checked(code) => return Ok(code),
        Boot::Run(config) => config,
    };
    if cli.suspended {
        log::info!("starting suspended (-S)");
    }
    if cli.isolated {
        log::info!("starting isolated (-I)");
    }
    // Both given, suspended wins: it holds more back.
    let lifecycle = if cli.suspended {
        Lifecycle::Suspended
    } else if cli.isolated {
        Lifecycle::Isolated
    } else {
        Lifecycle::Running
    };
    // A restart runs the program again from where it was started: `-d`
    // moves to `/`, and relative paths on the command line must still hold.
    let start_dir = std::env::current_dir().ok();
    let config_path =
        std::fs::canonicalize(&cli.common.config).unwrap_or_else(|_| cli.common.config.clone());
    // Everything that can refuse the configuration comes before the ports
    // are bound, so a refused start binds nothing.
    let settings = Settings::from_config(&config).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    })?;
    let core = config
        .single("core")
        .ok_or_else(|| process::ProcessError::NoGroup("core".into()))?;
    let admin = process::listen(core, "admin-port", "admin-interface")?
        .ok_or_else(|| process::listen::missing(core, "admin-port"))?;
    let boxes = process::listen(core, "smsbox-port", "smsbox-interface")?;
    if boxes.is_none() {
        log::warn!("no 'smsbox-port' in group 'core': no smsbox can attach");
    }
    let mut fake_listeners = Vec::new();
    for (group, link) in config.multi("smsc").zip(&settings.links) {
        fake_listeners.push(match link.driver {
            DriverSettings::Fake { .. } => process::listen(group, "port", "our-host")?,
            _ => None,
        });
    }
    if let Some(note) = &settings.store_kind_note {
        log::info!("{note}");
    }

    let (trigger, shutdown) = runtime::shutdown_channel();
    // Before the signal thread starts: a SIGHUP that arrives as soon as
    // the ports are open waits for it and must find the hook.
    let (hangup, hangups) = runtime::hangup_channel();
    process::signals::on_hangup(move || hangup.fire());
    let running = process::detach(BEARERBOX, &cli.common, move || trigger.fire())?;
    // After detaching: the store's writer is a thread, and a thread does not
    // survive the fork of `-d`.
    let store = Store::open(&settings.store_path).context("opening the message store")?;
    log::info!("message store: {}", settings.store_path.display());
    let core = Core {
        settings,
        store,
        fake_listeners,
        config_path,
        lifecycle,
        hangups,
    };
    let ending = runtime::run(Listeners { admin, boxes }, shutdown, core).context("serving")?;
    let code = running.finish();
    match ending {
        Ending::Shutdown => Ok(code),
        Ending::Restart => Err(restart(start_dir)),
    }
}

/// Kannel's `restart`: the same program with the same arguments, in place
/// of this one (the same pid, unless `-d` forks again). The listeners and
/// the store were closed on the way out; every file is close-on-exec.
fn restart(start_dir: Option<std::path::PathBuf>) -> anyhow::Error {
    use std::os::unix::process::CommandExt;
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_else(|| "bearerbox".into());
    let program = std::env::current_exe()
        .ok()
        .filter(|path| path.exists())
        .unwrap_or_else(|| argv0.into());
    if let Some(dir) = start_dir
        && let Err(error) = std::env::set_current_dir(&dir)
    {
        log::warn!("restart: cannot go back to {}: {error}", dir.display());
    }
    log::info!("restarting: running {} again", program.display());
    log::logger().flush();
    let error = std::process::Command::new(&program).args(args).exec();
    anyhow::anyhow!(
        "Could not restart, exiting... ({}: {error})",
        program.display()
    )
}

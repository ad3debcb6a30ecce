//! The `bearerbox` command: `bearerbox [options] [kannel.conf]`.

use std::process::ExitCode;

use anyhow::Context;
use bearerbox::process::{self, BEARERBOX, Boot, CommonArgs};
use bearerbox::runtime::{self, Core, Listeners};
use bearerbox::settings::{DriverSettings, Settings};
use bearerbox::store::Store;
use clap::Parser;

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

    /// Start with SMSC links suspended (admin `resume` starts them).
    #[arg(short = 'S', long = "suspended")]
    suspended: bool,

    /// Start isolated: no MO messages are taken from the SMSCs.
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
    let running = process::detach(BEARERBOX, &cli.common, move || trigger.fire())?;
    // After detaching: the store's writer is a thread, and a thread does not
    // survive the fork of `-d`.
    let store = Store::open(&settings.store_path).context("opening the message store")?;
    log::info!("message store: {}", settings.store_path.display());
    let core = Core {
        settings,
        store,
        fake_listeners,
    };
    runtime::run(Listeners { admin, boxes }, shutdown, core).context("serving")?;
    Ok(running.finish())
}

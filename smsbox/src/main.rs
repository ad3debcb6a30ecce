//! The `smsbox` command: `smsbox [options] [kannel.conf]`.

use std::process::ExitCode;

use anyhow::Context;
use bearerbox::process::{self, Boot, CommonArgs, ProcessError, SMSBOX};
use clap::Parser;
use smsbox::bearerbox_link::{self, Target};
use smsbox::runtime::{self, Plan};
use smsbox::sendsms;

#[derive(Debug, Parser)]
#[command(
    name = "smsbox",
    version,
    disable_version_flag = true,
    about = "Kannel-compatible smsbox"
)]
struct Cli {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(error) => {
            process::report_fatal(SMSBOX, &format!("{error:#}"));
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let config = match process::boot(SMSBOX, &cli.common)? {
        Boot::Checked(code) => return Ok(code),
        Boot::Run(config) => config,
    };
    let smsbox = config
        .single("smsbox")
        .ok_or_else(|| ProcessError::NoGroup("smsbox".into()))?;
    let sendsms = process::listen(smsbox, "sendsms-port", "sendsms-interface")?;
    if sendsms.is_none() {
        log::info!("no 'sendsms-port' in group 'smsbox': the sendsms interface is off");
    }
    let sendsms_url = smsbox
        .get("sendsms-url")
        .unwrap_or(sendsms::DEFAULT_URL)
        .to_string();
    let bearerbox = Target {
        host: smsbox
            .get("bearerbox-host")
            .unwrap_or(bearerbox_link::DEFAULT_HOST)
            .trim()
            .to_string(),
        port: bearerbox_port(&config)?,
    };

    let (trigger, shutdown) = runtime::shutdown_channel();
    let running = process::detach(SMSBOX, &cli.common, move || trigger.fire())?;
    runtime::run(
        Plan {
            sendsms,
            sendsms_url,
            bearerbox,
        },
        shutdown,
    )
    .context("serving")?;
    Ok(running.finish())
}

/// `bearerbox-port` of the smsbox group, else core's `smsbox-port`, else
/// Kannel's compiled-in 13001.
fn bearerbox_port(config: &conf::Config) -> Result<u16, ProcessError> {
    if let Some(smsbox) = config.single("smsbox")
        && let Some(port) = process::listen::port(smsbox, "bearerbox-port")?
    {
        return Ok(port);
    }
    if let Some(core) = config.single("core")
        && let Some(port) = process::listen::port(core, "smsbox-port")?
    {
        return Ok(port);
    }
    Ok(bearerbox_link::DEFAULT_PORT)
}

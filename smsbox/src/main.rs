//! The `smsbox` command: `smsbox [options] [kannel.conf]`, and the
//! operator's `smsbox credits add USER N [kannel.conf]`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use bearerbox::process::{self, Boot, CommonArgs, ProcessError, SMSBOX};
use clap::{Parser, Subcommand};
use smsbox::app::App;
use smsbox::bearerbox_link::{self, Link, Target};
use smsbox::credits::Accounts;
use smsbox::http_client::{self, HttpClient, Outgoing};
use smsbox::numbers::{ListReply, SkipLists};
use smsbox::runtime::{self, Plan};
use smsbox::services::Services;
use smsbox::settings::Settings;
use smsbox::users::Users;

// Both boxes allocate and free a handful of small buffers per message, across
// an executor thread and the store's writer: glibc's malloc was a tenth of
// their CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

/// `smsbox credits ...`, parsed apart so that the box's own command line
/// stays Kannel's (`smsbox [options] kannel.conf`).
#[derive(Debug, Parser)]
#[command(name = "smsbox credits", about = "Operator commands on users' credits")]
struct CreditsCli {
    #[command(subcommand)]
    command: CreditsCommand,
}

#[derive(Debug, Subcommand)]
enum CreditsCommand {
    /// Adds N credits (negative to take some away) to USER's balance.
    Add {
        user: String,
        #[arg(allow_hyphen_values = true)]
        amount: i64,
        #[arg(default_value = "kannel.conf")]
        config: PathBuf,
    },
    /// Prints USER's balance.
    Show {
        user: String,
        #[arg(default_value = "kannel.conf")]
        config: PathBuf,
    },
    /// Prints every change of USER's balance, oldest first: amount, reason,
    /// message id.
    Ledger {
        user: String,
        #[arg(default_value = "kannel.conf")]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("credits") {
        let cli = CreditsCli::parse_from(args.iter().skip(1));
        return match credits(cli.command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("smsbox credits: {error:#}");
                ExitCode::from(1)
            }
        };
    }
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => code,
        Err(error) => {
            process::report_fatal(SMSBOX, &format!("{error:#}"));
            ExitCode::from(1)
        }
    }
}

fn credits(command: CreditsCommand) -> anyhow::Result<()> {
    let (user, config) = match &command {
        CreditsCommand::Add { user, config, .. }
        | CreditsCommand::Show { user, config }
        | CreditsCommand::Ledger { user, config } => (user, config),
    };
    let loaded = conf::load(config, conf::Reader::Smsbox, &conf::LoadOptions::default()).map_err(
        |refused| {
            let lines: Vec<String> = refused.errors().map(ToString::to_string).collect();
            anyhow::anyhow!("{} refused:\n{}", config.display(), lines.join("\n"))
        },
    )?;
    let smsbox = loaded
        .config
        .single("smsbox")
        .ok_or_else(|| ProcessError::NoGroup("smsbox".into()))?;
    // The operator's commands filter no number: no list is fetched.
    let settings = Settings::from_config(&loaded.config, smsbox, &mut SkipLists)?;
    let users = Users::from_config(&loaded.config, &mut SkipLists)?;
    let Some(found) = users.get(user) else {
        bail!("no sendsms-user {user:?} in {}", config.display());
    };
    let Some(start) = found.credits else {
        bail!("sendsms-user {user:?} has no 'credits': its credits are unlimited");
    };
    let accounts = Accounts::open(&settings.accounts_db)?;
    accounts.ensure(user, start)?;
    match command {
        CreditsCommand::Add { amount, .. } => {
            let balance = accounts.add(user, amount, "top-up by the operator")?;
            println!("{user}: {balance}");
        }
        CreditsCommand::Show { .. } => {
            let balance = accounts.balance(user)?.unwrap_or(start);
            println!("{user}: {balance}");
        }
        CreditsCommand::Ledger { .. } => {
            for (amount, reason, message_id) in accounts.ledger(user)? {
                println!("{amount:+}\t{reason}\t{}", message_id.unwrap_or_default());
            }
        }
    }
    Ok(())
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
    let tls = http_client::tls_config(config.single("core"))?;
    // Lists are fetched once, before anything is served, one at a time:
    // a list that cannot be had stops the start with its key named.
    let lists_client = HttpClient::new(
        1,
        smsbox
            .get_int("http-timeout")
            .filter(|t| *t > 0)
            .map_or(LIST_TIMEOUT, |t| Duration::from_secs(t.unsigned_abs())),
        0,
        Duration::ZERO,
        tls.clone(),
    );
    let mut lists = |url: &str| load_list(&lists_client, url);
    let settings = Settings::from_config(&config, smsbox, &mut lists)?;
    let users = Users::from_config(&config, &mut lists)?;
    let services = Services::from_config(&config, &mut lists)?;
    let accounts = if users.iter().any(|u| u.credits.is_some()) {
        let accounts = Accounts::open(&settings.accounts_db)?;
        for user in users.iter() {
            if let Some(start) = user.credits {
                accounts.ensure(&user.username, start)?;
            }
        }
        log::info!("accounts database {}", settings.accounts_db.display());
        Some(accounts)
    } else {
        None
    };
    let bearerbox = Target {
        host: smsbox
            .get("bearerbox-host")
            .unwrap_or(bearerbox_link::DEFAULT_HOST)
            .trim()
            .to_string(),
        port: bearerbox_port(&config)?,
        smsbox_id: settings.smsbox_id.clone(),
    };
    let (background, background_tasks) = smsbox::app::background();
    let client = HttpClient::new(
        settings.max_pending_requests,
        settings.http_timeout,
        settings.http_request_retry,
        settings.http_queue_delay,
        tls,
    )
    .driven_by(background.clone());
    let app = App {
        settings,
        users,
        services,
        accounts,
        link: Link::new(),
        client,
        background,
    };

    let (trigger, shutdown) = runtime::shutdown_channel();
    let running = process::detach(SMSBOX, &cli.common, move || trigger.fire())?;
    runtime::run(
        Plan {
            sendsms,
            bearerbox,
            background: background_tasks,
        },
        app,
        shutdown,
    )
    .context("serving")?;
    Ok(running.finish())
}

/// Kannel's `http-timeout` default, for list fetches when it is not set.
const LIST_TIMEOUT: Duration = Duration::from_secs(240);

/// A white or black list: `http://` and `https://` through the client, as
/// Kannel; `file://` (ours) read from disk, answered as `text/plain`.
fn load_list(client: &HttpClient, url: &str) -> Result<ListReply, String> {
    if let Some(path) = url.strip_prefix("file://") {
        return std::fs::read(path)
            .map(|body| ListReply {
                status: 200,
                content_type: "text/plain".into(),
                body,
            })
            .map_err(|error| format!("cannot read {path}: {error}"));
    }
    let reply = smol::block_on(client.fetch(&Outgoing::get(url))).map_err(|e| e.to_string())?;
    Ok(ListReply {
        status: reply.status.as_u16(),
        content_type: reply
            .headers
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        body: reply.body,
    })
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

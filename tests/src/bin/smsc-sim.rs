//! `smsc-sim`: runs the SMPP 3.4 SMSC simulator of `tests::smsc_sim` as a
//! program, for benchmarks, the demo and poking at the gateway by hand.
//!
//! ```text
//! smsc-sim --port 2775 --system-id kuser --password kpass --receipts \
//!          --latency-ms 20 --throttle-every 50 --record pdus.jsonl --control-port 2776
//! echo 'mo +46709999999 12345 hello' | nc 127.0.0.1 2776
//! ```
//!
//! With `--tls-cert FILE --tls-key FILE`, or `--tls-self-signed CERT_OUT` (a fresh
//! certificate for 127.0.0.1 and localhost, written to CERT_OUT for the gateway's
//! `ssl-trusted-ca-file`), the port speaks SMPP over TLS.
//!
//! It serves until `shutdown` arrives on the control port, `--run-secs`
//! passes, or it is killed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tests::smsc_sim::{Faults, IdFormat, SimConfig, SmscSim};
use tests::tls::Identity;

#[derive(Debug, Parser)]
#[command(name = "smsc-sim", about = "SMPP 3.4 SMSC simulator (127.0.0.1 only)")]
struct Args {
    /// SMPP port; 0 picks a free one (printed on start).
    #[arg(long, default_value_t = 2775)]
    port: u16,
    /// Binds must carry this system_id (else ESME_RINVSYSID).
    #[arg(long)]
    system_id: Option<String>,
    /// Binds must carry this password (else ESME_RINVPASWD).
    #[arg(long)]
    password: Option<String>,
    /// Delay before each response.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Answer every Nth submit with ESME_RTHROTTLED (0x58).
    #[arg(long)]
    throttle_every: Option<u64>,
    /// Answer every Nth submit with --fail-status.
    #[arg(long)]
    fail_every: Option<u64>,
    /// Permanent error for --fail-every, e.g. 0x0b (ESME_RINVDSTADR).
    #[arg(long, default_value = "0x0b", value_parser = parse_status)]
    fail_status: u32,
    /// Close a connection once it has answered N submits.
    #[arg(long)]
    drop_after: Option<u64>,
    /// Send a delivery receipt for each accepted submit that asks for one.
    #[arg(long)]
    receipts: bool,
    /// Delay between a submit_sm_resp and its receipt.
    #[arg(long, default_value_t = 0)]
    receipt_delay_ms: u64,
    /// stat: of automatic receipts (DELIVRD, UNDELIV, EXPIRED, REJECTD...).
    #[arg(long, default_value = "DELIVRD")]
    receipt_stat: String,
    /// Send MO that a closed connection never answered again on the next receiving bind.
    #[arg(long)]
    redeliver: bool,
    /// Message ids in upper-case hex.
    #[arg(long)]
    hex_ids: bool,
    /// With --hex-ids, receipts still give the id in decimal.
    #[arg(long)]
    receipt_ids_decimal: bool,
    /// The first message id handed out.
    #[arg(long, default_value_t = 1)]
    first_id: u64,
    /// Write one JSON line per PDU (both ways) to FILE.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Port of the line control interface (MO, receipts, faults, stats).
    #[arg(long)]
    control_port: Option<u16>,
    /// Stop after this many seconds.
    #[arg(long)]
    run_secs: Option<u64>,
    /// Serve TLS with this PEM certificate (chain); needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve TLS with a fresh self-signed certificate, written to FILE.
    #[arg(long, value_name = "FILE", conflicts_with = "tls_cert")]
    tls_self_signed: Option<PathBuf>,
}

fn identity(args: &Args) -> anyhow::Result<Option<Identity>> {
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let read = |path: &PathBuf| {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
        };
        return Ok(Some(Identity {
            cert_pem: read(cert)?,
            key_pem: read(key)?,
        }));
    }
    let Some(out) = &args.tls_self_signed else {
        return Ok(None);
    };
    let identity = Identity::self_signed().context("making a self-signed certificate")?;
    identity
        .write_cert(out)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(Some(identity))
}

fn parse_status(text: &str) -> Result<u32, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("a command_status like 0x0b, got {text:?}"))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tls = identity(&args)?;
    let id_format = if args.hex_ids {
        IdFormat::Hex
    } else {
        IdFormat::Decimal
    };
    let config = SimConfig {
        port: args.port,
        system_id: args.system_id,
        password: args.password,
        id_format,
        receipt_id_format: if args.receipt_ids_decimal {
            IdFormat::Decimal
        } else {
            id_format
        },
        first_id: args.first_id,
        record: args.record,
        control_port: args.control_port,
        faults: Faults {
            latency: Duration::from_millis(args.latency_ms),
            throttle_every: args.throttle_every.filter(|&n| n > 0),
            fail_every: args.fail_every.filter(|&n| n > 0),
            fail_status: args.fail_status,
            drop_after: args.drop_after,
            receipts: args.receipts,
            receipt_delay: Duration::from_millis(args.receipt_delay_ms),
            receipt_stat: args.receipt_stat,
            redeliver: args.redeliver,
            ..Faults::default()
        },
        tls,
        ..SimConfig::default()
    };
    let sim = SmscSim::start(config).context("smsc-sim cannot start")?;
    println!("smsc-sim listening on {}", sim.addr());
    if let Some(control) = sim.control_addr() {
        println!("smsc-sim control on {control}");
    }
    // A day per wait keeps the loop bounded by the deadline below.
    let deadline = args.run_secs.map(Duration::from_secs);
    let started = std::time::Instant::now();
    loop {
        let left = deadline.map_or(Duration::from_secs(86_400), |d| {
            d.saturating_sub(started.elapsed())
        });
        if sim.wait_for_shutdown(left) || left.is_zero() {
            break;
        }
        if deadline.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
    }
    let stats = sim.stats();
    println!(
        "smsc-sim stopping: {} submits, max outstanding {}, {:.1} submits/s",
        stats.submits,
        stats.max_outstanding,
        stats.throughput().unwrap_or(0.0)
    );
    Ok(())
}

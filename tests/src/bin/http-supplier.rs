//! `http-supplier`: the HTTP SMS supplier of `tests::http_supplier` as a
//! program, to try an `smsc = http` link by hand.
//!
//! ```text
//! http-supplier --port 8080 --callback-port 13015 --reports
//! # smsc = http, system-type = generic,
//! # send-url = "http://127.0.0.1:8080/send?to=%p&from=%P&text=%b",
//! # status-success-regex = "^OK", generic-foreign-id-regex = "^OK ([a-z0-9-]+)"
//! ```
//!
//! Each MT is answered per `--answer` (default `accept`); with `--reports`
//! and `--callback-port`, every accepted MT is reported delivered to the
//! gateway's listener. Lines on standard input send MO (`<from> <to> <text>`)
//! to the callback port. It serves until `--run-secs` pass, or it is killed.

use std::io::BufRead;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, ValueEnum};
use tests::http_supplier::{HttpSupplier, Outcome};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Answer {
    Accept,
    Unavailable,
    BadRequest,
    ErrBody,
    BusyBody,
}

#[derive(Debug, Parser)]
#[command(
    name = "http-supplier",
    about = "HTTP SMS supplier simulator (127.0.0.1 only)"
)]
struct Args {
    /// Port for MT; 0 picks a free one (printed on start).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// How every MT is answered.
    #[arg(long, value_enum, default_value = "accept")]
    answer: Answer,
    /// The gateway's callback listener (the link's `port`).
    #[arg(long)]
    callback_port: Option<u16>,
    /// Report each accepted MT delivered, through the callback port.
    #[arg(long)]
    reports: bool,
    /// Stop after this many seconds (default: never).
    #[arg(long)]
    run_secs: Option<u64>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let supplier = HttpSupplier::start(args.port).context("starting the supplier")?;
    supplier.set_default(match args.answer {
        Answer::Accept => Outcome::Accept,
        Answer::Unavailable => Outcome::Unavailable,
        Answer::BadRequest => Outcome::BadRequest,
        Answer::ErrBody => Outcome::ErrBody,
        Answer::BusyBody => Outcome::BusyBody,
    });
    println!("http-supplier listening on 127.0.0.1:{}", supplier.port());
    if let Some(port) = args.callback_port {
        // MO from standard input, on a thread of their own.
        std::thread::spawn(move || {
            for line in std::io::stdin().lock().lines().map_while(Result::ok) {
                let mut words = line.splitn(3, ' ');
                match (words.next(), words.next(), words.next()) {
                    (Some(from), Some(to), Some(text)) => {
                        match HttpSupplier::mo(port, from, to, text, &[]) {
                            Ok(answer) => println!("mo: {} {}", answer.status, answer.body),
                            Err(error) => eprintln!("mo: {error}"),
                        }
                    }
                    _ => eprintln!("expected '<from> <to> <text>'"),
                }
            }
        });
    }
    let deadline = args
        .run_secs
        .map(|secs| Instant::now() + Duration::from_secs(secs));
    let mut reported = 0;
    while deadline.is_none_or(|deadline| Instant::now() < deadline) {
        std::thread::sleep(Duration::from_millis(100));
        let submitted = supplier.submitted();
        for answered in submitted.iter().skip(reported) {
            println!("mt: {} -> {:?}", answered.request.target, answered.outcome);
            if let (true, Some(port), Some(id)) = (args.reports, args.callback_port, &answered.id) {
                match HttpSupplier::report(port, id, 1, &[]) {
                    Ok(answer) => println!("report {id}: {} {}", answer.status, answer.body),
                    Err(error) => eprintln!("report {id}: {error}"),
                }
            }
        }
        reported = submitted.len();
    }
    Ok(())
}

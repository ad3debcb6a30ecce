//! `modem-sim`: runs the fake GSM modem of `tests::modem_sim` on a
//! pseudo-terminal, for trying an `smsc = at` link by hand.
//!
//! ```text
//! $ modem-sim
//! device /dev/pts/7
//! ```
//!
//! Point `device` at the printed path. Commands on standard input, one a
//! line:
//!
//! | command | effect |
//! | --- | --- |
//! | `mo <from> <text>` | store an MO and announce it with `+CMTI` |
//! | `mo-direct <from> <text>` | deliver an MO with `+CMT` |
//! | `report <mr> <recipient> <status>` | a `+CDS` status report (status in decimal) |
//! | `fail-next <code>` | answer the next send with `+CMS ERROR: <code>` |
//! | `cmti-during-send <from> <text>` | a `+CMTI` between the next `AT+CMGS` and its prompt |
//! | `silent on` / `silent off` | stop / resume answering |
//! | `quit` | exit (the device disappears) |
//!
//! Every SMS-SUBMIT taken is printed as it arrives:
//! `submit mr=<n> to=<number> dcs=<hex> srr=<bool> udh=<hex> text=<text>`.

use std::io::BufRead;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tests::modem_sim::{ModemSim, SimOptions, pdu};

#[derive(Debug, Parser)]
#[command(name = "modem-sim", about = "a fake GSM modem on a pseudo-terminal")]
struct Args {
    /// The `ATI` answer (what `detect-string` matches).
    #[arg(long, default_value = "MODEM-SIM 1.0 simulated GSM modem")]
    identity: String,
    /// A SIM PIN the driver must give.
    #[arg(long)]
    pin: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let modem = Arc::new(
        ModemSim::start(SimOptions {
            identity: args.identity,
            pin: args.pin,
        })
        .context("starting the fake modem")?,
    );
    println!("device {}", modem.device().display());
    let done = Arc::new(AtomicBool::new(false));
    let printer = {
        let (modem, done) = (modem.clone(), done.clone());
        thread::spawn(move || {
            let mut shown = 0;
            while !done.load(Ordering::Relaxed) {
                let submits = modem.submits();
                for submit in submits.iter().skip(shown) {
                    match &submit.decoded {
                        Ok(d) => println!(
                            "submit mr={} to={} dcs={:02X} srr={} udh={} text={}",
                            submit.reference.map_or("-".into(), |r| r.to_string()),
                            d.destination,
                            d.dcs,
                            d.status_report_requested,
                            pdu::hex(&d.udh),
                            d.text
                        ),
                        Err(error) => println!("refused pdu={} error={error}", submit.pdu_hex),
                    }
                }
                shown = submits.len();
                thread::sleep(Duration::from_millis(50));
            }
        })
    };
    for line in std::io::stdin().lock().lines() {
        let line = line.context("reading standard input")?;
        let mut words = line.trim().splitn(2, ' ');
        let command = words.next().unwrap_or_default();
        let rest = words.next().unwrap_or_default();
        let two = || {
            let mut parts = rest.splitn(2, ' ');
            (
                parts.next().unwrap_or_default().to_owned(),
                parts.next().unwrap_or_default().to_owned(),
            )
        };
        match command {
            "mo" => {
                let (from, text) = two();
                modem.inject_stored_mo(&from, &text)?;
            }
            "mo-direct" => {
                let (from, text) = two();
                modem.inject_direct_mo(&from, &text)?;
            }
            "report" => {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                match fields.as_slice() {
                    [mr, recipient, status] => match (mr.parse(), status.parse()) {
                        (Ok(mr), Ok(status)) => modem.inject_report(mr, recipient, status)?,
                        _ => eprintln!("report: mr and status are numbers 0..=255"),
                    },
                    _ => eprintln!("usage: report <mr> <recipient> <status>"),
                }
            }
            "fail-next" => match rest.trim().parse() {
                Ok(code) => modem.fail_next_send(code),
                Err(_) => eprintln!("usage: fail-next <code>"),
            },
            "cmti-during-send" => {
                let (from, text) = two();
                modem.cmti_during_next_send(&from, &text);
            }
            "silent" => modem.set_silent(rest.trim() == "on"),
            "quit" => break,
            "" => {}
            other => eprintln!("unknown command '{other}'"),
        }
    }
    done.store(true, Ordering::Relaxed);
    let _ = printer.join();
    Ok(())
}

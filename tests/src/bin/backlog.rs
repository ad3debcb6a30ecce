//! `backlog`: how bearerbox copes with a large queue on disk.
//!
//! Queues N messages (default 1 000 000) through the box protocol while the
//! only SMSC is down, stops bearerbox, starts it again and connects the SMSC
//! at once, then reports: the acceptance rate while queueing, the time from
//! the restart to the first submit, the drain rate, and bearerbox's peak RSS
//! (VmHWM) while queueing and after the restart.
//!
//! ```text
//! cargo build --release --workspace --bins
//! target/release/backlog --messages 1000000
//! ```
//! Loopback only; every wait is bounded.

use std::collections::HashSet;
use std::fs;
use std::thread;
use std::time::{Duration, Instant};

use box_protocol::message::{AckStatus, Msg};
use clap::Parser;
use nix::sys::signal::Signal;
use tests::box_client::{BoxClient, mt};
use tests::fake_client::FakeClient;
use tests::gateway::Setup;
use tests::ports;

#[derive(Debug, Parser)]
#[command(
    name = "backlog",
    about = "Queue N messages with the SMSC down, restart bearerbox, measure"
)]
struct Args {
    /// Messages to queue.
    #[arg(long, default_value_t = 1_000_000)]
    messages: usize,
    /// Messages per write to bearerbox.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Stop bearerbox with kill -9 instead of SIGTERM before the restart.
    #[arg(long)]
    kill: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let smsc = ports::reserve()?;
    let smsc_port = smsc.number().to_string();
    let setup = Setup::with_conf(|conf| {
        conf.group(
            "smsc",
            &[
                ("smsc", "fake"),
                ("smsc-id", "fake1"),
                ("port", smsc_port.as_str()),
                ("our-host", "127.0.0.1"),
            ],
        )
    })?;
    // Debug logging of a million messages would measure the log, not the queue.
    let conf_text = fs::read_to_string(&setup.conf)?.replace("log-level = 0", "log-level = 2");
    fs::write(&setup.conf, conf_text)?;

    let mut bearerbox = setup.start_bearerbox(&["-v", "2"])?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    let started = Instant::now();
    let mut sent = 0;
    let mut acked = 0;
    let mut last = None;
    while sent < args.messages {
        let batch: Vec<Msg> = (sent..(sent + args.batch).min(args.messages))
            .map(|n| Msg::from(mt("777", &format!("+39{n:010}"), &format!("backlog {n}"))))
            .collect();
        if let Some(Msg::Sms(sms)) = batch.last() {
            last = Some(sms.id);
        }
        boxc.send_all(&batch)?;
        sent += batch.len();
        // Keep at most a few batches unacknowledged, as smsbox would.
        let outstanding = sent - acked;
        if outstanding > args.batch * 4 {
            let acks = boxc.acks(outstanding - args.batch * 2, Duration::from_secs(60))?;
            if let Some((id, status)) = acks
                .iter()
                .find(|(_, status)| *status != AckStatus::Buffered)
            {
                return Err(format!("message {id} answered {status:?}, expected Buffered").into());
            }
            acked += acks.len();
        }
    }
    acked += boxc.acks(sent - acked, Duration::from_secs(60))?.len();
    let queueing = started.elapsed();
    let queue_rss = bearerbox.peak_rss_kib();
    let store_bytes: u64 = ["bearerbox-store.sqlite", "bearerbox-store.sqlite-wal"]
        .iter()
        .filter_map(|name| fs::metadata(setup.path(name)).ok())
        .map(|meta| meta.len())
        .sum();
    println!(
        "queued {acked} messages in {:.1} s: {:.0} msg/s acked (SMSC down, synced store); peak RSS {} KiB; store {} MiB",
        queueing.as_secs_f64(),
        acked as f64 / queueing.as_secs_f64(),
        queue_rss.unwrap_or(0),
        store_bytes / (1024 * 1024)
    );
    drop(boxc);
    // The status page counts what is queued: how long a sysadmin's look takes.
    for _ in 0..3 {
        let asked = Instant::now();
        let page = tests::http::get(setup.ports.admin.number(), "/status.txt?password=secret")?;
        println!(
            "status page with {acked} queued: answered {} in {:.0} ms",
            page.status,
            asked.elapsed().as_secs_f64() * 1000.0
        );
    }
    // The operator removes the last message queued, which only a search
    // through the store finds, while a monitor keeps looking at the status page.
    let mut expected = acked;
    if let Some(id) = last {
        let admin = setup.ports.admin.number();
        let asked = Instant::now();
        let removal = thread::spawn(move || {
            tests::http::get(admin, &format!("/remove-message?id={id}&password=secret"))
        });
        let mut slowest = Duration::ZERO;
        let mut looks = 0;
        while !removal.is_finished() {
            let look = Instant::now();
            tests::http::get(admin, "/status.txt?password=secret")?;
            slowest = slowest.max(look.elapsed());
            looks += 1;
            thread::sleep(Duration::from_millis(50));
        }
        let answer = removal
            .join()
            .map_err(|_| "the removal thread panicked")??;
        println!(
            "remove-message of the last of {acked}: {:?} in {:.0} ms; the status page meanwhile answered {looks} looks, the slowest in {:.0} ms",
            answer.body,
            asked.elapsed().as_secs_f64() * 1000.0,
            slowest.as_secs_f64() * 1000.0
        );
        if answer.body.ends_with("removed") {
            expected -= 1;
        }
    }

    bearerbox.signal(if args.kill {
        Signal::SIGKILL
    } else {
        Signal::SIGTERM
    })?;
    bearerbox.wait_exit(Duration::from_secs(60))?;

    let restart = Instant::now();
    let restarted = setup.spawn("bearerbox", &["-v", "2"])?;
    let mut link = FakeClient::connect(smsc.number(), Duration::from_secs(30))?;
    let first = link.read_line(Duration::from_secs(60))?;
    let first_submit = restart.elapsed();
    if first.is_none() {
        return Err("no message reached the SMSC within 60 s of the restart".into());
    }
    println!(
        "restart with {acked} queued: first submit {:.0} ms after the process started",
        first_submit.as_secs_f64() * 1000.0
    );

    let draining = Instant::now();
    let mut seen = HashSet::with_capacity(acked);
    if let Some(line) = first {
        seen.insert(line);
    }
    let mut arrived = 1usize;
    while seen.len() < expected {
        let Some(line) = link.read_line(Duration::from_secs(5))? else {
            break;
        };
        arrived += 1;
        seen.insert(line);
    }
    let drain = draining.elapsed();
    println!(
        "drained {} distinct ({} arrived, {} twice) in {:.1} s: {:.0} msg/s; peak RSS after restart {} KiB",
        seen.len(),
        arrived,
        arrived - seen.len(),
        drain.as_secs_f64(),
        arrived as f64 / drain.as_secs_f64().max(0.001),
        restarted.peak_rss_kib().unwrap_or(0)
    );
    if seen.len() != expected {
        return Err(format!("{} of {expected} queued messages arrived", seen.len()).into());
    }
    Ok(())
}

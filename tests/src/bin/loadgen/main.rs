//! `loadgen`: a load generator for the gateway (ours or Kannel's).
//!
//! ```text
//! loadgen mt --port 13013 --query 'username=u&password=p&from=123&text=hello' \
//!            --connections 50 --requests 20000 [--seconds 60] [--to-prefix +39333]
//! loadgen mo --control 127.0.0.1:2776 --sink-port 18080 --messages 20000 [--seconds 60]
//! ```
//! `mt`: C keep-alive HTTP/1.1 connections send GET sendsms requests, each to
//! a different recipient, until N requests or the time limit; it reports
//! requests answered per second, 2xx per second, status codes, and the
//! p50/p99/p99.9 latency.
//!
//! `mo`: asks the SMSC simulator (its control port) for N deliver_sm and
//! counts the HTTP requests that reach a sink it serves on `--sink-port`
//! (point the sms-service's get-url there); it reports MO per second.
//!
//! Both print one line of JSON last, for scripts. Loopback only; bounded in
//! count and time.

mod http1;
mod mt;
mod sink;

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    about = "Load generator for the sendsms API and for MO"
)]
struct Args {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// MT: sendsms requests over keep-alive connections.
    Mt {
        /// sendsms port on 127.0.0.1.
        #[arg(long)]
        port: u16,
        /// Path of the sendsms URL.
        #[arg(long, default_value = "/cgi-bin/sendsms")]
        path: String,
        /// Query without `to`: username, password, from, text, ...
        #[arg(long)]
        query: String,
        #[arg(long, default_value_t = 50)]
        connections: usize,
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// Upper bound on the run, whatever the count.
        #[arg(long, default_value_t = 120)]
        seconds: u64,
        /// Recipients are this prefix and a running number.
        #[arg(long, default_value = "+39333")]
        to_prefix: String,
    },
    /// An HTTP sink that answers 200 and counts, until `expect` requests or the time limit.
    Sink {
        #[arg(long)]
        port: u16,
        #[arg(long, default_value_t = usize::MAX)]
        expect: usize,
        #[arg(long, default_value_t = 120)]
        seconds: u64,
    },
    /// MO: deliver_sm from the SMSC simulator to an HTTP sink.
    Mo {
        /// The simulator's control address.
        #[arg(long)]
        control: SocketAddr,
        /// Port of the HTTP sink on 127.0.0.1 (the sms-service get-url).
        #[arg(long)]
        sink_port: u16,
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
        #[arg(long, default_value_t = 120)]
        seconds: u64,
    },
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Args::parse().mode {
        Mode::Mt {
            port,
            path,
            query,
            connections,
            requests,
            seconds,
            to_prefix,
        } => mt(
            port,
            &path,
            &query,
            connections.max(1),
            requests,
            seconds,
            &to_prefix,
        ),
        Mode::Sink {
            port,
            expect,
            seconds,
        } => serve_sink(port, expect, seconds),
        Mode::Mo {
            control,
            sink_port,
            messages,
            seconds,
        } => mo(control, sink_port, messages, seconds),
    }
}

fn mt(
    port: u16,
    path: &str,
    query: &str,
    connections: usize,
    requests: usize,
    seconds: u64,
    to_prefix: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let outcome = mt::run(&mt::Plan {
        port,
        path: path.to_owned(),
        query: query.to_owned(),
        connections,
        requests,
        deadline: started + Duration::from_secs(seconds),
        to_prefix: to_prefix.to_owned(),
    })?;
    let mt::Outcome {
        mut latencies,
        statuses,
        errors,
        elapsed,
    } = outcome;
    let elapsed = elapsed.as_secs_f64();
    latencies.sort_unstable();
    let answered: u64 = statuses.values().sum();
    let accepted: u64 = statuses
        .iter()
        .filter(|(status, _)| (200..300).contains(*status))
        .map(|(_, n)| n)
        .sum();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        f64::from(latencies.get(index).copied().unwrap_or(0)) / 1000.0
    };
    let codes: Vec<String> = statuses
        .iter()
        .map(|(status, n)| format!("\"{status}\":{n}"))
        .collect();
    println!(
        "{answered} answered in {elapsed:.2} s over {connections} connections: {:.0} req/s, {:.0} accepted/s; p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms; errors {}",
        answered as f64 / elapsed,
        accepted as f64 / elapsed,
        percentile(0.50),
        percentile(0.99),
        percentile(0.999),
        errors
    );
    println!(
        "{{\"mode\":\"mt\",\"answered\":{answered},\"accepted\":{accepted},\"seconds\":{elapsed:.3},\"accepted_per_s\":{:.1},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"p999_ms\":{:.3},\"errors\":{},\"statuses\":{{{}}}}}",
        accepted as f64 / elapsed,
        percentile(0.50),
        percentile(0.99),
        percentile(0.999),
        errors,
        codes.join(",")
    );
    Ok(())
}

/// The sink on a thread of its own, counting what reaches it.
struct RunningSink {
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<()>,
}

impl RunningSink {
    fn start(port: u16) -> std::io::Result<RunningSink> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (count, stop) = (Arc::clone(&count), Arc::clone(&stop));
            // A failure is printed; the count tells the rest.
            thread::spawn(move || {
                if let Err(error) = sink::serve(listener, &count, &stop) {
                    eprintln!("loadgen: the sink failed: {error}");
                }
            })
        };
        Ok(RunningSink {
            count,
            stop,
            thread,
        })
    }

    fn arrived(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }

    /// Stops the sink; what arrived in all.
    fn finish(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.count.load(Ordering::Relaxed)
    }
}

fn serve_sink(port: u16, expect: usize, seconds: u64) -> Result<(), Box<dyn std::error::Error>> {
    let sink = RunningSink::start(port)?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut first: Option<Instant> = None;
    while sink.arrived() < expect && Instant::now() < deadline {
        if first.is_none() && sink.arrived() > 0 {
            first = Some(Instant::now());
        }
        thread::sleep(Duration::from_millis(5));
    }
    let active = first.map_or(0.0, |first| first.elapsed().as_secs_f64());
    let arrived = sink.finish();
    println!("{{\"mode\":\"sink\",\"arrived\":{arrived},\"seconds_since_first\":{active:.3}}}");
    Ok(())
}

fn mo(
    control: SocketAddr,
    sink_port: u16,
    messages: usize,
    seconds: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let sink = RunningSink::start(sink_port)?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut control_stream = TcpStream::connect(control)?;
    control_stream.set_nodelay(true)?;
    let mut answers = BufReader::new(control_stream.try_clone()?);
    let started = Instant::now();
    let mut asked = 0;
    let mut line = String::new();
    while asked < messages && Instant::now() < deadline {
        let batch = (messages - asked).min(500);
        let mut commands = String::new();
        for n in asked..asked + batch {
            commands.push_str(&format!("mo +39333{n:07} 5555 bench {n}\n"));
        }
        control_stream.write_all(commands.as_bytes())?;
        for _ in 0..batch {
            line.clear();
            answers.read_line(&mut line)?;
        }
        asked += batch;
    }
    let injected_after = started.elapsed().as_secs_f64();
    while sink.arrived() < asked && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let arrived = sink.finish();
    println!(
        "{asked} MO injected, {arrived} reached the sink in {elapsed:.2} s: {:.0} MO/s",
        arrived as f64 / elapsed
    );
    println!(
        "{{\"mode\":\"mo\",\"injected\":{asked},\"arrived\":{arrived},\"seconds\":{elapsed:.3},\"inject_s\":{injected_after:.3},\"mo_per_s\":{:.1}}}",
        arrived as f64 / elapsed
    );
    Ok(())
}

//! What the fault and hostile-input tests share: a gateway (bearerbox and
//! smsbox) with one SMPP link to the [`smsc_sim`](crate::smsc_sim), keep-alive
//! sendsms clients on threads, and the tally that holds what the clients were
//! told against what reached the simulator.
//!
//! ```text
//!  client threads ──keep-alive HTTP──▶ smsbox ──box──▶ bearerbox ──SMPP──▶ smsc-sim
//!        │ answers, per client and message                                  │ submits
//!        └───────────────────────────────▶ tally ◀──────────────────────────┘
//! ```
//!
//! Each message names itself: client `c`, message `n` goes to
//! [`recipient`]`(c, n)` with the text `c<c> n<n>`, so the simulator's record
//! says which request every submit came from. Readiness probes go to numbers
//! outside that plan and are left out of the tally.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::HarnessError;
use crate::gateway::{BoxProcess, Setup, http_get, wait_until};
use crate::smsc_sim::{SimConfig, SimHandle, SmscSim, Submit};

/// The sender every test message carries.
pub const SENDER: &str = "12345";
/// `max-pending-submits` of the link: submit_sm unanswered at most, so at
/// most this many can be sent again after a crash.
pub const WINDOW: usize = 10;
/// How long a client waits for one answer before it gives the request up.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
const SYSTEM_ID: &str = "kuser";
const PASSWORD: &str = "kpass";
/// Longest response head a client reads; sendsms answers are a few hundred octets.
const MAX_HEAD_LINES: usize = 64;
const MAX_BODY: usize = 64 * 1024;

/// Where client `client`'s message `n` goes: `+39`, three digits of client,
/// six of message.
pub fn recipient(client: usize, n: usize) -> String {
    format!("+39{client:03}{n:06}")
}

/// The text of client `client`'s message `n`.
pub fn text(client: usize, n: usize) -> String {
    format!("c{client} n{n}")
}

/// The (client, message) a destination address stands for, if it is one of
/// [`recipient`]'s; the simulator sees the number without its `+`.
pub fn parse_recipient(address: &str) -> Option<(usize, usize)> {
    let digits = address.strip_prefix('+').unwrap_or(address);
    let rest = digits.strip_prefix("39")?;
    if rest.len() != 9 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let client = rest.get(..3)?.parse().ok()?;
    let n = rest.get(3..)?.parse().ok()?;
    Some((client, n))
}

/// A running gateway with one SMPP transceiver link to a simulator. The
/// boxes are public so a test can kill one and put a new one in its place.
pub struct SmppGateway {
    pub smsbox: BoxProcess,
    pub bearerbox: BoxProcess,
    pub sim: SimHandle,
    pub setup: Setup,
}

impl SmppGateway {
    /// Starts the simulator with `sim_config`, then bearerbox with an smpp
    /// group for it (`link` adds or replaces keys), waits for the bind, then
    /// starts smsbox and waits until a sendsms is accepted.
    pub fn start(
        sim_config: SimConfig,
        link: &[(&str, &str)],
    ) -> Result<SmppGateway, Box<dyn std::error::Error>> {
        let sim = SmscSim::start(SimConfig {
            system_id: Some(SYSTEM_ID.into()),
            password: Some(PASSWORD.into()),
            ..sim_config
        })?;
        let port = sim.port().to_string();
        let window = WINDOW.to_string();
        let mut entries: Vec<(&str, &str)> = vec![
            ("smsc", "smpp"),
            ("smsc-id", "sim"),
            ("host", "127.0.0.1"),
            ("port", &port),
            ("transceiver-mode", "true"),
            ("smsc-username", SYSTEM_ID),
            ("smsc-password", PASSWORD),
            ("system-type", "VMA"),
            ("reconnect-delay", "1"),
            ("max-pending-submits", &window),
        ];
        for &(key, value) in link {
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
        }
        let setup = Setup::with_conf(|conf| conf.group("smsc", &entries))?;
        let bearerbox = setup.start_bearerbox(&[])?;
        if !sim.wait_for_binds(1, Duration::from_secs(15)) {
            return Err(format!(
                "bearerbox did not bind to the simulator:\n{}",
                setup.read("bearerbox.log")
            )
            .into());
        }
        let smsbox = setup.start_smsbox(&[])?;
        let gateway = SmppGateway {
            smsbox,
            bearerbox,
            sim,
            setup,
        };
        gateway.wait_until_accepting(Duration::from_secs(15))?;
        Ok(gateway)
    }

    pub fn sendsms_port(&self) -> u16 {
        self.setup.ports.sendsms.number()
    }

    /// Sends probes (to numbers outside [`recipient`]'s plan) until one is
    /// answered 202: smsbox is attached to bearerbox and takes messages.
    pub fn wait_until_accepting(&self, timeout: Duration) -> Result<(), HarnessError> {
        let mut client = Sendsms::new(self.sendsms_port());
        let mut probe = 0u32;
        wait_until("sendsms to answer 202", timeout, || {
            probe += 1;
            let answer = client.send(&format!("+1999{probe:07}"), "probe");
            if answer != Answer::Status(202) {
                thread::sleep(Duration::from_millis(100));
            }
            Ok(answer == Answer::Status(202))
        })
        .map_err(|error| match error {
            HarnessError::Timeout { what, .. } => HarnessError::Timeout {
                what,
                output: format!(
                    "--- smsbox.log ---\n{}\n--- bearerbox.log ---\n{}",
                    self.setup.read("smsbox.log"),
                    self.setup.read("bearerbox.log")
                ),
            },
            other => other,
        })
    }

    /// Restarts bearerbox after it was killed, and waits for the link to bind again.
    pub fn restart_bearerbox(&mut self) -> Result<(), Box<dyn std::error::Error>> {
        let binds = self.binds();
        self.bearerbox = self.setup.start_bearerbox(&[])?;
        if !self.sim.wait_for_binds(binds + 1, Duration::from_secs(15)) {
            return Err(format!(
                "the restarted bearerbox did not bind:\n{}",
                self.setup.read("bearerbox.log")
            )
            .into());
        }
        Ok(())
    }

    pub fn restart_smsbox(&mut self) -> Result<(), HarnessError> {
        self.smsbox = self.setup.start_smsbox(&[])?;
        Ok(())
    }

    /// How many connections ever bound to the simulator.
    pub fn binds(&self) -> usize {
        self.sim
            .stats()
            .connections
            .iter()
            .filter(|c| c.bind.is_some())
            .count()
    }

    /// The admin status page (text), which must answer 200.
    pub fn status_page(&self) -> Result<String, HarnessError> {
        let (status, body) = http_get(
            self.setup.ports.admin.number(),
            "/status.txt?password=secret",
        )?;
        if status == 200 {
            Ok(body)
        } else {
            Err(HarnessError::BadResponse(format!(
                "status page answered {status}: {body}"
            )))
        }
    }

    /// Both logs, for a failure message.
    pub fn logs(&self) -> String {
        let tail = |text: String| {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(60)..].join("\n")
        };
        // The .out files hold what went to stdout/stderr: a panic, say.
        format!(
            "--- bearerbox.log (tail) ---\n{}\n--- smsbox.log (tail) ---\n{}\n\
             --- bearerbox.out (tail) ---\n{}\n--- smsbox.out (tail) ---\n{}",
            tail(self.setup.read("bearerbox.log")),
            tail(self.setup.read("smsbox.log")),
            tail(self.setup.read("bearerbox.out")),
            tail(self.setup.read("smsbox.out"))
        )
    }
}

/// What became of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// Refused connection, closed connection, timeout, unreadable answer.
    NoAnswer,
}

impl Answer {
    pub fn accepted(self) -> bool {
        matches!(self, Answer::Status(200..=299))
    }
}

/// One keep-alive HTTP/1.1 connection to sendsms, opened again after any failure.
pub struct Sendsms {
    port: u16,
    connection: Option<(TcpStream, BufReader<TcpStream>)>,
}

impl Sendsms {
    pub fn new(port: u16) -> Sendsms {
        Sendsms {
            port,
            connection: None,
        }
    }

    /// One GET sendsms from [`SENDER`] to `to`.
    pub fn send(&mut self, to: &str, text: &str) -> Answer {
        let target = format!(
            "/cgi-bin/sendsms?username=tester&password=foobar&from={SENDER}&to={}&text={}",
            crate::http::encode(to),
            crate::http::encode(text)
        );
        match self.exchange(&target) {
            Ok((status, close)) => {
                if close {
                    self.connection = None;
                }
                Answer::Status(status)
            }
            Err(_) => {
                self.connection = None;
                Answer::NoAnswer
            }
        }
    }

    fn exchange(&mut self, target: &str) -> std::io::Result<(u16, bool)> {
        if self.connection.is_none() {
            let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
            let stream = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
            stream.set_nodelay(true)?;
            stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
            stream.set_write_timeout(Some(ANSWER_TIMEOUT))?;
            let reader = BufReader::new(stream.try_clone()?);
            self.connection = Some((stream, reader));
        }
        let Some((stream, reader)) = self.connection.as_mut() else {
            return Err(std::io::Error::other("no connection"));
        };
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: keep-alive\r\n\r\n",
            self.port
        )?;
        read_response(reader)
    }
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

/// Reads one response with a Content-Length body; returns its status and
/// whether the server will close the connection.
fn read_response(reader: &mut impl BufRead) -> std::io::Result<(u16, bool)> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "closed before an answer",
        ));
    }
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("not an HTTP status line"))?;
    let mut length = 0usize;
    let mut close = line.starts_with("HTTP/1.0");
    for _ in 0..MAX_HEAD_LINES {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(invalid("closed inside the head"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            let mut body = vec![0u8; length.min(MAX_BODY)];
            reader.read_exact(&mut body)?;
            return Ok((status, close));
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().map_err(|_| invalid("bad Content-Length"))?;
            } else if name.eq_ignore_ascii_case("connection") {
                close = value.eq_ignore_ascii_case("close");
            }
        }
    }
    Err(invalid("too many header lines"))
}

/// How a load runs.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Concurrent clients, each on its own keep-alive connection and thread.
    pub clients: usize,
    /// Messages per client, sent one after the other (each waits for its answer).
    pub per_client: usize,
    /// The run stops here whatever is left.
    pub time_limit: Duration,
    /// After a request with no answer, wait this long: the gateway may be
    /// restarting, and a client would not hammer it either.
    pub pause_after_failure: Duration,
}

/// Clients sending in the background.
pub struct Load {
    threads: Vec<JoinHandle<Vec<Answer>>>,
    accepted: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    started: Instant,
}

impl Load {
    pub fn start(port: u16, plan: &LoadPlan) -> Load {
        let accepted = Arc::new(AtomicUsize::new(0));
        let answered = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let deadline = started + plan.time_limit;
        let threads = (0..plan.clients)
            .filter_map(|client| {
                let (accepted, answered, stop) = (accepted.clone(), answered.clone(), stop.clone());
                let plan = plan.clone();
                thread::Builder::new()
                    .name(format!("sendsms-client-{client}"))
                    .spawn(move || {
                        let mut http = Sendsms::new(port);
                        let mut answers = Vec::with_capacity(plan.per_client);
                        for n in 0..plan.per_client {
                            if stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                                break;
                            }
                            let answer = http.send(&recipient(client, n), &text(client, n));
                            answers.push(answer);
                            match answer {
                                Answer::NoAnswer => thread::sleep(plan.pause_after_failure),
                                Answer::Status(status) => {
                                    answered.fetch_add(1, Ordering::Relaxed);
                                    if (200..300).contains(&status) {
                                        accepted.fetch_add(1, Ordering::Relaxed);
                                    } else {
                                        thread::sleep(plan.pause_after_failure);
                                    }
                                }
                            }
                        }
                        answers
                    })
                    .ok()
            })
            .collect();
        Load {
            threads,
            accepted,
            answered,
            stop,
            started,
        }
    }

    /// Requests answered 2xx so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Requests answered at all so far.
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::Relaxed)
    }

    /// Waits until `count` requests were accepted; false after `timeout`.
    pub fn wait_accepted(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.accepted() < count {
            if Instant::now() >= deadline || self.threads.iter().all(|t| t.is_finished()) {
                return self.accepted() >= count;
            }
            thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Waits until `more` requests were accepted beyond those already.
    pub fn wait_more_accepted(&self, more: usize, timeout: Duration) -> bool {
        self.wait_accepted(self.accepted() + more, timeout)
    }

    /// Tells the clients to stop after their current request.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Waits for every client to finish.
    pub fn finish(self) -> LoadResult {
        let answers = self
            .threads
            .into_iter()
            .map(|thread| thread.join().unwrap_or_default())
            .collect();
        LoadResult {
            answers,
            elapsed: self.started.elapsed(),
        }
    }
}

/// Every answer, per client and message.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub answers: Vec<Vec<Answer>>,
    pub elapsed: Duration,
}

impl LoadResult {
    pub fn sent(&self) -> usize {
        self.answers.iter().map(Vec::len).sum()
    }

    /// The (client, message) pairs answered 2xx.
    pub fn accepted(&self) -> BTreeSet<(usize, usize)> {
        self.answers
            .iter()
            .enumerate()
            .flat_map(|(client, answers)| {
                answers
                    .iter()
                    .enumerate()
                    .filter(|(_, answer)| answer.accepted())
                    .map(move |(n, _)| (client, n))
            })
            .collect()
    }

    /// How many requests got each answer, `None` for no answer.
    pub fn counts(&self) -> BTreeMap<Option<u16>, usize> {
        let mut counts = BTreeMap::new();
        for answer in self.answers.iter().flatten() {
            let key = match answer {
                Answer::Status(status) => Some(*status),
                Answer::NoAnswer => None,
            };
            *counts.entry(key).or_default() += 1;
        }
        counts
    }
}

/// What the clients were told against what the simulator accepted.
#[derive(Debug, Clone)]
pub struct Tally {
    pub sent: usize,
    pub accepted: usize,
    /// Messages of the plan that the simulator answered ESME_ROK at least once.
    pub delivered: usize,
    /// Accepted submits beyond the first of each message.
    pub duplicates: usize,
    /// Answered 2xx and never accepted by the simulator.
    pub lost: Vec<(usize, usize)>,
    /// Delivered although the client got no 2xx (allowed: the answer was lost).
    pub delivered_unconfirmed: usize,
    /// Submits whose text is not the one their recipient was sent.
    pub garbled: Vec<String>,
    pub counts: BTreeMap<Option<u16>, usize>,
}

impl Tally {
    pub fn new(load: &LoadResult, submits: &[Submit]) -> Tally {
        let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
        let mut garbled = Vec::new();
        for submit in submits.iter().filter(|s| s.status == Some(0)) {
            let Some(key) = submit.destination().and_then(|d| parse_recipient(&d.addr)) else {
                continue;
            };
            let got = String::from_utf8_lossy(submit.text()).into_owned();
            if got != text(key.0, key.1) {
                garbled.push(format!("{key:?}: {got:?}"));
            }
            *seen.entry(key).or_default() += 1;
        }
        let accepted = load.accepted();
        let lost = accepted
            .iter()
            .filter(|key| !seen.contains_key(key))
            .copied()
            .collect();
        Tally {
            sent: load.sent(),
            accepted: accepted.len(),
            delivered: seen.len(),
            duplicates: seen.values().map(|count| count - 1).sum(),
            lost,
            delivered_unconfirmed: seen.keys().filter(|key| !accepted.contains(key)).count(),
            garbled,
            counts: load.counts(),
        }
    }

    /// One line for the test's output.
    pub fn report(&self, what: &str) -> String {
        let counts: Vec<String> = self
            .counts
            .iter()
            .map(|(status, n)| match status {
                Some(status) => format!("{status}: {n}"),
                None => format!("no answer: {n}"),
            })
            .collect();
        format!(
            "{what}: requests sent {}, 2xx {}, delivered distinct {}, duplicates {}, \
             lost {}, delivered without a 2xx {} [{}]",
            self.sent,
            self.accepted,
            self.delivered,
            self.duplicates,
            self.lost.len(),
            self.delivered_unconfirmed,
            counts.join(", ")
        )
    }
}

/// Waits until every message answered 2xx was accepted by the simulator, or
/// `timeout`; then the tally, with what came late counted too.
pub fn settle(sim: &SimHandle, load: &LoadResult, timeout: Duration) -> Tally {
    let deadline = Instant::now() + timeout;
    loop {
        let tally = Tally::new(load, &sim.received());
        if tally.lost.is_empty() || Instant::now() >= deadline {
            // A moment more for resends still on their way, so duplicates are all counted.
            thread::sleep(Duration::from_millis(300));
            return Tally::new(load, &sim.received());
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Where one client's messages arrived out of order on one SMPP connection:
/// taking, per connection, each message's first arrival there (a resend of
/// one already seen on it is not a new arrival), the numbers of one client
/// must rise. One line per break.
pub fn order_breaks(submits: &[Submit]) -> Vec<String> {
    let mut last: HashMap<(u64, usize), usize> = HashMap::new();
    let mut seen: BTreeSet<(u64, usize, usize)> = BTreeSet::new();
    let mut breaks = Vec::new();
    for submit in submits {
        let Some((client, n)) = submit.destination().and_then(|d| parse_recipient(&d.addr)) else {
            continue;
        };
        if !seen.insert((submit.connection, client, n)) {
            continue;
        }
        if let Some(previous) = last.insert((submit.connection, client), n)
            && previous > n
        {
            breaks.push(format!(
                "connection {}: client {client} message {n} after message {previous}",
                submit.connection
            ));
        }
    }
    breaks
}

/// For each message the simulator accepted more than once: where its first
/// acceptance stood on its connection, counted from that connection's last
/// submit (0: the last one). A message sent again because it was in the
/// window when its connection died stands within the window's size of the end.
pub fn duplicate_positions(submits: &[Submit]) -> Vec<((usize, usize), u64, usize)> {
    let mut per_connection: HashMap<u64, usize> = HashMap::new();
    let mut first: HashMap<(usize, usize), (u64, usize)> = HashMap::new();
    let mut repeated: BTreeSet<(usize, usize)> = BTreeSet::new();
    for submit in submits {
        let index = per_connection.entry(submit.connection).or_default();
        let position = *index;
        *index += 1;
        if submit.status != Some(0) {
            continue;
        }
        let Some(key) = submit.destination().and_then(|d| parse_recipient(&d.addr)) else {
            continue;
        };
        match first.entry(key) {
            Entry::Occupied(_) => {
                repeated.insert(key);
            }
            Entry::Vacant(slot) => {
                slot.insert((submit.connection, position));
            }
        }
    }
    repeated
        .into_iter()
        .filter_map(|key| {
            let (connection, position) = *first.get(&key)?;
            let total = *per_connection.get(&connection)?;
            Some((key, connection, total.saturating_sub(position + 1)))
        })
        .collect()
}

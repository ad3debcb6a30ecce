//! The MT load: C keep-alive connections, one request in flight on each, all
//! driven by one thread on one `mio` poll.
//!
//! One thread, not a thread per connection: the load generator shares the
//! machine's two cores with the gateway it measures, and a blocked thread per
//! connection cost a context switch per answer (about 22 µs of the harness's
//! CPU per request at 50 connections), which the gateway under test then
//! lacked. On one poll, a burst of answers is read in one wake.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use crate::http1;

/// What to send, and how much.
pub struct Plan {
    pub port: u16,
    pub path: String,
    pub query: String,
    pub connections: usize,
    pub requests: usize,
    pub deadline: Instant,
    pub to_prefix: String,
}

/// What came back.
#[derive(Default)]
pub struct Outcome {
    /// Microseconds from writing a request to reading its whole answer.
    pub latencies: Vec<u32>,
    pub statuses: BTreeMap<u16, u64>,
    /// Connections refused, and requests lost with their connection (not retried).
    pub errors: u64,
    /// From the first request to the last answer: the connections are made
    /// before, and their making is not timed.
    pub elapsed: Duration,
}

/// The connections are given this long to be made before the load starts without the rest.
const WARM_UP: Duration = Duration::from_secs(10);
/// A request still in flight after the deadline is given this long to be answered.
const GRACE: Duration = Duration::from_secs(30);
/// A connection that could not be made is tried again after this.
const RECONNECT: Duration = Duration::from_millis(10);
/// Connections being made at once. Kannel's smsbox listens with a backlog of
/// 10: 200 connections arriving together overflowed it, and a handshake
/// whose last ACK the kernel dropped left its request to be sent again and
/// again, for up to 100 s.
const CONNECTING_AT_ONCE: usize = 8;
/// An answer that has not come by then counts as an error, and its
/// connection is made again (as the thread-per-connection loadgen's read
/// timeout did).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

struct Connection {
    stream: TcpStream,
    /// Connecting until the first event says otherwise.
    connected: bool,
    input: Vec<u8>,
    /// The request being written, and how much of it is written.
    output: Vec<u8>,
    written: usize,
    /// When the request in flight was sent; `None` when idle.
    sent: Option<Instant>,
}

enum Slot {
    Open(Connection),
    /// Closed: to be connected again at this instant.
    Closed(Instant),
}

pub fn run(plan: &Plan) -> std::io::Result<Outcome> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut load = Load {
        plan,
        next: 0,
        outcome: Outcome {
            latencies: Vec::with_capacity(plan.requests.min(10_000_000)),
            ..Outcome::default()
        },
        scratch: vec![0; 64 * 1024],
        sending: false,
    };
    let now = Instant::now();
    let mut slots: Vec<Slot> = (0..plan.connections).map(|_| Slot::Closed(now)).collect();
    // Every connection first, then the load: a gateway slow to accept
    // (Kannel's backlog, above) would otherwise be timed on its accepts and
    // measured with fewer connections busy than asked for.
    let warm_up = Instant::now() + WARM_UP;
    while Instant::now() < warm_up.min(plan.deadline)
        && !slots
            .iter()
            .all(|slot| matches!(slot, Slot::Open(connection) if connection.connected))
    {
        load.open_closed(&poll, &mut slots);
        turn(&mut poll, &mut events, &mut load, &mut slots)?;
    }
    let started = Instant::now();
    load.sending = true;
    for slot in &mut slots {
        if let Slot::Open(connection) = slot
            && connection.connected
            && load.more(started)
            && !load.send(connection)
        {
            load.outcome.errors += 1;
            close(&poll, slot, started);
        }
    }
    loop {
        let now = Instant::now();
        for slot in &mut slots {
            if let Slot::Open(connection) = slot
                && connection
                    .sent
                    .is_some_and(|sent| now - sent > ANSWER_TIMEOUT)
            {
                load.outcome.errors += 1;
                close(&poll, slot, now);
            }
        }
        load.open_closed(&poll, &mut slots);
        let busy = slots
            .iter()
            .any(|slot| matches!(slot, Slot::Open(connection) if connection.sent.is_some()));
        if !busy && !load.more(now) || now >= plan.deadline + GRACE {
            break;
        }
        turn(&mut poll, &mut events, &mut load, &mut slots)?;
    }
    load.outcome.elapsed = started.elapsed();
    Ok(load.outcome)
}

/// Waits for events (or for a reconnection to be due) and handles them.
fn turn(
    poll: &mut Poll,
    events: &mut Events,
    load: &mut Load<'_>,
    slots: &mut [Slot],
) -> std::io::Result<()> {
    poll.poll(events, Some(RECONNECT))?;
    for event in events.iter() {
        let Some(slot) = slots.get_mut(event.token().0) else {
            continue;
        };
        let Slot::Open(connection) = slot else {
            continue;
        };
        let alive = load.establish(connection)
            && (!event.is_writable() || load.flush(connection))
            && (!event.is_readable() || load.receive(connection));
        if !alive {
            if !connection.connected || connection.sent.is_some() {
                load.outcome.errors += 1;
            }
            close(poll, slot, Instant::now());
        }
    }
    Ok(())
}

/// Drops a slot's connection, to be made again from `at`.
fn close(poll: &Poll, slot: &mut Slot, at: Instant) {
    if let Slot::Open(connection) = slot {
        let _ = poll.registry().deregister(&mut connection.stream);
    }
    *slot = Slot::Closed(at);
}

struct Load<'a> {
    plan: &'a Plan,
    /// Requests started so far; each one's number makes its recipient.
    next: usize,
    outcome: Outcome,
    scratch: Vec<u8>,
    /// False while the connections are being made.
    sending: bool,
}

impl Load<'_> {
    fn more(&self, now: Instant) -> bool {
        self.next < self.plan.requests && now < self.plan.deadline
    }

    /// Starts making the closed connections that are due, a few at a time.
    fn open_closed(&mut self, poll: &Poll, slots: &mut [Slot]) {
        let now = Instant::now();
        let mut connecting = slots
            .iter()
            .filter(|slot| matches!(slot, Slot::Open(connection) if !connection.connected))
            .count();
        for (index, slot) in slots.iter_mut().enumerate() {
            if let Slot::Closed(at) = *slot
                && at <= now
                && connecting < CONNECTING_AT_ONCE
                && (!self.sending || self.more(now))
            {
                connecting += 1;
                *slot = self
                    .open(poll, Token(index))
                    .map_or(Slot::Closed(now + RECONNECT), Slot::Open);
            }
        }
    }

    /// Starts connecting; the first request goes once the connection is made
    /// (`establish`). Never a blocking connect: a peer slow to accept (Kannel's
    /// smsbox with 200 connections arriving at once) held every connection's
    /// traffic for seconds behind one SYN waiting to be sent again.
    fn open(&mut self, poll: &Poll, token: Token) -> Option<Connection> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.plan.port));
        let registered = TcpStream::connect(address).and_then(|mut stream| {
            stream.set_nodelay(true)?;
            poll.registry().register(
                &mut stream,
                token,
                Interest::READABLE | Interest::WRITABLE,
            )?;
            Ok(stream)
        });
        let Ok(stream) = registered else {
            self.outcome.errors += 1;
            return None;
        };
        Some(Connection {
            stream,
            connected: false,
            input: Vec::with_capacity(1024),
            output: Vec::with_capacity(512),
            written: 0,
            sent: None,
        })
    }

    /// On a connection's first events: whether it is made, and then its first
    /// request; false if it failed.
    fn establish(&mut self, connection: &mut Connection) -> bool {
        if connection.connected {
            return true;
        }
        if !matches!(connection.stream.take_error(), Ok(None)) {
            return false;
        }
        match connection.stream.peer_addr() {
            Ok(_) => connection.connected = true,
            Err(error) if error.kind() == ErrorKind::NotConnected => return true,
            Err(_) => return false,
        }
        !self.sending || !self.more(Instant::now()) || self.send(connection)
    }

    /// Starts the next request on an idle connection; false if the connection failed.
    fn send(&mut self, connection: &mut Connection) -> bool {
        let plan = self.plan;
        let n = self.next;
        self.next += 1;
        let to = format!("{}{n:07}", plan.to_prefix).replace('+', "%2B");
        connection.output.clear();
        connection.output.extend_from_slice(
            format!(
                "GET {}?{}&to={to} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n",
                plan.path, plan.query
            )
            .as_bytes(),
        );
        connection.written = 0;
        connection.sent = Some(Instant::now());
        self.flush(connection)
    }

    /// Writes what the socket takes of the request; the rest waits for a writable event.
    fn flush(&mut self, connection: &mut Connection) -> bool {
        while connection.written < connection.output.len() {
            match connection
                .stream
                .write(&connection.output[connection.written..])
            {
                Ok(0) => return false,
                Ok(n) => connection.written += n,
                Err(error) if error.kind() == ErrorKind::WouldBlock => return true,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        true
    }

    /// Reads all there is (the poll is edge-triggered), takes each whole answer
    /// and sends the next request; false if the connection failed or closed.
    fn receive(&mut self, connection: &mut Connection) -> bool {
        // An answer may come with the peer's close: it is counted first.
        let Ok(open) = http1::read_available(
            &mut connection.stream,
            &mut self.scratch,
            &mut connection.input,
        ) else {
            return false;
        };
        while let Some(head) = http1::head(&connection.input)
            && connection.input.len() >= head.total()
        {
            connection.input.drain(..head.total());
            let Some(sent) = connection.sent.take() else {
                // An answer nothing asked for: the peer is broken.
                return false;
            };
            let micros = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            self.outcome.latencies.push(micros);
            *self
                .outcome
                .statuses
                .entry(head.status.unwrap_or(0))
                .or_insert(0) += 1;
            if open && self.more(Instant::now()) && !self.send(connection) {
                return false;
            }
        }
        open
    }
}

//! An HTTP SMS supplier for the `http` SMSC driver: it takes MT as GET
//! requests and answers each as the test scripts it (accepted with an id,
//! failed temporarily or permanently, by status code or by body, or not at
//! all), and calls the gateway back with MO messages and delivery reports
//! the way a supplier does. Also the `http-supplier` binary.
//!
//! ```text
//!  bearerbox (smsc = http) ──GET send-url──▶ HttpSupplier ── answers per script
//!  bearerbox listener ◀──GET ?from&to&text / ?dlr-mid&dlr-mask── HttpSupplier::mo / ::report
//! ```
//!
//! Its accepted answer is `200 OK <id>` with ids `sup-1`, `sup-2`…, which a
//! `generic` link reads with `status-success-regex = "^OK"` and
//! `generic-foreign-id-regex = "^OK ([a-z0-9-]+)"`.

use std::collections::VecDeque;
use std::io::{BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::HarnessError;
use crate::http::{self, Response, encode};
use crate::recorder::{Recorded, read_request};

/// An idle connection is closed after this.
const IDLE: Duration = Duration::from_secs(30);

/// How the supplier answers one MT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `200 OK sup-<n>`.
    Accept,
    /// `503 Service unavailable`.
    Unavailable,
    /// `400 Bad request`.
    BadRequest,
    /// `200 ERR invalid number`: a permanent failure only a regex can tell.
    ErrBody,
    /// `200 BUSY try later`: a temporary failure only a regex can tell.
    BusyBody,
    /// No answer for this long, then `200 OK`: a timeout for the gateway.
    Stall(Duration),
}

/// One MT the supplier answered.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub request: Recorded,
    pub outcome: Outcome,
    /// The id it gave, when it accepted.
    pub id: Option<String>,
}

#[derive(Debug)]
struct State {
    script: VecDeque<Outcome>,
    default: Outcome,
    next_id: u64,
    submitted: Vec<Submitted>,
    /// Requests being answered right now, and the most at once.
    in_flight: usize,
    most_in_flight: usize,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
}

/// The running supplier; dropping it stops it.
#[derive(Debug)]
pub struct HttpSupplier {
    port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl HttpSupplier {
    /// Listens on 127.0.0.1:`port` (0: a free one), accepting every MT.
    pub fn start(port: u16) -> Result<HttpSupplier, HarnessError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .map_err(|source| HarnessError::io("binding the HTTP supplier", source))?;
        let port = listener
            .local_addr()
            .map_err(|source| HarnessError::io("reading the supplier's port", source))?
            .port();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                script: VecDeque::new(),
                default: Outcome::Accept,
                next_id: 1,
                submitted: Vec::new(),
                in_flight: 0,
                most_in_flight: 0,
            }),
            stop: AtomicBool::new(false),
        });
        let accepting = shared.clone();
        let accept = thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let shared = accepting.clone();
                    thread::spawn(move || serve(stream, &shared));
                }
            }
        });
        Ok(HttpSupplier {
            port,
            shared,
            accept: Some(accept),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The next MT get these outcomes, in order; then the default.
    pub fn script(&self, outcomes: &[Outcome]) {
        if let Ok(mut state) = self.shared.state.lock() {
            state.script.extend(outcomes.iter().copied());
        }
    }

    /// What MT get once the script is used up.
    pub fn set_default(&self, outcome: Outcome) {
        if let Ok(mut state) = self.shared.state.lock() {
            state.default = outcome;
        }
    }

    /// Every MT answered so far.
    pub fn submitted(&self) -> Vec<Submitted> {
        self.shared
            .state
            .lock()
            .map(|state| state.submitted.clone())
            .unwrap_or_default()
    }

    /// The most MT requests it was answering at one time.
    pub fn most_in_flight(&self) -> usize {
        self.shared
            .state
            .lock()
            .map(|state| state.most_in_flight)
            .unwrap_or(0)
    }

    /// Waits until `count` MT were answered, at most `timeout`.
    pub fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Submitted>, HarnessError> {
        let deadline = Instant::now() + timeout;
        loop {
            let submitted = self.submitted();
            if submitted.len() >= count {
                return Ok(submitted);
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout {
                    what: format!("{count} MT at the HTTP supplier"),
                    output: format!("{submitted:#?}"),
                });
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Calls the gateway's listener on `port` with an MO; `extra` are more
    /// parameters (credentials, coding…).
    pub fn mo(
        port: u16,
        from: &str,
        to: &str,
        text: &str,
        extra: &[(&str, &str)],
    ) -> Result<Response, HarnessError> {
        let mut pairs = vec![("from", from), ("to", to), ("text", text)];
        pairs.extend_from_slice(extra);
        http::get(port, &format!("/?{}", query(&pairs)))
    }

    /// Calls the gateway's listener on `port` with a delivery report for
    /// the MT it gave `id`, event `mask` (1 delivered, 2 failed, 4 buffered).
    pub fn report(
        port: u16,
        id: &str,
        mask: i32,
        extra: &[(&str, &str)],
    ) -> Result<Response, HarnessError> {
        let mask = mask.to_string();
        let mut pairs = vec![("dlr-mid", id), ("dlr-mask", mask.as_str())];
        pairs.extend_from_slice(extra);
        http::get(port, &format!("/?{}", query(&pairs)))
    }
}

fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Drop for HttpSupplier {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while !shared.stop.load(Ordering::SeqCst) {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        let (outcome, id) = {
            let Ok(mut state) = shared.state.lock() else {
                return;
            };
            let outcome = state.script.pop_front().unwrap_or(state.default);
            let id = matches!(outcome, Outcome::Accept).then(|| {
                let id = format!("sup-{}", state.next_id);
                state.next_id += 1;
                id
            });
            state.in_flight += 1;
            state.most_in_flight = state.most_in_flight.max(state.in_flight);
            (outcome, id)
        };
        let (status, body) = match (outcome, &id) {
            (Outcome::Accept, Some(id)) => (200, format!("OK {id}")),
            (Outcome::Unavailable, _) => (503, "Service unavailable".to_owned()),
            (Outcome::BadRequest, _) => (400, "Bad request".to_owned()),
            (Outcome::ErrBody, _) => (200, "ERR invalid number".to_owned()),
            (Outcome::BusyBody, _) => (200, "BUSY try later".to_owned()),
            (Outcome::Stall(pause), _) => {
                thread::sleep(pause);
                (200, "OK late".to_owned())
            }
            (Outcome::Accept, None) => (200, "OK".to_owned()),
        };
        // Answered (or about to be): recorded before the gateway can act on it.
        if let Ok(mut state) = shared.state.lock() {
            state.in_flight = state.in_flight.saturating_sub(1);
            state.submitted.push(Submitted {
                request,
                outcome,
                id,
            });
        }
        let head = format!(
            "HTTP/1.1 {status} Supplier\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(body.as_bytes()).is_err()
        {
            return;
        }
    }
}

//! An HTTP recorder: a small HTTP/1.1 server on 127.0.0.1 that keeps every
//! request it receives (method, target, headers, body) and answers each
//! with a reply the test chose. It plays the applications behind
//! sms-service URLs and dlr-urls.
//!
//! Keep-alive is honoured; each connection has its own thread, which ends
//! when the client closes or is idle for [`IDLE`].
//!
//! A test may also queue replies to be used in order before the standing
//! one, hold each answer back for a while (to see how many requests a
//! client keeps in flight), and serve over TLS ([`Recorder::start_tls`]).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::HarnessError;

/// A connection idle this long is closed.
const IDLE: Duration = Duration::from_secs(30);
/// Larger bodies are refused: nothing under test sends more.
const MAX_BODY: usize = 1 << 20;

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as on the request line.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// A header's value, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// A query parameter, `%XX` and `+` decoded.
    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then(|| percent_decode(value))
        })
    }
}

/// Decodes `%XX` and `+`, leaving malformed escapes as they are.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the recorder answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(body: &str) -> Reply {
        Reply {
            status: 200,
            content_type: "text/plain".into(),
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }
}

#[derive(Debug, Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    reply: Mutex<Reply>,
    stop: AtomicBool,
    /// Replies used once each, in order, before `reply`.
    queued: Mutex<VecDeque<Reply>>,
    /// How long each answer is held back.
    delay: Mutex<Duration>,
    /// When each request arrived, in order.
    arrivals: Mutex<Vec<Instant>>,
    /// Requests received and not yet answered, and the most seen at once.
    in_flight: Mutex<(usize, usize)>,
}

impl Default for Reply {
    fn default() -> Reply {
        Reply::text("OK")
    }
}

/// The running recorder; dropping it stops it.
#[derive(Debug)]
pub struct Recorder {
    port: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Listens on a free loopback port, answering `200 text/plain "OK"`.
    pub fn start() -> Result<Recorder, HarnessError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|source| HarnessError::io("binding the recorder", source))?;
        let port = listener
            .local_addr()
            .map_err(|source| HarnessError::io("reading the recorder's port", source))?
            .port();
        let shared = Arc::new(Shared::default());
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
        Ok(Recorder {
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

    /// Listens like [`Recorder::start`], speaking TLS with `identity`'s
    /// certificate; [`Recorder::url`] still says `http://`, use
    /// [`Recorder::https_url`].
    pub fn start_tls(identity: &crate::tls::Identity) -> Result<Recorder, HarnessError> {
        let config = identity.server_config()?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|source| HarnessError::io("binding the TLS recorder", source))?;
        let port = listener
            .local_addr()
            .map_err(|source| HarnessError::io("reading the recorder's port", source))?
            .port();
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        let accept = thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = accepting.clone();
                let config = config.clone();
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(IDLE));
                    // A client that refuses the certificate ends here.
                    let Ok(connection) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    serve_stream(rustls::StreamOwned::new(connection, stream), &shared);
                });
            }
        });
        Ok(Recorder {
            port,
            shared,
            accept: Some(accept),
        })
    }

    /// `https://127.0.0.1:<port><path>`.
    pub fn https_url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// Replies used once each, in order, before the standing one.
    pub fn queue_replies(&self, replies: impl IntoIterator<Item = Reply>) {
        if let Ok(mut queued) = self.shared.queued.lock() {
            queued.extend(replies);
        }
    }

    /// Holds every answer back this long.
    pub fn set_delay(&self, delay: Duration) {
        if let Ok(mut current) = self.shared.delay.lock() {
            *current = delay;
        }
    }

    /// When each request arrived, in order.
    pub fn arrivals(&self) -> Vec<Instant> {
        self.shared
            .arrivals
            .lock()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    /// The most requests received and not yet answered at one time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.in_flight.lock().map(|f| f.1).unwrap_or(0)
    }

    pub fn set_reply(&self, reply: Reply) {
        if let Ok(mut current) = self.shared.reply.lock() {
            *current = reply;
        }
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// Waits until at least `count` requests arrived, at most `timeout`.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> Result<Vec<Recorded>, HarnessError> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if requests.len() >= count {
                return Ok(requests);
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout {
                    what: format!("{count} request(s) at the recorder"),
                    output: format!("{requests:#?}"),
                });
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Serves one connection of any stream (TLS): reads and answers through
/// the same object.
fn serve_stream<S: Read + Write>(stream: S, shared: &Shared) {
    let mut reader = BufReader::new(stream);
    while !shared.stop.load(Ordering::SeqCst) {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        let close = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let reply = take(shared, request);
        let answer = answer_bytes(&reply);
        let writer = reader.get_mut();
        let written = writer.write_all(&answer).and_then(|()| writer.flush());
        answered(shared);
        if written.is_err() || close {
            return;
        }
    }
}

/// Records a request, holds it the chosen delay, and picks its reply.
fn take(shared: &Shared, request: Recorded) -> Reply {
    if let Ok(mut requests) = shared.requests.lock() {
        requests.push(request);
    }
    if let Ok(mut arrivals) = shared.arrivals.lock() {
        arrivals.push(Instant::now());
    }
    if let Ok(mut in_flight) = shared.in_flight.lock() {
        in_flight.0 += 1;
        in_flight.1 = in_flight.1.max(in_flight.0);
    }
    let delay = shared.delay.lock().map(|d| *d).unwrap_or_default();
    if !delay.is_zero() {
        thread::sleep(delay);
    }
    let queued = shared.queued.lock().ok().and_then(|mut q| q.pop_front());
    queued.unwrap_or_else(|| {
        shared
            .reply
            .lock()
            .map(|r| r.clone())
            .unwrap_or_else(|_| Reply::text(""))
    })
}

fn answered(shared: &Shared) {
    if let Ok(mut in_flight) = shared.in_flight.lock() {
        in_flight.0 = in_flight.0.saturating_sub(1);
    }
}

fn answer_bytes(reply: &Reply) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {} Recorded\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&reply.body);
    bytes
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
        let close = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let reply = take(shared, request);
        let written = writer.write_all(&answer_bytes(&reply));
        answered(shared);
        if written.is_err() {
            return;
        }
        if close {
            return;
        }
    }
}

/// Reads one HTTP/1.1 request (headers, a Content-Length body up to 1 MiB);
/// `None` when the peer closed or sent something that is not one. Shared
/// with the HTTP supplier simulator.
pub(crate) fn read_request<R: Read>(reader: &mut BufReader<R>) -> Option<Recorded> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_BODY);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

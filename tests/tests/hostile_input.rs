//! Hostile input on both edges of the gateway. A thousand malformed sendsms
//! requests: each is answered 4xx/5xx or its connection closed, never
//! accepted. A thousand malformed SMPP PDUs from the SMSC: each request is
//! answered (generic_nack or its own response with an error) or the session
//! is dropped and bound again. Afterwards both processes are the ones started
//! (same pids, never exited), the status page answers, and a valid sendsms is
//! accepted and delivered.

use std::collections::{BTreeMap, HashMap};
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use tests::TestResult;
use tests::faults::{Answer, Sendsms, SmppGateway, recipient, text};
use tests::gateway::is_alive;
use tests::rng::Rng;
use tests::smsc_sim::{Direction, SimConfig};

const HTTP_COUNT: usize = 1_000;
const SMPP_COUNT: usize = 1_000;
/// How long a malformed request may wait for its answer or its close.
const JUNK_TIMEOUT: Duration = Duration::from_secs(5);
/// smsbox gives a client 10 s to send a request head; a slow one is cut after that.
const SLOW_LIMIT: Duration = Duration::from_secs(14);
const SLOW_CLIENTS: usize = 20;
const WAIT: Duration = Duration::from_secs(15);
const VALID_QUERY: &str = "username=tester&password=foobar&from=12345&to=%2B39000000001&text=hi";

// ---------------------------------------------------------------- HTTP

/// One malformed request: the bytes, and whether the client then closes its
/// sending side (a truncated request the server must not wait for forever).
struct Junk {
    kind: &'static str,
    bytes: Vec<u8>,
    half_close: bool,
}

fn request(method: &str, target: &str, headers: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n")
        .into_bytes()
}

fn sendsms(query: &str) -> String {
    format!("/cgi-bin/sendsms?{query}")
}

fn bad_escape(rng: &mut Rng) -> Junk {
    let bad = *rng.pick(&["%", "%4", "%G1", "%%", "%zz", "%u00e9", "%-1", "%0", "% 1"]);
    let query = match rng.below(4) {
        0 => format!("username=tester&password=foobar&from=12345&to=%2B39{bad}1&text=hi"),
        1 => format!("username=te{bad}ster&password=foobar&from=12345&to=%2B391&text=hi"),
        2 => format!("username=tester&password=foo{bad}bar&from=12345&to=%2B391&text=hi"),
        _ => format!("username=tester&password=foobar&from=12345&to={bad}&text=hi"),
    };
    Junk {
        kind: "bad %-encoding",
        bytes: request("GET", &sendsms(&query), ""),
        half_close: false,
    }
}

fn huge_url(rng: &mut Rng) -> Junk {
    let size = *rng.pick(&[17 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024]);
    let query = format!("{VALID_QUERY}{}", "x".repeat(size));
    Junk {
        kind: "huge URL",
        bytes: request("GET", &sendsms(&query), ""),
        half_close: false,
    }
}

fn missing_param(rng: &mut Rng) -> Junk {
    let query = *rng.pick(&[
        "",
        "password=foobar&from=12345&to=%2B391&text=hi",
        "username=tester&from=12345&to=%2B391&text=hi",
        "username=tester&password=foobar&from=12345&text=hi",
        "username=tester&password=foobar&from=12345&to=&text=hi",
        "username=tester&password=foobar&to=%2B391&text=hi",
        "username=&password=&from=12345&to=%2B391&text=hi",
        "&&&&",
        "username",
        "=&=&=",
    ]);
    let target = if query.is_empty() && rng.below(2) == 0 {
        "/cgi-bin/sendsms".to_string()
    } else {
        sendsms(query)
    };
    Junk {
        kind: "missing parameter",
        bytes: request("GET", &target, ""),
        half_close: false,
    }
}

/// Methods that are not HTTP tokens at all. (Tokens that are no method, such
/// as `FOO`, have their own test below.)
fn garbage_method(rng: &mut Rng) -> Junk {
    let method = *rng.pick(&[
        "G\0T",
        "G E T",
        "\u{1}\u{2}",
        "GET\u{7f}",
        "GE\"T",
        "(GET)",
        "GET\u{ff}",
        "",
    ]);
    Junk {
        kind: "garbage method",
        bytes: request(method, &sendsms(VALID_QUERY), ""),
        half_close: false,
    }
}

fn binary_junk(rng: &mut Rng) -> Junk {
    let len = 1 + rng.below(2048);
    Junk {
        kind: "binary junk",
        bytes: rng.bytes(len),
        half_close: true,
    }
}

fn truncated(rng: &mut Rng) -> Junk {
    let whole = if rng.below(2) == 0 {
        request("GET", &sendsms(VALID_QUERY), "")
    } else {
        format!(
            "POST /cgi-bin/sendsms HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{VALID_QUERY}",
            VALID_QUERY.len()
        )
        .into_bytes()
    };
    // Cut before the head ends, or inside the POST body: never a whole request.
    let head_end = whole
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(whole.len());
    let limit = if whole.starts_with(b"POST") {
        whole.len() - 1
    } else {
        head_end + 3
    };
    let cut = 1 + rng.below(limit - 1);
    Junk {
        kind: "truncated request",
        bytes: whole[..cut].to_vec(),
        half_close: true,
    }
}

fn broken_framing(rng: &mut Rng) -> Junk {
    let bytes = match rng.below(8) {
        0 => format!("GET {} HTTP/9.9\r\nHost: x\r\n\r\n", sendsms(VALID_QUERY)).into_bytes(),
        1 => format!("GET {} HTTP/1.1\r\nNo colon here\r\n\r\n", sendsms(VALID_QUERY)).into_bytes(),
        2 => format!(
            "POST /cgi-bin/sendsms HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\n{VALID_QUERY}"
        )
        .into_bytes(),
        3 => format!("POST /cgi-bin/sendsms HTTP/1.1\r\nContent-Length: -3\r\n\r\n{VALID_QUERY}")
            .into_bytes(),
        4 => b"POST /cgi-bin/sendsms HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n"
            .to_vec(),
        5 => format!(
            "GET {} HTTP/1.1\r\nX-Long: {}\r\n\r\n",
            sendsms(VALID_QUERY),
            "y".repeat(40_000)
        )
        .into_bytes(),
        6 => format!("GET {} HTTP/1.1\r\nHost: \0\r\n\r\n", sendsms(VALID_QUERY)).into_bytes(),
        _ => b"\r\n\r\n\r\n\r\n".to_vec(),
    };
    Junk {
        kind: "broken framing",
        bytes,
        half_close: true,
    }
}

/// What came back for one malformed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reply {
    Status(u16),
    /// Closed (or reset) without an answer.
    Closed,
    /// Bytes that are not an HTTP answer.
    NotHttp,
    /// Neither an answer nor a close within the time allowed.
    Hung,
}

/// The status of the first response in `raw`, once its head is complete.
fn status_of(raw: &[u8]) -> Option<Reply> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let status = head
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse().ok());
    Some(status.map_or(Reply::NotHttp, Reply::Status))
}

/// Sends `junk` on a new connection and waits for an answer or a close.
fn throw(port: u16, junk: &Junk) -> Reply {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_secs(2)) else {
        return Reply::Hung;
    };
    let _ = stream.set_write_timeout(Some(JUNK_TIMEOUT));
    // The server may answer and close before it read everything: a failed
    // write is no failure of the test, the answer is read all the same.
    let written = stream.write_all(&junk.bytes);
    if junk.half_close || written.is_err() {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let deadline = Instant::now() + JUNK_TIMEOUT;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(reply) = status_of(&raw) {
            return reply;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return Reply::Hung;
        }
        match stream.read(&mut chunk) {
            Ok(0) => {
                return if raw.is_empty() {
                    Reply::Closed
                } else {
                    Reply::NotHttp
                };
            }
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Reply::Hung;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => {
                return if raw.is_empty() {
                    Reply::Closed
                } else {
                    Reply::NotHttp
                };
            }
        }
    }
}

/// A client that sends a request head one octet at a time and never ends it.
/// Returns how long the server let it trickle before it answered or closed,
/// `None` if the connection was still open at [`SLOW_LIMIT`].
fn slow_loris(port: u16, n: usize) -> Option<Duration> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    let started = Instant::now();
    let head = format!(
        "GET /cgi-bin/sendsms?username=tester&n={n} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: {}",
        "z".repeat(10_000)
    );
    let mut chunk = [0u8; 512];
    for byte in head.bytes() {
        if started.elapsed() >= SLOW_LIMIT {
            return None;
        }
        if stream.write_all(&[byte]).is_err() {
            return Some(started.elapsed());
        }
        if stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .is_err()
        {
            return Some(started.elapsed());
        }
        match stream.read(&mut chunk) {
            Ok(_) => return Some(started.elapsed()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(started.elapsed()),
        }
    }
    None
}

/// Waits for a submit to `to` that the simulator accepted.
fn delivered(gateway: &SmppGateway, to: &str) -> bool {
    let digits = to.trim_start_matches('+').to_string();
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if gateway
            .sim
            .received()
            .iter()
            .any(|s| s.status == Some(0) && s.destination().is_some_and(|d| d.addr == digits))
        {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The end of a storm: the same processes, alive; status page up; a valid
/// sendsms accepted and delivered.
fn assert_still_serving(
    gateway: &mut SmppGateway,
    pids: (nix::unistd::Pid, nix::unistd::Pid),
) -> TestResult {
    for (name, process, pid) in [
        ("bearerbox", &mut gateway.bearerbox, pids.0),
        ("smsbox", &mut gateway.smsbox, pids.1),
    ] {
        let status = process.try_status()?;
        assert!(
            status.is_none() && process.pid() == pid && is_alive(pid),
            "{name} (pid {pid}) is gone: {status:?}\n{}",
            process.output()
        );
    }
    let page = gateway.status_page()?;
    assert!(!page.is_empty(), "an empty status page");
    let to = recipient(999, 1);
    let answer = Sendsms::new(gateway.sendsms_port()).send(&to, &text(999, 1));
    assert_eq!(
        answer,
        Answer::Status(202),
        "a valid sendsms after the storm"
    );
    assert!(
        delivered(gateway, &to),
        "the valid sendsms after the storm never reached the SMSC\n{}",
        gateway.logs()
    );
    Ok(())
}

#[test]
fn a_thousand_malformed_sendsms_requests_are_refused_and_the_gateway_keeps_serving() -> TestResult {
    let mut gateway = SmppGateway::start(SimConfig::default(), &[])?;
    let pids = (gateway.bearerbox.pid(), gateway.smsbox.pid());
    let port = gateway.sendsms_port();

    // Slow clients trickle in the background while the storm runs.
    let slow: Vec<_> = (0..SLOW_CLIENTS)
        .map(|n| thread::spawn(move || slow_loris(port, n)))
        .collect();

    let makers: [fn(&mut Rng) -> Junk; 7] = [
        bad_escape,
        huge_url,
        missing_param,
        garbage_method,
        binary_junk,
        truncated,
        broken_framing,
    ];
    let mut rng = Rng::new(0x5eed_f00d_cafe_0001);
    let mut tally: BTreeMap<(&str, String), usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    let started = Instant::now();
    for n in 0..HTTP_COUNT - SLOW_CLIENTS {
        let junk = makers[n % makers.len()](&mut rng);
        let reply = throw(port, &junk);
        *tally.entry((junk.kind, format!("{reply:?}"))).or_default() += 1;
        let refused = matches!(reply, Reply::Status(400..=599) | Reply::Closed);
        if !refused {
            let shown = String::from_utf8_lossy(&junk.bytes[..junk.bytes.len().min(120)]);
            wrong.push(format!("{}: {reply:?} for {shown:?}", junk.kind));
        }
    }
    let storm = started.elapsed();
    let slow: Vec<Option<Duration>> = slow
        .into_iter()
        .map(|thread| thread.join().unwrap_or(None))
        .collect();
    eprintln!(
        "{} malformed requests in {storm:.1?}; replies by kind: {tally:?}",
        HTTP_COUNT - SLOW_CLIENTS
    );
    eprintln!("{SLOW_CLIENTS} slow clients cut after: {slow:.1?}");
    // Readiness probes (to +1999...) are all that may reach the SMSC.
    let accepted_junk = gateway
        .sim
        .received()
        .iter()
        .filter(|s| s.destination().is_some_and(|d| !d.addr.starts_with("1999")))
        .count();
    assert!(
        wrong.is_empty(),
        "{} malformed requests not refused, first: {:#?}",
        wrong.len(),
        wrong.iter().take(10).collect::<Vec<_>>()
    );
    assert_eq!(accepted_junk, 0, "malformed requests reached the SMSC");
    assert!(
        slow.iter().all(Option::is_some),
        "slow clients still connected after {SLOW_LIMIT:?}: {slow:?}"
    );
    assert_still_serving(&mut gateway, pids)
}

/// Kannel's HTTP server answers 400 to any method but GET, POST and HEAD
/// (gwlib/http.c, `parse_request_line`): whatever else comes is no sendsms,
/// however valid its query.
#[test]
fn a_sendsms_with_an_unknown_method_is_refused_and_not_sent() -> TestResult {
    let gateway = SmppGateway::start(SimConfig::default(), &[])?;
    let methods = ["FOO", "GETT", "get", "DELETE", "PUT", "BREW", "OPTIONS"];
    let mut wrong = Vec::new();
    for (n, method) in methods.iter().enumerate() {
        let to = recipient(998, n);
        let query = format!(
            "username=tester&password=foobar&from=12345&to={}&text=unknown+method",
            tests::http::encode(&to)
        );
        let junk = Junk {
            kind: "unknown method",
            bytes: request(method, &sendsms(&query), ""),
            half_close: false,
        };
        let reply = throw(gateway.sendsms_port(), &junk);
        if !matches!(reply, Reply::Status(400..=599) | Reply::Closed) {
            wrong.push(format!("{method}: {reply:?}"));
        }
    }
    thread::sleep(Duration::from_secs(1));
    let sent: Vec<String> = gateway
        .sim
        .received()
        .iter()
        .filter_map(|s| s.destination().map(|d| d.addr.clone()))
        .filter(|addr| addr.starts_with("39998"))
        .collect();
    assert!(
        wrong.is_empty() && sent.is_empty(),
        "unknown methods answered {wrong:?}; sent to {sent:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------- SMPP

const GENERIC_NACK: u32 = 0x8000_0000;
const DELIVER_SM: u32 = 0x0000_0005;
const DATA_SM: u32 = 0x0000_0103;
/// Requests an ESME may get and must answer; outbind, alert_notification
/// (which have no response) and unbind (which ends the session) left out.
const KNOWN_REQUESTS: [u32; 11] = [
    0x0000_0001, // bind_receiver
    0x0000_0002, // bind_transmitter
    0x0000_0003, // query_sm
    0x0000_0004, // submit_sm
    DELIVER_SM,
    0x0000_0007, // replace_sm
    0x0000_0008, // cancel_sm
    0x0000_0009, // bind_transceiver
    0x0000_0015, // enquire_link
    0x0000_0021, // submit_multi
    DATA_SM,
];

fn pdu(command_id: u32, sequence: u32, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(16 + body.len());
    bytes.extend_from_slice(&((16 + body.len()) as u32).to_be_bytes());
    bytes.extend_from_slice(&command_id.to_be_bytes());
    bytes.extend_from_slice(&0u32.to_be_bytes());
    bytes.extend_from_slice(&sequence.to_be_bytes());
    bytes.extend_from_slice(body);
    bytes
}

fn c_string(body: &mut Vec<u8>, text: &[u8]) {
    body.extend_from_slice(text);
    body.push(0);
}

/// A deliver_sm body as SMPP 3.4 §4.6.1 lays it out, written by hand.
fn deliver_body(source: &[u8], esm_class: u8, data_coding: u8, message: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    c_string(&mut body, b"");
    body.extend_from_slice(&[1, 1]);
    c_string(&mut body, source);
    body.extend_from_slice(&[1, 1]);
    c_string(&mut body, b"4670000000");
    body.extend_from_slice(&[esm_class, 0, 0]);
    c_string(&mut body, b"");
    c_string(&mut body, b"");
    body.extend_from_slice(&[0, 0, data_coding, 0, message.len().min(255) as u8]);
    body.extend_from_slice(message);
    body
}

/// A deliver_sm with one field broken, in one of a dozen ways.
fn broken_deliver(rng: &mut Rng) -> Vec<u8> {
    let good = deliver_body(b"4670111111", 0, 0, b"hello");
    match rng.below(12) {
        // No NUL anywhere: every C-Octet String runs off the end.
        0 => rng.junk(1, 41).into_iter().map(|b| b | 1).collect(),
        // service_type far over its 6 octets.
        1 => {
            let mut body = Vec::new();
            c_string(&mut body, &vec![b'S'; 50 + rng.below(200)]);
            body.extend_from_slice(&good[1..]);
            body
        }
        // source_addr far over its 21 octets.
        2 => deliver_body(&vec![b'9'; 30 + rng.below(200)], 0, 0, b"hello"),
        // sm_length says more than follows.
        3 => {
            let mut body = deliver_body(b"4670111111", 0, 0, b"hello");
            let at = body.len() - 6;
            body[at] = 100 + rng.below(155) as u8;
            body
        }
        // sm_length says less than follows, and the rest is not TLVs.
        4 => {
            let mut body = deliver_body(b"4670111111", 0, 0, b"hello world, and more");
            let at = body.len() - 22;
            body[at] = 2;
            body
        }
        // A TLV whose length runs past the end.
        5 => {
            let mut body = good.clone();
            body.extend_from_slice(&[0x04, 0x24, 0xff, 0xf0, 1, 2, 3]);
            body
        }
        // A TLV cut inside its tag.
        6 => {
            let mut body = good.clone();
            body.push(0x02);
            body
        }
        // UDHI set, UDH length over the message.
        7 => deliver_body(b"4670111111", 0x40, 0, &[0xf0, 1, 2]),
        // UDHI set, empty message.
        8 => deliver_body(b"4670111111", 0x40, 0, b""),
        // A receipt whose text is no receipt.
        9 => deliver_body(b"4670111111", 0x04, 0, &rng.junk(0, 160)),
        // UCS-2 with an odd number of octets.
        10 => deliver_body(b"4670111111", 0, 0x08, b"abc"),
        // Cut anywhere before its end.
        _ => good[..rng.below(good.len())].to_vec(),
    }
}

/// One malformed request PDU with sequence number `sequence`.
fn malformed_pdu(rng: &mut Rng, sequence: u32) -> (&'static str, Vec<u8>) {
    match rng.below(5) {
        0 => {
            let mut id = rng.next_u64() as u32 & 0x7fff_ffff;
            while KNOWN_REQUESTS.contains(&id) || [0x6, 0xb, 0x102].contains(&id) {
                id = id.wrapping_add(0x1000) & 0x7fff_ffff;
            }
            let body = rng.junk(0, 64);
            ("unknown command id", pdu(id, sequence, &body))
        }
        1 => {
            let id = *rng.pick(&KNOWN_REQUESTS);
            let full = deliver_body(b"4670111111", 0, 0, b"truncated");
            let body = &full[..rng.below(full.len())];
            // enquire_link has no body: give it one it cannot have.
            let body = if id == 0x15 && body.is_empty() {
                &full[..3]
            } else {
                body
            };
            ("truncated body", pdu(id, sequence, body))
        }
        2 | 3 => (
            "broken deliver_sm",
            pdu(DELIVER_SM, sequence, &broken_deliver(rng)),
        ),
        _ => {
            let id = *rng.pick(&[DELIVER_SM, DATA_SM]);
            let mut body = deliver_body(b"4670111111", 0, 0, b"flipped");
            for _ in 0..1 + rng.below(6) {
                let at = rng.below(body.len());
                body[at] = rng.next_u64() as u8;
            }
            ("random octets in a body", pdu(id, sequence, &body))
        }
    }
}

/// Octets after which no SMPP framing can go on.
fn framing_breakers() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("command_length 0", vec![0; 16]),
        (
            "command_length 15",
            pdu(DELIVER_SM, 1, &[])[..]
                .iter()
                .enumerate()
                .map(|(i, b)| if i == 3 { 15 } else { *b })
                .collect(),
        ),
        ("command_length 0xffffffff", {
            let mut bytes = pdu(DELIVER_SM, 2, &[]);
            bytes[..4].copy_from_slice(&[0xff; 4]);
            bytes
        }),
        ("command_length 16 MiB", {
            let mut bytes = pdu(DELIVER_SM, 3, &[]);
            bytes[..4].copy_from_slice(&(16u32 << 20).to_be_bytes());
            bytes
        }),
        (
            "text instead of SMPP",
            b"HTTP/1.1 400 Bad Request\r\n\r\n".to_vec(),
        ),
    ]
}

/// Writes `bytes` to the gateway's SMPP connection, waiting for a new bind
/// first if the last PDU ended the session; returns the binds before.
fn inject(gateway: &SmppGateway, bytes: &[u8]) -> Result<usize, Box<dyn std::error::Error>> {
    let binds = gateway.binds();
    if gateway.sim.inject_garbage(bytes) == 1 {
        return Ok(binds);
    }
    if !gateway.sim.wait_for_binds(binds + 1, WAIT) {
        return Err(format!("no SMPP connection to write to\n{}", gateway.logs()).into());
    }
    let binds = gateway.binds();
    match gateway.sim.inject_garbage(bytes) {
        1 => Ok(binds),
        n => Err(format!("{n} SMPP connections to write to\n{}", gateway.logs()).into()),
    }
}

/// How the gateway took one PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Taken {
    GenericNack,
    /// The command's own response (any status).
    Response,
    /// The session was dropped and bound again.
    Reconnected,
    Ignored,
}

/// The answers (generic_nack or a response) the gateway sent to sequence
/// numbers from `first` on: sequence number to command id.
fn answers_from(gateway: &SmppGateway, first: u32) -> HashMap<u32, u32> {
    gateway
        .sim
        .pdus()
        .iter()
        .filter(|p| {
            p.direction == Direction::In
                && p.sequence_number >= first
                && p.command_id & GENERIC_NACK != 0
        })
        .map(|p| (p.sequence_number, p.command_id))
        .collect()
}

#[test]
fn a_thousand_malformed_pdus_from_the_smsc_are_answered_and_the_gateway_keeps_serving() -> TestResult
{
    const FIRST: u32 = 0x6000_0000;
    const BATCH: usize = 50;
    let mut gateway = SmppGateway::start(SimConfig::default(), &[])?;
    let pids = (gateway.bearerbox.pid(), gateway.smsbox.pid());
    let mut rng = Rng::new(0x5eed_5a9d_0000_0002);
    let mut taken: BTreeMap<(&str, Taken), usize> = BTreeMap::new();
    let mut ignored = Vec::new();
    let started = Instant::now();
    let breakers = framing_breakers();
    let framed = SMPP_COUNT - breakers.len();

    // Framed PDUs in batches, written at once, each batch closed by a valid
    // enquire_link: once that is answered, so is everything before it.
    let mut marker = 0x7000_0000u32;
    for batch in 0..framed.div_ceil(BATCH) {
        let sequences: Vec<u32> = (batch * BATCH..((batch + 1) * BATCH).min(framed))
            .map(|n| FIRST + n as u32)
            .collect();
        let pdus: Vec<(&str, Vec<u8>)> = sequences
            .iter()
            .map(|&seq| malformed_pdu(&mut rng, seq))
            .collect();
        let mut bytes: Vec<u8> = pdus.iter().flat_map(|(_, pdu)| pdu.clone()).collect();
        marker += 1;
        bytes.extend_from_slice(&pdu(0x15, marker, &[]));
        let binds = inject(&gateway, &bytes)?;
        let done = gateway.sim.wait_for_pdu(WAIT, |p| {
            p.direction == Direction::In && p.sequence_number == marker
        });
        // MO go through the store before their answer: give them a moment.
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut answers = answers_from(&gateway, FIRST);
        while sequences.iter().any(|seq| !answers.contains_key(seq)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
            answers = answers_from(&gateway, FIRST);
        }
        let reconnected = !done && gateway.sim.wait_for_binds(binds + 1, WAIT);
        for (seq, (kind, bytes)) in sequences.iter().zip(&pdus) {
            let how = match answers.get(seq) {
                Some(&GENERIC_NACK) => Taken::GenericNack,
                Some(_) => Taken::Response,
                None if reconnected => Taken::Reconnected,
                None => {
                    ignored.push(format!("{kind}: {bytes:02x?}"));
                    Taken::Ignored
                }
            };
            *taken.entry((kind, how)).or_default() += 1;
        }
    }
    for (kind, bytes) in &breakers {
        let binds = inject(&gateway, bytes)?;
        let how = if gateway.sim.wait_for_binds(binds + 1, WAIT) {
            Taken::Reconnected
        } else {
            ignored.push(format!("{kind}: {bytes:02x?}"));
            Taken::Ignored
        };
        *taken.entry((kind, how)).or_default() += 1;
    }
    eprintln!(
        "{} malformed PDUs in {:.1?}, {} binds in all; taken: {taken:?}",
        taken.values().sum::<usize>(),
        started.elapsed(),
        gateway.binds()
    );
    assert!(
        ignored.is_empty(),
        "{} PDUs neither answered nor ending the session, first: {:#?}",
        ignored.len(),
        ignored.iter().take(10).collect::<Vec<_>>()
    );
    assert_still_serving(&mut gateway, pids)
}

/// A deliver_sm the driver refuses itself (a UDH it cannot read) or a
/// receipt it cannot match is answered at once, not when the next PDU or
/// timer happens to wake the link.
#[test]
fn a_deliver_sm_refused_by_the_driver_is_answered_at_once() -> TestResult {
    let gateway = SmppGateway::start(SimConfig::default(), &[])?;
    let cases = [
        (
            "UDH length over the message",
            deliver_body(b"4670111111", 0x40, 0, &[0xf0, 1, 2]),
        ),
        (
            "UDHI with an empty message",
            deliver_body(b"4670111111", 0x40, 0, b""),
        ),
        (
            "receipt without an id",
            deliver_body(b"4670111111", 0x04, 0, b"no id here"),
        ),
    ];
    let mut late = Vec::new();
    for (n, (what, body)) in cases.iter().enumerate() {
        let seq = 0x6100_0000 + n as u32;
        inject(&gateway, &pdu(DELIVER_SM, seq, body))?;
        let answered = gateway.sim.wait_for_pdu(Duration::from_secs(2), |p| {
            p.direction == Direction::In && p.sequence_number == seq
        });
        if !answered {
            late.push(*what);
        }
    }
    assert!(
        late.is_empty(),
        "no deliver_sm_resp within 2 s for: {late:?}"
    );
    Ok(())
}

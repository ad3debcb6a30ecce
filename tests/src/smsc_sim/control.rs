//! The line control interface: one command per line over TCP (try it with
//! `nc 127.0.0.1 PORT`), each answered `OK …` or `ERR …` on one line.
//!
//! ```text
//! mo <from> <to> <text...>              MO deliver_sm, data_coding 0
//! mo-hex <from> <to> <dcs> <hex> [udh]  MO with raw user data and UDH
//! receipt <message-id> [stat] [err]     a receipt for an answered submit
//! latency <ms> | throttle-every <n|off> | fail-every <n|off> [status]
//! drop-after <n|off> | stall on|off | receipts on|off | receipt-stat <STAT>
//! redeliver on|off                      resend unanswered MO on the next bind
//! garbage <hex>                         raw bytes to every connection
//! drop                                  cut every connection now
//! stats                                 counters as JSON
//! shutdown                              stop the simulator
//! ```

use std::io::{BufRead, BufReader, BufWriter, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::record::Address;
use super::state::Shared;

/// Longest line accepted; the rest of a longer one is an error.
const MAX_LINE: usize = 64 * 1024;

pub(crate) fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    while !shared.stopped() {
        match listener.accept() {
            Ok((stream, _)) => {
                let shared = Arc::clone(&shared);
                let _ = thread::Builder::new()
                    .name("smsc-sim-control".into())
                    .spawn(move || serve(&shared, stream));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(20));
            }
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn serve(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nonblocking(false);
    // Answers leave at once: held by Nagle's algorithm until the client's
    // delayed ACK (40 ms), a batch of commands waited that long for its
    // last answers, and a benchmark's MO injection was held to 11 600 a second.
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let Ok(out) = stream.try_clone() else {
        return;
    };
    // Answers are written together once every command that arrived is run,
    // not a write (or several) each.
    let mut out = BufWriter::new(out);
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while !shared.stopped() {
        match reader.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) if line.ends_with('\n') || line.len() > MAX_LINE => {
                let answer = if line.len() > MAX_LINE {
                    "ERR line too long".to_string()
                } else {
                    run(shared, line.trim())
                };
                line.clear();
                if answer == "BYE" || writeln!(out, "{answer}").is_err() {
                    let _ = out.flush();
                    return;
                }
                // Only while another whole command is already read: a client
                // may wait for this answer before it sends the rest of a line.
                if !reader.buffer().contains(&b'\n') && out.flush().is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("{text:?} is not hex: odd length"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("{text:?} is not hex"))
        })
        .collect()
}

fn parse_number(text: Option<&str>, what: &str) -> Result<u64, String> {
    let text = text.ok_or_else(|| format!("{what} is missing"))?;
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("{what} must be a number, got {text:?}"))
}

fn parse_every(text: Option<&str>, what: &str) -> Result<Option<u64>, String> {
    match text {
        Some("off") | Some("0") => Ok(None),
        other => parse_number(other, what).map(Some),
    }
}

fn parse_switch(text: Option<&str>, what: &str) -> Result<bool, String> {
    match text {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        other => Err(format!("{what} must be on or off, got {other:?}")),
    }
}

/// Runs one command line; the answer is the line to send back.
pub(crate) fn run(shared: &Shared, line: &str) -> String {
    match execute(shared, line) {
        Ok(answer) => answer,
        Err(error) => format!("ERR {error}"),
    }
}

fn execute(shared: &Shared, line: &str) -> Result<String, String> {
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else {
        return Ok("OK".into());
    };
    match verb {
        "mo" => {
            let from = Address::guess(words.next().ok_or("mo <from> <to> <text>")?);
            let to = Address::guess(words.next().ok_or("mo <from> <to> <text>")?);
            let text = words.collect::<Vec<_>>().join(" ");
            let conn = shared
                .send_mo(&from, &to, 0, None, text.as_bytes())
                .map_err(|e| e.to_string())?;
            Ok(format!("OK sent on connection {conn}"))
        }
        "mo-hex" => {
            let usage = "mo-hex <from> <to> <dcs> <hex> [udh-hex]";
            let from = Address::guess(words.next().ok_or(usage)?);
            let to = Address::guess(words.next().ok_or(usage)?);
            let dcs = parse_number(words.next(), "dcs")?;
            let dcs = u8::try_from(dcs).map_err(|_| format!("dcs {dcs} is over 255"))?;
            let text = parse_hex(words.next().ok_or(usage)?)?;
            let udh = words.next().map(parse_hex).transpose()?;
            let conn = shared
                .send_mo(&from, &to, dcs, udh.as_deref(), &text)
                .map_err(|e| e.to_string())?;
            Ok(format!("OK sent on connection {conn}"))
        }
        "receipt" => {
            let id = words.next().ok_or("receipt <message-id> [stat] [err]")?;
            let stat = words.next().unwrap_or("DELIVRD");
            let err = words
                .next()
                .map_or(Ok(0), |e| parse_number(Some(e), "err"))?;
            let err = u16::try_from(err).map_err(|_| format!("err {err} is too large"))?;
            shared
                .send_receipt(id, stat, err)
                .map_err(|e| e.to_string())?;
            Ok("OK".into())
        }
        "latency" => {
            let ms = parse_number(words.next(), "latency")?;
            shared.update_faults(|f| f.latency = Duration::from_millis(ms));
            Ok("OK".into())
        }
        "throttle-every" => {
            let every = parse_every(words.next(), "throttle-every")?;
            shared.update_faults(|f| f.throttle_every = every);
            Ok("OK".into())
        }
        "fail-every" => {
            let every = parse_every(words.next(), "fail-every")?;
            let status = words
                .next()
                .map(|s| parse_number(Some(s), "status"))
                .transpose()?;
            let status = status
                .map(|s| u32::try_from(s).map_err(|_| format!("status {s} is over 32 bits")))
                .transpose()?;
            shared.update_faults(|f| {
                f.fail_every = every;
                if let Some(status) = status {
                    f.fail_status = status;
                }
            });
            Ok("OK".into())
        }
        "drop-after" => {
            let after = parse_every(words.next(), "drop-after")?;
            shared.update_faults(|f| f.drop_after = after);
            Ok("OK".into())
        }
        "stall" => {
            let on = parse_switch(words.next(), "stall")?;
            shared.update_faults(|f| f.stalled = on);
            Ok("OK".into())
        }
        "receipts" => {
            let on = parse_switch(words.next(), "receipts")?;
            shared.update_faults(|f| f.receipts = on);
            Ok("OK".into())
        }
        "redeliver" => {
            let on = parse_switch(words.next(), "redeliver")?;
            shared.update_faults(|f| f.redeliver = on);
            Ok("OK".into())
        }
        "receipt-stat" => {
            let stat = words.next().ok_or("receipt-stat <STAT>")?.to_string();
            shared.update_faults(|f| f.receipt_stat = stat);
            Ok("OK".into())
        }
        "garbage" => {
            let bytes = parse_hex(words.next().ok_or("garbage <hex>")?)?;
            Ok(format!(
                "OK sent to {} connections",
                shared.inject_garbage(&bytes)
            ))
        }
        "drop" => Ok(format!("OK dropped {}", shared.drop_connections())),
        "stats" => {
            let stats = shared.stats();
            let json = serde_json::json!({
                "submits": stats.submits,
                "max_outstanding": stats.max_outstanding,
                "throughput": stats.throughput(),
                "connections": stats.connections.iter().map(|c| serde_json::json!({
                    "id": c.id,
                    "bind": c.bind.map(|b| format!("{b:?}").to_lowercase()),
                    "system_id": c.system_id,
                    "open": c.open,
                    "submits": c.submits,
                    "max_outstanding": c.max_outstanding,
                })).collect::<Vec<_>>(),
            });
            Ok(format!("OK {json}"))
        }
        "shutdown" => {
            shared.stop();
            Ok("OK".into())
        }
        "quit" => Ok("BYE".into()),
        "help" => Ok(
            "OK mo mo-hex receipt latency throttle-every fail-every drop-after \
                      stall receipts receipt-stat redeliver garbage drop stats shutdown quit"
                .into(),
        ),
        other => Err(format!("unknown command {other:?}; try help")),
    }
}

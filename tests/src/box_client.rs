//! A box that speaks Kannel's box protocol to bearerbox, for tests: it sends
//! MT messages and reads acks, MO messages and reports, as an smsbox would.
//! Blocking and simple on purpose: the test reads what it waits for.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use box_protocol::frame::{Deframer, Limits, write_frame};
use box_protocol::message::{AckStatus, Msg, Sms};

use crate::HarnessError;

pub struct BoxClient {
    stream: TcpStream,
    deframer: Deframer,
}

impl BoxClient {
    /// Connects to bearerbox's smsbox port and identifies, with `smsbox_id`
    /// if given, as Kannel's smsbox does first thing.
    pub fn connect(port: u16, smsbox_id: Option<&str>) -> Result<BoxClient, HarnessError> {
        let stream = TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .map_err(|source| HarnessError::io("connecting to the box port", source))?;
        let _ = stream.set_nodelay(true);
        let mut client = BoxClient {
            stream,
            deframer: Deframer::new(Limits::default()),
        };
        client.send(&Msg::identify(smsbox_id.map(|id| id.as_bytes().to_vec())))?;
        Ok(client)
    }

    /// Like [`BoxClient::connect`], retrying while the port is not open yet.
    pub fn connect_retrying(port: u16, timeout: Duration) -> Result<BoxClient, HarnessError> {
        let deadline = Instant::now() + timeout;
        loop {
            match BoxClient::connect(port, None) {
                Ok(client) => return Ok(client),
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(error) => return Err(error),
            }
        }
    }

    pub fn send(&mut self, msg: &Msg) -> Result<(), HarnessError> {
        let mut frame = Vec::new();
        write_frame(msg, &mut frame).map_err(|error| HarnessError::Protocol(error.to_string()))?;
        self.stream
            .write_all(&frame)
            .map_err(|source| HarnessError::io("writing to bearerbox", source))
    }

    /// Sends many messages in one write, as a busy smsbox does.
    pub fn send_all<'a>(
        &mut self,
        msgs: impl IntoIterator<Item = &'a Msg>,
    ) -> Result<(), HarnessError> {
        let mut frames = Vec::new();
        for msg in msgs {
            write_frame(msg, &mut frames)
                .map_err(|error| HarnessError::Protocol(error.to_string()))?;
        }
        self.stream
            .write_all(&frames)
            .map_err(|source| HarnessError::io("writing to bearerbox", source))
    }

    /// Writes `msgs` and reads nothing, as long as bearerbox takes them: stops
    /// when a write makes no progress for `stall`. What was written, and what
    /// was not.
    pub fn send_until_stalled(
        &mut self,
        msgs: &[Msg],
        stall: Duration,
    ) -> Result<Stalled, HarnessError> {
        let mut frames = Vec::new();
        let mut ends = Vec::with_capacity(msgs.len());
        for msg in msgs {
            write_frame(msg, &mut frames)
                .map_err(|error| HarnessError::Protocol(error.to_string()))?;
            ends.push(frames.len());
        }
        self.stream
            .set_write_timeout(Some(stall))
            .map_err(|source| HarnessError::io("setting a write timeout", source))?;
        let mut written = 0;
        while let Some(unwritten) = frames.get(written..).filter(|rest| !rest.is_empty()) {
            let chunk = unwritten.get(..64 * 1024).unwrap_or(unwritten);
            match self.stream.write(chunk) {
                Ok(0) => {
                    return Err(HarnessError::Protocol(
                        "bearerbox closed the connection".into(),
                    ));
                }
                Ok(count) => written += count,
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    break;
                }
                Err(source) => return Err(HarnessError::io("writing to bearerbox", source)),
            }
        }
        self.stream
            .set_write_timeout(None)
            .map_err(|source| HarnessError::io("clearing the write timeout", source))?;
        Ok(Stalled {
            whole: ends.iter().take_while(|end| **end <= written).count(),
            rest: frames.split_off(written),
        })
    }

    /// The connection's writing side, for a thread that writes while this reads.
    pub fn writer(&self) -> Result<TcpStream, HarnessError> {
        self.stream
            .try_clone()
            .map_err(|source| HarnessError::io("cloning the box connection", source))
    }

    /// The next message from bearerbox other than a heartbeat, or a timeout.
    pub fn next(&mut self, timeout: Duration) -> Result<Msg, HarnessError> {
        let deadline = Instant::now() + timeout;
        let mut buffer = [0u8; 65536];
        loop {
            match self.deframer.next_msg() {
                Ok(Some(Msg::Heartbeat { .. })) => continue,
                Ok(Some(msg)) => return Ok(msg),
                Ok(None) => {}
                Err(error) => return Err(HarnessError::Protocol(error.to_string())),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(HarnessError::Timeout {
                    what: "a message from bearerbox".into(),
                    output: String::new(),
                });
            }
            let _ = self.stream.set_read_timeout(Some(left));
            match self.stream.read(&mut buffer) {
                Ok(0) => {
                    return Err(HarnessError::Protocol(
                        "bearerbox closed the connection".into(),
                    ));
                }
                Ok(count) => self.deframer.push(buffer.get(..count).unwrap_or_default()),
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(source) => return Err(HarnessError::io("reading from bearerbox", source)),
            }
        }
    }

    /// Reads acks until one for every id in `ids` arrived; returns them in
    /// arrival order. Other messages are an error.
    pub fn acks(
        &mut self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<(uuid::Uuid, AckStatus)>, HarnessError> {
        let deadline = Instant::now() + timeout;
        let mut acks = Vec::with_capacity(count);
        while acks.len() < count {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left)? {
                Msg::Ack { nack, id, .. } => acks.push((id, nack)),
                other => {
                    return Err(HarnessError::Protocol(format!(
                        "expected an ack, got a {}",
                        other.type_name()
                    )));
                }
            }
        }
        Ok(acks)
    }

    /// Acks an MO or a report as smsbox does once it has dispatched it.
    pub fn ack(&mut self, sms: &Sms) -> Result<(), HarnessError> {
        self.send(&Msg::ack(sms, AckStatus::Success))
    }

    /// The next sms bearerbox sends within `wait`, acked as smsbox would; other
    /// messages are skipped; `None` if none came or the connection failed.
    pub fn next_sms_acked(&mut self, wait: Duration) -> Option<Sms> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.next(left) {
                Ok(Msg::Sms(sms)) => {
                    // An ack the box cannot send shows up as a missing message later.
                    let _ = self.ack(&sms);
                    return Some(*sms);
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }
}

/// What [`BoxClient::send_until_stalled`] got through.
#[derive(Debug)]
pub struct Stalled {
    /// Messages written whole.
    pub whole: usize,
    /// The bytes not written: the rest of a message cut short, then the others.
    pub rest: Vec<u8>,
}

/// An MT as Kannel's smsbox makes it from a sendsms request.
pub fn mt(sender: &str, receiver: &str, text: &str) -> Sms {
    let mut sms = Sms::new_mt(
        sender.as_bytes().to_vec(),
        receiver.as_bytes().to_vec(),
        text,
    );
    sms.time = Some(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_secs() as i32),
    );
    sms.service = Some(b"tester".to_vec());
    sms
}

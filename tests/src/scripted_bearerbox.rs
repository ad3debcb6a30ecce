//! A bearerbox the test scripts by hand: it listens on the smsbox port,
//! takes our smsbox's connection and lets the test read each message and
//! choose the answer — any ack status, no ack at all, an MO, a delivery
//! report with any event. What no real bearerbox does on demand (refuse a
//! message, report a failure) becomes a line of the test.
//!
//! Also [`ScriptedRig`]: our smsbox started against it.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use box_protocol::frame::{Deframer, Limits, write_frame};
use box_protocol::message::{AckStatus, AdminCommand, Msg, Sms};
use tempfile::TempDir;

use crate::HarnessError;
use crate::conf_writer::ConfText;
use crate::gateway::{BoxProcess, START_TIMEOUT};
use crate::kannel::{RigPorts, smsbox_conf_with_core};
use crate::ports;

/// One box connection, seen from the bearerbox side.
pub struct BoxSession {
    stream: TcpStream,
    deframer: Deframer,
    /// The smsbox-id the box identified with, once it did.
    pub identified: Option<Option<Vec<u8>>>,
    /// Messages read while waiting for the identify frame.
    early: std::collections::VecDeque<Msg>,
}

impl BoxSession {
    pub fn send(&mut self, msg: &Msg) -> Result<(), HarnessError> {
        let mut frame = Vec::new();
        write_frame(msg, &mut frame).map_err(|error| HarnessError::Protocol(error.to_string()))?;
        self.stream
            .write_all(&frame)
            .map_err(|source| HarnessError::io("writing to smsbox", source))
    }

    /// Waits for the identify frame: smsbox sends it first, once its link
    /// is up, so from then on sendsms requests reach this session.
    pub fn wait_identified(&mut self, timeout: Duration) -> Result<(), HarnessError> {
        while self.identified.is_none() {
            if let Some(msg) = self.read_one(timeout, true)? {
                self.early.push_back(msg);
            }
        }
        Ok(())
    }

    /// The next message other than identify and heartbeats.
    pub fn next(&mut self, timeout: Duration) -> Result<Msg, HarnessError> {
        if let Some(msg) = self.early.pop_front() {
            return Ok(msg);
        }
        loop {
            if let Some(msg) = self.read_one(timeout, false)? {
                return Ok(msg);
            }
        }
    }

    /// One message; `None` right after an identify when `stop_at_identify`.
    fn read_one(
        &mut self,
        timeout: Duration,
        stop_at_identify: bool,
    ) -> Result<Option<Msg>, HarnessError> {
        let deadline = Instant::now() + timeout;
        let mut buffer = [0u8; 65536];
        loop {
            while let Some(msg) = self
                .deframer
                .next_msg()
                .map_err(|error| HarnessError::Protocol(error.to_string()))?
            {
                match msg {
                    Msg::Heartbeat { .. } => {}
                    Msg::Admin {
                        command: AdminCommand::Identify,
                        boxc_id,
                    } => {
                        self.identified = Some(boxc_id);
                        if stop_at_identify {
                            return Ok(None);
                        }
                    }
                    other => return Ok(Some(other)),
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(HarnessError::Timeout {
                    what: "a message from smsbox".into(),
                    output: String::new(),
                });
            }
            let _ = self
                .stream
                .set_read_timeout(Some(left.min(Duration::from_millis(200))));
            match self.stream.read(&mut buffer) {
                Ok(0) => {
                    return Err(HarnessError::Protocol(
                        "smsbox closed the connection".into(),
                    ));
                }
                Ok(read) => self.deframer.push(&buffer[..read]),
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(source) => return Err(HarnessError::io("reading from smsbox", source)),
            }
        }
    }

    /// The next sms (MT) from smsbox.
    pub fn next_sms(&mut self, timeout: Duration) -> Result<Sms, HarnessError> {
        match self.next(timeout)? {
            Msg::Sms(sms) => Ok(*sms),
            other => Err(HarnessError::Protocol(format!(
                "expected an sms, got {other:?}"
            ))),
        }
    }

    /// The next ack from smsbox (for an MO or report we sent).
    pub fn next_ack(&mut self, timeout: Duration) -> Result<Msg, HarnessError> {
        match self.next(timeout)? {
            ack @ Msg::Ack { .. } => Ok(ack),
            other => Err(HarnessError::Protocol(format!(
                "expected an ack, got {other:?}"
            ))),
        }
    }

    pub fn ack(&mut self, sms: &Sms, status: AckStatus) -> Result<(), HarnessError> {
        self.send(&Msg::ack(sms, status))
    }
}

/// Our smsbox attached to a scripted bearerbox.
pub struct ScriptedRig {
    pub smsbox: BoxProcess,
    pub session: BoxSession,
    listener: Option<TcpListener>,
    pub ports: RigPorts,
    pub smsbox_conf: PathBuf,
    pub dir: TempDir,
}

impl ScriptedRig {
    /// Listens on the smsbox port, starts our smsbox with `extra` smsbox
    /// keys and `groups`, and takes its connection.
    pub fn start(extra: &[(&str, &str)], groups: ConfText) -> Result<ScriptedRig, HarnessError> {
        ScriptedRig::start_with_core(&[], extra, groups)
    }

    /// [`ScriptedRig::start`] with `core_extra` keys in smsbox's core group.
    pub fn start_with_core(
        core_extra: &[(&str, &str)],
        extra: &[(&str, &str)],
        groups: ConfText,
    ) -> Result<ScriptedRig, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix("kannel-rs-scripted-")
            .tempdir()
            .map_err(|source| HarnessError::io("creating a temporary folder", source))?;
        let ports = RigPorts {
            admin: ports::reserve()?,
            smsbox: ports::reserve()?,
            sendsms: ports::reserve()?,
            fake: ports::reserve()?,
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, ports.smsbox.number()))
            .map_err(|source| HarnessError::io("binding the scripted bearerbox", source))?;
        let smsbox_conf_path = dir.path().join("smsbox.conf");
        smsbox_conf_with_core(&ports, dir.path(), core_extra, extra, &groups)
            .write_to(&smsbox_conf_path)?;
        let mut smsbox = BoxProcess::spawn("smsbox", [smsbox_conf_path.as_os_str()], dir.path())?;
        smsbox.wait_for_port(ports.sendsms.number(), START_TIMEOUT)?;
        let mut session = accept(&listener)?;
        session.wait_identified(START_TIMEOUT)?;
        Ok(ScriptedRig {
            smsbox,
            session,
            listener: Some(listener),
            ports,
            smsbox_conf: smsbox_conf_path,
            dir,
        })
    }

    /// bearerbox goes away: the connection closes and the port stops
    /// listening, so smsbox's reconnection attempts fail.
    pub fn go_away(&mut self) {
        let _ = self.session.stream.shutdown(std::net::Shutdown::Both);
        self.listener = None;
    }

    /// bearerbox is back on the same port; waits for smsbox to reconnect.
    pub fn come_back(&mut self) -> Result<(), HarnessError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.ports.smsbox.number()))
            .map_err(|source| HarnessError::io("binding the scripted bearerbox again", source))?;
        self.session = accept(&listener)?;
        self.session.wait_identified(START_TIMEOUT)?;
        self.listener = Some(listener);
        Ok(())
    }

    pub fn sendsms_port(&self) -> u16 {
        self.ports.sendsms.number()
    }

    pub fn smsbox_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("smsbox.log")).unwrap_or_default()
    }
}

fn accept(listener: &TcpListener) -> Result<BoxSession, HarnessError> {
    listener
        .set_nonblocking(true)
        .map_err(|source| HarnessError::io("setting up the scripted bearerbox", source))?;
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream
                    .set_nonblocking(false)
                    .map_err(|source| HarnessError::io("setting up a box connection", source))?;
                return Ok(BoxSession {
                    stream,
                    deframer: Deframer::new(Limits::default()),
                    identified: None,
                    early: std::collections::VecDeque::new(),
                });
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(HarnessError::Timeout {
                        what: "smsbox to connect to the scripted bearerbox".into(),
                        output: String::new(),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(source) => return Err(HarnessError::io("accepting smsbox", source)),
        }
    }
}

//! A client of bearerbox's `fake` SMSC, speaking the line protocol of
//! Kannel's `fakesmsc`: it reads the MT lines bearerbox sends and writes MO
//! lines. Our own, so a test can count exactly what arrived.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::HarnessError;

pub struct FakeClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl FakeClient {
    /// Connects to a `fake` link's port, retrying until `timeout` (the link
    /// listens as soon as bearerbox started).
    pub fn connect(port: u16, timeout: Duration) -> Result<FakeClient, HarnessError> {
        let deadline = Instant::now() + timeout;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let stream = loop {
            match TcpStream::connect(address) {
                Ok(stream) => break stream,
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(source) => {
                    return Err(HarnessError::io("connecting to the fake SMSC port", source));
                }
            }
        };
        let writer = stream
            .try_clone()
            .map_err(|source| HarnessError::io("cloning the fake SMSC stream", source))?;
        Ok(FakeClient {
            reader: BufReader::new(stream),
            writer,
        })
    }

    /// Sends an MO line, e.g. `4670000002 5555 text hello`.
    pub fn send_line(&mut self, line: &str) -> Result<(), HarnessError> {
        self.writer
            .write_all(format!("{line}\n").as_bytes())
            .map_err(|source| HarnessError::io("writing to the fake SMSC link", source))
    }

    /// The next MT line, without its newline; `None` after `timeout`.
    pub fn read_line(&mut self, timeout: Duration) -> Result<Option<String>, HarnessError> {
        let _ = self
            .reader
            .get_ref()
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))));
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => Err(HarnessError::Protocol(
                "bearerbox closed the fake SMSC link".into(),
            )),
            Ok(_) => Ok(Some(line.trim_end_matches(['\n', '\r']).to_owned())),
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(source) => Err(HarnessError::io("reading the fake SMSC link", source)),
        }
    }

    /// Reads lines until `count` arrived or nothing came for `quiet`.
    pub fn read_lines(
        &mut self,
        count: usize,
        quiet: Duration,
    ) -> Result<Vec<String>, HarnessError> {
        let mut lines = Vec::with_capacity(count);
        while lines.len() < count {
            match self.read_line(quiet)? {
                Some(line) => lines.push(line),
                None => break,
            }
        }
        Ok(lines)
    }
}

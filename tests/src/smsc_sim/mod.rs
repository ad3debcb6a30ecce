//! `smsc-sim`: an SMPP 3.4 SMSC for tests, benchmarks and the demo.
//!
//! It speaks SMPP through `rusmpp-core`, a public crate that shares no code
//! with the gateway's own codec, so a bug in one shows up against the other.
//!
//! ```no_run
//! use std::time::Duration;
//! use tests::smsc_sim::{SimConfig, SmscSim};
//!
//! let sim = SmscSim::start(SimConfig::default())?; // 127.0.0.1, a free port
//! println!("point the gateway at {}", sim.addr());
//! let submits = sim.wait_for_submits(1, Duration::from_secs(5));
//! sim.send_mo("+46709999999", "12345", b"hello", 0, None)?;
//! # Ok::<(), tests::smsc_sim::SimError>(())
//! ```
//!
//! ```text
//!  client ──bytes──▶ reader thread ──decode (rusmpp-core)──▶ record, decide
//!                        │ answers with a due time
//!                        ▼
//!  client ◀──bytes── writer thread (holds answers until due: latency)
//!                        ▲
//!  SimHandle / control port ── MO, receipts, garbage, drops
//! ```
//!
//! With [`SimConfig::tls`] the public port speaks TLS ([`tls`]): a relay terminates it and
//! hands the plain bytes to the same sessions, on an inner listener.
//!
//! Everything listens on 127.0.0.1 only. Every thread ends when the
//! handle is dropped (or `shutdown` is sent to the control port).
//!
//! # Layout
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | start-up settings and the faults that change at run time |
//! | [`wire`] | framing (length checked first) and rusmpp-core encode/decode |
//! | [`record`] | what is kept: every PDU, every submit field by field, the JSON record |
//! | [`receipt`] | deliver_sm built by the simulator: receipts and MO |
//! | [`state`] | shared state, counters (window, throughput), routing to receivers |
//! | [`session`] | one connection: bind, answers, faults |
//! | [`control`] | the line control interface |
//! | [`tls`] | the TLS front of the listening mode |

pub mod config;
pub mod control;
pub mod receipt;
pub mod record;
pub mod session;
pub mod state;
pub mod tls;
pub mod wire;

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use thiserror::Error;

pub use config::{Faults, IdFormat, SimConfig};
pub use record::{Address, Direction, PduRecord, Submit, SubmitKind};
pub use state::{BindKind, ConnectionStats, Stats};

use state::Shared;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SimError {
    #[error("cannot listen on 127.0.0.1:{port}: {error}")]
    Listen { port: u16, error: io::Error },
    #[error("cannot write the record file {}: {error}", path.display())]
    Record { path: PathBuf, error: io::Error },
    #[error("no connection is bound as receiver or transceiver")]
    NoReceiver,
    #[error("no submit was answered with message id {0:?}")]
    UnknownMessageId(String),
    #[error(transparent)]
    Build(#[from] receipt::BuildError),
    #[error("cannot serve TLS: {0}")]
    Tls(String),
}

/// Starts simulators.
#[derive(Debug)]
pub struct SmscSim;

impl SmscSim {
    /// Listens on 127.0.0.1 (`config.port`, 0 for any free port) and
    /// serves until the handle is dropped.
    pub fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let listen = |port: u16| {
            TcpListener::bind(("127.0.0.1", port))
                .and_then(|l| l.set_nonblocking(true).map(|()| l))
                .map_err(|error| SimError::Listen { port, error })
        };
        let listener = listen(config.port)?;
        let control = config.control_port.map(listen).transpose()?;
        let addr = listener.local_addr().map_err(|error| SimError::Listen {
            port: config.port,
            error,
        })?;
        let control_addr = control.as_ref().and_then(|l| l.local_addr().ok());
        let tls_config = match &config.tls {
            Some(identity) => Some(
                identity
                    .server_config()
                    .map_err(|error| SimError::Tls(error.to_string()))?,
            ),
            None => None,
        };
        let shared = Arc::new(Shared::new(config)?);
        let mut threads = Vec::new();
        let accept_shared = Arc::clone(&shared);
        match tls_config {
            None => threads.push(spawn("smsc-sim-accept", move || {
                accept_loop(accept_shared, listener)
            })),
            Some(tls_config) => {
                // The sessions listen inside; the public port only relays.
                let inner = listen(0)?;
                let inner_addr = inner
                    .local_addr()
                    .map_err(|error| SimError::Listen { port: 0, error })?;
                threads.push(spawn("smsc-sim-accept", move || {
                    accept_loop(accept_shared, inner)
                }));
                let tls_shared = Arc::clone(&shared);
                threads.push(spawn("smsc-sim-tls-accept", move || {
                    tls::accept_loop(tls_shared, listener, inner_addr, tls_config)
                }));
            }
        }
        if let Some(control) = control {
            let control_shared = Arc::clone(&shared);
            threads.push(spawn("smsc-sim-control", move || {
                control::accept_loop(control_shared, control)
            }));
        }
        Ok(SimHandle {
            shared,
            addr,
            control_addr,
            threads: threads.into_iter().flatten().collect(),
        })
    }
}

fn spawn(name: &str, run: impl FnOnce() + Send + 'static) -> Option<JoinHandle<()>> {
    thread::Builder::new().name(name.into()).spawn(run).ok()
}

fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stopped() {
        match listener.accept() {
            Ok((stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let conn_shared = Arc::clone(&shared);
                connections.extend(spawn("smsc-sim-conn", move || {
                    session::serve(conn_shared, stream)
                }));
                connections.retain(|c| !c.is_finished());
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    for connection in connections {
        let _ = connection.join();
    }
}

/// A running simulator; dropping it stops it and closes every connection.
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    control_addr: Option<SocketAddr>,
    threads: Vec<JoinHandle<()>>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn control_addr(&self) -> Option<SocketAddr> {
        self.control_addr
    }

    /// Every message submitted so far, in arrival order, all fields decoded.
    pub fn received(&self) -> Vec<Submit> {
        self.shared.state().submits.clone()
    }

    /// Every PDU so far, both ways, in the order seen.
    pub fn pdus(&self) -> Vec<PduRecord> {
        self.shared.state().pdus.clone()
    }

    /// Wire problems seen: garbage, undecodable bodies.
    pub fn errors(&self) -> Vec<String> {
        self.shared.state().errors.clone()
    }

    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    pub fn faults(&self) -> Faults {
        self.shared.faults()
    }

    /// Changes behaviour for what arrives from now on.
    pub fn update_faults(&self, change: impl FnOnce(&mut Faults)) {
        self.shared.update_faults(change);
    }

    /// Sends an MO deliver_sm to the most recently bound receiver or
    /// transceiver; returns that connection's number.
    pub fn send_mo(
        &self,
        from: &str,
        to: &str,
        text: &[u8],
        data_coding: u8,
        udh: Option<&[u8]>,
    ) -> Result<u64, SimError> {
        self.send_mo_to(
            &Address::guess(from),
            &Address::guess(to),
            text,
            data_coding,
            udh,
        )
    }

    /// [`SimHandle::send_mo`] with explicit TON/NPI.
    pub fn send_mo_to(
        &self,
        from: &Address,
        to: &Address,
        text: &[u8],
        data_coding: u8,
        udh: Option<&[u8]>,
    ) -> Result<u64, SimError> {
        self.shared.send_mo(from, to, data_coding, udh, text)
    }

    /// [`SimHandle::send_mo_to`] with TLVs (tag, raw value) after the mandatory fields.
    pub fn send_mo_with_tlvs(
        &self,
        from: &Address,
        to: &Address,
        text: &[u8],
        data_coding: u8,
        tlvs: &[(u16, Vec<u8>)],
    ) -> Result<u64, SimError> {
        self.shared
            .send_mo_with_tlvs(from, to, data_coding, None, text, tlvs)
    }

    /// MO deliver_sm sent and not answered yet, oldest first: the connection and sequence
    /// number of the last try of each.
    pub fn unanswered_mo(&self) -> Vec<(u64, u32)> {
        self.shared.unanswered_mo()
    }

    /// Sends a receipt for the submit that was answered `message_id`.
    pub fn send_receipt(&self, message_id: &str, stat: &str, err: u16) -> Result<(), SimError> {
        self.shared.send_receipt(message_id, stat, err)
    }

    /// [`SimHandle::send_receipt`] with further TLVs (tag, raw value) after
    /// `receipted_message_id` and `message_state`: `network_error_code`, vendor TLVs.
    pub fn send_receipt_with_tlvs(
        &self,
        message_id: &str,
        stat: &str,
        err: u16,
        tlvs: &[(u16, Vec<u8>)],
    ) -> Result<(), SimError> {
        self.shared
            .send_receipt_with_tlvs(message_id, stat, err, tlvs)
    }

    /// Writes raw bytes to every open connection; returns how many.
    pub fn inject_garbage(&self, bytes: &[u8]) -> usize {
        self.shared.inject_garbage(bytes)
    }

    /// Cuts every open connection now; returns how many.
    pub fn drop_connections(&self) -> usize {
        self.shared.drop_connections()
    }

    /// Runs a control-interface command line, as the control port would.
    pub fn control(&self, line: &str) -> String {
        control::run(&self.shared, line)
    }

    /// The submits once at least `count` have arrived, or what arrived
    /// by `timeout`.
    pub fn wait_for_submits(&self, count: usize, timeout: Duration) -> Vec<Submit> {
        self.shared
            .wait_until(timeout, |state| state.submits.len() >= count);
        self.received()
    }

    /// Whether `count` connections were bound within `timeout`.
    pub fn wait_for_binds(&self, count: usize, timeout: Duration) -> bool {
        self.shared.wait_until(timeout, |state| {
            state.conns.iter().filter(|c| c.bind.is_some()).count() >= count
        })
    }

    /// Whether a PDU matching `matches` was seen within `timeout`.
    pub fn wait_for_pdu(&self, timeout: Duration, matches: impl Fn(&PduRecord) -> bool) -> bool {
        self.shared
            .wait_until(timeout, |state| state.pdus.iter().any(&matches))
    }

    /// Blocks until the simulator is stopped (`shutdown` on the control
    /// port) or `timeout` passes; for the binary.
    pub fn wait_for_shutdown(&self, timeout: Duration) -> bool {
        // Polled, not woken by every PDU's notification as `wait_until` is:
        // under load that kept the binary's main thread busy for nothing.
        let deadline = std::time::Instant::now() + timeout;
        while !self.shared.stopped() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.shared.stopped()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shared.stop();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

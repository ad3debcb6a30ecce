//! The simulator's TLS listening mode ("SSMPP"): a front that terminates TLS and relays the
//! plain bytes to the simulator's own listener, the way stunnel sits before an SMSC. The
//! sessions never know TLS was there, so every fault and record works the same.
//!
//! ```text
//!  client ──TLS──▶ public listener ──relay thread (rustls, ring)──TCP──▶ inner 127.0.0.1:0
//!                                                                           └─▶ session::serve
//! ```
//!
//! A handshake that fails (the client does not trust our certificate) never reaches the
//! inner listener; it is kept in [`super::SimHandle::errors`].

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use rustls::{ServerConfig, ServerConnection};

use super::state::Shared;

/// How long a relay waits on either socket before looking at the other.
const POLL: Duration = Duration::from_millis(5);

pub(crate) fn accept_loop(
    shared: Arc<Shared>,
    listener: TcpListener,
    inner: SocketAddr,
    config: Arc<ServerConfig>,
) {
    let mut relays: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stopped() {
        match listener.accept() {
            Ok((stream, _)) => {
                let relay_shared = Arc::clone(&shared);
                let relay_config = Arc::clone(&config);
                let spawned = thread::Builder::new()
                    .name("smsc-sim-tls".into())
                    .spawn(move || relay(&relay_shared, stream, inner, relay_config));
                relays.extend(spawned.ok());
                relays.retain(|relay| !relay.is_finished());
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(10)),
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    for relay in relays {
        let _ = relay.join();
    }
}

fn relay(shared: &Shared, mut outer: TcpStream, inner_addr: SocketAddr, config: Arc<ServerConfig>) {
    let mut tls = match ServerConnection::new(config) {
        Ok(tls) => tls,
        Err(error) => {
            shared.note_error(format!("TLS: cannot start a session: {error}"));
            return;
        }
    };
    if outer.set_nonblocking(false).is_err() || outer.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let _ = outer.set_nodelay(true);
    let mut inner: Option<TcpStream> = None;
    let mut buf = vec![0u8; 16 * 1024];
    // Each turn moves what is ready one way, then the other.
    while !shared.stopped() {
        match tls.read_tls(&mut outer) {
            Ok(0) => break,
            Ok(_) => {
                if let Err(error) = tls.process_new_packets() {
                    shared.note_error(format!("TLS handshake or record refused: {error}"));
                    // The alert tells the client why.
                    let _ = tls.write_tls(&mut outer);
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
        if !flush(&mut tls, &mut outer) {
            break;
        }
        if tls.is_handshaking() {
            continue;
        }
        // Only a finished handshake reaches the simulator proper.
        let plain = match &mut inner {
            Some(plain) => plain,
            None => match connect_inner(inner_addr) {
                Some(plain) => inner.insert(plain),
                None => {
                    shared.note_error("TLS: the inner listener refused the relay".into());
                    break;
                }
            },
        };
        let mut closed = false;
        loop {
            match tls.reader().read(&mut buf) {
                Ok(0) => {
                    closed = true;
                    break;
                }
                Ok(n) => {
                    if plain.write_all(buf.get(..n).unwrap_or_default()).is_err() {
                        closed = true;
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    closed = true;
                    break;
                }
            }
        }
        if closed {
            break;
        }
        match plain.read(&mut buf) {
            Ok(0) => {
                // The session closed (a drop fault, an unbind): say so in TLS too.
                tls.send_close_notify();
                let _ = flush(&mut tls, &mut outer);
                break;
            }
            Ok(n) => {
                if tls
                    .writer()
                    .write_all(buf.get(..n).unwrap_or_default())
                    .is_err()
                {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
        if !flush(&mut tls, &mut outer) {
            break;
        }
    }
    let _ = outer.shutdown(Shutdown::Both);
    if let Some(plain) = inner {
        let _ = plain.shutdown(Shutdown::Both);
    }
}

fn connect_inner(addr: SocketAddr) -> Option<TcpStream> {
    let plain = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    plain.set_read_timeout(Some(POLL)).ok()?;
    let _ = plain.set_nodelay(true);
    Some(plain)
}

/// Writes out what rustls holds; false when the client is gone.
fn flush(tls: &mut ServerConnection, outer: &mut TcpStream) -> bool {
    while tls.wants_write() {
        match tls.write_tls(outer) {
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                thread::sleep(POLL);
            }
            Err(_) => return false,
        }
    }
    true
}

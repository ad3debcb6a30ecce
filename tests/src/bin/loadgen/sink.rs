//! An HTTP sink for the gateway's callbacks (MO get-url, dlr-url): answers
//! `200 OK` to every request and counts them, all connections on one thread
//! and one `mio` poll, for the same reason as the MT load (`mt.rs`).

use std::io::{ErrorKind, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use crate::http1;

const LISTENER: Token = Token(usize::MAX);
/// How often the stop flag is looked at when nothing arrives.
const TICK: Duration = Duration::from_millis(20);
const REPLY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n\r\n";

struct Connection {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
}

/// Serves until `stop`, adding each request to `count`.
pub fn serve(
    listener: std::net::TcpListener,
    count: &AtomicUsize,
    stop: &Arc<AtomicBool>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut listener = TcpListener::from_std(listener);
    let mut poll = Poll::new()?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(1024);
    let mut connections: Vec<Option<Connection>> = Vec::new();
    let mut scratch = vec![0u8; 64 * 1024];
    while !stop.load(Ordering::Relaxed) {
        poll.poll(&mut events, Some(TICK))?;
        for event in &events {
            if event.token() == LISTENER {
                while let Ok((mut stream, _)) = listener.accept() {
                    let index = connections
                        .iter()
                        .position(Option::is_none)
                        .unwrap_or(connections.len());
                    if poll
                        .registry()
                        .register(
                            &mut stream,
                            Token(index),
                            Interest::READABLE | Interest::WRITABLE,
                        )
                        .is_ok()
                    {
                        let connection = Connection {
                            stream,
                            input: Vec::new(),
                            output: Vec::new(),
                        };
                        match connections.get_mut(index) {
                            Some(slot) => *slot = Some(connection),
                            None => connections.push(Some(connection)),
                        }
                    }
                }
                continue;
            }
            let Some(slot) = connections.get_mut(event.token().0) else {
                continue;
            };
            let Some(connection) = slot else { continue };
            if !answer(connection, &mut scratch, count) {
                let _ = poll.registry().deregister(&mut connection.stream);
                *slot = None;
            }
        }
    }
    Ok(())
}

/// Reads all there is (the poll is edge-triggered), answers each whole request
/// and writes what the socket takes; false once the peer has closed or failed.
fn answer(connection: &mut Connection, scratch: &mut [u8], count: &AtomicUsize) -> bool {
    let Ok(open) = http1::read_available(&mut connection.stream, scratch, &mut connection.input)
    else {
        return false;
    };
    while let Some(head) = http1::head(&connection.input)
        && connection.input.len() >= head.total()
    {
        connection.input.drain(..head.total());
        count.fetch_add(1, Ordering::Relaxed);
        connection.output.extend_from_slice(REPLY);
    }
    while !connection.output.is_empty() {
        match connection.stream.write(&connection.output) {
            Ok(0) => return false,
            Ok(n) => {
                connection.output.drain(..n);
            }
            Err(error) if error.kind() == ErrorKind::WouldBlock => break,
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    open
}

//! Box connections on `smsbox-port`, as a placeholder: a connection is
//! accepted and held, its bytes read and dropped until the box hangs up.
//! The box-protocol handling (sms, ack, heartbeat, admin) replaces it.

use std::io;
use std::net::SocketAddr;

use futures_lite::{AsyncRead, AsyncReadExt};

/// Holds one box connection until it ends.
pub async fn serve<S: AsyncRead + Unpin>(mut stream: S, peer: SocketAddr) -> io::Result<()> {
    log::info!("box connected from {peer}");
    let mut buffer = [0u8; 4096];
    let mut total: u64 = 0;
    let result = loop {
        match stream.read(&mut buffer).await {
            Ok(0) => break Ok(()),
            Ok(read) => total += read as u64,
            Err(error) => break Err(error),
        }
    };
    log::info!("box {peer} disconnected after sending {total} bytes");
    result
}

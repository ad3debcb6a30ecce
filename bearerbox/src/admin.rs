//! The admin/status HTTP port, as a placeholder: every request is answered
//! with one line saying the box runs. The admin and status interface of
//! `wapbox-free-admin` replaces it.

use std::io;
use std::net::SocketAddr;

use futures_lite::{AsyncRead, AsyncWrite};

use crate::http1;

/// The answer to every request for now.
pub fn banner() -> String {
    format!(
        "Kannel-compatible bearerbox {} running\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Serves one admin connection: one request, one answer.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    _board: crate::switchboard::Shared,
    mut stream: S,
    peer: SocketAddr,
) -> io::Result<()> {
    let Some(request) = http1::read_request_line(&mut stream).await? else {
        log::debug!("admin connection from {peer} closed without a request");
        return Ok(());
    };
    log::info!(
        "admin request from {peer}: {} {}",
        request.method,
        request.target
    );
    http1::write_text_response(&mut stream, 200, "OK", &banner()).await
}

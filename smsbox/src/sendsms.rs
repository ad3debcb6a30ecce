//! The sendsms HTTP port, as a placeholder: the sendsms path answers 503
//! (this smsbox cannot send yet, and must not pretend it accepted a message),
//! any other path Kannel's `404 Unknown request.`. The real sendsms
//! interface (users, credits, the bearerbox ack) replaces it.

use std::io;
use std::net::SocketAddr;

use bearerbox::http1;
use futures_lite::{AsyncRead, AsyncWrite};

/// Kannel's default when `sendsms-url` is not set.
pub const DEFAULT_URL: &str = "/cgi-bin/sendsms";

/// The answer for a request path: status, reason, body.
pub fn answer(path: &str, sendsms_url: &str) -> (u16, &'static str, &'static str) {
    if path == sendsms_url {
        (
            503,
            "Service Unavailable",
            "Sending is not available yet in this smsbox.\n",
        )
    } else {
        (404, "Not Found", "Unknown request.\n")
    }
}

/// Serves one sendsms connection: one request, one answer.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    peer: SocketAddr,
    sendsms_url: &str,
) -> io::Result<()> {
    let Some(request) = http1::read_request_line(&mut stream).await? else {
        log::debug!("sendsms connection from {peer} closed without a request");
        return Ok(());
    };
    log::info!(
        "sendsms request from {peer}: {} {}",
        request.method,
        request.path()
    );
    let (status, reason, body) = answer(request.path(), sendsms_url);
    http1::write_text_response(&mut stream, status, reason, body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sendsms_path_is_unavailable_and_other_paths_are_unknown() {
        assert_eq!(answer("/cgi-bin/sendsms", DEFAULT_URL).0, 503);
        assert_eq!(
            answer("/elsewhere", DEFAULT_URL),
            (404, "Not Found", "Unknown request.\n")
        );
    }
}

//! Just enough HTTP/1.1 for the admin port: read a request head, write one
//! response, close. Kannel's admin clients (browsers, monitors, `curl`,
//! Nagios checks) send one GET per connection; nothing more is needed.

use std::io;

use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A request head larger than this is not a request we will answer.
const MAX_HEAD: usize = 16 * 1024;

/// The request line of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    pub method: String,
    /// The request target as sent, query included.
    pub target: String,
}

impl RequestLine {
    /// The target without its query string.
    pub fn path(&self) -> &str {
        self.target
            .split_once('?')
            .map_or(self.target.as_str(), |(path, _)| path)
    }
}

/// A request line with its header fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub line: RequestLine,
    /// Names as sent; look them up with [`RequestHead::header`].
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// The first value of a header, its name compared without case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Reads up to the end of the request head. `Ok(None)` when the peer closed
/// or sent something that is not an HTTP request head.
pub async fn read_request_line<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> io::Result<Option<RequestLine>> {
    Ok(read_request_head(stream).await?.map(|head| head.line))
}

/// Like [`read_request_line`], keeping the header fields.
pub async fn read_request_head<S: AsyncRead + Unpin>(
    stream: &mut S,
) -> io::Result<Option<RequestHead>> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return Ok(None);
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&chunk[..read]);
    }
    Ok(parse_request_head(&head))
}

fn parse_request_head(head: &[u8]) -> Option<RequestHead> {
    let line = parse_request_line(head)?;
    let end = head.windows(4).position(|window| window == b"\r\n\r\n")?;
    let text = String::from_utf8_lossy(&head[..end]);
    let headers = text
        .split("\r\n")
        .skip(1)
        .filter_map(|field| field.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    Some(RequestHead { line, headers })
}

fn parse_request_line(head: &[u8]) -> Option<RequestLine> {
    let line_end = head.windows(2).position(|window| window == b"\r\n")?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some()
        || !version.starts_with("HTTP/1.")
        || method.is_empty()
        || target.is_empty()
    {
        return None;
    }
    Some(RequestLine {
        method: method.into(),
        target: target.into(),
    })
}

/// Writes a complete plain-text response and flushes it; the caller closes.
pub async fn write_text_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    reason: &str,
    body: &str,
) -> io::Result<()> {
    write_response(stream, status, reason, "text/plain", body).await
}

/// Writes a complete response of `content_type` and flushes it; the caller closes.
pub async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    reason: &str,
    content_type: &str,
    body: &str,
) -> io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_gives_method_target_and_path() {
        let line = parse_request_line(b"GET /cgi-bin/sendsms?to=1 HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            line,
            Some(RequestLine {
                method: "GET".into(),
                target: "/cgi-bin/sendsms?to=1".into()
            })
        );
        assert_eq!(
            line.map(|l| l.path().to_string()),
            Some("/cgi-bin/sendsms".into())
        );
    }

    #[test]
    fn header_fields_are_found_without_case() {
        let head =
            parse_request_head(b"GET /status HTTP/1.1\r\nHost: x\r\naccept: text/html\r\n\r\n");
        assert_eq!(
            head.as_ref().and_then(|h| h.header("Accept")),
            Some("text/html")
        );
        assert_eq!(
            head.and_then(|h| h.header("Cookie").map(str::to_owned)),
            None
        );
    }

    #[test]
    fn garbage_is_not_a_request() {
        assert_eq!(parse_request_line(b"hello\r\n\r\n"), None);
        assert_eq!(parse_request_line(b"GET / SMTP\r\n\r\n"), None);
    }

    #[test]
    fn a_response_carries_its_length_and_closes() -> io::Result<()> {
        let mut out = Vec::new();
        futures_lite::future::block_on(write_text_response(&mut out, 200, "OK", "hi\n"))?;
        assert_eq!(
            String::from_utf8_lossy(&out),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nhi\n"
        );
        Ok(())
    }
}

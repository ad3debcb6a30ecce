//! Just enough HTTP/1.1 framing for the load generator and its sink: where a
//! message's head ends, its status, and how long its body is. Both gateways
//! (ours and Kannel's) frame their answers and callbacks with Content-Length.

use std::io::{self, ErrorKind, Read};

/// The head of an HTTP message at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct Head {
    /// Bytes of the head, the blank line included.
    pub len: usize,
    /// Bytes of the body that follows it (`Content-Length`, else 0).
    pub body: usize,
    /// The status of a response; `None` for a request or an unreadable status line.
    pub status: Option<u16>,
}

impl Head {
    /// Bytes of the whole message.
    pub fn total(&self) -> usize {
        self.len + self.body
    }
}

/// Reads all a socket has (its poll is edge-triggered: what is left unread
/// would never be announced again) onto `input`; false once the peer closed.
pub fn read_available(
    stream: &mut impl Read,
    scratch: &mut [u8],
    input: &mut Vec<u8>,
) -> io::Result<bool> {
    loop {
        match stream.read(scratch) {
            Ok(0) => return Ok(false),
            Ok(n) => input.extend_from_slice(&scratch[..n]),
            Err(error) if error.kind() == ErrorKind::WouldBlock => return Ok(true),
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// The head at the start of `buf`, once all of it has arrived.
pub fn head(buf: &[u8]) -> Option<Head> {
    let len = head_len(buf)?;
    let text = String::from_utf8_lossy(&buf[..len]);
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("");
    let status = first
        .strip_prefix("HTTP/")
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok());
    let body = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    Some(Head { len, body, status })
}

/// Where the blank line that ends a head ends, with or without `\r`.
fn head_len(buf: &[u8]) -> Option<usize> {
    buf.iter().enumerate().find_map(|(at, byte)| {
        if *byte != b'\n' {
            return None;
        }
        match buf.get(at + 1..) {
            Some([b'\n', ..]) => Some(at + 2),
            Some([b'\r', b'\n', ..]) => Some(at + 3),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_is_framed_by_its_content_length() {
        let answer = b"HTTP/1.1 202 Accepted\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n\r\n0: Accepted for delivery";
        let head = head(answer).expect("a whole head");
        assert_eq!(head.status, Some(202));
        assert_eq!(head.body, 22);
        assert_eq!(&answer[head.len..head.len + 2], b"0:");
    }

    #[test]
    fn a_head_not_yet_ended_is_not_read() {
        assert_eq!(head(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"), None);
    }

    #[test]
    fn a_request_has_no_status_and_bare_newlines_end_a_head() {
        let head = head(b"GET /dlr?type=1 HTTP/1.1\nHost: x\n\nGET").expect("a whole head");
        assert_eq!(
            head,
            Head {
                len: 34,
                body: 0,
                status: None
            }
        );
    }
}

//! Length framing of box-protocol messages on a TCP stream or in the file store.
//!
//! # Layout
//!
//! ```text
//! +----------------------+-------------------------------+
//! | length: i32 BE       | payload: `length` bytes       |
//! | (payload only)       | one packed `Msg`              |
//! +----------------------+-------------------------------+
//! ```
//!
//! Reading is two steps, as in mini-redis: [`check`] looks only at the length
//! prefix and says how long the frame is, or that more bytes are needed, or that
//! the frame will never be acceptable; only then [`parse`] decodes it. The size
//! limit is applied to the prefix alone, before anything is buffered for the
//! payload, so a peer announcing 2 GiB costs nothing.
//!
//! # Decisions
//!
//! * **Negative length**: Kannel's `conn_read_withlen` skips the 4 bytes with a
//!   warning and reads the next 4 as a new length. No Kannel component writes a
//!   negative length (`conn_write_withlen` writes the payload's size), so one on
//!   the wire means the stream is corrupt or hostile, and skipping would read
//!   payload bytes as lengths. Here it is [`FrameError::NegativeLength`]; the
//!   caller should do what bearerbox does with an unreadable payload: send
//!   `admin(shutdown)` and close.
//! * **Size limit**: [`DEFAULT_MAX_PAYLOAD`] is 1 MiB. Kannel has no limit, but its
//!   messages are small: a captured sms is 160–320 bytes, and the largest a box
//!   can legitimately produce (a sendsms text at `max-messages = 255` with URLs
//!   and meta-data) is under 64 KiB. 1 MiB leaves a 16× margin while keeping
//!   what one connection can make us buffer modest. [`Limits`] changes it.

use thiserror::Error;

use crate::message::Msg;
use crate::wire::DecodeError;

/// Bytes of the length prefix.
pub const LENGTH_PREFIX: usize = 4;

/// The payload size accepted unless a [`Limits`] says otherwise.
pub const DEFAULT_MAX_PAYLOAD: usize = 1 << 20;

/// Why a buffer does not (yet) start with a usable frame.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Not an error in the stream: read more bytes, until there are `needed`.
    #[error("incomplete frame: expected {needed} bytes, have {available}")]
    Incomplete { needed: usize, available: usize },
    /// The prefix announces more than the limit; the stream cannot be resumed.
    #[error("frame length: expected at most {limit} bytes, found {length}")]
    TooLarge { length: usize, limit: usize },
    /// The prefix is negative; see the module doc for why this is not skipped.
    #[error("frame length: expected a length >= 0, found {found}")]
    NegativeLength { found: i32 },
    /// The frame is complete but its payload is not a message.
    #[error("frame payload: {0}")]
    Decode(#[from] DecodeError),
}

/// Framing limits, for a reader and for a writer alike: refusing to send what
/// our own peer would refuse keeps a bug visible on the side that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_payload: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_payload: DEFAULT_MAX_PAYLOAD,
        }
    }
}

impl Limits {
    /// The length of the whole frame at the start of `buf` (prefix included),
    /// once all of it is there.
    pub fn check(&self, buf: &[u8]) -> Result<usize, FrameError> {
        let Some(prefix) = buf.first_chunk::<LENGTH_PREFIX>() else {
            return Err(FrameError::Incomplete {
                needed: LENGTH_PREFIX,
                available: buf.len(),
            });
        };
        let announced = i32::from_be_bytes(*prefix);
        let length = usize::try_from(announced)
            .map_err(|_| FrameError::NegativeLength { found: announced })?;
        if length > self.max_payload {
            return Err(FrameError::TooLarge {
                length,
                limit: self.max_payload,
            });
        }
        let needed = LENGTH_PREFIX + length;
        if buf.len() < needed {
            return Err(FrameError::Incomplete {
                needed,
                available: buf.len(),
            });
        }
        Ok(needed)
    }

    /// The message at the start of `buf` and how many bytes it took.
    pub fn parse(&self, buf: &[u8]) -> Result<(Msg, usize), FrameError> {
        let len = self.check(buf)?;
        let payload = buf.get(LENGTH_PREFIX..len).unwrap_or_default();
        Ok((Msg::decode(payload)?, len))
    }

    /// Appends `msg` as one frame and returns the frame's length. On
    /// [`FrameError::TooLarge`] nothing is left appended.
    pub fn write_frame(&self, msg: &Msg, out: &mut Vec<u8>) -> Result<usize, FrameError> {
        let start = out.len();
        out.extend_from_slice(&[0; LENGTH_PREFIX]);
        msg.encode(out);
        let length = out.len() - start - LENGTH_PREFIX;
        let prefix = match i32::try_from(length) {
            Ok(prefix) if length <= self.max_payload => prefix,
            _ => {
                out.truncate(start);
                return Err(FrameError::TooLarge {
                    length,
                    limit: self.max_payload,
                });
            }
        };
        if let Some(slot) = out.get_mut(start..start + LENGTH_PREFIX) {
            slot.copy_from_slice(&prefix.to_be_bytes());
        }
        Ok(LENGTH_PREFIX + length)
    }
}

/// [`Limits::check`] with the default limit.
pub fn check(buf: &[u8]) -> Result<usize, FrameError> {
    Limits::default().check(buf)
}

/// [`Limits::parse`] with the default limit.
pub fn parse(buf: &[u8]) -> Result<(Msg, usize), FrameError> {
    Limits::default().parse(buf)
}

/// [`Limits::write_frame`] with the default limit.
pub fn write_frame(msg: &Msg, out: &mut Vec<u8>) -> Result<usize, FrameError> {
    Limits::default().write_frame(msg, out)
}

/// Reassembles frames from a byte stream that arrives in arbitrary pieces.
///
/// No I/O: the caller pushes what it read and pulls messages. After any error
/// other than `Incomplete` (which `next_msg` turns into `Ok(None)`) the stream
/// is out of step and the connection should be closed.
#[derive(Debug, Clone, Default)]
pub struct Deframer {
    limits: Limits,
    buf: Vec<u8>,
    /// Where the bytes not yet returned begin. Messages are taken from the
    /// front without moving the rest: a read of many frames would otherwise
    /// shift everything after each one (quadratic in frames per read). The
    /// consumed front is dropped at the next push.
    start: usize,
}

impl Deframer {
    pub fn new(limits: Limits) -> Self {
        Deframer {
            limits,
            buf: Vec::new(),
            start: 0,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    fn pending(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// Bytes received but not yet returned as a message.
    pub fn buffered(&self) -> usize {
        self.pending().len()
    }

    /// How many bytes the next frame still lacks (0 when one is ready or the
    /// buffer holds an unacceptable prefix), so a reader can size its next read.
    pub fn missing(&self) -> usize {
        match self.limits.check(self.pending()) {
            Err(FrameError::Incomplete { needed, available }) => needed - available,
            _ => 0,
        }
    }

    /// The next complete message, `Ok(None)` if more bytes are needed.
    pub fn next_msg(&mut self) -> Result<Option<Msg>, FrameError> {
        match self.limits.parse(self.pending()) {
            Ok((msg, used)) => {
                self.start += used;
                if self.start >= self.buf.len() {
                    self.buf.clear();
                    self.start = 0;
                }
                Ok(Some(msg))
            }
            Err(FrameError::Incomplete { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{AckStatus, AdminCommand};

    // reference/kannel.md §6.7, whole frames as captured.
    const IDENTIFY: [u8; 16] = [
        0, 0, 0, 0x0c, 0, 0, 0, 1, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff,
    ];
    const HEARTBEAT: [u8; 12] = [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0];
    const SHUTDOWN: [u8; 16] = [
        0, 0, 0, 0x0c, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
    ];
    const ACK: &[u8; 56] = b"\x00\x00\x00\x34\x00\x00\x00\x03\x00\x00\x00\x00\x6b\x07\x33\x2d\
                             \x00\x00\x00\x24e6b0be87-a151-4811-85df-9b1e522fddc7";

    #[test]
    fn reference_frames_parse_and_are_written_back_identically() {
        for frame in [&IDENTIFY[..], &HEARTBEAT, &SHUTDOWN, ACK] {
            let (msg, used) = match parse(frame) {
                Ok(parsed) => parsed,
                Err(e) => panic!("{e}"),
            };
            assert_eq!(used, frame.len());
            let mut out = Vec::new();
            assert_eq!(write_frame(&msg, &mut out), Ok(frame.len()));
            assert_eq!(out, frame);
        }
    }

    #[test]
    fn reference_ack_is_a_success_for_the_reference_mo() {
        let parsed = parse(ACK).map(|(m, _)| m);
        assert!(matches!(
            parsed,
            Ok(Msg::Ack { nack: AckStatus::Success, time: Some(1_795_633_965), id })
                if id.to_string() == "e6b0be87-a151-4811-85df-9b1e522fddc7"
        ));
    }

    #[test]
    fn fewer_than_four_bytes_asks_for_the_prefix() {
        assert_eq!(
            check(&[0, 0]),
            Err(FrameError::Incomplete {
                needed: 4,
                available: 2
            })
        );
    }

    #[test]
    fn a_partial_payload_asks_for_the_whole_frame() {
        assert_eq!(
            check(&IDENTIFY[..9]),
            Err(FrameError::Incomplete {
                needed: 16,
                available: 9
            })
        );
    }

    #[test]
    fn an_oversized_prefix_is_refused_before_the_payload_arrives() {
        let limits = Limits { max_payload: 100 };
        assert_eq!(
            limits.check(&[0, 0, 0, 101]),
            Err(FrameError::TooLarge {
                length: 101,
                limit: 100
            })
        );
        assert!(matches!(
            check(&[0x7f, 0xff, 0xff, 0xff]),
            Err(FrameError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_negative_prefix_is_an_error_not_a_skip() {
        assert_eq!(
            check(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0, 8]),
            Err(FrameError::NegativeLength { found: -1 })
        );
    }

    #[test]
    fn an_empty_payload_is_a_truncated_message() {
        assert!(matches!(
            parse(&[0, 0, 0, 0]),
            Err(FrameError::Decode(DecodeError::Truncated {
                field: "message type",
                ..
            }))
        ));
    }

    #[test]
    fn parse_leaves_the_next_frame_alone() {
        let mut two = IDENTIFY.to_vec();
        two.extend_from_slice(&HEARTBEAT);
        assert_eq!(parse(&two).map(|(_, used)| used), Ok(IDENTIFY.len()));
    }

    #[test]
    fn a_message_over_the_limit_is_not_written() {
        let limits = Limits { max_payload: 8 };
        let mut out = vec![7];
        let big = Msg::identify(Some(b"box1".to_vec()));
        assert!(matches!(
            limits.write_frame(&big, &mut out),
            Err(FrameError::TooLarge {
                length: 16,
                limit: 8
            })
        ));
        assert_eq!(out, [7]);
        assert_eq!(limits.write_frame(&Msg::heartbeat(3), &mut out), Ok(12));
    }

    #[test]
    fn deframer_reassembles_frames_split_at_every_byte() {
        let mut stream = IDENTIFY.to_vec();
        stream.extend_from_slice(&HEARTBEAT);
        stream.extend_from_slice(ACK);
        let mut d = Deframer::default();
        let mut got = Vec::new();
        for byte in &stream {
            d.push(&[*byte]);
            while let Ok(Some(msg)) = d.next_msg() {
                got.push(msg);
            }
        }
        assert_eq!(got.len(), 3);
        assert!(matches!(
            got.first(),
            Some(Msg::Admin {
                command: AdminCommand::Identify,
                boxc_id: None
            })
        ));
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn deframer_reports_how_much_is_missing() {
        let mut d = Deframer::default();
        d.push(&IDENTIFY[..2]);
        assert_eq!(d.missing(), 2);
        d.push(&IDENTIFY[2..6]);
        assert_eq!(d.missing(), 10);
    }
}

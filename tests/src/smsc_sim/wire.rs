//! Framing and PDU (de)serialisation, on top of `rusmpp-core` — a public
//! crate, independent of the gateway's own codec, so each checks the other.
//!
//! [`check`] looks at the 4-byte length first and says whether a whole PDU
//! is buffered; only then does [`decode`] hand the frame to rusmpp-core.

use bytes::{BufMut, BytesMut};
use rusmpp_core::command::owned::Command;
use rusmpp_core::decode::owned::DecodeWithLength;
use rusmpp_core::encode::Length;
use rusmpp_core::encode::owned::Encode;
use rusmpp_core::pdus::owned::Pdu;
use rusmpp_core::types::owned::AnyOctetString;
use rusmpp_core::{CommandId, CommandStatus};
use thiserror::Error;

pub const HEADER_LEN: usize = 16;
/// Far above any SMPP 3.4 PDU (a submit_sm with a full message_payload is
/// ~64 KiB); anything larger is taken as garbage.
pub const MAX_PDU_LEN: usize = 70_000;

pub const GENERIC_NACK: u32 = 0x8000_0000;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    #[error("command_length {0} is outside {HEADER_LEN}..={MAX_PDU_LEN}: not an SMPP stream")]
    BadLength(u32),
    #[error("command_id 0x{command_id:08x} seq {sequence_number}: body does not decode: {reason}")]
    Undecodable {
        command_id: u32,
        sequence_number: u32,
        reason: String,
    },
}

/// The four header fields, read without decoding the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub length: u32,
    pub command_id: u32,
    pub status: u32,
    pub sequence_number: u32,
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let four: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_be_bytes(four))
}

/// The header at the start of `bytes`, if 16 bytes are there.
pub fn header(bytes: &[u8]) -> Option<Header> {
    Some(Header {
        length: be32(bytes, 0)?,
        command_id: be32(bytes, 4)?,
        status: be32(bytes, 8)?,
        sequence_number: be32(bytes, 12)?,
    })
}

/// `Ok(Some(n))` when the first `n` bytes are one whole PDU, `Ok(None)`
/// when more bytes are needed, an error when the length cannot be SMPP.
pub fn check(buf: &[u8]) -> Result<Option<usize>, FrameError> {
    let Some(length) = be32(buf, 0) else {
        return Ok(None);
    };
    let len = length as usize;
    if !(HEADER_LEN..=MAX_PDU_LEN).contains(&len) {
        return Err(FrameError::BadLength(length));
    }
    Ok((buf.len() >= len).then_some(len))
}

/// Decodes one whole frame as returned by [`check`].
pub fn decode(frame: &[u8]) -> Result<Command, FrameError> {
    let head = header(frame).ok_or(FrameError::BadLength(frame.len() as u32))?;
    let mut src = BytesMut::from(frame.get(4..).unwrap_or_default());
    let body_len = src.len();
    Command::decode(&mut src, body_len)
        .map(|(command, _)| command)
        .map_err(|error| FrameError::Undecodable {
            command_id: head.command_id,
            sequence_number: head.sequence_number,
            reason: error.to_string(),
        })
}

pub fn encode(command: &Command) -> Vec<u8> {
    let length = 4 + command.length();
    let mut dst = BytesMut::with_capacity(length);
    dst.put_u32(length as u32);
    command.encode(&mut dst);
    dst.to_vec()
}

/// A PDU with no body: responses carrying an error status, which SMPP 3.4
/// §3.3 says have no body, and generic_nack.
pub fn header_only(command_id: u32, status: u32, sequence_number: u32) -> Command {
    Command::new(
        CommandStatus::from(status),
        sequence_number,
        Pdu::Other {
            command_id: CommandId::from(command_id),
            body: AnyOctetString::empty(),
        },
    )
}

/// `SubmitSm` → `submit_sm`, for logs and the record file.
pub fn command_name(command_id: u32) -> String {
    let id = CommandId::from(command_id);
    if let CommandId::Other(raw) = id {
        return format!("0x{raw:08x}");
    }
    let camel = format!("{id:?}");
    let mut snake = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    snake
}

#[cfg(test)]
mod tests {
    use super::*;

    // enquire_link seq 7, as in SMPP 3.4 §4.11.1.
    const ENQUIRE_LINK: [u8; 16] = [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 7];

    #[test]
    fn a_partial_header_asks_for_more_bytes() {
        assert_eq!(check(&ENQUIRE_LINK[..3]), Ok(None));
        assert_eq!(check(&ENQUIRE_LINK[..15]), Ok(None));
        assert_eq!(check(&ENQUIRE_LINK), Ok(Some(16)));
    }

    #[test]
    fn a_length_below_the_header_is_garbage() {
        assert_eq!(check(&[0, 0, 0, 3, 1, 2, 3]), Err(FrameError::BadLength(3)));
        assert!(check(b"GET / HTTP/1.1\r\n").is_err());
    }

    #[test]
    fn enquire_link_round_trips_through_rusmpp() {
        let command = decode(&ENQUIRE_LINK).map_err(|e| e.to_string());
        let command = command.as_ref().map(|c| (c.id(), c.sequence_number()));
        assert_eq!(command, Ok((CommandId::EnquireLink, 7)));
        let again = Command::new(CommandStatus::EsmeRok, 7, Pdu::EnquireLink);
        assert_eq!(encode(&again), ENQUIRE_LINK);
    }

    #[test]
    fn an_error_response_has_no_body() {
        let nack = encode(&header_only(0x8000_0004, 0x58, 9));
        assert_eq!(
            nack,
            [0, 0, 0, 16, 0x80, 0, 0, 4, 0, 0, 0, 0x58, 0, 0, 0, 9]
        );
    }

    #[test]
    fn command_names_are_snake_case() {
        assert_eq!(command_name(4), "submit_sm");
        assert_eq!(command_name(0x8000_0000), "generic_nack");
        assert_eq!(command_name(0x0000_1234), "0x00001234");
    }
}

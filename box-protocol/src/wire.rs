//! The three primitive encodings every box-protocol field is made of, and the
//! errors a payload can fail with.
//!
//! # Layout
//!
//! | kind    | bytes                                                                 |
//! |---------|-----------------------------------------------------------------------|
//! | INTEGER | 4 bytes, big-endian two's complement; `ff ff ff ff` (-1) = undefined   |
//! | OCTSTR  | INTEGER length, then that many raw bytes; length -1 = NULL (≠ empty)   |
//! | UUID    | an OCTSTR of exactly 36 bytes, the hyphenated text form, lowercase     |
//!
//! Kannel 1.4.5 (`gw/msg.c`) is laxer than this module in three places, on purpose:
//! it copies whatever is left when an OCTSTR length runs past the end, it moves its
//! offset *backwards* on a negative length other than -1, and it ignores bytes after
//! the last field. No Kannel box ever writes such payloads, so here they are
//! [`DecodeError`]s rather than silently reinterpreted bytes.
//!
//! What this trusts: nothing. Every length is checked against the bytes actually
//! present before anything is sliced or allocated.

use std::fmt;

use thiserror::Error;
use uuid::Uuid;

/// Kannel's `MSG_PARAM_UNDEFINED`: the INTEGER value meaning "not set".
pub const UNDEFINED: i32 = -1;

/// Length of the text form of a UUID on the wire (`00 00 00 24`).
pub const UUID_TEXT_LEN: usize = 36;

/// Why a payload is not a box-protocol message.
///
/// Offsets count from the first payload byte (the message type), i.e. they do not
/// include the frame's 4-byte length prefix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The payload ends inside a field.
    #[error("{field} at offset {offset}: expected {needed} bytes, found only {available}")]
    Truncated {
        field: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// The first INTEGER is not one of the five message types.
    #[error(
        "message type at offset 0: expected 0 (heartbeat), 1 (admin), 2 (sms), 3 (ack) \
         or 4 (wdp_datagram), found {found}"
    )]
    UnknownType { found: i32 },
    /// An OCTSTR length below -1.
    #[error("{field} at offset {offset}: expected a length >= 0 or -1 (NULL), found {found}")]
    NegativeLength {
        field: &'static str,
        offset: usize,
        found: i32,
    },
    /// A UUID field that is NULL, not 36 bytes, or not hyphenated hex.
    #[error(
        "{field} at offset {offset}: expected a 36-character UUID such as \
         e6b0be87-a151-4811-85df-9b1e522fddc7, found {found}"
    )]
    BadUuid {
        field: &'static str,
        offset: usize,
        found: Found,
    },
    /// Bytes left over after the message's last field.
    #[error("{msg_type} message ends at offset {end}, but the payload has {extra} more bytes")]
    TrailingBytes {
        msg_type: &'static str,
        end: usize,
        extra: usize,
    },
}

/// What a rejected UUID field held, kept short enough to log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Found {
    Null,
    Text(String),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Null => f.write_str("NULL"),
            Found::Text(t) => write!(f, "\"{t}\""),
        }
    }
}

impl Found {
    // A hostile peer can send megabytes in a UUID field; the error only needs a hint.
    const SHOWN: usize = 48;

    fn from_bytes(bytes: &[u8]) -> Self {
        let shown = bytes.get(..Self::SHOWN).unwrap_or(bytes);
        let mut text: String = String::from_utf8_lossy(shown).escape_debug().collect();
        if bytes.len() > Self::SHOWN {
            text.push_str(&format!("… ({} bytes)", bytes.len()));
        }
        Found::Text(text)
    }
}

/// A cursor over a payload that hands out fields and remembers where it is.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Offset of the next unread byte.
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(
        &mut self,
        field: &'static str,
        offset: usize,
        n: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.buf.get(self.pos..end)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(DecodeError::Truncated {
                field,
                offset,
                needed: n,
                available: self.remaining(),
            }),
        }
    }

    /// One INTEGER, -1 included (callers decide what "undefined" means for them).
    pub fn integer(&mut self, field: &'static str) -> Result<i32, DecodeError> {
        let offset = self.pos;
        let bytes = self.take(field, offset, 4)?;
        let mut be = [0u8; 4];
        be.copy_from_slice(bytes);
        Ok(i32::from_be_bytes(be))
    }

    /// One OCTSTR; `None` is NULL, `Some(b"")` the empty string.
    pub fn octstr(&mut self, field: &'static str) -> Result<Option<&'a [u8]>, DecodeError> {
        let offset = self.pos;
        let len = self.integer(field)?;
        if len == UNDEFINED {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| DecodeError::NegativeLength {
            field,
            offset,
            found: len,
        })?;
        self.take(field, offset, len).map(Some)
    }

    /// One UUID. Either hex case is accepted, as Kannel's `uuid_parse` does; any
    /// other shape (simple, braced, URN, NULL) is refused, as Kannel refuses it.
    pub fn uuid(&mut self, field: &'static str) -> Result<Uuid, DecodeError> {
        let offset = self.pos;
        let bad = |found| DecodeError::BadUuid {
            field,
            offset,
            found,
        };
        let text = self.octstr(field)?.ok_or_else(|| bad(Found::Null))?;
        parse_hyphenated(text).ok_or_else(|| bad(Found::from_bytes(text)))
    }

    /// Ends decoding of `msg_type`, refusing bytes after its last field.
    pub fn finish(self, msg_type: &'static str) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(DecodeError::TrailingBytes {
                msg_type,
                end: self.pos,
                extra,
            }),
        }
    }
}

/// The 36-character hyphenated form, the only one Kannel reads. The uuid
/// crate also takes the 32-digit, braced and URN forms, but those are 32, 38
/// and 45 characters long: at 36 it reads the hyphenated form alone and
/// checks every hyphen and digit itself, so the length is all there is to
/// check first (a check of each character cost more than the parse).
fn parse_hyphenated(text: &[u8]) -> Option<Uuid> {
    if text.len() != UUID_TEXT_LEN {
        return None;
    }
    Uuid::try_parse_ascii(text).ok()
}

pub fn put_integer(out: &mut Vec<u8>, value: i32) {
    out.extend_from_slice(&value.to_be_bytes());
}

/// Writes an OCTSTR. Strings over `i32::MAX` bytes cannot be framed at all, and
/// the frame layer refuses them long before, so the length saturates instead of
/// making every encoder fallible.
pub fn put_octstr(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => put_integer(out, UNDEFINED),
        Some(bytes) => {
            put_integer(out, i32::try_from(bytes.len()).unwrap_or(i32::MAX));
            out.extend_from_slice(bytes);
        }
    }
}

/// Writes a UUID in Kannel's form: lowercase, hyphenated, as an OCTSTR.
pub fn put_uuid(out: &mut Vec<u8>, value: &Uuid) {
    let mut text = [0u8; UUID_TEXT_LEN];
    value.hyphenated().encode_lower(&mut text);
    put_octstr(out, Some(&text));
}

/// One wire field type: how it is written and read back.
///
/// Implemented for the Rust types the message model uses, so that a field table
/// (see `message`) can encode and decode a struct without naming the primitives.
pub trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError>;
}

/// An INTEGER taken as it is, -1 included.
impl Codec for i32 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_integer(out, *self);
    }
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        r.integer(field)
    }
}

/// An INTEGER where -1 means undefined. `Some(-1)` is written as undefined too,
/// so it reads back as `None`; decoding never produces `Some(-1)`.
impl Codec for Option<i32> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_integer(out, self.unwrap_or(UNDEFINED));
    }
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        let v = r.integer(field)?;
        Ok((v != UNDEFINED).then_some(v))
    }
}

impl Codec for Option<Vec<u8>> {
    fn encode(&self, out: &mut Vec<u8>) {
        put_octstr(out, self.as_deref());
    }
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        Ok(r.octstr(field)?.map(<[u8]>::to_vec))
    }
}

impl Codec for Uuid {
    fn encode(&self, out: &mut Vec<u8>) {
        put_uuid(out, self);
    }
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        r.uuid(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian_twos_complement() {
        let mut out = Vec::new();
        put_integer(&mut out, 0x6b07_332d);
        put_integer(&mut out, UNDEFINED);
        put_integer(&mut out, -2);
        assert_eq!(
            out,
            [
                0x6b, 0x07, 0x33, 0x2d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe
            ]
        );
        let mut r = Reader::new(&out);
        assert_eq!(r.integer("a"), Ok(1_795_633_965));
        assert_eq!(r.integer("b"), Ok(-1));
        assert_eq!(r.integer("c"), Ok(-2));
        assert_eq!(r.finish("test"), Ok(()));
    }

    #[test]
    fn null_and_empty_octstr_are_different_bytes_and_read_back_different() {
        let mut out = Vec::new();
        put_octstr(&mut out, None);
        put_octstr(&mut out, Some(b""));
        put_octstr(&mut out, Some(b"5555"));
        assert_eq!(
            out,
            [
                0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 4, b'5', b'5', b'5', b'5'
            ]
        );
        let mut r = Reader::new(&out);
        assert_eq!(r.octstr("null"), Ok(None));
        assert_eq!(r.octstr("empty"), Ok(Some(&b""[..])));
        assert_eq!(r.octstr("text"), Ok(Some(&b"5555"[..])));
    }

    #[test]
    fn uuid_is_written_as_36_lowercase_characters() {
        let id = Uuid::parse_str("E6B0BE87-A151-4811-85DF-9B1E522FDDC7").unwrap_or_default();
        let mut out = Vec::new();
        put_uuid(&mut out, &id);
        assert_eq!(&out[..4], [0, 0, 0, 0x24]);
        assert_eq!(&out[4..], b"e6b0be87-a151-4811-85df-9b1e522fddc7");
    }

    #[test]
    fn uppercase_uuid_is_accepted_like_kannel_does() {
        let mut out = Vec::new();
        put_octstr(&mut out, Some(b"E6B0BE87-A151-4811-85DF-9B1E522FDDC7"));
        let id = Reader::new(&out).uuid("id");
        assert_eq!(
            id.map(|u| u.as_u128()),
            Ok(0xe6b0be87_a151_4811_85df_9b1e522fddc7)
        );
    }

    #[test]
    fn uuid_in_another_textual_form_is_refused() {
        for text in [
            &b"e6b0be87a151481185df9b1e522fddc7"[..],
            b"{e6b0be87-a151-4811-85df-9b1e522fddc7}",
            b"e6b0be87-a151-4811-85df-9b1e522fddcg",
            b"e6b0be87+a151-4811-85df-9b1e522fddc7",
        ] {
            let mut out = Vec::new();
            put_octstr(&mut out, Some(text));
            let err = Reader::new(&out).uuid("ack.id");
            assert!(
                matches!(
                    err,
                    Err(DecodeError::BadUuid {
                        field: "ack.id",
                        offset: 0,
                        ..
                    })
                ),
                "{err:?}"
            );
        }
    }

    /// What the reader accepted before: every character checked, then the uuid crate's parse.
    fn parse_by_crate(text: &[u8]) -> Option<Uuid> {
        let shaped = text.len() == UUID_TEXT_LEN
            && text.iter().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => *b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        shaped.then(|| Uuid::try_parse_ascii(text).ok()).flatten()
    }

    proptest::proptest! {
        #[test]
        fn every_uuid_written_is_read_back(value: u128) {
            let id = Uuid::from_u128(value);
            let mut out = Vec::new();
            put_uuid(&mut out, &id);
            proptest::prop_assert_eq!(Reader::new(&out).uuid("id"), Ok(id));
        }

        #[test]
        fn checking_the_length_alone_refuses_what_the_full_shape_check_refused(
            text in proptest::collection::vec(
                proptest::sample::select(b"0123456789abcdefABCDEFg-+{} ".to_vec()), 30..40)
        ) {
            proptest::prop_assert_eq!(parse_hyphenated(&text), parse_by_crate(&text));
        }

        #[test]
        fn a_well_shaped_text_parses_as_the_crate_parses_it(value: u128, upper: bool) {
            let mut text = Uuid::from_u128(value).hyphenated().to_string();
            if upper {
                text = text.to_ascii_uppercase();
            }
            proptest::prop_assert_eq!(parse_hyphenated(text.as_bytes()), Some(Uuid::from_u128(value)));
        }
    }

    #[test]
    fn null_uuid_is_refused_and_says_null() {
        let err = Reader::new(&[0xff; 4]).uuid("sms.id");
        let msg = err.map_err(|e| e.to_string());
        assert_eq!(
            msg,
            Err("sms.id at offset 0: expected a 36-character UUID such as \
                 e6b0be87-a151-4811-85df-9b1e522fddc7, found NULL"
                .to_owned())
        );
    }

    #[test]
    fn octstr_running_past_the_end_names_field_offset_and_sizes() {
        let bytes = [0, 0, 0, 10, b'4', b'6'];
        let err = Reader::new(&bytes).octstr("sms.sender");
        assert_eq!(
            err,
            Err(DecodeError::Truncated {
                field: "sms.sender",
                offset: 0,
                needed: 10,
                available: 2
            })
        );
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("sms.sender at offset 0: expected 10 bytes, found only 2".to_owned())
        );
    }

    #[test]
    fn negative_length_other_than_minus_one_is_refused() {
        let bytes = [0xff, 0xff, 0xff, 0xfe];
        assert_eq!(
            Reader::new(&bytes).octstr("sms.udhdata"),
            Err(DecodeError::NegativeLength {
                field: "sms.udhdata",
                offset: 0,
                found: -2
            })
        );
    }

    #[test]
    fn huge_length_does_not_allocate_or_overflow() {
        let bytes = [0x7f, 0xff, 0xff, 0xff, 1, 2, 3];
        assert!(matches!(
            Reader::new(&bytes).octstr("x"),
            Err(DecodeError::Truncated {
                needed: 0x7fff_ffff,
                available: 3,
                ..
            })
        ));
    }

    #[test]
    fn leftover_bytes_are_reported_with_their_count() {
        let bytes = [0, 0, 0, 0, 9, 9];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.integer("heartbeat.load"), Ok(0));
        assert_eq!(
            r.finish("heartbeat"),
            Err(DecodeError::TrailingBytes {
                msg_type: "heartbeat",
                end: 4,
                extra: 2
            })
        );
    }

    #[test]
    fn a_long_bad_uuid_is_shown_shortened() {
        let junk = vec![b'x'; 5000];
        let mut out = Vec::new();
        put_octstr(&mut out, Some(&junk));
        let shown = Reader::new(&out).uuid("id").map_err(|e| e.to_string());
        let shown = shown.err().unwrap_or_default();
        assert!(shown.len() < 200, "{shown}");
        assert!(shown.contains("(5000 bytes)"), "{shown}");
    }
}

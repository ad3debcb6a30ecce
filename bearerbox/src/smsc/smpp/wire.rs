//! The field types SMPP bodies are built from, and the bounded reader that decodes them.
//!
//! Each type enforces its limit when it is built, so that [`Wire::encode`] cannot fail and the
//! bytes we send are always within what the specification (and the SMSC) accepts.
//!
//! # Layout
//!
//! - [`Reader`]: a cursor over one PDU body that reports offsets from the start of the PDU.
//! - [`Wire`]: decode/encode for one field; implemented for `u8`, `u16`, `u32`,
//!   [`COctetString`], [`ShortMessage`].
//! - [`FieldError`]: what went wrong inside a body, naming the field and its offset.
//! - [`LengthError`]: a value too long for the field it is put in (when building a PDU).

use thiserror::Error;

/// A fault inside a PDU body. Offsets count from the first octet of the PDU (the header is 16).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FieldError {
    #[error("field `{field}` at offset {offset}: expected {needed} octet(s), found {available}")]
    Truncated {
        field: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    },
    #[error(
        "field `{field}` at offset {offset}: expected a C-octet string of at most {max} octets \
         including its NUL (one more tolerated), found no NUL in the {scanned} octet(s) read"
    )]
    CStringUnterminated {
        field: &'static str,
        offset: usize,
        max: usize,
        scanned: usize,
    },
    #[error(
        "sm_length at offset {offset}: expected at most {available} octet(s) of short_message, found \
         sm_length {sm_length}"
    )]
    SmLengthPastEnd {
        offset: usize,
        sm_length: u8,
        available: usize,
    },
    #[error(
        "TLV 0x{tag:04x} at offset {offset}: expected {length} octet(s) of value, found {available}"
    )]
    TlvLengthPastEnd {
        tag: u16,
        offset: usize,
        length: u16,
        available: usize,
    },
    #[error("TLV header at offset {offset}: expected 4 octets (tag, length), found {available}")]
    TlvHeaderTruncated { offset: usize, available: usize },
    #[error(
        "dest_flag at offset {offset}: expected 1 (SME address) or 2 (distribution list), found {found}"
    )]
    UnknownDestFlag { offset: usize, found: u8 },
    #[error("offset {offset}: expected the end of the body, found {count} more octet(s)")]
    TrailingBytes { offset: usize, count: usize },
}

/// A value that does not fit the field it is meant for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LengthError {
    #[error("expected at most {max} octet(s) before the NUL, found {found}")]
    TooLong { max: usize, found: usize },
    #[error("expected no NUL inside a C-octet string, found one at index {index}")]
    InteriorNul { index: usize },
}

/// A cursor over one PDU body. It never reads past its slice, and every read says which field it
/// was for so the error can name it.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// `base` is where `buf` starts inside the PDU, so errors report offsets a capture shows.
    pub fn new(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], FieldError> {
        let rest = self.rest();
        match rest.get(..n) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(FieldError::Truncated {
                field,
                offset: self.offset(),
                needed: n,
                available: rest.len(),
            }),
        }
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], FieldError> {
        let bytes = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub fn u8(&mut self, field: &'static str) -> Result<u8, FieldError> {
        self.array::<1>(field).map(|[b]| b)
    }

    pub fn u16(&mut self, field: &'static str) -> Result<u16, FieldError> {
        self.array(field).map(u16::from_be_bytes)
    }

    pub fn u32(&mut self, field: &'static str) -> Result<u32, FieldError> {
        self.array(field).map(u32::from_be_bytes)
    }

    /// Reads a C-octet string of at most `max` octets including the NUL, returning it without the
    /// NUL. One octet more is tolerated, as Kannel's `copy_until_nul` does, so an SMSC that
    /// Kannel accepts (a 16-character system_id, a 21-digit address) is not refused here. Longer
    /// is refused rather than truncated: a peer that overruns one field has misaligned every
    /// field after it.
    pub fn c_string(&mut self, max: usize, field: &'static str) -> Result<&'a [u8], FieldError> {
        let rest = self.rest();
        let window = rest.get(..=max).unwrap_or(rest);
        match window.iter().position(|&b| b == 0) {
            Some(nul) => {
                let s = window.get(..nul).unwrap_or_default();
                self.pos += nul + 1;
                Ok(s)
            }
            None => Err(FieldError::CStringUnterminated {
                field,
                offset: self.offset(),
                max,
                scanned: window.len(),
            }),
        }
    }

    /// Refuses leftover octets after the last field of a body that has no TLV section.
    pub fn finish(&self) -> Result<(), FieldError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(FieldError::TrailingBytes {
                offset: self.offset(),
                count,
            }),
        }
    }
}

/// One field of a PDU body, as the declarative table in [`super::pdu`] names it.
pub trait Wire: Sized {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, FieldError>;
    fn encode(&self, out: &mut Vec<u8>);
}

impl Wire for u8 {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, FieldError> {
        r.u8(field)
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

impl Wire for u16 {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, FieldError> {
        r.u16(field)
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
}

impl Wire for u32 {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, FieldError> {
        r.u32(field)
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
}

/// A C-octet string of at most `MAX` octets *including* its NUL, as the specification counts
/// (so `system_id` is `COctetString<16>`: 15 characters and a NUL). The content is kept as bytes
/// because SMSCs put non-ASCII in addresses and ids; `as_str` is there when it is text.
/// A decoded string may hold one octet more than the specification allows (see
/// [`Reader::c_string`]); one built with `new` never does, so what we originate is always valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct COctetString<const MAX: usize>(Vec<u8>);

impl<const MAX: usize> COctetString<MAX> {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, LengthError> {
        let bytes = bytes.into();
        if let Some(index) = bytes.iter().position(|&b| b == 0) {
            return Err(LengthError::InteriorNul { index });
        }
        if bytes.len() >= MAX {
            return Err(LengthError::TooLong {
                max: MAX.saturating_sub(1),
                found: bytes.len(),
            });
        }
        Ok(COctetString(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(&self.0).into_owned()
    }
}

impl<const MAX: usize> TryFrom<&str> for COctetString<MAX> {
    type Error = LengthError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::new(s.as_bytes())
    }
}

impl<const MAX: usize> Wire for COctetString<MAX> {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, FieldError> {
        r.c_string(MAX, field).map(|s| COctetString(s.to_vec()))
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
        out.push(0);
    }
}

/// `sm_length` and `short_message` together, since one cannot be checked without the other.
/// At most 254 octets (SMPP 3.4 §5.2.21); longer content goes in the `message_payload` TLV.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ShortMessage(Vec<u8>);

impl ShortMessage {
    pub const MAX: usize = 254;

    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, LengthError> {
        let bytes = bytes.into();
        if bytes.len() > Self::MAX {
            return Err(LengthError::TooLong {
                max: Self::MAX,
                found: bytes.len(),
            });
        }
        Ok(ShortMessage(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Wire for ShortMessage {
    fn decode(r: &mut Reader<'_>, _field: &'static str) -> Result<Self, FieldError> {
        let sm_length = r.u8("sm_length")?;
        let offset = r.offset();
        // Decoding is lenient up to 255 (what sm_length can say): refusing a 255-octet message a
        // real SMSC sent would lose an MO for no safety gain.
        r.take(usize::from(sm_length), "short_message")
            .map(|b| ShortMessage(b.to_vec()))
            .map_err(|_| FieldError::SmLengthPastEnd {
                offset,
                sm_length,
                available: r.remaining(),
            })
    }
    fn encode(&self, out: &mut Vec<u8>) {
        // Construction bounds the length by 254 and decoding by 255, so it always fits a u8.
        out.push(u8::try_from(self.0.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_string_stops_at_the_first_nul_and_reports_pdu_offsets() {
        let mut r = Reader::new(b"kuser\0secret\0", 16);
        assert_eq!(r.c_string(16, "system_id"), Ok(&b"kuser"[..]));
        assert_eq!(r.offset(), 22);
        assert_eq!(r.c_string(9, "password"), Ok(&b"secret"[..]));
        assert_eq!(r.finish(), Ok(()));
    }

    #[test]
    fn c_string_without_nul_within_its_maximum_is_refused() {
        let mut r = Reader::new(b"0123456789abcdefXYZ\0", 16);
        assert_eq!(
            r.c_string(16, "system_id"),
            Err(FieldError::CStringUnterminated {
                field: "system_id",
                offset: 16,
                max: 16,
                scanned: 17
            })
        );
    }

    #[test]
    fn c_string_one_octet_over_its_maximum_is_tolerated_as_kannel_does() {
        let mut r = Reader::new(b"0123456789abcdef\0", 16);
        assert_eq!(r.c_string(16, "system_id"), Ok(&b"0123456789abcdef"[..]));
        assert_eq!(r.finish(), Ok(()));
    }

    #[test]
    fn c_string_cut_by_the_end_of_the_body_is_refused() {
        let mut r = Reader::new(b"kus", 16);
        assert!(matches!(
            r.c_string(16, "system_id"),
            Err(FieldError::CStringUnterminated { scanned: 3, .. })
        ));
    }

    #[test]
    fn c_octet_string_of_exactly_max_minus_one_fits_and_max_does_not() {
        assert!(COctetString::<16>::new("123456789012345").is_ok());
        assert_eq!(
            COctetString::<16>::new("1234567890123456"),
            Err(LengthError::TooLong { max: 15, found: 16 })
        );
        assert_eq!(
            COctetString::<16>::new(&b"a\0b"[..]),
            Err(LengthError::InteriorNul { index: 1 })
        );
    }

    #[test]
    fn sm_length_past_the_end_is_named() {
        let mut r = Reader::new(&[5, b'a', b'b'], 60);
        assert_eq!(
            ShortMessage::decode(&mut r, "short_message"),
            Err(FieldError::SmLengthPastEnd {
                offset: 61,
                sm_length: 5,
                available: 2
            })
        );
    }

    #[test]
    fn integers_are_big_endian() {
        let mut r = Reader::new(&[0x12, 0x34, 0xde, 0xad, 0xbe, 0xef], 0);
        assert_eq!(r.u16("a"), Ok(0x1234));
        assert_eq!(r.u32("b"), Ok(0xdead_beef));
        assert!(matches!(
            r.u8("c"),
            Err(FieldError::Truncated {
                field: "c",
                offset: 6,
                needed: 1,
                available: 0
            })
        ));
        let mut out = Vec::new();
        0x1234u16.encode(&mut out);
        0xdead_beefu32.encode(&mut out);
        assert_eq!(out, [0x12, 0x34, 0xde, 0xad, 0xbe, 0xef]);
    }
}

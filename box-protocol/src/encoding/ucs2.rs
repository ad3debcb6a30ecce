//! UCS-2 as SMS really carries it: UTF-16BE, where a character outside the Basic
//! Multilingual Plane (an emoji) is a surrogate pair of two 16-bit units.
//!
//! The box protocol's coding 2 and the SMPP/PDU `data_coding` 0x08 both mean these bytes.
//!
//! # Layout
//! - [`encode`] / [`unit_len`]: text → UTF-16BE bytes and its length in 16-bit units.
//! - [`decode`] / [`decode_lossy`]: bytes → text, strict (typed error) or with U+FFFD.
//! - [`is_high_surrogate`] / [`is_low_surrogate`]: what the splitter must not cut between.

use thiserror::Error;

/// Why bytes are not valid UTF-16BE.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Ucs2Error {
    /// UTF-16 units are two bytes, so an odd count leaves half a unit.
    #[error("UTF-16BE data has an odd length of {len} bytes")]
    OddLength {
        /// The byte count.
        len: usize,
    },
    /// A surrogate without its partner cannot be turned into a character.
    #[error("lone surrogate 0x{unit:04X} at byte offset {offset}")]
    LoneSurrogate {
        /// The unpaired unit.
        unit: u16,
        /// Its byte offset in the input.
        offset: usize,
    },
}

/// Whether `unit` opens a surrogate pair.
pub fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..0xDC00).contains(&unit)
}

/// Whether `unit` closes a surrogate pair.
pub fn is_low_surrogate(unit: u16) -> bool {
    (0xDC00..0xE000).contains(&unit)
}

/// Text → UTF-16BE bytes.
pub fn encode(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Text → UTF-16LE bytes, for the iconv `UTF-16LE`/`UCS-2LE` charsets.
pub fn encode_le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The length of `text` in 16-bit units, the measure of SMS UCS-2 capacity.
pub fn unit_len(text: &str) -> usize {
    text.encode_utf16().count()
}

fn units(bytes: &[u8], little_endian: bool) -> impl Iterator<Item = u16> + '_ {
    bytes.chunks_exact(2).map(move |pair| match *pair {
        [a, b] if little_endian => u16::from_le_bytes([a, b]),
        [a, b] => u16::from_be_bytes([a, b]),
        _ => 0,
    })
}

/// UTF-16BE bytes → text, refusing odd lengths and lone surrogates.
pub fn decode(bytes: &[u8]) -> Result<String, Ucs2Error> {
    decode_units(bytes, false)
}

/// UTF-16LE bytes → text, refusing odd lengths and lone surrogates.
pub fn decode_le(bytes: &[u8]) -> Result<String, Ucs2Error> {
    decode_units(bytes, true)
}

fn decode_units(bytes: &[u8], little_endian: bool) -> Result<String, Ucs2Error> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Ucs2Error::OddLength { len: bytes.len() });
    }
    let mut out = String::with_capacity(bytes.len());
    let mut offset = 0;
    for result in char::decode_utf16(units(bytes, little_endian)) {
        match result {
            Ok(ch) => {
                out.push(ch);
                offset += 2 * ch.len_utf16();
            }
            Err(e) => {
                return Err(Ucs2Error::LoneSurrogate {
                    unit: e.unpaired_surrogate(),
                    offset,
                });
            }
        }
    }
    Ok(out)
}

/// UTF-16BE bytes → text, with U+FFFD for each lone surrogate and for a trailing odd byte.
pub fn decode_lossy(bytes: &[u8]) -> String {
    let mut out: String = char::decode_utf16(units(bytes, false))
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    if !bytes.len().is_multiple_of(2) {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

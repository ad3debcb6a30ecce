//! The character sets the sendsms `charset` parameter names, with iconv's spelling.
//!
//! Kannel hands the name to iconv; we hand it to `encoding_rs`, whose labels follow the
//! WHATWG Encoding Standard. The two disagree in a few places that matter for SMS, so a
//! small alias layer comes first:
//!
//! - `ASCII`/`US-ASCII` are 7-bit in iconv (WHATWG reads them as windows-1252).
//! - `ISO-8859-1`/`LATIN1` map 0x80–0x9F to the C1 controls in iconv (WHATWG: windows-1252).
//! - `UTF-16BE`, `UTF-16LE`, `UTF-16` (BOM, big-endian by default) and `UCS-2`/`UCS-2BE`/
//!   `UCS-2LE` are handled here, because `encoding_rs` decodes UTF-16 but never encodes
//!   it. UCS-2 is read as UTF-16 since handsets put surrogate pairs (emoji) in "UCS-2".
//! - An iconv suffix such as `//TRANSLIT` or `//IGNORE` is ignored.
//!
//! Everything else goes to [`Encoding::for_label_no_replacement`]; the few names WHATWG
//! folds into a superset (`ISO-8859-9` → windows-1254, `TIS-620` → windows-874) differ from
//! iconv only in the C1 range.
//!
//! # Layout
//! - [`Charset`]: a resolved name, with `decode` and `encode`.
//! - [`decode`] / [`encode`]: the same by name, as the sendsms handler calls them.
//! - [`CharsetError`]: unknown name, malformed input (byte offset), unmappable character.

use encoding_rs::{DecoderResult, EncoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE};
use thiserror::Error;

use super::ucs2;

/// Why a charset conversion failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CharsetError {
    /// Neither iconv's nor WHATWG's names include this one.
    #[error("unknown charset {name:?}")]
    Unknown {
        /// The name as given.
        name: String,
    },
    /// The bytes are not valid in the charset.
    #[error("input is not valid {charset}: malformed at byte offset {offset}")]
    Malformed {
        /// The charset's canonical name.
        charset: &'static str,
        /// Offset of the first bad byte.
        offset: usize,
    },
    /// The text holds a character the charset cannot write.
    #[error(
        "character {ch:?} (U+{code:04X}) at position {position} cannot be written in {charset}",
        code = u32::from(*ch)
    )]
    Unmappable {
        /// The charset's canonical name.
        charset: &'static str,
        /// The first such character.
        ch: char,
        /// Its index in characters from the start of the text.
        position: usize,
    },
}

/// A resolved charset name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// 7-bit US-ASCII.
    Ascii,
    /// ISO-8859-1 with the C1 controls, byte value = code point.
    Latin1,
    /// UTF-16 (and UCS-2) big-endian, no byte order mark.
    Utf16Be,
    /// UTF-16 (and UCS-2) little-endian, no byte order mark.
    Utf16Le,
    /// UTF-16 with an optional byte order mark; big-endian without one, and written
    /// big-endian with a mark, as iconv does.
    Utf16,
    /// Any other charset `encoding_rs` knows.
    Whatwg(&'static Encoding),
}

const ASCII_NAMES: &[&str] = &[
    "ascii",
    "us-ascii",
    "us",
    "ansi_x3.4-1968",
    "ansi_x3.4-1986",
    "iso646-us",
    "iso_646.irv:1991",
    "iso-ir-6",
    "cp367",
    "ibm367",
    "csascii",
];

const LATIN1_NAMES: &[&str] = &[
    "iso-8859-1",
    "iso8859-1",
    "iso88591",
    "iso_8859-1",
    "iso_8859-1:1987",
    "8859_1",
    "latin1",
    "latin-1",
    "l1",
    "cp819",
    "ibm819",
    "iso-ir-100",
    "csisolatin1",
];

const UTF16BE_NAMES: &[&str] = &[
    "utf-16be",
    "utf16be",
    "ucs-2",
    "ucs2",
    "ucs-2be",
    "ucs2be",
    "unicodebig",
    "iso-10646-ucs-2",
    "csunicode",
];

const UTF16LE_NAMES: &[&str] = &["utf-16le", "utf16le", "ucs-2le", "ucs2le", "unicodelittle"];

const UTF16_NAMES: &[&str] = &["utf-16", "utf16"];

/// iconv names WHATWG spells differently.
const WHATWG_ALIASES: &[(&str, &str)] = &[
    ("latin9", "iso-8859-15"),
    ("latin-9", "iso-8859-15"),
    ("iso8859-15", "iso-8859-15"),
    ("ms-ansi", "windows-1252"),
    ("cp1250", "windows-1250"),
    ("cp1251", "windows-1251"),
    ("cp1253", "windows-1253"),
    ("cp1254", "windows-1254"),
    ("cp1255", "windows-1255"),
    ("cp1256", "windows-1256"),
    ("cp1257", "windows-1257"),
    ("cp1258", "windows-1258"),
    ("cp936", "gbk"),
    ("cp932", "shift_jis"),
    ("cp949", "euc-kr"),
    ("cp950", "big5"),
    ("koi8r", "koi8-r"),
    ("koi8u", "koi8-u"),
];

impl Charset {
    /// Resolve an iconv or WHATWG charset name, case-insensitively.
    pub fn from_name(name: &str) -> Result<Charset, CharsetError> {
        let unknown = || CharsetError::Unknown {
            name: name.to_owned(),
        };
        let base = name.split("//").next().unwrap_or_default().trim();
        // The two every sendsms request without a charset asks for.
        if base.eq_ignore_ascii_case("utf-8") {
            return Ok(Charset::Whatwg(encoding_rs::UTF_8));
        }
        if base.eq_ignore_ascii_case("utf-16be") {
            return Ok(Charset::Utf16Be);
        }
        let label = base.to_ascii_lowercase();
        let is = |names: &[&str]| names.contains(&label.as_str());
        if label.is_empty() {
            return Err(unknown());
        }
        if is(ASCII_NAMES) {
            return Ok(Charset::Ascii);
        }
        if is(LATIN1_NAMES) {
            return Ok(Charset::Latin1);
        }
        if is(UTF16BE_NAMES) {
            return Ok(Charset::Utf16Be);
        }
        if is(UTF16LE_NAMES) {
            return Ok(Charset::Utf16Le);
        }
        if is(UTF16_NAMES) {
            return Ok(Charset::Utf16);
        }
        let label = WHATWG_ALIASES
            .iter()
            .find(|(alias, _)| *alias == label)
            .map_or(label.as_str(), |(_, whatwg)| whatwg);
        match Encoding::for_label_no_replacement(label.as_bytes()) {
            // WHATWG's own UTF-16 labels were taken above; anything still landing here
            // would be a label we did not list, so keep the byte-order it names.
            Some(e) if e == UTF_16BE => Ok(Charset::Utf16Be),
            Some(e) if e == UTF_16LE => Ok(Charset::Utf16Le),
            Some(e) => Ok(Charset::Whatwg(e)),
            None => Err(unknown()),
        }
    }

    /// The canonical name, used in error messages.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Ascii => "US-ASCII",
            Charset::Latin1 => "ISO-8859-1",
            Charset::Utf16Be => "UTF-16BE",
            Charset::Utf16Le => "UTF-16LE",
            Charset::Utf16 => "UTF-16",
            Charset::Whatwg(e) => e.name(),
        }
    }

    /// Bytes in this charset → text.
    pub fn decode(self, bytes: &[u8]) -> Result<String, CharsetError> {
        let malformed = |offset| CharsetError::Malformed {
            charset: self.name(),
            offset,
        };
        match self {
            Charset::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
                Some(offset) => Err(malformed(offset)),
                None => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
            },
            Charset::Latin1 => Ok(encoding_rs::mem::decode_latin1(bytes).into_owned()),
            Charset::Utf16Be => ucs2::decode(bytes).map_err(|e| malformed(ucs2_offset(&e))),
            Charset::Utf16Le => ucs2::decode_le(bytes).map_err(|e| malformed(ucs2_offset(&e))),
            Charset::Utf16 => {
                let (body, little, skipped) = match bytes {
                    [0xFF, 0xFE, rest @ ..] => (rest, true, 2),
                    [0xFE, 0xFF, rest @ ..] => (rest, false, 2),
                    _ => (bytes, false, 0),
                };
                let decoded = if little {
                    ucs2::decode_le(body)
                } else {
                    ucs2::decode(body)
                };
                decoded.map_err(|e| malformed(ucs2_offset(&e) + skipped))
            }
            Charset::Whatwg(encoding) => decode_whatwg(encoding, bytes).map_err(malformed),
        }
    }

    /// Text → bytes in this charset.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, CharsetError> {
        let unmappable = |ch, position| CharsetError::Unmappable {
            charset: self.name(),
            ch,
            position,
        };
        let first_outside = |limit: u32| {
            text.chars()
                .enumerate()
                .find(|&(_, ch)| u32::from(ch) > limit)
                .map(|(position, ch)| unmappable(ch, position))
        };
        match self {
            Charset::Ascii => match first_outside(0x7F) {
                Some(e) => Err(e),
                None => Ok(text.as_bytes().to_vec()),
            },
            Charset::Latin1 => match first_outside(0xFF) {
                Some(e) => Err(e),
                None => Ok(encoding_rs::mem::encode_latin1_lossy(text).into_owned()),
            },
            Charset::Utf16Be => Ok(ucs2::encode(text)),
            Charset::Utf16Le => Ok(ucs2::encode_le(text)),
            Charset::Utf16 => {
                let mut out = vec![0xFE, 0xFF];
                out.extend(ucs2::encode(text));
                Ok(out)
            }
            Charset::Whatwg(encoding) if encoding == UTF_8 => Ok(text.as_bytes().to_vec()),
            Charset::Whatwg(encoding) => {
                encode_whatwg(encoding, text).map_err(|(ch, position)| unmappable(ch, position))
            }
        }
    }
}

fn ucs2_offset(error: &ucs2::Ucs2Error) -> usize {
    match *error {
        ucs2::Ucs2Error::OddLength { len } => len.saturating_sub(1),
        ucs2::Ucs2Error::LoneSurrogate { offset, .. } => offset,
    }
}

/// Decodes without BOM sniffing, as iconv does: a BOM in UTF-8 input stays a U+FEFF.
fn decode_whatwg(encoding: &'static Encoding, bytes: &[u8]) -> Result<String, usize> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len());
    let mut out = String::with_capacity(capacity);
    let mut consumed = 0;
    loop {
        let rest = bytes.get(consumed..).unwrap_or_default();
        let (result, read) = decoder.decode_to_string_without_replacement(rest, &mut out, true);
        consumed += read;
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(rest.len().saturating_mul(3).max(16)),
            DecoderResult::Malformed(bad, after) => {
                return Err(consumed.saturating_sub(usize::from(bad) + usize::from(after)));
            }
        }
    }
}

fn encode_whatwg(encoding: &'static Encoding, text: &str) -> Result<Vec<u8>, (char, usize)> {
    let mut encoder = encoding.new_encoder();
    let capacity = encoder
        .max_buffer_length_from_utf8_without_replacement(text.len())
        .unwrap_or(text.len());
    let mut out = Vec::with_capacity(capacity);
    let mut consumed = 0;
    loop {
        let rest = text.get(consumed..).unwrap_or_default();
        let (result, read) =
            encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        consumed += read;
        match result {
            EncoderResult::InputEmpty => return Ok(out),
            EncoderResult::OutputFull => out.reserve(rest.len().saturating_mul(4).max(16)),
            EncoderResult::Unmappable(ch) => {
                let start = consumed.saturating_sub(ch.len_utf8());
                let position = text.get(..start).map_or(0, |head| head.chars().count());
                return Err((ch, position));
            }
        }
    }
}

/// Decode `bytes` named by the sendsms `charset` parameter.
pub fn decode(bytes: &[u8], charset: &str) -> Result<String, CharsetError> {
    Charset::from_name(charset)?.decode(bytes)
}

/// Encode `text` into the charset `charset` names.
pub fn encode(text: &str, charset: &str) -> Result<Vec<u8>, CharsetError> {
    Charset::from_name(charset)?.encode(text)
}

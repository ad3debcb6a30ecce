//! The GSM 03.38 (3GPP TS 23.038) default alphabet and its single-shift extension table.
//!
//! Two representations of the same septets matter to the drivers: SMPP carries them
//! unpacked (one septet per octet), PDU mode packs eight septets into seven octets.
//!
//! # Layout
//! - [`encode`] / [`encode_lossy`] / [`decode`]: Unicode text ↔ unpacked septets.
//! - [`septet_len`]: the cost of a text in septets, extension characters counting two.
//! - [`pack`] / [`unpack`]: septets ↔ packed octets, with the fill bits that align the
//!   text to a septet boundary after a User Data Header.
//! - [`pack_padded`] / [`unpack_padded`]: the `<CR>` padding rule of TS 23.038 §6.1.2.3.1
//!   for carriers that only know the octet length.

use thiserror::Error;

/// The septet that switches the next septet to the extension table.
pub const ESCAPE: u8 = 0x1B;

/// What replaces a character without a GSM mapping in [`encode_lossy`]: `?`.
pub const REPLACEMENT_SEPTET: u8 = 0x3F;

const CR: u8 = 0x0D;

/// The default alphabet in septet order. Index 0x1B is the escape, never produced from
/// text; the space there is what TS 23.038 tells a receiver to show for it.
const BASIC: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', ' ', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// The extension table: (septet after the escape, character).
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

const NONE: u8 = 0xFF;

/// ASCII → septet, built once at compile time so the common case is one lookup.
const ASCII_TO_BASIC: [u8; 128] = {
    let mut map = [NONE; 128];
    let mut septet = 0;
    while septet < 128 {
        let ch = BASIC[septet] as u32;
        if ch < 128 && septet != ESCAPE as usize && map[ch as usize] == NONE {
            map[ch as usize] = septet as u8;
        }
        septet += 1;
    }
    map
};

/// How one character is written in GSM 03.38.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GsmChar {
    /// One septet of the default alphabet.
    Basic(u8),
    /// The escape followed by this septet of the extension table.
    Extended(u8),
}

impl GsmChar {
    /// How many septets the character costs.
    pub fn septets(self) -> usize {
        match self {
            GsmChar::Basic(_) => 1,
            GsmChar::Extended(_) => 2,
        }
    }

    fn push_to(self, out: &mut Vec<u8>) {
        match self {
            GsmChar::Basic(s) => out.push(s),
            GsmChar::Extended(s) => out.extend_from_slice(&[ESCAPE, s]),
        }
    }
}

/// Errors of the GSM 7-bit conversions.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Gsm7Error {
    /// The text holds a character the GSM alphabet cannot carry.
    #[error(
        "character {ch:?} (U+{code:04X}) at position {position} has no GSM 03.38 mapping",
        code = u32::from(*ch)
    )]
    Unmappable {
        /// The first such character.
        ch: char,
        /// Its index in characters (not bytes) from the start of the text.
        position: usize,
    },
    /// A byte claimed to be a septet has its top bit set.
    #[error("byte 0x{value:02X} at offset {offset} is not a septet (above 0x7F)")]
    NotASeptet {
        /// The offending byte.
        value: u8,
        /// Its offset in the input.
        offset: usize,
    },
    /// Fill bits align to a septet boundary, so there are at most six.
    #[error("{fill_bits} fill bits requested, at most 6 can precede the first septet")]
    TooManyFillBits {
        /// The requested count.
        fill_bits: u8,
    },
    /// The packed octets are shorter than the septet count says.
    #[error("{septets} septets after {fill_bits} fill bits need {needed} octets, got {available}")]
    Truncated {
        /// The septet count asked for.
        septets: usize,
        /// The fill bits before the first septet.
        fill_bits: u8,
        /// Octets those septets need.
        needed: usize,
        /// Octets present.
        available: usize,
    },
}

/// The GSM writing of a character, if it has one.
pub fn lookup(ch: char) -> Option<GsmChar> {
    let code = u32::from(ch);
    if code < 128 {
        let septet = ASCII_TO_BASIC[code as usize];
        if septet != NONE {
            return Some(GsmChar::Basic(septet));
        }
    } else if let Some(septet) = BASIC.iter().position(|&c| c == ch) {
        // The table has 128 entries, so the index fits a septet.
        return Some(GsmChar::Basic(septet as u8));
    }
    EXTENSION
        .iter()
        .find(|&&(_, c)| c == ch)
        .map(|&(septet, _)| GsmChar::Extended(septet))
}

/// Every character GSM 7-bit can carry: the default alphabet, then the extension table.
pub fn characters() -> impl Iterator<Item = char> {
    BASIC
        .iter()
        .enumerate()
        .filter(|&(septet, _)| septet != usize::from(ESCAPE))
        .map(|(_, &ch)| ch)
        .chain(EXTENSION.iter().map(|&(_, ch)| ch))
}

/// Whether every character of `text` has a GSM mapping.
pub fn is_representable(text: &str) -> bool {
    text.chars().all(|ch| lookup(ch).is_some())
}

/// The septets `text` costs, or the first character that cannot be carried.
pub fn septet_len(text: &str) -> Result<usize, Gsm7Error> {
    text.chars()
        .enumerate()
        .try_fold(0, |total, (position, ch)| {
            lookup(ch)
                .map(|g| total + g.septets())
                .ok_or(Gsm7Error::Unmappable { ch, position })
        })
}

/// Text → unpacked septets, refusing any character without a mapping.
pub fn encode(text: &str) -> Result<Vec<u8>, Gsm7Error> {
    let mut out = Vec::with_capacity(text.len());
    for (position, ch) in text.chars().enumerate() {
        lookup(ch)
            .ok_or(Gsm7Error::Unmappable { ch, position })?
            .push_to(&mut out);
    }
    Ok(out)
}

/// Text → unpacked septets, writing `?` for characters without a mapping.
pub fn encode_lossy(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        lookup(ch)
            .unwrap_or(GsmChar::Basic(REPLACEMENT_SEPTET))
            .push_to(&mut out);
    }
    out
}

/// Unpacked septets → text.
///
/// An escape followed by a septet the extension table does not define shows the
/// default-alphabet character, and an escape with nothing usable after it (the end of
/// the data, or a second escape reserved for a future table) shows a space: both are
/// what TS 23.038 asks of a receiver, so only bytes above 0x7F are errors.
pub fn decode(septets: &[u8]) -> Result<String, Gsm7Error> {
    let mut out = String::with_capacity(septets.len());
    let mut iter = septets.iter().copied().enumerate();
    while let Some((offset, septet)) = iter.next() {
        let basic = basic_char(septet, offset)?;
        if septet != ESCAPE {
            out.push(basic);
            continue;
        }
        match iter.next() {
            None => out.push(' '),
            Some((_, ESCAPE)) => out.push(' '),
            Some((offset, next)) => {
                let fallback = basic_char(next, offset)?;
                let ch = EXTENSION
                    .iter()
                    .find(|&&(s, _)| s == next)
                    .map_or(fallback, |&(_, c)| c);
                out.push(ch);
            }
        }
    }
    Ok(out)
}

fn basic_char(septet: u8, offset: usize) -> Result<char, Gsm7Error> {
    BASIC
        .get(usize::from(septet))
        .copied()
        .ok_or(Gsm7Error::NotASeptet {
            value: septet,
            offset,
        })
}

/// Fill bits that follow a UDH of `udh_octets` octets (length octet included) so the
/// first septet starts on a septet boundary counted from the start of the user data.
pub fn fill_bits_after_udh(udh_octets: usize) -> u8 {
    // The result is below 7, so the narrowing cannot lose anything.
    ((7 - (udh_octets * 8) % 7) % 7) as u8
}

/// Septets a UDH of `udh_octets` octets and its fill bits take from the 7-bit budget.
pub fn udh_septets(udh_octets: usize) -> usize {
    (udh_octets * 8).div_ceil(7)
}

/// Octets that `septets` septets occupy after `fill_bits` fill bits.
pub fn packed_len(septets: usize, fill_bits: u8) -> usize {
    (usize::from(fill_bits) + 7 * septets).div_ceil(8)
}

fn check_fill(fill_bits: u8) -> Result<(), Gsm7Error> {
    if fill_bits > 6 {
        return Err(Gsm7Error::TooManyFillBits { fill_bits });
    }
    Ok(())
}

/// Unpacked septets → packed octets, the first septet starting `fill_bits` bits into
/// the first octet (bits below it stay zero, as the UDH fill bits must).
pub fn pack(septets: &[u8], fill_bits: u8) -> Result<Vec<u8>, Gsm7Error> {
    check_fill(fill_bits)?;
    let mut out = vec![0u8; packed_len(septets.len(), fill_bits)];
    for (index, &septet) in septets.iter().enumerate() {
        if septet > 0x7F {
            return Err(Gsm7Error::NotASeptet {
                value: septet,
                offset: index,
            });
        }
        let bit = usize::from(fill_bits) + 7 * index;
        let (octet, shift) = (bit / 8, bit % 8);
        let wide = u16::from(septet) << shift;
        // `out` was sized by packed_len, so both octets the septet touches exist
        // whenever the septet has bits in them.
        if let Some(slot) = out.get_mut(octet) {
            *slot |= (wide & 0xFF) as u8;
        }
        if wide > 0xFF
            && let Some(slot) = out.get_mut(octet + 1)
        {
            *slot |= (wide >> 8) as u8;
        }
    }
    Ok(out)
}

/// Packed octets → `septets` unpacked septets, skipping `fill_bits` bits first.
pub fn unpack(octets: &[u8], fill_bits: u8, septets: usize) -> Result<Vec<u8>, Gsm7Error> {
    check_fill(fill_bits)?;
    let needed = packed_len(septets, fill_bits);
    if octets.len() < needed {
        return Err(Gsm7Error::Truncated {
            septets,
            fill_bits,
            needed,
            available: octets.len(),
        });
    }
    let out = (0..septets)
        .map(|index| {
            let bit = usize::from(fill_bits) + 7 * index;
            let (octet, shift) = (bit / 8, bit % 8);
            let low = octets.get(octet).copied().map_or(0, u16::from);
            let high = octets.get(octet + 1).copied().map_or(0, u16::from);
            (((high << 8 | low) >> shift) & 0x7F) as u8
        })
        .collect();
    Ok(out)
}

/// [`pack`] with the TS 23.038 `<CR>` padding, for carriers where the receiver only
/// knows the octet count: seven spare bits at the end would read as a trailing `@`,
/// so a `<CR>` fills them; and a wanted final `<CR>` that ends exactly on an octet
/// boundary gets a second one, so [`unpack_padded`] does not take it for padding.
pub fn pack_padded(septets: &[u8], fill_bits: u8) -> Result<Vec<u8>, Gsm7Error> {
    check_fill(fill_bits)?;
    let bits = usize::from(fill_bits) + 7 * septets.len();
    let spare = (8 - bits % 8) % 8;
    let ends_with_cr = septets.last() == Some(&CR);
    if spare == 7 || (spare == 0 && ends_with_cr) {
        let mut padded = Vec::with_capacity(septets.len() + 1);
        padded.extend_from_slice(septets);
        padded.push(CR);
        return pack(&padded, fill_bits);
    }
    pack(septets, fill_bits)
}

/// Packed octets → septets when only the octet count is known: every whole septet is
/// read, and a final `<CR>` that exactly fills the last seven bits is dropped as padding.
pub fn unpack_padded(octets: &[u8], fill_bits: u8) -> Result<Vec<u8>, Gsm7Error> {
    check_fill(fill_bits)?;
    let bits = (octets.len() * 8).saturating_sub(usize::from(fill_bits));
    let mut septets = unpack(octets, fill_bits, bits / 7)?;
    if bits % 7 == 0 && septets.last() == Some(&CR) {
        septets.pop();
    }
    Ok(septets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_fast_path_agrees_with_the_table() {
        for (septet, &ch) in BASIC.iter().enumerate() {
            if septet as u8 == ESCAPE {
                continue;
            }
            assert_eq!(lookup(ch), Some(GsmChar::Basic(septet as u8)), "{ch:?}");
        }
    }

    #[test]
    fn the_escape_septet_is_never_produced_from_text() {
        assert_eq!(lookup('\u{1B}'), None);
    }
}

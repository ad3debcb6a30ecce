//! Splitting a long message into concatenated parts (3GPP TS 23.040 §9.2.3.24.1).
//!
//! A message that fits one SMS is sent alone with the user's UDH unchanged. Otherwise
//! each part gets the user's elements plus an 8-bit-reference concatenation element
//! (`00 03 ref total seq`), and the text is cut between *atoms*: a GSM character (one
//! septet, or the escape and its extension septet), a UTF-16 character (one unit, or a
//! surrogate pair), or one octet of binary data. A handset that received half a pair
//! would show garbage at the seam, which is why the atom, not the unit, is the quantum.
//!
//! # Layout
//! - [`Payload`]: what is being split (GSM text or septets, UCS-2 text or bytes, binary).
//! - [`SplitOptions`], [`SeptetForm`], [`Overflow`]: the caller's choices.
//! - [`split`] → [`Split`] of [`Part`]s, each with its UDH and [`Body`].
//! - [`plan`] → [`Plan`]: the same count without building the parts.
//! - [`SplitError`].

use std::ops::Range;

use thiserror::Error;

use super::coding::{self, Coding, MAX_USER_DATA_OCTETS};
use super::gsm7::{self, Gsm7Error};
use super::ucs2::{self, Ucs2Error};
use super::udh::{Concat, ConcatRef, Udh, UdhError};

/// The 8-bit sequence number caps a concatenated message at 255 parts.
pub const MAX_CONCAT_PARTS: usize = 255;

/// What to split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// Text to carry in GSM 7-bit; a character without a mapping is an error.
    Gsm7(&'a str),
    /// Unpacked septets already converted (for example by [`gsm7::encode_lossy`]).
    Septets(&'a [u8]),
    /// Text to carry in UCS-2.
    Ucs2(&'a str),
    /// UTF-16BE bytes as the box protocol carries coding 2; lone surrogates pass through.
    Utf16Be(&'a [u8]),
    /// 8-bit data.
    Binary(&'a [u8]),
}

impl Payload<'_> {
    /// The coding the parts will use.
    pub fn coding(&self) -> Coding {
        match self {
            Payload::Gsm7(_) | Payload::Septets(_) => Coding::Gsm7,
            Payload::Ucs2(_) | Payload::Utf16Be(_) => Coding::Ucs2,
            Payload::Binary(_) => Coding::EightBit,
        }
    }
}

/// How 7-bit parts are handed back; UCS-2 parts are always UTF-16BE bytes and binary
/// parts always octets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SeptetForm {
    /// One septet per octet, as SMPP carries them.
    #[default]
    Unpacked,
    /// Packed, with the fill bits after the part's UDH, as PDU mode needs.
    Packed,
    /// UTF-8 text, as the box protocol carries coding 0 between the boxes.
    Text,
}

/// What to do when the message needs more parts than allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Fail with [`SplitError::TooManyParts`].
    #[default]
    Refuse,
    /// Keep the first parts and drop the rest, as Kannel does silently; a limit of one
    /// keeps a single unconcatenated SMS.
    Truncate,
}

/// The caller's choices for [`split`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SplitOptions {
    /// The concatenation reference shared by the parts (Kannel: a per-process counter).
    pub reference: u8,
    /// The most parts allowed (the sendsms-user `max-messages`); `None` means the
    /// protocol's own limit of 255.
    pub max_parts: Option<usize>,
    /// What happens beyond `max_parts`.
    pub overflow: Overflow,
    /// How 7-bit parts are returned.
    pub septet_form: SeptetForm,
    /// User data octets per SMS (Kannel's `max-sms-octets`).
    pub max_octets: usize,
}

impl SplitOptions {
    /// Refuse beyond 255 parts, unpacked septets, 140 octets per SMS.
    pub fn new(reference: u8) -> SplitOptions {
        SplitOptions {
            reference,
            max_parts: None,
            overflow: Overflow::Refuse,
            septet_form: SeptetForm::Unpacked,
            max_octets: MAX_USER_DATA_OCTETS,
        }
    }
}

/// The user data of one part, without its UDH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Unpacked septets.
    Septets(Vec<u8>),
    /// Packed septets, starting after `fill_bits` fill bits.
    Packed {
        /// The packed octets.
        octets: Vec<u8>,
        /// Fill bits before the first septet (0 without a UDH).
        fill_bits: u8,
    },
    /// UTF-8 text of a 7-bit part.
    Text(String),
    /// UTF-16BE bytes of a UCS-2 part, or 8-bit data.
    Octets(Vec<u8>),
}

/// One SMS of a split message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The coding of `body`.
    pub coding: Coding,
    /// The part's whole UDH, length octet included; empty when it has none.
    pub udh: Vec<u8>,
    /// The user data after the UDH.
    pub body: Body,
    /// Length of `body` in the coding's units (septets, UCS-2 units, octets).
    pub units: usize,
    /// Which part this is, when the message was concatenated.
    pub concat: Option<Concat>,
}

impl Part {
    /// Octets of TP-UD this part occupies: the UDH plus the body, 7-bit counted packed.
    pub fn user_data_octets(&self) -> usize {
        let udh = self.udh.len();
        match self.coding {
            Coding::Gsm7 => udh + gsm7::packed_len(self.units, gsm7::fill_bits_after_udh(udh)),
            Coding::EightBit => udh + self.units,
            Coding::Ucs2 => udh + 2 * self.units,
        }
    }

    /// Kannel's `msg_left`: parts after this one.
    pub fn parts_left(&self) -> usize {
        self.concat
            .map_or(0, |c| usize::from(c.total.saturating_sub(c.seq)))
    }
}

/// The result of [`split`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The parts in order.
    pub parts: Vec<Part>,
    /// Whether [`Overflow::Truncate`] dropped the end of the message.
    pub truncated: bool,
}

/// How a message would split, from [`plan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// The coding the parts use.
    pub coding: Coding,
    /// The whole message in the coding's units.
    pub units: usize,
    /// Parts needed, unlimited (may exceed 255).
    pub parts: usize,
    /// Units per part as split: the single capacity for one part, else the concatenated.
    pub per_part: usize,
    /// Units one SMS holds beside the user's UDH.
    pub single_capacity: usize,
    /// Units one concatenated part holds.
    pub concat_capacity: usize,
}

/// Why a message cannot be split.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SplitError {
    /// The GSM text or septets are not valid.
    #[error(transparent)]
    Gsm7(#[from] Gsm7Error),
    /// The UTF-16BE bytes are not whole units.
    #[error(transparent)]
    Ucs2(#[from] Ucs2Error),
    /// The user's UDH is malformed.
    #[error("user UDH: {0}")]
    Udh(#[from] UdhError),
    /// The septets end with an escape that has no character after it.
    #[error("septets end with an escape (0x1B) at offset {offset} and no character after it")]
    TrailingEscape {
        /// Offset of the escape.
        offset: usize,
    },
    /// More parts are needed than allowed.
    #[error("message needs {needed} parts, at most {max} allowed")]
    TooManyParts {
        /// Parts the whole message needs.
        needed: usize,
        /// The limit.
        max: usize,
    },
    /// The user's UDH already marks the message as one part of another.
    #[error("user UDH already holds a concatenation element; cannot split the message again")]
    AlreadyConcatenated,
    /// The UDH leaves no room for even one character.
    #[error("a UDH of {udh_octets} octets leaves no room for text in {max_octets} octets")]
    NoRoom {
        /// The UDH each part would carry.
        udh_octets: usize,
        /// The user data size.
        max_octets: usize,
    },
}

/// The payload in its coding, checked: its indivisible atoms (a character
/// with its escape, a surrogate pair) can be found again in `encoded` alone,
/// which [`Atoms::ends`] does only for a message that needs cutting.
struct Atoms {
    coding: Coding,
    encoded: Vec<u8>,
}

impl Atoms {
    fn new(payload: &Payload<'_>) -> Result<Atoms, SplitError> {
        let mut encoded = Vec::new();
        match *payload {
            Payload::Gsm7(text) => {
                encoded.reserve(text.len());
                for (position, ch) in text.chars().enumerate() {
                    let mapped = gsm7::lookup(ch).ok_or(Gsm7Error::Unmappable { ch, position })?;
                    match mapped {
                        gsm7::GsmChar::Basic(s) => encoded.push(s),
                        gsm7::GsmChar::Extended(s) => encoded.extend([gsm7::ESCAPE, s]),
                    }
                }
            }
            Payload::Septets(septets) => {
                encoded.extend_from_slice(septets);
                let mut iter = septets.iter().copied().enumerate();
                while let Some((offset, septet)) = iter.next() {
                    if septet > 0x7F {
                        return Err(Gsm7Error::NotASeptet {
                            value: septet,
                            offset,
                        }
                        .into());
                    }
                    if septet == gsm7::ESCAPE {
                        match iter.next() {
                            None => return Err(SplitError::TrailingEscape { offset }),
                            Some((offset, next)) if next > 0x7F => {
                                return Err(Gsm7Error::NotASeptet {
                                    value: next,
                                    offset,
                                }
                                .into());
                            }
                            Some(_) => {}
                        }
                    }
                }
            }
            Payload::Ucs2(text) => {
                encoded.reserve(2 * text.len());
                let mut buf = [0u16; 2];
                for ch in text.chars() {
                    for unit in ch.encode_utf16(&mut buf) {
                        encoded.extend(unit.to_be_bytes());
                    }
                }
            }
            Payload::Utf16Be(bytes) => {
                if !bytes.len().is_multiple_of(2) {
                    return Err(Ucs2Error::OddLength { len: bytes.len() }.into());
                }
                encoded.extend_from_slice(bytes);
            }
            Payload::Binary(bytes) => encoded.extend_from_slice(bytes),
        }
        Ok(Atoms {
            coding: payload.coding(),
            encoded,
        })
    }

    /// Where each atom of `encoded` ends: after an escape's character (7-bit),
    /// after a surrogate pair (UCS-2), after every octet (8-bit). A text's
    /// characters encode to exactly these atoms.
    fn ends(&self) -> Vec<usize> {
        let encoded = &self.encoded;
        let mut ends = Vec::with_capacity(encoded.len());
        let mut i = 0;
        match self.coding {
            Coding::Gsm7 => {
                while i < encoded.len() {
                    // `new` refused an escape with nothing after it.
                    i += if encoded[i] == gsm7::ESCAPE { 2 } else { 1 };
                    ends.push(i.min(encoded.len()));
                }
            }
            Coding::Ucs2 => {
                let unit_at = |i: usize| match encoded.get(i..i + 2) {
                    Some(&[a, b]) => Some(u16::from_be_bytes([a, b])),
                    _ => None,
                };
                while let Some(unit) = unit_at(i) {
                    let paired = ucs2::is_high_surrogate(unit)
                        && unit_at(i + 2).is_some_and(ucs2::is_low_surrogate);
                    i += if paired { 4 } else { 2 };
                    ends.push(i);
                }
            }
            Coding::EightBit => ends.extend(1..=encoded.len()),
        }
        ends
    }

    fn unit_bytes(&self) -> usize {
        match self.coding {
            Coding::Ucs2 => 2,
            Coding::Gsm7 | Coding::EightBit => 1,
        }
    }

    fn units(&self) -> usize {
        self.encoded.len() / self.unit_bytes()
    }

    /// Byte ranges of `encoded`, each at most `capacity` units and cut only at atom
    /// ends; `None` if an atom alone is larger than the capacity.
    fn chunks(&self, capacity: usize) -> Option<Vec<Range<usize>>> {
        let limit = capacity * self.unit_bytes();
        let mut chunks = Vec::new();
        let mut start = 0;
        let mut previous = 0;
        for end in self.ends() {
            if end - start > limit {
                if previous == start {
                    return None;
                }
                chunks.push(start..previous);
                start = previous;
                if end - start > limit {
                    return None;
                }
            }
            previous = end;
        }
        if previous > start || chunks.is_empty() {
            chunks.push(start..previous);
        }
        Some(chunks)
    }
}

/// The arithmetic shared by [`plan`] and [`split`]. What only a
/// concatenated message needs is worked out only for one.
struct Layout {
    atoms: Atoms,
    user: Udh,
    max_octets: usize,
    single_capacity: usize,
}

impl Layout {
    fn new(
        payload: &Payload<'_>,
        user_udh: &[u8],
        max_octets: usize,
    ) -> Result<Layout, SplitError> {
        let atoms = Atoms::new(payload)?;
        let user = Udh::parse(user_udh)?;
        Ok(Layout {
            single_capacity: coding::capacity(atoms.coding, user_udh.len(), max_octets),
            max_octets,
            atoms,
            user,
        })
    }

    fn fits_single(&self) -> bool {
        self.atoms.units() <= self.single_capacity
    }

    /// The UDH of a concatenated part: the user's with a concatenation element.
    fn concat_udh_octets(&self) -> usize {
        let mut with_concat = self.user.clone();
        with_concat.set_concat(Concat {
            reference: ConcatRef::Eight(0),
            total: 0,
            seq: 0,
        });
        with_concat.encoded_len()
    }

    fn concat_capacity(&self) -> usize {
        coding::capacity(self.atoms.coding, self.concat_udh_octets(), self.max_octets)
    }

    fn concat_chunks(&self) -> Result<Vec<Range<usize>>, SplitError> {
        self.atoms
            .chunks(self.concat_capacity())
            .ok_or(SplitError::NoRoom {
                udh_octets: self.concat_udh_octets(),
                max_octets: self.max_octets,
            })
    }
}

/// How `payload` beside the user's UDH (raw bytes, possibly empty) would split into
/// SMS of `max_octets` octets of user data.
pub fn plan(payload: &Payload<'_>, user_udh: &[u8], max_octets: usize) -> Result<Plan, SplitError> {
    let layout = Layout::new(payload, user_udh, max_octets)?;
    let concat_capacity = layout.concat_capacity();
    let (parts, per_part) = if layout.fits_single() {
        (1, layout.single_capacity)
    } else {
        let chunks = layout.concat_chunks()?;
        (chunks.len(), concat_capacity)
    };
    Ok(Plan {
        coding: layout.atoms.coding,
        units: layout.atoms.units(),
        parts,
        per_part,
        single_capacity: layout.single_capacity,
        concat_capacity,
    })
}

/// Split `payload` beside the user's UDH (raw bytes, possibly empty) into parts.
pub fn split(
    payload: &Payload<'_>,
    user_udh: &[u8],
    options: &SplitOptions,
) -> Result<Split, SplitError> {
    let layout = Layout::new(payload, user_udh, options.max_octets)?;
    let limit = options
        .max_parts
        .map_or(MAX_CONCAT_PARTS, |m| m.min(MAX_CONCAT_PARTS));
    let single = |range: Range<usize>, truncated| -> Result<Split, SplitError> {
        let part = build_part(&layout.atoms, range, user_udh.to_vec(), None, options)?;
        Ok(Split {
            parts: vec![part],
            truncated,
        })
    };

    if layout.fits_single() && limit >= 1 {
        return single(0..layout.atoms.encoded.len(), false);
    }
    if layout.user.concat()?.is_some() {
        return Err(SplitError::AlreadyConcatenated);
    }
    let mut chunks = layout.concat_chunks()?;
    let needed = chunks.len();
    if needed > limit {
        if options.overflow == Overflow::Refuse || limit == 0 {
            return Err(SplitError::TooManyParts { needed, max: limit });
        }
        if limit == 1 {
            let first = layout
                .atoms
                .chunks(layout.single_capacity)
                .and_then(|c| c.into_iter().next())
                .ok_or(SplitError::NoRoom {
                    udh_octets: user_udh.len(),
                    max_octets: options.max_octets,
                })?;
            return single(first, true);
        }
        chunks.truncate(limit);
    }

    // `chunks.len()` is at most 255 here, so the sequence numbers fit their octet.
    let total = u8::try_from(chunks.len()).unwrap_or(u8::MAX);
    let parts = chunks
        .into_iter()
        .zip(1..=total)
        .map(|(range, seq)| {
            let concat = Concat {
                reference: ConcatRef::Eight(options.reference),
                total,
                seq,
            };
            let mut udh = layout.user.clone();
            udh.set_concat(concat);
            build_part(&layout.atoms, range, udh.to_bytes()?, Some(concat), options)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Split {
        parts,
        truncated: needed > limit,
    })
}

fn build_part(
    atoms: &Atoms,
    range: Range<usize>,
    udh: Vec<u8>,
    concat: Option<Concat>,
    options: &SplitOptions,
) -> Result<Part, SplitError> {
    let bytes = atoms.encoded.get(range).unwrap_or_default();
    let units = bytes.len() / atoms.unit_bytes();
    let body = match (atoms.coding, options.septet_form) {
        (Coding::Gsm7, SeptetForm::Unpacked) => Body::Septets(bytes.to_vec()),
        (Coding::Gsm7, SeptetForm::Packed) => {
            let fill_bits = gsm7::fill_bits_after_udh(udh.len());
            Body::Packed {
                octets: gsm7::pack(bytes, fill_bits)?,
                fill_bits,
            }
        }
        (Coding::Gsm7, SeptetForm::Text) => Body::Text(gsm7::decode(bytes)?),
        (Coding::Ucs2 | Coding::EightBit, _) => Body::Octets(bytes.to_vec()),
    };
    Ok(Part {
        coding: atoms.coding,
        udh,
        body,
        units,
        concat,
    })
}

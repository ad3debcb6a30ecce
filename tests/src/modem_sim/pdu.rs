//! The fake modem's own PDU codec, written apart from the gateway's
//! (`bearerbox::smsc::at::pdu`) so that each checks the other: it decodes
//! the SMS-SUBMITs the driver writes and encodes the SMS-DELIVERs and
//! SMS-STATUS-REPORTs it injects.
//!
//! Where the gateway packs septets after "fill bits", this codec sees the
//! user data as one little-endian bit stream of septets and skips the
//! septets the header covers: the same result by another road.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SimPduError {
    #[error("not hexadecimal: {0}")]
    Hex(String),
    #[error("PDU too short: {0}")]
    Short(&'static str),
    #[error("first octet 0x{0:02X} is not an SMS-SUBMIT")]
    NotSubmit(u8),
    #[error("TP-UDL {udl} needs {needed} octets, {left} left")]
    UserDataLength {
        udl: usize,
        needed: usize,
        left: usize,
    },
    #[error("bad user data header: {0}")]
    Header(String),
    #[error("septet 0x{0:02X} after an escape has no meaning")]
    Escape(u8),
    #[error("odd UCS-2 length {0}")]
    OddUcs2(usize),
}

/// The GSM 03.38 default alphabet, one char per septet value; the escape
/// (0x1B) is a placeholder never produced from text.
const ALPHABET: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const EXTENDED: &[(char, u8)] = &[
    ('\u{0C}', 0x0A),
    ('^', 0x14),
    ('{', 0x28),
    ('}', 0x29),
    ('\\', 0x2F),
    ('[', 0x3C),
    ('~', 0x3D),
    (']', 0x3E),
    ('|', 0x40),
    ('€', 0x65),
];

fn septet_char(value: u8) -> Option<char> {
    ALPHABET.chars().nth(usize::from(value))
}

/// Text → septets, or `None` when a character has no GSM mapping.
pub fn to_septets(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for ch in text.chars() {
        if let Some(position) = ALPHABET.chars().position(|c| c == ch && c != '\u{1B}') {
            out.push(position as u8);
        } else if let Some(&(_, code)) = EXTENDED.iter().find(|(c, _)| *c == ch) {
            out.extend([0x1B, code]);
        } else {
            return None;
        }
    }
    Some(out)
}

/// Septets → text.
pub fn from_septets(septets: &[u8]) -> Result<String, SimPduError> {
    let mut out = String::new();
    let mut iter = septets.iter();
    while let Some(&s) = iter.next() {
        if s == 0x1B {
            let next = iter.next().copied().unwrap_or(0);
            let ch = EXTENDED
                .iter()
                .find(|(_, code)| *code == next)
                .map(|(c, _)| *c)
                .ok_or(SimPduError::Escape(next))?;
            out.push(ch);
        } else {
            out.extend(septet_char(s));
        }
    }
    Ok(out)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

pub fn unhex(text: &str) -> Result<Vec<u8>, SimPduError> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return Err(SimPduError::Hex(text.to_owned()));
    }
    (0..text.len() / 2)
        .map(|i| {
            text.get(2 * i..2 * i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| SimPduError::Hex(text.to_owned()))
        })
        .collect()
}

/// Reads septet number `index` of a little-endian bit stream.
fn septet_at(octets: &[u8], index: usize) -> u8 {
    let bit = index * 7;
    let mut value = 0u8;
    for k in 0..7 {
        let b = bit + k;
        let set = octets.get(b / 8).is_some_and(|o| o >> (b % 8) & 1 == 1);
        if set {
            value |= 1 << k;
        }
    }
    value
}

/// Writes septets into a bit stream after `skip` septets' worth of bits
/// that `prefix` (the header) already fills.
fn septets_into(prefix: &[u8], skip: usize, septets: &[u8]) -> Vec<u8> {
    let bits = (skip + septets.len()) * 7;
    let mut out = prefix.to_vec();
    out.resize(bits.div_ceil(8).max(prefix.len()), 0);
    for (i, &s) in septets.iter().enumerate() {
        for k in 0..7 {
            if s >> k & 1 == 1 {
                let b = (skip + i) * 7 + k;
                if let Some(o) = out.get_mut(b / 8) {
                    *o |= 1 << (b % 8);
                }
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimAlphabet {
    Gsm,
    Data,
    Ucs2,
}

/// What the simulator saw in one SMS-SUBMIT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedSubmit {
    /// The PDU had an SMSC address field in front (`00` or a number).
    pub had_sca: bool,
    pub status_report_requested: bool,
    pub destination: String,
    pub type_of_address: u8,
    pub pid: u8,
    pub dcs: u8,
    pub alphabet: SimAlphabet,
    pub validity: Option<u8>,
    pub udh: Vec<u8>,
    /// (reference, total, sequence) from an 8-bit concatenation element.
    pub concat: Option<(u8, u8, u8)>,
    /// The text (GSM or UCS-2) or the data as hex (8-bit).
    pub text: String,
}

/// Decodes `AT+CMGS=<tpdu_len>` data: SMSC address (unless `no_sca`), then
/// the SUBMIT, whose length must be `tpdu_len`.
pub fn decode_submit(pdu: &[u8], tpdu_len: usize) -> Result<DecodedSubmit, SimPduError> {
    let sca_len = pdu
        .len()
        .checked_sub(tpdu_len)
        .ok_or(SimPduError::Short("TPDU"))?;
    let sca = pdu.get(..sca_len).unwrap_or_default();
    if let Some(&declared) = sca.first()
        && usize::from(declared) + 1 != sca_len
    {
        return Err(SimPduError::Short(
            "the SMSC address length does not match AT+CMGS",
        ));
    }
    let tpdu = pdu.get(sca_len..).unwrap_or_default();
    let at = |i: usize, what| tpdu.get(i).copied().ok_or(SimPduError::Short(what));
    let first = at(0, "first octet")?;
    if first & 0x03 != 0x01 {
        return Err(SimPduError::NotSubmit(first));
    }
    let digits = usize::from(at(2, "TP-DA length")?);
    let toa = at(3, "TP-DA type")?;
    let address_octets = digits.div_ceil(2);
    let address = tpdu
        .get(4..4 + address_octets)
        .ok_or(SimPduError::Short("TP-DA"))?;
    let mut destination = String::new();
    if toa == 0x91 {
        destination.push('+');
    }
    for i in 0..digits {
        let octet = address.get(i / 2).copied().unwrap_or(0xFF);
        let nibble = if i % 2 == 0 { octet & 0x0F } else { octet >> 4 };
        destination.push(match nibble {
            0..=9 => char::from(b'0' + nibble),
            0xA => '*',
            0xB => '#',
            _ => '?',
        });
    }
    let mut i = 4 + address_octets;
    let pid = at(i, "TP-PID")?;
    let dcs = at(i + 1, "TP-DCS")?;
    i += 2;
    let validity = match (first >> 3) & 0x03 {
        0 => None,
        2 => {
            i += 1;
            Some(at(i - 1, "TP-VP")?)
        }
        _ => {
            i += 7;
            None
        }
    };
    let udl = usize::from(at(i, "TP-UDL")?);
    let ud = tpdu.get(i + 1..).unwrap_or_default();
    let alphabet = match dcs & 0xF0 {
        0xF0 if dcs & 0x04 != 0 => SimAlphabet::Data,
        0xF0 => SimAlphabet::Gsm,
        _ => match (dcs >> 2) & 0x03 {
            0 => SimAlphabet::Gsm,
            2 => SimAlphabet::Ucs2,
            _ => SimAlphabet::Data,
        },
    };
    let needed = match alphabet {
        SimAlphabet::Gsm => (udl * 7).div_ceil(8),
        _ => udl,
    };
    if ud.len() != needed {
        return Err(SimPduError::UserDataLength {
            udl,
            needed,
            left: ud.len(),
        });
    }
    let udh: Vec<u8> = if first & 0x40 != 0 {
        let len = usize::from(*ud.first().ok_or(SimPduError::Header("empty".into()))?);
        ud.get(..=len)
            .ok_or_else(|| SimPduError::Header(format!("length {len} past the data")))?
            .to_vec()
    } else {
        Vec::new()
    };
    let concat = concat_of(&udh)?;
    let text = match alphabet {
        SimAlphabet::Gsm => {
            let skip = (udh.len() * 8).div_ceil(7);
            let septets: Vec<u8> = (skip..udl).map(|k| septet_at(ud, k)).collect();
            from_septets(&septets)?
        }
        SimAlphabet::Ucs2 => {
            let body = ud.get(udh.len()..).unwrap_or_default();
            if body.len() % 2 != 0 {
                return Err(SimPduError::OddUcs2(body.len()));
            }
            let units: Vec<u16> = body
                .chunks(2)
                .map(|p| {
                    u16::from(p.first().copied().unwrap_or(0)) << 8
                        | u16::from(p.get(1).copied().unwrap_or(0))
                })
                .collect();
            String::from_utf16_lossy(&units)
        }
        SimAlphabet::Data => hex(ud.get(udh.len()..).unwrap_or_default()),
    };
    Ok(DecodedSubmit {
        had_sca: sca_len > 0,
        status_report_requested: first & 0x20 != 0,
        destination,
        type_of_address: toa,
        pid,
        dcs,
        alphabet,
        validity,
        udh,
        concat,
        text,
    })
}

fn concat_of(udh: &[u8]) -> Result<Option<(u8, u8, u8)>, SimPduError> {
    let mut elements = udh.get(1..).unwrap_or_default();
    while let [iei, len, rest @ ..] = elements {
        let len = usize::from(*len);
        let data = rest.get(..len).ok_or_else(|| {
            SimPduError::Header(format!("element 0x{iei:02X} runs past the header"))
        })?;
        if *iei == 0x00 {
            return match data {
                &[r, total, seq] if total > 0 && seq >= 1 && seq <= total => {
                    Ok(Some((r, total, seq)))
                }
                _ => Err(SimPduError::Header(format!(
                    "bad concatenation element {data:02X?}"
                ))),
            };
        }
        elements = rest.get(len..).unwrap_or_default();
    }
    Ok(None)
}

fn address_field(number: &str) -> Vec<u8> {
    let (digits, toa) = match number.strip_prefix('+') {
        Some(rest) => (rest, 0x91),
        None => (number, 0x81),
    };
    let nibbles: Vec<u8> = digits
        .bytes()
        .map(|d| d.wrapping_sub(b'0') & 0x0F)
        .collect();
    let mut out = vec![digits.len() as u8, toa];
    for pair in nibbles.chunks(2) {
        let low = pair.first().copied().unwrap_or(0xF);
        let high = pair.get(1).copied().unwrap_or(0xF);
        out.push(high << 4 | low);
    }
    out
}

/// The simulated network's SMSC, in front of every PDU the modem shows.
const SMSC: &str = "+46700000000";
/// 2026-11-25 12:00:00 +01:00, swapped BCD.
const TIMESTAMP: [u8; 7] = [0x62, 0x11, 0x52, 0x21, 0x00, 0x00, 0x40];

fn smsc_prefix() -> Vec<u8> {
    let field = address_field(SMSC);
    // In front of a PDU the length counts octets (type included), not digits.
    let mut out = vec![(field.len() - 1) as u8];
    out.extend(field.get(1..).unwrap_or_default());
    out
}

/// SMS-DELIVER PDUs (with the SMSC address) carrying `text` from `from`:
/// GSM 7-bit when every character has a mapping, else UCS-2; concatenated
/// with reference `reference` when it does not fit one.
pub fn deliver_pdus(from: &str, text: &str, reference: u8) -> Vec<Vec<u8>> {
    enum Units {
        Gsm(Vec<u8>),
        Ucs2(Vec<u16>),
    }
    let units = match to_septets(text) {
        Some(septets) => Units::Gsm(septets),
        None => Units::Ucs2(text.encode_utf16().collect()),
    };
    let (single, per_part, total_units) = match &units {
        Units::Gsm(s) => (160, 153, s.len()),
        Units::Ucs2(u) => (70, 67, u.len()),
    };
    let ranges: Vec<(usize, usize)> = if total_units <= single {
        vec![(0, total_units)]
    } else {
        let mut ranges = Vec::new();
        let mut start = 0;
        while start < total_units {
            let mut end = (start + per_part).min(total_units);
            // An escape and its character stay together.
            if let Units::Gsm(s) = &units
                && end < total_units
                && s.get(end - 1) == Some(&0x1B)
            {
                end -= 1;
            }
            ranges.push((start, end));
            start = end;
        }
        ranges
    };
    let total = ranges.len();
    ranges
        .iter()
        .enumerate()
        .map(|(i, &(start, end))| {
            let udh = if total > 1 {
                vec![5, 0, 3, reference, total as u8, i as u8 + 1]
            } else {
                Vec::new()
            };
            let mut pdu = smsc_prefix();
            pdu.push(if udh.is_empty() { 0x04 } else { 0x44 });
            pdu.extend(address_field(from));
            pdu.push(0x00);
            match &units {
                Units::Gsm(septets) => {
                    let part = septets.get(start..end).unwrap_or_default();
                    let skip = (udh.len() * 8).div_ceil(7);
                    pdu.push(0x00);
                    pdu.extend(TIMESTAMP);
                    pdu.push((skip + part.len()) as u8);
                    pdu.extend(septets_into(&udh, skip, part));
                }
                Units::Ucs2(code_units) => {
                    let part = code_units.get(start..end).unwrap_or_default();
                    pdu.push(0x08);
                    pdu.extend(TIMESTAMP);
                    pdu.push((udh.len() + 2 * part.len()) as u8);
                    pdu.extend(&udh);
                    pdu.extend(part.iter().flat_map(|u| u.to_be_bytes()));
                }
            }
            pdu
        })
        .collect()
}

/// An SMS-STATUS-REPORT (with the SMSC address) for message reference `mr`.
pub fn status_report_pdu(mr: u8, recipient: &str, status: u8) -> Vec<u8> {
    let mut pdu = smsc_prefix();
    pdu.extend([0x06, mr]);
    pdu.extend(address_field(recipient));
    pdu.extend(TIMESTAMP);
    pdu.extend(TIMESTAMP);
    pdu.push(status);
    pdu
}

/// The TPDU length of a PDU built here (what `+CMT: ,<len>` announces).
pub fn tpdu_len(pdu: &[u8]) -> usize {
    pdu.len()
        .saturating_sub(1 + usize::from(pdu.first().copied().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_submit_decodes_to_hellohello() -> Result<(), SimPduError> {
        let pdu = unhex("0011000B916407281553F80000AA0AE8329BFD4697D9EC37")?;
        let submit = decode_submit(&pdu, pdu.len() - 1)?;
        assert_eq!(submit.destination, "+46708251358");
        assert_eq!(submit.text, "hellohello");
        assert_eq!(submit.validity, Some(0xAA));
        Ok(())
    }

    #[test]
    fn a_deliver_built_here_has_the_classic_user_data() {
        let pdus = deliver_pdus("+27838890001", "hellohello", 0);
        let hex = hex(pdus.first().map(Vec::as_slice).unwrap_or_default());
        assert!(hex.ends_with("0AE8329BFD4697D9EC37"), "{hex}");
    }

    #[test]
    fn a_long_text_is_delivered_in_concatenated_parts() {
        let pdus = deliver_pdus("+4670", &"y".repeat(320), 9);
        assert_eq!(pdus.len(), 3);
    }
}

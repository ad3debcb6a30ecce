//! The three TPDUs a GSM modem speaks in PDU mode (3GPP TS 23.040 §9.2.2):
//! SMS-SUBMIT (ours, to the network), SMS-DELIVER (an MO, from it) and
//! SMS-STATUS-REPORT (a delivery report). Pure: bytes in, values out.
//!
//! Each TPDU has `parse` and `emit`, so that the tests can go round in both
//! directions; the driver only emits SUBMITs and parses the other two. Text
//! stays in the coding it travels in: 7-bit user data is kept as unpacked
//! septets, 8-bit and UCS-2 as octets, and the caller converts.
//!
//! # Layout
//! - [`Address`]: TP-DA / TP-OA / TP-RA, and the SMSC address in front of a PDU.
//! - [`Dcs`], [`Alphabet`]: what the data coding scheme says about the user data.
//! - [`UserData`]: TP-UD with its header, packed or not as the DCS says.
//! - [`Submit`], [`Deliver`], [`StatusReport`]; [`split_sca`] for the PDU prefix.
//! - [`relative_validity`], [`StatusClass`], hex helpers.
//!
//! Nothing here trusts its input: every length is checked against what is
//! left, and a short or malformed PDU is a [`PduError`], never a panic.

use box_protocol::encoding::gsm7;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PduError {
    #[error("PDU ends inside {what}: {needed} more octets needed, {available} left")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("'{found}' at offset {offset} is not a hexadecimal digit")]
    BadHex { offset: usize, found: char },
    #[error("hexadecimal PDU has an odd number of digits ({digits})")]
    OddHex { digits: usize },
    #[error("TP-MTI {found} is not an {expected}")]
    WrongType { expected: &'static str, found: u8 },
    #[error("address \"{0}\" has characters that are not digits, '*', '#' or a leading '+'")]
    BadAddress(String),
    #[error("user data: {0}")]
    BadUserData(String),
}

/// Reads octets front to back, with a name for each field in errors.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn u8(&mut self, what: &'static str) -> Result<u8, PduError> {
        self.take(1, what)
            .map(|b| b.first().copied().unwrap_or_default())
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], PduError> {
        if self.bytes.len() < n {
            return Err(PduError::Truncated {
                what,
                needed: n - self.bytes.len(),
                available: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.bytes)
    }
}

// ---- hex -------------------------------------------------------------------

/// Octets as the uppercase hex digits AT commands carry.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    out
}

/// Hex digits (either case) to octets.
pub fn from_hex(text: &str) -> Result<Vec<u8>, PduError> {
    let text = text.trim();
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(PduError::OddHex {
            digits: digits.len(),
        });
    }
    let nibble = |offset: usize, c: u8| {
        char::from(c)
            .to_digit(16)
            .map(|d| d as u8)
            .ok_or(PduError::BadHex {
                offset,
                found: char::from(c),
            })
    };
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| match pair {
            &[hi, lo] => Ok(nibble(2 * i, hi)? << 4 | nibble(2 * i + 1, lo)?),
            _ => Err(PduError::OddHex {
                digits: digits.len(),
            }),
        })
        .collect()
}

// ---- addresses ---------------------------------------------------------------

/// Type of address: international number, ISDN numbering plan.
pub const TOA_INTERNATIONAL: u8 = 0x91;
/// Type of address: unknown type, ISDN numbering plan.
pub const TOA_UNKNOWN: u8 = 0x81;
/// Type of number "alphanumeric" (bits 6..4 = 101), GSM 7-bit packed.
const TON_ALPHANUMERIC: u8 = 0x50;

/// A phone number or an alphanumeric sender. International numbers are
/// written with a leading `+`, which the type of address carries on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub number: String,
    pub toa: u8,
}

impl Address {
    /// `+4670…` → international; digits → unknown type. Letters are refused:
    /// a modem cannot send to an alphanumeric address.
    pub fn from_number(number: &str) -> Result<Address, PduError> {
        let (digits, toa) = match number.strip_prefix('+') {
            Some(rest) => (rest, TOA_INTERNATIONAL),
            None => (number, TOA_UNKNOWN),
        };
        // TS 23.040 §9.1.2.5: at most 20 digits.
        if digits.is_empty()
            || digits.len() > 20
            || !digits
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
        {
            return Err(PduError::BadAddress(number.to_owned()));
        }
        Ok(Address {
            number: number.to_owned(),
            toa,
        })
    }

    fn digits(&self) -> &str {
        self.number.strip_prefix('+').unwrap_or(&self.number)
    }

    /// TP-DA form: length in semi-octets, type, swapped BCD.
    fn emit(&self, out: &mut Vec<u8>) {
        let digits = self.digits();
        // Addresses are at most 20 digits: a u8 holds the count.
        out.push(digits.len() as u8);
        out.push(self.toa);
        out.extend(bcd(digits));
    }

    /// TP-OA / TP-RA form.
    fn parse(r: &mut Reader<'_>) -> Result<Address, PduError> {
        let semi_octets = usize::from(r.u8("the address length")?);
        let toa = r.u8("the type of address")?;
        let value = r.take(semi_octets.div_ceil(2), "the address")?;
        Address::from_wire(toa, value, semi_octets)
    }

    fn from_wire(toa: u8, value: &[u8], semi_octets: usize) -> Result<Address, PduError> {
        if toa & 0x70 == TON_ALPHANUMERIC {
            let septets = gsm7::unpack(value, 0, semi_octets * 4 / 7)
                .map_err(|e| PduError::BadAddress(e.to_string()))?;
            let number = gsm7::decode(&septets).map_err(|e| PduError::BadAddress(e.to_string()))?;
            return Ok(Address { number, toa });
        }
        let mut number = String::new();
        if toa & 0x70 == 0x10 {
            number.push('+');
        }
        number.extend(unbcd(value).take(semi_octets));
        Ok(Address { number, toa })
    }

    /// The SMSC address in front of a PDU: length in *octets* (type
    /// included), zero meaning "the one the modem has".
    fn emit_sca(&self, out: &mut Vec<u8>) {
        let value = bcd(self.digits());
        out.push(value.len() as u8 + 1);
        out.push(self.toa);
        out.extend(value);
    }
}

fn bcd(digits: &str) -> Vec<u8> {
    let nibble = |c: u8| match c {
        b'*' => 0xA,
        b'#' => 0xB,
        other => other.wrapping_sub(b'0') & 0x0F,
    };
    digits
        .as_bytes()
        .chunks(2)
        .map(|pair| match *pair {
            [a, b] => nibble(b) << 4 | nibble(a),
            [a] => 0xF0 | nibble(a),
            _ => 0xFF,
        })
        .collect()
}

fn unbcd(value: &[u8]) -> impl Iterator<Item = char> + '_ {
    let digit = |n: u8| match n {
        0..=9 => Some(char::from(b'0' + n)),
        0xA => Some('*'),
        0xB => Some('#'),
        0xC => Some('a'),
        0xD => Some('b'),
        0xE => Some('c'),
        _ => None,
    };
    value
        .iter()
        .flat_map(move |&b| [digit(b & 0x0F), digit(b >> 4)])
        .map_while(|d| d)
}

/// Splits a PDU as the modem shows it (SMSC address, then the TPDU). The
/// address is `None` when its length is zero.
pub fn split_sca(pdu: &[u8]) -> Result<(Option<Address>, &[u8]), PduError> {
    let mut r = Reader { bytes: pdu };
    let len = usize::from(r.u8("the SMSC address length")?);
    if len == 0 {
        return Ok((None, r.rest()));
    }
    let toa = r.u8("the SMSC type of address")?;
    let value = r.take(len - 1, "the SMSC address")?;
    let sca = Address::from_wire(toa, value, 2 * value.len())?;
    Ok((Some(sca), r.rest()))
}

/// The prefix of a PDU that leaves the SMSC address to the modem.
pub fn default_sca() -> Vec<u8> {
    vec![0]
}

/// The prefix naming the SMSC explicitly.
pub fn sca(address: &Address) -> Vec<u8> {
    let mut out = Vec::new();
    address.emit_sca(&mut out);
    out
}

// ---- data coding -------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    Gsm7,
    EightBit,
    Ucs2,
}

/// What a TP-DCS octet says (TS 23.038 §4), as far as a gateway cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dcs {
    pub alphabet: Alphabet,
    pub class: Option<u8>,
    pub compressed: bool,
}

impl Dcs {
    pub fn parse(octet: u8) -> Dcs {
        let alphabet_bits = |bits: u8| match bits & 0x0C {
            0x04 => Alphabet::EightBit,
            0x08 => Alphabet::Ucs2,
            _ => Alphabet::Gsm7,
        };
        match octet & 0xF0 {
            // General data coding, with and without the "marked for deletion" bit.
            0x00..=0x30 | 0x40..=0x70 => Dcs {
                alphabet: alphabet_bits(octet),
                class: (octet & 0x10 != 0).then_some(octet & 0x03),
                compressed: octet & 0x20 != 0,
            },
            // Message waiting groups: discard/store with GSM, store with UCS-2.
            0xC0 | 0xD0 => Dcs {
                alphabet: Alphabet::Gsm7,
                class: None,
                compressed: false,
            },
            0xE0 => Dcs {
                alphabet: Alphabet::Ucs2,
                class: None,
                compressed: false,
            },
            0xF0 => Dcs {
                alphabet: if octet & 0x04 != 0 {
                    Alphabet::EightBit
                } else {
                    Alphabet::Gsm7
                },
                class: Some(octet & 0x03),
                compressed: false,
            },
            // Reserved groups: TS 23.038 says to treat the data as 8-bit.
            _ => Dcs {
                alphabet: Alphabet::EightBit,
                class: None,
                compressed: false,
            },
        }
    }

    /// The octet for an uncompressed message, in the general group.
    pub fn octet(alphabet: Alphabet, class: Option<u8>) -> u8 {
        let coding = match alphabet {
            Alphabet::Gsm7 => 0x00,
            Alphabet::EightBit => 0x04,
            Alphabet::Ucs2 => 0x08,
        };
        match class {
            Some(class) => 0x10 | coding | (class & 0x03),
            None => coding,
        }
    }
}

// ---- user data ----------------------------------------------------------------

/// TP-UD: an optional header (with its length octet) and the body, which
/// holds unpacked septets for the GSM alphabet and octets otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserData {
    pub udh: Vec<u8>,
    pub body: Vec<u8>,
}

impl UserData {
    /// TP-UDL then TP-UD.
    fn emit(&self, alphabet: Alphabet, out: &mut Vec<u8>) -> Result<(), PduError> {
        let (length, octets) = match alphabet {
            Alphabet::Gsm7 => {
                let fill = gsm7::fill_bits_after_udh(self.udh.len());
                let packed = gsm7::pack(&self.body, if self.udh.is_empty() { 0 } else { fill })
                    .map_err(|e| PduError::BadUserData(e.to_string()))?;
                let septets = if self.udh.is_empty() {
                    self.body.len()
                } else {
                    gsm7::udh_septets(self.udh.len()) + self.body.len()
                };
                (septets, packed)
            }
            Alphabet::EightBit | Alphabet::Ucs2 => {
                (self.udh.len() + self.body.len(), self.body.clone())
            }
        };
        let length = u8::try_from(length)
            .map_err(|_| PduError::BadUserData(format!("{length} units do not fit in one SMS")))?;
        if self.udh.len() + octets.len() > 140 {
            return Err(PduError::BadUserData(format!(
                "{} octets do not fit the 140 of one SMS",
                self.udh.len() + octets.len()
            )));
        }
        out.push(length);
        out.extend_from_slice(&self.udh);
        out.extend_from_slice(&octets);
        Ok(())
    }

    fn parse(r: &mut Reader<'_>, alphabet: Alphabet, has_udh: bool) -> Result<UserData, PduError> {
        let length = usize::from(r.u8("TP-UDL")?);
        let octets = match alphabet {
            Alphabet::Gsm7 => (length * 7).div_ceil(8),
            _ => length,
        };
        let ud = r.take(octets, "TP-UD")?;
        let udh_len = if has_udh {
            match ud.first() {
                Some(&l) => usize::from(l) + 1,
                None => return Err(PduError::BadUserData("UDHI set but no header".into())),
            }
        } else {
            0
        };
        let Some((udh, rest)) = ud.split_at_checked(udh_len) else {
            return Err(PduError::BadUserData(format!(
                "a header of {udh_len} octets in {} octets of user data",
                ud.len()
            )));
        };
        let body = match alphabet {
            Alphabet::Gsm7 => {
                let (fill, skipped) = if udh.is_empty() {
                    (0, 0)
                } else {
                    (
                        gsm7::fill_bits_after_udh(udh.len()),
                        gsm7::udh_septets(udh.len()),
                    )
                };
                let septets = length.checked_sub(skipped).ok_or_else(|| {
                    PduError::BadUserData(format!(
                        "TP-UDL {length} is shorter than its {skipped}-septet header"
                    ))
                })?;
                gsm7::unpack(rest, fill, septets)
                    .map_err(|e| PduError::BadUserData(e.to_string()))?
            }
            _ => rest.to_vec(),
        };
        Ok(UserData {
            udh: udh.to_vec(),
            body,
        })
    }
}

// ---- SMS-SUBMIT ------------------------------------------------------------------

/// Bits of the first octet.
const MTI_MASK: u8 = 0x03;
const MTI_DELIVER: u8 = 0x00;
const MTI_SUBMIT: u8 = 0x01;
const MTI_STATUS_REPORT: u8 = 0x02;
const UDHI: u8 = 0x40;
const SRR: u8 = 0x20;
const VPF_RELATIVE: u8 = 0x10;
const VPF_MASK: u8 = 0x18;
const MMS: u8 = 0x04;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    /// TP-SRR: ask for a status report.
    pub status_report: bool,
    /// TP-MR: the modem puts its own; 0 is what a TE sends.
    pub reference: u8,
    pub destination: Address,
    pub pid: u8,
    pub dcs: u8,
    /// Relative TP-VP (TS 23.040 §9.2.3.12.1).
    pub validity: Option<u8>,
    pub user_data: UserData,
}

impl Submit {
    /// The TPDU, without the SMSC address prefix.
    pub fn emit(&self) -> Result<Vec<u8>, PduError> {
        let mut out = Vec::with_capacity(176);
        let mut first = MTI_SUBMIT;
        if self.validity.is_some() {
            first |= VPF_RELATIVE;
        }
        if self.status_report {
            first |= SRR;
        }
        if !self.user_data.udh.is_empty() {
            first |= UDHI;
        }
        out.push(first);
        out.push(self.reference);
        self.destination.emit(&mut out);
        out.push(self.pid);
        out.push(self.dcs);
        if let Some(vp) = self.validity {
            out.push(vp);
        }
        self.user_data
            .emit(Dcs::parse(self.dcs).alphabet, &mut out)?;
        Ok(out)
    }

    pub fn parse(tpdu: &[u8]) -> Result<Submit, PduError> {
        let mut r = Reader { bytes: tpdu };
        let first = r.u8("the first octet")?;
        if first & MTI_MASK != MTI_SUBMIT {
            return Err(PduError::WrongType {
                expected: "SMS-SUBMIT",
                found: first & MTI_MASK,
            });
        }
        let reference = r.u8("TP-MR")?;
        let destination = Address::parse(&mut r)?;
        let pid = r.u8("TP-PID")?;
        let dcs = r.u8("TP-DCS")?;
        let validity = match first & VPF_MASK {
            0x00 => None,
            VPF_RELATIVE => Some(r.u8("TP-VP")?),
            // Enhanced and absolute formats take seven octets; only relative
            // is kept.
            _ => {
                r.take(7, "TP-VP")?;
                None
            }
        };
        let user_data = UserData::parse(&mut r, Dcs::parse(dcs).alphabet, first & UDHI != 0)?;
        Ok(Submit {
            status_report: first & SRR != 0,
            reference,
            destination,
            pid,
            dcs,
            validity,
            user_data,
        })
    }
}

/// Minutes of validity as the relative TP-VP octet, rounded down to what it
/// can say; at least five minutes, at most 63 weeks.
pub fn relative_validity(minutes: i64) -> u8 {
    let code = match minutes {
        i64::MIN..=5 => 0,
        6..=720 => minutes / 5 - 1,
        721..=1440 => 143 + (minutes - 720) / 30,
        1441..=43_200 => 166 + minutes / 1440,
        _ => 192 + minutes / 10_080,
    };
    code.clamp(0, 255) as u8
}

// ---- SMS-DELIVER -------------------------------------------------------------------

/// TP-SCTS / TP-DT as the seven swapped-BCD octets the network sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timestamp(pub [u8; 7]);

impl Timestamp {
    fn parse(r: &mut Reader<'_>, what: &'static str) -> Result<Timestamp, PduError> {
        let raw = r.take(7, what)?;
        let mut octets = [0u8; 7];
        octets.copy_from_slice(raw);
        Ok(Timestamp(octets))
    }

    /// Year (two digits), month, day, hour, minute, second, and the zone in
    /// quarter hours (negative west of Greenwich).
    pub fn fields(&self) -> [i32; 7] {
        let swap = |b: u8| i32::from(b & 0x0F) * 10 + i32::from((b >> 4) & 0x0F);
        let [y, mo, d, h, mi, s, tz] = self.0;
        let zone = i32::from(tz & 0x07) * 10 + i32::from(tz >> 4);
        let zone = if tz & 0x08 != 0 { -zone } else { zone };
        [swap(y), swap(mo), swap(d), swap(h), swap(mi), swap(s), zone]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deliver {
    /// TP-MMS clear: the SMSC has more messages for us.
    pub more_messages: bool,
    pub originator: Address,
    pub pid: u8,
    pub dcs: u8,
    pub timestamp: Timestamp,
    pub user_data: UserData,
}

impl Deliver {
    pub fn parse(tpdu: &[u8]) -> Result<Deliver, PduError> {
        let mut r = Reader { bytes: tpdu };
        let first = r.u8("the first octet")?;
        if first & MTI_MASK != MTI_DELIVER {
            return Err(PduError::WrongType {
                expected: "SMS-DELIVER",
                found: first & MTI_MASK,
            });
        }
        let originator = Address::parse(&mut r)?;
        let pid = r.u8("TP-PID")?;
        let dcs = r.u8("TP-DCS")?;
        let timestamp = Timestamp::parse(&mut r, "TP-SCTS")?;
        let user_data = UserData::parse(&mut r, Dcs::parse(dcs).alphabet, first & UDHI != 0)?;
        Ok(Deliver {
            more_messages: first & MMS == 0,
            originator,
            pid,
            dcs,
            timestamp,
            user_data,
        })
    }

    pub fn emit(&self) -> Result<Vec<u8>, PduError> {
        let mut out = Vec::with_capacity(176);
        let mut first = MTI_DELIVER;
        if !self.more_messages {
            first |= MMS;
        }
        if !self.user_data.udh.is_empty() {
            first |= UDHI;
        }
        out.push(first);
        self.originator.emit(&mut out);
        out.push(self.pid);
        out.push(self.dcs);
        out.extend_from_slice(&self.timestamp.0);
        self.user_data
            .emit(Dcs::parse(self.dcs).alphabet, &mut out)?;
        Ok(out)
    }
}

// ---- SMS-STATUS-REPORT ---------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// TP-MR of the SUBMIT this reports on: the `+CMGS: <mr>` we got.
    pub reference: u8,
    pub recipient: Address,
    pub submitted: Timestamp,
    pub discharged: Timestamp,
    /// TP-ST.
    pub status: u8,
}

impl StatusReport {
    pub fn parse(tpdu: &[u8]) -> Result<StatusReport, PduError> {
        let mut r = Reader { bytes: tpdu };
        let first = r.u8("the first octet")?;
        if first & MTI_MASK != MTI_STATUS_REPORT {
            return Err(PduError::WrongType {
                expected: "SMS-STATUS-REPORT",
                found: first & MTI_MASK,
            });
        }
        let reference = r.u8("TP-MR")?;
        let recipient = Address::parse(&mut r)?;
        let submitted = Timestamp::parse(&mut r, "TP-SCTS")?;
        let discharged = Timestamp::parse(&mut r, "TP-DT")?;
        let status = r.u8("TP-ST")?;
        // TP-PI and what it announces are optional and of no use here.
        Ok(StatusReport {
            reference,
            recipient,
            submitted,
            discharged,
            status,
        })
    }

    pub fn emit(&self) -> Vec<u8> {
        let mut out = vec![MTI_STATUS_REPORT, self.reference];
        self.recipient.emit(&mut out);
        out.extend_from_slice(&self.submitted.0);
        out.extend_from_slice(&self.discharged.0);
        out.push(self.status);
        out
    }
}

/// The three kinds of TP-ST (TS 23.040 §9.2.3.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusClass {
    /// 0x00..=0x1F: the transaction is complete (delivered, or replaced).
    Completed,
    /// 0x20..=0x3F: the SMSC is still trying.
    Pending,
    /// Anything else: it gave up.
    Failed,
}

impl StatusClass {
    pub fn of(status: u8) -> StatusClass {
        match status {
            0x00..=0x1F => StatusClass::Completed,
            0x20..=0x3F => StatusClass::Pending,
            _ => StatusClass::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use box_protocol::encoding::gsm7;
    use proptest::prelude::*;

    fn hex(text: &str) -> Vec<u8> {
        from_hex(text).unwrap_or_default()
    }

    #[test]
    fn the_classic_sms_deliver_reads_hellohello_from_its_sender() -> Result<(), PduError> {
        let pdu = hex("07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37");
        let (sca, tpdu) = split_sca(&pdu)?;
        assert_eq!(sca.map(|a| a.number).as_deref(), Some("+27381000015"));
        let deliver = Deliver::parse(tpdu)?;
        assert_eq!(deliver.originator.number, "27838890001");
        assert_eq!(Dcs::parse(deliver.dcs).alphabet, Alphabet::Gsm7);
        assert_eq!(
            gsm7::decode(&deliver.user_data.body).ok().as_deref(),
            Some("hellohello")
        );
        assert_eq!(deliver.timestamp.fields()[..6], [99, 3, 29, 15, 16, 59]);
        Ok(())
    }

    #[test]
    fn the_classic_sms_submit_is_emitted_byte_for_byte() -> Result<(), PduError> {
        let septets = gsm7::encode("hellohello").unwrap_or_default();
        let submit = Submit {
            status_report: false,
            reference: 0,
            destination: Address::from_number("+46708251358")?,
            pid: 0,
            dcs: 0,
            validity: Some(0xAA),
            user_data: UserData {
                udh: Vec::new(),
                body: septets,
            },
        };
        let mut pdu = default_sca();
        pdu.extend(submit.emit()?);
        assert_eq!(
            to_hex(&pdu),
            "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
        );
        Ok(())
    }

    #[test]
    fn a_status_report_names_the_reference_and_the_status() -> Result<(), PduError> {
        // SCA +46 70 xxx, MR 0x1C, RA +46708251358, two timestamps, ST 0.
        let pdu = hex(
            "07916407058099F906 1C 0B916407281553F8 11701112545580 11701112545580 00"
                .replace(' ', "")
                .as_str(),
        );
        let (_, tpdu) = split_sca(&pdu)?;
        let report = StatusReport::parse(tpdu)?;
        assert_eq!(report.reference, 0x1C);
        assert_eq!(report.recipient.number, "+46708251358");
        assert_eq!(StatusClass::of(report.status), StatusClass::Completed);
        assert_eq!(StatusReport::parse(&report.emit())?, report);
        Ok(())
    }

    #[test]
    fn a_header_shifts_7_bit_text_to_a_septet_boundary() -> Result<(), PduError> {
        let body = gsm7::encode("part one").unwrap_or_default();
        let deliver = Deliver {
            more_messages: false,
            originator: Address::from_number("+4670123")?,
            pid: 0,
            dcs: 0,
            timestamp: Timestamp::default(),
            user_data: UserData {
                udh: vec![5, 0, 3, 7, 2, 1],
                body: body.clone(),
            },
        };
        let tpdu = deliver.emit()?;
        // UDL counts the header's 7 septets and the text's 8.
        assert_eq!(tpdu.get(16), Some(&15));
        assert_eq!(Deliver::parse(&tpdu)?, deliver);
        Ok(())
    }

    #[test]
    fn an_alphanumeric_sender_is_read_as_text() -> Result<(), PduError> {
        // "Kannel" packed: TON 5, 12 semi-octets (6 × 7 bits round up to 11).
        let name = gsm7::pack(&gsm7::encode("Kannel").unwrap_or_default(), 0).unwrap_or_default();
        let mut tpdu = vec![0x04, 11, 0xD0];
        tpdu.extend(&name);
        tpdu.extend([0, 0]);
        tpdu.extend([0; 7]);
        tpdu.extend([0]);
        let deliver = Deliver::parse(&tpdu)?;
        assert_eq!(deliver.originator.number, "Kannel");
        Ok(())
    }

    #[test]
    fn truncated_pdus_are_errors_not_panics() {
        let pdu = hex("07917283010010F5040BC87238880900F10000993092516195800AE8329BFD4697D9EC37");
        for cut in 0..pdu.len() {
            let short = pdu.get(..cut).unwrap_or_default();
            let result = split_sca(short).and_then(|(_, tpdu)| Deliver::parse(tpdu));
            assert!(result.is_err(), "cut at {cut} parsed");
        }
    }

    #[test]
    fn letters_are_not_an_address_a_modem_can_send_to() {
        assert!(Address::from_number("Kannel").is_err());
        assert!(Address::from_number("+").is_err());
        assert!(Address::from_number(&"1".repeat(21)).is_err());
    }

    #[test]
    fn validity_minutes_map_to_the_relative_format() {
        assert_eq!(relative_validity(5), 0);
        assert_eq!(relative_validity(720), 143);
        assert_eq!(relative_validity(1440), 167);
        assert_eq!(relative_validity(2 * 1440), 168);
        assert_eq!(relative_validity(5 * 10_080), 197);
        assert_eq!(relative_validity(i64::MAX), 255);
    }

    #[test]
    fn data_coding_schemes_name_their_alphabet_and_class() {
        assert_eq!(Dcs::parse(0x00).alphabet, Alphabet::Gsm7);
        assert_eq!(Dcs::parse(0x08).alphabet, Alphabet::Ucs2);
        assert_eq!(Dcs::parse(0x19).class, Some(1));
        assert_eq!(Dcs::parse(0xF6).alphabet, Alphabet::EightBit);
        assert_eq!(Dcs::octet(Alphabet::Ucs2, Some(1)), 0x19);
    }

    fn number() -> impl Strategy<Value = String> {
        ("[+]?", "[0-9]{1,20}").prop_map(|(plus, digits)| format!("{plus}{digits}"))
    }

    proptest! {
        #[test]
        fn any_submit_survives_emit_then_parse(
            to in number(),
            srr in any::<bool>(),
            vp in proptest::option::of(any::<u8>()),
            alphabet in prop_oneof![Just(Alphabet::Gsm7), Just(Alphabet::EightBit), Just(Alphabet::Ucs2)],
            udh in proptest::option::of(proptest::collection::vec(any::<u8>(), 3..10)),
            seed in proptest::collection::vec(any::<u8>(), 0..120),
        ) {
            let udh = udh.map(|mut ie| { ie.insert(0, ie.len() as u8); ie }).unwrap_or_default();
            let body: Vec<u8> = match alphabet {
                Alphabet::Gsm7 => seed.iter().map(|b| b & 0x7F).take(150 - udh.len() * 8 / 7 - 2).collect(),
                _ => seed.into_iter().take(140 - udh.len()).collect(),
            };
            let submit = Submit {
                status_report: srr,
                reference: 0,
                destination: Address::from_number(&to).map_err(|e| TestCaseError::fail(e.to_string()))?,
                pid: 0,
                dcs: Dcs::octet(alphabet, None),
                validity: vp,
                user_data: UserData { udh, body },
            };
            let tpdu = submit.emit().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(Submit::parse(&tpdu).map_err(|e| TestCaseError::fail(e.to_string()))?, submit);
        }

        #[test]
        fn any_bytes_parse_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = split_sca(&bytes).map(|(_, t)| (Deliver::parse(t), StatusReport::parse(t), Submit::parse(t)));
        }

        #[test]
        fn hex_goes_round(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(from_hex(&to_hex(&bytes)), Ok(bytes));
        }
    }
}

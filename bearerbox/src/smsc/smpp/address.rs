//! Type of number and numbering plan for the addresses of submit_sm, chosen as Kannel chooses
//! them, and the MO sender written back the way the boxes expect it.
//!
//! ```text
//!  sender   "+3912345"   → TON 1 NPI 1 "3912345"   (international, plus stripped)
//!  sender   "003912345"  → TON 1 NPI 1 "3912345"   (international, 00 stripped)
//!  sender   "MyBrand"    → TON 5 NPI 0 "MyBrand"   (alphanumeric)
//!  sender   "12345"      → TON 2 NPI 1 "12345"     (national)
//!  receiver "+4670..."   → TON 1 NPI 1 "4670..."   (receivers keep a 00 prefix as dialled)
//! ```

use box_protocol::encoding::{Charset, CharsetError, gsm7};
use thiserror::Error;

/// International (TON 1).
pub const TON_INTERNATIONAL: u8 = 1;
/// National (TON 2): Kannel's default for numeric addresses.
pub const TON_NATIONAL: u8 = 2;
/// Alphanumeric (TON 5), always with NPI 0.
pub const TON_ALPHANUMERIC: u8 = 5;
/// ISDN / E.164 (NPI 1).
pub const NPI_ISDN: u8 = 1;
/// Unknown (NPI 0).
pub const NPI_UNKNOWN: u8 = 0;

/// The longest address submit_sm carries (21 octets with the NUL).
pub const MAX_ADDRESS_LEN: usize = 20;

/// A TON/NPI pair forced by configuration (`source-addr-ton`/`-npi`, `dest-addr-ton`/`-npi`);
/// Kannel forces only when both keys are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TonNpi {
    pub ton: u8,
    pub npi: u8,
}

/// An address ready for submit_sm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmppAddress {
    pub ton: u8,
    pub npi: u8,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AddressError {
    #[error(
        "{which} \"{address}\" is {len} characters long; SMPP allows at most {MAX_ADDRESS_LEN}"
    )]
    TooLong {
        which: &'static str,
        address: String,
        len: usize,
    },
}

/// `alt-addr-charset`: how alphanumeric addresses are written on the wire. Unset, they go as
/// the UTF-8 the boxes gave, which Kannel does too despite its guide's "windows-1252".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrCharset {
    /// `gsm`: GSM 03.38 septets, one per octet.
    Gsm,
    /// An iconv charset name.
    Other(Charset),
}

impl AddrCharset {
    pub fn from_name(name: &str) -> Result<AddrCharset, CharsetError> {
        if name.trim().eq_ignore_ascii_case("gsm") {
            return Ok(AddrCharset::Gsm);
        }
        Charset::from_name(name).map(AddrCharset::Other)
    }

    /// An alphanumeric sender as it goes in submit_sm. In GSM, `@` is septet 0x00, which
    /// would end the C-octet string early: it goes as `?`, as Kannel sends it.
    pub fn encode(self, text: &str) -> Result<Vec<u8>, CharsetError> {
        match self {
            AddrCharset::Gsm => Ok(gsm7::encode_lossy(&text.replace('@', "?"))),
            AddrCharset::Other(charset) => charset.encode(text),
        }
    }

    /// An alphanumeric address of a deliver_sm as text.
    pub fn decode(self, bytes: &[u8]) -> Result<String, CharsetError> {
        match self {
            AddrCharset::Gsm => gsm7::decode(bytes).map_err(|_| CharsetError::Malformed {
                charset: "GSM 03.38",
                offset: bytes.iter().position(|&b| b > 0x7f).unwrap_or(0),
            }),
            AddrCharset::Other(charset) => charset.decode(bytes),
        }
    }
}

/// An address of a deliver_sm or data_sm as the boxes see it: an alphanumeric one (TON 5) read
/// in `alt-addr-charset` when set; anything else, or what the charset cannot read, as it came.
pub fn mo_address(ton: u8, bytes: &[u8], charset: Option<AddrCharset>) -> String {
    if ton == TON_ALPHANUMERIC
        && let Some(charset) = charset
    {
        match charset.decode(bytes) {
            Ok(text) => return text,
            Err(error) => log::warn!(
                "SMPP: alphanumeric address {:?} is not in alt-addr-charset ({error}); kept as it came",
                String::from_utf8_lossy(bytes)
            ),
        }
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// The source address of an MT: forced TON/NPI when configured, else detected from its form
/// when `autodetect` (`source-addr-autodetect`, on by default), else national ISDN.
pub fn source(
    text: &str,
    forced: Option<TonNpi>,
    autodetect: bool,
) -> Result<SmppAddress, AddressError> {
    let chosen = match forced {
        Some(TonNpi { ton, npi }) => SmppAddress {
            ton,
            npi,
            address: text.to_owned(),
        },
        None if autodetect => detect(text),
        None => SmppAddress {
            ton: TON_NATIONAL,
            npi: NPI_ISDN,
            address: text.to_owned(),
        },
    };
    checked(chosen, "source address")
}

/// The destination address of an MT: forced TON/NPI or national ISDN, and a leading `+` always
/// makes it international with the plus stripped (Kannel does this even when forced).
pub fn destination(text: &str, forced: Option<TonNpi>) -> Result<SmppAddress, AddressError> {
    let TonNpi { mut ton, npi } = forced.unwrap_or(TonNpi {
        ton: TON_NATIONAL,
        npi: NPI_ISDN,
    });
    let address = match text.strip_prefix('+') {
        Some(rest) => {
            ton = TON_INTERNATIONAL;
            rest.to_owned()
        }
        None => text.to_owned(),
    };
    checked(SmppAddress { ton, npi, address }, "destination address")
}

/// The longest alphanumeric address GSM carries (11 characters, 3GPP TS 23.040).
pub const MAX_ALPHANUMERIC_LEN: usize = 11;

/// An address of a deliver_sm or data_sm Kannel refuses (`convert_addr_from_pdu`); the MO is
/// answered with `ESME_RINVSRCADR`, which Kannel sends for the destination too.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MoAddressError {
    #[error("international address \"{address}\" is not all digits")]
    NotDigits { address: String },
    #[error(
        "alphanumeric address \"{address}\" is {len} octets long; GSM allows at most {MAX_ALPHANUMERIC_LEN}"
    )]
    AlphanumericTooLong { address: String, len: usize },
}

/// An address of a deliver_sm or data_sm checked and written as Kannel 1.4.5 passes it on
/// (before `alt-addr-charset` and `unified-prefix`): an international number (TON 1) must be
/// digits, loses a leading `00` and gets a `+`, so that the boxes tell it from a national one
/// and a reply goes out with the right TON; an alphanumeric one (TON 5) may have at most 11
/// octets as it came. Shorter than 4 octets an international number is only logged, as Kannel
/// does (a country code and a short emergency number). An empty address stays empty.
pub fn mo_checked(ton: u8, bytes: &[u8]) -> Result<Vec<u8>, MoAddressError> {
    let shown = || String::from_utf8_lossy(bytes).into_owned();
    match ton {
        TON_INTERNATIONAL if !bytes.is_empty() => {
            if bytes.len() < 4 {
                log::warn!(
                    "SMPP: international address \"{}\" is shorter than a number usually is",
                    shown()
                );
            } else {
                let digits = bytes.strip_prefix(b"+").unwrap_or(bytes);
                if !digits.iter().all(u8::is_ascii_digit) {
                    return Err(MoAddressError::NotDigits { address: shown() });
                }
            }
            let rest = bytes.strip_prefix(b"00").unwrap_or(bytes);
            let mut out = Vec::with_capacity(rest.len() + 1);
            if !rest.starts_with(b"+") {
                out.push(b'+');
            }
            out.extend_from_slice(rest);
            Ok(out)
        }
        TON_ALPHANUMERIC if bytes.len() > MAX_ALPHANUMERIC_LEN => {
            Err(MoAddressError::AlphanumericTooLong {
                address: shown(),
                len: bytes.len(),
            })
        }
        _ => Ok(bytes.to_vec()),
    }
}

fn detect(text: &str) -> SmppAddress {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let international = text
        .strip_prefix('+')
        .or_else(|| text.strip_prefix("00"))
        .filter(|rest| all_digits(rest));
    if let Some(rest) = international {
        return SmppAddress {
            ton: TON_INTERNATIONAL,
            npi: NPI_ISDN,
            address: rest.to_owned(),
        };
    }
    if all_digits(text) || text.is_empty() {
        SmppAddress {
            ton: TON_NATIONAL,
            npi: NPI_ISDN,
            address: text.to_owned(),
        }
    } else {
        SmppAddress {
            ton: TON_ALPHANUMERIC,
            npi: NPI_UNKNOWN,
            address: text.to_owned(),
        }
    }
}

fn checked(address: SmppAddress, which: &'static str) -> Result<SmppAddress, AddressError> {
    let len = address.address.len();
    if len > MAX_ADDRESS_LEN {
        return Err(AddressError::TooLong {
            which,
            address: address.address,
            len,
        });
    }
    Ok(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(address: &SmppAddress) -> (u8, u8, &str) {
        (address.ton, address.npi, address.address.as_str())
    }

    #[test]
    fn a_plus_sender_is_international_without_its_plus() {
        let address = source("+391234567", None, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair(&address), (1, 1, "391234567"));
    }

    #[test]
    fn a_double_zero_sender_is_international_without_its_zeros() {
        let address = source("00391234567", None, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair(&address), (1, 1, "391234567"));
    }

    #[test]
    fn a_sender_with_letters_is_alphanumeric() {
        let address = source("MyBrand", None, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair(&address), (5, 0, "MyBrand"));
        let plus_letters = source("+Brand", None, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair(&plus_letters), (5, 0, "+Brand"));
    }

    #[test]
    fn a_short_code_sender_is_national() {
        let address = source("12345", None, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair(&address), (2, 1, "12345"));
    }

    #[test]
    fn forced_sender_ton_npi_are_used_as_configured() {
        let forced = Some(TonNpi { ton: 0, npi: 9 });
        let address = source("+39123", forced, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair(&address), (0, 9, "+39123"));
    }

    #[test]
    fn a_plus_receiver_is_international_and_others_national() {
        let plus = destination("+46701234567", None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair(&plus), (1, 1, "46701234567"));
        let national = destination("0701234567", None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pair(&national), (2, 1, "0701234567"));
    }

    #[test]
    fn an_address_over_twenty_characters_is_refused() {
        assert!(destination("123456789012345678901", None).is_err());
        assert!(source("A very long brand name", None, true).is_err());
    }

    #[test]
    fn gsm_addresses_are_septets_with_at_sent_as_a_question_mark() {
        let gsm = AddrCharset::from_name("GSM").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(gsm, AddrCharset::Gsm);
        assert_eq!(
            gsm.encode("Shop@è_€"),
            Ok(vec![0x53, 0x68, 0x6f, 0x70, 0x3f, 0x04, 0x11, 0x1b, 0x65])
        );
        assert_eq!(
            gsm.decode(&[0x53, 0x00, 0x04, 0x11, 0x1b, 0x65]),
            Ok("S@è_€".to_owned())
        );
    }

    #[test]
    fn an_iconv_charset_writes_and_reads_alphanumeric_addresses() {
        let latin1 = AddrCharset::from_name("ISO-8859-1").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(latin1.encode("Café"), Ok(vec![0x43, 0x61, 0x66, 0xe9]));
        assert_eq!(
            mo_address(5, &[0x43, 0x61, 0x66, 0xe9], Some(latin1)),
            "Café"
        );
        assert!(AddrCharset::from_name("no-such-charset").is_err());
    }

    #[test]
    fn only_alphanumeric_mo_addresses_are_converted() {
        let latin1 = AddrCharset::from_name("latin1").ok();
        assert_eq!(mo_address(1, b"4670", latin1), "4670");
        assert_eq!(mo_address(5, &[0x43, 0xe9], None), "C\u{fffd}");
        assert_eq!(mo_address(5, &[0x53, 0x00], Some(AddrCharset::Gsm)), "S@");
    }

    fn checked(ton: u8, address: &str) -> Result<String, MoAddressError> {
        mo_checked(ton, address.as_bytes()).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    #[test]
    fn an_international_mo_address_gets_its_plus_back_and_loses_a_double_zero() {
        assert_eq!(checked(1, "46709999999").as_deref(), Ok("+46709999999"));
        assert_eq!(checked(1, "+46709999999").as_deref(), Ok("+46709999999"));
        assert_eq!(checked(1, "0046709999999").as_deref(), Ok("+46709999999"));
        assert_eq!(checked(2, "0709999999").as_deref(), Ok("0709999999"));
        assert_eq!(checked(0, "0046709999999").as_deref(), Ok("0046709999999"));
    }

    #[test]
    fn a_short_international_mo_address_is_kept_unchecked_with_a_plus() {
        assert_eq!(checked(1, "112").as_deref(), Ok("+112"));
        assert_eq!(checked(1, "ab").as_deref(), Ok("+ab"));
        assert_eq!(checked(1, "").as_deref(), Ok(""));
    }

    #[test]
    fn an_international_mo_address_with_letters_is_refused() {
        assert_eq!(
            checked(1, "4670ABC999"),
            Err(MoAddressError::NotDigits {
                address: "4670ABC999".into()
            })
        );
        assert!(checked(1, "+46+70999").is_err());
    }

    #[test]
    fn an_alphanumeric_mo_address_over_eleven_octets_is_refused() {
        assert_eq!(checked(5, "ElevenChars").as_deref(), Ok("ElevenChars"));
        assert_eq!(
            checked(5, "TwelveChars!"),
            Err(MoAddressError::AlphanumericTooLong {
                address: "TwelveChars!".into(),
                len: 12
            })
        );
        // Counted in octets as they came, before alt-addr-charset reads them.
        assert!(mo_checked(5, "Bank_€€€€€".as_bytes()).is_err());
        assert_eq!(
            checked(2, "123456789012345").as_deref(),
            Ok("123456789012345")
        );
    }
}

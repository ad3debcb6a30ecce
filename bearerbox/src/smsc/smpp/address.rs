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

/// The MO sender as the boxes see it: an international number gets its `+` back, so that a
/// reply goes out with the right TON.
pub fn mo_sender(ton: u8, address: &str) -> String {
    if ton == TON_INTERNATIONAL && !address.starts_with('+') && !address.is_empty() {
        format!("+{address}")
    } else {
        address.to_owned()
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
    fn an_international_mo_sender_gets_its_plus_back() {
        assert_eq!(mo_sender(1, "46709999999"), "+46709999999");
        assert_eq!(mo_sender(2, "0709999999"), "0709999999");
    }
}

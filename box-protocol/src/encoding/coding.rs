//! The three SMS data codings, which one a text needs, and what one part holds.
//!
//! # Layout
//! - [`Coding`]: GSM 7-bit, 8-bit data, UCS-2, with the box protocol's numbers (0, 1, 2).
//! - [`choose`]: the cheapest coding for a text.
//! - [`capacity`]: units one part holds in a coding, given the UDH it carries.
//! - [`measure`]: parts and per-part capacity for a text, the splitter's own count.

use super::gsm7;
use super::split::{self, Payload, Plan, SplitError};

/// The user data of one SMS, in octets (TS 23.040 TP-UD); Kannel's `max-sms-octets`.
pub const MAX_USER_DATA_OCTETS: usize = 140;

/// How the user data of an SMS is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// GSM 03.38 default alphabet; capacity counted in septets.
    Gsm7,
    /// Raw 8-bit data; capacity counted in octets.
    EightBit,
    /// UCS-2 (UTF-16BE); capacity counted in 16-bit units.
    Ucs2,
}

impl Coding {
    /// The coding a box-protocol `coding` field names; `None` for -1 (unset) and
    /// anything else Kannel does not define.
    pub fn from_box(value: i64) -> Option<Coding> {
        match value {
            0 => Some(Coding::Gsm7),
            1 => Some(Coding::EightBit),
            2 => Some(Coding::Ucs2),
            _ => None,
        }
    }

    /// The box-protocol `coding` value.
    pub fn box_value(self) -> i64 {
        match self {
            Coding::Gsm7 => 0,
            Coding::EightBit => 1,
            Coding::Ucs2 => 2,
        }
    }

    /// What one unit of capacity is called, for messages to users.
    pub fn unit_name(self) -> &'static str {
        match self {
            Coding::Gsm7 => "septets",
            Coding::EightBit => "octets",
            Coding::Ucs2 => "UCS-2 units",
        }
    }
}

/// The cheapest coding that carries `text` without loss: GSM 7-bit when every
/// character has a mapping, UCS-2 otherwise. Binary data is always [`Coding::EightBit`].
pub fn choose(text: &str) -> Coding {
    if gsm7::is_representable(text) {
        Coding::Gsm7
    } else {
        Coding::Ucs2
    }
}

/// Units of `coding` that fit in `max_octets` of user data beside a UDH of
/// `udh_octets` octets (length octet included; 0 for none).
///
/// With the default 140 octets: 160/140/70 alone, and 153/134/67 beside the 6-octet
/// concatenation header. For 7-bit the header also costs the fill bits that bring the
/// text to a septet boundary.
pub fn capacity(coding: Coding, udh_octets: usize, max_octets: usize) -> usize {
    match coding {
        Coding::Gsm7 => (max_octets * 8 / 7).saturating_sub(gsm7::udh_septets(udh_octets)),
        Coding::EightBit => max_octets.saturating_sub(udh_octets),
        Coding::Ucs2 => max_octets.saturating_sub(udh_octets) / 2,
    }
}

/// How many parts `text` needs in `coding` beside the user's `udh` (raw bytes, may be
/// empty), and what each holds, within the standard 140 octets.
///
/// For [`Coding::EightBit`] the text's UTF-8 bytes are the data, as the box protocol
/// carries coding 1. The count is the splitter's, so escape pairs and surrogate pairs
/// that would straddle a boundary are accounted for.
pub fn measure(text: &str, coding: Coding, udh: &[u8]) -> Result<Plan, SplitError> {
    let payload = match coding {
        Coding::Gsm7 => Payload::Gsm7(text),
        Coding::EightBit => Payload::Binary(text.as_bytes()),
        Coding::Ucs2 => Payload::Ucs2(text),
    };
    split::plan(&payload, udh, MAX_USER_DATA_OCTETS)
}

//! `data_coding`: from a message's coding, class, waiting indicator and `alt-dcs` (as Kannel's
//! `fields_to_dcs` does), and back for what an SMSC delivers.
//!
//! Outgoing values are GSM 03.38 data coding schemes, which SMPP's own table agrees with for the
//! values that matter (0 default alphabet, 4 8-bit, 8 UCS-2). Incoming values may also be SMPP's
//! own (1 IA5, 3 Latin-1), which GSM does not have.

use box_protocol::message::Coding;

/// What a message says about its coding; `None` is Kannel's "undefined".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DcsFields {
    pub coding: Option<Coding>,
    /// Message class 0..=3.
    pub mclass: Option<i32>,
    /// Message waiting indicator 0..=7: 0-3 set voice/fax/email/other, 4-7 clear them.
    pub mwi: Option<i32>,
    pub compress: bool,
    /// The `0xFx` group instead of the general one (`alt-dcs`, per message or per link).
    pub alt_dcs: bool,
}

/// The coding a message goes out with: undefined means 7-bit, or 8-bit when it has a UDH.
pub fn effective_coding(coding: Option<Coding>, has_udh: bool) -> Coding {
    match coding {
        Some(coding) => coding,
        None if has_udh => Coding::EightBit,
        None => Coding::SevenBit,
    }
}

/// The data_coding octet for an MT.
pub fn to_dcs(fields: &DcsFields, has_udh: bool) -> u8 {
    let coding = effective_coding(fields.coding, has_udh);
    if let Some(mwi) = fields.mwi.filter(|m| (0..=7).contains(m)) {
        let indication = (mwi & 0x03) as u8;
        return if mwi & 0x04 != 0 {
            // Indicator off: "discard message" group.
            0xC0 | indication
        } else if coding == Coding::Ucs2 {
            0xE0 | 0x08 | indication
        } else {
            0xD0 | 0x08 | indication
        };
    }
    let class = fields
        .mclass
        .filter(|c| (0..=3).contains(c))
        .map(|c| c as u8);
    if !fields.alt_dcs || coding == Coding::Ucs2 || fields.compress {
        let mut dcs = 0;
        if fields.compress {
            dcs |= 0x20;
        }
        if let Some(class) = class {
            dcs |= 0x10 | class;
        }
        match coding {
            Coding::EightBit => dcs |= 0x04,
            Coding::Ucs2 => dcs |= 0x08,
            _ => {}
        }
        dcs
    } else {
        // The 0xFx group always names a class; Kannel defaults it to 1 (ME-specific).
        let mut dcs = 0xF0 | class.unwrap_or(1);
        if coding == Coding::EightBit {
            dcs |= 0x04;
        }
        dcs
    }
}

/// How an incoming user data is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// GSM 03.38 septets, one per octet (or the link's `alt-charset`).
    Gsm7,
    /// SMPP 1: IA5 / ASCII.
    Ascii,
    /// SMPP 3: ISO-8859-1.
    Latin1,
    EightBit,
    Ucs2,
}

/// What an incoming data_coding says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incoming {
    pub alphabet: Alphabet,
    pub mclass: Option<i32>,
    pub mwi: Option<i32>,
    pub compress: bool,
}

/// Reads a deliver_sm / data_sm data_coding.
pub fn from_dcs(dcs: u8) -> Incoming {
    let plain = |alphabet| Incoming {
        alphabet,
        mclass: None,
        mwi: None,
        compress: false,
    };
    match dcs {
        0x01 => plain(Alphabet::Ascii),
        0x03 => plain(Alphabet::Latin1),
        // SMPP's own 8-bit and binary values (2, 4) and GSM's general group share these.
        0x00..=0x3F => {
            let alphabet = match (dcs >> 2) & 0x03 {
                0 => Alphabet::Gsm7,
                1 => Alphabet::EightBit,
                2 => Alphabet::Ucs2,
                _ => Alphabet::EightBit,
            };
            let alphabet = if dcs == 0x02 {
                Alphabet::EightBit
            } else {
                alphabet
            };
            Incoming {
                alphabet,
                mclass: (dcs & 0x10 != 0).then_some(i32::from(dcs & 0x03)),
                mwi: None,
                compress: dcs & 0x20 != 0,
            }
        }
        0xC0..=0xEF => {
            let active = dcs & 0x08 != 0;
            let indication = i32::from(dcs & 0x03);
            Incoming {
                alphabet: if dcs & 0xF0 == 0xE0 {
                    Alphabet::Ucs2
                } else {
                    Alphabet::Gsm7
                },
                mclass: None,
                mwi: Some(if active {
                    indication
                } else {
                    indication | 0x04
                }),
                compress: false,
            }
        }
        0xF0..=0xFF => Incoming {
            alphabet: if dcs & 0x04 != 0 {
                Alphabet::EightBit
            } else {
                Alphabet::Gsm7
            },
            mclass: Some(i32::from(dcs & 0x03)),
            mwi: None,
            compress: false,
        },
        // Reserved groups: take the octets as they are.
        _ => plain(Alphabet::EightBit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(coding: Coding) -> DcsFields {
        DcsFields {
            coding: Some(coding),
            ..DcsFields::default()
        }
    }

    #[test]
    fn plain_codings_give_the_general_group() {
        assert_eq!(to_dcs(&fields(Coding::SevenBit), false), 0x00);
        assert_eq!(to_dcs(&fields(Coding::EightBit), false), 0x04);
        assert_eq!(to_dcs(&fields(Coding::Ucs2), false), 0x08);
    }

    #[test]
    fn ucs2_with_class_one_is_0x19_as_kannel_sends() {
        let dcs = DcsFields {
            mclass: Some(1),
            ..fields(Coding::Ucs2)
        };
        assert_eq!(to_dcs(&dcs, false), 0x19);
    }

    #[test]
    fn an_undefined_coding_with_a_udh_is_eight_bit() {
        assert_eq!(to_dcs(&DcsFields::default(), true), 0x04);
        assert_eq!(to_dcs(&DcsFields::default(), false), 0x00);
    }

    #[test]
    fn alt_dcs_uses_the_f_group_with_class_one_by_default() {
        let dcs = DcsFields {
            alt_dcs: true,
            ..fields(Coding::SevenBit)
        };
        assert_eq!(to_dcs(&dcs, false), 0xF1);
        let eight = DcsFields {
            alt_dcs: true,
            mclass: Some(2),
            ..fields(Coding::EightBit)
        };
        assert_eq!(to_dcs(&eight, false), 0xF6);
        // UCS-2 has no place in the F group.
        let ucs2 = DcsFields {
            alt_dcs: true,
            ..fields(Coding::Ucs2)
        };
        assert_eq!(to_dcs(&ucs2, false), 0x08);
    }

    #[test]
    fn message_waiting_indicators_use_their_groups() {
        let voice_on = DcsFields {
            mwi: Some(0),
            ..fields(Coding::SevenBit)
        };
        assert_eq!(to_dcs(&voice_on, false), 0xD8);
        let voice_off = DcsFields {
            mwi: Some(4),
            ..fields(Coding::SevenBit)
        };
        assert_eq!(to_dcs(&voice_off, false), 0xC0);
        let ucs2_email = DcsFields {
            mwi: Some(2),
            ..fields(Coding::Ucs2)
        };
        assert_eq!(to_dcs(&ucs2_email, false), 0xEA);
    }

    #[test]
    fn incoming_values_are_read_as_smpp_and_gsm_define_them() {
        assert_eq!(from_dcs(0x00).alphabet, Alphabet::Gsm7);
        assert_eq!(from_dcs(0x01).alphabet, Alphabet::Ascii);
        assert_eq!(from_dcs(0x02).alphabet, Alphabet::EightBit);
        assert_eq!(from_dcs(0x03).alphabet, Alphabet::Latin1);
        assert_eq!(from_dcs(0x04).alphabet, Alphabet::EightBit);
        assert_eq!(from_dcs(0x08).alphabet, Alphabet::Ucs2);
        let class = from_dcs(0x19);
        assert_eq!((class.alphabet, class.mclass), (Alphabet::Ucs2, Some(1)));
        let f = from_dcs(0xF6);
        assert_eq!((f.alphabet, f.mclass), (Alphabet::EightBit, Some(2)));
        assert_eq!(from_dcs(0xD8).mwi, Some(0));
        assert_eq!(from_dcs(0xC1).mwi, Some(5));
    }
}

//! Kannel's `smpp-tlv` groups: TLVs the operator names, so that messages can carry them as
//! meta-data (user guide, appendix H). An MT's `?smpp?name=value` pairs become TLVs of its
//! submit_sm; the configured TLVs found in a deliver_sm or data_sm become the MO's `?smpp?`
//! meta-data. Only configured TLVs cross, both ways, as in Kannel.
//!
//! ```text
//!  group = smpp-tlv            meta-data "?smpp?my_tlv=hello&"  ◀──▶  TLV 0x1601 len 5 "hello"
//!  name = my_tlv
//!  tag = 0x1601                integer:       "42"   ◀──▶ 00 2a        (`length` octets, big-endian)
//!  type = octetstring          nulterminated: "abc"  ◀──▶ 61 62 63 00
//!  length = 20                 octetstring:   octets ◀──▶ the same octets
//!  smsc-id = a;b
//! ```
//!
//! A group without `smsc-id` serves every link; a link's own groups win over those by name and
//! by tag, as Kannel looks up the link's dictionary before the default one.

use conf::{Group, Location};

use super::tlv::{Tag, Tlv, Tlvs};
use crate::settings::SettingsError;

/// How a configured TLV's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlvType {
    /// A decimal number in meta-data, `length` octets big-endian on the wire.
    Integer,
    /// Text in meta-data, with a NUL after it on the wire.
    NulTerminated,
    /// Octets as they are.
    OctetString,
}

/// One `smpp-tlv` group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomTlv {
    pub name: String,
    pub tag: Tag,
    pub kind: TlvType,
    /// Octets of an integer; the most octets of a string (without the NUL).
    pub length: usize,
    /// `const`: the value sent when the message's meta-data has none.
    pub constant: Option<Vec<u8>>,
}

/// Why one TLV was left out; the message goes on without it, as in Kannel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// A meta-data name no `smpp-tlv` group of this link defines.
    Unknown {
        name: String,
    },
    NotAnInteger {
        name: String,
        value: String,
    },
    IntegerTooLarge {
        name: String,
        value: i64,
        octets: usize,
    },
    TooLong {
        name: String,
        found: usize,
        max: usize,
    },
    /// A NUL-terminated TLV from the SMSC without its NUL.
    NoNul {
        name: String,
    },
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skipped::Unknown { name } => {
                write!(f, "no smpp-tlv group defines '{name}'; not sent")
            }
            Skipped::NotAnInteger { name, value } => {
                write!(f, "TLV '{name}' is an integer, got \"{value}\"; dropped")
            }
            Skipped::IntegerTooLarge {
                name,
                value,
                octets,
            } => write!(
                f,
                "TLV '{name}': {value} does not fit {octets} octet(s); dropped"
            ),
            Skipped::TooLong { name, found, max } => write!(
                f,
                "TLV '{name}' with invalid length {found} (at most {max}); dropped"
            ),
            Skipped::NoNul { name } => {
                write!(f, "TLV '{name}' should end in a NUL and does not; dropped")
            }
        }
    }
}

/// The `smpp-tlv` groups one link uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomTlvs {
    /// The link's own groups first, then those for every link.
    own: Vec<CustomTlv>,
    shared: Vec<CustomTlv>,
}

impl CustomTlvs {
    /// Reads every `smpp-tlv` group and keeps those for `smsc_id`. Refuses what Kannel refuses
    /// (a missing key, an unknown type, a name or tag twice for one link) and what would put
    /// garbage on the wire (an integer wider than 8 octets).
    pub fn from_groups<'a>(
        groups: impl Iterator<Item = &'a Group>,
        smsc_id: &str,
    ) -> Result<CustomTlvs, SettingsError> {
        let mut tlvs = CustomTlvs::default();
        for group in groups {
            let ids: Option<Vec<&str>> = group.get_list("smsc-id");
            let for_us = match &ids {
                None => false,
                Some(ids) => ids.contains(&smsc_id),
            };
            if ids.is_some() && !for_us {
                continue;
            }
            let tlv = one(group)?;
            let list = if for_us {
                &mut tlvs.own
            } else {
                &mut tlvs.shared
            };
            if let Some(twin) = list.iter().find(|t| t.name == tlv.name || t.tag == tlv.tag) {
                let what = if twin.name == tlv.name {
                    format!("name '{}'", tlv.name)
                } else {
                    format!("tag {}", tlv.tag)
                };
                return Err(SettingsError::BadValue {
                    location: group.location.clone(),
                    key: if twin.name == tlv.name { "name" } else { "tag" },
                    reason: format!("a second smpp-tlv group with {what} for the same smsc-id"),
                });
            }
            list.push(tlv);
        }
        Ok(tlvs)
    }

    /// For tests and callers that build the list themselves.
    pub fn new(own: Vec<CustomTlv>, shared: Vec<CustomTlv>) -> CustomTlvs {
        CustomTlvs { own, shared }
    }

    pub fn is_empty(&self) -> bool {
        self.own.is_empty() && self.shared.is_empty()
    }

    pub fn by_name(&self, name: &str) -> Option<&CustomTlv> {
        self.own
            .iter()
            .find(|t| t.name == name)
            .or_else(|| self.shared.iter().find(|t| t.name == name))
    }

    pub fn by_tag(&self, tag: Tag) -> Option<&CustomTlv> {
        self.own
            .iter()
            .find(|t| t.tag == tag)
            .or_else(|| self.shared.iter().find(|t| t.tag == tag))
    }

    /// Every TLV the link knows, each name once (the link's own first).
    fn all(&self) -> impl Iterator<Item = &CustomTlv> {
        self.own.iter().chain(
            self.shared
                .iter()
                .filter(|t| !self.own.iter().any(|o| o.name == t.name || o.tag == t.tag)),
        )
    }

    /// The TLVs for a message with these `?smpp?` pairs: each named pair that encodes, then
    /// each `const` the pairs did not name. Pairs in `ignore` are fields, not TLVs.
    pub fn to_tlvs(&self, pairs: &[(String, Vec<u8>)], ignore: &[&str]) -> (Tlvs, Vec<Skipped>) {
        let mut tlvs = Tlvs::new();
        let mut skipped = Vec::new();
        for (name, value) in pairs {
            if ignore.contains(&name.as_str()) {
                continue;
            }
            match self.by_name(name) {
                None => skipped.push(Skipped::Unknown { name: name.clone() }),
                Some(def) => match def.encode(value) {
                    Ok(tlv) => tlvs.push(tlv),
                    Err(skip) => skipped.push(skip),
                },
            }
        }
        for def in self.all() {
            let Some(constant) = &def.constant else {
                continue;
            };
            if pairs.iter().any(|(name, _)| *name == def.name) {
                continue;
            }
            match def.encode(constant) {
                Ok(tlv) => tlvs.push(tlv),
                Err(skip) => skipped.push(skip),
            }
        }
        (tlvs, skipped)
    }

    /// The `?smpp?` pairs for the configured TLVs among `tlvs`, in wire order.
    pub fn to_pairs(&self, tlvs: &Tlvs) -> (Vec<(String, Vec<u8>)>, Vec<Skipped>) {
        let mut pairs = Vec::new();
        let mut skipped = Vec::new();
        for tlv in tlvs.iter() {
            let Some(def) = self.by_tag(tlv.tag()) else {
                continue;
            };
            match def.decode(tlv.value()) {
                Ok(value) => pairs.push((def.name.clone(), value)),
                Err(skip) => skipped.push(skip),
            }
        }
        (pairs, skipped)
    }
}

impl CustomTlv {
    /// The TLV for a meta-data value.
    pub fn encode(&self, value: &[u8]) -> Result<Tlv, Skipped> {
        let bytes = match self.kind {
            TlvType::Integer => {
                let text = String::from_utf8_lossy(value);
                let number: i64 = text.trim().parse().map_err(|_| Skipped::NotAnInteger {
                    name: self.name.clone(),
                    value: text.clone().into_owned(),
                })?;
                let too_large = || Skipped::IntegerTooLarge {
                    name: self.name.clone(),
                    value: number,
                    octets: self.length,
                };
                let unsigned = u64::try_from(number).map_err(|_| too_large())?;
                if self.length < 8 && unsigned >> (8 * self.length) != 0 {
                    return Err(too_large());
                }
                let be = unsigned.to_be_bytes();
                be.get(8 - self.length..).unwrap_or_default().to_vec()
            }
            TlvType::NulTerminated | TlvType::OctetString => {
                if value.len() > self.length {
                    return Err(Skipped::TooLong {
                        name: self.name.clone(),
                        found: value.len(),
                        max: self.length,
                    });
                }
                let mut bytes = value.to_vec();
                if self.kind == TlvType::NulTerminated {
                    bytes.push(0);
                }
                bytes
            }
        };
        // Every length is at most 65,535 octets by the configuration's check.
        Tlv::new(self.tag, bytes).map_err(|_| Skipped::TooLong {
            name: self.name.clone(),
            found: value.len(),
            max: usize::from(u16::MAX),
        })
    }

    /// The meta-data value of a TLV from the SMSC.
    pub fn decode(&self, value: &[u8]) -> Result<Vec<u8>, Skipped> {
        let limit = match self.kind {
            // The NUL comes on top of the text.
            TlvType::NulTerminated => self.length + 1,
            _ => self.length,
        };
        if value.len() > limit {
            return Err(Skipped::TooLong {
                name: self.name.clone(),
                found: value.len(),
                max: limit,
            });
        }
        match self.kind {
            TlvType::Integer => {
                let number = value
                    .iter()
                    .fold(0u64, |n, &b| n.wrapping_shl(8) | u64::from(b));
                Ok(number.to_string().into_bytes())
            }
            TlvType::OctetString => Ok(value.to_vec()),
            TlvType::NulTerminated => match value.iter().position(|&b| b == 0) {
                Some(nul) => Ok(value.get(..nul).unwrap_or_default().to_vec()),
                None => Err(Skipped::NoNul {
                    name: self.name.clone(),
                }),
            },
        }
    }
}

fn one(group: &Group) -> Result<CustomTlv, SettingsError> {
    let location = |key: &str| -> Location {
        group
            .entry(key)
            .map_or_else(|| group.location.clone(), |e| e.location.clone())
    };
    let missing = |key: &'static str| SettingsError::BadValue {
        location: group.location.clone(),
        key,
        reason: format!("an smpp-tlv group needs '{key}'"),
    };
    let name = group
        .get("name")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| missing("name"))?
        .to_owned();
    let tag = group.get_int("tag").ok_or_else(|| missing("tag"))?;
    let tag = u16::try_from(tag).map_err(|_| SettingsError::BadValue {
        location: location("tag"),
        key: "tag",
        reason: format!("a TLV tag is 16 bits (0x0000 to 0xFFFF), got {tag}"),
    })?;
    let kind = match group
        .get("type")
        .ok_or_else(|| missing("type"))?
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "integer" => TlvType::Integer,
        "nulterminated" => TlvType::NulTerminated,
        "octetstring" => TlvType::OctetString,
        other => {
            return Err(SettingsError::BadValue {
                location: location("type"),
                key: "type",
                reason: format!("expected integer, nulterminated or octetstring, got \"{other}\""),
            });
        }
    };
    let length = group.get_int("length").ok_or_else(|| missing("length"))?;
    let max = match kind {
        TlvType::Integer => 8,
        // The NUL of a string must still fit the TLV's 16-bit length.
        TlvType::NulTerminated => usize::from(u16::MAX) - 1,
        TlvType::OctetString => usize::from(u16::MAX),
    };
    let length = usize::try_from(length)
        .ok()
        .filter(|&n| (1..=max).contains(&n))
        .ok_or_else(|| SettingsError::BadValue {
            location: location("length"),
            key: "length",
            reason: format!("expected 1 to {max} for a TLV of type {kind:?}, got {length}"),
        })?;
    let tlv = CustomTlv {
        name,
        tag: Tag(tag),
        kind,
        length,
        constant: group.get("const").map(|c| c.as_bytes().to_vec()),
    };
    if let Some(constant) = &tlv.constant
        && let Err(skip) = tlv.encode(constant)
    {
        return Err(SettingsError::BadValue {
            location: location("const"),
            key: "const",
            reason: skip.to_string(),
        });
    }
    Ok(tlv)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn tlv(name: &str, tag: u16, kind: TlvType, length: usize) -> CustomTlv {
        CustomTlv {
            name: name.into(),
            tag: Tag(tag),
            kind,
            length,
            constant: None,
        }
    }

    fn pairs(list: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
            .collect()
    }

    fn read(text: &str, smsc_id: &str) -> Result<CustomTlvs, SettingsError> {
        let text = format!(
            "group = core\nadmin-port = 13000\nadmin-password = x\n\n\
             group = smsc\nsmsc = smpp\nsmsc-id = {smsc_id}\nhost = 127.0.0.1\nport = 1\n\
             smsc-username = u\nsmsc-password = p\nsystem-type = VMA\n\n{text}"
        );
        let loaded = conf::load_str(
            &text,
            Path::new("kannel.conf"),
            conf::Reader::Bearerbox,
            &conf::LoadOptions::default(),
        )
        .unwrap_or_else(|refused| panic!("{:?}", refused.diagnostics));
        CustomTlvs::from_groups(loaded.config.multi("smpp-tlv"), smsc_id)
    }

    #[test]
    fn each_type_is_written_as_kannel_writes_it() {
        let tlvs = CustomTlvs::new(
            vec![
                tlv("n", 0x1601, TlvType::Integer, 2),
                tlv("s", 0x1602, TlvType::NulTerminated, 10),
                tlv("o", 0x1603, TlvType::OctetString, 10),
            ],
            Vec::new(),
        );
        let (out, skipped) = tlvs.to_tlvs(
            &pairs(&[("n", b"300"), ("s", b"abc"), ("o", b"\x00\xff")]),
            &[],
        );
        assert!(skipped.is_empty(), "{skipped:?}");
        let wire: Vec<(u16, Vec<u8>)> = out
            .iter()
            .map(|t| (t.tag().0, t.value().to_vec()))
            .collect();
        assert_eq!(
            wire,
            vec![
                (0x1601, vec![0x01, 0x2c]),
                (0x1602, b"abc\0".to_vec()),
                (0x1603, vec![0x00, 0xff]),
            ]
        );
    }

    #[test]
    fn values_that_do_not_fit_are_dropped_and_the_rest_sent() {
        let tlvs = CustomTlvs::new(
            vec![
                tlv("n", 0x1601, TlvType::Integer, 1),
                tlv("s", 0x1602, TlvType::NulTerminated, 3),
                tlv("ok", 0x1603, TlvType::OctetString, 3),
            ],
            Vec::new(),
        );
        let (out, skipped) = tlvs.to_tlvs(
            &pairs(&[
                ("n", b"256"),
                ("s", b"abcd"),
                ("x", b"1"),
                ("ok", b"yes"),
                ("data_coding", b"8"),
            ]),
            &["data_coding"],
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out.get(Tag(0x1603)), Some(&b"yes"[..]));
        assert_eq!(
            skipped,
            vec![
                Skipped::IntegerTooLarge {
                    name: "n".into(),
                    value: 256,
                    octets: 1
                },
                Skipped::TooLong {
                    name: "s".into(),
                    found: 4,
                    max: 3
                },
                Skipped::Unknown { name: "x".into() },
            ]
        );
    }

    #[test]
    fn a_const_goes_out_unless_the_message_names_the_tlv() {
        let mut with_const = tlv("op", 0x1401, TlvType::NulTerminated, 10);
        with_const.constant = Some(b"acme".to_vec());
        let tlvs = CustomTlvs::new(vec![with_const], Vec::new());
        let (out, _) = tlvs.to_tlvs(&[], &[]);
        assert_eq!(out.get(Tag(0x1401)), Some(&b"acme\0"[..]));
        let (out, _) = tlvs.to_tlvs(&pairs(&[("op", b"mine")]), &[]);
        assert_eq!(out.len(), 1);
        assert_eq!(out.get(Tag(0x1401)), Some(&b"mine\0"[..]));
    }

    #[test]
    fn configured_tlvs_from_the_smsc_become_pairs_and_others_are_ignored() {
        let tlvs = CustomTlvs::new(
            vec![
                tlv("n", 0x1601, TlvType::Integer, 4),
                tlv("s", 0x1602, TlvType::NulTerminated, 5),
            ],
            vec![tlv("o", 0x1603, TlvType::OctetString, 2)],
        );
        let mut wire = Tlvs::new();
        for (tag, value) in [
            (0x1603u16, &b"\x01\x02"[..]),
            (0x1601, &[0, 0, 1, 0][..]),
            (0x1999, b"unconfigured"),
            (0x1602, b"hello\0"),
        ] {
            wire.push(Tlv::new(Tag(tag), value.to_vec()).unwrap());
        }
        let (found, skipped) = tlvs.to_pairs(&wire);
        assert!(skipped.is_empty(), "{skipped:?}");
        assert_eq!(
            found,
            pairs(&[("o", b"\x01\x02"), ("n", b"256"), ("s", b"hello")])
        );
    }

    #[test]
    fn a_tlv_from_the_smsc_longer_than_configured_is_dropped() {
        let tlvs = CustomTlvs::new(vec![tlv("s", 0x1602, TlvType::NulTerminated, 2)], vec![]);
        let mut wire = Tlvs::new();
        wire.push(Tlv::new(Tag(0x1602), b"abcd\0".to_vec()).unwrap());
        let (found, skipped) = tlvs.to_pairs(&wire);
        assert!(found.is_empty());
        assert_eq!(
            skipped,
            vec![Skipped::TooLong {
                name: "s".into(),
                found: 5,
                max: 3
            }]
        );
    }

    #[test]
    fn groups_are_read_per_link_and_the_links_own_win() {
        let tlvs = read(
            "group = smpp-tlv\nname = shared\ntag = 0x1601\ntype = integer\nlength = 2\n\n\
             group = smpp-tlv\nname = shared\ntag = 0x1701\ntype = octetstring\nlength = 9\n\
             smsc-id = other;mine\n\n\
             group = smpp-tlv\nname = theirs\ntag = 0x1801\ntype = integer\nlength = 1\n\
             smsc-id = other\n",
            "mine",
        )
        .unwrap();
        assert_eq!(
            tlvs.by_name("shared").map(|t| (t.tag, t.kind, t.length)),
            Some((Tag(0x1701), TlvType::OctetString, 9))
        );
        assert_eq!(tlvs.by_name("theirs"), None);
        // The shared group's tag still decodes, under its name.
        assert_eq!(tlvs.by_tag(Tag(0x1601)).map(|t| t.length), Some(2));
    }

    #[test]
    fn a_tlv_name_twice_for_one_link_is_refused_with_its_line() {
        let error = read(
            "group = smpp-tlv\nname = a\ntag = 0x1601\ntype = integer\nlength = 2\n\n\
             group = smpp-tlv\nname = a\ntag = 0x1602\ntype = integer\nlength = 2\n",
            "mine",
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("kannel.conf:"), "{error}");
        assert!(
            error.contains("a second smpp-tlv group with name 'a'"),
            "{error}"
        );
    }

    #[test]
    fn missing_keys_and_bad_lengths_are_refused() {
        let no_length = read(
            "group = smpp-tlv\nname = a\ntag = 0x1601\ntype = integer\n",
            "mine",
        )
        .unwrap_err()
        .to_string();
        assert!(
            no_length.contains("an smpp-tlv group needs 'length'"),
            "{no_length}"
        );
        let wide = read(
            "group = smpp-tlv\nname = a\ntag = 0x1601\ntype = integer\nlength = 9\n",
            "mine",
        )
        .unwrap_err()
        .to_string();
        assert!(wide.contains("expected 1 to 8"), "{wide}");
    }
}

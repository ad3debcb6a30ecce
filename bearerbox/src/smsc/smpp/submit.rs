//! A message from the core as the submit_sm PDUs Kannel would send for it: addresses with their
//! TON/NPI, data_coding, the text in the coding's octets, esm_class, registered_delivery, times,
//! and a long message cut into concatenated parts by `max-sms-octets`.
//!
//! ```text
//!  Sms (UTF-8 text | octets | UTF-16BE) ──payload──▶ split (concat UDH) ──▶ submit_sm per part
//! ```

use box_protocol::encoding::split::Body as PartBody;
use box_protocol::encoding::udh::Udh;
use box_protocol::encoding::{
    Charset, CharsetError, Payload, SeptetForm, SplitError, SplitOptions, gsm7, split,
};
use box_protocol::message::{Coding, Sms};
use thiserror::Error;

use super::address::{self, AddrCharset, AddressError, TonNpi};
use super::custom_tlv::CustomTlvs;
use super::dcs::{self, DcsFields};
use super::meta_data;
use super::pdu::SubmitSm;
use super::time::{AbsoluteTime, SmppTime};
use super::tlv::{Tag, Tlvs};
use super::wire::{COctetString, LengthError, ShortMessage};

/// The link's settings that shape every submit_sm.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
    /// `service-type`, unless the message carries `binfo`.
    pub service_type: String,
    pub source_ton_npi: Option<TonNpi>,
    pub source_autodetect: bool,
    pub dest_ton_npi: Option<TonNpi>,
    /// `esm-class`: 0 (default mode) or 3 (store and forward, Kannel's default).
    pub esm_class: u8,
    /// `priority`, unless the message has one.
    pub priority: u8,
    /// `validityperiod` in minutes, unless the message has a validity.
    pub validity_minutes: Option<i64>,
    /// `max-sms-octets`: user data octets per SMS before splitting.
    pub max_sms_octets: usize,
    /// `alt-charset`: 7-bit text goes out in this charset instead of GSM 03.38.
    pub alt_charset: Option<Charset>,
    /// `alt-dcs`: the link's default for messages that do not say.
    pub alt_dcs: bool,
    /// How a message longer than one SMS goes out (ours: `long-messages`).
    pub long_messages: LongMessages,
    /// `alt-addr-charset`: how a detected alphanumeric sender is written.
    pub alt_addr_charset: Option<AddrCharset>,
    /// The `smpp-tlv` groups this link sends from a message's `?smpp?` meta-data.
    pub custom_tlvs: CustomTlvs,
}

/// `?smpp?` meta-data names that set submit_sm fields rather than TLVs (user guide,
/// appendix H: "hardcoded meta-data values").
pub const FIELD_NAMES: &[&str] = &[
    "data_coding",
    "source_addr_ton",
    "source_addr_npi",
    "dest_addr_ton",
    "dest_addr_npi",
];

/// How a long message travels to the SMSC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LongMessages {
    /// Parts with a concatenation UDH, as Kannel sends them.
    #[default]
    Udh,
    /// Parts whose concatenation is told by the sar_* TLVs instead of the UDH.
    Sar,
    /// One submit_sm with the whole text in the message_payload TLV; the
    /// SMSC splits it.
    Payload,
}

impl LongMessages {
    pub fn from_key(value: &str) -> Option<LongMessages> {
        match value.trim().to_ascii_lowercase().as_str() {
            "udh" => Some(LongMessages::Udh),
            "sar" => Some(LongMessages::Sar),
            "payload" | "message_payload" => Some(LongMessages::Payload),
            _ => None,
        }
    }
}

impl Default for SubmitOptions {
    fn default() -> Self {
        SubmitOptions {
            service_type: String::new(),
            source_ton_npi: None,
            source_autodetect: true,
            dest_ton_npi: None,
            esm_class: 3,
            priority: 0,
            validity_minutes: None,
            max_sms_octets: 140,
            alt_charset: None,
            alt_dcs: false,
            long_messages: LongMessages::Udh,
            alt_addr_charset: None,
            custom_tlvs: CustomTlvs::default(),
        }
    }
}

/// Why a message cannot be submitted at all; every one of these is permanent.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SubmitError {
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error("cannot split the message: {0}")]
    Split(#[from] SplitError),
    #[error("cannot write the text in the link's alt-charset: {0}")]
    Charset(#[from] CharsetError),
    #[error("a field does not fit submit_sm: {0}")]
    Field(#[from] LengthError),
}

/// The submit_sm PDUs (without sequence numbers) for `sms`, in the order they must go out.
/// `reference` is the concatenation reference a long message uses; `now_unix` anchors
/// `validityperiod`.
pub fn submits_for(
    sms: &Sms,
    options: &SubmitOptions,
    reference: u8,
    now_unix: i64,
) -> Result<Vec<SubmitSm>, SubmitError> {
    let text_of = |field: &Option<Vec<u8>>| {
        field
            .as_deref()
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .unwrap_or_default()
    };
    let source = address::source(
        &text_of(&sms.sender),
        options.source_ton_npi,
        options.source_autodetect,
    )?;
    let destination = address::destination(&text_of(&sms.receiver), options.dest_ton_npi)?;
    let source_addr = source_octets(&source, options)?;
    let smpp_meta = sms
        .meta_data
        .as_deref()
        .map(|meta| meta_data::values(meta, "smpp"))
        .unwrap_or_default();
    let field = |name: &str| {
        smpp_meta
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| String::from_utf8_lossy(value).trim().parse::<u8>().ok())
    };
    let (custom_tlvs, skipped) = options.custom_tlvs.to_tlvs(&smpp_meta, FIELD_NAMES);
    for skip in &skipped {
        log::warn!("SMPP: message {}: {skip}", sms.id);
    }
    let user_udh = sms.udhdata.as_deref().unwrap_or_default();
    let data = sms.msgdata.as_deref().unwrap_or_default();
    let coding = dcs::effective_coding(sms.coding, !user_udh.is_empty());
    let data_coding = dcs::to_dcs(
        &DcsFields {
            coding: Some(coding),
            mclass: sms.mclass,
            mwi: sms.mwi,
            compress: sms.compress.is_some_and(|c| c > 0),
            alt_dcs: sms.alt_dcs.map_or(options.alt_dcs, |a| a > 0),
        },
        !user_udh.is_empty(),
    );
    // Both conversions keep the text's atoms whole for the splitter.
    let septets;
    let charset_octets;
    let payload = match coding {
        Coding::SevenBit => {
            let text = String::from_utf8_lossy(data);
            match options.alt_charset {
                Some(charset) => {
                    charset_octets = charset.encode(&text)?;
                    Payload::Binary(&charset_octets)
                }
                None => {
                    septets = gsm7::encode_lossy(&text);
                    Payload::Septets(&septets)
                }
            }
        }
        Coding::Ucs2 => Payload::Utf16Be(data),
        // A coding Kannel never defined: the octets go as they are.
        Coding::EightBit | Coding::Unrecognized(_) => Payload::Binary(data),
    };
    // With message_payload the whole text is one part, however long.
    let max_octets = match options.long_messages {
        LongMessages::Payload => usize::from(u16::MAX),
        _ => options.max_sms_octets.clamp(1, 254),
    };
    let split = split::split(
        &payload,
        user_udh,
        &SplitOptions {
            septet_form: SeptetForm::Unpacked,
            max_octets,
            max_parts: (options.long_messages == LongMessages::Payload).then_some(1),
            ..SplitOptions::new(reference)
        },
    )?;

    let service_type = match sms.binfo.as_deref().filter(|b| !b.is_empty()) {
        Some(binfo) => COctetString::new(binfo.to_vec())?,
        None => COctetString::new(options.service_type.as_bytes())?,
    };
    let validity = sms
        .validity
        .map(i64::from)
        .or_else(|| {
            options
                .validity_minutes
                .filter(|&m| m > 0)
                .map(|m| now_unix.saturating_add(m.saturating_mul(60)))
        })
        .map(absolute)
        .transpose()?
        .unwrap_or_default();
    let schedule = sms
        .deferred
        .map(|at| absolute(i64::from(at)))
        .transpose()?
        .unwrap_or_default();
    let priority_flag = sms
        .priority
        .and_then(|p| u8::try_from(p).ok())
        .filter(|p| *p <= 3)
        .unwrap_or(options.priority);
    let protocol_id = sms.pid.and_then(|p| u8::try_from(p).ok()).unwrap_or(0);
    let rpi = if sms.rpi.is_some_and(|r| r > 0) {
        0x80
    } else {
        0
    };
    let count = split.parts.len();
    let mut submits = Vec::with_capacity(count);
    for (index, part) in split.parts.into_iter().enumerate() {
        let mut udh_bytes = part.udh.clone();
        let mut tlvs = Tlvs::new();
        if options.long_messages == LongMessages::Sar
            && let Some(concat) = part.concat
        {
            // The same parts, their concatenation told by TLVs: the UDH keeps
            // only what the user put there.
            let mut header = Udh::parse(&udh_bytes).map_err(SplitError::from)?;
            header.remove_concat();
            udh_bytes = if header.elements.is_empty() {
                Vec::new()
            } else {
                header.to_bytes().map_err(SplitError::from)?
            };
            tlvs.set_u16(Tag::SAR_MSG_REF_NUM, concat.reference.value());
            tlvs.set_u8(Tag::SAR_TOTAL_SEGMENTS, concat.total);
            tlvs.set_u8(Tag::SAR_SEGMENT_SEQNUM, concat.seq);
        }
        let mut short_message = udh_bytes.clone();
        match part.body {
            PartBody::Septets(bytes) | PartBody::Octets(bytes) => short_message.extend(bytes),
            PartBody::Text(text) => short_message.extend(text.into_bytes()),
            PartBody::Packed { octets, .. } => short_message.extend(octets),
        }
        let udhi = if udh_bytes.is_empty() { 0 } else { 0x40 };
        if options.long_messages == LongMessages::Payload && short_message.len() > 254 {
            tlvs.set_message_payload(std::mem::take(&mut short_message))?;
        }
        if index + 1 < count {
            tlvs.set_u8(Tag::MORE_MESSAGES_TO_SEND, 1);
        }
        // Every part carries them: Kannel splits before it builds each submit_sm.
        for tlv in custom_tlvs.iter() {
            tlvs.push(tlv.clone());
        }
        submits.push(SubmitSm {
            service_type: service_type.clone(),
            source_addr_ton: field("source_addr_ton").unwrap_or(source.ton),
            source_addr_npi: field("source_addr_npi").unwrap_or(source.npi),
            source_addr: COctetString::new(source_addr.clone())?,
            dest_addr_ton: field("dest_addr_ton").unwrap_or(destination.ton),
            dest_addr_npi: field("dest_addr_npi").unwrap_or(destination.npi),
            destination_addr: COctetString::new(destination.address.as_bytes())?,
            esm_class: options.esm_class | udhi | rpi,
            protocol_id,
            priority_flag,
            schedule_delivery_time: schedule.clone(),
            validity_period: validity.clone(),
            // As Kannel: only the first part asks for a receipt, so one report answers the message.
            registered_delivery: if index == 0 {
                registered_delivery(sms.dlr_mask)
            } else {
                0
            },
            replace_if_present_flag: 0,
            data_coding: field("data_coding").unwrap_or(data_coding),
            sm_default_msg_id: 0,
            short_message: ShortMessage::new(short_message)?,
            tlvs,
        });
    }
    Ok(submits)
}

/// The source address octets: a detected alphanumeric sender in `alt-addr-charset` (Kannel
/// converts only what its autodetection called alphanumeric), anything else as given. A
/// sender the charset cannot write goes as it is, as Kannel sends it.
fn source_octets(
    source: &address::SmppAddress,
    options: &SubmitOptions,
) -> Result<Vec<u8>, AddressError> {
    let detected_alphanumeric = source.ton == address::TON_ALPHANUMERIC
        && options.source_ton_npi.is_none()
        && options.source_autodetect;
    let octets = match options.alt_addr_charset {
        Some(charset) if detected_alphanumeric => match charset.encode(&source.address) {
            Ok(octets) => octets,
            Err(error) => {
                log::warn!(
                    "SMPP: sender {:?} cannot be written in alt-addr-charset ({error}); sent as it is",
                    source.address
                );
                source.address.as_bytes().to_vec()
            }
        },
        _ => source.address.as_bytes().to_vec(),
    };
    if octets.len() > address::MAX_ADDRESS_LEN {
        return Err(AddressError::TooLong {
            which: "source address",
            address: source.address.clone(),
            len: octets.len(),
        });
    }
    Ok(octets)
}

/// registered_delivery for a dlr-mask: a final receipt when the mask wants success or failure
/// (failure only: 2), plus intermediate notifications when it wants "buffered".
pub fn registered_delivery(mask: Option<i32>) -> u8 {
    let mask = mask.filter(|&m| m > 0).unwrap_or(0);
    let mut value = if mask & 0x01 != 0 {
        1
    } else if mask & 0x02 != 0 {
        2
    } else {
        0
    };
    if mask & 0x04 != 0 {
        value |= 0x10;
    }
    value
}

/// `YYMMDDhhmmss000+` in UTC; a time SMPP cannot write (before 2000, after 2099) is left out
/// rather than failing the message.
fn absolute(unix: i64) -> Result<super::pdu::SmppTimeString, LengthError> {
    match AbsoluteTime::from_unix(unix, 0) {
        Ok(time) => COctetString::new(SmppTime::Absolute(time).to_string().into_bytes()),
        Err(_) => Ok(COctetString::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use box_protocol::message::Sms;

    fn mt(text: &str) -> Sms {
        Sms::new_mt("12345", "+46701234567", text)
    }

    fn submits(sms: &Sms) -> Vec<SubmitSm> {
        submits_for(sms, &SubmitOptions::default(), 3, 1_795_000_000).unwrap()
    }

    fn with_mode(sms: &Sms, long_messages: LongMessages) -> Vec<SubmitSm> {
        let options = SubmitOptions {
            long_messages,
            ..SubmitOptions::default()
        };
        submits_for(sms, &options, 9, 1_795_000_000).unwrap()
    }

    #[test]
    fn sar_mode_tells_the_concatenation_in_tlvs_and_sends_no_udh() {
        let text = "a".repeat(200);
        let parts = with_mode(&mt(&text), LongMessages::Sar);
        assert_eq!(parts.len(), 2);
        for (index, part) in parts.iter().enumerate() {
            assert_eq!(part.esm_class & 0x40, 0, "no UDHI without a UDH");
            assert_eq!(part.tlvs.get_u16(Tag::SAR_MSG_REF_NUM), Ok(Some(9)));
            assert_eq!(part.tlvs.get_u8(Tag::SAR_TOTAL_SEGMENTS), Ok(Some(2)));
            assert_eq!(
                part.tlvs.get_u8(Tag::SAR_SEGMENT_SEQNUM),
                Ok(Some(index as u8 + 1))
            );
        }
        let joined: Vec<u8> = parts
            .iter()
            .flat_map(|p| p.short_message.as_bytes().to_vec())
            .collect();
        assert_eq!(joined, text.as_bytes());
    }

    #[test]
    fn sar_mode_keeps_the_users_own_udh_elements() {
        let mut sms = mt(&"b".repeat(200));
        sms.udhdata = Some(vec![0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]);
        sms.coding = Some(Coding::EightBit);
        let parts = with_mode(&sms, LongMessages::Sar);
        assert!(parts.len() >= 2);
        for part in &parts {
            assert_eq!(part.esm_class & 0x40, 0x40);
            assert_eq!(
                &part.short_message.as_bytes()[..7],
                &[0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]
            );
        }
    }

    #[test]
    fn payload_mode_sends_one_submit_with_the_whole_text_in_message_payload() {
        let text = "c".repeat(500);
        let parts = with_mode(&mt(&text), LongMessages::Payload);
        assert_eq!(parts.len(), 1);
        assert!(parts[0].short_message.as_bytes().is_empty());
        assert_eq!(parts[0].tlvs.message_payload(), Some(text.as_bytes()));
        // A short text still goes in short_message.
        let short = with_mode(&mt("hi"), LongMessages::Payload);
        assert_eq!(short[0].short_message.as_bytes(), b"hi");
    }

    #[test]
    fn long_messages_takes_kannel_style_words() {
        assert_eq!(LongMessages::from_key("UDH"), Some(LongMessages::Udh));
        assert_eq!(LongMessages::from_key("sar"), Some(LongMessages::Sar));
        assert_eq!(
            LongMessages::from_key("message_payload"),
            Some(LongMessages::Payload)
        );
        assert_eq!(LongMessages::from_key("split"), None);
    }

    #[test]
    fn gsm_text_goes_unpacked_with_extension_characters_as_escape_pairs() {
        let parts = submits(&mt("héllo € [x] @"));
        assert_eq!(parts.len(), 1);
        assert_eq!(
            parts[0].short_message.as_bytes(),
            &[
                0x68, 0x05, 0x6c, 0x6c, 0x6f, 0x20, 0x1b, 0x65, 0x20, 0x1b, 0x3c, 0x78, 0x1b, 0x3e,
                0x20, 0x00
            ]
        );
        assert_eq!(parts[0].data_coding, 0);
        assert_eq!(parts[0].esm_class, 3);
        assert_eq!((parts[0].dest_addr_ton, parts[0].dest_addr_npi), (1, 1));
        assert_eq!(parts[0].destination_addr.as_bytes(), b"46701234567");
    }

    #[test]
    fn a_long_message_is_split_with_a_concatenation_udh_and_only_the_first_part_asks_for_a_receipt()
    {
        let mut sms = mt(&"B".repeat(170));
        sms.dlr_mask = Some(31);
        let parts = submits(&sms);
        assert_eq!(parts.len(), 2);
        assert_eq!(&parts[0].short_message.as_bytes()[..6], &[5, 0, 3, 3, 2, 1]);
        assert_eq!(parts[0].short_message.len(), 6 + 153);
        assert_eq!(&parts[1].short_message.as_bytes()[..6], &[5, 0, 3, 3, 2, 2]);
        assert_eq!(parts[1].short_message.len(), 6 + 17);
        assert_eq!((parts[0].esm_class, parts[1].esm_class), (0x43, 0x43));
        assert_eq!(
            (parts[0].registered_delivery, parts[1].registered_delivery),
            (17, 0)
        );
        assert_eq!(parts[0].tlvs.more_messages_to_send(), Ok(Some(1)));
        assert_eq!(parts[1].tlvs.more_messages_to_send(), Ok(None));
    }

    #[test]
    fn ucs2_goes_as_utf16_big_endian_with_its_class() {
        let mut sms = Sms::new_mt("+4612345", "0701234567", "");
        sms.coding = Some(Coding::Ucs2);
        sms.mclass = Some(1);
        sms.msgdata = Some(vec![0x04, 0x1f, 0x04, 0x40, 0x04, 0x38]);
        let parts = submits(&sms);
        assert_eq!(parts[0].data_coding, 0x19);
        assert_eq!(
            parts[0].short_message.as_bytes(),
            &[0x04, 0x1f, 0x04, 0x40, 0x04, 0x38]
        );
        assert_eq!(
            (parts[0].source_addr_ton, parts[0].source_addr.as_bytes()),
            (1, &b"4612345"[..])
        );
    }

    #[test]
    fn masks_map_to_registered_delivery_as_observed_from_kannel() {
        assert_eq!(registered_delivery(Some(31)), 17);
        assert_eq!(registered_delivery(Some(1)), 1);
        assert_eq!(registered_delivery(Some(2)), 2);
        assert_eq!(registered_delivery(Some(8)), 0);
        assert_eq!(registered_delivery(None), 0);
    }

    #[test]
    fn validity_and_deferral_are_absolute_utc_times() {
        let mut sms = mt("x");
        sms.validity = Some(1_795_635_645);
        sms.deferred = Some(1_795_635_645);
        let parts = submits(&sms);
        assert_eq!(parts[0].validity_period.as_bytes(), b"261125194045000+");
        assert_eq!(
            parts[0].schedule_delivery_time.as_bytes(),
            b"261125194045000+"
        );
    }

    #[test]
    fn a_configured_validity_period_counts_from_now() {
        let options = SubmitOptions {
            validity_minutes: Some(60),
            ..SubmitOptions::default()
        };
        let parts = submits_for(&mt("x"), &options, 0, 1_795_635_645 - 3600).unwrap();
        assert_eq!(parts[0].validity_period.as_bytes(), b"261125194045000+");
    }

    #[test]
    fn a_user_udh_sets_udhi_and_eight_bit_by_default() {
        let mut sms = mt("");
        sms.coding = None;
        sms.udhdata = Some(vec![6, 5, 4, 0x0b, 0x84, 0x23, 0xf0]);
        sms.msgdata = Some(vec![1, 2, 3]);
        let parts = submits(&sms);
        assert_eq!(parts[0].esm_class, 0x43);
        assert_eq!(parts[0].data_coding, 0x04);
        assert_eq!(
            parts[0].short_message.as_bytes(),
            &[6, 5, 4, 0x0b, 0x84, 0x23, 0xf0, 1, 2, 3]
        );
    }

    #[test]
    fn an_alphanumeric_sender_goes_in_alt_addr_charset() {
        let options = SubmitOptions {
            alt_addr_charset: Some(AddrCharset::Gsm),
            ..SubmitOptions::default()
        };
        let sms = Sms::new_mt("Shop@_", "+46701234567", "x");
        let parts = submits_for(&sms, &options, 0, 0).unwrap();
        assert_eq!(
            parts[0].source_addr.as_bytes(),
            &[0x53, 0x68, 0x6f, 0x70, 0x3f, 0x11]
        );
        assert_eq!((parts[0].source_addr_ton, parts[0].source_addr_npi), (5, 0));
        // A numeric sender is left alone.
        let numeric = submits_for(&mt("x"), &options, 0, 0).unwrap();
        assert_eq!(numeric[0].source_addr.as_bytes(), b"12345");
    }

    #[test]
    fn a_forced_sender_ton_is_not_converted() {
        let options = SubmitOptions {
            alt_addr_charset: AddrCharset::from_name("latin1").ok(),
            source_ton_npi: Some(TonNpi { ton: 5, npi: 0 }),
            ..SubmitOptions::default()
        };
        let parts = submits_for(&Sms::new_mt("Café", "123", "x"), &options, 0, 0).unwrap();
        assert_eq!(parts[0].source_addr.as_bytes(), "Café".as_bytes());
    }

    #[test]
    fn smpp_meta_data_becomes_the_configured_tlvs_of_every_part() {
        use super::super::custom_tlv::{CustomTlv, TlvType};
        let options = SubmitOptions {
            custom_tlvs: CustomTlvs::new(
                vec![CustomTlv {
                    name: "my_tlv".into(),
                    tag: Tag(0x1601),
                    kind: TlvType::OctetString,
                    length: 20,
                    constant: None,
                }],
                Vec::new(),
            ),
            ..SubmitOptions::default()
        };
        let mut sms = mt(&"d".repeat(200));
        sms.meta_data = Some(b"?smpp?my_tlv=hello+world&unknown=1&dest_addr_npi=9&".to_vec());
        let parts = submits_for(&sms, &options, 0, 0).unwrap();
        assert_eq!(parts.len(), 2);
        for part in &parts {
            assert_eq!(part.tlvs.get(Tag(0x1601)), Some(&b"hello world"[..]));
            assert_eq!(part.dest_addr_npi, 9);
        }
        assert_eq!(
            parts[1].tlvs.len(),
            1,
            "only the custom TLV on the last part"
        );
    }

    #[test]
    fn binfo_and_priority_of_the_message_win_over_the_link() {
        let mut sms = mt("x");
        sms.binfo = Some(b"BILL".to_vec());
        sms.priority = Some(2);
        sms.pid = Some(0x40);
        let parts = submits(&sms);
        assert_eq!(parts[0].service_type.as_bytes(), b"BILL");
        assert_eq!(parts[0].priority_flag, 2);
        assert_eq!(parts[0].protocol_id, 0x40);
    }
}

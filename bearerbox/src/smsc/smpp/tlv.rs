//! Optional parameters (TLVs, SMPP 3.4 §5.3): tag, length, value, after the mandatory fields.
//!
//! Values are stored raw and in arrival order, whatever the tag: the gateway forwards TLVs it
//! does not understand (Kannel's `smpp-tlv` groups, meta-data `?smpp?`), so a vendor tag must
//! survive decode and encode byte for byte. Typed accessors check the value's shape only when
//! asked, which keeps one malformed optional field from costing us a whole deliver_sm.
//!
//! # Layout
//!
//! - the `tags!` table: every SMPP 3.4 tag with its name and value type ([`TlvKind`]).
//! - [`Tag`]: a tag number with named constants from the table.
//! - [`Tlv`], [`Tlvs`]: one parameter, and the ordered list a body ends with, with typed getters
//!   and setters for what a gateway uses.
//! - [`MessageState`], [`NetworkErrorCode`]: the typed values of delivery receipts.

use std::fmt;

use thiserror::Error;

use super::wire::{FieldError, LengthError, Reader, Wire};

/// The shape of a TLV's value, as the specification declares it for each tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlvKind {
    /// No value: the tag's presence is the information (alert_on_message_delivery).
    Empty,
    U8,
    U16,
    U32,
    /// A C-octet string of at most this many octets including the NUL.
    COctet(usize),
    /// Octets, at most this many.
    Octets(usize),
    /// network_error_code: one octet network type then a 2-octet code.
    NetworkError,
}

/// A TLV tag. Named constants come from the SMPP 3.4 table; any other number is kept as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub u16);

macro_rules! tags {
    ($( $konst:ident = $value:literal, $name:literal, $kind:expr; )*) => {
        impl Tag {
            $( #[doc = $name] pub const $konst: Tag = Tag($value); )*

            /// The specification's name, e.g. `message_payload`; `None` for vendor tags.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($name), )*
                    _ => None,
                }
            }

            /// The declared shape of the value; `None` for vendor tags.
            pub fn kind(self) -> Option<TlvKind> {
                match self.0 {
                    $( $value => Some($kind), )*
                    _ => None,
                }
            }

            #[cfg(test)]
            pub(crate) const KNOWN: &'static [Tag] = &[$( Tag::$konst, )*];
        }
    };
}

tags! {
    DEST_ADDR_SUBUNIT = 0x0005, "dest_addr_subunit", TlvKind::U8;
    DEST_NETWORK_TYPE = 0x0006, "dest_network_type", TlvKind::U8;
    DEST_BEARER_TYPE = 0x0007, "dest_bearer_type", TlvKind::U8;
    DEST_TELEMATICS_ID = 0x0008, "dest_telematics_id", TlvKind::U16;
    SOURCE_ADDR_SUBUNIT = 0x000D, "source_addr_subunit", TlvKind::U8;
    SOURCE_NETWORK_TYPE = 0x000E, "source_network_type", TlvKind::U8;
    SOURCE_BEARER_TYPE = 0x000F, "source_bearer_type", TlvKind::U8;
    SOURCE_TELEMATICS_ID = 0x0010, "source_telematics_id", TlvKind::U8;
    QOS_TIME_TO_LIVE = 0x0017, "qos_time_to_live", TlvKind::U32;
    PAYLOAD_TYPE = 0x0019, "payload_type", TlvKind::U8;
    ADDITIONAL_STATUS_INFO_TEXT = 0x001D, "additional_status_info_text", TlvKind::COctet(256);
    RECEIPTED_MESSAGE_ID = 0x001E, "receipted_message_id", TlvKind::COctet(65);
    MS_MSG_WAIT_FACILITIES = 0x0030, "ms_msg_wait_facilities", TlvKind::U8;
    PRIVACY_INDICATOR = 0x0201, "privacy_indicator", TlvKind::U8;
    SOURCE_SUBADDRESS = 0x0202, "source_subaddress", TlvKind::Octets(23);
    DEST_SUBADDRESS = 0x0203, "dest_subaddress", TlvKind::Octets(23);
    USER_MESSAGE_REFERENCE = 0x0204, "user_message_reference", TlvKind::U16;
    USER_RESPONSE_CODE = 0x0205, "user_response_code", TlvKind::U8;
    SOURCE_PORT = 0x020A, "source_port", TlvKind::U16;
    DESTINATION_PORT = 0x020B, "destination_port", TlvKind::U16;
    SAR_MSG_REF_NUM = 0x020C, "sar_msg_ref_num", TlvKind::U16;
    LANGUAGE_INDICATOR = 0x020D, "language_indicator", TlvKind::U8;
    SAR_TOTAL_SEGMENTS = 0x020E, "sar_total_segments", TlvKind::U8;
    SAR_SEGMENT_SEQNUM = 0x020F, "sar_segment_seqnum", TlvKind::U8;
    SC_INTERFACE_VERSION = 0x0210, "sc_interface_version", TlvKind::U8;
    CALLBACK_NUM_PRES_IND = 0x0302, "callback_num_pres_ind", TlvKind::U8;
    CALLBACK_NUM_ATAG = 0x0303, "callback_num_atag", TlvKind::Octets(65);
    NUMBER_OF_MESSAGES = 0x0304, "number_of_messages", TlvKind::U8;
    CALLBACK_NUM = 0x0381, "callback_num", TlvKind::Octets(19);
    DPF_RESULT = 0x0420, "dpf_result", TlvKind::U8;
    SET_DPF = 0x0421, "set_dpf", TlvKind::U8;
    MS_AVAILABILITY_STATUS = 0x0422, "ms_availability_status", TlvKind::U8;
    NETWORK_ERROR_CODE = 0x0423, "network_error_code", TlvKind::NetworkError;
    MESSAGE_PAYLOAD = 0x0424, "message_payload", TlvKind::Octets(65535);
    DELIVERY_FAILURE_REASON = 0x0425, "delivery_failure_reason", TlvKind::U8;
    MORE_MESSAGES_TO_SEND = 0x0426, "more_messages_to_send", TlvKind::U8;
    MESSAGE_STATE = 0x0427, "message_state", TlvKind::U8;
    USSD_SERVICE_OP = 0x0501, "ussd_service_op", TlvKind::U8;
    DISPLAY_TIME = 0x1201, "display_time", TlvKind::U8;
    SMS_SIGNAL = 0x1203, "sms_signal", TlvKind::U16;
    MS_VALIDITY = 0x1204, "ms_validity", TlvKind::U8;
    ALERT_ON_MESSAGE_DELIVERY = 0x130C, "alert_on_message_delivery", TlvKind::Empty;
    ITS_REPLY_TYPE = 0x1380, "its_reply_type", TlvKind::U8;
    ITS_SESSION_INFO = 0x1383, "its_session_info", TlvKind::Octets(2);
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:04x})", self.0),
            None => write!(f, "0x{:04x}", self.0),
        }
    }
}

/// A TLV whose value does not have the shape its tag declares, found when a typed getter reads it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TlvValueError {
    #[error("TLV {tag}: expected a value of {expected} octet(s), found {found}")]
    Length {
        tag: Tag,
        expected: usize,
        found: usize,
    },
    #[error("TLV {tag}: expected a C-octet string of at most {max} octets ending in NUL")]
    NotCString { tag: Tag, max: usize },
}

/// One optional parameter. The value is at most 65,535 octets, enforced when built, so encoding
/// cannot fail.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlv {
    tag: Tag,
    value: Vec<u8>,
}

impl Tlv {
    pub fn new(tag: Tag, value: impl Into<Vec<u8>>) -> Result<Self, LengthError> {
        let value = value.into();
        if value.len() > usize::from(u16::MAX) {
            return Err(LengthError::TooLong {
                max: usize::from(u16::MAX),
                found: value.len(),
            });
        }
        Ok(Tlv { tag, value })
    }

    pub fn tag(&self) -> Tag {
        self.tag
    }

    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// The TLVs ending a PDU body, in wire order. Duplicates are kept (the specification does not
/// forbid them and some SMSCs send them); getters return the first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Tlvs(Vec<Tlv>);

impl Tlvs {
    pub fn new() -> Self {
        Tlvs(Vec::new())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Tlv> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn get(&self, tag: Tag) -> Option<&[u8]> {
        self.0.iter().find(|t| t.tag == tag).map(|t| t.value())
    }

    /// Adds a TLV after the existing ones.
    pub fn push(&mut self, tlv: Tlv) {
        self.0.push(tlv);
    }

    /// Replaces the first TLV with this tag (dropping the other duplicates), or appends it.
    pub fn set(&mut self, tlv: Tlv) {
        match self.0.iter().position(|t| t.tag == tlv.tag) {
            Some(i) => {
                let tag = tlv.tag;
                if let Some(slot) = self.0.get_mut(i) {
                    *slot = tlv;
                }
                let mut seen = 0usize;
                self.0.retain(|t| {
                    if t.tag != tag {
                        return true;
                    }
                    seen += 1;
                    seen == 1
                });
            }
            None => self.0.push(tlv),
        }
    }

    pub fn remove(&mut self, tag: Tag) {
        self.0.retain(|t| t.tag != tag);
    }

    fn fixed<const N: usize>(&self, tag: Tag) -> Result<Option<[u8; N]>, TlvValueError> {
        let Some(value) = self.get(tag) else {
            return Ok(None);
        };
        <[u8; N]>::try_from(value)
            .map(Some)
            .map_err(|_| TlvValueError::Length {
                tag,
                expected: N,
                found: value.len(),
            })
    }

    pub fn get_u8(&self, tag: Tag) -> Result<Option<u8>, TlvValueError> {
        Ok(self.fixed::<1>(tag)?.map(|[b]| b))
    }

    pub fn get_u16(&self, tag: Tag) -> Result<Option<u16>, TlvValueError> {
        Ok(self.fixed(tag)?.map(u16::from_be_bytes))
    }

    pub fn get_u32(&self, tag: Tag) -> Result<Option<u32>, TlvValueError> {
        Ok(self.fixed(tag)?.map(u32::from_be_bytes))
    }

    /// A C-octet string TLV without its NUL. Lenient about a missing NUL at the very end, which
    /// several SMSCs omit in receipted_message_id, since the TLV length already delimits it.
    pub fn get_c_string(&self, tag: Tag, max: usize) -> Result<Option<&[u8]>, TlvValueError> {
        let Some(value) = self.get(tag) else {
            return Ok(None);
        };
        let text = value.strip_suffix(&[0]).unwrap_or(value);
        if text.len() >= max || text.contains(&0) {
            return Err(TlvValueError::NotCString { tag, max });
        }
        Ok(Some(text))
    }

    pub fn set_u8(&mut self, tag: Tag, value: u8) {
        self.set(Tlv {
            tag,
            value: vec![value],
        });
    }

    pub fn set_u16(&mut self, tag: Tag, value: u16) {
        self.set(Tlv {
            tag,
            value: value.to_be_bytes().to_vec(),
        });
    }

    pub fn set_u32(&mut self, tag: Tag, value: u32) {
        self.set(Tlv {
            tag,
            value: value.to_be_bytes().to_vec(),
        });
    }

    pub fn message_payload(&self) -> Option<&[u8]> {
        self.get(Tag::MESSAGE_PAYLOAD)
    }

    pub fn set_message_payload(&mut self, payload: impl Into<Vec<u8>>) -> Result<(), LengthError> {
        self.set(Tlv::new(Tag::MESSAGE_PAYLOAD, payload)?);
        Ok(())
    }

    pub fn sar_msg_ref_num(&self) -> Result<Option<u16>, TlvValueError> {
        self.get_u16(Tag::SAR_MSG_REF_NUM)
    }

    pub fn sar_total_segments(&self) -> Result<Option<u8>, TlvValueError> {
        self.get_u8(Tag::SAR_TOTAL_SEGMENTS)
    }

    pub fn sar_segment_seqnum(&self) -> Result<Option<u8>, TlvValueError> {
        self.get_u8(Tag::SAR_SEGMENT_SEQNUM)
    }

    pub fn receipted_message_id(&self) -> Result<Option<&[u8]>, TlvValueError> {
        self.get_c_string(Tag::RECEIPTED_MESSAGE_ID, 65)
    }

    pub fn set_receipted_message_id(&mut self, id: &[u8]) -> Result<(), LengthError> {
        let id = super::wire::COctetString::<65>::new(id)?;
        let mut value = id.as_bytes().to_vec();
        value.push(0);
        self.set(Tlv {
            tag: Tag::RECEIPTED_MESSAGE_ID,
            value,
        });
        Ok(())
    }

    pub fn message_state(&self) -> Result<Option<MessageState>, TlvValueError> {
        Ok(self.get_u8(Tag::MESSAGE_STATE)?.map(MessageState::from_u8))
    }

    pub fn set_message_state(&mut self, state: MessageState) {
        self.set_u8(Tag::MESSAGE_STATE, state.as_u8());
    }

    pub fn network_error_code(&self) -> Result<Option<NetworkErrorCode>, TlvValueError> {
        Ok(self
            .fixed::<3>(Tag::NETWORK_ERROR_CODE)?
            .map(|[network_type, hi, lo]| NetworkErrorCode {
                network_type,
                error_code: u16::from_be_bytes([hi, lo]),
            }))
    }

    pub fn set_network_error_code(&mut self, code: NetworkErrorCode) {
        let [hi, lo] = code.error_code.to_be_bytes();
        self.set(Tlv {
            tag: Tag::NETWORK_ERROR_CODE,
            value: vec![code.network_type, hi, lo],
        });
    }

    pub fn more_messages_to_send(&self) -> Result<Option<u8>, TlvValueError> {
        self.get_u8(Tag::MORE_MESSAGES_TO_SEND)
    }

    pub fn sc_interface_version(&self) -> Result<Option<u8>, TlvValueError> {
        self.get_u8(Tag::SC_INTERFACE_VERSION)
    }

    pub fn user_message_reference(&self) -> Result<Option<u16>, TlvValueError> {
        self.get_u16(Tag::USER_MESSAGE_REFERENCE)
    }

    pub fn source_port(&self) -> Result<Option<u16>, TlvValueError> {
        self.get_u16(Tag::SOURCE_PORT)
    }

    pub fn destination_port(&self) -> Result<Option<u16>, TlvValueError> {
        self.get_u16(Tag::DESTINATION_PORT)
    }
}

impl Wire for Tlvs {
    /// Consumes the rest of the body: TLVs are always last.
    fn decode(r: &mut Reader<'_>, _field: &'static str) -> Result<Self, FieldError> {
        let mut tlvs = Vec::new();
        while r.remaining() > 0 {
            let offset = r.offset();
            if r.remaining() < 4 {
                return Err(FieldError::TlvHeaderTruncated {
                    offset,
                    available: r.remaining(),
                });
            }
            let tag = r.u16("tlv tag")?;
            let length = r.u16("tlv length")?;
            let available = r.remaining();
            let value = r.take(usize::from(length), "tlv value").map_err(|_| {
                FieldError::TlvLengthPastEnd {
                    tag,
                    offset,
                    length,
                    available,
                }
            })?;
            tlvs.push(Tlv {
                tag: Tag(tag),
                value: value.to_vec(),
            });
        }
        Ok(Tlvs(tlvs))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for tlv in &self.0 {
            out.extend_from_slice(&tlv.tag.0.to_be_bytes());
            // Tlv::new bounds the value by u16::MAX, and decoding takes at most that.
            let length = u16::try_from(tlv.value.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&length.to_be_bytes());
            out.extend_from_slice(&tlv.value);
        }
    }
}

impl FromIterator<Tlv> for Tlvs {
    fn from_iter<I: IntoIterator<Item = Tlv>>(iter: I) -> Self {
        Tlvs(iter.into_iter().collect())
    }
}

/// message_state (§5.2.28), in the message_state TLV of receipts and in query_sm_resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageState {
    Enroute,
    Delivered,
    Expired,
    Deleted,
    Undeliverable,
    Accepted,
    Unknown,
    Rejected,
    Other(u8),
}

impl MessageState {
    pub fn from_u8(raw: u8) -> Self {
        match raw {
            1 => MessageState::Enroute,
            2 => MessageState::Delivered,
            3 => MessageState::Expired,
            4 => MessageState::Deleted,
            5 => MessageState::Undeliverable,
            6 => MessageState::Accepted,
            7 => MessageState::Unknown,
            8 => MessageState::Rejected,
            other => MessageState::Other(other),
        }
    }

    pub fn as_u8(self) -> u8 {
        match self {
            MessageState::Enroute => 1,
            MessageState::Delivered => 2,
            MessageState::Expired => 3,
            MessageState::Deleted => 4,
            MessageState::Undeliverable => 5,
            MessageState::Accepted => 6,
            MessageState::Unknown => 7,
            MessageState::Rejected => 8,
            MessageState::Other(raw) => raw,
        }
    }

    /// Whether the SMSC will not report on this message again, so a DLR entry can be dropped.
    pub fn is_final(self) -> bool {
        !matches!(self, MessageState::Enroute | MessageState::Accepted)
    }
}

impl Default for MessageState {
    fn default() -> Self {
        MessageState::Other(0)
    }
}

impl Wire for MessageState {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, FieldError> {
        r.u8(field).map(MessageState::from_u8)
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.as_u8());
    }
}

/// network_error_code (§5.3.2.31): which network (1 ANSI-136, 2 IS-95, 3 GSM, ...) and its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetworkErrorCode {
    pub network_type: u8,
    pub error_code: u16,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode(bytes: &[u8]) -> Result<Tlvs, FieldError> {
        Tlvs::decode(&mut Reader::new(bytes, 100), "tlvs")
    }

    #[test]
    fn receipt_tlvs_decode_to_typed_values() {
        let bytes = [
            0x00, 0x1e, 0x00, 0x05, b'M', b'I', b'D', b'1', 0x00, // receipted_message_id
            0x04, 0x27, 0x00, 0x01, 0x02, // message_state DELIVERED
            0x04, 0x23, 0x00, 0x03, 0x03, 0x00, 0x22, // network_error_code GSM 34
        ];
        let tlvs = decode(&bytes).unwrap();
        assert_eq!(tlvs.receipted_message_id(), Ok(Some(&b"MID1"[..])));
        assert_eq!(tlvs.message_state(), Ok(Some(MessageState::Delivered)));
        assert_eq!(
            tlvs.network_error_code(),
            Ok(Some(NetworkErrorCode {
                network_type: 3,
                error_code: 0x22
            }))
        );
        let mut out = Vec::new();
        tlvs.encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn vendor_tlv_round_trips_byte_for_byte() {
        let bytes = [
            0x14, 0x00, 0x00, 0x03, 0xaa, 0xbb, 0xcc, 0x02, 0x0c, 0x00, 0x02, 0x12, 0x34,
        ];
        let tlvs = decode(&bytes).unwrap();
        assert_eq!(tlvs.get(Tag(0x1400)), Some(&[0xaa, 0xbb, 0xcc][..]));
        assert_eq!(tlvs.sar_msg_ref_num(), Ok(Some(0x1234)));
        assert_eq!(Tag(0x1400).name(), None);
        let mut out = Vec::new();
        tlvs.encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn tlv_length_past_the_end_is_refused_with_its_tag() {
        assert_eq!(
            decode(&[0x04, 0x24, 0x00, 0x09, 1, 2, 3]),
            Err(FieldError::TlvLengthPastEnd {
                tag: 0x0424,
                offset: 100,
                length: 9,
                available: 3
            })
        );
        assert_eq!(
            decode(&[0x04, 0x24, 0x00]),
            Err(FieldError::TlvHeaderTruncated {
                offset: 100,
                available: 3
            })
        );
    }

    #[test]
    fn typed_getter_names_a_value_of_the_wrong_size() {
        let tlvs = decode(&[0x02, 0x0c, 0x00, 0x01, 0x07]).unwrap();
        assert_eq!(
            tlvs.sar_msg_ref_num(),
            Err(TlvValueError::Length {
                tag: Tag::SAR_MSG_REF_NUM,
                expected: 2,
                found: 1
            })
        );
        assert_eq!(
            tlvs.sar_msg_ref_num().unwrap_err().to_string(),
            "TLV sar_msg_ref_num (0x020c): expected a value of 2 octet(s), found 1"
        );
    }

    #[test]
    fn receipted_message_id_without_nul_is_accepted() {
        let tlvs = decode(&[0x00, 0x1e, 0x00, 0x03, b'a', b'b', b'c']).unwrap();
        assert_eq!(tlvs.receipted_message_id(), Ok(Some(&b"abc"[..])));
    }

    #[test]
    fn setters_replace_instead_of_duplicating() {
        let mut tlvs = Tlvs::new();
        tlvs.set_u8(Tag::MORE_MESSAGES_TO_SEND, 1);
        tlvs.set_u16(Tag::SOURCE_PORT, 9200);
        tlvs.set_u8(Tag::MORE_MESSAGES_TO_SEND, 0);
        assert_eq!(tlvs.len(), 2);
        assert_eq!(tlvs.more_messages_to_send(), Ok(Some(0)));
        assert_eq!(tlvs.source_port(), Ok(Some(9200)));
        tlvs.set_receipted_message_id(b"X1").unwrap();
        assert_eq!(tlvs.get(Tag::RECEIPTED_MESSAGE_ID), Some(&b"X1\0"[..]));
    }

    #[test]
    fn every_table_tag_has_a_name_and_a_kind() {
        for &tag in Tag::KNOWN {
            assert!(tag.name().is_some() && tag.kind().is_some(), "{tag:?}");
        }
        assert_eq!(Tag::MESSAGE_PAYLOAD.0, 0x0424);
        assert_eq!(Tag::ITS_SESSION_INFO.kind(), Some(TlvKind::Octets(2)));
    }

    #[test]
    fn oversized_value_is_refused_when_built() {
        assert!(Tlv::new(Tag::MESSAGE_PAYLOAD, vec![0u8; 65_536]).is_err());
        assert!(Tlv::new(Tag::MESSAGE_PAYLOAD, vec![0u8; 65_535]).is_ok());
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(tlvs) = decode(&bytes) {
                let mut out = Vec::new();
                tlvs.encode(&mut out);
                prop_assert_eq!(out, bytes);
            }
        }
    }
}

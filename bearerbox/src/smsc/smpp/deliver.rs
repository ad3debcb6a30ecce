//! What an SMSC delivers (deliver_sm, data_sm): a delivery receipt for one of our submissions,
//! or part of an MO message. Parts of a concatenated MO are held by [`MoAssembler`] until the
//! message is whole, so the boxes see one message, as Kannel's `sms-combine-concatenated-mo` does.
//!
//! ```text
//!  deliver_sm ──classify──▶ Report { id, event, text }           ──▶ LinkEvent::Report
//!                      └──▶ MoPart ──MoAssembler (udh concat, SAR)──▶ LinkEvent::Received(Sms)
//! ```

use std::collections::HashMap;
use std::time::{Duration, Instant};

use box_protocol::encoding::{
    Assembled, Charset, Concat, ConcatRef, Offer, Reassembler, Udh, UdhError, gsm7,
};
use box_protocol::message::{Coding, Sms};
use thiserror::Error;

use super::address::{self, AddrCharset};
use super::dcs::{self, Alphabet};
use super::pdu::{DataSm, DeliverSm};
use super::tlv::{MessageState, TlvValueError, Tlvs};
use crate::dlr::{DlrEvent, Receipt};

/// esm_class bits that mark a receipt or an acknowledgement rather than a message
/// (SMSC delivery receipt, SME delivery acknowledgement, intermediate notification).
const RECEIPT_BITS: u8 = 0x04 | 0x08 | 0x20;
/// esm_class: the short message starts with a UDH.
const UDHI: u8 = 0x40;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DeliverError {
    #[error(
        "a delivery receipt without a message id (no receipted_message_id, no 'id:' in its text)"
    )]
    NoReceiptId,
    #[error("a delivery receipt for '{id}' with no state we understand")]
    UnknownState { id: String },
    #[error("the UDH of an MO cannot be read: {0}")]
    Udh(#[from] UdhError),
    #[error("a TLV of the PDU is malformed: {0}")]
    Tlv(#[from] TlvValueError),
}

/// A deliver_sm or data_sm, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Report {
        foreign_id: String,
        event: DlrEvent,
        text: Vec<u8>,
    },
    Mo(MoPart),
}

/// One MO PDU: the addresses and coding its message shares with its sibling parts, and its own
/// UDH (a SAR-TLV part gets an equivalent concatenation element) and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoPart {
    pub origin: MoOrigin,
    pub udh: Vec<u8>,
    pub payload: Vec<u8>,
    /// Kannel's meta-data from this PDU's configured TLVs (`?smpp?...`); empty for none.
    pub meta_data: Vec<u8>,
}

/// What the parts of one message have in common, and the key they are joined under.
/// Addresses stay octets until `alt-addr-charset` has read them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MoOrigin {
    pub source_ton: u8,
    pub source: Vec<u8>,
    pub dest_ton: u8,
    pub destination: Vec<u8>,
    pub data_coding: u8,
    pub protocol_id: u8,
}

/// The fields deliver_sm and data_sm share.
struct Common<'a> {
    source_ton: u8,
    source: &'a [u8],
    dest_ton: u8,
    destination: &'a [u8],
    esm_class: u8,
    data_coding: u8,
    protocol_id: u8,
    short_message: &'a [u8],
    tlvs: &'a Tlvs,
}

pub fn from_deliver_sm(pdu: &DeliverSm) -> Result<Inbound, DeliverError> {
    classify(Common {
        source_ton: pdu.source_addr_ton,
        source: pdu.source_addr.as_bytes(),
        dest_ton: pdu.dest_addr_ton,
        destination: pdu.destination_addr.as_bytes(),
        esm_class: pdu.esm_class,
        data_coding: pdu.data_coding,
        protocol_id: pdu.protocol_id,
        short_message: pdu.short_message.as_bytes(),
        tlvs: &pdu.tlvs,
    })
}

pub fn from_data_sm(pdu: &DataSm) -> Result<Inbound, DeliverError> {
    classify(Common {
        source_ton: pdu.source_addr_ton,
        source: pdu.source_addr.as_bytes(),
        dest_ton: pdu.dest_addr_ton,
        destination: pdu.destination_addr.as_bytes(),
        esm_class: pdu.esm_class,
        data_coding: pdu.data_coding,
        protocol_id: 0,
        short_message: &[],
        tlvs: &pdu.tlvs,
    })
}

fn classify(pdu: Common<'_>) -> Result<Inbound, DeliverError> {
    // SMPP 3.4 §5.2.21: message_payload carries the content when short_message is empty.
    let content = if pdu.short_message.is_empty() {
        pdu.tlvs.message_payload().unwrap_or_default()
    } else {
        pdu.short_message
    };
    if pdu.esm_class & RECEIPT_BITS != 0 {
        return receipt(pdu.tlvs, content);
    }
    let (mut udh, payload) = if pdu.esm_class & UDHI != 0 {
        let (udh, rest) = Udh::parse_prefix(content)?;
        (udh, rest.to_vec())
    } else {
        (Udh::default(), content.to_vec())
    };
    if let (Some(reference), Some(total), Some(seq)) = (
        pdu.tlvs.sar_msg_ref_num()?,
        pdu.tlvs.sar_total_segments()?,
        pdu.tlvs.sar_segment_seqnum()?,
    ) {
        udh.set_concat(Concat {
            reference: ConcatRef::Sixteen(reference),
            total,
            seq,
        });
    }
    Ok(Inbound::Mo(MoPart {
        origin: MoOrigin {
            source_ton: pdu.source_ton,
            source: pdu.source.to_vec(),
            dest_ton: pdu.dest_ton,
            destination: pdu.destination.to_vec(),
            data_coding: pdu.data_coding,
            protocol_id: pdu.protocol_id,
        },
        udh: if udh.is_empty() {
            Vec::new()
        } else {
            udh.to_bytes()?
        },
        payload,
        meta_data: Vec::new(),
    }))
}

fn receipt(tlvs: &Tlvs, text: &[u8]) -> Result<Inbound, DeliverError> {
    let parsed = Receipt::parse(&String::from_utf8_lossy(text));
    let id = match tlvs.receipted_message_id()? {
        Some(id) if !id.is_empty() => String::from_utf8_lossy(id).into_owned(),
        _ => parsed
            .id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or(DeliverError::NoReceiptId)?,
    };
    let from_state = tlvs.message_state()?.and_then(|state| match state {
        MessageState::Enroute | MessageState::Accepted => Some(DlrEvent::Buffered),
        MessageState::Delivered => Some(DlrEvent::Delivered),
        MessageState::Expired
        | MessageState::Deleted
        | MessageState::Undeliverable
        | MessageState::Unknown
        | MessageState::Rejected => Some(DlrEvent::Undelivered),
        _ => None,
    });
    let from_text = || {
        parsed.event().or_else(|| {
            // Spellings some SMSCs use that Kannel also counts as "buffered".
            let stat = parsed.stat.as_deref()?.to_ascii_uppercase();
            matches!(stat.as_str(), "BUFFRED" | "BUFFERD" | "ACKED").then_some(DlrEvent::Buffered)
        })
    };
    let event = from_state
        .or_else(from_text)
        .ok_or_else(|| DeliverError::UnknownState { id: id.clone() })?;
    Ok(Inbound::Report {
        foreign_id: id,
        event,
        text: text.to_vec(),
    })
}

/// How MO messages are written for the boxes.
#[derive(Debug, Clone, Default)]
pub struct MoOptions {
    pub smsc_id: String,
    /// `my-number`: replaces the MO destination.
    pub my_number: Option<String>,
    /// `alt-charset`: data_coding 0 is in this charset rather than GSM 03.38.
    pub alt_charset: Option<Charset>,
    /// `alt-addr-charset`: alphanumeric addresses are in this charset.
    pub alt_addr_charset: Option<AddrCharset>,
}

/// A concatenated message being joined: its origin, reference and part count.
type GroupKey = (MoOrigin, u16, u8);

/// Holds the parts of concatenated MO messages until they are whole.
#[derive(Debug)]
pub struct MoAssembler {
    parts: Reassembler<MoOrigin>,
    /// The meta-data of each message being joined: that of the first part that had any.
    meta: HashMap<GroupKey, Vec<u8>>,
}

/// Kannel's default for `sms-combine-concatenated-mo-timeout`.
pub const DEFAULT_MO_TIMEOUT: Duration = Duration::from_secs(1800);

impl MoAssembler {
    pub fn new(timeout: Duration) -> Self {
        MoAssembler {
            parts: Reassembler::new(timeout),
            meta: HashMap::new(),
        }
    }

    /// Offers a part; returns the whole message once the last part is in (at once for a
    /// message in one part). A malformed concatenation element is passed on as it came.
    pub fn offer(
        &mut self,
        part: MoPart,
        options: &MoOptions,
        now: Instant,
        unix_now: i32,
    ) -> Option<Sms> {
        let MoPart {
            origin,
            udh,
            payload,
            meta_data,
        } = part;
        let concat = Udh::parse(&udh)
            .ok()
            .and_then(|header| header.concat().ok().flatten());
        if let Some(concat) = concat
            && !meta_data.is_empty()
        {
            let key = (origin.clone(), concat.reference.value(), concat.total);
            self.meta.entry(key).or_insert_with(|| meta_data.clone());
        }
        match self.parts.offer(origin.clone(), &udh, payload.clone(), now) {
            Ok(Offer::Complete(assembled)) => {
                let meta = match assembled.reference {
                    Some(reference) => self
                        .meta
                        .remove(&(assembled.origin.clone(), reference.value(), assembled.total))
                        .unwrap_or_default(),
                    None => meta_data,
                };
                Some(mo_sms(assembled, options, unix_now, meta))
            }
            Ok(Offer::Pending { .. } | Offer::Duplicate) => None,
            Err(error) => {
                log::warn!(
                    "SMSC {}: MO part from {} with a bad concatenation ({error}); passed on alone",
                    options.smsc_id,
                    String::from_utf8_lossy(&origin.source)
                );
                Some(mo_sms(
                    Assembled {
                        origin,
                        reference: None,
                        total: 1,
                        udh,
                        payload,
                    },
                    options,
                    unix_now,
                    meta_data,
                ))
            }
        }
    }

    /// Messages given up on, each part delivered alone with its UDH, so nothing is lost.
    pub fn expire(&mut self, now: Instant, options: &MoOptions, unix_now: i32) -> Vec<Sms> {
        let mut sms = Vec::new();
        for expired in self.parts.expire(now) {
            let meta = self
                .meta
                .remove(&(
                    expired.origin.clone(),
                    expired.reference.value(),
                    expired.total,
                ))
                .unwrap_or_default();
            for part in expired.parts {
                let assembled = Assembled {
                    origin: expired.origin.clone(),
                    reference: None,
                    total: 1,
                    udh: part.udh,
                    payload: part.payload,
                };
                sms.push(mo_sms(assembled, options, unix_now, meta.clone()));
            }
        }
        sms
    }

    pub fn pending(&self) -> usize {
        self.parts.pending()
    }
}

fn mo_sms(
    assembled: Assembled<MoOrigin>,
    options: &MoOptions,
    unix_now: i32,
    meta_data: Vec<u8>,
) -> Sms {
    let origin = &assembled.origin;
    let incoming = dcs::from_dcs(origin.data_coding);
    let (coding, msgdata) = match incoming.alphabet {
        Alphabet::Gsm7 => {
            let text = match options.alt_charset {
                Some(charset) => charset
                    .decode(&assembled.payload)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&assembled.payload).into_owned()),
                None => gsm7::decode(&assembled.payload)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&assembled.payload).into_owned()),
            };
            (Coding::SevenBit, text.into_bytes())
        }
        Alphabet::Ascii => (
            Coding::SevenBit,
            String::from_utf8_lossy(&assembled.payload)
                .into_owned()
                .into_bytes(),
        ),
        Alphabet::Latin1 => (
            Coding::SevenBit,
            assembled
                .payload
                .iter()
                .map(|&b| char::from(b))
                .collect::<String>()
                .into_bytes(),
        ),
        Alphabet::EightBit => (Coding::EightBit, assembled.payload.clone()),
        Alphabet::Ucs2 => (Coding::Ucs2, assembled.payload.clone()),
    };
    let receiver = options.my_number.clone().unwrap_or_else(|| {
        address::mo_address(
            origin.dest_ton,
            &origin.destination,
            options.alt_addr_charset,
        )
    });
    let source = address::mo_address(origin.source_ton, &origin.source, options.alt_addr_charset);
    let mut sms = Sms::new_mo(
        address::mo_sender(origin.source_ton, &source),
        receiver,
        msgdata,
        coding,
        options.smsc_id.as_bytes(),
    );
    sms.udhdata = (!assembled.udh.is_empty()).then(|| assembled.udh.clone());
    sms.mclass = incoming.mclass;
    sms.mwi = incoming.mwi;
    sms.compress = incoming.compress.then_some(1);
    sms.pid = (origin.protocol_id != 0).then_some(i32::from(origin.protocol_id));
    sms.time = Some(unix_now);
    sms.meta_data = (!meta_data.is_empty()).then_some(meta_data);
    sms
}

#[cfg(test)]
mod tests {
    use super::super::pdu::{Address, DeliverSm};
    use super::super::tlv::Tag;
    use super::super::wire::ShortMessage;
    use super::*;

    fn deliver(from: &str, esm_class: u8, data_coding: u8, sm: &[u8]) -> DeliverSm {
        DeliverSm {
            source_addr_ton: 1,
            source_addr_npi: 1,
            source_addr: Address::new(from.as_bytes()).unwrap(),
            destination_addr: Address::new(&b"12345"[..]).unwrap(),
            esm_class,
            data_coding,
            short_message: ShortMessage::new(sm.to_vec()).unwrap(),
            ..DeliverSm::default()
        }
    }

    fn options() -> MoOptions {
        MoOptions {
            smsc_id: "smpp1".into(),
            ..MoOptions::default()
        }
    }

    #[test]
    fn a_receipt_text_gives_its_id_and_event() {
        let text = b"id:MID1 sub:001 dlvrd:001 submit date:2611251900 done date:2611251901 stat:DELIVRD err:000 text:hello";
        let inbound = from_deliver_sm(&deliver("4670", 0x04, 0, text)).unwrap();
        assert_eq!(
            inbound,
            Inbound::Report {
                foreign_id: "MID1".into(),
                event: DlrEvent::Delivered,
                text: text.to_vec()
            }
        );
    }

    #[test]
    fn receipt_tlvs_win_over_the_text() {
        let mut pdu = deliver("4670", 0x04, 0, b"id:OTHER stat:UNDELIV");
        pdu.tlvs.set_receipted_message_id(b"ABC").unwrap();
        pdu.tlvs.set_message_state(MessageState::Delivered);
        let Inbound::Report {
            foreign_id, event, ..
        } = from_deliver_sm(&pdu).unwrap()
        else {
            panic!("not a report");
        };
        assert_eq!((foreign_id.as_str(), event), ("ABC", DlrEvent::Delivered));
    }

    #[test]
    fn a_receipt_without_an_id_is_an_error_not_a_panic() {
        assert_eq!(
            from_deliver_sm(&deliver("4670", 0x04, 0, b"stat:DELIVRD")),
            Err(DeliverError::NoReceiptId)
        );
    }

    #[test]
    fn an_international_mo_sender_gets_a_plus_and_gsm_text_becomes_utf8() {
        let Inbound::Mo(part) =
            from_deliver_sm(&deliver("46709999999", 0, 0, &[0x68, 0x05, 0x1b, 0x65])).unwrap()
        else {
            panic!("not an MO");
        };
        let sms = MoAssembler::new(DEFAULT_MO_TIMEOUT)
            .offer(part, &options(), Instant::now(), 0)
            .unwrap();
        assert_eq!(sms.sender.as_deref(), Some(&b"+46709999999"[..]));
        assert_eq!(sms.msgdata.as_deref(), Some("hé€".as_bytes()));
        assert_eq!(sms.coding, Some(Coding::SevenBit));
        assert_eq!(sms.smsc_id.as_deref(), Some(&b"smpp1"[..]));
    }

    #[test]
    fn three_parts_out_of_order_become_one_message() {
        let now = Instant::now();
        let mut assembler = MoAssembler::new(DEFAULT_MO_TIMEOUT);
        let part = |seq: u8, text: &[u8]| {
            let mut sm = vec![5, 0, 3, 9, 3, seq];
            sm.extend_from_slice(text);
            match from_deliver_sm(&deliver("4670", 0x40, 0, &sm)).unwrap() {
                Inbound::Mo(part) => part,
                other => panic!("{other:?}"),
            }
        };
        assert!(
            assembler
                .offer(part(3, b"ghi"), &options(), now, 0)
                .is_none()
        );
        assert!(
            assembler
                .offer(part(1, b"abc"), &options(), now, 0)
                .is_none()
        );
        let sms = assembler
            .offer(part(2, b"def"), &options(), now, 0)
            .unwrap();
        assert_eq!(sms.msgdata.as_deref(), Some(&b"abcdefghi"[..]));
        assert_eq!(sms.udhdata, None);
        assert_eq!(assembler.pending(), 0);
    }

    #[test]
    fn sar_tlv_parts_are_joined_like_udh_parts() {
        let now = Instant::now();
        let mut assembler = MoAssembler::new(DEFAULT_MO_TIMEOUT);
        let part = |seq: u8, text: &[u8]| {
            let mut pdu = deliver("4670", 0, 0, text);
            pdu.tlvs.set_u16(Tag::SAR_MSG_REF_NUM, 0x1234);
            pdu.tlvs.set_u8(Tag::SAR_TOTAL_SEGMENTS, 2);
            pdu.tlvs.set_u8(Tag::SAR_SEGMENT_SEQNUM, seq);
            match from_deliver_sm(&pdu).unwrap() {
                Inbound::Mo(part) => part,
                other => panic!("{other:?}"),
            }
        };
        assert!(
            assembler
                .offer(part(2, b"world"), &options(), now, 0)
                .is_none()
        );
        let sms = assembler
            .offer(part(1, b"hello "), &options(), now, 0)
            .unwrap();
        assert_eq!(sms.msgdata.as_deref(), Some(&b"hello world"[..]));
    }

    #[test]
    fn an_incomplete_message_is_passed_on_part_by_part_when_it_expires() {
        let now = Instant::now();
        let mut assembler = MoAssembler::new(Duration::from_secs(10));
        let Inbound::Mo(part) =
            from_deliver_sm(&deliver("4670", 0x40, 0, &[5, 0, 3, 1, 2, 1, 0x41])).unwrap()
        else {
            panic!("not an MO");
        };
        assert!(assembler.offer(part, &options(), now, 0).is_none());
        assert!(
            assembler
                .expire(now + Duration::from_secs(5), &options(), 0)
                .is_empty()
        );
        let expired = assembler.expire(now + Duration::from_secs(10), &options(), 0);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].udhdata.as_deref(), Some(&[5, 0, 3, 1, 2, 1][..]));
    }

    #[test]
    fn alphanumeric_mo_addresses_are_read_in_alt_addr_charset() {
        let mut pdu = deliver("", 0, 0, b"hi");
        pdu.source_addr_ton = 5;
        pdu.source_addr = Address::new(vec![0x53, 0x68, 0x11, 0x1b, 0x65]).unwrap();
        pdu.dest_addr_ton = 5;
        pdu.destination_addr = Address::new(vec![0x41, 0x04]).unwrap();
        let Inbound::Mo(part) = from_deliver_sm(&pdu).unwrap() else {
            panic!("not an MO");
        };
        let options = MoOptions {
            alt_addr_charset: Some(AddrCharset::Gsm),
            ..options()
        };
        let sms = MoAssembler::new(DEFAULT_MO_TIMEOUT)
            .offer(part, &options, Instant::now(), 0)
            .unwrap();
        assert_eq!(sms.sender.as_deref(), Some("Sh_€".as_bytes()));
        assert_eq!(sms.receiver.as_deref(), Some("Aè".as_bytes()));
    }

    #[test]
    fn the_meta_data_of_a_joined_message_is_that_of_its_parts() {
        let now = Instant::now();
        let mut assembler = MoAssembler::new(DEFAULT_MO_TIMEOUT);
        let part = |seq: u8, meta: &[u8]| {
            let sm = [5, 0, 3, 7, 2, seq, b'x'];
            match from_deliver_sm(&deliver("4670", 0x40, 0, &sm)).unwrap() {
                Inbound::Mo(mut part) => {
                    part.meta_data = meta.to_vec();
                    part
                }
                other => panic!("{other:?}"),
            }
        };
        assert!(assembler.offer(part(2, b""), &options(), now, 0).is_none());
        let sms = assembler
            .offer(part(1, b"?smpp?a=1&"), &options(), now, 0)
            .unwrap();
        assert_eq!(sms.meta_data.as_deref(), Some(&b"?smpp?a=1&"[..]));
        assert!(assembler.meta.is_empty());
    }

    #[test]
    fn ucs2_mo_stays_utf16_big_endian() {
        let Inbound::Mo(part) = from_deliver_sm(&deliver("4670", 0, 8, &[0x04, 0x1f])).unwrap()
        else {
            panic!("not an MO");
        };
        let sms = MoAssembler::new(DEFAULT_MO_TIMEOUT)
            .offer(part, &options(), Instant::now(), 0)
            .unwrap();
        assert_eq!(sms.coding, Some(Coding::Ucs2));
        assert_eq!(sms.msgdata.as_deref(), Some(&[0x04, 0x1f][..]));
    }
}

//! What an SMSC delivers (deliver_sm, data_sm): a delivery receipt for one of our submissions,
//! or part of an MO message. Parts of a concatenated MO are held by [`MoAssembler`] until the
//! message is whole, so the boxes see one message, as Kannel's `sms-combine-concatenated-mo` does.
//!
//! ```text
//!  deliver_sm ──classify──▶ Report { id, event, text, dlr_err }  ──▶ LinkEvent::Report
//!                      └──▶ MoPart ──MoAssembler (udh concat, SAR)──▶ LinkEvent::Received(Sms)
//! ```

use std::collections::HashMap;
use std::time::{Duration, Instant};

use box_protocol::encoding::{
    Assembled, Charset, Concat, ConcatRef, Offer, Reassembler, Udh, UdhError, gsm7,
};
use box_protocol::message::{Coding, Sms};
use thiserror::Error;

use super::address::{self, AddrCharset, MoAddressError};
use super::dcs::{self, Alphabet};
use super::dlr_err;
use super::pdu::{DataSm, DeliverSm};
use super::tlv::{MessageState, Tag, TlvValueError, Tlvs};
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
    #[error("MO {which}: {error}")]
    Address {
        which: &'static str,
        error: MoAddressError,
    },
}

/// A deliver_sm or data_sm, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Report {
        foreign_id: String,
        event: DlrEvent,
        text: Vec<u8>,
        /// Kannel's `dlr_err` ([`super::dlr_err`]), for the report's meta-data.
        dlr_err: Option<Vec<u8>>,
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
    // Kannel checks both addresses of an MO, not those of a receipt it matched.
    let source =
        address::mo_checked(pdu.source_ton, pdu.source).map_err(|error| DeliverError::Address {
            which: "source",
            error,
        })?;
    let destination = address::mo_checked(pdu.dest_ton, pdu.destination).map_err(|error| {
        DeliverError::Address {
            which: "destination",
            error,
        }
    })?;
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
            source,
            dest_ton: pdu.dest_ton,
            destination,
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
        dlr_err: dlr_err::dlr_err(tlvs.get(Tag::NETWORK_ERROR_CODE), text),
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
type GroupKey = (MoOrigin, ConcatRef, u8);

/// What the assembler keeps beside the parts of one message being joined.
#[derive(Debug)]
struct Held<H> {
    /// The meta-data of the first part that had any.
    meta: Vec<u8>,
    /// Every PDU that carried a part of it, copies included: none is answered until the
    /// message is committed, since the SMSC does not send again what it had an answer for.
    handles: Vec<H>,
    /// (seq, fingerprint) of each part held, to recognise a copy after the message is whole.
    parts: Vec<(u8, u64)>,
    /// When its oldest unanswered PDU came.
    since: Instant,
}

/// A message handed over whole (or given up on), remembered for a while so that a copy of one
/// of its parts, sent again by an SMSC that waited too long for our answer, is recognised.
#[derive(Debug)]
struct Done {
    at: Instant,
    parts: Vec<(u8, u64)>,
}

/// What a part (or an expiry) gives the driver: messages for the core and the PDUs to answer
/// once the core has committed them. `messages` is empty for a copy of a part of a message
/// handed over earlier: its answer only waits for what came before it.
#[derive(Debug)]
pub struct Released<H> {
    pub messages: Vec<Sms>,
    pub handles: Vec<H>,
}

/// Holds the parts of concatenated MO messages until they are whole, with the handle of each
/// PDU that carried one (`H`: the session's response handle), so that no part is acknowledged
/// to the SMSC before the message it belongs to is committed. A crash while parts are held
/// loses nothing: unanswered, they are sent again by the SMSC.
#[derive(Debug)]
pub struct MoAssembler<H> {
    parts: Reassembler<MoOrigin>,
    held: HashMap<GroupKey, Held<H>>,
    done: HashMap<GroupKey, Done>,
}

/// Kannel's default for `sms-combine-concatenated-mo-timeout`.
pub const DEFAULT_MO_TIMEOUT: Duration = Duration::from_secs(1800);
/// How long a message handed over is remembered to recognise copies of its parts: longer than
/// any SMSC waits for a deliver_sm_resp before sending again.
const REPEAT_WINDOW: Duration = Duration::from_secs(600);

/// Names one part by its content, so a copy is told from a new message that reuses the
/// reference.
fn fingerprint(udh: &[u8], payload: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    udh.hash(&mut hasher);
    payload.hash(&mut hasher);
    hasher.finish()
}

impl<H> MoAssembler<H> {
    pub fn new(timeout: Duration) -> Self {
        MoAssembler {
            parts: Reassembler::new(timeout),
            held: HashMap::new(),
            done: HashMap::new(),
        }
    }

    /// Offers a part carried by the PDU `handle`. `None` while the message misses parts (the
    /// handle is kept with them); the whole message once the last part is in (at once for a
    /// message in one part), with every handle it releases. A malformed concatenation element
    /// is passed on as it came.
    pub fn offer(
        &mut self,
        part: MoPart,
        handle: H,
        options: &MoOptions,
        now: Instant,
        unix_now: i32,
    ) -> Option<Released<H>> {
        let MoPart {
            origin,
            udh,
            payload,
            meta_data,
        } = part;
        let concat = Udh::parse(&udh)
            .ok()
            .and_then(|header| header.concat().ok().flatten());
        // Only parts of a concatenated message are told apart by their print.
        let print = if concat.is_some() {
            fingerprint(&udh, &payload)
        } else {
            0
        };
        if let Some(concat) = &concat {
            let key = (origin.clone(), concat.reference, concat.total);
            let repeat = !self.held.contains_key(&key)
                && self
                    .done
                    .get(&key)
                    .is_some_and(|done| done.parts.contains(&(concat.seq, print)));
            if repeat {
                // Its message was handed over already: answer once that is committed.
                return Some(Released {
                    messages: Vec::new(),
                    handles: vec![handle],
                });
            }
        }
        match self.parts.offer(origin.clone(), &udh, payload.clone(), now) {
            Ok(Offer::Complete(assembled)) => {
                let (meta, mut handles) = match (assembled.reference, &concat) {
                    (Some(reference), Some(concat)) => {
                        let key = (assembled.origin.clone(), reference, assembled.total);
                        let (mut parts, meta, handles) = match self.held.remove(&key) {
                            Some(held) if !held.meta.is_empty() => {
                                (held.parts, held.meta, held.handles)
                            }
                            Some(held) => (held.parts, meta_data, held.handles),
                            None => (Vec::new(), meta_data, Vec::new()),
                        };
                        parts.push((concat.seq, print));
                        self.done.insert(key, Done { at: now, parts });
                        (meta, handles)
                    }
                    _ => (meta_data, Vec::new()),
                };
                handles.push(handle);
                Some(Released {
                    messages: vec![mo_sms(assembled, options, unix_now, meta)],
                    handles,
                })
            }
            Ok(offer @ (Offer::Pending { .. } | Offer::Duplicate)) => {
                let Some(concat) = concat else {
                    // The reassembler holds only concatenated parts; should it ever not, the
                    // PDU is answered after a commit rather than never.
                    return Some(Released {
                        messages: Vec::new(),
                        handles: vec![handle],
                    });
                };
                let key = (origin, concat.reference, concat.total);
                let held = self.held.entry(key).or_insert_with(|| Held {
                    meta: Vec::new(),
                    handles: Vec::new(),
                    parts: Vec::new(),
                    since: now,
                });
                if held.handles.is_empty() {
                    held.since = now;
                }
                if held.meta.is_empty() {
                    held.meta = meta_data;
                }
                if matches!(offer, Offer::Pending { .. }) {
                    held.parts.push((concat.seq, print));
                }
                held.handles.push(handle);
                None
            }
            Err(error) => {
                log::warn!(
                    "SMSC {}: MO part from {} with a bad concatenation ({error}); passed on alone",
                    options.smsc_id,
                    String::from_utf8_lossy(&origin.source)
                );
                Some(Released {
                    messages: vec![mo_sms(
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
                    )],
                    handles: vec![handle],
                })
            }
        }
    }

    /// Messages given up on: each part delivered alone with its UDH, so nothing is lost, and
    /// the handles of all of them released together once they are committed.
    pub fn expire(&mut self, now: Instant, options: &MoOptions, unix_now: i32) -> Vec<Released<H>> {
        self.done
            .retain(|_, done| now.saturating_duration_since(done.at) < REPEAT_WINDOW);
        let mut released = Vec::new();
        for expired in self.parts.expire(now) {
            let key = (expired.origin.clone(), expired.reference, expired.total);
            let (meta, handles, parts) = match self.held.remove(&key) {
                Some(held) => (held.meta, held.handles, held.parts),
                None => (Vec::new(), Vec::new(), Vec::new()),
            };
            self.done.insert(key, Done { at: now, parts });
            let messages = expired
                .parts
                .into_iter()
                .map(|part| {
                    let assembled = Assembled {
                        origin: expired.origin.clone(),
                        reference: None,
                        total: 1,
                        udh: part.udh,
                        payload: part.payload,
                    };
                    mo_sms(assembled, options, unix_now, meta.clone())
                })
                .collect();
            released.push(Released { messages, handles });
        }
        released
    }

    /// Messages waiting for parts.
    pub fn pending(&self) -> usize {
        self.parts.pending()
    }

    /// The PDUs held unanswered for `hold` or longer, taken to be answered now although
    /// their message is not whole: an SMSC that sends one deliver_sm at a time waits for
    /// the answer before it sends the next part, and would otherwise wait for the
    /// reassembly timeout. Those parts are then held in memory only, as Kannel holds them.
    pub fn overdue(&mut self, now: Instant, hold: Duration) -> Vec<H> {
        self.held
            .values_mut()
            .filter(|held| {
                !held.handles.is_empty() && now.saturating_duration_since(held.since) >= hold
            })
            .flat_map(|held| std::mem::take(&mut held.handles))
            .collect()
    }

    /// When the oldest PDU held unanswered came.
    pub fn oldest_unanswered(&self) -> Option<Instant> {
        self.held
            .values()
            .filter(|held| !held.handles.is_empty())
            .map(|held| held.since)
            .min()
    }

    /// PDUs held unanswered with the parts.
    pub fn unanswered(&self) -> usize {
        self.held.values().map(|held| held.handles.len()).sum()
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
        source,
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

    /// The one message a release carries.
    fn whole(released: Option<Released<u64>>) -> Sms {
        let mut released = released.expect("a message");
        assert_eq!(released.messages.len(), 1, "{released:?}");
        released.messages.remove(0)
    }

    /// A part `seq` of 3 of reference 9 from 4670.
    fn concat_part(seq: u8, text: &[u8]) -> MoPart {
        let mut sm = vec![5, 0, 3, 9, 3, seq];
        sm.extend_from_slice(text);
        match from_deliver_sm(&deliver("4670", 0x40, 0, &sm)) {
            Ok(Inbound::Mo(part)) => part,
            other => panic!("{other:?}"),
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
                text: text.to_vec(),
                dlr_err: Some(vec![3, 0, 0]),
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
        let sms = whole(MoAssembler::new(DEFAULT_MO_TIMEOUT).offer(
            part,
            1,
            &options(),
            Instant::now(),
            0,
        ));
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
                .offer(part(3, b"ghi"), 1, &options(), now, 0)
                .is_none()
        );
        assert!(
            assembler
                .offer(part(1, b"abc"), 2, &options(), now, 0)
                .is_none()
        );
        let sms = whole(assembler.offer(part(2, b"def"), 3, &options(), now, 0));
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
                .offer(part(2, b"world"), 1, &options(), now, 0)
                .is_none()
        );
        let sms = whole(assembler.offer(part(1, b"hello "), 2, &options(), now, 0));
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
        assert!(assembler.offer(part, 7, &options(), now, 0).is_none());
        assert!(
            assembler
                .expire(now + Duration::from_secs(5), &options(), 0)
                .is_empty()
        );
        let expired = assembler.expire(now + Duration::from_secs(10), &options(), 0);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].handles, vec![7]);
        assert_eq!(expired[0].messages.len(), 1);
        assert_eq!(
            expired[0].messages[0].udhdata.as_deref(),
            Some(&[5, 0, 3, 1, 2, 1][..])
        );
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
        let sms =
            whole(MoAssembler::new(DEFAULT_MO_TIMEOUT).offer(part, 1, &options, Instant::now(), 0));
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
        assert!(
            assembler
                .offer(part(2, b""), 1, &options(), now, 0)
                .is_none()
        );
        let sms = whole(assembler.offer(part(1, b"?smpp?a=1&"), 2, &options(), now, 0));
        assert_eq!(sms.meta_data.as_deref(), Some(&b"?smpp?a=1&"[..]));
        assert!(assembler.held.is_empty());
    }

    #[test]
    fn ucs2_mo_stays_utf16_big_endian() {
        let Inbound::Mo(part) = from_deliver_sm(&deliver("4670", 0, 8, &[0x04, 0x1f])).unwrap()
        else {
            panic!("not an MO");
        };
        let sms = whole(MoAssembler::new(DEFAULT_MO_TIMEOUT).offer(
            part,
            1,
            &options(),
            Instant::now(),
            0,
        ));
        assert_eq!(sms.coding, Some(Coding::Ucs2));
        assert_eq!(sms.msgdata.as_deref(), Some(&[0x04, 0x1f][..]));
    }

    #[test]
    fn held_parts_release_no_handle_until_the_message_is_whole_then_all_of_them() {
        let now = Instant::now();
        let mut assembler = MoAssembler::new(DEFAULT_MO_TIMEOUT);
        assert!(
            assembler
                .offer(concat_part(1, b"abc"), 11, &options(), now, 0)
                .is_none()
        );
        assert!(
            assembler
                .offer(concat_part(2, b"def"), 12, &options(), now, 0)
                .is_none()
        );
        assert_eq!(assembler.unanswered(), 2);
        let released = assembler
            .offer(concat_part(3, b"ghi"), 13, &options(), now, 0)
            .expect("the message is whole");
        assert_eq!(released.handles, vec![11, 12, 13]);
        assert_eq!(released.messages.len(), 1);
        assert_eq!(
            released.messages[0].msgdata.as_deref(),
            Some(&b"abcdefghi"[..])
        );
        assert_eq!(assembler.unanswered(), 0);
    }

    #[test]
    fn a_part_sent_twice_is_joined_once_and_both_copies_are_answered() {
        let now = Instant::now();
        let mut assembler = MoAssembler::new(DEFAULT_MO_TIMEOUT);
        for (handle, seq) in [(1, 1), (2, 1), (3, 2)] {
            assert!(
                assembler
                    .offer(concat_part(seq, b"xy"), handle, &options(), now, 0)
                    .is_none()
            );
        }
        let released = assembler
            .offer(concat_part(3, b"z"), 4, &options(), now, 0)
            .expect("the message is whole");
        assert_eq!(released.handles, vec![1, 2, 3, 4]);
        assert_eq!(released.messages[0].msgdata.as_deref(), Some(&b"xyxyz"[..]));
    }

    #[test]
    fn a_copy_of_a_part_of_a_message_handed_over_releases_only_itself() {
        let now = Instant::now();
        let mut assembler = MoAssembler::new(DEFAULT_MO_TIMEOUT);
        for (handle, seq) in [(1, 1), (2, 2)] {
            assert!(
                assembler
                    .offer(concat_part(seq, b"ab"), handle, &options(), now, 0)
                    .is_none()
            );
        }
        assert!(
            assembler
                .offer(concat_part(3, b"c"), 3, &options(), now, 0)
                .is_some()
        );
        // The SMSC waited too long for our answer and sends part 1 again.
        let repeat = assembler
            .offer(concat_part(1, b"ab"), 4, &options(), now, 0)
            .expect("a copy is answered");
        assert!(repeat.messages.is_empty());
        assert_eq!(repeat.handles, vec![4]);
        assert_eq!(assembler.pending(), 0);
        // A new message reusing the reference, with other text, is held as usual.
        assert!(
            assembler
                .offer(concat_part(1, b"new"), 5, &options(), now, 0)
                .is_none()
        );
    }

    #[test]
    fn parts_held_unanswered_too_long_are_answered_before_their_message_is_whole() {
        let options = options();
        let mut assembler = MoAssembler::new(Duration::from_secs(1800));
        let start = Instant::now();
        assert!(
            assembler
                .offer(concat_part(1, b"one"), 1, &options, start, 0)
                .is_none()
        );
        assert!(
            assembler
                .overdue(start + Duration::from_secs(1), Duration::from_secs(5))
                .is_empty()
        );
        assert_eq!(
            assembler.overdue(start + Duration::from_secs(5), Duration::from_secs(5)),
            vec![1]
        );
        // The part is still held for the message; the next one is answered on its own clock.
        let later = start + Duration::from_secs(6);
        assert!(
            assembler
                .offer(concat_part(2, b"two"), 2, &options, later, 0)
                .is_none()
        );
        assert!(
            assembler
                .overdue(later + Duration::from_secs(1), Duration::from_secs(5))
                .is_empty()
        );
        let whole = assembler
            .offer(
                concat_part(3, b"three"),
                3,
                &options,
                later + Duration::from_secs(2),
                0,
            )
            .expect("the message is whole");
        assert_eq!(whole.handles, vec![2, 3]);
        assert_eq!(whole.messages.len(), 1);
    }

    #[test]
    fn an_expired_message_releases_the_handles_of_every_part_it_held() {
        let now = Instant::now();
        let mut assembler = MoAssembler::new(Duration::from_secs(10));
        for (handle, seq) in [(1, 1), (2, 3), (3, 3)] {
            assert!(
                assembler
                    .offer(concat_part(seq, b"p"), handle, &options(), now, 0)
                    .is_none()
            );
        }
        let expired = assembler.expire(now + Duration::from_secs(10), &options(), 0);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].handles, vec![1, 2, 3]);
        assert_eq!(expired[0].messages.len(), 2, "parts 1 and 3, once each");
        assert_eq!(assembler.unanswered(), 0);
    }
    #[test]
    fn a_receipts_network_error_code_is_its_dlr_err() {
        let mut pdu = deliver("4670", 0x04, 0, b"id:ABC stat:UNDELIV err:001");
        pdu.tlvs
            .push(super::super::tlv::Tlv::new(Tag::NETWORK_ERROR_CODE, vec![2, 0, 9]).unwrap());
        let Inbound::Report { dlr_err, .. } = from_deliver_sm(&pdu).unwrap() else {
            panic!("not a report");
        };
        assert_eq!(dlr_err, Some(vec![2, 0, 9]));
    }

    #[test]
    fn an_mo_with_an_alphanumeric_sender_over_eleven_octets_is_refused() {
        let mut pdu = deliver("", 0, 0, b"hi");
        pdu.source_addr_ton = 5;
        pdu.source_addr = Address::new(&b"TwelveChars!"[..]).unwrap();
        assert!(matches!(
            from_deliver_sm(&pdu),
            Err(DeliverError::Address {
                which: "source",
                error: MoAddressError::AlphanumericTooLong { len: 12, .. }
            })
        ));
    }

    #[test]
    fn an_international_mo_destination_gets_a_plus_and_a_sender_loses_its_double_zero() {
        let mut pdu = deliver("0046709999999", 0, 0, b"hi");
        pdu.dest_addr_ton = 1;
        pdu.destination_addr = Address::new(&b"4631234567"[..]).unwrap();
        let Inbound::Mo(part) = from_deliver_sm(&pdu).unwrap() else {
            panic!("not an MO");
        };
        let sms = whole(MoAssembler::new(DEFAULT_MO_TIMEOUT).offer(
            part,
            1,
            &options(),
            Instant::now(),
            0,
        ));
        assert_eq!(sms.sender.as_deref(), Some(&b"+46709999999"[..]));
        assert_eq!(sms.receiver.as_deref(), Some(&b"+4631234567"[..]));
    }

    #[test]
    fn an_international_mo_destination_with_letters_is_refused() {
        let mut pdu = deliver("46709999999", 0, 0, b"hi");
        pdu.dest_addr_ton = 1;
        pdu.destination_addr = Address::new(&b"46ABCDEF"[..]).unwrap();
        assert!(matches!(
            from_deliver_sm(&pdu),
            Err(DeliverError::Address {
                which: "destination",
                ..
            })
        ));
    }
}

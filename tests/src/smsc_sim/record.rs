//! What the simulator keeps of the traffic: every PDU ([`PduRecord`]) and,
//! decoded field by field, every message submitted ([`Submit`]).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::BytesMut;
use rusmpp_core::command::owned::Command;
use rusmpp_core::encode::owned::Encode;
use rusmpp_core::pdus::owned::{DataSm, Pdu, SubmitMulti, SubmitSm};
use rusmpp_core::tlvs::owned::Tlv;
use rusmpp_core::values::owned::DestAddress;
use rusmpp_core::values::{Npi, Ton};

use super::wire::command_name;

pub const TAG_SAR_MSG_REF_NUM: u16 = 0x020C;
pub const TAG_SAR_TOTAL_SEGMENTS: u16 = 0x020E;
pub const TAG_SAR_SEGMENT_SEQNUM: u16 = 0x020F;
pub const TAG_MESSAGE_PAYLOAD: u16 = 0x0424;
pub const TAG_MORE_MESSAGES_TO_SEND: u16 = 0x0426;

/// An SMPP address with its type of number and numbering plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub ton: u8,
    pub npi: u8,
    pub addr: String,
}

impl Address {
    pub fn new(ton: u8, npi: u8, addr: impl Into<String>) -> Address {
        Address {
            ton,
            npi,
            addr: addr.into(),
        }
    }

    /// The way Kannel picks TON/NPI for a sender: `+digits` is
    /// international (plus stripped), digits national, anything else
    /// alphanumeric.
    pub fn guess(text: &str) -> Address {
        if let Some(digits) = text.strip_prefix('+')
            && !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Address::new(1, 1, digits);
        }
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return Address::new(2, 1, text);
        }
        Address::new(5, 0, text)
    }
}

impl From<&str> for Address {
    fn from(text: &str) -> Address {
        Address::guess(text)
    }
}

/// A C-Octet String as rusmpp-core holds it, without its NUL.
pub(crate) fn c_str(bytes: &[u8]) -> &[u8] {
    bytes.strip_suffix(&[0]).unwrap_or(bytes)
}

fn address(ton: Ton, npi: Npi, addr: &[u8]) -> Address {
    Address {
        ton: u8::from(ton),
        npi: u8::from(npi),
        addr: String::from_utf8_lossy(c_str(addr)).into_owned(),
    }
}

/// Which PDU carried a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmitKind {
    SubmitSm,
    SubmitMulti,
    DataSm,
}

/// One message as the simulator received it, every field kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submit {
    pub at: SystemTime,
    /// Which connection (numbered from 1 in accept order) sent it.
    pub connection: u64,
    pub sequence_number: u32,
    pub kind: SubmitKind,
    /// The status answered (0 when accepted). `None` while stalled.
    pub status: Option<u32>,
    /// The id answered, as written in the response.
    pub message_id: Option<String>,
    pub id_number: Option<u64>,
    pub service_type: String,
    pub source: Address,
    /// One for submit_sm and data_sm, each SME address of a submit_multi.
    pub destinations: Vec<Address>,
    pub esm_class: u8,
    pub protocol_id: u8,
    pub priority_flag: u8,
    pub schedule_delivery_time: String,
    pub validity_period: String,
    pub registered_delivery: u8,
    pub replace_if_present_flag: u8,
    pub data_coding: u8,
    pub sm_default_msg_id: u8,
    /// As on the wire, UDH included.
    pub short_message: Vec<u8>,
    /// Every TLV: tag and raw value bytes, in the order received.
    pub tlvs: Vec<(u16, Vec<u8>)>,
}

impl Submit {
    pub fn destination(&self) -> Option<&Address> {
        self.destinations.first()
    }

    /// The UDH when esm_class has the UDHI bit (0x40) and the length
    /// octet fits.
    pub fn udh(&self) -> Option<&[u8]> {
        if self.esm_class & 0x40 == 0 {
            return None;
        }
        let udhl = *self.short_message.first()? as usize;
        self.short_message.get(..=udhl)
    }

    /// The user data without its UDH; the `message_payload` TLV when the
    /// short message is empty.
    pub fn text(&self) -> &[u8] {
        if self.short_message.is_empty()
            && let Some(payload) = self.tlv(TAG_MESSAGE_PAYLOAD)
        {
            return payload;
        }
        match self.udh() {
            Some(udh) => self.short_message.get(udh.len()..).unwrap_or_default(),
            None => &self.short_message,
        }
    }

    pub fn tlv(&self, tag: u16) -> Option<&[u8]> {
        self.tlvs
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, value)| value.as_slice())
    }

    /// Whether a delivery receipt was asked for (SMSC receipt bits).
    pub fn wants_receipt(&self) -> bool {
        self.registered_delivery & 0x03 != 0
    }

    pub(crate) fn from_command(command: &Command, connection: u64) -> Option<Submit> {
        let mut submit = match command.pdu()? {
            Pdu::SubmitSm(sm) => from_submit_sm(sm),
            Pdu::SubmitMulti(multi) => from_submit_multi(multi),
            Pdu::DataSm(data) => from_data_sm(data),
            _ => return None,
        };
        submit.connection = connection;
        submit.sequence_number = command.sequence_number();
        Some(submit)
    }
}

fn blank(kind: SubmitKind, source: Address) -> Submit {
    Submit {
        at: SystemTime::now(),
        connection: 0,
        sequence_number: 0,
        kind,
        status: None,
        message_id: None,
        id_number: None,
        service_type: String::new(),
        source,
        destinations: Vec::new(),
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: String::new(),
        validity_period: String::new(),
        registered_delivery: 0,
        replace_if_present_flag: 0,
        data_coding: 0,
        sm_default_msg_id: 0,
        short_message: Vec::new(),
        tlvs: Vec::new(),
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(c_str(bytes)).into_owned()
}

pub(crate) fn raw_tlvs(tlvs: &[Tlv]) -> Vec<(u16, Vec<u8>)> {
    tlvs.iter()
        .map(|tlv| {
            let mut value = BytesMut::new();
            if let Some(tlv_value) = tlv.value() {
                Encode::encode(tlv_value, &mut value);
            }
            (u16::from(tlv.tag()), value.to_vec())
        })
        .collect()
}

fn from_submit_sm(sm: &SubmitSm) -> Submit {
    let source = address(sm.source_addr_ton, sm.source_addr_npi, &sm.source_addr);
    Submit {
        service_type: lossy(sm.service_type.value()),
        destinations: vec![address(
            sm.dest_addr_ton,
            sm.dest_addr_npi,
            &sm.destination_addr,
        )],
        esm_class: u8::from(sm.esm_class),
        protocol_id: sm.protocol_id,
        priority_flag: u8::from(sm.priority_flag),
        schedule_delivery_time: lossy(&sm.schedule_delivery_time),
        validity_period: lossy(&sm.validity_period),
        registered_delivery: u8::from(sm.registered_delivery),
        replace_if_present_flag: u8::from(sm.replace_if_present_flag),
        data_coding: u8::from(sm.data_coding),
        sm_default_msg_id: sm.sm_default_msg_id,
        short_message: sm.short_message().to_vec(),
        tlvs: raw_tlvs(sm.tlvs()),
        ..blank(SubmitKind::SubmitSm, source)
    }
}

fn from_submit_multi(multi: &SubmitMulti) -> Submit {
    let source = address(
        multi.source_addr_ton,
        multi.source_addr_npi,
        &multi.source_addr,
    );
    let destinations = multi
        .dest_address()
        .iter()
        .filter_map(|dest| match dest {
            DestAddress::SmeAddress(sme) => Some(address(
                sme.dest_addr_ton,
                sme.dest_addr_npi,
                &sme.destination_addr,
            )),
            DestAddress::DistributionListName(_) => None,
        })
        .collect();
    Submit {
        service_type: lossy(multi.service_type.value()),
        destinations,
        esm_class: u8::from(multi.esm_class),
        protocol_id: multi.protocol_id,
        priority_flag: u8::from(multi.priority_flag),
        schedule_delivery_time: lossy(&multi.schedule_delivery_time),
        validity_period: lossy(&multi.validity_period),
        registered_delivery: u8::from(multi.registered_delivery),
        replace_if_present_flag: u8::from(multi.replace_if_present_flag),
        data_coding: u8::from(multi.data_coding),
        sm_default_msg_id: multi.sm_default_msg_id,
        short_message: multi.short_message().to_vec(),
        tlvs: raw_tlvs(multi.tlvs()),
        ..blank(SubmitKind::SubmitMulti, source)
    }
}

fn from_data_sm(data: &DataSm) -> Submit {
    let source = address(
        data.source_addr_ton,
        data.source_addr_npi,
        &data.source_addr,
    );
    Submit {
        service_type: lossy(data.service_type.value()),
        destinations: vec![address(
            data.dest_addr_ton,
            data.dest_addr_npi,
            &data.destination_addr,
        )],
        esm_class: u8::from(data.esm_class),
        registered_delivery: u8::from(data.registered_delivery),
        data_coding: u8::from(data.data_coding),
        tlvs: raw_tlvs(data.tlvs()),
        ..blank(SubmitKind::DataSm, source)
    }
}

/// Which way a PDU went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client (the gateway) to the simulator.
    In,
    Out,
}

/// One PDU on the wire, either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PduRecord {
    pub at: SystemTime,
    pub connection: u64,
    pub direction: Direction,
    pub command_id: u32,
    pub status: u32,
    pub sequence_number: u32,
    pub body: RecordBody,
}

/// What a record says of a PDU's body: formatted for people only when a record
/// is written out, as formatting every PDU on arrival was a third of the
/// simulator's CPU under load.
// Nearly every record is `Decoded`: boxing it would cost an allocation per PDU
// to shrink the rare `Undecodable`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordBody {
    Decoded(Option<Pdu>),
    /// Why the body could not be decoded.
    Undecodable(String),
}

impl PduRecord {
    pub fn new(connection: u64, direction: Direction, command: &Command) -> PduRecord {
        PduRecord {
            at: SystemTime::now(),
            connection,
            direction,
            command_id: u32::from(command.id()),
            status: u32::from(command.status()),
            sequence_number: command.sequence_number(),
            body: RecordBody::Decoded(command.pdu().cloned()),
        }
    }

    /// rusmpp-core's view of the body, for people reading the record.
    pub fn body(&self) -> String {
        match &self.body {
            RecordBody::Decoded(pdu) => pdu
                .as_ref()
                .map(|pdu| format!("{pdu:?}"))
                .unwrap_or_default(),
            RecordBody::Undecodable(error) => error.clone(),
        }
    }

    pub fn name(&self) -> String {
        command_name(self.command_id)
    }

    /// One line of the `--record` file.
    pub fn to_json_line(&self, submit: Option<&Submit>) -> String {
        let millis = self
            .at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let mut line = serde_json::json!({
            "t_ms": millis as u64,
            "conn": self.connection,
            "dir": match self.direction { Direction::In => "in", Direction::Out => "out" },
            "cmd": self.name(),
            "command_id": format!("0x{:08x}", self.command_id),
            "status": format!("0x{:08x}", self.status),
            "seq": self.sequence_number,
        });
        if let (Some(submit), Some(map)) = (submit, line.as_object_mut()) {
            map.insert("submit".into(), submit_json(submit));
        } else if let Some(map) = line.as_object_mut() {
            map.insert("body".into(), self.body().into());
        }
        line.to_string()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn address_json(address: &Address) -> serde_json::Value {
    serde_json::json!({ "ton": address.ton, "npi": address.npi, "addr": address.addr })
}

fn submit_json(submit: &Submit) -> serde_json::Value {
    let tlvs: Vec<_> = submit
        .tlvs
        .iter()
        .map(|(tag, value)| serde_json::json!({ "tag": format!("0x{tag:04x}"), "value": hex(value) }))
        .collect();
    serde_json::json!({
        "service_type": submit.service_type,
        "source": address_json(&submit.source),
        "destinations": submit.destinations.iter().map(address_json).collect::<Vec<_>>(),
        "esm_class": submit.esm_class,
        "protocol_id": submit.protocol_id,
        "priority_flag": submit.priority_flag,
        "schedule_delivery_time": submit.schedule_delivery_time,
        "validity_period": submit.validity_period,
        "registered_delivery": submit.registered_delivery,
        "data_coding": submit.data_coding,
        "short_message": hex(&submit.short_message),
        "tlvs": tlvs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_message(esm_class: u8, short_message: &[u8]) -> Submit {
        Submit {
            esm_class,
            short_message: short_message.to_vec(),
            ..blank(SubmitKind::SubmitSm, Address::guess("12345"))
        }
    }

    #[test]
    fn udh_is_split_off_only_when_esm_class_says_so() {
        let part = with_message(0x43, &[5, 0, 3, 3, 2, 1, b'B', b'B']);
        assert_eq!(part.udh(), Some(&[5, 0, 3, 3, 2, 1][..]));
        assert_eq!(part.text(), b"BB");
        let plain = with_message(0x03, &[5, 0, 3]);
        assert_eq!(plain.udh(), None);
        assert_eq!(plain.text(), &[5, 0, 3]);
    }

    #[test]
    fn a_udh_longer_than_the_message_is_not_trusted() {
        let broken = with_message(0x40, &[9, 0, 3]);
        assert_eq!(broken.udh(), None);
    }

    #[test]
    fn addresses_are_guessed_like_kannel() {
        assert_eq!(Address::guess("+4670"), Address::new(1, 1, "4670"));
        assert_eq!(Address::guess("12345"), Address::new(2, 1, "12345"));
        assert_eq!(Address::guess("MyBrand"), Address::new(5, 0, "MyBrand"));
    }
}

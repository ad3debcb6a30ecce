//! The deliver_sm PDUs the simulator originates: delivery receipts and
//! mobile-originated messages.
//!
//! Receipts carry both forms Kannel reads (reference §4.3): the text
//! `id:… sub:001 dlvrd:001 submit date:… done date:… stat:… err:… text:…`
//! and the `receipted_message_id` / `message_state` TLVs.

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use rusmpp_core::CommandStatus;
use rusmpp_core::command::owned::Command;
use rusmpp_core::pdus::owned::DeliverSm;
use rusmpp_core::tlvs::TlvTag;
use rusmpp_core::tlvs::owned::MessageDeliveryRequestTlvValue;
use rusmpp_core::types::owned::{AnyOctetString, COctetString, OctetString};
use rusmpp_core::values::owned::MessagePayload;
use rusmpp_core::values::{DataCoding, EsmClass, MessageState, Npi, Ton};
use thiserror::Error;

use super::record::Address;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    #[error("address {0:?} does not fit SMPP (at most 20 octets)")]
    Address(String),
    #[error("receipted message id {0:?} does not fit SMPP (at most 64 octets)")]
    MessageId(String),
    #[error("UDH of {0} octets plus the text does not fit one short_message")]
    TooLong(usize),
}

/// `message_state` for a receipt `stat:` word (SMPP 3.4 §5.2.28).
pub fn message_state(stat: &str) -> u8 {
    match stat {
        "ENROUTE" => 1,
        "DELIVRD" => 2,
        "EXPIRED" => 3,
        "DELETED" => 4,
        "UNDELIV" => 5,
        "ACCEPTD" => 6,
        "UNKNOWN" => 7,
        "REJECTD" => 8,
        _ => 7,
    }
}

fn smpp_date(at: SystemTime) -> String {
    DateTime::<Utc>::from(at).format("%y%m%d%H%M").to_string()
}

/// The receipt text; at most 20 octets of the original message follow
/// `text:`, as SMSCs do.
pub fn receipt_text(
    id: &str,
    submitted: SystemTime,
    done: SystemTime,
    stat: &str,
    err: u16,
    original: &[u8],
) -> String {
    let text: String = original
        .iter()
        .take(20)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    let dlvrd = if stat == "DELIVRD" { "001" } else { "000" };
    format!(
        "id:{id} sub:001 dlvrd:{dlvrd} submit date:{} done date:{} stat:{stat} err:{err:03} text:{text}",
        smpp_date(submitted),
        smpp_date(done)
    )
}

fn c_address(address: &Address) -> Result<COctetString<1, 21>, BuildError> {
    COctetString::from_string(address.addr.clone())
        .map_err(|_| BuildError::Address(address.addr.clone()))
}

/// What a receipt says about which message.
#[derive(Debug, Clone)]
pub struct ReceiptSpec<'a> {
    /// The handset that received the message: the receipt's source.
    pub handset: &'a Address,
    /// The sender of the original message: the receipt's destination.
    pub originator: &'a Address,
    pub id: &'a str,
    pub submitted: SystemTime,
    pub stat: &'a str,
    pub err: u16,
    pub original: &'a [u8],
    /// Further TLVs after `receipted_message_id` and `message_state`, each `(tag, value)` as
    /// it goes on the wire (`network_error_code`, vendor TLVs).
    pub tlvs: &'a [(u16, Vec<u8>)],
}

pub fn receipt_pdu(spec: &ReceiptSpec<'_>, sequence_number: u32) -> Result<Command, BuildError> {
    let text = receipt_text(
        spec.id,
        spec.submitted,
        SystemTime::now(),
        spec.stat,
        spec.err,
        spec.original,
    );
    let receipted_id = COctetString::from_string(spec.id.to_string())
        .map_err(|_| BuildError::MessageId(spec.id.into()))?;
    let short_message =
        OctetString::from_slice(text.as_bytes()).map_err(|_| BuildError::TooLong(0))?;
    let deliver = DeliverSm::builder()
        .source_addr_ton(Ton::from(spec.handset.ton))
        .source_addr_npi(Npi::from(spec.handset.npi))
        .source_addr(c_address(spec.handset)?)
        .dest_addr_ton(Ton::from(spec.originator.ton))
        .dest_addr_npi(Npi::from(spec.originator.npi))
        .destination_addr(c_address(spec.originator)?)
        .esm_class(EsmClass::from(0x04))
        .data_coding(DataCoding::McSpecific)
        .short_message(short_message)
        .push_tlv(MessageDeliveryRequestTlvValue::ReceiptedMessageId(
            receipted_id,
        ))
        .push_tlv(MessageDeliveryRequestTlvValue::MessageState(
            MessageState::from(message_state(spec.stat)),
        ));
    let deliver = spec
        .tlvs
        .iter()
        .fold(deliver, |deliver, (tag, value)| {
            deliver.push_tlv(MessageDeliveryRequestTlvValue::Other {
                tag: TlvTag::from(*tag),
                value: AnyOctetString::from_slice(value),
            })
        })
        .build();
    Ok(Command::new(
        CommandStatus::EsmeRok,
        sequence_number,
        deliver,
    ))
}

/// An MO message; UDH is prepended and flagged in esm_class. Longer than
/// one short_message (254 octets) goes in `message_payload`, which
/// Kannel reads when sm_length is 0.
pub fn mo_pdu(
    from: &Address,
    to: &Address,
    data_coding: u8,
    udh: Option<&[u8]>,
    text: &[u8],
    sequence_number: u32,
) -> Result<Command, BuildError> {
    mo_pdu_with_tlvs(from, to, data_coding, udh, text, &[], sequence_number)
}

/// [`mo_pdu`] with optional parameters after the mandatory fields, each `(tag, value)` as it
/// goes on the wire: vendor TLVs a gateway may map to meta-data.
pub fn mo_pdu_with_tlvs(
    from: &Address,
    to: &Address,
    data_coding: u8,
    udh: Option<&[u8]>,
    text: &[u8],
    tlvs: &[(u16, Vec<u8>)],
    sequence_number: u32,
) -> Result<Command, BuildError> {
    let mut user_data = udh.unwrap_or_default().to_vec();
    user_data.extend_from_slice(text);
    let esm_class = if udh.is_some() { 0x40 } else { 0x00 };
    let builder = DeliverSm::builder()
        .source_addr_ton(Ton::from(from.ton))
        .source_addr_npi(Npi::from(from.npi))
        .source_addr(c_address(from)?)
        .dest_addr_ton(Ton::from(to.ton))
        .dest_addr_npi(Npi::from(to.npi))
        .destination_addr(c_address(to)?)
        .esm_class(EsmClass::from(esm_class))
        .data_coding(DataCoding::from(data_coding));
    let mut deliver = match OctetString::<0, 255>::from_slice(&user_data) {
        Ok(short_message) if user_data.len() <= 254 => builder.short_message(short_message),
        _ => builder.push_tlv(MessageDeliveryRequestTlvValue::MessagePayload(
            MessagePayload::new(AnyOctetString::from_slice(&user_data)),
        )),
    };
    for (tag, value) in tlvs {
        deliver = deliver.push_tlv(MessageDeliveryRequestTlvValue::Other {
            tag: TlvTag::from(*tag),
            value: AnyOctetString::from_slice(value),
        });
    }
    Ok(Command::new(
        CommandStatus::EsmeRok,
        sequence_number,
        deliver.build(),
    ))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn receipt_text_has_the_fields_kannel_scans_for() {
        // 2026-11-25 19:40 UTC
        let at = UNIX_EPOCH + Duration::from_secs(1_795_635_600);
        let text = receipt_text("1F", at, at, "DELIVRD", 0, b"hello\x1bworld");
        assert_eq!(
            text,
            "id:1F sub:001 dlvrd:001 submit date:2611251940 done date:2611251940 \
             stat:DELIVRD err:000 text:hello.world"
        );
    }

    #[test]
    fn an_undelivered_receipt_counts_nothing_delivered() {
        let text = receipt_text("7", UNIX_EPOCH, UNIX_EPOCH, "UNDELIV", 34, b"");
        assert!(text.contains("dlvrd:000"), "{text}");
        assert!(text.contains("stat:UNDELIV err:034 text:"), "{text}");
    }

    #[test]
    fn message_states_follow_smpp_3_4() {
        assert_eq!(message_state("DELIVRD"), 2);
        assert_eq!(message_state("UNDELIV"), 5);
        assert_eq!(message_state("REJECTD"), 8);
    }

    #[test]
    fn an_address_over_20_octets_is_refused() {
        let long = Address::guess("123456789012345678901");
        let short = Address::guess("1");
        let built = mo_pdu(&long, &short, 0, None, b"x", 1);
        assert!(matches!(built, Err(BuildError::Address(_))));
    }
}

//! Box messages to SMS-SUBMITs and SMS-DELIVERs to box messages: choosing
//! the alphabet and DCS, cutting long messages into concatenated parts,
//! asking for a status report and setting the validity. Pure.

use box_protocol::encoding::split::split;
use box_protocol::encoding::{Body, Payload, SeptetForm, SplitError, SplitOptions, gsm7};
use box_protocol::message::{Coding, Sms, SmsType};
use thiserror::Error;

use super::pdu::{Address, Alphabet, Dcs, Deliver, PduError, Submit, UserData, relative_validity};
use crate::dlr::DlrEvent;

/// Why a message cannot be sent by a modem, ever: these fail permanently.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MessageError {
    #[error("the message has no receiver")]
    NoReceiver,
    #[error("receiver: {0}")]
    Receiver(PduError),
    #[error("cannot split the message: {0}")]
    Split(#[from] SplitError),
    #[error("cannot encode a part: {0}")]
    Pdu(PduError),
}

/// What the link adds to every SUBMIT.
#[derive(Debug, Clone, Copy)]
pub struct SubmitOptions {
    /// Relative TP-VP for messages without a validity of their own.
    pub validity_period: Option<u8>,
    /// `max-sms-octets`.
    pub max_octets: usize,
    /// The concatenation reference for this message's parts.
    pub reference: u8,
    /// Epoch seconds, to turn the message's absolute validity into minutes.
    pub now: i64,
}

/// The SUBMITs that carry `sms`, one per part, in order.
pub fn submits_for(sms: &Sms, options: &SubmitOptions) -> Result<Vec<Submit>, MessageError> {
    let receiver = sms
        .receiver
        .as_deref()
        .filter(|r| !r.is_empty())
        .ok_or(MessageError::NoReceiver)?;
    let destination = Address::from_number(String::from_utf8_lossy(receiver).trim())
        .map_err(MessageError::Receiver)?;
    let data = sms.msgdata.as_deref().unwrap_or_default();
    let septets;
    let payload = match sms.coding {
        Some(Coding::EightBit) => Payload::Binary(data),
        Some(Coding::Ucs2) => Payload::Utf16Be(data),
        // Characters without a GSM mapping become '?', as Kannel does.
        _ => {
            septets = gsm7::encode_lossy(&String::from_utf8_lossy(data));
            Payload::Septets(&septets)
        }
    };
    let alphabet = match sms.coding {
        Some(Coding::EightBit) => Alphabet::EightBit,
        Some(Coding::Ucs2) => Alphabet::Ucs2,
        _ => Alphabet::Gsm7,
    };
    let class = sms
        .mclass
        .and_then(|c| u8::try_from(c).ok())
        .filter(|&c| c <= 3);
    let split_options = SplitOptions {
        septet_form: SeptetForm::Unpacked,
        max_octets: options.max_octets.clamp(1, 140),
        ..SplitOptions::new(options.reference)
    };
    let parts = split(
        &payload,
        sms.udhdata.as_deref().unwrap_or_default(),
        &split_options,
    )?;
    let status_report = [
        DlrEvent::Delivered,
        DlrEvent::Undelivered,
        DlrEvent::Buffered,
    ]
    .iter()
    .any(|event| event.wanted_by(sms.dlr_mask));
    let validity = match sms.validity {
        Some(until) => Some(relative_validity((i64::from(until) - options.now) / 60)),
        None => options.validity_period,
    };
    parts
        .parts
        .into_iter()
        .map(|part| {
            let body = match part.body {
                Body::Septets(septets) => septets,
                Body::Octets(octets) => octets,
                Body::Packed { .. } | Body::Text(_) => {
                    return Err(MessageError::Pdu(PduError::BadUserData(
                        "the splitter returned a form it was not asked for".into(),
                    )));
                }
            };
            Ok(Submit {
                status_report,
                reference: 0,
                destination: destination.clone(),
                pid: sms.pid.and_then(|p| u8::try_from(p).ok()).unwrap_or(0),
                dcs: Dcs::octet(alphabet, class),
                validity,
                user_data: UserData {
                    udh: part.udh,
                    body,
                },
            })
        })
        .collect()
}

/// One received part, before reassembly: its UDH and its payload in the
/// form the box protocol carries (UTF-8 for GSM text, so parts join by
/// concatenation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPart {
    pub sender: String,
    pub udh: Vec<u8>,
    pub payload: Vec<u8>,
    pub coding: Coding,
    pub class: Option<u8>,
    pub pid: u8,
}

pub fn received_part(deliver: &Deliver) -> ReceivedPart {
    let dcs = Dcs::parse(deliver.dcs);
    let (payload, coding) = match dcs.alphabet {
        Alphabet::Gsm7 if !dcs.compressed => (
            gsm7::decode(&deliver.user_data.body)
                .unwrap_or_else(|_| String::from_utf8_lossy(&deliver.user_data.body).into_owned())
                .into_bytes(),
            Coding::SevenBit,
        ),
        Alphabet::Ucs2 => (deliver.user_data.body.clone(), Coding::Ucs2),
        _ => (deliver.user_data.body.clone(), Coding::EightBit),
    };
    ReceivedPart {
        sender: deliver.originator.number.clone(),
        udh: deliver.user_data.udh.clone(),
        payload,
        coding,
        class: dcs.class,
        pid: deliver.pid,
    }
}

/// The MO the core gets for a whole (reassembled) message.
pub fn mo_sms(
    part: ReceivedPart,
    smsc_id: &str,
    my_number: Option<&str>,
    smsc_number: Option<&str>,
    now: i32,
) -> Sms {
    let mut sms = Sms::undefined(uuid::Uuid::new_v4());
    sms.sms_type = Some(SmsType::Mo);
    sms.sender = Some(part.sender.into_bytes());
    sms.receiver = Some(my_number.unwrap_or_default().as_bytes().to_vec());
    sms.udhdata = (!part.udh.is_empty()).then_some(part.udh);
    sms.msgdata = Some(part.payload);
    sms.coding = Some(part.coding);
    sms.mclass = part.class.map(i32::from);
    sms.pid = (part.pid != 0).then_some(i32::from(part.pid));
    sms.smsc_id = Some(smsc_id.as_bytes().to_vec());
    sms.smsc_number = smsc_number.map(|n| n.as_bytes().to_vec());
    sms.time = Some(now);
    sms
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smsc::at::pdu::Timestamp;

    fn options() -> SubmitOptions {
        SubmitOptions {
            validity_period: Some(167),
            max_octets: 140,
            reference: 9,
            now: 1_000_000,
        }
    }

    #[test]
    fn a_short_text_is_one_7_bit_submit_with_the_link_validity() -> Result<(), MessageError> {
        let sms = Sms::new_mt("123", "+46700000001", "hello");
        let submits = submits_for(&sms, &options())?;
        assert_eq!(submits.len(), 1);
        let submit = &submits[0];
        assert_eq!(submit.dcs, 0);
        assert_eq!(submit.validity, Some(167));
        assert!(!submit.status_report);
        assert_eq!(submit.destination.number, "+46700000001");
        assert_eq!(
            gsm7::decode(&submit.user_data.body).ok().as_deref(),
            Some("hello")
        );
        Ok(())
    }

    #[test]
    fn a_long_text_becomes_concatenated_parts_that_each_fit() -> Result<(), MessageError> {
        let text = "x".repeat(400);
        let sms = Sms::new_mt("123", "4670", &text);
        let submits = submits_for(&sms, &options())?;
        assert_eq!(submits.len(), 3);
        for (seq, submit) in submits.iter().enumerate() {
            assert_eq!(submit.user_data.udh, vec![5, 0, 3, 9, 3, seq as u8 + 1]);
            assert!(submit.emit().is_ok());
        }
        Ok(())
    }

    #[test]
    fn a_dlr_mask_asking_for_the_handset_sets_the_status_report_request() -> Result<(), MessageError>
    {
        let mut sms = Sms::new_mt("123", "4670", "hi");
        sms.dlr_mask = Some(8);
        assert!(!submits_for(&sms, &options())?[0].status_report);
        sms.dlr_mask = Some(1);
        assert!(submits_for(&sms, &options())?[0].status_report);
        Ok(())
    }

    #[test]
    fn a_ucs2_message_keeps_its_utf16_and_class() -> Result<(), MessageError> {
        let mut sms = Sms::new_mt("123", "4670", "");
        sms.msgdata = Some("Привет".encode_utf16().flat_map(u16::to_be_bytes).collect());
        sms.coding = Some(Coding::Ucs2);
        sms.mclass = Some(1);
        let submit = &submits_for(&sms, &options())?[0];
        assert_eq!(submit.dcs, 0x19);
        assert_eq!(Some(&submit.user_data.body), sms.msgdata.as_ref());
        Ok(())
    }

    #[test]
    fn a_message_validity_overrides_the_link_validity() -> Result<(), MessageError> {
        let mut sms = Sms::new_mt("123", "4670", "hi");
        sms.validity = Some(1_000_000 + 60 * 60);
        assert_eq!(submits_for(&sms, &options())?[0].validity, Some(11));
        Ok(())
    }

    #[test]
    fn an_alphanumeric_receiver_fails_for_good() {
        let sms = Sms::new_mt("123", "Kannel", "hi");
        assert!(matches!(
            submits_for(&sms, &options()),
            Err(MessageError::Receiver(_))
        ));
    }

    #[test]
    fn a_deliver_becomes_an_mo_with_text_in_utf8() -> Result<(), PduError> {
        let deliver = Deliver {
            more_messages: false,
            originator: Address::from_number("+4670111")?,
            pid: 0,
            dcs: 0,
            timestamp: Timestamp::default(),
            user_data: UserData {
                udh: Vec::new(),
                body: gsm7::encode("Grüße").unwrap_or_default(),
            },
        };
        let sms = mo_sms(received_part(&deliver), "modem", Some("5555"), None, 7);
        assert_eq!(sms.msgdata.as_deref(), Some("Grüße".as_bytes()));
        assert_eq!(sms.sender.as_deref(), Some(&b"+4670111"[..]));
        assert_eq!(sms.receiver.as_deref(), Some(&b"5555"[..]));
        assert_eq!(sms.sms_type, Some(SmsType::Mo));
        Ok(())
    }
}

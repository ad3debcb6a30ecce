//! Frames captured from a real Kannel 1.4.5 smsbox ⇄ bearerbox session
//! (`tests/capture/`, stored in `tests/vectors/`): each decodes to the fields
//! Kannel meant and encodes back to the very same bytes.

use std::error::Error;

use box_protocol::frame;
use box_protocol::{AckStatus, AdminCommand, Coding, Msg, Sms, SmsType};
use uuid::Uuid;

type TestResult = Result<(), Box<dyn Error>>;

/// A fixture's bytes: `#` lines are comments, other lines are an offset column
/// followed by hex bytes.
fn fixture(name: &str) -> Result<Vec<u8>, Box<dyn Error>> {
    let path = format!("{}/tests/vectors/{name}.hex", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let mut bytes = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        for byte in line.split_whitespace().skip(1) {
            bytes.push(u8::from_str_radix(byte, 16).map_err(|e| format!("{path}: {byte:?}: {e}"))?);
        }
    }
    Ok(bytes)
}

/// Decodes one captured frame, checking it is exactly one frame and that
/// writing the message back gives the captured bytes.
fn decode_exactly(name: &str) -> Result<Msg, Box<dyn Error>> {
    let bytes = fixture(name)?;
    let (msg, used) = frame::parse(&bytes).map_err(|e| format!("{name}: {e}"))?;
    assert_eq!(used, bytes.len(), "{name}: frame length");
    let mut again = Vec::new();
    frame::write_frame(&msg, &mut again)?;
    assert_eq!(again, bytes, "{name}: re-encoded bytes differ");
    Ok(msg)
}

fn sms(name: &str) -> Result<Sms, Box<dyn Error>> {
    match decode_exactly(name)? {
        Msg::Sms(sms) => Ok(*sms),
        other => Err(format!("{name}: expected an sms, found {other:?}").into()),
    }
}

fn id(text: &str) -> Result<Uuid, Box<dyn Error>> {
    Ok(Uuid::parse_str(text)?)
}

fn some(bytes: &[u8]) -> Option<Vec<u8>> {
    Some(bytes.to_vec())
}

const DLR_URL: &[u8] = b"http://127.0.0.1:13455/dlr?id=42&type=%d&answer=%A";

#[test]
fn identify_from_a_box_with_an_smsbox_id_carries_that_id() -> TestResult {
    assert_eq!(
        decode_exactly("identify")?,
        Msg::Admin {
            command: AdminCommand::Identify,
            boxc_id: some(b"box1")
        }
    );
    Ok(())
}

#[test]
fn heartbeat_of_an_idle_box_has_load_zero() -> TestResult {
    assert_eq!(decode_exactly("heartbeat")?, Msg::heartbeat(0));
    Ok(())
}

#[test]
fn bearerbox_shutdown_is_admin_zero_without_box_id() -> TestResult {
    assert_eq!(decode_exactly("admin_shutdown")?, Msg::shutdown());
    Ok(())
}

#[test]
fn mo_from_the_fake_smsc_is_utf8_text_with_null_udh_and_dlr_url() -> TestResult {
    let expected = Sms {
        sender: some(b"4670000002"),
        receiver: some(b"5555"),
        msgdata: some(b"hello world foo"),
        time: Some(1_795_640_970),
        smsc_id: some(b"fake1"),
        sms_type: Some(SmsType::Mo),
        coding: Some(Coding::SevenBit),
        ..Sms::undefined(id("2b638d9e-031a-4a8c-8ce2-9b8b8391182a")?)
    };
    assert_eq!(sms("mo_text")?, expected);
    Ok(())
}

#[test]
fn simple_sendsms_mt_has_empty_not_null_udh_and_dlr_url() -> TestResult {
    let expected = Sms {
        sender: some(b"12345"),
        receiver: some(b"4670000001"),
        udhdata: some(b""),
        msgdata: some(b"Hello world"),
        time: Some(1_795_640_973),
        service: some(b"tester"),
        sms_type: Some(SmsType::MtPush),
        coding: Some(Coding::SevenBit),
        dlr_url: some(b""),
        boxc_id: some(b"box1"),
        ..Sms::undefined(id("82775eff-b6d9-4267-bf65-bcc268722ceb")?)
    };
    assert_eq!(sms("mt_simple")?, expected);
    Ok(())
}

#[test]
fn sendsms_mt_with_every_option_carries_each_on_the_wire() -> TestResult {
    let time = 1_795_640_974;
    let expected = Sms {
        sender: some(b"12345"),
        receiver: some(b"4670000003"),
        udhdata: some(&[0x06, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0]),
        // "héllo €" in UTF-16BE: smsbox converted the UTF-8 query text for coding=2.
        msgdata: some(&[
            0, b'h', 0, 0xe9, 0, b'l', 0, b'l', 0, b'o', 0, b' ', 0x20, 0xac,
        ]),
        time: Some(time),
        service: some(b"tester"),
        account: some(b"acct1"),
        sms_type: Some(SmsType::MtPush),
        mclass: Some(1),
        coding: Some(Coding::Ucs2),
        // validity=10 and deferred=5 minutes became absolute epoch seconds.
        validity: Some(time + 600),
        deferred: Some(time + 300),
        dlr_mask: Some(31),
        dlr_url: some(DLR_URL),
        pid: Some(0),
        alt_dcs: Some(0),
        rpi: Some(0),
        boxc_id: some(b"box1"),
        binfo: some(b"bill1"),
        priority: Some(2),
        meta_data: some(b"?smpp?my_tlv=hello"),
        // charset=UTF-8 was given but smsbox does not pass it on.
        charset: None,
        ..Sms::undefined(id("70c5a425-9841-49a7-8954-fb8ccfd61084")?)
    };
    assert_eq!(sms("mt_all_options")?, expected);
    Ok(())
}

#[test]
fn service_reply_is_mt_reply_with_the_service_name_and_a_charset() -> TestResult {
    let expected = Sms {
        sender: some(b"12345"),
        receiver: some(b"4670000002"),
        msgdata: some(b"Thanks for your message"),
        time: Some(1_795_640_971),
        smsc_id: some(b"fake1"),
        service: some(b"default"),
        sms_type: Some(SmsType::MtReply),
        coding: Some(Coding::SevenBit),
        charset: some(b"ISO-8859-1"),
        boxc_id: some(b"box1"),
        ..Sms::undefined(id("a2980156-0ed2-4481-a0d5-4b629f9d7bb9")?)
    };
    assert_eq!(sms("mt_reply")?, expected);
    Ok(())
}

#[test]
fn smsc_ack_report_is_event_8_with_ack_text_and_the_mts_addresses() -> TestResult {
    let dlr = sms("dlr_event8")?;
    let expected = Sms {
        sender: some(b"12345"),
        receiver: some(b"4670000003"),
        msgdata: some(b"ACK/"),
        time: Some(1_795_640_974),
        smsc_id: some(b"fake1"),
        service: some(b"tester"),
        sms_type: Some(SmsType::ReportMo),
        dlr_mask: Some(8),
        dlr_url: some(DLR_URL),
        boxc_id: some(b"box1"),
        // The MT's meta-data survives, with the original mask appended.
        meta_data: some(b"?smpp?my_tlv=hello&?orig_msg?dlr_mask=31&"),
        ..Sms::undefined(id("cce65f19-fb77-4b7a-9cef-1a57de79f6c7")?)
    };
    assert_eq!(dlr, expected);
    assert!(dlr.is_report());
    assert_eq!(dlr.coding, None, "reports carry no coding");
    Ok(())
}

#[test]
fn delivered_report_is_event_1_whose_foreign_id_is_the_mt_id_on_a_fake_link() -> TestResult {
    let mt = sms("mt_all_options")?;
    let dlr = sms("dlr_event1")?;
    let expected = Sms {
        sender: some(b"12345"),
        receiver: some(b"4670000003"),
        msgdata: some(b""),
        time: Some(1_795_640_974),
        smsc_id: some(b"fake1"),
        foreign_id: Some(mt.id.to_string().into_bytes()),
        service: some(b"tester"),
        sms_type: Some(SmsType::ReportMo),
        dlr_mask: Some(1),
        dlr_url: some(DLR_URL),
        boxc_id: some(b"box1"),
        meta_data: some(b"?orig_msg?dlr_mask=31&"),
        ..Sms::undefined(id("3afc732e-fe26-4cf2-a07d-a6d8715c65d0")?)
    };
    assert_eq!(dlr, expected);
    Ok(())
}

#[test]
fn every_sms_is_acked_with_success_and_its_own_time_and_id() -> TestResult {
    for (ack, acked) in [
        ("ack_0_for_mo_text", "mo_text"),
        ("ack_0_for_mt_simple", "mt_simple"),
        ("ack_0_for_mt_all_options", "mt_all_options"),
        ("ack_0_for_mt_reply", "mt_reply"),
        ("ack_0_for_dlr_event8", "dlr_event8"),
        ("ack_0_for_dlr_event1", "dlr_event1"),
    ] {
        let sms = sms(acked)?;
        assert_eq!(
            decode_exactly(ack)?,
            Msg::ack(&sms, AckStatus::Success),
            "{ack} answers {acked}"
        );
    }
    Ok(())
}

#[test]
fn all_captured_frames_in_one_stream_come_out_in_order() -> TestResult {
    let names = [
        "identify",
        "mo_text",
        "ack_0_for_mo_text",
        "mt_all_options",
        "heartbeat",
    ];
    let mut stream = Vec::new();
    for name in names {
        stream.extend(fixture(name)?);
    }
    let mut d = box_protocol::Deframer::default();
    let mut types = Vec::new();
    for chunk in stream.chunks(7) {
        d.push(chunk);
        while let Some(msg) = d.next_msg()? {
            types.push(msg.type_name());
        }
    }
    assert_eq!(types, ["admin", "sms", "ack", "sms", "heartbeat"]);
    Ok(())
}

#[test]
fn mt_while_no_link_is_online_is_acked_buffered() -> TestResult {
    let mt = sms("mt_queued")?;
    assert_eq!(mt.receiver, some(b"4670000004"));
    assert_eq!(mt.msgdata, some(b"Queued until the link is up"));
    assert_eq!(mt.sms_type, Some(SmsType::MtPush));
    assert_eq!(
        decode_exactly("ack_3_for_mt_queued")?,
        Msg::ack(&mt, AckStatus::Buffered)
    );
    Ok(())
}

#[test]
fn mt_to_a_denied_prefix_is_acked_failed() -> TestResult {
    let mt = sms("mt_unroutable")?;
    assert_eq!(mt.receiver, some(b"9990000001"));
    assert_eq!(mt.msgdata, some(b"Nowhere to go"));
    assert_eq!(
        decode_exactly("ack_1_for_mt_unroutable")?,
        Msg::ack(&mt, AckStatus::Failed)
    );
    Ok(())
}

#[test]
fn every_stored_fixture_is_one_exact_frame() -> TestResult {
    let dir = format!("{}/tests/vectors", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if let Some(stem) = name.strip_suffix(".hex") {
            decode_exactly(stem)?;
            seen += 1;
        }
    }
    assert_eq!(seen, 19, "fixtures in {dir}");
    Ok(())
}

//! What each fuzz target checks of one input, shared by the targets
//! (`fuzz_targets/*.rs`, run by `cargo fuzz` for millions of inputs) and by
//! the suite's brief run of every target (`tests/tests/fuzz_brief.rs`, on
//! stable, a few thousand generated inputs each), so that CI exercises the
//! same checks without libFuzzer.
#![allow(dead_code)]

use bearerbox::dlr::Receipt;
use bearerbox::smsc::at::pdu::{self as modem_pdu, Deliver, StatusReport, Submit};
use bearerbox::smsc::at::response::Line;
use bearerbox::smsc::smpp::dlr_err::dlr_err;
use bearerbox::smsc::smpp::pdu::{self, Pdu};
use bearerbox::smsc::smpp::session::{Session, SessionConfig};
use box_protocol::encoding::{charset, gsm7, ucs2, udh};
use box_protocol::frame::{Deframer, Limits};
use box_protocol::message::Msg;
use conf::{LoadOptions, Reader};
use std::path::Path;
use std::time::{Duration, Instant};

/// bind_transceiver_resp, status 0, sequence 1, system_id "x".
const BIND_RESP: [u8; 18] = [0, 0, 0, 18, 0x80, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, b'x', 0];

/// PDU-mode messages and hex from a modem: never a panic.
pub fn at_pdu(data: &[u8]) {
    if let Ok((_, tpdu)) = modem_pdu::split_sca(data) {
        let _ = Deliver::parse(tpdu);
        let _ = StatusReport::parse(tpdu);
        let _ = Submit::parse(tpdu);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = modem_pdu::from_hex(text);
    }
}

/// Lines from a modem: never a panic.
pub fn at_response(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.split(['\r', '\n']) {
        let parsed = Line::parse(line);
        let _ = parsed.is_final();
        let _ = parsed.is_unsolicited();
    }
}

/// Box-protocol frames from a peer: never a panic; whatever decodes
/// re-encodes to the same payload bytes.
pub fn box_frame(data: &[u8]) {
    if let Ok(msg) = Msg::decode(data) {
        let again = msg.to_bytes();
        // Uppercase UUID text is the one normalisation the codec makes.
        if !data.iter().any(u8::is_ascii_uppercase) {
            assert_eq!(again, data);
        }
    }
    let mut deframer = Deframer::new(Limits::default());
    for chunk in data.chunks(7) {
        deframer.push(chunk);
        while let Ok(Some(_)) = deframer.next_msg() {}
    }
}

/// kannel.conf text: never a panic, for either reader. Includes are left
/// out: they would read this machine's files.
pub fn conf_reader(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if text.contains("include") {
        return;
    }
    for reader in [Reader::Bearerbox, Reader::Smsbox] {
        let _ = conf::load_str(
            text,
            Path::new("fuzz.conf"),
            reader,
            &LoadOptions::default(),
        );
    }
}

/// Delivery-receipt texts from an SMSC (the short message of a receipt
/// deliver_sm): never a panic; every field found is a piece of the text.
pub fn dlr_receipt(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let receipt = Receipt::parse(&text);
    let _ = receipt.event();
    for field in [&receipt.id, &receipt.stat, &receipt.err, &receipt.text]
        .into_iter()
        .flatten()
    {
        assert!(
            text.contains(field.as_str()),
            "{field:?} is not in {text:?}"
        );
    }
    let _ = dlr_err(None, data);
    let _ = dlr_err(data.get(..3), data);
}

/// sendsms queries and bodies from HTTP clients: never a panic.
pub fn sendsms_request(data: &[u8]) {
    let _ = smsbox::request::from_query(data);
    let _ = smsbox::urlcode::parse_query(data);
    let split = data.len() / 3;
    let (query, body) = data.split_at(split);
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "text/xml",
        "application/json",
        "application/octet-stream",
    ] {
        let mut headers = hyper::HeaderMap::new();
        if let Ok(value) = content_type.parse() {
            headers.insert("content-type", value);
        }
        let _ = smsbox::request::from_body(&headers, query, body);
    }
}

/// SMPP PDUs from an SMSC: never a panic; a decoded PDU re-encodes and
/// decodes to itself.
pub fn smpp_pdu(data: &[u8]) {
    let _ = pdu::check(data, pdu::DEFAULT_MAX_COMMAND_LENGTH);
    if let Ok((decoded, _)) = pdu::decode(data, pdu::DEFAULT_MAX_COMMAND_LENGTH) {
        let mut bytes = Vec::new();
        decoded.encode(&mut bytes);
        let (again, used) =
            pdu::decode(&bytes, pdu::DEFAULT_MAX_COMMAND_LENGTH).expect("our own encoding decodes");
        assert_eq!(used, bytes.len());
        assert_eq!(again, decoded);
        let _: &Pdu = &again;
    }
}

/// A bound SMPP session fed whatever an SMSC may send, in pieces, with time
/// moving on: never a panic.
pub fn smpp_session(data: &[u8]) {
    let start = Instant::now();
    let mut session = Session::new(SessionConfig::default(), start);
    while session.poll_transmit(start).is_some() {}
    session.handle_input(start, &BIND_RESP);
    let mut now = start;
    for (index, chunk) in data.chunks(23).enumerate() {
        now += Duration::from_millis(u64::from(chunk.first().copied().unwrap_or(0)) * 10);
        session.handle_input(now, chunk);
        if index % 3 == 0 {
            session.handle_timeout(now);
        }
        while session.poll_transmit(now).is_some() {}
        while session.poll_event().is_some() {}
        let _ = session.poll_timeout();
    }
}

/// The SMS encodings on bytes from outside (UDH, septets, UTF-16, charsets):
/// never a panic.
pub fn sms_encodings(data: &[u8]) {
    let _ = udh::Udh::parse(data);
    let _ = gsm7::decode(data);
    let count = data.len() * 8 / 7;
    let fill = data.first().map_or(0, |b| b % 7);
    let _ = gsm7::unpack(data, fill, count);
    let _ = ucs2::decode(data);
    for name in ["UTF-8", "ISO-8859-1", "UTF-16BE", "WINDOWS-1252", "UCS-2"] {
        let _ = charset::decode(data, name);
    }
}

//! SMPP PDUs from an SMSC: never a panic; a decoded PDU re-encodes and
//! decodes to itself.
#![no_main]
use bearerbox::smsc::smpp::pdu::{self, Pdu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pdu::check(data, pdu::DEFAULT_MAX_COMMAND_LENGTH);
    if let Ok((decoded, _)) = pdu::decode(data, pdu::DEFAULT_MAX_COMMAND_LENGTH) {
        let mut bytes = Vec::new();
        decoded.encode(&mut bytes);
        let (again, used) = pdu::decode(&bytes, pdu::DEFAULT_MAX_COMMAND_LENGTH).expect("our own encoding decodes");
        assert_eq!(used, bytes.len());
        assert_eq!(again, decoded);
        let _: &Pdu = &again;
    }
});

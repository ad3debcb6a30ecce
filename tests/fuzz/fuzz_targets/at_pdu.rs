//! PDU-mode messages and hex from a modem: never a panic.
#![no_main]
use bearerbox::smsc::at::pdu::{self, Deliver, StatusReport, Submit};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((_, tpdu)) = pdu::split_sca(data) {
        let _ = Deliver::parse(tpdu);
        let _ = StatusReport::parse(tpdu);
        let _ = Submit::parse(tpdu);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pdu::from_hex(text);
    }
});

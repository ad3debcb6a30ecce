//! SMPP PDUs from an SMSC: never a panic; a decoded PDU re-encodes and
//! decodes to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::smpp_pdu(data));

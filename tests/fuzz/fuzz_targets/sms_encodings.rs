//! The SMS encodings on bytes from outside (UDH, septets, UTF-16, charsets):
//! never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::sms_encodings(data));

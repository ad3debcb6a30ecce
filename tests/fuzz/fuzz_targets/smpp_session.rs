//! A bound SMPP session fed whatever an SMSC may send, in pieces, with time
//! moving on: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::smpp_session(data));

//! Box-protocol frames from a peer: never a panic; whatever decodes
//! re-encodes to the same payload bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::box_frame(data));

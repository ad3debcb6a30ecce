//! Delivery-receipt texts from an SMSC (the short message of a receipt
//! deliver_sm): never a panic; every field found is a piece of the text.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::dlr_receipt(data));

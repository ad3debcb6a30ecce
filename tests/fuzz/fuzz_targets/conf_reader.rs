//! kannel.conf text: never a panic, for either reader. Includes are left
//! out: they would read this machine's files.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::conf_reader(data));

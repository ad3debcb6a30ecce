//! Lines from a modem: never a panic.
#![no_main]
use bearerbox::smsc::at::response::Line;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split(['\r', '\n']) {
        let parsed = Line::parse(line);
        let _ = parsed.is_final();
        let _ = parsed.is_unsolicited();
    }
});

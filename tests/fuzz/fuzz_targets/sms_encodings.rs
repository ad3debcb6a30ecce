//! The SMS encodings on bytes from outside (UDH, septets, UTF-16, charsets):
//! never a panic.
#![no_main]
use box_protocol::encoding::{charset, gsm7, ucs2, udh};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = udh::Udh::parse(data);
    let _ = gsm7::decode(data);
    let count = data.len() * 8 / 7;
    let fill = data.first().map_or(0, |b| b % 7);
    let _ = gsm7::unpack(data, fill, count);
    let _ = ucs2::decode(data);
    for name in ["UTF-8", "ISO-8859-1", "UTF-16BE", "WINDOWS-1252", "UCS-2"] {
        let _ = charset::decode(data, name);
    }
});

//! Box-protocol frames from a peer: never a panic; whatever decodes
//! re-encodes to the same payload bytes.
#![no_main]
use box_protocol::frame::{Deframer, Limits};
use box_protocol::message::Msg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Msg::decode(data) {
        let again = msg.to_bytes();
        // Uppercase UUID text is the one normalisation the codec makes.
        if !data.iter().any(u8::is_ascii_uppercase) {
            assert_eq!(again, data);
        }
    }
    let mut deframer = Deframer::new(Limits::default());
    for chunk in data.chunks(7) {
        deframer.push(chunk);
        while let Ok(Some(_)) = deframer.next_msg() {}
    }
});

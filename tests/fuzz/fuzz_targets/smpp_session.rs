//! A bound SMPP session fed whatever an SMSC may send, in pieces, with time
//! moving on: never a panic.
#![no_main]
use std::time::{Duration, Instant};

use bearerbox::smsc::smpp::session::{Session, SessionConfig};
use libfuzzer_sys::fuzz_target;

/// bind_transceiver_resp, status 0, sequence 1, system_id "x".
const BIND_RESP: [u8; 18] = [0, 0, 0, 18, 0x80, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, b'x', 0];

fuzz_target!(|data: &[u8]| {
    let start = Instant::now();
    let mut session = Session::new(SessionConfig::default(), start);
    while session.poll_transmit(start).is_some() {}
    session.handle_input(start, &BIND_RESP);
    let mut now = start;
    for (index, chunk) in data.chunks(23).enumerate() {
        now += Duration::from_millis(u64::from(chunk.first().copied().unwrap_or(0)) * 10);
        session.handle_input(now, chunk);
        if index % 3 == 0 {
            session.handle_timeout(now);
        }
        while session.poll_transmit(now).is_some() {}
        while session.poll_event().is_some() {}
        let _ = session.poll_timeout();
    }
});

//! Wall-clock time as the box protocol carries it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// Unix seconds now, as Kannel's 32-bit time fields hold them (until 2038,
/// after which Kannel's own boxes wrap too).
pub fn unix_now_i32() -> i32 {
    unix_now() as i32
}

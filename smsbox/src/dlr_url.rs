//! Delivery reports towards users: what an MT asks bearerbox for, and what
//! smsbox does with each report that comes back — refund a failed message,
//! and call the user's dlr-url for the events the user asked for.
//!
//! A refund needs the final state even when the user asked for none, so
//! for a user with credits and `refund-on-failure` the MT asks bearerbox
//! for the failure events too (2 and 16) and carries, inside its dlr-url,
//! our message id and the mask the user asked for:
//! `kannel-rs:<uuid>:<user mask>:<user url>`. bearerbox stores the dlr-url
//! as an opaque string and returns it with every report, so nothing needs
//! to be remembered here across restarts. Other MTs carry the user's
//! dlr-url and mask unchanged, as Kannel's smsbox sends them.

use uuid::Uuid;

/// Kannel's DLR event bits (gw/dlr.h).
pub const SUCCESS: i32 = 1;
pub const FAIL: i32 = 2;
pub const BUFFERED: i32 = 4;
pub const SMSC_SUCCESS: i32 = 8;
pub const SMSC_FAIL: i32 = 16;

const TRACKED: &str = "kannel-rs:";

/// The mask and dlr-url an MT carries to bearerbox.
pub fn wire(
    id: Uuid,
    user_mask: Option<i32>,
    user_url: Option<&str>,
    track: bool,
) -> (Option<i32>, String) {
    let url = user_url.unwrap_or_default();
    if !track {
        return (user_mask, url.to_string());
    }
    let asked = user_mask.unwrap_or(0);
    (
        Some(asked | FAIL | SMSC_FAIL),
        format!("{TRACKED}{id}:{asked}:{url}"),
    )
}

/// A report's dlr-url read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    /// Our MT id, when we track the message for a refund.
    pub message_id: Option<String>,
    /// The events the user wants called back; `None`: every event bearerbox sends.
    pub user_mask: Option<i32>,
    pub url: String,
}

pub fn read(wire_url: &str) -> Carried {
    if let Some(rest) = wire_url.strip_prefix(TRACKED) {
        let mut pieces = rest.splitn(3, ':');
        if let (Some(id), Some(mask), Some(url)) = (pieces.next(), pieces.next(), pieces.next())
            && let Ok(mask) = mask.parse::<i32>()
        {
            return Carried {
                message_id: Some(id.to_string()),
                user_mask: Some(mask),
                url: url.to_string(),
            };
        }
    }
    Carried {
        message_id: None,
        user_mask: None,
        url: wire_url.to_string(),
    }
}

/// Whether an event is a final failure (Kannel's 34/66 include the FAIL bit).
pub fn is_failure(event: i32) -> bool {
    event & (FAIL | SMSC_FAIL) != 0
}

/// Whether the user asked for `event`.
pub fn wanted(carried: &Carried, event: i32) -> bool {
    !carried.url.is_empty() && carried.user_mask.is_none_or(|mask| mask & event != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tracked_mt_asks_for_failures_and_remembers_what_the_user_asked() {
        let id = Uuid::new_v4();
        let (mask, url) = wire(id, Some(SMSC_SUCCESS), Some("http://h/d?t=%d"), true);
        assert_eq!(mask, Some(SMSC_SUCCESS | FAIL | SMSC_FAIL));
        let carried = read(&url);
        assert_eq!(carried.message_id, Some(id.to_string()));
        assert!(wanted(&carried, SMSC_SUCCESS));
        assert!(!wanted(&carried, FAIL));
        assert_eq!(carried.url, "http://h/d?t=%d");
        assert_eq!(
            wire(id, Some(3), Some("http://x/"), false),
            (Some(3), "http://x/".into())
        );
    }
}

//! SMSC drivers: the one interface every link speaks, and the drivers.
//!
//! A driver is a task that owns one link's connection. The core hands it
//! [`Submission`]s through a channel and hears back [`LinkEvent`]s through
//! another; the driver never touches the store or the router, so a driver can
//! crash or stall without losing anything: whatever it had not reported as
//! accepted is still in the store and is submitted again.
//!
//! ```text
//!  core ──Submission──▶ driver task ──▶ SMSC
//!  core ◀──LinkEvent─── driver task ◀── SMSC
//! ```
//!
//! # Layout
//! - `fake_line`: the line protocol of Kannel's `fakesmsc` (pure).
//! - `fake`: the `fake` driver, listening for a `fakesmsc` client.
//! - `http`: `smsc = http`, an HTTP supplier (`kannel` and `generic`) with its callback listener.
//! - `loopback`: Kannel's `loopback`, every MT back as an MO.
//! - `sim`: ours, a simulated SMSC inside bearerbox.
//! - `smpp`: `smsc = smpp`, SMPP 3.4: the sans-I/O codec and session, and the driver.

pub mod at;
pub mod fake;
pub mod fake_line;
pub mod http;
pub mod loopback;
pub mod sim;
pub mod smpp;

use box_protocol::message::Sms;

use crate::dlr::DlrEvent;

/// One message for a link. `token` is the core's handle on it (the store's
/// `seq`), echoed in the driver's answer.
#[derive(Debug, Clone)]
pub struct Submission {
    pub token: i64,
    /// Boxed, so that a link's queue of submissions carries pointers.
    pub sms: Box<Sms>,
}

/// What a link tells the core.
#[derive(Debug, Clone)]
pub enum LinkEvent {
    /// Connected and bound: it can take submissions.
    Online,
    /// The connection is gone; submissions not yet answered will be retried.
    Offline { reason: String },
    /// The SMSC took the message. `foreign_ids` are its ids for it, one per
    /// part it was sent in (empty where the SMSC gave none, none at all when
    /// the SMSC gives no ids): the keys its delivery reports will name.
    Accepted {
        token: i64,
        foreign_ids: Vec<String>,
    },
    /// Not now; try again later.
    FailedTemporarily { token: i64, reason: String },
    /// Never: the message fails for good.
    FailedPermanently { token: i64, reason: String },
    /// A mobile-originated message.
    Received(Box<Sms>),
    /// A delivery report for an earlier submission.
    Report {
        foreign_id: String,
        event: DlrEvent,
        /// The receipt text, when the SMSC sent one.
        text: Option<Vec<u8>>,
        /// Kannel meta-data the receipt carried (SMPP: `?smpp?dlr_err=…&` and its configured
        /// TLVs), added to the report's; `None` when it carried none.
        meta_data: Option<Vec<u8>>,
    },
    /// Answered once the core has handled every event the link sent before it: an MO or a
    /// report sent earlier is then committed, so the driver may acknowledge it to the SMSC
    /// (SMPP's deliver_sm_resp) without risking its loss.
    /// The answer says whether all of it is on disk: `false` when a commit
    /// failed (disk full), and the driver must not acknowledge those
    /// messages.
    Flush(smol::channel::Sender<bool>),
}

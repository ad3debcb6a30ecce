//! Kannel 1.4.5's box protocol (the link between bearerbox and its smsboxes, and
//! the packing of its message store) and the SMS encodings both boxes share.
//!
//! # Layout
//! - `wire`: the primitives (INTEGER, OCTSTR, UUID), the field [`wire::Codec`]
//!   trait and [`wire::DecodeError`].
//! - `message`: the message model ([`Msg`]: heartbeat, admin, sms, ack,
//!   wdp_datagram; [`Sms`] with its 31 wire fields) and its codec.
//! - `frame`: the 4-byte length framing, `check` before `parse`, and a
//!   [`frame::Deframer`] for byte streams.
//! - `encoding`: GSM 03.38, UCS-2, charsets, coding choice, UDH, splitting, reassembly.
//!
//! # Data flow
//!
//! ```text
//!  TCP bytes ──► frame::Deframer ──check──► frame::parse ──► Msg::decode ──► Msg
//!  Msg ──► frame::write_frame (Msg::encode + length) ──► TCP bytes / store file
//! ```
//!
//! # Trust
//!
//! Bytes from a peer or from the store are untrusted: no input makes this crate
//! panic or allocate more than the frame limit. Decoding is byte-exact: what
//! decodes re-encodes to the same bytes (UUID case aside, see `message`).

pub mod encoding;
pub mod frame;
pub mod message;
pub mod wire;

pub use frame::{Deframer, FrameError, Limits};
pub use message::{AckStatus, AdminCommand, Coding, Msg, Sms, SmsType, Unrecognized};
pub use wire::DecodeError;

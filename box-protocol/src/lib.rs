//! Kannel's box protocol and the SMS encodings both boxes share.
//!
//! # Layout
//! - `wire`: the primitives (INTEGER, OCTSTR, UUID) and the decode errors.
//! - `message`: the message model (`Heartbeat`, `Admin`, `Sms`, `Ack`, `WdpDatagram`) and its codec.
//! - `frame`: the 4-byte length framing, `check` before `parse`.
//! - `encoding`: GSM 03.38, UCS-2, charsets, coding choice, UDH, splitting, reassembly.

pub mod encoding;
pub mod frame;
pub mod message;
pub mod wire;

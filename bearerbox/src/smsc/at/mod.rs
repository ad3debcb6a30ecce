//! The `at` driver: a GSM modem on a serial port, as Kannel's `smsc = at`.
//!
//! The conversation with the modem is a state machine fed lines and the
//! time ([`session`]); a thread per modem owns the serial port, moves bytes
//! between it and the session, and bridges to the async core by channels
//! ([`driver`]). The codecs under it are pure.
//!
//! ```text
//!  core ──Submission──▶ ┌ driver thread ┐ ──AT+CMGS, PDU──▶ serial port
//!  core ◀──LinkEvent─── │   Session     │ ◀──lines, URCs── (modem)
//!                       └───────────────┘
//! ```
//!
//! # Layout
//! - `config`: the `at` and `modems` settings as types.
//! - `pdu`: SMS-SUBMIT / SMS-DELIVER / SMS-STATUS-REPORT in PDU mode.
//! - `response`: the modem's lines: final results, URCs, prompts.
//! - `message`: box messages ↔ TPDUs (splitting, codings, DCS, validity).
//! - `session`: the modem conversation, sans-I/O.
//! - `driver`: the serial thread and the reopen with backoff.
//!
//! What it trusts: nothing from the port. Every line and PDU is checked;
//! a malformed one is logged and dropped.

pub mod config;
pub mod driver;
pub mod message;
pub mod pdu;
pub mod response;
pub mod session;

pub use config::{AtSettings, ModemDefinition, ModemType};

//! The SMS encodings both boxes and the SMSC drivers share: pure functions over bytes
//! and text, no I/O and no clock.
//!
//! ```text
//!  sendsms text + charset ──charset::decode──▶ String ──coding::choose──▶ Coding
//!                                                 │
//!        ┌────────────── split::split (concat UDH, never halving a pair) ─┘
//!        ▼
//!  Part { udh, body: septets | packed | UTF-8 | UTF-16BE | octets }  ──▶ SMSC driver
//!
//!  SMSC driver ──(udh, payload)──▶ reassembly::Reassembler::offer ──▶ Assembled
//! ```
//!
//! # Layout
//! - [`gsm7`]: GSM 03.38 default alphabet and extension table; septets packed and unpacked.
//! - [`ucs2`]: UTF-16BE with surrogate pairs, strict or lossy decoding.
//! - [`charset`]: iconv charset names (the sendsms `charset` parameter) over `encoding_rs`.
//! - [`coding`]: the three codings, the cheapest one for a text, per-part capacity.
//! - [`udh`]: the User Data Header and its concatenation elements.
//! - [`split`]: a long message into concatenated parts.
//! - [`reassembly`]: concatenated parts back into a message.
//!
//! Everything here takes input from outside (handsets, SMSCs, HTTP clients) and reports
//! bad input as a typed error; nothing panics on it.

pub mod charset;
pub mod coding;
pub mod gsm7;
pub mod reassembly;
pub mod split;
pub mod ucs2;
pub mod udh;

pub use charset::{Charset, CharsetError};
pub use coding::{Coding, MAX_USER_DATA_OCTETS};
pub use gsm7::Gsm7Error;
pub use reassembly::{Assembled, Offer, Reassembler, ReassemblyError};
pub use split::{Body, Overflow, Part, Payload, Plan, SeptetForm, Split, SplitError, SplitOptions};
pub use ucs2::Ucs2Error;
pub use udh::{Concat, ConcatRef, Udh, UdhError};

//! SMPP 3.4, the protocol most SMSC suppliers speak, as a pure codec: bytes in, typed PDUs out, and back.
//!
//! Nothing here does I/O or reads a clock, so the session state machine (bind, window, enquire_link,
//! throttling) can be driven and tested with byte arrays alone. Bytes come from an SMSC we do not
//! control: every length is checked before it is trusted, and decoding returns typed errors instead
//! of panicking, keeping what the session needs to answer with `generic_nack` (the sequence number,
//! the unknown `command_id`, the `command_status` to send).
//!
//! # Layout
//!
//! - [`pdu`]: the header, `check` then `parse` (mini-redis style), `Pdu::encode`, and the one
//!   declarative table of every PDU body an ESME meets (in the spirit of Kannel's `smpp_pdu.def`).
//! - [`wire`]: the field types the table is made of (C-octet strings with their maximum length,
//!   `sm_length` + `short_message`, integers) and the bounded reader that decodes them.
//! - [`tlv`]: optional parameters by tag, typed accessors for those a gateway uses, unknown tags
//!   kept raw so vendor TLVs round-trip.
//! - [`status`]: `command_status` codes, with the temporary/permanent split the router needs.
//! - [`time`]: SMPP absolute and relative time strings (`schedule_delivery_time`, `validity_period`).
//!
//! ```text
//!  socket bytes ──► pdu::check(buf, max) ──► Incomplete { needed } ─► read more
//!                          │ Ok(len)
//!                          ▼
//!                  Pdu::parse(&buf[..len]) ──► Err(DecodeError) ─► generic_nack / drop link
//!                          │ Ok(pdu)
//!                          ▼
//!                      session ──► Pdu::encode(&mut out) ──► socket
//! ```

pub mod pdu;
pub mod status;
pub mod time;
pub mod tlv;
pub mod wire;

#[cfg(test)]
pub(crate) mod sample;

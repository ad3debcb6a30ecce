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
//! - [`session`]: the session as a state machine fed bytes and `now` (bind, window, enquire_link,
//!   wait-ack, throttling, throughput, unbind), quinn-proto style.
//! - [`address`], [`dcs`], [`submit`]: a core message as the submit_sm PDUs Kannel sends for it.
//! - [`deliver`]: deliver_sm / data_sm as a delivery report or an MO, concatenated MO joined;
//!   [`dlr_err`]: the network error of a receipt, as Kannel puts it in the report's meta-data.
//! - [`meta_data`], [`custom_tlv`]: Kannel's `?smpp?` meta-data and the `smpp-tlv` groups that
//!   turn it into TLVs of submit_sm and back from those of deliver_sm / data_sm.
//! - [`driver`]: `smsc = smpp`, the smol task that moves the session's bytes over TCP;
//!   [`connect`] opens that connection, [`tls`] wraps it when `use-ssl` asks; [`config`]
//!   reads the group into typed settings.
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

pub mod address;
pub mod config;
pub mod connect;
pub mod custom_tlv;
pub mod dcs;
pub mod deliver;
pub mod dlr_err;
pub mod driver;
pub mod dump;
pub mod meta_data;
pub mod pdu;
pub mod session;
pub mod status;
pub mod submit;
pub mod time;
pub mod tls;
pub mod tlv;
pub mod wire;

#[cfg(test)]
pub(crate) mod sample;

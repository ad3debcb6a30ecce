//! The admin and status HTTP interface of bearerbox, as Kannel has it
//! (without the WAP box), plus JSON, Prometheus metrics and a status page
//! for people.
//!
//! Pure: no sockets, no clock, no files. bearerbox parses a request with
//! [`request::Request`], checks it with [`auth`], runs the command on its
//! own state, fills a [`model::Status`] snapshot, and renders it here.
//!
//! ```text
//!  target + Accept ──▶ Request { command, format, params }
//!                              │ auth::Passwords::permits
//!                              ▼
//!   bearerbox runs the command / builds a Status snapshot
//!                              │
//!     ┌──────────────┬─────────┼────────┬──────────────┐
//!  kannel (txt, xml)  page (html)  json   prometheus   reply::wrap (one-liners)
//! ```
//!
//! # Layout
//!
//! | module | what |
//! | --- | --- |
//! | [`model`] | the snapshot: gateway, boxes, SMSC links, store lanes |
//! | [`meter`] | Kannel's load figures (60 s, 300 s, lifetime) from counters |
//! | [`request`] | commands, formats and parameters from a URL |
//! | [`auth`] | admin and status passwords, and the damping of guesses |
//! | [`reply`] | one-line answers in each format, the unknown-command answer |
//! | [`kannel`] | status and store-status in Kannel's text and XML, byte for byte |
//! | [`page`] | the HTML status page |
//! | [`json`] | status and store-status as JSON |
//! | [`prometheus`] | `/metrics` in Prometheus' text format |
//!
//! It trusts the snapshot it is given and nothing in a URL: every text from
//! outside is escaped for the format it lands in.

pub mod auth;
pub mod json;
pub mod kannel;
pub mod meter;
pub mod model;
pub mod page;
pub mod prometheus;
pub mod reply;
pub mod request;

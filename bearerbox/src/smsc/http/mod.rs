//! `smsc = http`: an HTTP supplier. MT leave as HTTP requests (`system-type
//! = kannel`: another gateway's sendsms; `generic`: any API, shaped by
//! `send-url` escapes and judged by regexes); MO and delivery reports
//! arrive as HTTP requests on the link's own `port`.
//!
//! ```text
//!  core ──Submission──▶ driver ──send──▶ GET send-url ──▶ supplier
//!  core ◀──Accepted/Failed── answer ◀── its reply ◀──────┘
//!  core ◀──Received/Report── listener ◀── callback ◀──── supplier
//!         (answered after Flush: committed first)
//! ```
//!
//! # Layout
//! - `config`: the group's keys, Kannel's defaults.
//! - `send`: the request URL per system type (pure).
//! - `answer`: the supplier's reply judged: accepted with its id, or failed
//!   for now or for good (pure).
//! - `callback`: an MO or a report read from a callback's parameters (pure).
//! - `client`: the HTTP/1.1 client, kept-alive connections and deadlines.
//! - `listener`: the callback server.
//! - `driver`: the link's task.
//!
//! What it trusts: nothing from the supplier; callbacks only from
//! `connect-allow-ip` (127.0.0.1 by default) and, when `smsc-username` is
//! set, with its credentials.

pub mod answer;
pub mod callback;
pub mod client;
pub mod config;
pub mod driver;
pub mod listener;
pub mod send;

pub use config::HttpSettings;

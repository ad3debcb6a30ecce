//! smsbox: the HTTP front end that turns sendsms requests into messages for
//! bearerbox, charges its users' credits, turns bearerbox's MO messages into
//! sms-service calls and its delivery reports into dlr-url callbacks and
//! refunds. It speaks Kannel 1.4.5's box protocol, so it attaches to
//! Kannel's bearerbox as well as to ours.
//!
//! The process shell (command line, logs, signals, `-d`, pid file) is
//! bearerbox's [`bearerbox::process`], shared by design.
//!
//! ```text
//!  HTTP client ──▶ runtime (hyper) ──▶ http_api ──▶ sendsms ──▶ credits (SQLite) ──▶ bearerbox_link ──▶ bearerbox
//!                                                      ▲ request, users, parts               │ acks
//!  app URLs ◀── http_client ◀── services/escapes ◀── inbound ◀── MO / DLR ─────────────────────┘
//!  dlr-urls ◀── http_client ◀── dlr_url ◀────────────┘ (refunds on failure)
//! ```
//!
//! What it trusts: its configuration. Everything from HTTP clients and from
//! bearerbox is checked and refused with a reason, never unwrapped.
//!
//! # Layout
//!
//! | module | what |
//! | --- | --- |
//! | [`app`] | what every task shares |
//! | [`settings`] | the `smsbox` and `core` keys the running box needs |
//! | [`http_api`] | the paths: sendsms, balance, credits, 404 |
//! | [`request`] | sendsms fields from GET, form, X-Kannel, XML, JSON |
//! | [`sendsms`] | checking, charging, sending, answering a sendsms request |
//! | [`answers`] | HTTP answers and Kannel's texts |
//! | [`users`] | sendsms-user groups, authentication |
//! | [`numbers`] | prefix, regex and white/black-list filters (lists fetched from URLs at start) |
//! | [`credits`] | balances, ledger and charges in the accounts database |
//! | [`parts`] | how many SMS a message costs |
//! | [`bearerbox_link`] | the box-protocol session with bearerbox, back-off |
//! | [`inbound`] | MO and DLR from bearerbox: dispatch and ack |
//! | [`services`] | sms-service selection, actions and replies |
//! | [`escapes`] | Kannel's `%` escapes |
//! | [`dlr_url`] | DLR masks, tracked dlr-urls, refunds' trigger |
//! | [`http_client`] | outgoing HTTP and HTTPS (rustls): pool, timeouts, retries, limit |
//! | [`urlcode`] | URL decoding (strict) and Kannel's encoding |
//! | [`runtime`] | everything smol: listener, hyper, tasks, timers, shutdown |

pub mod answers;
pub mod app;
pub mod bearerbox_link;
pub mod credits;
pub mod dlr_url;
pub mod escapes;
pub mod http_api;
pub mod http_client;
pub mod inbound;
pub mod numbers;
pub mod parts;
pub mod request;
pub mod runtime;
pub mod sendsms;
pub mod services;
pub mod settings;
pub mod urlcode;
pub mod users;

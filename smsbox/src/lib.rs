//! smsbox: the HTTP front end that turns sendsms requests into messages for
//! bearerbox, and bearerbox's MO messages into sms-service calls.
//!
//! Today it reads the configuration, listens on `sendsms-port` (answering
//! with a placeholder) and keeps a TCP connection to bearerbox, retrying
//! with back-off while bearerbox is unreachable. The process shell (command
//! line, logs, signals, `-d`, pid file) is bearerbox's
//! [`bearerbox::process`], shared by design.
//!
//! ```text
//!  main ──▶ process::boot ──▶ process::listen ──▶ process::detach ──▶ runtime::run
//!                                                                      ├─ sendsms::serve            (per connection)
//!                                                                      └─ bearerbox_link::keep_connected
//! ```
//!
//! # Layout
//!
//! | module | what |
//! | --- | --- |
//! | [`sendsms`] | the sendsms HTTP port (placeholder) |
//! | [`bearerbox_link`] | the connection to bearerbox, with back-off |
//! | [`runtime`] | everything smol: listener, tasks, timers, shutdown |

pub mod bearerbox_link;
pub mod runtime;
pub mod sendsms;

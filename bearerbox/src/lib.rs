//! bearerbox: the process that owns the SMSC connections and the queues, and
//! that smsboxes attach to over Kannel's box protocol.
//!
//! Today it reads the configuration, listens on `admin-port` (answering every
//! HTTP request with a one-line banner) and on `smsbox-port` (holding box
//! connections without speaking the protocol yet), and runs as a Kannel box
//! does: command line, log format, signals, `-d`, pid file.
//!
//! ```text
//!  main ──▶ process::boot ──▶ process::listen ──▶ process::detach ──▶ runtime::run
//!                                                                      ├─ admin::serve  (per connection)
//!                                                                      └─ boxc::serve   (per connection)
//! ```
//!
//! # Layout
//!
//! | module | what |
//! | --- | --- |
//! | [`process`] | the process shell shared with smsbox: [`process::cli`], [`process::logging`], [`process::signals`], [`process::daemon`], [`process::pidfile`], [`mod@process::listen`] |
//! | [`admin`] | the admin/status HTTP port: Kannel's commands and status pages, JSON, metrics |
//! | [`admin_commands`] | the admin commands over the switchboard |
//! | [`status`] | the status snapshot and store listing the admin port renders |
//! | [`boxc`] | box connections on `smsbox-port` (placeholder) |
//! | [`http1`] | the minimal HTTP/1.1 the admin port answers with |
//! | [`runtime`] | everything smol: listeners, tasks, shutdown |
//! | [`settings`] | the configuration read once into types |
//! | [`switchboard`] | MT from boxes to links, MO and reports from links to boxes, through the store |
//! | [`lane`] | one queue of the store with its window in memory |
//! | [`store`] | the durable queue: SQLite in WAL mode, one writer thread, group commits |
//! | [`router`] | Kannel's routing rules plus least cost: which SMSC takes a message |
//! | [`dlr`] | delivery-report events, masks and SMSC receipt text |
//! | [`foreign_id`] | matching an SMSC's id in a receipt to the id it gave on submission |
//! | [`smsc`] | the SMSC driver interface and the drivers (`fake`) |
//! | [`ip_list`] | Kannel's `*`-wildcard IP allow/deny lists |
//! | [`clock`] | wall-clock seconds as the box protocol carries them |
//! | [`hyper_io`] | hyper's I/O traits over smol's sockets and TLS streams |
//! | [`tcp_reader`] | a TCP socket not read again, after a read drained it, until data arrives |
//!
//! The library half exists so smsbox can share [`process`]; it trusts
//! nothing from the network and validates the configuration values it uses.

pub mod admin;
pub mod admin_commands;
pub mod backpressure;
pub mod boxc;
pub mod clock;
pub mod deadline;
pub mod dlr;
pub mod foreign_id;
pub mod http1;
pub mod http_server;
pub mod hyper_io;
pub mod ip_list;
pub mod lane;
pub mod process;
pub mod router;
pub mod runtime;
pub mod settings;
pub mod smsc;
pub mod status;
pub mod store;
pub mod switchboard;
pub mod tcp_reader;
pub mod urlcode;

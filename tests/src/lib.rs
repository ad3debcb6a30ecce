//! End-to-end test harness: runs the real `bearerbox` and `smsbox` binaries
//! on generated configurations, on free loopback ports, and cleans up after
//! itself however a test ends.
//!
//! ```no_run
//! use tests::gateway::{Gateway, http_get};
//!
//! let gateway = Gateway::start()?; // bearerbox, then smsbox; all ports open
//! let (status, _body) = http_get(gateway.setup.ports.admin.number(), "/status")?;
//! assert_eq!(status, 200);
//! println!("{}", gateway.setup.read("bearerbox.log"));
//! drop(gateway); // smsbox, then bearerbox: SIGTERM, SIGKILL after a grace
//! # Ok::<(), tests::HarnessError>(())
//! ```
//!
//! The binaries must be built first (`cargo build --workspace --bins`):
//! they are looked up next to the test executable, not rebuilt.
//!
//! # Layout
//!
//! | module | what |
//! | --- | --- |
//! | [`ports`] | free loopback ports, held with a lock file against parallel tests |
//! | [`conf_writer`] | `.conf` text from groups, and the default gateway configuration |
//! | [`gateway`] | starting, waiting for, signalling and stopping the boxes |
//! | [`box_client`] | a box speaking Kannel's box protocol to bearerbox |
//! | [`fake_client`] | a client of the `fake` SMSC link, like Kannel's `fakesmsc` |
//! | [`http`] | a small HTTP client for the tests |
//! | [`http_supplier`] | an HTTP SMS supplier for the `http` SMSC driver: scripted answers, MO and report callbacks; also the `http-supplier` binary |
//! | [`rng`] | xorshift64*: random test inputs that are the same on every run |
//! | [`recorder`] | an HTTP server that records every request (sms-service and dlr-url targets) |
//! | [`kannel`] | Kannel 1.4.5's boxes and `fakesmsc` beside ours: `Bearer::{Ours, Kannel}`, `SmsboxRig` |
//! | [`scripted_bearerbox`] | a bearerbox the test drives by hand, for smsbox's side of the box protocol |
//! | [`modem_sim`] | a GSM modem on a pseudo-terminal, with its own PDU decoder, also the `modem-sim` binary |
//! | [`tls`] | a self-signed TLS identity made at test time, for the TLS recorder |
//! | [`smsc_sim`] | an SMPP 3.4 SMSC simulator on an independent codec (`rusmpp-core`), also the `smsc-sim` binary |

pub mod box_client;
pub mod conf_writer;
pub mod fake_client;
pub mod faults;
pub mod gateway;
pub mod http;
pub mod http_supplier;
pub mod kannel;
pub mod modem_sim;
pub mod ports;
pub mod recorder;
pub mod rng;
pub mod scripted_bearerbox;
pub mod smsc_sim;
pub mod tls;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

use thiserror::Error;

#[derive(Error)]
#[non_exhaustive]
pub enum HarnessError {
    #[error("{context}: {error}")]
    Io {
        context: &'static str,
        error: io::Error,
    },
    #[error("{} is not built; run `cargo build --workspace --bins` first", path.display())]
    BinaryMissing { path: PathBuf },
    #[error("no free loopback port found")]
    NoFreePort,
    #[error("timed out waiting for {what}\n--- output ---\n{output}")]
    Timeout { what: String, output: String },
    #[error("{name} exited early with {status}\n--- output ---\n{output}")]
    Exited {
        name: String,
        status: ExitStatus,
        output: String,
    },
    #[error("cannot send a signal: {0}")]
    Signal(nix::Error),
    #[error("not an HTTP response: {0:?}")]
    BadResponse(String),
    #[error("protocol: {0}")]
    Protocol(String),
}

// A test that returns an error prints it with `Debug`: show the message
// and the captured output as lines, not as one escaped string.
impl fmt::Debug for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl HarnessError {
    fn io(context: &'static str, error: io::Error) -> HarnessError {
        HarnessError::Io { context, error }
    }

    fn with_output(self, output: String) -> HarnessError {
        match self {
            HarnessError::Timeout { what, .. } => HarnessError::Timeout { what, output },
            other => other,
        }
    }
}

/// What a test function returns, so `?` works on anything.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

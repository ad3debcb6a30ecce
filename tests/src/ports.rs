//! Free loopback ports for the boxes under test.
//!
//! A port is found by binding port 0 on 127.0.0.1 and releasing it; between
//! the release and the box's own bind another test could be handed the same
//! number. Each reserved port therefore also holds an exclusive `flock` on
//! a file named after it in a shared directory: every test process (nextest
//! runs one per test) skips numbers another one holds, and the kernel drops
//! the lock when its holder exits, however it exits.

use std::fs::{self, File, OpenOptions};
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;

use nix::fcntl::{Flock, FlockArg};

use crate::HarnessError;

/// Tries before giving up: a busy machine may hand back held numbers a few
/// times in a row, never dozens.
const ATTEMPTS: usize = 64;

/// A port number this test holds until the value is dropped.
#[derive(Debug)]
pub struct Port {
    number: u16,
    _lock: Flock<File>,
}

impl Port {
    pub fn number(&self) -> u16 {
        self.number
    }
}

fn lock_dir() -> PathBuf {
    std::env::temp_dir().join("kannel-rs-test-ports")
}

/// Reserves one free loopback port.
pub fn reserve() -> Result<Port, HarnessError> {
    let dir = lock_dir();
    fs::create_dir_all(&dir)
        .map_err(|source| HarnessError::io("creating the port lock folder", source))?;
    for _ in 0..ATTEMPTS {
        let number = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|source| HarnessError::io("binding a probe port on 127.0.0.1", source))?
            .port();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{number}.lock")))
            .map_err(|source| HarnessError::io("opening a port lock file", source))?;
        if let Ok(lock) = Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            return Ok(Port {
                number,
                _lock: lock,
            });
        }
    }
    Err(HarnessError::NoFreePort)
}

/// The three ports a gateway listens on.
#[derive(Debug)]
pub struct GatewayPorts {
    pub admin: Port,
    pub smsbox: Port,
    pub sendsms: Port,
}

impl GatewayPorts {
    pub fn reserve() -> Result<GatewayPorts, HarnessError> {
        Ok(GatewayPorts {
            admin: reserve()?,
            smsbox: reserve()?,
            sendsms: reserve()?,
        })
    }
}

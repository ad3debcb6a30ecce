//! `modem-sim`: a GSM modem on a pseudo-terminal, for the `at` driver's
//! tests and for trying a configuration without hardware.
//!
//! It answers the AT commands a real modem answers (start-up, PIN, PDU
//! mode, `AT+CMGS` with its prompt, `AT+CMGR`/`AT+CMGL`/`AT+CMGD` on its
//! storage), decodes every SMS-SUBMIT it is given with its own codec
//! ([`pdu`], apart from the gateway's), and on request injects MOs (stored
//! with `+CMTI`, or direct with `+CMT`), status reports (`+CDS`), `+CMS
//! ERROR`s, a `+CMTI` in the middle of a send, and silence.
//!
//! ```no_run
//! use std::time::Duration;
//! use tests::modem_sim::{ModemSim, SimOptions};
//!
//! let modem = ModemSim::start(SimOptions::default())?;
//! println!("device = {}", modem.device().display()); // /dev/pts/N
//! let submits = modem.wait_for_submits(1, Duration::from_secs(5))?;
//! modem.inject_stored_mo("+46709999999", "hello")?;
//! # Ok::<(), tests::modem_sim::ModemSimError>(())
//! ```
//!
//! ```text
//!  driver ──/dev/pts/N──▶ pty master ──▶ sim thread: commands, PDU decoding
//!  driver ◀──────────────────────────── answers, URCs ◀── ModemSim (tests, control)
//! ```
//!
//! # Layout
//! - [`pdu`]: the independent SUBMIT decoder and DELIVER / STATUS-REPORT encoder.
//! - `modem`: the command interpreter (pure: bytes in, bytes out).
//! - this module: the pseudo-terminal, the thread and the handle.

pub mod modem;
pub mod pdu;

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::termios;
use thiserror::Error;

pub use modem::{Modem, SimOptions, Submitted};
pub use pdu::{DecodedSubmit, SimAlphabet};

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModemSimError {
    #[error("cannot create the pseudo-terminal: {0}")]
    Pty(nix::Error),
    #[error("cannot start the simulator thread: {0}")]
    Thread(std::io::Error),
    #[error("timed out after {0:?} waiting for {1}")]
    Timeout(Duration, String),
    #[error("the simulator thread is gone")]
    Gone,
}

/// A running fake modem. Dropping it closes the pseudo-terminal: to the
/// driver, the device disappears.
pub struct ModemSim {
    device: PathBuf,
    modem: Arc<Mutex<Modem>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ModemSim {
    pub fn start(options: SimOptions) -> Result<ModemSim, ModemSimError> {
        let pty = nix::pty::openpty(None, None).map_err(ModemSimError::Pty)?;
        let device = nix::unistd::ttyname(pty.slave.as_fd()).map_err(ModemSimError::Pty)?;
        // Raw from the start, so nothing written before the driver opens the
        // device is echoed back to us or cooked.
        let mut attributes = termios::tcgetattr(pty.slave.as_fd()).map_err(ModemSimError::Pty)?;
        termios::cfmakeraw(&mut attributes);
        termios::tcsetattr(pty.slave.as_fd(), termios::SetArg::TCSANOW, &attributes)
            .map_err(ModemSimError::Pty)?;
        // The slave stays closed until the driver opens it: holding it would
        // keep an exclusive open (TIOCEXCL) from being reopened.
        drop(pty.slave);
        let modem = Arc::new(Mutex::new(Modem::new(options)));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (modem, stop) = (modem.clone(), stop.clone());
            let master = pty.master;
            thread::Builder::new()
                .name("modem-sim".into())
                .spawn(move || serve(master, modem, stop))
                .map_err(ModemSimError::Thread)?
        };
        Ok(ModemSim {
            device,
            modem,
            stop,
            thread: Some(thread),
        })
    }

    /// The path to give the driver as `device`.
    pub fn device(&self) -> &Path {
        &self.device
    }

    fn modem(&self) -> MutexGuard<'_, Modem> {
        // A panic in the sim thread poisons the lock; the state is still
        // worth reading for the test's failure message.
        self.modem
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every SUBMIT received so far, decoded, or why it could not be.
    pub fn submits(&self) -> Vec<Submitted> {
        self.modem().submits.clone()
    }

    /// Every command line received so far.
    pub fn commands(&self) -> Vec<String> {
        self.modem().commands.clone()
    }

    /// Messages in the modem's storage, by index.
    pub fn stored(&self) -> Vec<u32> {
        self.modem().storage.keys().copied().collect()
    }

    /// Whether the driver finished its start-up (PDU mode and indications set).
    pub fn is_set_up(&self) -> bool {
        let modem = self.modem();
        modem.pdu_mode && modem.indications
    }

    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&Modem) -> bool,
    ) -> Result<(), ModemSimError> {
        let deadline = Instant::now() + timeout;
        loop {
            if done(&self.modem()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(ModemSimError::Timeout(timeout, what.to_owned()));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for at least `count` SUBMITs; returns them all.
    pub fn wait_for_submits(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Submitted>, ModemSimError> {
        self.wait_until(&format!("{count} SMS-SUBMITs"), timeout, |m| {
            m.submits.len() >= count
        })?;
        Ok(self.submits())
    }

    /// Waits until the driver has set the modem up.
    pub fn wait_for_setup(&self, timeout: Duration) -> Result<(), ModemSimError> {
        self.wait_until("the driver's start-up", timeout, |m| {
            m.pdu_mode && m.indications
        })
    }

    /// Stores an MO and announces it with `+CMTI` (parts of a long text are
    /// each stored and announced).
    pub fn inject_stored_mo(&self, from: &str, text: &str) -> Result<(), ModemSimError> {
        self.modem().inject_stored_mo(from, text);
        Ok(())
    }

    /// The PDUs of an MO, one per part, to store one by one with
    /// [`ModemSim::inject_stored_part`] (a network that delivers the parts of a long message
    /// some time apart).
    pub fn mo_parts(&self, from: &str, text: &str) -> Vec<Vec<u8>> {
        self.modem().mo_parts(from, text)
    }

    /// Stores one PDU from [`ModemSim::mo_parts`] and announces it with `+CMTI`; returns its
    /// storage index.
    pub fn inject_stored_part(&self, pdu: &[u8]) -> u32 {
        self.modem().store_pdu(pdu.to_vec())
    }

    /// Delivers an MO directly with `+CMT` (no storage).
    pub fn inject_direct_mo(&self, from: &str, text: &str) -> Result<(), ModemSimError> {
        self.modem().inject_direct_mo(from, text);
        Ok(())
    }

    /// Sends `+CDS` with a status report for message reference `mr`.
    pub fn inject_report(&self, mr: u8, recipient: &str, status: u8) -> Result<(), ModemSimError> {
        self.modem().inject_report(mr, recipient, status);
        Ok(())
    }

    /// The next `AT+CMGS` is answered with `+CMS ERROR: <code>` after its PDU.
    pub fn fail_next_send(&self, code: u16) {
        self.modem().fail_next_send = Some(code);
    }

    /// The next `AT+CMGS` gets a stored MO announced (`+CMTI`) between the
    /// command and its `>` prompt.
    pub fn cmti_during_next_send(&self, from: &str, text: &str) {
        self.modem().cmti_during_send = Some((from.to_owned(), text.to_owned()));
    }

    /// A silent modem reads everything and answers nothing.
    pub fn set_silent(&self, silent: bool) {
        self.modem().silent = silent;
    }
}

impl Drop for ModemSim {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Moves bytes between the master side and the modem until stopped.
fn serve(master: OwnedFd, modem: Arc<Mutex<Modem>>, stop: Arc<AtomicBool>) {
    let mut buffer = [0u8; 1024];
    while !stop.load(Ordering::Relaxed) {
        let output = {
            let mut modem = modem.lock().unwrap_or_else(|p| p.into_inner());
            modem.take_output()
        };
        if !output.is_empty() {
            write_all(&master, &output);
        }
        let mut fds = [PollFd::new(master.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(20u8)) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => {}
            Err(_) => return,
        }
        let readable = fds
            .first()
            .and_then(PollFd::revents)
            .is_some_and(|r| r.contains(PollFlags::POLLIN));
        if !readable {
            // No slave open (POLLHUP): the driver has not opened the device
            // yet, or is reopening it.
            thread::sleep(Duration::from_millis(20));
            continue;
        }
        match nix::unistd::read(&master, &mut buffer) {
            Ok(0) => thread::sleep(Duration::from_millis(20)),
            Ok(n) => {
                let mut modem = modem.lock().unwrap_or_else(|p| p.into_inner());
                modem.receive(buffer.get(..n).unwrap_or_default());
            }
            Err(Errno::EIO | Errno::EAGAIN | Errno::EINTR) => {
                thread::sleep(Duration::from_millis(20));
            }
            Err(_) => return,
        }
    }
}

fn write_all(master: &OwnedFd, mut bytes: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while !bytes.is_empty() && Instant::now() < deadline {
        match nix::unistd::write(master, bytes) {
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(Errno::EAGAIN | Errno::EINTR) => thread::sleep(Duration::from_millis(5)),
            Err(_) => return,
        }
    }
}

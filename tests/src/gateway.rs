//! Starting the real `bearerbox` and `smsbox` binaries, waiting for their
//! ports, and stopping them by pid however the test ends.

use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

use crate::HarnessError;
use crate::conf_writer::{ConfText, gateway_conf};
use crate::ports::GatewayPorts;

/// How long a box may take to open its ports. Generous for a loaded
/// 2-core machine; a healthy start takes milliseconds.
pub const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a box may take to exit after SIGTERM before it is killed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(20);

/// Where cargo put the workspace's binaries: the test executable lives in
/// `target/<profile>/deps/`, the binaries one folder up.
pub fn binary_path(name: &str) -> Result<PathBuf, HarnessError> {
    let exe = std::env::current_exe()
        .map_err(|source| HarnessError::io("locating the test executable", source))?;
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::BinaryMissing { path })
    }
}

/// One started box. Dropping it stops the process: SIGTERM, then SIGKILL
/// after [`STOP_GRACE`].
#[derive(Debug)]
pub struct BoxProcess {
    name: String,
    child: Child,
    /// Standard output and error, captured together.
    output: PathBuf,
    status: Option<ExitStatus>,
}

impl BoxProcess {
    /// Starts `binary` (a name from [`binary_path`]) with `args` in `dir`.
    /// The process gets SIGKILL if the thread that started it ends first, so
    /// a test process that dies leaves no box behind.
    pub fn spawn<I, S>(binary: &str, args: I, dir: &Path) -> Result<BoxProcess, HarnessError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        BoxProcess::spawn_program(binary, &binary_path(binary)?, args, dir)
    }

    /// Like [`BoxProcess::spawn`] for a program outside the workspace (Kannel's
    /// own boxes and tools), named `name` in messages and capture files.
    pub fn spawn_program<I, S>(
        binary: &str,
        path: &Path,
        args: I,
        dir: &Path,
    ) -> Result<BoxProcess, HarnessError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let output = dir.join(format!("{binary}.out"));
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&output)
            .map_err(|source| HarnessError::io("creating the output capture file", source))?;
        let err = out
            .try_clone()
            .map_err(|source| HarnessError::io("duplicating the capture file", source))?;
        let parent = std::process::id() as libc::pid_t;
        let mut command = Command::new(path);
        command
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        // SAFETY: the closure runs in the forked child before exec and only
        // calls the async-signal-safe prctl and getppid, allocating nothing.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // The parent may have died before prctl took effect.
                if libc::getppid() != parent {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|source| HarnessError::io("starting a box", source))?;
        Ok(BoxProcess {
            name: binary.to_string(),
            child,
            output,
            status: None,
        })
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as libc::pid_t)
    }

    /// The most memory the process has held so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Everything the process wrote on standard output and error so far.
    pub fn output(&self) -> String {
        fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// The exit status, if the process has exited.
    pub fn try_status(&mut self) -> Result<Option<ExitStatus>, HarnessError> {
        if self.status.is_none() {
            self.status = self
                .child
                .try_wait()
                .map_err(|source| HarnessError::io("polling a box", source))?;
        }
        Ok(self.status)
    }

    /// Waits until `port` on 127.0.0.1 accepts connections. Fails early if
    /// the box exits, and after `timeout` with its output in the error.
    pub fn wait_for_port(&mut self, port: u16, timeout: Duration) -> Result<(), HarnessError> {
        let deadline = Instant::now() + timeout;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        loop {
            if let Some(status) = self.try_status()? {
                return Err(HarnessError::Exited {
                    name: self.name.clone(),
                    status,
                    output: self.output(),
                });
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout {
                    what: format!("{} to listen on port {port}", self.name),
                    output: self.output(),
                });
            }
            thread::sleep(POLL);
        }
    }

    /// Waits until the output contains `text`.
    pub fn wait_for_output(&mut self, text: &str, timeout: Duration) -> Result<(), HarnessError> {
        wait_until(&format!("{} to print {text:?}", self.name), timeout, || {
            Ok(self.output().contains(text))
        })
        .map_err(|error| error.with_output(self.output()))
    }

    pub fn signal(&self, signal: Signal) -> Result<(), HarnessError> {
        kill(self.pid(), signal).map_err(HarnessError::Signal)
    }

    /// Waits for the exit, at most `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus, HarnessError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_status()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                return Err(HarnessError::Timeout {
                    what: format!("{} to exit", self.name),
                    output: self.output(),
                });
            }
            thread::sleep(POLL);
        }
    }

    /// SIGTERM, then SIGKILL if it has not exited after [`STOP_GRACE`].
    pub fn stop(&mut self) -> Result<ExitStatus, HarnessError> {
        if let Some(status) = self.try_status()? {
            return Ok(status);
        }
        self.signal(Signal::SIGTERM)?;
        match self.wait_exit(STOP_GRACE) {
            Ok(status) => Ok(status),
            Err(_) => {
                let _ = self.child.kill();
                let status = self
                    .child
                    .wait()
                    .map_err(|source| HarnessError::io("reaping a killed box", source))?;
                self.status = Some(status);
                Ok(status)
            }
        }
    }
}

impl Drop for BoxProcess {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Polls `done` until it is true, at most `timeout`.
pub fn wait_until(
    what: &str,
    timeout: Duration,
    mut done: impl FnMut() -> Result<bool, HarnessError>,
) -> Result<(), HarnessError> {
    let deadline = Instant::now() + timeout;
    loop {
        if done()? {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(HarnessError::Timeout {
                what: what.to_string(),
                output: String::new(),
            });
        }
        thread::sleep(POLL);
    }
}

/// A folder, ports and a configuration for one gateway, before or while it runs.
#[derive(Debug)]
pub struct Setup {
    pub ports: GatewayPorts,
    pub conf: PathBuf,
    // Last field: dropped after everything that may still write into it.
    pub dir: TempDir,
}

impl Setup {
    /// Reserves ports and writes [`gateway_conf`] into a new temporary folder.
    pub fn new() -> Result<Setup, HarnessError> {
        Setup::with_conf(|conf| conf)
    }

    /// Like [`Setup::new`], letting the test change the configuration.
    pub fn with_conf(edit: impl FnOnce(ConfText) -> ConfText) -> Result<Setup, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix("kannel-rs-test-")
            .tempdir()
            .map_err(|source| HarnessError::io("creating a temporary folder", source))?;
        let ports = GatewayPorts::reserve()?;
        let conf = dir.path().join("kannel.conf");
        edit(gateway_conf(&ports, dir.path())).write_to(&conf)?;
        Ok(Setup { ports, conf, dir })
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Reads a file of the folder, empty if it does not exist.
    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// Starts bearerbox with `args` before the configuration path and waits
    /// for its admin and smsbox ports.
    pub fn start_bearerbox(&self, args: &[&str]) -> Result<BoxProcess, HarnessError> {
        let mut process = self.spawn("bearerbox", args)?;
        process.wait_for_port(self.ports.admin.number(), START_TIMEOUT)?;
        process.wait_for_port(self.ports.smsbox.number(), START_TIMEOUT)?;
        Ok(process)
    }

    /// Starts smsbox with `args` and waits for its sendsms port.
    pub fn start_smsbox(&self, args: &[&str]) -> Result<BoxProcess, HarnessError> {
        let mut process = self.spawn("smsbox", args)?;
        process.wait_for_port(self.ports.sendsms.number(), START_TIMEOUT)?;
        Ok(process)
    }

    /// Starts `binary` with `args` then the configuration path, waiting for nothing.
    pub fn spawn(&self, binary: &str, args: &[&str]) -> Result<BoxProcess, HarnessError> {
        let mut all: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        all.push(self.conf.as_os_str());
        BoxProcess::spawn(binary, all, self.dir.path())
    }
}

/// A running gateway: bearerbox, then smsbox attached to it.
#[derive(Debug)]
pub struct Gateway {
    // Fields drop in order: smsbox stops first, as an operator would stop it.
    pub smsbox: BoxProcess,
    pub bearerbox: BoxProcess,
    pub setup: Setup,
}

impl Gateway {
    pub fn start() -> Result<Gateway, HarnessError> {
        Gateway::start_with(Setup::new()?)
    }

    pub fn start_with(setup: Setup) -> Result<Gateway, HarnessError> {
        let bearerbox = setup.start_bearerbox(&[])?;
        let smsbox = setup.start_smsbox(&[])?;
        Ok(Gateway {
            smsbox,
            bearerbox,
            setup,
        })
    }
}

/// One HTTP/1.1 GET on 127.0.0.1, returning the status code and body.
pub fn http_get(port: u16, target: &str) -> Result<(u16, String), HarnessError> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let io = |source| HarnessError::io("an HTTP request", source);
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(io)?;
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .map_err(io)?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(io)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| HarnessError::BadResponse(response.clone()))?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Whether `pid` is a live process (not gone, not a zombie). A daemonized
/// box is not our child, so its exit is seen here rather than by `wait`.
pub fn is_alive(pid: Pid) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// A daemonized box, known by the pid in its pid file; dropping it kills
/// the process if it still runs, since no parent of ours will.
#[derive(Debug)]
pub struct Daemon {
    pub pid: Pid,
}

impl Daemon {
    /// Waits for the pid file and reads it.
    pub fn from_pid_file(path: &Path, timeout: Duration) -> Result<Daemon, HarnessError> {
        let mut pid = None;
        wait_until(&format!("pid file {}", path.display()), timeout, || {
            pid = fs::read_to_string(path)
                .ok()
                .and_then(|text| text.trim().parse::<libc::pid_t>().ok());
            Ok(pid.is_some())
        })?;
        pid.map(|pid| Daemon {
            pid: Pid::from_raw(pid),
        })
        .ok_or_else(|| HarnessError::Timeout {
            what: "the pid file".into(),
            output: String::new(),
        })
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if is_alive(self.pid) {
            let _ = kill(self.pid, Signal::SIGKILL);
        }
    }
}

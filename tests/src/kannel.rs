//! A bearerbox with one `fake` SMSC link, our smsbox attached to it, and a
//! fake-SMSC client standing in for the handsets: the rig for smsbox's
//! end-to-end tests. The bearerbox is a parameter: Kannel 1.4.5's own
//! (`/usr/sbin/bearerbox`, the reference) or ours.
//!
//! ```text
//!  test ──HTTP──▶ smsbox ──box protocol──▶ bearerbox ──fake line protocol──▶ FakeClient (the test)
//!  recorder ◀──── service / dlr-url calls ──┘
//! ```
//!
//! bearerbox and smsbox read separate files: Kannel's bearerbox refuses
//! keys it does not know (our `credits`), and each box only needs its own
//! groups. Every process started here stops when the rig is dropped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

use crate::HarnessError;
use crate::conf_writer::ConfText;
use crate::fake_client::FakeClient;
use crate::gateway::{BoxProcess, START_TIMEOUT, http_get, wait_until};
use crate::ports::{self, Port};

/// Kannel's bearerbox, where Debian installs it.
pub const KANNEL_BEARERBOX: &str = "/usr/sbin/bearerbox";
/// The fake link's id, as MO messages carry it.
pub const SMSC_ID: &str = "fake1";
/// The smsbox's `global-sender`.
pub const GLOBAL_SENDER: &str = "12345";

/// Which bearerbox the smsbox attaches to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bearer {
    Kannel,
    Ours,
}

impl Bearer {
    /// Our bearerbox by default; `SMSBOX_TEST_BEARER=kannel` runs the
    /// smsbox tests against Kannel 1.4.5's instead. Some tests run against
    /// Kannel's always, to keep our smsbox compatible with it.
    pub fn from_env() -> Bearer {
        match std::env::var("SMSBOX_TEST_BEARER").as_deref() {
            Ok("kannel") => Bearer::Kannel,
            _ => Bearer::Ours,
        }
    }
}

#[derive(Debug)]
pub struct RigPorts {
    pub admin: Port,
    pub smsbox: Port,
    pub sendsms: Port,
    pub fake: Port,
}

/// The running rig.
pub struct SmsboxRig {
    // Drop order: smsbox, the handsets' link, bearerbox, then the folder.
    pub smsbox: Option<BoxProcess>,
    pub fake: FakeClient,
    pub bearerbox: BoxProcess,
    pub ports: RigPorts,
    pub smsbox_conf: PathBuf,
    pub dir: TempDir,
}

fn bearerbox_conf(ports: &RigPorts, dir: &Path) -> ConfText {
    let admin = ports.admin.number().to_string();
    let smsbox = ports.smsbox.number().to_string();
    let fake = ports.fake.number().to_string();
    let log = dir.join("bearerbox.log").display().to_string();
    ConfText::new()
        .group(
            "core",
            &[
                ("admin-port", &admin),
                ("admin-interface", "127.0.0.1"),
                ("admin-password", "secret"),
                ("status-password", "secret"),
                ("smsbox-port", &smsbox),
                ("smsbox-interface", "127.0.0.1"),
                ("box-deny-ip", "\"*.*.*.*\""),
                ("box-allow-ip", "\"127.0.0.1\""),
                ("log-file", &log),
                ("log-level", "0"),
                ("dlr-storage", "internal"),
            ],
        )
        .group(
            "smsc",
            &[
                ("smsc", "fake"),
                ("smsc-id", SMSC_ID),
                ("our-host", "127.0.0.1"),
                ("port", &fake),
                ("connect-allow-ip", "127.0.0.1"),
            ],
        )
        // Kannel's bearerbox wants to see an smsbox group beside smsbox-port.
        .group("smsbox", &[("bearerbox-host", "127.0.0.1")])
}

/// The smsbox's own file: `core` for the bearerbox port and the admin
/// password, `smsbox` with `extra` keys, then the test's groups.
pub fn smsbox_conf(
    ports: &RigPorts,
    dir: &Path,
    extra: &[(&str, &str)],
    groups: &ConfText,
) -> ConfText {
    smsbox_conf_with_core(ports, dir, &[], extra, groups)
}

/// [`smsbox_conf`] with `core_extra` keys added to the core group
/// (`ssl-trusted-ca-file` ...).
pub fn smsbox_conf_with_core(
    ports: &RigPorts,
    dir: &Path,
    core_extra: &[(&str, &str)],
    extra: &[(&str, &str)],
    groups: &ConfText,
) -> ConfText {
    let smsbox = ports.smsbox.number().to_string();
    let sendsms = ports.sendsms.number().to_string();
    let log = dir.join("smsbox.log").display().to_string();
    let accounts = dir.join("accounts.db").display().to_string();
    let mut keys: Vec<(&str, &str)> = vec![
        ("bearerbox-host", "127.0.0.1"),
        ("sendsms-port", &sendsms),
        ("sendsms-interface", "127.0.0.1"),
        ("global-sender", GLOBAL_SENDER),
        ("log-file", &log),
        ("log-level", "0"),
        ("accounts-db", &accounts),
    ];
    keys.retain(|(key, _)| !extra.iter().any(|(k, _)| k == key));
    keys.extend_from_slice(extra);
    let mut core: Vec<(&str, &str)> = vec![
        ("admin-port", "0"),
        ("admin-password", "secret"),
        ("smsbox-port", &smsbox),
    ];
    core.extend_from_slice(core_extra);
    ConfText::new()
        .group("core", &core)
        .group("smsbox", &keys)
        .raw(groups.text())
}

impl SmsboxRig {
    /// Starts bearerbox, connects the handsets' link, waits for the link to
    /// be online, then starts smsbox with `extra` smsbox keys and `groups`
    /// (sendsms-user, sms-service ...) and waits until it is attached.
    pub fn start(
        bearer: Bearer,
        extra: &[(&str, &str)],
        groups: ConfText,
    ) -> Result<SmsboxRig, HarnessError> {
        let dir = tempfile::Builder::new()
            .prefix("kannel-rs-smsbox-")
            .tempdir()
            .map_err(|source| HarnessError::io("creating a temporary folder", source))?;
        let ports = RigPorts {
            admin: ports::reserve()?,
            smsbox: ports::reserve()?,
            sendsms: ports::reserve()?,
            fake: ports::reserve()?,
        };
        let bearer_conf = dir.path().join("bearerbox.conf");
        bearerbox_conf(&ports, dir.path()).write_to(&bearer_conf)?;
        let smsbox_conf_path = dir.path().join("smsbox.conf");
        smsbox_conf(&ports, dir.path(), extra, &groups).write_to(&smsbox_conf_path)?;

        let mut bearerbox = match bearer {
            Bearer::Kannel => BoxProcess::spawn_program(
                "kannel-bearerbox",
                Path::new(KANNEL_BEARERBOX),
                [
                    std::ffi::OsStr::new("-v"),
                    "1".as_ref(),
                    bearer_conf.as_os_str(),
                ],
                dir.path(),
            )?,
            Bearer::Ours => BoxProcess::spawn("bearerbox", [bearer_conf.as_os_str()], dir.path())?,
        };
        bearerbox.wait_for_port(ports.admin.number(), START_TIMEOUT)?;
        bearerbox.wait_for_port(ports.smsbox.number(), START_TIMEOUT)?;
        let fake = FakeClient::connect(ports.fake.number(), START_TIMEOUT)?;
        let admin = ports.admin.number();
        wait_until("the fake link to be online", START_TIMEOUT, || {
            Ok(http_get(admin, "/status?password=secret")
                .map(|(_, body)| {
                    // Until our status page lists links, the connection
                    // being accepted is all there is to wait for.
                    body.contains("online") || (bearer == Bearer::Ours && !body.contains(SMSC_ID))
                })
                .unwrap_or(false))
        })?;
        if bearer == Bearer::Ours {
            std::thread::sleep(Duration::from_millis(300));
        }
        let mut rig = SmsboxRig {
            smsbox: None,
            fake,
            bearerbox,
            ports,
            smsbox_conf: smsbox_conf_path,
            dir,
        };
        rig.start_smsbox()?;
        Ok(rig)
    }

    /// Starts (again) our smsbox and waits until it is attached.
    pub fn start_smsbox(&mut self) -> Result<(), HarnessError> {
        let before = self
            .smsbox_log()
            .matches("connected to bearerbox at")
            .count();
        let mut smsbox =
            BoxProcess::spawn("smsbox", [self.smsbox_conf.as_os_str()], self.dir.path())?;
        smsbox.wait_for_port(self.ports.sendsms.number(), START_TIMEOUT)?;
        self.smsbox = Some(smsbox);
        let dir = self.dir.path().to_path_buf();
        wait_until("smsbox to attach to bearerbox", START_TIMEOUT, || {
            Ok(std::fs::read_to_string(dir.join("smsbox.log"))
                .unwrap_or_default()
                .matches("connected to bearerbox at")
                .count()
                > before)
        })
        .map_err(|error| match error {
            HarnessError::Timeout { what, .. } => HarnessError::Timeout {
                what,
                output: std::fs::read_to_string(dir.join("smsbox.log")).unwrap_or_default(),
            },
            other => other,
        })?;
        // The identify frame is on its way; let bearerbox read it.
        std::thread::sleep(Duration::from_millis(200));
        Ok(())
    }

    /// Stops our smsbox (SIGTERM, then SIGKILL).
    pub fn stop_smsbox(&mut self) -> Result<(), HarnessError> {
        if let Some(mut smsbox) = self.smsbox.take() {
            smsbox.stop()?;
        }
        Ok(())
    }

    pub fn sendsms_port(&self) -> u16 {
        self.ports.sendsms.number()
    }

    pub fn smsbox_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("smsbox.log")).unwrap_or_default()
    }

    pub fn bearerbox_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("bearerbox.log")).unwrap_or_default()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// MT lines the handsets' link received: up to `count`, stopping after
    /// `quiet` without one.
    pub fn mt_lines(&mut self, count: usize, quiet: Duration) -> Result<Vec<String>, HarnessError> {
        self.fake.read_lines(count, quiet)
    }

    /// An MO from `from` to `to`, as a handset would send it.
    pub fn send_mo(&mut self, from: &str, to: &str, text: &str) -> Result<(), HarnessError> {
        self.fake.send_line(&format!("{from} {to} text {text}"))
    }
}

impl Drop for SmsboxRig {
    fn drop(&mut self) {
        let _ = self.stop_smsbox();
    }
}

//! The store's disk fills up: bearerbox answers "try later" (ack 2, which
//! smsbox turns into 503), loses nothing it accepted, and takes messages
//! again once there is room.
//!
//! Needs a small filesystem the test can make: a tmpfs mounted by root. Where
//! the machine refuses (not root, no mount permission), the test says that it
//! skipped and passes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use box_protocol::message::{AckStatus, Msg};
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::fake_client::FakeClient;
use tests::gateway::Setup;
use tests::ports;

const WAIT: Duration = Duration::from_secs(20);

/// A tmpfs mounted for the test, unmounted however the test ends.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(path).ok()?;
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .ok()?;
        status.success().then(|| SmallDisk {
            path: path.to_owned(),
        })
    }

    fn resize(&self, size: &str) -> bool {
        Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.path)
            .status()
            .is_ok_and(|status| status.success())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_means_try_later_and_nothing_accepted_is_lost() -> TestResult {
    let smsc = ports::reserve()?;
    let disk_holder = tempfile::tempdir()?;
    let disk_path = disk_holder.path().join("disk");
    let Some(disk) = SmallDisk::mount(&disk_path, "1m") else {
        eprintln!("SKIPPED: this machine does not let the test mount a small tmpfs (needs root)");
        return Ok(());
    };
    let store = disk_path.join("store.sqlite").display().to_string();
    let port = smsc.number().to_string();
    let setup = Setup::with_conf(|conf| {
        conf.group(
            "smsc",
            &[
                ("smsc", "fake"),
                ("smsc-id", "fake1"),
                ("port", &port),
                ("our-host", "127.0.0.1"),
            ],
        )
    })?;
    let text = std::fs::read_to_string(&setup.conf)?.replace(
        "group = core\n",
        &format!("group = core\nstore-type = file\nstore-location = \"{store}\"\n"),
    );
    std::fs::write(&setup.conf, text)?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;

    // Fill the disk: every message until bearerbox says "try later".
    let mut accepted = HashSet::new();
    let mut refused = 0;
    for n in 0..20_000 {
        let text = format!("filling the disk, message {n} {}", "x".repeat(100));
        let message = mt("777", &format!("+39333{n:07}"), &text);
        boxc.send(&Msg::from(message))?;
        let (_, status) = boxc.acks(1, WAIT)?[0];
        match status {
            AckStatus::Buffered => {
                accepted.insert(format!("777 +39333{n:07} text {text}"));
            }
            AckStatus::FailedTmp => {
                refused += 1;
                if refused >= 3 {
                    break;
                }
            }
            other => return Err(format!("message {n}: unexpected {other:?}").into()),
        }
    }
    assert!(
        refused >= 3,
        "the 1 MiB disk never filled ({} accepted)",
        accepted.len()
    );
    assert!(!accepted.is_empty(), "nothing fitted on the disk at all");

    // Room again: bearerbox takes messages once more.
    assert!(disk.resize("64m"), "could not grow the tmpfs");
    let after = mt("777", "+393339999999", "after the disk grew");
    boxc.send(&Msg::from(after))?;
    assert_eq!(
        boxc.acks(1, WAIT)?[0].1,
        AckStatus::Buffered,
        "no recovery after space returned"
    );
    accepted.insert("777 +393339999999 text after the disk grew".to_owned());

    // Everything that was accepted reaches the SMSC.
    let mut link = FakeClient::connect(smsc.number(), WAIT)?;
    let lines: HashSet<String> = link
        .read_lines(accepted.len() + refused, Duration::from_secs(3))?
        .into_iter()
        .collect();
    let missing: Vec<_> = accepted.difference(&lines).take(3).collect();
    eprintln!(
        "disk full after {} accepted messages; {refused} answered try-later; {} delivered after the disk grew",
        accepted.len() - 1,
        lines.len()
    );
    assert!(
        missing.is_empty(),
        "accepted but not delivered: {missing:?}"
    );
    Ok(())
}

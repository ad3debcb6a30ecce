//! The command line: `--version`, `--check-config`, refused configurations,
//! `-d` with a pid file.

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use tests::TestResult;
use tests::conf_writer::ConfText;
use tests::gateway::{Daemon, STOP_GRACE, Setup, binary_path, is_alive, wait_until};

const BOXES: [&str; 2] = ["bearerbox", "smsbox"];

fn run(binary: &str, args: &[&Path]) -> Result<Output, Box<dyn std::error::Error>> {
    Ok(Command::new(binary_path(binary)?).args(args).output()?)
}

fn demo_conf() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../conf/examples/demo.conf")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn version_prints_a_version() -> TestResult {
    for binary in BOXES {
        let output = run(binary, &[Path::new("--version")])?;
        assert!(output.status.success(), "{binary}: {}", text(&output));
        assert_eq!(
            text(&output).trim(),
            format!("{binary} {}", env!("CARGO_PKG_VERSION"))
        );
    }
    Ok(())
}

#[test]
fn check_config_accepts_the_demo_configuration() -> TestResult {
    for binary in BOXES {
        let output = run(binary, &[Path::new("--check-config"), &demo_conf()])?;
        assert_eq!(output.status.code(), Some(0), "{binary}: {}", text(&output));
        assert!(
            !text(&output).contains("ERROR"),
            "{binary}: {}",
            text(&output)
        );
    }
    Ok(())
}

#[test]
fn check_config_reports_every_mistake_with_its_line_and_a_suggestion() -> TestResult {
    let dir = tempfile::tempdir()?;
    let conf = dir.path().join("broken.conf");
    // Line 1: a key outside any group; line 3: a near miss of admin-port;
    // line 5: not an integer.
    ConfText::new()
        .raw("log-level = 1\n")
        .raw("group = core\nadmin-prot = 13000\nadmin-password = x\nsms-resend-freq = often\n\n")
        .write_to(&conf)?;
    for binary in BOXES {
        let output = run(binary, &[Path::new("--check-config"), &conf])?;
        let out = text(&output);
        assert_eq!(output.status.code(), Some(1), "{binary}: {out}");
        let at = |line: u32| {
            let place = format!("{}:{line}:", conf.display());
            out.lines().find(|l| l.contains(&place)).map(str::to_string)
        };
        for line in [1, 3, 5] {
            let found = at(line);
            assert!(
                found.as_deref().is_some_and(|l| l.starts_with("ERROR: ")),
                "{binary}: no error for line {line} in:\n{out}"
            );
        }
        let near_miss = at(3).unwrap_or_default();
        assert!(
            near_miss.contains("'admin-port'"),
            "{binary}: no suggestion in {near_miss:?}"
        );
    }
    Ok(())
}

#[test]
fn check_config_starts_nothing_and_binds_no_port() -> TestResult {
    // The admin port is taken by this test: a box that tried to bind it would fail.
    let taken = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let port = taken.local_addr()?.port().to_string();
    let setup = Setup::with_conf(|_| {
        ConfText::new().group(
            "core",
            &[
                ("admin-port", &port),
                ("admin-interface", "127.0.0.1"),
                ("admin-password", "x"),
            ],
        )
    })?;
    let output = run("bearerbox", &[Path::new("--check-config"), &setup.conf])?;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    Ok(())
}

#[test]
fn a_refused_configuration_exits_1_without_a_panic() -> TestResult {
    let setup = Setup::with_conf(|conf| conf.raw("group = core\nadmin-port = 13x0\n\n"))?;
    for binary in BOXES {
        let output = run(binary, &[&setup.conf])?;
        let out = text(&output);
        assert_eq!(output.status.code(), Some(1), "{binary}: {out}");
        assert!(
            out.contains("ERROR: ") && out.contains("13x0"),
            "{binary}: {out}"
        );
        assert!(
            !out.contains("panicked") && !out.contains("RUST_BACKTRACE"),
            "{binary}: {out}"
        );
    }
    Ok(())
}

#[test]
fn a_port_in_use_is_reported_and_exits_1() -> TestResult {
    let setup = Setup::new()?;
    let _taken = TcpListener::bind((Ipv4Addr::LOCALHOST, setup.ports.admin.number()))?;
    let output = run("bearerbox", &[&setup.conf])?;
    let out = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("admin-port"), "{out}");
    Ok(())
}

#[test]
fn daemonize_detaches_and_writes_the_pid_file() -> TestResult {
    // A relative log file: it must land in the folder the daemon started in.
    let setup = Setup::with_conf(|_| ConfText::new())?;
    let admin = setup.ports.admin.number().to_string();
    ConfText::new()
        .group(
            "core",
            &[
                ("admin-port", &admin),
                ("admin-interface", "127.0.0.1"),
                ("admin-password", "x"),
                ("log-file", "relative.log"),
            ],
        )
        .write_to(&setup.conf)?;
    let pid_file = setup.path("bearerbox.pid");
    let output = Command::new(binary_path("bearerbox")?)
        .arg("-d")
        .arg("-P")
        .arg(&pid_file)
        .arg(&setup.conf)
        .current_dir(setup.dir.path())
        .output()?;
    assert!(
        output.status.success(),
        "the foreground part: {}",
        text(&output)
    );

    let daemon = Daemon::from_pid_file(&pid_file, Duration::from_secs(10))?;
    assert!(is_alive(daemon.pid), "the daemon is not running");
    wait_until("the daemon's admin port", Duration::from_secs(10), || {
        Ok(std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, setup.ports.admin.number())).is_ok())
    })?;
    assert!(setup.read("relative.log").contains("bearerbox daemonized"));

    kill(daemon.pid, Signal::SIGTERM)?;
    wait_until("the daemon to exit", STOP_GRACE, || {
        Ok(!is_alive(daemon.pid))
    })?;
    assert!(!pid_file.exists(), "the pid file outlived the daemon");
    Ok(())
}

#[test]
fn kannels_start_options_are_accepted() -> TestResult {
    let setup = Setup::new()?;
    let bearerbox = setup.start_bearerbox(&["-S", "-I", "-D", "gw.*", "--verbosity", "1"])?;
    let output = bearerbox.output();
    assert!(output.contains("starting suspended (-S)"), "{output}");
    assert!(output.contains("starting isolated (-I)"), "{output}");
    let _smsbox = setup.start_smsbox(&["-D", "gw.*", "-v", "1"])?;
    Ok(())
}

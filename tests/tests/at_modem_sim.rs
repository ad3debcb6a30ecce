//! The `modem-sim` program as a user runs it: it prints the device to
//! point `device` at, answers AT commands there, and takes injections on
//! its standard input.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::termios;
use tests::TestResult;
use tests::gateway::binary_path;

/// Reads from the device until `want` shows up or two seconds pass.
fn read_until(
    device: &mut std::fs::File,
    want: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut seen = String::new();
    let mut buffer = [0u8; 512];
    while Instant::now() < deadline {
        let mut fds = [nix::poll::PollFd::new(
            device.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        if nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(50u8))? == 0 {
            continue;
        }
        let n = device.read(&mut buffer)?;
        seen.push_str(&String::from_utf8_lossy(
            buffer.get(..n).unwrap_or_default(),
        ));
        if seen.contains(want) {
            return Ok(seen);
        }
    }
    Err(format!("no {want:?} from the modem; got {seen:?}").into())
}

#[test]
fn the_modem_sim_program_prints_its_device_answers_at_commands_and_takes_injections() -> TestResult
{
    let mut child = Command::new(binary_path("modem-sim")?)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let result = (|| -> TestResult {
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().ok_or("no output")??;
        let path = first
            .strip_prefix("device ")
            .ok_or(format!("first line {first:?}"))?;
        let mut device = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        let mut attributes = termios::tcgetattr(device.as_fd())?;
        termios::cfmakeraw(&mut attributes);
        termios::tcsetattr(device.as_fd(), termios::SetArg::TCSANOW, &attributes)?;

        device.write_all(b"ATE0\r")?;
        read_until(&mut device, "OK")?;
        let stdin = child.stdin.as_mut().ok_or("no stdin")?;
        writeln!(stdin, "mo +46701234567 hello by hand")?;
        stdin.flush()?;
        read_until(&mut device, "+CMTI: \"SM\",1")?;
        device.write_all(b"AT+CMGR=1\r")?;
        let answer = read_until(&mut device, "OK")?;
        assert!(answer.contains("+CMGR: 0,,"), "{answer}");
        writeln!(stdin, "quit")?;
        Ok(())
    })();
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait()?.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if child.try_wait()?.is_none() {
        child.kill()?;
        child.wait()?;
    }
    result
}

//! The benchmark's load generator against its own callback sink, both real
//! processes on loopback: what `bench/compare.py` reads from them is what
//! travelled between them.

use std::net::{Ipv4Addr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tests::gateway::binary_path;
use tests::ports;

type Error = Box<dyn std::error::Error>;

/// Kills the process if the test ends before it does.
struct Running(Option<Child>);

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn last_json(output: &[u8]) -> Result<serde_json::Value, Error> {
    let text = String::from_utf8_lossy(output);
    let line = text.lines().last().ok_or("no output")?;
    Ok(serde_json::from_str(line)?)
}

#[test]
fn every_request_of_the_mt_load_is_answered_and_counted_once_on_each_side() -> Result<(), Error> {
    let port = ports::reserve()?;
    let number = port.number().to_string();
    let loadgen = binary_path("loadgen")?;
    let mut sink = Running(Some(
        Command::new(&loadgen)
            .args([
                "sink",
                "--port",
                &number,
                "--expect",
                "3000",
                "--seconds",
                "30",
            ])
            .stdout(Stdio::piped())
            .spawn()?,
    ));
    let listening = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port.number())).is_err() {
        if Instant::now() > listening {
            return Err("the sink never listened".into());
        }
        thread::sleep(Duration::from_millis(20));
    }

    let load = Command::new(&loadgen)
        .args(["mt", "--port", &number, "--query", "username=u&text=hi"])
        .args([
            "--connections",
            "40",
            "--requests",
            "3000",
            "--seconds",
            "30",
        ])
        .output()?;
    assert!(
        load.status.success(),
        "{}",
        String::from_utf8_lossy(&load.stderr)
    );
    let load = last_json(&load.stdout)?;
    assert_eq!(load["answered"], 3000, "{load}");
    assert_eq!(load["accepted"], 3000, "{load}");
    assert_eq!(load["errors"], 0, "{load}");
    assert_eq!(load["statuses"]["200"], 3000, "{load}");
    assert!(
        load["p50_ms"].as_f64().is_some_and(|p50| p50 > 0.0),
        "{load}"
    );

    let sink = sink
        .0
        .take()
        .ok_or("the sink was started")?
        .wait_with_output()?;
    let counted = last_json(&sink.stdout)?;
    assert_eq!(counted["arrived"], 3000, "{counted}");
    Ok(())
}

//! An SMSC stopped and started by the admin port while traffic flows: what
//! was accepted is delivered once, by the link that is up.

use std::collections::HashSet;
use std::thread;
use std::time::Duration;

use box_protocol::message::{AckStatus, Msg};
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::fake_client::FakeClient;
use tests::gateway::{Setup, http_get, wait_until};
use tests::ports::{self, Port};

const WAIT: Duration = Duration::from_secs(10);
const MESSAGES: usize = 150;

fn fake_link(conf: ConfText, id: &str, port: &Port) -> ConfText {
    let port = port.number().to_string();
    conf.group(
        "smsc",
        &[
            ("smsc", "fake"),
            ("smsc-id", id),
            ("port", &port),
            ("our-host", "127.0.0.1"),
        ],
    )
}

fn admin(setup: &Setup, target: &str) -> Result<String, tests::HarnessError> {
    Ok(http_get(setup.ports.admin.number(), target)?.1)
}

/// The lines a client got before bearerbox closed its connection.
fn drain(client: &mut FakeClient) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut lines = Vec::new();
    for _ in 0..=MESSAGES {
        match client.read_line(Duration::from_secs(2)) {
            Ok(Some(line)) => lines.push(line),
            Err(tests::HarnessError::Protocol(_)) => return Ok(lines),
            Ok(None) => return Err("the stopped link did not close its client".into()),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(lines)
}

#[test]
fn an_smsc_stopped_and_started_while_traffic_flows_loses_no_message() -> TestResult {
    let (port_a, port_b) = (ports::reserve()?, ports::reserve()?);
    let setup = Setup::with_conf(|conf| {
        let conf = fake_link(conf, "a", &port_a);
        fake_link(conf, "b", &port_b)
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut link_a = FakeClient::connect(port_a.number(), WAIT)?;
    let mut link_b = FakeClient::connect(port_b.number(), WAIT)?;
    wait_until("both links come online", WAIT, || {
        Ok(admin(&setup, "/status")?.matches("(online ").count() == 2)
    })?;

    let box_port = setup.ports.smsbox.number();
    let sender = thread::spawn(
        move || -> Result<Vec<(String, AckStatus)>, tests::HarnessError> {
            let mut boxc = BoxClient::connect(box_port, None)?;
            let mut sent = Vec::new();
            for n in 0..MESSAGES {
                let message = mt("12345", "4670000001", &format!("message {n}"));
                boxc.send(&Msg::from(message.clone()))?;
                let (_, status) = boxc
                    .acks(1, WAIT)?
                    .pop()
                    .ok_or_else(|| tests::HarnessError::Protocol("no ack".into()))?;
                sent.push((format!("message {n}"), status));
                thread::sleep(Duration::from_millis(8));
            }
            Ok(sent)
        },
    );

    thread::sleep(Duration::from_millis(300));
    assert_eq!(
        admin(&setup, "/stop-smsc?smsc=a&password=secret")?,
        "SMSC `a' shut down"
    );
    let stopped_at = admin(&setup, "/status.json")?;
    // Stopped, the link closed its client's connection, as Kannel's does.
    let before_stop = drain(&mut link_a)?;
    thread::sleep(Duration::from_millis(400));
    assert_eq!(
        admin(&setup, "/start-smsc?smsc=a&password=secret")?,
        "SMSC `a' re-started"
    );
    let mut link_a = FakeClient::connect(port_a.number(), WAIT)?;

    let sent = sender.join().map_err(|_| "the sending thread panicked")??;
    assert!(
        sent.iter().all(|(_, status)| *status == AckStatus::Success),
        "every message is accepted: one link was always up"
    );
    let mut from_a = before_stop;
    from_a.extend(link_a.read_lines(MESSAGES, Duration::from_millis(1500))?);
    let from_b = link_b.read_lines(MESSAGES, Duration::from_millis(1500))?;
    let texts: Vec<String> = from_a
        .iter()
        .chain(&from_b)
        .map(|line| line.trim_start_matches("12345 4670000001 text ").to_owned())
        .collect();
    let unique: HashSet<&String> = texts.iter().collect();
    assert_eq!(texts.len(), MESSAGES, "delivered once each");
    assert_eq!(unique.len(), MESSAGES);
    assert!(sent.iter().all(|(text, _)| unique.contains(text)));
    assert!(
        !from_a.is_empty() && !from_b.is_empty(),
        "both links carried traffic"
    );
    assert!(stopped_at.contains("\"state\":\"dead\""), "{stopped_at}");

    let status = admin(&setup, "/status")?;
    assert!(
        status.contains(&format!("sent {MESSAGES} (0 queued)")),
        "{status}"
    );
    assert_eq!(status.matches("(online ").count(), 2, "{status}");
    Ok(())
}

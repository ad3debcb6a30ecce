//! `smsc = http`, `system-type = kannel`: our gateway sends its MT through
//! another gateway's sendsms interface, whether a second instance of ours or
//! Kannel 1.4.5's boxes; and Kannel 1.4.5's own `http` link, pointed at our
//! link's listener, delivers its MT to us as MO.
//!
//! ```text
//!  BoxClient ─▶ our bearerbox ─http kannel─▶ far smsbox ─▶ far bearerbox ─fake─▶ FakeClient
//!  Kannel smsbox ─▶ Kannel bearerbox ─http kannel─▶ our listener ─▶ our bearerbox ─▶ BoxClient
//! ```

use std::path::Path;
use std::time::{Duration, Instant};

use box_protocol::message::{AckStatus, Msg, Sms, SmsType};
use tempfile::TempDir;
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::fake_client::FakeClient;
use tests::gateway::{BoxProcess, START_TIMEOUT, Setup, http_get, wait_until};
use tests::kannel::{Bearer, SmsboxRig};
use tests::ports::{self, Port};

const WAIT: Duration = Duration::from_secs(10);
const KANNEL_SMSBOX: &str = "/usr/sbin/smsbox";

/// Our bearerbox with one `kannel` http link to the sendsms at `sendsms_port`.
fn near_gateway(
    sendsms_port: u16,
) -> Result<(Setup, BoxProcess, BoxClient), Box<dyn std::error::Error>> {
    let listen = ports::reserve()?;
    let send_url = format!("http://127.0.0.1:{sendsms_port}/cgi-bin/sendsms");
    let port = listen.number().to_string();
    let setup = Setup::with_conf(|conf| {
        conf.group(
            "smsc",
            &[
                ("smsc", "http"),
                ("smsc-id", "far"),
                ("system-type", "kannel"),
                ("send-url", &send_url),
                ("smsc-username", "chain"),
                ("smsc-password", "pw"),
                ("port", &port),
                ("our-host", "127.0.0.1"),
            ],
        )
    })?;
    let bearerbox = setup.start_bearerbox(&[])?;
    let boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    std::thread::sleep(Duration::from_millis(300));
    Ok((setup, bearerbox, boxc))
}

fn next_sms(boxc: &mut BoxClient, timeout: Duration) -> Result<Sms, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + timeout;
    loop {
        match boxc.next(deadline.saturating_duration_since(Instant::now()))? {
            Msg::Sms(sms) => return Ok(*sms),
            Msg::Ack { .. } => continue,
            other => return Err(format!("expected an sms, got a {}", other.type_name()).into()),
        }
    }
}

#[test]
fn kannel_type_chains_to_a_second_gateway_of_ours() -> TestResult {
    let mut far = SmsboxRig::start(
        Bearer::Ours,
        &[],
        ConfText::new().group("sendsms-user", &[("username", "chain"), ("password", "pw")]),
    )?;
    let (_setup, _bearerbox, mut boxc) = near_gateway(far.sendsms_port())?;
    let mut message = mt("12345", "4670000001", "chained hello");
    message.dlr_mask = Some(8);
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Success)]);
    assert_eq!(
        far.mt_lines(1, WAIT)?,
        vec!["12345 4670000001 text chained hello".to_owned()]
    );
    // The far gateway took it: the near one reports the SMSC's acceptance.
    let ack = next_sms(&mut boxc, WAIT)?;
    assert_eq!(
        (ack.sms_type, ack.dlr_mask),
        (Some(SmsType::ReportMo), Some(8))
    );
    Ok(())
}

#[test]
fn kannel_type_with_wrong_credentials_fails_the_message_for_good() -> TestResult {
    let far = SmsboxRig::start(
        Bearer::Ours,
        &[],
        ConfText::new().group(
            "sendsms-user",
            &[("username", "chain"), ("password", "other")],
        ),
    )?;
    let (_setup, _bearerbox, mut boxc) = near_gateway(far.sendsms_port())?;
    let mut message = mt("12345", "4670000002", "refused");
    message.dlr_mask = Some(16);
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Success)]);
    let nack = next_sms(&mut boxc, WAIT)?;
    assert_eq!(nack.dlr_mask, Some(16));
    let text = String::from_utf8_lossy(nack.msgdata.as_deref().unwrap_or_default()).into_owned();
    assert!(text.contains("Authorization failed"), "{text}");
    Ok(())
}

/// Kannel 1.4.5's bearerbox and smsbox on one file with `smsc` as its link.
struct KannelPair {
    _smsbox: BoxProcess,
    _bearerbox: BoxProcess,
    admin: Port,
    sendsms: Port,
    dir: TempDir,
}

impl KannelPair {
    fn start(smsc: &[(&str, &str)]) -> Result<KannelPair, Box<dyn std::error::Error>> {
        let dir = tempfile::Builder::new()
            .prefix("kannel-rs-chain-")
            .tempdir()?;
        let (admin, boxes, sendsms) = (ports::reserve()?, ports::reserve()?, ports::reserve()?);
        let log = |name: &str| dir.path().join(name).display().to_string();
        let (admin_port, box_port, sendsms_port) = (
            admin.number().to_string(),
            boxes.number().to_string(),
            sendsms.number().to_string(),
        );
        let (bearer_log, smsbox_log) = (log("kannel-bearerbox.log"), log("kannel-smsbox.log"));
        let conf = ConfText::new()
            .group(
                "core",
                &[
                    ("admin-port", &admin_port),
                    ("admin-interface", "127.0.0.1"),
                    ("admin-password", "secret"),
                    ("status-password", "secret"),
                    ("smsbox-port", &box_port),
                    ("box-deny-ip", "\"*.*.*.*\""),
                    ("box-allow-ip", "\"127.0.0.1\""),
                    ("log-file", &bearer_log),
                    ("log-level", "0"),
                    ("dlr-storage", "internal"),
                ],
            )
            .group("smsc", smsc)
            .group(
                "smsbox",
                &[
                    ("bearerbox-host", "127.0.0.1"),
                    ("sendsms-port", &sendsms_port),
                    ("sendsms-interface", "127.0.0.1"),
                    ("global-sender", "12345"),
                    ("log-file", &smsbox_log),
                    ("log-level", "0"),
                ],
            )
            .group("sendsms-user", &[("username", "chain"), ("password", "pw")])
            .group(
                "sms-service",
                &[("keyword", "default"), ("text", "No service here.")],
            );
        let path = dir.path().join("kannel.conf");
        conf.write_to(&path)?;
        let mut bearerbox = BoxProcess::spawn_program(
            "kannel-bearerbox",
            Path::new(tests::kannel::KANNEL_BEARERBOX),
            [std::ffi::OsStr::new("-v"), "1".as_ref(), path.as_os_str()],
            dir.path(),
        )?;
        bearerbox.wait_for_port(admin.number(), START_TIMEOUT)?;
        bearerbox.wait_for_port(boxes.number(), START_TIMEOUT)?;
        let mut smsbox = BoxProcess::spawn_program(
            "kannel-smsbox",
            Path::new(KANNEL_SMSBOX),
            [std::ffi::OsStr::new("-v"), "1".as_ref(), path.as_os_str()],
            dir.path(),
        )?;
        smsbox.wait_for_port(sendsms.number(), START_TIMEOUT)?;
        Ok(KannelPair {
            _smsbox: smsbox,
            _bearerbox: bearerbox,
            admin,
            sendsms,
            dir,
        })
    }

    fn wait_online(&self) -> Result<(), tests::HarnessError> {
        let admin = self.admin.number();
        wait_until("Kannel's link to be online", START_TIMEOUT, || {
            Ok(http_get(admin, "/status?password=secret")
                .map(|(_, body)| body.contains("online"))
                .unwrap_or(false))
        })
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }
}

#[test]
fn kannel_type_chains_to_kannel_1_4_5() -> TestResult {
    let fake = ports::reserve()?;
    let fake_port = fake.number().to_string();
    let far = KannelPair::start(&[
        ("smsc", "fake"),
        ("smsc-id", "handsets"),
        ("port", &fake_port),
        ("connect-allow-ip", "127.0.0.1"),
    ])?;
    let mut handsets = FakeClient::connect(fake.number(), START_TIMEOUT)?;
    far.wait_online()?;
    // Kannel's smsbox attaches a moment after its port opens.
    std::thread::sleep(Duration::from_millis(1000));
    let (_setup, _bearerbox, mut boxc) = near_gateway(far.sendsms.number())?;
    let message = mt("12345", "4670000003", "to kannel");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Success)]);
    let line = handsets.read_line(WAIT)?;
    assert_eq!(
        line.as_deref(),
        Some("12345 4670000003 text to kannel"),
        "{}",
        far.log("kannel-smsbox.log")
    );
    Ok(())
}

#[test]
fn kannel_1_4_5_http_link_delivers_its_mt_to_our_listener_as_mo() -> TestResult {
    let listen = ports::reserve()?;
    let port = listen.number().to_string();
    let setup = Setup::with_conf(|conf| {
        conf.group(
            "smsc",
            &[
                ("smsc", "http"),
                ("smsc-id", "from-kannel"),
                ("system-type", "kannel"),
                ("send-url", "http://127.0.0.1:9/unused"),
                ("smsc-username", "peer"),
                ("smsc-password", "peerpw"),
                ("port", &port),
                ("our-host", "127.0.0.1"),
            ],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;

    let kannel_listen = ports::reserve()?;
    let kannel_port = kannel_listen.number().to_string();
    let send_url = format!("http://127.0.0.1:{}/cgi-bin/sendsms", listen.number());
    let far = KannelPair::start(&[
        ("smsc", "http"),
        ("smsc-id", "to-us"),
        ("system-type", "kannel"),
        ("send-url", &send_url),
        ("smsc-username", "peer"),
        ("smsc-password", "peerpw"),
        ("port", &kannel_port),
        ("connect-allow-ip", "127.0.0.1"),
    ])?;
    far.wait_online()?;
    std::thread::sleep(Duration::from_millis(1000));
    let sent = tests::http::get(
        far.sendsms.number(),
        "/cgi-bin/sendsms?username=chain&password=pw&from=4670000004&to=12345&text=hej+fr%C3%A5n+kannel",
    )?;
    assert_eq!(sent.status, 202, "{}", sent.body);
    let mo = next_sms(&mut boxc, WAIT)?;
    assert_eq!(mo.sms_type, Some(SmsType::Mo));
    assert_eq!(mo.sender.as_deref(), Some(&b"4670000004"[..]));
    assert_eq!(mo.receiver.as_deref(), Some(&b"12345"[..]));
    assert_eq!(mo.msgdata.as_deref(), Some("hej från kannel".as_bytes()));
    assert_eq!(mo.smsc_id.as_deref(), Some(&b"from-kannel"[..]));
    // Kannel read our answer as a success: no failure in its log.
    boxc.ack(&mo)?;
    std::thread::sleep(Duration::from_millis(300));
    let log = far.log("kannel-bearerbox.log");
    assert!(!log.contains("SMSC returned"), "{log}");
    Ok(())
}

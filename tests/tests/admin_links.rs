//! Links started, stopped, added and removed while bearerbox runs, by the
//! admin port, SIGHUP and the command line, as Kannel's: the driver really
//! disconnects, the configuration file is read again, and nothing accepted
//! is lost on the way.

use std::fs;
use std::time::Duration;

use box_protocol::message::{AckStatus, Msg};
use nix::sys::signal::Signal;
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::fake_client::FakeClient;
use tests::gateway::{Setup, http_get, is_alive, wait_until};
use tests::ports::{self, Port};
use tests::smsc_sim::{Direction, SimConfig, SmscSim};

const WAIT: Duration = Duration::from_secs(10);

fn fake_link(conf: ConfText, id: &str, port: &Port) -> ConfText {
    fake_link_with(conf, id, port, &[])
}

fn fake_link_with(conf: ConfText, id: &str, port: &Port, more: &[(&str, &str)]) -> ConfText {
    let port = port.number().to_string();
    let mut entries = vec![
        ("smsc", "fake"),
        ("smsc-id", id),
        ("port", port.as_str()),
        ("our-host", "127.0.0.1"),
    ];
    entries.extend_from_slice(more);
    conf.group("smsc", &entries)
}

fn admin(setup: &Setup, command: &str) -> Result<String, tests::HarnessError> {
    let separator = if command.contains('?') { '&' } else { '?' };
    Ok(http_get(
        setup.ports.admin.number(),
        &format!("/{command}{separator}password=secret"),
    )?
    .1)
}

fn status(setup: &Setup) -> Result<String, tests::HarnessError> {
    Ok(http_get(setup.ports.admin.number(), "/status")?.1)
}

/// The status line of link `id`, if the status lists it.
fn link_line(page: &str, id: &str) -> Option<String> {
    page.lines()
        .find(|line| line.trim_start().starts_with(&format!("{id}[")))
        .map(str::to_owned)
}

fn wait_online(setup: &Setup, id: &str) -> TestResult {
    wait_until(&format!("link {id} comes online"), WAIT, || {
        Ok(link_line(&status(setup)?, id).is_some_and(|line| line.contains("(online ")))
    })?;
    Ok(())
}

/// Appends an smsc group to the configuration file of a running gateway.
fn append_to_conf(setup: &Setup, group: ConfText) -> TestResult {
    let mut text = fs::read_to_string(&setup.conf)?;
    text.push('\n');
    text.push_str(group.text());
    fs::write(&setup.conf, text)?;
    Ok(())
}

/// The text of a fake client's MT line (`sender receiver text <text>`).
fn text_of(line: &str) -> String {
    line.splitn(4, ' ').nth(3).unwrap_or_default().to_owned()
}

fn read_texts(client: &mut FakeClient, count: usize) -> Result<Vec<String>, tests::HarnessError> {
    Ok(client
        .read_lines(count, Duration::from_secs(3))?
        .iter()
        .map(|line| text_of(line))
        .collect())
}

#[test]
fn stop_smsc_disconnects_the_client_and_another_link_carries_the_traffic() -> TestResult {
    let (port_a, port_b) = (ports::reserve()?, ports::reserve()?);
    let setup = Setup::with_conf(|conf| fake_link(fake_link(conf, "a", &port_a), "b", &port_b))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut link_a = FakeClient::connect(port_a.number(), WAIT)?;
    let mut link_b = FakeClient::connect(port_b.number(), WAIT)?;
    wait_online(&setup, "a")?;
    wait_online(&setup, "b")?;

    assert_eq!(admin(&setup, "stop-smsc?smsc=a")?, "SMSC `a' shut down");
    assert!(
        link_a.read_line(WAIT).is_err(),
        "the stopped link closes its client's connection"
    );
    assert!(
        FakeClient::connect(port_a.number(), Duration::from_millis(300)).is_err(),
        "a stopped fake link no longer listens"
    );
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    let messages: Vec<_> = (0..5)
        .map(|n| mt("12345", "4670000001", &format!("while a is down {n}")))
        .collect();
    for message in &messages {
        boxc.send(&Msg::from(message.clone()))?;
    }
    let acks = boxc.acks(messages.len(), WAIT)?;
    assert!(acks.iter().all(|(_, status)| *status == AckStatus::Success));
    assert_eq!(
        read_texts(&mut link_b, messages.len())?.len(),
        messages.len()
    );

    assert_eq!(admin(&setup, "start-smsc?smsc=a")?, "SMSC `a' re-started");
    let mut link_a = FakeClient::connect(port_a.number(), WAIT)?;
    wait_online(&setup, "a")?;
    // With b stopped, only a can carry the next message.
    assert_eq!(admin(&setup, "stop-smsc?smsc=b")?, "SMSC `b' shut down");
    let message = mt("12345", "4670000001", "after the restart");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Success)]);
    assert_eq!(read_texts(&mut link_a, 1)?, vec!["after the restart"]);
    Ok(())
}

#[test]
fn with_its_only_link_stopped_an_mt_is_not_routable_and_once_started_it_is_queued() -> TestResult {
    let port_a = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "a", &port_a))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let link_a = FakeClient::connect(port_a.number(), WAIT)?;
    wait_online(&setup, "a")?;
    assert_eq!(admin(&setup, "stop-smsc?smsc=a")?, "SMSC `a' shut down");
    drop(link_a);
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    let message = mt("12345", "4670000001", "kept for a");
    boxc.send(&Msg::from(message.clone()))?;
    // Kannel: no usable link at all is "not routable".
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Failed)]);

    assert_eq!(admin(&setup, "start-smsc?smsc=a")?, "SMSC `a' re-started");
    let message = mt("12345", "4670000001", "queued for a");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Buffered)]);
    let mut link_a = FakeClient::connect(port_a.number(), WAIT)?;
    assert_eq!(read_texts(&mut link_a, 1)?, vec!["queued for a"]);
    Ok(())
}

#[test]
fn remove_smsc_takes_the_link_out_of_the_status_and_fails_what_only_it_could_carry() -> TestResult {
    let (port_a, port_b) = (ports::reserve()?, ports::reserve()?);
    let setup = Setup::with_conf(|conf| {
        let conf = fake_link_with(conf, "a", &port_a, &[("allowed-prefix", "4670")]);
        fake_link_with(conf, "b", &port_b, &[("denied-prefix", "4670")])
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    // No client for a: its message waits in the store.
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    let message = mt("12345", "4670000001", "only a may carry this");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Buffered)]);
    assert!(admin(&setup, "store-status")?.contains("only+a+may+carry+this"));

    assert_eq!(admin(&setup, "remove-smsc?smsc=a")?, "SMSC `a' removed");
    let page = status(&setup)?;
    assert!(link_line(&page, "a").is_none(), "{page}");
    assert!(link_line(&page, "b").is_some(), "{page}");
    wait_until("the stranded message fails", WAIT, || {
        Ok(!admin(&setup, "store-status")?.contains("only+a+may+carry+this"))
    })?;
    assert_eq!(
        admin(&setup, "remove-smsc?smsc=a")?,
        "Could not remove smsc-id `a'"
    );
    assert_eq!(
        admin(&setup, "stop-smsc?smsc=a")?,
        "Could not shut down smsc-id `a'"
    );
    let message = mt("12345", "4670000002", "no link left for this");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Failed)]);
    Ok(())
}

#[test]
fn add_smsc_starts_a_group_added_to_the_configuration_after_start() -> TestResult {
    let (port_a, port_c) = (ports::reserve()?, ports::reserve()?);
    let setup = Setup::with_conf(|conf| fake_link(conf, "a", &port_a))?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    assert_eq!(
        admin(&setup, "add-smsc?smsc=c")?,
        "Could not add smsc-id `c'"
    );
    assert_eq!(
        admin(&setup, "add-smsc?smsc=a")?,
        "Could not add smsc-id `a'"
    );
    append_to_conf(&setup, fake_link(ConfText::new(), "c", &port_c))?;

    assert_eq!(admin(&setup, "add-smsc?smsc=c")?, "SMSC `c' added");
    assert!(link_line(&status(&setup)?, "c").is_some());
    let mut link_c = FakeClient::connect(port_c.number(), WAIT)?;
    wait_online(&setup, "c")?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    let message = mt("12345", "4670000001", "through the new link");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Success)]);
    assert_eq!(read_texts(&mut link_c, 1)?, vec!["through the new link"]);
    link_c.send_line("4670000002 5555 text from the new link")?;
    let mo = boxc.next(WAIT)?;
    assert!(matches!(&mo, Msg::Sms(sms) if sms.smsc_id.as_deref() == Some(&b"c"[..])));
    assert_eq!(
        admin(&setup, "add-smsc?smsc=c")?,
        "Could not add smsc-id `c'"
    );
    Ok(())
}

#[test]
fn graceful_restart_picks_up_changed_added_and_removed_links_and_loses_no_message() -> TestResult {
    let (port_a, port_b, port_a2, port_c) = (
        ports::reserve()?,
        ports::reserve()?,
        ports::reserve()?,
        ports::reserve()?,
    );
    let setup = Setup::with_conf(|conf| {
        let conf = fake_link(conf, "keep", &port_a);
        let conf = fake_link(conf, "change", &port_b);
        fake_link(conf, "drop", &port_a2)
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let mut keep = FakeClient::connect(port_a.number(), WAIT)?;
    wait_online(&setup, "keep")?;
    // keep is busy elsewhere: stopped, its messages wait for the others.
    assert_eq!(
        admin(&setup, "stop-smsc?smsc=keep")?,
        "SMSC `keep' shut down"
    );
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    let messages: Vec<_> = (0..10)
        .map(|n| mt("12345", "4670000001", &format!("queued {n}")))
        .collect();
    for message in &messages {
        boxc.send(&Msg::from(message.clone()))?;
    }
    let acks = boxc.acks(messages.len(), WAIT)?;
    assert!(
        acks.iter()
            .all(|(_, status)| *status == AckStatus::Buffered)
    );

    // keep as it was, change on a new port, drop gone, c new.
    let port_b_new = ports::reserve()?;
    let mut conf = ConfText::new().raw(&fs::read_to_string(&setup.conf)?);
    let text = conf.text().replace(
        &format!("port = {}\n", port_b.number()),
        &format!("port = {}\n", port_b_new.number()),
    );
    let drop_group = fake_link(ConfText::new(), "drop", &port_a2);
    let text = text.replace(drop_group.text().trim(), "");
    conf = ConfText::new().raw(&text);
    conf = fake_link(conf, "c", &port_c);
    conf.write_to(&setup.conf)?;

    assert_eq!(
        admin(&setup, "graceful-restart")?,
        "Restarting gracefully....."
    );
    let page = status(&setup)?;
    assert!(link_line(&page, "drop").is_none(), "{page}");
    assert!(
        link_line(&page, "change")
            .is_some_and(|l| l.contains(&format!("FAKE:{}", port_b_new.number()))),
        "{page}"
    );
    assert!(link_line(&page, "c").is_some(), "{page}");
    assert!(
        link_line(&page, "keep").is_some_and(|line| line.contains("(dead")),
        "an unchanged link is left as it was: {page}"
    );
    // The box stayed connected through it.
    let message = mt("12345", "4670000001", "after the restart");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Buffered)]);

    let mut change = FakeClient::connect(port_b_new.number(), WAIT)?;
    let mut c = FakeClient::connect(port_c.number(), WAIT)?;
    let mut texts = read_texts(&mut change, 11)?;
    texts.extend(read_texts(&mut c, 11)?);
    texts.sort();
    let mut expected: Vec<String> = (0..10).map(|n| format!("queued {n}")).collect();
    expected.push("after the restart".to_owned());
    expected.sort();
    assert_eq!(texts, expected, "every message delivered once");
    assert!(keep.read_line(Duration::from_millis(100)).is_err());
    Ok(())
}

#[test]
fn sighup_reopens_the_logs_and_restarts_gracefully() -> TestResult {
    let (port_a, port_c) = (ports::reserve()?, ports::reserve()?);
    let setup = Setup::with_conf(|conf| fake_link(conf, "a", &port_a))?;
    let bearerbox = setup.start_bearerbox(&[])?;
    append_to_conf(&setup, fake_link(ConfText::new(), "c", &port_c))?;
    fs::rename(setup.path("bearerbox.log"), setup.path("bearerbox.log.1"))?;
    bearerbox.signal(Signal::SIGHUP)?;
    wait_until("the new group is started", WAIT, || {
        Ok(link_line(&status(&setup)?, "c").is_some())
    })?;
    let _link_c = FakeClient::connect(port_c.number(), WAIT)?;
    wait_online(&setup, "c")?;
    assert!(
        setup
            .read("bearerbox.log")
            .contains("SIGHUP received, re-opening logs and gracefully restarting."),
        "{}",
        setup.read("bearerbox.log")
    );
    Ok(())
}

#[test]
fn restart_runs_bearerbox_again_and_delivers_what_was_queued() -> TestResult {
    let port_a = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "a", &port_a))?;
    let bearerbox = setup.start_bearerbox(&[])?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    let message = mt("12345", "4670000001", "across the restart");
    boxc.send(&Msg::from(message.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Buffered)]);

    assert_eq!(admin(&setup, "restart")?, "Restarting.....");
    // The box is told to restart and its connection closes.
    let told = boxc.next(WAIT)?;
    assert!(
        matches!(
            told,
            Msg::Admin {
                command: box_protocol::message::AdminCommand::Restart,
                ..
            }
        ),
        "{told:?}"
    );
    wait_until("bearerbox logs its second start", WAIT, || {
        Ok(setup
            .read("bearerbox.log")
            .matches("bearerbox running, pid")
            .count()
            == 2)
    })?;
    // exec keeps the process: same pid.
    assert!(is_alive(bearerbox.pid()));
    wait_until("the admin port answers again", WAIT, || {
        Ok(status(&setup).is_ok_and(|page| page.contains("Status: running")))
    })?;
    let _boxc = BoxClient::connect_retrying(setup.ports.smsbox.number(), WAIT)?;
    let mut link_a = FakeClient::connect(port_a.number(), WAIT)?;
    assert_eq!(read_texts(&mut link_a, 1)?, vec!["across the restart"]);
    Ok(())
}

#[test]
fn started_with_s_bearerbox_is_suspended_until_resume() -> TestResult {
    let port_a = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "a", &port_a))?;
    let _bearerbox = setup.start_bearerbox(&["-S"])?;
    assert!(status(&setup)?.contains("Status: suspended"));
    let mut link_a = FakeClient::connect(port_a.number(), WAIT)?;
    wait_online(&setup, "a")?;
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    let message = mt("12345", "4670000001", "while suspended");
    boxc.send(&Msg::from(message.clone()))?;
    // Held unanswered, as Kannel holds its boxes while suspended.
    assert!(boxc.next(Duration::from_millis(500)).is_err());
    assert!(read_texts(&mut link_a, 1)?.is_empty());

    assert_eq!(admin(&setup, "resume")?, "Running resumed");
    assert_eq!(boxc.acks(1, WAIT)?, vec![(message.id, AckStatus::Success)]);
    assert!(status(&setup)?.contains("Status: running"));
    assert_eq!(read_texts(&mut link_a, 1)?, vec!["while suspended"]);
    Ok(())
}

#[test]
fn started_with_i_bearerbox_takes_no_mo_until_resume() -> TestResult {
    let port_a = ports::reserve()?;
    let setup = Setup::with_conf(|conf| fake_link(conf, "a", &port_a))?;
    let _bearerbox = setup.start_bearerbox(&["--isolated"])?;
    assert!(status(&setup)?.contains("Status: isolated"));
    assert_eq!(admin(&setup, "resume")?, "Running resumed");
    assert!(status(&setup)?.contains("Status: running"));
    Ok(())
}

#[test]
fn log_level_changes_the_level_of_the_log_file() -> TestResult {
    let setup = Setup::new()?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    assert_eq!(admin(&setup, "log-level?level=3")?, "log-level set to 3");
    let before = setup.read("bearerbox.log").len();
    for _ in 0..3 {
        status(&setup)?;
    }
    assert_eq!(
        setup.read("bearerbox.log").len(),
        before,
        "no INFO line once the file is at ERROR"
    );
    assert_eq!(admin(&setup, "log-level?level=0")?, "log-level set to 0");
    status(&setup)?;
    assert!(setup.read("bearerbox.log").len() > before);
    Ok(())
}

#[test]
fn stop_smsc_unbinds_an_smpp_link_and_start_smsc_binds_it_again() -> TestResult {
    const UNBIND: u32 = 0x0000_0006;
    let sim = SmscSim::start(SimConfig::default())?;
    let port = sim.port().to_string();
    let setup = Setup::with_conf(|conf| {
        conf.group(
            "smsc",
            &[
                ("smsc", "smpp"),
                ("smsc-id", "op"),
                ("host", "127.0.0.1"),
                ("port", &port),
                ("transceiver-mode", "true"),
                ("smsc-username", "kuser"),
                ("smsc-password", "kpass"),
                ("system-type", "VMA"),
                ("reconnect-delay", "1"),
            ],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    assert!(sim.wait_for_binds(1, WAIT));
    wait_online(&setup, "op")?;

    assert_eq!(admin(&setup, "stop-smsc?smsc=op")?, "SMSC `op' shut down");
    assert!(
        sim.wait_for_pdu(WAIT, |pdu| pdu.direction == Direction::In
            && pdu.command_id == UNBIND),
        "the stopped link says goodbye with an unbind"
    );
    // Stays down: no new bind while stopped, though reconnect-delay is 1 s.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!sim.wait_for_binds(2, Duration::ZERO));
    assert!(link_line(&status(&setup)?, "op").is_some_and(|line| line.contains("(dead")));

    assert_eq!(admin(&setup, "start-smsc?smsc=op")?, "SMSC `op' re-started");
    assert!(sim.wait_for_binds(2, WAIT));
    wait_online(&setup, "op")?;
    Ok(())
}

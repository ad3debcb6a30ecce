//! The rest of what Kannel accepts for `smsc = smpp`, end to end against the SMSC simulator:
//! SMPP over TLS (`use-ssl`, core `ssl-trusted-ca-file`), `smpp-tlv` groups with the `?smpp?`
//! meta-data both ways, `alt-addr-charset`, and the link's own `log-file`.

use std::time::{Duration, Instant};

use box_protocol::message::{Msg, Sms};
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::gateway::{BoxProcess, Setup, wait_until};
use tests::smsc_sim::{Address, SimConfig, SimHandle, SmscSim, Submit};
use tests::tls::Identity;

const WAIT: Duration = Duration::from_secs(15);

/// A simulator, a bearerbox with one transceiver smpp link `smpp1` to it, and either smsbox
/// (for sendsms) or a box client.
struct Rig {
    sim: SimHandle,
    setup: Setup,
    _bearerbox: BoxProcess,
    smsbox: Option<BoxProcess>,
    boxc: Option<BoxClient>,
}

enum Front {
    Smsbox,
    BoxClient,
    /// Nothing attached, and the bind is not waited for.
    Nothing,
}

fn rig(
    sim_config: SimConfig,
    link: &[(&str, &str)],
    core: &[(&str, &str)],
    groups: &str,
    front: Front,
) -> Result<Rig, Box<dyn std::error::Error>> {
    let sim = SmscSim::start(SimConfig {
        system_id: Some("kuser".into()),
        password: Some("kpass".into()),
        ..sim_config
    })?;
    let port = sim.port().to_string();
    let mut entries: Vec<(&str, &str)> = vec![
        ("smsc", "smpp"),
        ("smsc-id", "smpp1"),
        ("host", "127.0.0.1"),
        ("port", &port),
        ("transceiver-mode", "true"),
        ("smsc-username", "kuser"),
        ("smsc-password", "kpass"),
        ("system-type", "VMA"),
        ("reconnect-delay", "1"),
    ];
    entries.extend_from_slice(link);
    let core_lines: String = core.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
    let setup = Setup::with_conf(|conf: ConfText| {
        let text =
            conf.text()
                .replacen("group = core\n", &format!("group = core\n{core_lines}"), 1);
        ConfText::new()
            .raw(&text)
            .group("smsc", &entries)
            .raw(groups)
    })?;
    let bearerbox = setup.start_bearerbox(&[])?;
    let mut rig = Rig {
        sim,
        setup,
        _bearerbox: bearerbox,
        smsbox: None,
        boxc: None,
    };
    if matches!(front, Front::Nothing) {
        return Ok(rig);
    }
    if !rig.sim.wait_for_binds(1, WAIT) {
        return Err(format!("bearerbox did not bind:\n{}", rig.log()).into());
    }
    match front {
        Front::Smsbox => rig.smsbox = Some(rig.setup.start_smsbox(&[])?),
        Front::BoxClient => {
            rig.boxc = Some(BoxClient::connect(rig.setup.ports.smsbox.number(), None)?)
        }
        Front::Nothing => {}
    }
    // Let the core hear that the link is online before the first MT.
    std::thread::sleep(Duration::from_millis(300));
    Ok(rig)
}

impl Rig {
    fn log(&self) -> String {
        self.setup.read("bearerbox.log")
    }

    /// A sendsms GET with `query` after the credentials; returns the status.
    fn sendsms(&self, query: &str) -> Result<u16, Box<dyn std::error::Error>> {
        let port = self.setup.ports.sendsms.number();
        let target = format!("/cgi-bin/sendsms?username=tester&password=foobar&{query}");
        let deadline = Instant::now() + WAIT;
        // smsbox may still be attaching to bearerbox: it answers 503 until then.
        loop {
            let response = tests::http::get(port, &target)?;
            if response.status != 503 || Instant::now() >= deadline {
                return Ok(response.status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The one submit, once the simulator has answered it.
    fn one_submit(&self) -> Result<Submit, Box<dyn std::error::Error>> {
        let deadline = Instant::now() + WAIT;
        let mut submits = self.sim.wait_for_submits(1, WAIT);
        while submits.iter().any(|s| s.status.is_none()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            submits = self.sim.received();
        }
        match submits.as_slice() {
            [submit] => Ok(submit.clone()),
            other => Err(format!("expected one submit, got {other:?}\n{}", self.log()).into()),
        }
    }

    /// The next MO the box client gets, acked.
    fn next_sms(&mut self) -> Result<Sms, Box<dyn std::error::Error>> {
        let log = self.log();
        let boxc = self.boxc.as_mut().ok_or("no box client")?;
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match boxc.next(left).map_err(|e| format!("{e}\n{log}"))? {
                Msg::Sms(sms) => {
                    boxc.ack(&sms)?;
                    return Ok(*sms);
                }
                _ => continue,
            }
        }
    }
}

fn write_temp(dir: &tempfile::TempDir, name: &str, text: &str) -> Result<String, std::io::Error> {
    let path = dir.path().join(name);
    std::fs::write(&path, text)?;
    Ok(path.display().to_string())
}

#[test]
fn sendsms_reaches_an_smsc_over_tls_signed_by_the_trusted_ca() -> TestResult {
    let identity = Identity::self_signed()?;
    let dir = tempfile::tempdir()?;
    let ca = write_temp(&dir, "ca.pem", &identity.cert_pem)?;
    let sim_config = SimConfig {
        tls: Some(identity),
        ..SimConfig::default()
    };
    let rig = rig(
        sim_config,
        &[("use-ssl", "true")],
        &[("ssl-trusted-ca-file", &ca)],
        "",
        Front::Smsbox,
    )?;
    let status = rig.sendsms("from=12345&to=4670123456&text=hello+over+tls")?;
    assert_eq!(status, 202, "{}", rig.log());
    let submit = rig.one_submit()?;
    assert_eq!(submit.source, Address::new(2, 1, "12345"));
    assert_eq!(
        submit.destination(),
        Some(&Address::new(2, 1, "4670123456"))
    );
    assert_eq!(submit.text(), b"hello over tls");
    assert_eq!(submit.status, Some(0));
    let log = rig.log();
    assert!(
        log.contains("SMSC smpp1: connected to 127.0.0.1:") && log.contains(" over TLS as "),
        "{log}"
    );
    assert!(rig.sim.errors().is_empty(), "{:?}", rig.sim.errors());
    Ok(())
}

#[test]
fn an_smsc_certificate_from_another_ca_keeps_the_link_offline_and_says_why() -> TestResult {
    let trusted = Identity::self_signed()?;
    let dir = tempfile::tempdir()?;
    let ca = write_temp(&dir, "ca.pem", &trusted.cert_pem)?;
    let sim_config = SimConfig {
        tls: Some(Identity::self_signed()?),
        ..SimConfig::default()
    };
    let rig = rig(
        sim_config,
        &[("use-ssl", "true")],
        &[("ssl-trusted-ca-file", &ca)],
        "",
        Front::Nothing,
    )?;
    let port = rig.sim.port();
    // Both certificates are rcgen's, with the same issuer name: webpki finds the trusted one
    // by name and refuses the signature. The reason is rustls's word; the rest is ours.
    let head = format!(
        "ERROR: SMSC smpp1: TLS handshake with 127.0.0.1:{port} failed (attempt 1): \
         invalid peer certificate: "
    );
    let tail = format!(
        "; the SMSC's certificate was checked against the CAs of ssl-trusted-ca-file {ca}; \
         the link stays offline"
    );
    wait_until("the TLS refusal in the log", WAIT, || {
        Ok(rig
            .log()
            .lines()
            .any(|line| line.contains(&head) && line.ends_with(&tail)))
    })
    .map_err(|e| format!("{e}\n{}", rig.log()))?;
    // It tried again and still nothing reached the SMPP sessions.
    wait_until("a second attempt", WAIT, || {
        Ok(rig.log().contains("failed (attempt 2)"))
    })?;
    assert!(!rig.sim.wait_for_binds(1, Duration::from_millis(200)));
    // rustls's own handshake narration stays out of Kannel's debug log.
    assert!(!rig.log().contains("ClientHello"), "{}", rig.log());
    assert!(rig.sim.pdus().is_empty(), "{:?}", rig.sim.pdus());
    let errors = rig.sim.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("TLS handshake or record refused")),
        "{errors:?}"
    );
    Ok(())
}

const TLV_GROUPS: &str = "\ngroup = smpp-tlv\nname = my_tlv\ntag = 0x1601\ntype = octetstring\n\
    length = 20\nsmsc-id = smpp1\n\n\
    group = smpp-tlv\nname = campaign\ntag = 0x1602\ntype = integer\nlength = 4\n\n\
    group = smpp-tlv\nname = operator\ntag = 0x1603\ntype = nulterminated\nlength = 10\n\
    const = acme\n\n\
    group = smpp-tlv\nname = elsewhere\ntag = 0x1604\ntype = integer\nlength = 1\n\
    smsc-id = other\n";

#[test]
fn sendsms_meta_data_goes_out_as_the_configured_tlvs() -> TestResult {
    let rig = rig(SimConfig::default(), &[], &[], TLV_GROUPS, Front::Smsbox)?;
    // ?smpp?my_tlv=hello+world&campaign=258&elsewhere=1, URL-encoded once more for sendsms.
    let meta = "%3Fsmpp%3Fmy_tlv%3Dhello%2Bworld%26campaign%3D258%26elsewhere%3D1";
    let status = rig.sendsms(&format!("from=12345&to=4670123456&text=x&meta-data={meta}"))?;
    assert_eq!(status, 202, "{}", rig.log());
    let submit = rig.one_submit()?;
    assert_eq!(
        submit.tlvs,
        vec![
            (0x1601, b"hello world".to_vec()),
            (0x1602, vec![0, 0, 1, 2]),
            (0x1603, b"acme\0".to_vec()),
        ],
        "{}",
        rig.log()
    );
    let log = rig.log();
    assert!(
        log.contains("no smpp-tlv group defines 'elsewhere'; not sent"),
        "{log}"
    );
    Ok(())
}

#[test]
fn configured_tlvs_of_a_deliver_sm_become_the_mos_meta_data() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[], &[], TLV_GROUPS, Front::BoxClient)?;
    rig.sim.send_mo_with_tlvs(
        &Address::new(1, 1, "46709999999"),
        &Address::new(2, 1, "12345"),
        b"hi",
        0,
        &[
            (0x1602, vec![0, 0, 0, 7]),
            (0x1999, b"not configured".to_vec()),
            (0x1601, b"a&b c".to_vec()),
        ],
    )?;
    let mo = rig.next_sms()?;
    assert_eq!(mo.msgdata.as_deref(), Some(&b"hi"[..]));
    assert_eq!(
        mo.meta_data.as_deref(),
        Some(&b"?smpp?campaign=7&my_tlv=a%26b+c&"[..])
    );
    Ok(())
}

#[test]
fn alt_addr_charset_gsm_applies_to_alphanumeric_senders_both_ways() -> TestResult {
    let mut rig = rig(
        SimConfig::default(),
        &[("alt-addr-charset", "gsm")],
        &[],
        "",
        Front::BoxClient,
    )?;
    let boxc = rig.boxc.as_mut().ok_or("no box client")?;
    boxc.send(&Msg::from(mt("Shop@è", "+46701234567", "x")))?;
    let submit = rig.one_submit()?;
    assert_eq!(submit.source.ton, 5);
    assert_eq!(submit.source.npi, 0);
    // S h o p, @ as ?, è is GSM 0x04.
    assert_eq!(
        submit.source.addr.as_bytes(),
        &[0x53, 0x68, 0x6f, 0x70, 0x3f, 0x04]
    );
    // An alphanumeric MO sender in GSM: _ is 0x11, € the escape pair 0x1b 0x65.
    rig.sim.send_mo_to(
        &Address::new(5, 0, "Bank\u{11}\u{1b}\u{65}"),
        &Address::new(2, 1, "12345"),
        b"hi",
        0,
        None,
    )?;
    let mo = rig.next_sms()?;
    assert_eq!(mo.sender.as_deref(), Some("Bank_€".as_bytes()));
    Ok(())
}

#[test]
fn a_links_log_file_takes_its_lines_and_pdu_dumps_and_the_main_log_does_not() -> TestResult {
    let dir = tempfile::tempdir()?;
    let link_log = dir.path().join("smpp1.log");
    let link_log_text = link_log.display().to_string();
    let rig = rig(
        SimConfig::default(),
        &[
            ("log-file", &link_log_text),
            ("log-level", "0"),
            ("log-format", "2"),
        ],
        &[],
        "",
        Front::BoxClient,
    )?;
    let read = || std::fs::read_to_string(&link_log).unwrap_or_default();
    wait_until("the bind_transceiver_resp dump", WAIT, || {
        Ok(read().contains("SMPP[smpp1]: Got PDU: bind_transceiver_resp seq="))
    })
    .map_err(|e| format!("{e}\n--- link log ---\n{}", read()))?;
    let own = read();
    assert!(own.contains("SMSC smpp1: bound ("), "{own}");
    assert!(
        own.contains("SMPP[smpp1]: Sending PDU: bind_transceiver seq=1 status=0x00000000"),
        "{own}"
    );
    let main = rig.log();
    assert!(
        main.contains(&format!(
            "SMSC smpp1: custom logging to {link_log_text} at level 0"
        )),
        "{main}"
    );
    assert!(!main.contains("SMSC smpp1: bound ("), "{main}");
    assert!(!main.contains("SMPP[smpp1]"), "{main}");
    Ok(())
}

/// Sends an MT asking for every report through the box client and returns the SMSC's id for it.
fn mt_wanting_reports(rig: &mut Rig) -> Result<String, Box<dyn std::error::Error>> {
    let boxc = rig.boxc.as_mut().ok_or("no box client")?;
    let mut message = mt("12345", "+46701234567", "report me");
    message.dlr_mask = Some(31);
    message.dlr_url = Some(b"http://127.0.0.1/dlr".to_vec());
    boxc.send(&Msg::from(message))?;
    let submit = rig.one_submit()?;
    Ok(submit.message_id.ok_or("the submit has no id")?)
}

/// The next report the box client gets, other reports (the SMSC's ack) skipped.
fn next_final_report(rig: &mut Rig) -> Result<Sms, Box<dyn std::error::Error>> {
    loop {
        let sms = rig.next_sms()?;
        if sms.dlr_mask == Some(2) || sms.dlr_mask == Some(1) {
            return Ok(sms);
        }
    }
}

#[test]
fn a_receipts_network_error_code_and_configured_tlvs_become_the_reports_meta_data() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[], &[], TLV_GROUPS, Front::BoxClient)?;
    let id = mt_wanting_reports(&mut rig)?;
    rig.sim.send_receipt_with_tlvs(
        &id,
        "UNDELIV",
        34,
        &[
            (0x0423, vec![1, 0x01, 0x2c]),
            (0x1999, b"not configured".to_vec()),
            (0x1601, b"rcpt x".to_vec()),
        ],
    )?;
    let report = next_final_report(&mut rig)?;
    assert_eq!(report.dlr_mask, Some(2));
    let meta =
        String::from_utf8_lossy(report.meta_data.as_deref().unwrap_or_default()).into_owned();
    // The MT's report keeps Kannel's ?orig_msg?; the receipt adds its own ?smpp? pairs.
    assert!(meta.contains("?orig_msg?dlr_mask=31&"), "{meta}");
    assert!(
        meta.ends_with("?smpp?dlr_err=%01%01%2C&my_tlv=rcpt+x&"),
        "{meta}\n{}",
        rig.log()
    );
    Ok(())
}

#[test]
fn a_receipt_without_network_error_code_reports_the_err_of_its_text_as_a_gsm_error() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[], &[], "", Front::BoxClient)?;
    let id = mt_wanting_reports(&mut rig)?;
    rig.sim.send_receipt(&id, "UNDELIV", 34)?;
    let report = next_final_report(&mut rig)?;
    let meta =
        String::from_utf8_lossy(report.meta_data.as_deref().unwrap_or_default()).into_owned();
    assert!(meta.ends_with("?smpp?dlr_err=%03%00%22&"), "{meta}");
    Ok(())
}

/// The command_status of every deliver_sm_resp bearerbox sent, once `count` came.
fn deliver_sm_resp_statuses(rig: &Rig, count: usize) -> Vec<u32> {
    // By sequence number, the order the simulator sent the deliver_sm in:
    // SMPP lets the gateway answer them in any order, and a refusal can go
    // out before the answer to an MO that waits for its commit.
    let statuses = || -> Vec<u32> {
        let mut answers: Vec<(u32, u32)> = rig
            .sim
            .pdus()
            .iter()
            .filter(|p| p.command_id == 0x8000_0005)
            .map(|p| (p.sequence_number, p.status))
            .collect();
        answers.sort_unstable();
        answers.into_iter().map(|(_, status)| status).collect()
    };
    let deadline = Instant::now() + WAIT;
    while statuses().len() < count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    statuses()
}

#[test]
fn an_mo_from_an_alphanumeric_sender_over_eleven_characters_is_refused_as_kannel_does() -> TestResult
{
    let mut rig = rig(SimConfig::default(), &[], &[], "", Front::BoxClient)?;
    rig.sim.send_mo_to(
        &Address::new(5, 0, "TwelveChars!"),
        &Address::new(2, 1, "12345"),
        b"refused",
        0,
        None,
    )?;
    rig.sim.send_mo_to(
        &Address::new(5, 0, "ElevenChars"),
        &Address::new(2, 1, "12345"),
        b"taken",
        0,
        None,
    )?;
    let mo = rig.next_sms()?;
    assert_eq!(mo.sender.as_deref(), Some(&b"ElevenChars"[..]));
    assert_eq!(mo.msgdata.as_deref(), Some(&b"taken"[..]));
    // ESME_RINVSRCADR for the first, ESME_ROK for the second.
    assert_eq!(deliver_sm_resp_statuses(&rig, 2), vec![0x0A, 0]);
    assert!(
        rig.log()
            .contains("alphanumeric address \"TwelveChars!\" is 12 octets long"),
        "{}",
        rig.log()
    );
    Ok(())
}

#[test]
fn international_mo_addresses_get_a_plus_before_the_links_unified_prefix_reads_them() -> TestResult
{
    let mut rig = rig(
        SimConfig::default(),
        &[("unified-prefix", "0,+46")],
        &[],
        "",
        Front::BoxClient,
    )?;
    // A leading 00 goes, the plus comes: the link's unified-prefix then sees +46.
    rig.sim.send_mo_to(
        &Address::new(1, 1, "0046709999999"),
        &Address::new(1, 1, "4631234567"),
        b"hi",
        0,
        None,
    )?;
    let mo = rig.next_sms()?;
    assert_eq!(mo.sender.as_deref(), Some(&b"0709999999"[..]));
    assert_eq!(mo.receiver.as_deref(), Some(&b"+4631234567"[..]));
    // Letters in an international number: refused with ESME_RINVSRCADR.
    rig.sim.send_mo_to(
        &Address::new(1, 1, "4670ABC9999"),
        &Address::new(2, 1, "12345"),
        b"bad",
        0,
        None,
    )?;
    assert_eq!(deliver_sm_resp_statuses(&rig, 2), vec![0, 0x0A]);
    Ok(())
}

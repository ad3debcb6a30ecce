//! `smsc = smpp` end to end: MT from a box over the box protocol, through bearerbox's SMPP
//! driver, to the SMSC simulator ([`tests::smsc_sim`], built on rusmpp-core, a codec that shares
//! nothing with ours), and MO and receipts back to the box.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use box_protocol::message::{AckStatus, Coding, Msg, Sms, SmsType};
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::conf_writer::ConfText;
use tests::gateway::{BoxProcess, Setup};
use tests::smsc_sim::{Faults, IdFormat, SimConfig, SimHandle, SmscSim, Submit};

const WAIT: Duration = Duration::from_secs(10);
const TAG_MORE_MESSAGES_TO_SEND: u16 = 0x0426;

/// A simulator, a bearerbox with one smpp link to it, and a box attached.
struct Rig {
    sim: SimHandle,
    boxc: BoxClient,
    _bearerbox: BoxProcess,
    _setup: Setup,
}

fn rig(sim_config: SimConfig, extra: &[(&str, &str)]) -> Result<Rig, Box<dyn std::error::Error>> {
    rig_with_core(sim_config, extra, &[])
}

/// [`rig`] with more keys for the core group.
fn rig_with_core(
    sim_config: SimConfig,
    extra: &[(&str, &str)],
    core: &[(&str, &str)],
) -> Result<Rig, Box<dyn std::error::Error>> {
    rig_groups(sim_config, &[extra], core)
}

/// One smpp group per entry of `groups`, each the usual transceiver group changed by its
/// entries (`{port}` stands for the simulator's port).
fn rig_groups(
    sim_config: SimConfig,
    groups: &[&[(&str, &str)]],
    core: &[(&str, &str)],
) -> Result<Rig, Box<dyn std::error::Error>> {
    let core_lines: String = core.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
    let sim = SmscSim::start(SimConfig {
        system_id: Some("kuser".into()),
        password: Some("kpass".into()),
        ..sim_config
    })?;
    let port = sim.port().to_string();
    let setup = Setup::with_conf(|conf: ConfText| {
        let with_core =
            conf.text()
                .replacen("group = core\n", &format!("group = core\n{core_lines}"), 1);
        let mut conf = ConfText::new().raw(&with_core);
        for extra in groups {
            let mut entries: Vec<(&str, String)> = [
                ("smsc", "smpp"),
                ("smsc-id", "smpp1"),
                ("host", "127.0.0.1"),
                ("port", "{port}"),
                ("transceiver-mode", "true"),
                ("smsc-username", "kuser"),
                ("smsc-password", "kpass"),
                ("system-type", "VMA"),
                ("reconnect-delay", "1"),
            ]
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect();
            for (key, value) in extra.iter() {
                match entries.iter_mut().find(|(k, _)| k == key) {
                    Some(entry) => entry.1 = value.to_string(),
                    None => entries.push((key, value.to_string())),
                }
            }
            let entries: Vec<(&str, String)> = entries
                .into_iter()
                .map(|(k, v)| (k, v.replace("{port}", &port)))
                .collect();
            let borrowed: Vec<(&str, &str)> =
                entries.iter().map(|(k, v)| (*k, v.as_str())).collect();
            conf = conf.group("smsc", &borrowed);
        }
        conf
    })?;
    let bearerbox = setup.start_bearerbox(&[])?;
    if !sim.wait_for_binds(groups.len(), WAIT) {
        return Err(format!("bearerbox did not bind:\n{}", setup.read("bearerbox.log")).into());
    }
    let boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    // Let the core hear that the link is online before the first MT.
    std::thread::sleep(Duration::from_millis(300));
    Ok(Rig {
        sim,
        boxc,
        _bearerbox: bearerbox,
        _setup: setup,
    })
}

impl Rig {
    /// Sends the MTs and waits for the box acks, all of which must be successes.
    fn send(&mut self, messages: &[Sms]) -> TestResult {
        let msgs: Vec<Msg> = messages.iter().cloned().map(Msg::from).collect();
        self.boxc.send_all(&msgs)?;
        let acks = self.boxc.acks(messages.len(), WAIT)?;
        assert!(
            acks.iter().all(|(_, status)| *status == AckStatus::Success),
            "{acks:?}"
        );
        Ok(())
    }

    /// The submits answered ESME_ROK once `count` of them have been, in arrival order.
    fn accepted(&self, count: usize) -> Vec<Submit> {
        let deadline = Instant::now() + WAIT;
        loop {
            let accepted: Vec<Submit> = self
                .sim
                .received()
                .into_iter()
                .filter(|s| s.status == Some(0))
                .collect();
            if accepted.len() >= count || Instant::now() >= deadline {
                return accepted;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The next sms (MO or report) the box gets, acked as smsbox would.
    fn next_sms(&mut self) -> Result<Sms, Box<dyn std::error::Error>> {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = self.boxc.next(left).map_err(|error| {
                format!(
                    "{error}\n--- bearerbox.log ---\n{}",
                    self._setup.read("bearerbox.log")
                )
            })?;
            match next {
                Msg::Sms(sms) => {
                    self.boxc.ack(&sms)?;
                    return Ok(*sms);
                }
                _ => continue,
            }
        }
    }
}

fn texts(submits: &[Submit]) -> Vec<String> {
    submits
        .iter()
        .map(|s| String::from_utf8_lossy(s.text()).into_owned())
        .collect()
}

#[test]
fn a_short_message_goes_out_as_kannel_sends_it() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[])?;
    let mut message = mt("12345", "+46701234567", "hello");
    message.dlr_mask = Some(31);
    message.dlr_url = Some(b"http://127.0.0.1/dlr".to_vec());
    rig.send(&[message])?;
    let submits = rig.accepted(1);
    let [submit] = submits.as_slice() else {
        panic!("expected one submit, got {submits:?}");
    };
    assert_eq!(
        (
            submit.source.ton,
            submit.source.npi,
            submit.source.addr.as_str()
        ),
        (2, 1, "12345")
    );
    let destination = submit.destination().ok_or("no destination")?;
    assert_eq!(
        (destination.ton, destination.npi, destination.addr.as_str()),
        (1, 1, "46701234567")
    );
    assert_eq!(submit.esm_class, 3);
    assert_eq!(submit.data_coding, 0);
    assert_eq!(submit.registered_delivery, 17);
    assert_eq!(submit.short_message, b"hello");
    assert!(submit.tlvs.is_empty());
    Ok(())
}

#[test]
fn gsm_extension_characters_go_as_escape_pairs_byte_by_byte() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[])?;
    rig.send(&[mt("12345", "4670", "héllo € [x] @ {~} ^\\|")])?;
    let submits = rig.accepted(1);
    assert_eq!(
        submits.first().map(|s| s.short_message.clone()),
        Some(vec![
            0x68, 0x05, 0x6c, 0x6c, 0x6f, 0x20, 0x1b, 0x65, 0x20, 0x1b, 0x3c, 0x78, 0x1b, 0x3e,
            0x20, 0x00, 0x20, 0x1b, 0x28, 0x1b, 0x3d, 0x1b, 0x29, 0x20, 0x1b, 0x14, 0x1b, 0x2f,
            0x1b, 0x40
        ])
    );
    Ok(())
}

#[test]
fn with_long_messages_sar_the_parts_carry_sar_tlvs_instead_of_a_udh() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[("long-messages", "sar")])?;
    let text = "s".repeat(200);
    rig.send(&[mt("12345", "4670", &text)])?;
    let parts = rig.accepted(2);
    assert_eq!(parts.len(), 2, "{parts:?}");
    let mut joined = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        assert_eq!(part.udh(), None, "no UDH with SAR");
        assert_eq!(part.tlv(0x020E), Some(&[2u8][..]), "sar_total_segments");
        assert_eq!(
            part.tlv(0x020F),
            Some(&[index as u8 + 1][..]),
            "sar_segment_seqnum"
        );
        assert_eq!(
            part.tlv(0x020C),
            parts[0].tlv(0x020C),
            "one sar_msg_ref_num"
        );
        joined.extend_from_slice(part.text());
    }
    assert_eq!(joined, text.as_bytes());
    Ok(())
}

#[test]
fn with_long_messages_payload_one_submit_carries_the_whole_text() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[("long-messages", "payload")])?;
    let text = "p".repeat(400);
    rig.send(&[mt("12345", "4670", &text)])?;
    let parts = rig.accepted(1);
    assert_eq!(parts.len(), 1);
    assert!(parts[0].short_message.is_empty());
    assert_eq!(
        parts[0].tlv(0x0424),
        Some(text.as_bytes()),
        "message_payload"
    );
    Ok(())
}

#[test]
fn a_long_message_goes_in_concatenated_parts_in_order_on_one_connection() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[])?;
    let text: String = (0..320)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let mut message = mt("12345", "4670", &text);
    message.dlr_mask = Some(1);
    rig.send(&[message])?;
    let parts = rig.accepted(3);
    assert_eq!(parts.len(), 3, "{parts:?}");
    let reference = parts[0].short_message[3];
    let mut joined = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        let seq = index as u8 + 1;
        assert_eq!(part.udh(), Some(&[5, 0, 3, reference, 3, seq][..]));
        assert_eq!(part.esm_class, 0x43);
        assert_eq!(part.connection, parts[0].connection);
        assert_eq!(part.registered_delivery, if index == 0 { 1 } else { 0 });
        let more = part.tlv(TAG_MORE_MESSAGES_TO_SEND);
        assert_eq!(more, if index < 2 { Some(&[1u8][..]) } else { None });
        joined.extend_from_slice(part.text());
    }
    assert_eq!(
        parts.iter().map(|p| p.text().len()).collect::<Vec<_>>(),
        vec![153, 153, 14]
    );
    assert_eq!(joined, text.as_bytes());
    assert!(
        parts
            .windows(2)
            .all(|w| w[0].sequence_number < w[1].sequence_number)
    );
    Ok(())
}

#[test]
fn ucs2_goes_as_big_endian_utf16_with_its_class() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[])?;
    let mut message = mt("+4612345", "0701234567", "");
    message.coding = Some(Coding::Ucs2);
    message.mclass = Some(1);
    message.msgdata = Some("При€😀".encode_utf16().flat_map(u16::to_be_bytes).collect());
    rig.send(&[message.clone()])?;
    let submits = rig.accepted(1);
    let submit = submits.first().ok_or("no submit")?;
    assert_eq!(submit.data_coding, 0x19);
    assert_eq!(Some(&submit.short_message), message.msgdata.as_ref());
    assert_eq!(
        (
            submit.source.ton,
            submit.source.npi,
            submit.source.addr.as_str()
        ),
        (1, 1, "4612345")
    );
    Ok(())
}

#[test]
fn senders_get_the_ton_and_npi_kannel_gives_them() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[("max-pending-submits", "1")])?;
    rig.send(&[
        mt("+39123456789", "4670", "plus"),
        mt("0039123456789", "4670", "zeros"),
        mt("MyBrand", "4670", "alpha"),
    ])?;
    let submits = rig.accepted(3);
    let sources: Vec<(u8, u8, &str)> = submits
        .iter()
        .map(|s| (s.source.ton, s.source.npi, s.source.addr.as_str()))
        .collect();
    assert_eq!(
        sources,
        vec![
            (1, 1, "39123456789"),
            (1, 1, "39123456789"),
            (5, 0, "MyBrand")
        ]
    );
    Ok(())
}

#[test]
fn a_receipt_with_the_decimal_form_of_a_hex_submit_id_reaches_the_box() -> TestResult {
    let sim = SimConfig {
        id_format: IdFormat::Hex,
        receipt_id_format: IdFormat::Decimal,
        first_id: 0x1A2B3C,
        faults: Faults {
            receipts: true,
            receipt_delay: Duration::from_millis(200),
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let mut rig = rig(sim, &[])?;
    let mut message = mt("12345", "+46701234567", "report me");
    message.dlr_mask = Some(1);
    message.dlr_url = Some(b"http://127.0.0.1/dlr?id=42".to_vec());
    rig.send(&[message.clone()])?;
    let submits = rig.accepted(1);
    assert_eq!(
        submits.first().and_then(|s| s.message_id.as_deref()),
        Some("1A2B3C")
    );
    let report = rig.next_sms()?;
    assert_eq!(report.sms_type, Some(SmsType::ReportMo));
    assert_eq!(report.dlr_mask, Some(1));
    assert_eq!(report.dlr_url, message.dlr_url);
    assert_eq!(report.receiver.as_deref(), Some(&b"+46701234567"[..]));
    let text = String::from_utf8_lossy(report.msgdata.as_deref().unwrap_or_default()).into_owned();
    assert!(
        text.starts_with(&format!("id:{} ", 0x1A2B3C)),
        "receipt text {text:?}"
    );
    Ok(())
}

#[test]
fn an_mo_in_three_parts_out_of_order_reaches_the_box_as_one_message() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[])?;
    for (seq, text) in [(3u8, &b"three"[..]), (1, b"one "), (2, b"two ")] {
        rig.sim.send_mo(
            "+46709999999",
            "12345",
            text,
            0,
            Some(&[5, 0, 3, 0x42, 3, seq]),
        )?;
    }
    let mo = rig.next_sms()?;
    assert_eq!(mo.sms_type, Some(SmsType::Mo));
    assert_eq!(mo.msgdata.as_deref(), Some(&b"one two three"[..]));
    assert_eq!(mo.sender.as_deref(), Some(&b"+46709999999"[..]));
    assert_eq!(mo.receiver.as_deref(), Some(&b"12345"[..]));
    assert_eq!(mo.udhdata, None);
    assert_eq!(mo.smsc_id.as_deref(), Some(&b"smpp1"[..]));
    // Every part was answered ESME_ROK.
    let answered = |pdus: &[tests::smsc_sim::PduRecord]| {
        pdus.iter()
            .filter(|p| p.command_id == 0x8000_0005 && p.status == 0)
            .count()
    };
    let deadline = Instant::now() + WAIT;
    while answered(&rig.sim.pdus()) < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(answered(&rig.sim.pdus()), 3);
    Ok(())
}

#[test]
fn throttling_loses_and_reorders_nothing() -> TestResult {
    let sim = SimConfig {
        faults: Faults {
            throttle_every: Some(3),
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let mut rig = rig(sim, &[("max-pending-submits", "1")])?;
    let sent: Vec<String> = (0..8).map(|i| format!("message {i}")).collect();
    let messages: Vec<Sms> = sent.iter().map(|t| mt("12345", "4670", t)).collect();
    rig.send(&messages)?;
    let accepted = rig.accepted(8);
    assert_eq!(texts(&accepted), sent);
    let throttled = rig
        .sim
        .received()
        .iter()
        .filter(|s| s.status == Some(0x58))
        .count();
    assert!(
        throttled >= 2,
        "the simulator throttled {throttled} submits"
    );
    Ok(())
}

#[test]
fn a_dropped_connection_loses_no_message() -> TestResult {
    let sim = SimConfig {
        faults: Faults {
            drop_after: Some(4),
            latency: Duration::from_millis(20),
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let mut rig = rig(sim, &[("max-pending-submits", "3")])?;
    let sent: Vec<String> = (0..10).map(|i| format!("message {i}")).collect();
    let messages: Vec<Sms> = sent.iter().map(|t| mt("12345", "4670", t)).collect();
    rig.send(&messages)?;
    let deadline = Instant::now() + WAIT;
    let mut delivered = BTreeSet::new();
    while delivered.len() < sent.len() && Instant::now() < deadline {
        delivered = texts(&rig.accepted(0)).into_iter().collect();
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(delivered, sent.iter().cloned().collect::<BTreeSet<_>>());
    assert!(rig.sim.stats().connections.len() >= 3);
    Ok(())
}

#[test]
fn the_window_of_unanswered_submits_is_respected() -> TestResult {
    let sim = SimConfig {
        faults: Faults {
            latency: Duration::from_millis(100),
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let mut rig = rig(sim, &[("max-pending-submits", "3")])?;
    let messages: Vec<Sms> = (0..12)
        .map(|i| mt("12345", "4670", &format!("w{i}")))
        .collect();
    rig.send(&messages)?;
    assert_eq!(rig.accepted(12).len(), 12);
    let stats = rig.sim.stats();
    assert_eq!(
        stats.max_outstanding, 3,
        "the window is max-pending-submits"
    );
    // And in time: with 100 ms per answer, 12 submits three at a time need four rounds, so
    // the last goes out at least three answer times after the first (a window of 4 would
    // need only two).
    let span = stats
        .last_submit
        .zip(stats.first_submit)
        .map(|(last, first)| last.duration_since(first))
        .ok_or("no submits measured")?;
    assert!(span >= Duration::from_millis(290), "12 submits in {span:?}");
    Ok(())
}

#[test]
fn throughput_is_respected() -> TestResult {
    let mut rig = rig(SimConfig::default(), &[("throughput", "5")])?;
    let messages: Vec<Sms> = (0..11)
        .map(|i| mt("12345", "4670", &format!("t{i}")))
        .collect();
    rig.send(&messages)?;
    assert_eq!(rig.accepted(11).len(), 11);
    let rate = rig
        .sim
        .stats()
        .throughput()
        .ok_or("no throughput measured")?;
    // Spaced 200 ms apart by us; the simulator's reading times jitter under load.
    assert!(rate <= 5.0 * 1.1, "measured {rate} submits/s");
    assert!(rate >= 3.0, "measured {rate} submits/s");
    Ok(())
}

#[test]
fn a_permanent_error_fails_the_message_without_a_retry() -> TestResult {
    let sim = SimConfig {
        faults: Faults {
            fail_every: Some(1),
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let mut rig = rig_with_core(sim, &[], &[("sms-resend-freq", "1")])?;
    let mut refused = mt("12345", "4670", "refused");
    refused.dlr_mask = Some(16);
    rig.send(&[refused])?;
    // The box hears of the refusal: a report with event 16 (NACK) and the reason.
    let report = rig.next_sms()?;
    assert_eq!(report.dlr_mask, Some(16));
    let text = String::from_utf8_lossy(report.msgdata.as_deref().unwrap_or_default()).into_owned();
    assert!(text.starts_with("NACK/"), "report text {text:?}");
    let deadline = Instant::now() + WAIT;
    let failed = "failed for good: 0x0000000b/Invalid Dest Addr (ESME_RINVDSTADR)";
    while !rig._setup.read("bearerbox.log").contains(failed) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(rig._setup.read("bearerbox.log").contains(failed));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(rig.sim.received().len(), 1);
    Ok(())
}

#[test]
fn a_temporary_error_is_retried_until_the_message_is_accepted() -> TestResult {
    let sim = SimConfig {
        faults: Faults {
            fail_every: Some(2),
            fail_status: 0x0000_0008, // ESME_RSYSERR
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let mut rig = rig_with_core(
        sim,
        &[("max-pending-submits", "1")],
        &[("sms-resend-freq", "1")],
    )?;
    rig.send(&[mt("12345", "4670", "first"), mt("12345", "4670", "second")])?;
    let accepted = rig.accepted(2);
    assert_eq!(
        texts(&accepted).into_iter().collect::<BTreeSet<_>>(),
        ["first", "second"].map(String::from).into_iter().collect()
    );
    assert!(rig.sim.received().iter().any(|s| s.status == Some(8)));
    Ok(())
}

#[test]
fn a_transmitter_group_and_a_receiver_group_of_one_supplier_split_the_work() -> TestResult {
    let mut rig = rig_groups(
        SimConfig::default(),
        &[
            &[("transceiver-mode", "false")],
            &[
                ("transceiver-mode", "false"),
                ("port", "0"),
                ("receive-port", "{port}"),
            ],
        ],
        &[],
    )?;
    let binds: BTreeSet<String> = rig
        .sim
        .stats()
        .connections
        .iter()
        .filter_map(|c| c.bind.map(|b| format!("{b:?}")))
        .collect();
    assert_eq!(
        binds,
        ["Receiver", "Transmitter"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    rig.send(&[mt("12345", "4670", "out")])?;
    assert_eq!(texts(&rig.accepted(1)), vec!["out".to_owned()]);
    rig.sim.send_mo("+46709999999", "12345", b"in", 0, None)?;
    let mo = rig.next_sms()?;
    assert_eq!(mo.msgdata.as_deref(), Some(&b"in"[..]));
    Ok(())
}

#[test]
fn two_binds_of_one_supplier_share_its_traffic() -> TestResult {
    let sim = SimConfig {
        faults: Faults {
            latency: Duration::from_millis(30),
            ..Faults::default()
        },
        ..SimConfig::default()
    };
    let one_at_a_time: &[(&str, &str)] = &[("max-pending-submits", "1")];
    let mut rig = rig_groups(sim, &[one_at_a_time, one_at_a_time], &[])?;
    let messages: Vec<Sms> = (0..10)
        .map(|i| mt("12345", "4670", &format!("s{i}")))
        .collect();
    rig.send(&messages)?;
    assert_eq!(rig.accepted(10).len(), 10);
    let busy = rig
        .sim
        .stats()
        .connections
        .iter()
        .filter(|c| c.submits > 0)
        .count();
    assert_eq!(busy, 2);
    Ok(())
}

#[test]
fn a_dead_link_is_dropped_and_what_it_held_goes_again_after_the_reconnect() -> TestResult {
    let mut rig = rig(
        SimConfig::default(),
        &[("enquire-link-interval", "1"), ("max-pending-submits", "2")],
    )?;
    rig.sim.update_faults(|faults| faults.stalled = true);
    rig.send(&[mt("12345", "4670", "a"), mt("12345", "4670", "b")])?;
    let unanswered = rig.sim.wait_for_submits(2, WAIT);
    assert_eq!(unanswered.len(), 2);
    // Silent to enquire_link too, the connection is given up within two intervals.
    let deadline = Instant::now() + WAIT;
    while rig.sim.stats().connections.iter().any(|c| c.open) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    rig.sim.update_faults(|faults| faults.stalled = false);
    let accepted = rig.accepted(2);
    assert_eq!(
        texts(&accepted).into_iter().collect::<BTreeSet<_>>(),
        ["a", "b"].map(String::from).into_iter().collect()
    );
    let connections = rig.sim.stats().connections;
    assert!(connections.len() >= 2, "{connections:?}");
    assert_ne!(accepted[0].connection, unanswered[0].connection);
    Ok(())
}

#[test]
fn a_refused_password_stops_the_link_from_binding_again() -> TestResult {
    // The link logs in with `kpass`; this SMSC wants another password.
    let sim = SmscSim::start(SimConfig {
        password: Some("other".into()),
        ..SimConfig::with_login()
    })?;
    let setup = Setup::with_conf(|conf: ConfText| {
        conf.smpp_transceiver("smpp1", sim.port(), &[("reconnect-delay", "1")])
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    let deadline = Instant::now() + WAIT;
    let refused = "refused our credentials";
    while !setup.read("bearerbox.log").contains(refused) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(setup.read("bearerbox.log").contains(refused));
    std::thread::sleep(Duration::from_millis(2500));
    let binds = sim
        .pdus()
        .iter()
        .filter(|p| p.command_id == 0x0000_0009)
        .count();
    assert_eq!(binds, 1);
    Ok(())
}

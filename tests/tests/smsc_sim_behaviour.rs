//! The SMSC simulator, driven by a small ESME written here on the same
//! independent crate (rusmpp-core): what a gateway under test will meet.

mod smsc_sim {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::process::{Command as Process, Stdio};
    use std::time::{Duration, Instant};

    use bytes::{BufMut, BytesMut};
    use rusmpp_core::command::owned::Command;
    use rusmpp_core::decode::owned::DecodeWithLength;
    use rusmpp_core::encode::Length;
    use rusmpp_core::encode::owned::Encode;
    use rusmpp_core::pdus::owned::{
        BindReceiver, BindTransceiver, BindTransmitter, DataSm, DeliverSmResp, Pdu, SubmitMulti,
        SubmitSm,
    };
    use rusmpp_core::tlvs::owned::{MessageSubmissionRequestTlvValue, TlvValue};
    use rusmpp_core::types::owned::{COctetString, EmptyOrFullCOctetString, OctetString};
    use rusmpp_core::values::owned::{DestAddress, SmeAddress};
    use rusmpp_core::values::{
        DataCoding, EsmClass, MoreMessagesToSend, Npi, PriorityFlag, RegisteredDelivery, Ton,
    };
    use rusmpp_core::{CommandId, CommandStatus};
    use tests::TestResult;
    use tests::smsc_sim::{Direction, Faults, IdFormat, SimConfig, SimHandle, SmscSim};

    type Error = Box<dyn std::error::Error>;

    const WAIT: Duration = Duration::from_secs(5);

    /// A minimal ESME: frames by the length field, decodes with rusmpp-core.
    struct Esme {
        stream: TcpStream,
        buf: Vec<u8>,
        seq: u32,
    }

    impl Esme {
        fn connect(addr: SocketAddr) -> Result<Esme, Error> {
            let stream = TcpStream::connect(addr)?;
            stream.set_read_timeout(Some(WAIT))?;
            Ok(Esme {
                stream,
                buf: Vec::new(),
                seq: 0,
            })
        }

        fn send(&mut self, pdu: impl Into<Pdu>) -> Result<u32, Error> {
            self.seq += 1;
            let command = Command::new(CommandStatus::EsmeRok, self.seq, pdu);
            let length = 4 + command.length();
            let mut bytes = BytesMut::with_capacity(length);
            bytes.put_u32(length as u32);
            command.encode(&mut bytes);
            self.stream.write_all(&bytes)?;
            Ok(self.seq)
        }

        fn send_raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
            Ok(self.stream.write_all(bytes)?)
        }

        /// The next PDU, or `None` when the simulator closed the connection.
        fn recv(&mut self) -> Result<Option<Command>, Error> {
            loop {
                if self.buf.len() >= 4 {
                    let length =
                        u32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]])
                            as usize;
                    if length < 16 {
                        return Err(format!("simulator sent command_length {length}").into());
                    }
                    if self.buf.len() >= length {
                        let frame: Vec<u8> = self.buf.drain(..length).collect();
                        let mut body = BytesMut::from(&frame[4..]);
                        let (command, _) = Command::decode(&mut body, length - 4)?;
                        return Ok(Some(command));
                    }
                }
                let mut chunk = [0u8; 4096];
                match self.stream.read(&mut chunk) {
                    Ok(0) => return Ok(None),
                    Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                    // A close with our bytes still unread arrives as a reset.
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(None),
                    Err(e) => return Err(e.into()),
                }
            }
        }

        fn expect(&mut self) -> Result<Command, Error> {
            self.recv()?
                .ok_or_else(|| "the simulator closed the connection".into())
        }

        /// Whether nothing arrives within `quiet`.
        fn silent_for(&mut self, quiet: Duration) -> Result<bool, Error> {
            self.stream.set_read_timeout(Some(quiet))?;
            let mut chunk = [0u8; 64];
            let silent = match self.stream.read(&mut chunk) {
                Ok(0) => false,
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    false
                }
                Err(e) => matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ),
            };
            self.stream.set_read_timeout(Some(WAIT))?;
            Ok(silent)
        }

        fn bind_transceiver(&mut self, system_id: &str, password: &str) -> Result<Command, Error> {
            let bind = BindTransceiver::builder()
                .system_id(COctetString::from_string(system_id.into())?)
                .password(COctetString::from_string(password.into())?)
                .system_type(COctetString::from_string("VMA".into())?)
                .build();
            self.send(Pdu::BindTransceiver(bind))?;
            self.expect()
        }

        fn bound(addr: SocketAddr) -> Result<Esme, Error> {
            let mut esme = Esme::connect(addr)?;
            let resp = esme.bind_transceiver("kuser", "kpass")?;
            assert_eq!(resp.status(), CommandStatus::EsmeRok);
            Ok(esme)
        }
    }

    fn c_str<const MIN: usize, const MAX: usize>(
        text: &str,
    ) -> Result<COctetString<MIN, MAX>, Error> {
        Ok(COctetString::from_string(text.into())?)
    }

    fn text_submit(to: &str, text: &[u8], registered_delivery: u8) -> Result<SubmitSm, Error> {
        Ok(SubmitSm::builder()
            .source_addr_ton(Ton::National)
            .source_addr_npi(Npi::Isdn)
            .source_addr(c_str("12345")?)
            .dest_addr_ton(Ton::International)
            .dest_addr_npi(Npi::Isdn)
            .destination_addr(c_str(to)?)
            .esm_class(EsmClass::from(3))
            .registered_delivery(RegisteredDelivery::from(registered_delivery))
            .short_message(OctetString::from_slice(text)?)
            .build())
    }

    fn start(faults: Faults) -> Result<SimHandle, Error> {
        Ok(SmscSim::start(SimConfig {
            system_id: Some("kuser".into()),
            password: Some("kpass".into()),
            faults,
            ..SimConfig::default()
        })?)
    }

    fn message_id(resp: &Command) -> Option<String> {
        match resp.pdu()? {
            Pdu::SubmitSmResp(r) => Some(r.message_id().to_string()),
            Pdu::SubmitMultiResp(r) => Some(r.message_id.to_string()),
            Pdu::DataSmResp(r) => Some(r.message_id().to_string()),
            _ => None,
        }
    }

    fn deliver_text(command: &Command) -> Option<(u8, String)> {
        match command.pdu()? {
            Pdu::DeliverSm(d) => Some((
                u8::from(d.esm_class),
                String::from_utf8_lossy(d.short_message()).into_owned(),
            )),
            _ => None,
        }
    }

    #[test]
    fn a_bound_transceiver_gets_message_ids_from_a_counter() -> TestResult {
        let sim = start(Faults::default())?;
        let mut esme = Esme::bound(sim.addr())?;
        for expected in ["1", "2"] {
            let seq = esme.send(text_submit("46701234567", b"hi", 0)?)?;
            let resp = esme.expect()?;
            assert_eq!(resp.id(), CommandId::SubmitSmResp);
            assert_eq!(resp.sequence_number(), seq);
            assert_eq!(resp.status(), CommandStatus::EsmeRok);
            assert_eq!(message_id(&resp).as_deref(), Some(expected));
        }
        Ok(())
    }

    #[test]
    fn every_submit_field_is_kept_as_received() -> TestResult {
        let sim = start(Faults::default())?;
        let mut esme = Esme::bound(sim.addr())?;
        let mut part = SubmitSm::builder()
            .service_type(rusmpp_core::values::owned::ServiceType::new(c_str("VMA")?))
            .source_addr_ton(Ton::Alphanumeric)
            .source_addr_npi(Npi::Unknown)
            .source_addr(c_str("MyBrand")?)
            .dest_addr_ton(Ton::National)
            .dest_addr_npi(Npi::Isdn)
            .destination_addr(c_str("0701234567")?)
            .esm_class(EsmClass::from(0x43))
            .priority_flag(PriorityFlag::from(1))
            .validity_period(EmptyOrFullCOctetString::from_slice(b"261125194045000+\0")?)
            .registered_delivery(RegisteredDelivery::from(17))
            .data_coding(DataCoding::from(0x19))
            .short_message(OctetString::from_slice(&[5, 0, 3, 3, 2, 1, b'B', b'B'])?)
            .build();
        part.push_tlv(MessageSubmissionRequestTlvValue::MoreMessagesToSend(
            MoreMessagesToSend::MoreMessagesToFollow,
        ));
        part.push_tlv(MessageSubmissionRequestTlvValue::SarMsgRefNum(0x0102));
        let seq = esme.send(part)?;
        esme.expect()?;
        let received = sim.received();
        let [submit] = received.as_slice() else {
            return Err(format!("expected one submit, got {received:?}").into());
        };
        assert_eq!(submit.sequence_number, seq);
        assert_eq!(submit.service_type, "VMA");
        assert_eq!((submit.source.ton, submit.source.npi), (5, 0));
        assert_eq!(submit.source.addr, "MyBrand");
        let dest = submit.destination().ok_or("no destination")?;
        assert_eq!(
            (dest.ton, dest.npi, dest.addr.as_str()),
            (2, 1, "0701234567")
        );
        assert_eq!(submit.esm_class, 0x43);
        assert_eq!(submit.priority_flag, 1);
        assert_eq!(submit.validity_period, "261125194045000+");
        assert_eq!(submit.registered_delivery, 17);
        assert_eq!(submit.data_coding, 0x19);
        assert_eq!(submit.udh(), Some(&[5, 0, 3, 3, 2, 1][..]));
        assert_eq!(submit.text(), b"BB");
        assert_eq!(submit.tlv(0x0426), Some(&[1][..]));
        assert_eq!(submit.tlv(0x020C), Some(&[1, 2][..]));
        assert_eq!(submit.message_id.as_deref(), Some("1"));
        Ok(())
    }

    #[test]
    fn submit_multi_and_data_sm_are_answered_with_ids() -> TestResult {
        let sim = start(Faults::default())?;
        let mut esme = Esme::bound(sim.addr())?;
        let mut multi = SubmitMulti::builder()
            .source_addr(c_str("12345")?)
            .short_message(OctetString::from_slice(b"to two")?)
            .build();
        for to in ["111", "222"] {
            multi.push_dest_address(DestAddress::SmeAddress(SmeAddress::new(
                Ton::National,
                Npi::Isdn,
                c_str(to)?,
            )));
        }
        esme.send(multi)?;
        let resp = esme.expect()?;
        assert_eq!(resp.id(), CommandId::SubmitMultiResp);
        assert_eq!(message_id(&resp).as_deref(), Some("1"));
        let mut data = DataSm::builder()
            .source_addr(c_str("12345")?)
            .destination_addr(c_str("333")?)
            .build();
        data.push_tlv(MessageSubmissionRequestTlvValue::MessagePayload(
            rusmpp_core::values::owned::MessagePayload::new(
                rusmpp_core::types::owned::AnyOctetString::from_slice(b"payload"),
            ),
        ));
        esme.send(data)?;
        let resp = esme.expect()?;
        assert_eq!(resp.id(), CommandId::DataSmResp);
        assert_eq!(message_id(&resp).as_deref(), Some("2"));
        let received = sim.received();
        let addrs: Vec<_> = received[0]
            .destinations
            .iter()
            .map(|a| a.addr.as_str())
            .collect();
        assert_eq!(addrs, ["111", "222"]);
        assert_eq!(received[1].text(), b"payload");
        Ok(())
    }

    #[test]
    fn enquire_link_is_answered_with_its_sequence_number() -> TestResult {
        let sim = start(Faults::default())?;
        let mut esme = Esme::bound(sim.addr())?;
        let seq = esme.send(Pdu::EnquireLink)?;
        let resp = esme.expect()?;
        assert_eq!(resp.id(), CommandId::EnquireLinkResp);
        assert_eq!(resp.sequence_number(), seq);
        Ok(())
    }

    #[test]
    fn a_receipt_follows_the_response_when_one_was_asked() -> TestResult {
        let sim = start(Faults {
            receipts: true,
            ..Faults::default()
        })?;
        let mut esme = Esme::bound(sim.addr())?;
        esme.send(text_submit("46701234567", b"hello", 1)?)?;
        let resp = esme.expect()?;
        assert_eq!(resp.id(), CommandId::SubmitSmResp);
        let receipt = esme.expect()?;
        let (esm_class, text) = deliver_text(&receipt).ok_or("not a deliver_sm")?;
        assert_eq!(esm_class, 0x04);
        assert!(
            text.starts_with("id:1 sub:001 dlvrd:001 submit date:"),
            "{text}"
        );
        assert!(text.ends_with(" stat:DELIVRD err:000 text:hello"), "{text}");
        let Some(Pdu::DeliverSm(deliver)) = receipt.pdu() else {
            return Err("not a deliver_sm".into());
        };
        assert_eq!(deliver.source_addr.to_string(), "46701234567");
        assert_eq!(deliver.destination_addr.to_string(), "12345");
        let tlvs: Vec<_> = deliver.tlvs().iter().filter_map(|t| t.value()).collect();
        assert!(
            tlvs.iter()
                .any(|v| matches!(v, TlvValue::ReceiptedMessageId(id) if id.to_string() == "1"))
        );
        assert!(
            tlvs.iter()
                .any(|v| matches!(v, TlvValue::MessageState(s) if u8::from(*s) == 2))
        );
        esme.send(Pdu::DeliverSmResp(DeliverSmResp::default()))?;
        assert!(sim.wait_for_pdu(WAIT, |p| p.direction == Direction::In
            && p.command_id == 0x8000_0005));
        Ok(())
    }

    #[test]
    fn no_receipt_is_sent_when_none_was_asked() -> TestResult {
        let sim = start(Faults {
            receipts: true,
            ..Faults::default()
        })?;
        let mut esme = Esme::bound(sim.addr())?;
        esme.send(text_submit("46701234567", b"hello", 0)?)?;
        esme.expect()?;
        assert!(esme.silent_for(Duration::from_millis(300))?);
        Ok(())
    }

    #[test]
    fn hex_ids_can_come_back_decimal_in_receipts() -> TestResult {
        let sim = SmscSim::start(SimConfig {
            id_format: IdFormat::Hex,
            receipt_id_format: IdFormat::Decimal,
            first_id: 255,
            ..SimConfig::default()
        })?;
        let mut esme = Esme::bound(sim.addr())?;
        esme.send(text_submit("4670", b"x", 1)?)?;
        let resp = esme.expect()?;
        assert_eq!(message_id(&resp).as_deref(), Some("FF"));
        sim.send_receipt("FF", "UNDELIV", 34)?;
        let (_, text) = deliver_text(&esme.expect()?).ok_or("not a deliver_sm")?;
        assert!(text.starts_with("id:255 sub:001 dlvrd:000"), "{text}");
        assert!(text.contains("stat:UNDELIV err:034"), "{text}");
        Ok(())
    }

    #[test]
    fn an_injected_mo_arrives_on_the_receiver_bind() -> TestResult {
        let sim = start(Faults::default())?;
        let mut tx = Esme::connect(sim.addr())?;
        tx.send(
            BindTransmitter::builder()
                .system_id(c_str("kuser")?)
                .password(c_str("kpass")?)
                .build(),
        )?;
        assert_eq!(tx.expect()?.status(), CommandStatus::EsmeRok);
        let mut rx = Esme::connect(sim.addr())?;
        rx.send(
            BindReceiver::builder()
                .system_id(c_str("kuser")?)
                .password(c_str("kpass")?)
                .build(),
        )?;
        assert_eq!(rx.expect()?.id(), CommandId::BindReceiverResp);
        sim.send_mo(
            "+46709999999",
            "12345",
            &[0x05, 0x00, 0x03],
            8,
            Some(&[5, 0, 3, 7, 1, 1]),
        )?;
        let mo = rx.expect()?;
        let Some(Pdu::DeliverSm(deliver)) = mo.pdu() else {
            return Err(format!("expected deliver_sm, got {mo:?}").into());
        };
        assert_eq!(u8::from(deliver.source_addr_ton), 1);
        assert_eq!(deliver.source_addr.to_string(), "46709999999");
        assert_eq!(deliver.destination_addr.to_string(), "12345");
        assert_eq!(u8::from(deliver.data_coding), 8);
        assert_eq!(u8::from(deliver.esm_class), 0x40);
        assert_eq!(
            &deliver.short_message()[..],
            &[5, 0, 3, 7, 1, 1, 0x05, 0x00, 0x03]
        );
        assert!(tx.silent_for(Duration::from_millis(200))?);
        Ok(())
    }

    #[test]
    fn an_mo_without_a_receiver_bind_is_refused() -> TestResult {
        let sim = start(Faults::default())?;
        let mut tx = Esme::connect(sim.addr())?;
        tx.send(
            BindTransmitter::builder()
                .system_id(c_str("kuser")?)
                .password(c_str("kpass")?)
                .build(),
        )?;
        tx.expect()?;
        assert!(sim.send_mo("123", "456", b"x", 0, None).is_err());
        Ok(())
    }

    #[test]
    fn every_third_submit_is_throttled() -> TestResult {
        let sim = start(Faults {
            throttle_every: Some(3),
            ..Faults::default()
        })?;
        let mut esme = Esme::bound(sim.addr())?;
        let mut statuses = Vec::new();
        for _ in 0..6 {
            esme.send(text_submit("4670", b"x", 0)?)?;
            let resp = esme.expect()?;
            assert_eq!(resp.id(), CommandId::SubmitSmResp);
            statuses.push(u32::from(resp.status()));
        }
        assert_eq!(statuses, [0, 0, 0x58, 0, 0, 0x58]);
        Ok(())
    }

    #[test]
    fn fail_every_answers_the_permanent_status() -> TestResult {
        let sim = start(Faults {
            fail_every: Some(2),
            fail_status: 0x0B,
            ..Faults::default()
        })?;
        let mut esme = Esme::bound(sim.addr())?;
        let mut answers = Vec::new();
        for _ in 0..4 {
            esme.send(text_submit("4670", b"x", 0)?)?;
            let resp = esme.expect()?;
            answers.push((u32::from(resp.status()), message_id(&resp)));
        }
        assert_eq!(
            answers,
            [
                (0, Some("1".into())),
                (0x0B, None),
                (0, Some("2".into())),
                (0x0B, None)
            ]
        );
        Ok(())
    }

    #[test]
    fn the_connection_is_dropped_after_n_submits() -> TestResult {
        let sim = start(Faults {
            drop_after: Some(2),
            ..Faults::default()
        })?;
        let mut esme = Esme::bound(sim.addr())?;
        for _ in 0..3 {
            esme.send(text_submit("4670", b"x", 0)?)?;
        }
        assert_eq!(esme.expect()?.status(), CommandStatus::EsmeRok);
        assert_eq!(esme.expect()?.status(), CommandStatus::EsmeRok);
        assert!(
            esme.recv()?.is_none(),
            "the third submit must go unanswered"
        );
        // The simulator still serves new connections.
        let mut again = Esme::bound(sim.addr())?;
        again.send(text_submit("4670", b"x", 0)?)?;
        assert_eq!(again.expect()?.status(), CommandStatus::EsmeRok);
        Ok(())
    }

    #[test]
    fn a_wrong_password_is_refused_with_rinvpaswd() -> TestResult {
        let sim = start(Faults::default())?;
        let mut esme = Esme::connect(sim.addr())?;
        let resp = esme.bind_transceiver("kuser", "wrong")?;
        assert_eq!(resp.id(), CommandId::BindTransceiverResp);
        assert_eq!(resp.status(), CommandStatus::EsmeRinvpaswd);
        let resp = esme.bind_transceiver("nobody", "kpass")?;
        assert_eq!(resp.status(), CommandStatus::EsmeRinvsysid);
        esme.send(text_submit("4670", b"x", 0)?)?;
        assert_eq!(esme.expect()?.status(), CommandStatus::EsmeRinvbndsts);
        assert!(sim.received().is_empty());
        Ok(())
    }

    #[test]
    fn garbage_gets_generic_nack_then_a_close_and_the_simulator_lives_on() -> TestResult {
        let sim = start(Faults::default())?;
        let mut esme = Esme::connect(sim.addr())?;
        esme.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")?;
        let nack = esme.expect()?;
        assert_eq!(nack.id(), CommandId::GenericNack);
        assert_eq!(nack.status(), CommandStatus::EsmeRinvcmdlen);
        assert!(esme.recv()?.is_none());
        assert!(!sim.errors().is_empty());
        let mut again = Esme::bound(sim.addr())?;
        again.send(Pdu::EnquireLink)?;
        assert_eq!(again.expect()?.id(), CommandId::EnquireLinkResp);
        Ok(())
    }

    #[test]
    fn an_unknown_command_gets_generic_nack_rinvcmdid() -> TestResult {
        let sim = start(Faults::default())?;
        let mut esme = Esme::bound(sim.addr())?;
        esme.send_raw(&[0, 0, 0, 16, 0, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0, 42])?;
        let nack = esme.expect()?;
        assert_eq!(nack.id(), CommandId::GenericNack);
        assert_eq!(nack.status(), CommandStatus::EsmeRinvcmdid);
        assert_eq!(nack.sequence_number(), 42);
        Ok(())
    }

    #[test]
    fn latency_exposes_the_clients_window() -> TestResult {
        let sim = start(Faults {
            latency: Duration::from_millis(300),
            ..Faults::default()
        })?;
        let mut esme = Esme::bound(sim.addr())?;
        let started = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..5 {
            sent.push(esme.send(text_submit("4670", b"x", 0)?)?);
        }
        let answered: Vec<u32> = (0..5)
            .map(|_| esme.expect().map(|c| c.sequence_number()))
            .collect::<Result<_, _>>()?;
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(answered, sent, "answers keep the submit order");
        let stats = sim.stats();
        assert_eq!(stats.submits, 5);
        assert_eq!(stats.max_outstanding, 5);
        assert!(stats.throughput().is_some_and(|t| t > 0.0));
        Ok(())
    }

    #[test]
    fn a_stalled_simulator_answers_nothing_until_released() -> TestResult {
        let sim = start(Faults::default())?;
        let mut esme = Esme::bound(sim.addr())?;
        sim.update_faults(|f| f.stalled = true);
        esme.send(Pdu::EnquireLink)?;
        esme.send(text_submit("4670", b"x", 0)?)?;
        assert!(esme.silent_for(Duration::from_millis(300))?);
        assert_eq!(
            sim.received().len(),
            1,
            "stalled submits are still recorded"
        );
        sim.update_faults(|f| f.stalled = false);
        esme.send(Pdu::EnquireLink)?;
        assert_eq!(esme.expect()?.id(), CommandId::EnquireLinkResp);
        Ok(())
    }

    #[test]
    fn submits_are_kept_in_order_per_connection() -> TestResult {
        let sim = start(Faults::default())?;
        let mut first = Esme::bound(sim.addr())?;
        let mut second = Esme::bound(sim.addr())?;
        for _ in 0..3 {
            first.send(text_submit("1", b"a", 0)?)?;
            second.send(text_submit("2", b"b", 0)?)?;
        }
        for _ in 0..3 {
            first.expect()?;
            second.expect()?;
        }
        let received = sim.received();
        for conn in [1, 2] {
            let seqs: Vec<u32> = received
                .iter()
                .filter(|s| s.connection == conn)
                .map(|s| s.sequence_number)
                .collect();
            assert_eq!(seqs, [2, 3, 4], "connection {conn}");
        }
        assert_eq!(sim.stats().connections.len(), 2);
        Ok(())
    }

    #[test]
    fn unbind_is_answered_then_the_connection_closes() -> TestResult {
        let sim = start(Faults::default())?;
        let mut esme = Esme::bound(sim.addr())?;
        esme.send(Pdu::Unbind)?;
        assert_eq!(esme.expect()?.id(), CommandId::UnbindResp);
        assert!(esme.recv()?.is_none());
        Ok(())
    }

    #[test]
    fn the_record_file_has_one_json_line_per_pdu() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("pdus.jsonl");
        let sim = SmscSim::start(SimConfig {
            record: Some(path.clone()),
            ..SimConfig::default()
        })?;
        let mut esme = Esme::bound(sim.addr())?;
        esme.send(text_submit("4670", b"hi", 0)?)?;
        esme.expect()?;
        assert!(sim.wait_for_pdu(WAIT, |p| p.command_id == 0x8000_0004));
        let text = std::fs::read_to_string(&path)?;
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(serde_json::from_str)
            .collect::<Result<_, _>>()?;
        let cmds: Vec<&str> = lines.iter().filter_map(|l| l["cmd"].as_str()).collect();
        assert_eq!(
            cmds,
            [
                "bind_transceiver",
                "bind_transceiver_resp",
                "submit_sm",
                "submit_sm_resp"
            ]
        );
        assert_eq!(lines[2]["submit"]["short_message"], "6869");
        Ok(())
    }

    #[test]
    fn the_control_port_changes_faults_and_reports_stats() -> TestResult {
        let sim = SmscSim::start(SimConfig {
            control_port: Some(0),
            ..SimConfig::default()
        })?;
        let control = TcpStream::connect(sim.control_addr().ok_or("no control port")?)?;
        control.set_read_timeout(Some(WAIT))?;
        let mut lines = BufReader::new(control.try_clone()?).lines();
        let mut ask = |line: &str| -> Result<String, Error> {
            writeln!(&control, "{line}")?;
            Ok(lines.next().ok_or("control closed")??)
        };
        assert_eq!(ask("throttle-every 1")?, "OK");
        let mut esme = Esme::bound(sim.addr())?;
        esme.send(text_submit("4670", b"x", 0)?)?;
        assert_eq!(esme.expect()?.status(), CommandStatus::EsmeRthrottled);
        assert!(ask("mo +4670 123 hello there")?.starts_with("OK"));
        let (_, text) = deliver_text(&esme.expect()?).ok_or("not a deliver_sm")?;
        assert_eq!(text, "hello there");
        let stats = ask("stats")?;
        assert!(stats.starts_with("OK {"), "{stats}");
        assert!(stats.contains("\"submits\":1"), "{stats}");
        assert!(ask("latency soon")?.starts_with("ERR"));
        assert!(ask("garbage 00ff")?.starts_with("OK sent to 1"));
        Ok(())
    }

    #[test]
    fn the_binary_serves_until_told_to_shut_down() -> TestResult {
        let mut child = Process::new(env!("CARGO_BIN_EXE_smsc-sim"))
            .args(["--port", "0", "--control-port", "0", "--password", "kpass"])
            .args(["--hex-ids", "--first-id", "4096", "--run-secs", "60"])
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut addr_of = |prefix: &str| -> Result<SocketAddr, Error> {
            let line = lines.next().ok_or("smsc-sim printed nothing")??;
            Ok(line
                .strip_prefix(prefix)
                .ok_or_else(|| format!("unexpected line {line:?}"))?
                .parse()?)
        };
        let smpp = addr_of("smsc-sim listening on ");
        let control = addr_of("smsc-sim control on ");
        let outcome = (|| -> TestResult {
            let mut esme = Esme::bound(smpp?)?;
            esme.send(text_submit("4670", b"x", 0)?)?;
            assert_eq!(message_id(&esme.expect()?).as_deref(), Some("1000"));
            let mut control = TcpStream::connect(control?)?;
            writeln!(control, "shutdown")?;
            Ok(())
        })();
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if Instant::now() > deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if status.is_none() {
            child.kill()?;
            child.wait()?;
        }
        outcome?;
        assert!(status.is_some_and(|s| s.success()), "{status:?}");
        Ok(())
    }
}

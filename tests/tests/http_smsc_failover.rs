//! An HTTP supplier in the routing like any SMSC: the cheaper SMPP supplier
//! (the simulator) carries the traffic while it is up; when it goes down,
//! the MT go to the HTTP supplier.

use std::time::Duration;

use box_protocol::message::{AckStatus, Msg};
use tests::TestResult;
use tests::box_client::{BoxClient, mt};
use tests::gateway::{Setup, wait_until};
use tests::http_supplier::HttpSupplier;
use tests::ports;
use tests::smsc_sim::{SimConfig, SmscSim};

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn when_the_smpp_supplier_goes_down_mt_fail_over_to_the_http_supplier() -> TestResult {
    let sim = SmscSim::start(SimConfig {
        system_id: Some("kuser".into()),
        password: Some("kpass".into()),
        ..SimConfig::default()
    })?;
    let supplier = HttpSupplier::start(0)?;
    let listen = ports::reserve()?;
    let (sim_port, listen_port) = (sim.port().to_string(), listen.number().to_string());
    let send_url = format!("\"{}\"", supplier.url("/send?to=%p&text=%b"));
    let setup = Setup::with_conf(|conf| {
        conf.group(
            "smsc",
            &[
                ("smsc", "smpp"),
                ("smsc-id", "smpp1"),
                ("host", "127.0.0.1"),
                ("port", &sim_port),
                ("transceiver-mode", "true"),
                ("smsc-username", "kuser"),
                ("smsc-password", "kpass"),
                ("system-type", "VMA"),
                ("reconnect-delay", "1"),
                ("cost", "0.01"),
            ],
        )
        .group(
            "smsc",
            &[
                ("smsc", "http"),
                ("smsc-id", "web"),
                ("system-type", "generic"),
                ("send-url", &send_url),
                ("port", &listen_port),
                ("our-host", "127.0.0.1"),
                ("cost", "0.05"),
            ],
        )
    })?;
    let _bearerbox = setup.start_bearerbox(&[])?;
    if !sim.wait_for_binds(1, WAIT) {
        return Err(format!("bearerbox did not bind:\n{}", setup.read("bearerbox.log")).into());
    }
    let mut boxc = BoxClient::connect(setup.ports.smsbox.number(), None)?;
    std::thread::sleep(Duration::from_millis(300));

    let mut cheap = mt("12345", "4670000001", "via smpp");
    // The SMSC's acceptance, reported, tells that the SMPP supplier has it for good.
    cheap.dlr_mask = Some(8);
    boxc.send(&Msg::from(cheap.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(cheap.id, AckStatus::Success)]);
    let accepted = match boxc.next(WAIT)? {
        Msg::Sms(report) => report,
        other => return Err(format!("expected a report, got a {}", other.type_name()).into()),
    };
    assert_eq!(accepted.dlr_mask, Some(8));
    boxc.ack(&accepted)?;
    assert_eq!(sim.wait_for_submits(1, WAIT).len(), 1);
    assert!(supplier.submitted().is_empty());

    drop(sim);
    wait_until("the smpp link to go offline", WAIT, || {
        Ok(setup
            .read("bearerbox.log")
            .contains("SMSC smpp1 is offline"))
    })?;
    let failover = mt("12345", "4670000002", "via http");
    boxc.send(&Msg::from(failover.clone()))?;
    assert_eq!(boxc.acks(1, WAIT)?, vec![(failover.id, AckStatus::Success)]);
    let submitted = supplier.wait_for(1, WAIT)?;
    assert_eq!(
        submitted[0].request.query("text").as_deref(),
        Some("via http")
    );
    assert_eq!(
        submitted[0].request.query("to").as_deref(),
        Some("4670000002")
    );
    Ok(())
}

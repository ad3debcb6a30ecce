//! `examples/full.conf`, the commented example for sysadmins, loads with
//! both readers and without a single warning.

use std::path::Path;

use conf::{LoadOptions, Reader};

#[test]
fn full_example_loads_with_both_readers_without_warnings() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/full.conf");
    for reader in [Reader::Bearerbox, Reader::Smsbox] {
        match conf::load(&path, reader, &LoadOptions::default()) {
            Ok(loaded) => assert!(
                loaded.warnings.is_empty(),
                "{reader:?}: {:?}",
                loaded
                    .warnings
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            ),
            Err(refused) => panic!("{reader:?} refused full.conf:\n{refused}"),
        }
    }
}

#[test]
fn full_example_uses_every_sms_group_the_gateway_reads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/full.conf");
    let loaded = conf::load(&path, Reader::Bearerbox, &LoadOptions::default()).expect("loads");
    for group in [
        "core",
        "smsbox",
        "smsc",
        "modems",
        "sendsms-user",
        "sms-service",
    ] {
        assert!(
            loaded.config.multi(group).next().is_some(),
            "no '{group}' group"
        );
    }
}

#[test]
fn a_fixture_with_every_known_group_loads_and_warns_only_for_the_ignored_ones() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/every-group.conf");
    for reader in [Reader::Bearerbox, Reader::Smsbox] {
        let loaded = conf::load(&path, reader, &LoadOptions::default())
            .unwrap_or_else(|refused| panic!("{reader:?} refused:\n{refused}"));
        let ignored: Vec<String> = loaded.warnings.iter().map(|w| w.message.clone()).collect();
        assert_eq!(ignored.len(), 11, "{ignored:?}");
        assert!(
            ignored.iter().all(|m| m.contains("is read and ignored")),
            "{ignored:?}"
        );
        for group in conf::schema::GROUPS {
            assert!(
                loaded.config.multi(group.name).next().is_some(),
                "fixture lacks '{}'",
                group.name
            );
        }
    }
}

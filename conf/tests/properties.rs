//! Properties: quoting round-trips, any well-formed configuration loads,
//! and no input makes the reader panic.

use std::path::Path;

use conf::syntax::{self, Line};
use conf::{LoadOptions, Reader};
use proptest::prelude::*;

fn load(text: &str, reader: Reader) -> Result<conf::Loaded, conf::Refused> {
    conf::load_str(
        text,
        Path::new("kannel.conf"),
        reader,
        &LoadOptions::default(),
    )
}

/// Blanks Kannel trims around keys and values.
fn blanks() -> impl Strategy<Value = String> {
    "[ \t]{0,3}"
}

/// Lines that may sit inside a group without changing it.
fn comment() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[ \t]{0,2}# [a-z =]{0,20}\n"]
}

prop_compose! {
    fn pair(key: &'static str, value: BoxedStrategy<String>)(
        before in blanks(), after in blanks(), value in value, comment in comment()
    ) -> String {
        format!("{comment}{key}{before}={after}{value}\n")
    }
}

fn word() -> BoxedStrategy<String> {
    "[a-zA-Z][a-zA-Z0-9_.-]{0,12}".boxed()
}

fn port() -> BoxedStrategy<String> {
    (1u32..65536).prop_map(|p| p.to_string()).boxed()
}

fn boolean() -> BoxedStrategy<String> {
    prop::sample::select(vec!["yes", "no", "true", "FALSE", "on", "off", "1", "0"])
        .prop_map(str::to_owned)
        .boxed()
}

prop_compose! {
    fn smsc()(id in word(), port in pair("port", port()), dead in pair("dead-start", boolean()),
              smsc_id in pair("smsc-id", word().prop_map(|w| syntax::quote(&w)).boxed())) -> String {
        let _ = id;
        format!("group = smsc\nsmsc = fake\n{port}{dead}{smsc_id}")
    }
}

prop_compose! {
    fn user()(name in pair("username", word()), password in pair("password", word()),
              max in pair("max-messages", (0u32..10).prop_map(|n| n.to_string()).boxed())) -> String {
        format!("group = sendsms-user\n{name}{password}{max}")
    }
}

prop_compose! {
    fn config()(admin in pair("admin-port", port()), password in pair("admin-password", word()),
                smscs in prop::collection::vec(smsc(), 0..4),
                users in prop::collection::vec(user(), 0..4),
                separators in prop::collection::vec("\n|\n\n|\n   \n|\n# c\n\n", 10)) -> String {
        let mut groups = vec![
            format!("group = core\n{admin}{password}smsbox-port = 13001\n"),
            "group = smsbox\nsendsms-port = 13013\n".to_owned(),
            "group = sms-service\nkeyword = default\ntext = \"hi\"\n".to_owned(),
        ];
        groups.extend(smscs);
        groups.extend(users);
        let mut text = String::new();
        for (i, g) in groups.iter().enumerate() {
            text.push_str(g);
            text.push_str(separators.get(i % separators.len()).map(String::as_str).unwrap_or("\n"));
        }
        text
    }
}

proptest! {
    #[test]
    fn quoting_round_trips_any_single_line_value(value in "[^\n]*") {
        let text = format!("key = {}\n", syntax::quote(&value));
        let lines = syntax::lines(&text);
        prop_assert_eq!(lines, vec![Line::Pair { line: 1, key: "key".to_owned(), value }]);
    }

    #[test]
    fn a_generated_valid_configuration_always_loads(text in config()) {
        for reader in [Reader::Bearerbox, Reader::Smsbox] {
            let result = load(&text, reader);
            prop_assert!(result.is_ok(), "{:?} refused:\n{}\n{}", reader, text,
                result.err().map(|r| r.to_string()).unwrap_or_default());
        }
    }

    #[test]
    fn no_input_makes_the_reader_panic(text in "(group = |include = missing[a-z]{0,3}|[a-z-]{1,8} ?= ?|#|\"|\\\\|\n|[ -~]){0,60}") {
        let _ = load(&text, Reader::Bearerbox);
        let _ = load(&text, Reader::Smsbox);
    }

    #[test]
    fn every_error_names_a_line_of_the_file(text in "(group = core\n|admin-port = [0-9a-z]{1,4}\n|\n|frob = 1\n|EOL\n){1,12}") {
        if let Err(refused) = load(&text, Reader::Bearerbox) {
            let lines = u32::try_from(text.lines().count()).unwrap_or(u32::MAX);
            for d in refused.errors() {
                prop_assert!(d.location.line <= lines, "{}", d);
            }
        }
    }
}

//! Each kind of diagnostic, with its exact message and line.

use std::path::Path;

use conf::{Diagnostic, LoadOptions, Loaded, Reader, Refused, Severity};

const CORE: &str = "group = core\nadmin-port = 13000\nadmin-password = secret\n";

fn load(text: &str, reader: Reader) -> Result<Loaded, Refused> {
    conf::load_str(
        text,
        Path::new("kannel.conf"),
        reader,
        &LoadOptions::default(),
    )
}

fn refused(text: &str) -> Vec<String> {
    match load(text, Reader::Bearerbox) {
        Ok(_) => panic!("expected a refusal for:\n{text}"),
        Err(r) => r
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(Diagnostic::to_string)
            .collect(),
    }
}

fn warnings(text: &str, reader: Reader) -> Vec<String> {
    match load(text, reader) {
        Ok(l) => l.warnings.iter().map(Diagnostic::to_string).collect(),
        Err(r) => panic!("expected to load, got:\n{r}"),
    }
}

#[test]
fn unknown_key_names_the_nearest_known_one() {
    let text = "group = core\nadmin-port = 13000\nadmin-password = x\nadmin-prot = 1\n";
    assert_eq!(
        refused(text),
        ["kannel.conf:4: group 'core' has no key 'admin-prot'; did you mean 'admin-port'?"]
    );
}

#[test]
fn key_of_another_group_says_where_it_belongs() {
    let text = format!("{CORE}sendsms-port = 13013\n");
    assert_eq!(
        refused(&text),
        [
            "kannel.conf:4: group 'core' has no key 'sendsms-port'; 'sendsms-port' belongs in group 'smsbox'"
        ]
    );
}

#[test]
fn unknown_group_names_the_nearest_known_one() {
    let text = format!("{CORE}\ngroup = SMSC\nsmsc = fake\n");
    assert_eq!(
        refused(&text),
        ["kannel.conf:5: unknown group 'SMSC'; did you mean 'smsc'?"]
    );
}

#[test]
fn keys_after_a_blank_line_are_outside_any_group() {
    let text = "group = core\nadmin-password = x\n\nadmin-port = 13000\n";
    let errors = refused(text);
    assert_eq!(
        errors[0],
        "kannel.conf:4: 'admin-port' is outside any group: the blank line at line 3 ended group 'core' (Kannel ends a group at a blank line)"
    );
}

#[test]
fn comment_lines_do_not_end_a_group() {
    let text = "group = core\n# ports\n  # indented\nadmin-port = 13000\nadmin-password = x\n";
    assert!(load(text, Reader::Bearerbox).is_ok());
}

#[test]
fn key_before_any_group_is_outside_any_group() {
    let errors = refused(&format!("admin-port = 1\n\n{CORE}"));
    assert_eq!(
        errors,
        ["kannel.conf:1: 'admin-port' is outside any group: no 'group = ...' line comes before it"]
    );
}

#[test]
fn line_without_equals_is_an_error() {
    assert_eq!(
        refused(&format!("{CORE}EOL\n")),
        ["kannel.conf:4: expected 'key = value', a comment or a blank line, got \"EOL\" (no '=')"]
    );
}

#[test]
fn typo_in_a_port_is_an_error() {
    let text = "group = core\nadmin-password = x\nadmin-port = 13x0\n";
    let errors = refused(text);
    assert_eq!(
        errors[0],
        "kannel.conf:3: 'admin-port' must be a port number, got \"13x0\""
    );
}

#[test]
fn port_out_of_range_is_an_error() {
    let errors = refused("group = core\nadmin-password = x\nadmin-port = 70000\n");
    assert_eq!(
        errors[0],
        "kannel.conf:3: 'admin-port' must be a port number, got \"70000\""
    );
}

#[test]
fn integer_followed_by_a_comment_is_read_with_a_warning() {
    let text = format!("{CORE}log-level = 0   # debug\n");
    assert_eq!(
        warnings(&text, Reader::Bearerbox),
        [
            "kannel.conf:4: 'log-level' is read as 0; the rest (\"# debug\") is ignored, as Kannel does"
        ]
    );
    let loaded = load(&text, Reader::Bearerbox).expect("loads");
    assert_eq!(
        loaded
            .config
            .single("core")
            .and_then(|c| c.get_int("log-level")),
        Some(0)
    );
}

#[test]
fn unrendered_template_in_an_integer_is_a_warning_and_unset() {
    let text = format!("{CORE}log-level = ${{LOG_LEVEL}}\n");
    assert_eq!(
        warnings(&text, Reader::Bearerbox),
        [
            "kannel.conf:4: 'log-level' holds the unrendered template \"${LOG_LEVEL}\"; it counts as unset, as in Kannel"
        ]
    );
    let loaded = load(&text, Reader::Bearerbox).expect("loads");
    assert_eq!(
        loaded
            .config
            .single("core")
            .and_then(|c| c.get_int("log-level")),
        None
    );
}

#[test]
fn strange_boolean_is_true_with_a_warning() {
    let text = format!("{CORE}access-log-clean = maybe\n");
    assert_eq!(
        warnings(&text, Reader::Bearerbox),
        [
            "kannel.conf:4: 'access-log-clean' should be a boolean (yes/no/true/false/on/off/1/0), got \"maybe\"; taken as true, as Kannel does"
        ]
    );
    let loaded = load(&text, Reader::Bearerbox).expect("loads");
    assert_eq!(
        loaded
            .config
            .single("core")
            .and_then(|c| c.get_bool("access-log-clean")),
        Some(true)
    );
}

#[test]
fn bad_decimal_is_an_error() {
    let text = format!("{CORE}\ngroup = smsc\nsmsc = fake\nport = 10000\nthroughput = fast\n");
    assert_eq!(
        refused(&text),
        ["kannel.conf:8: 'throughput' must be a decimal number, got \"fast\""]
    );
}

#[test]
fn unknown_dlr_storage_is_an_error() {
    let text = format!("{CORE}dlr-storage = <%= dlr_storage %>\n");
    assert_eq!(
        refused(&text),
        [
            "kannel.conf:4: 'dlr-storage' must be one of internal, spool, mysql, pgsql, sqlite3, mssql, oracle, sdb, redis, cassandra, got \"<%= dlr_storage %>\""
        ]
    );
}

#[test]
fn database_dlr_storage_needs_its_connection() {
    let text = format!("{CORE}dlr-storage = mysql\n\ngroup = dlr-db\nid = dlr\n");
    assert_eq!(
        refused(&text),
        [
            "kannel.conf:4: 'dlr-storage = mysql' needs a 'mysql-connection' group with 'id = dlr' (the id of 'dlr-db')"
        ]
    );
}

#[test]
fn ip_list_item_that_is_no_pattern_is_a_warning() {
    let text = format!("{CORE}box-allow-ip = 127.0.0.1;localhost\n");
    assert_eq!(
        warnings(&text, Reader::Bearerbox),
        [
            "kannel.conf:4: 'box-allow-ip' item \"localhost\" is not an IP address pattern (like 127.0.0.1 or 192.168.*.*); it matches no address"
        ]
    );
}

#[test]
fn bearerbox_needs_core() {
    assert_eq!(
        refused("group = smsbox\n"),
        [
            "kannel.conf: no group 'core': bearerbox needs one with 'admin-port' and 'admin-password'"
        ]
    );
}

#[test]
fn missing_mandatory_keys_name_the_line_where_the_group_starts() {
    assert_eq!(
        refused("# top\n\ngroup = core\nlog-level = 0\n"),
        [
            "kannel.conf:3: group 'core' has no 'admin-port'; bearerbox needs it for its HTTP admin interface",
            "kannel.conf:3: group 'core' has no 'admin-password'; Kannel refuses to start its HTTP admin interface without it",
        ]
    );
}

#[test]
fn smsbox_port_without_smsbox_group_is_an_error() {
    assert_eq!(
        refused(&format!("{CORE}smsbox-port = 13001\n")),
        [
            "kannel.conf:4: 'smsbox-port' is set but there is no group 'smsbox'; Kannel refuses this (add a 'group = smsbox', even an empty one)"
        ]
    );
}

#[test]
fn smsc_group_needs_a_known_driver() {
    assert_eq!(
        refused(&format!("{CORE}\ngroup = smsc\nsmsc-id = a\n")),
        [
            "kannel.conf:5: group 'smsc' has no 'smsc'; it names the driver (smpp, at, fake, http, ...)"
        ]
    );
    let errors = refused(&format!("{CORE}\ngroup = smsc\nsmsc = fakesmsc\n"));
    assert_eq!(
        errors,
        [
            "kannel.conf:6: 'smsc' must be one of smpp, at, fake, http, emi, cimd2, smasi, oisd, cgw, loopback, parlayx, cimd, emi_x25, sema, ois, sim, got \"fakesmsc\""
        ]
    );
}

#[test]
fn smpp_group_with_port_and_receive_port_is_refused() {
    let text = format!(
        "{CORE}\ngroup = smsc\nsmsc = smpp\nsmsc-id = op\nhost = 127.0.0.1\nport = 2775\nreceive-port = 2776\nsmsc-username = u\nsmsc-password = p\nsystem-type = VMA\n"
    );
    assert_eq!(
        refused(&text),
        [
            "kannel.conf:10: smpp group 'op' sets both 'port' (2775) and 'receive-port' (2776); Kannel 1.4.5 refuses this: use one group with 'port' and another with 'receive-port'"
        ]
    );
}

#[test]
fn smsbox_route_needs_an_smsbox_id() {
    assert_eq!(
        refused(&format!("{CORE}\ngroup = smsbox-route\nsmsc-id = a\n")),
        [
            "kannel.conf:5: group 'smsbox-route' has no 'smsbox-id'; Kannel refuses a route that names no smsbox"
        ]
    );
}

#[test]
fn obsolete_and_deprecated_keys_warn() {
    let text = format!(
        "{CORE}store-file = /tmp/k.store\n\ngroup = smsc\nsmsc = smpp\nhost = h\nport = 1\nsystem-id = u\nsmsc-password = p\nsystem-type = VMA\n"
    );
    assert_eq!(
        warnings(&text, Reader::Bearerbox),
        [
            "kannel.conf:4: 'store-file' is deprecated; use 'store-type = file' and 'store-location'",
            "kannel.conf:10: 'system-id' is obsolete; use 'smsc-username' (Kannel warns the same)",
        ]
    );
}

#[test]
fn wap_groups_are_ignored_with_one_warning_each() {
    let text = format!(
        "{CORE}\ngroup = wapbox\nbearerbox-host = localhost\n\ngroup = wap-url-map\nname = a\n\ngroup = wap-url-map\nname = b\n\ngroup = mms-vasp\nanything = 1\n"
    );
    assert_eq!(
        warnings(&text, Reader::Bearerbox),
        [
            "kannel.conf:5: group 'wapbox' is read and ignored: this gateway serves SMS only",
            "kannel.conf:8: group 'wap-url-map' is read and ignored: this gateway serves SMS only (2 such groups)",
            "kannel.conf:14: group 'mms-vasp' is read and ignored: this gateway serves SMS only",
        ]
    );
}

#[test]
fn single_group_given_twice_warns_and_the_last_wins() {
    let text = format!("{CORE}\ngroup = core\nadmin-port = 14000\nadmin-password = y\n");
    assert_eq!(
        warnings(&text, Reader::Bearerbox),
        [
            "kannel.conf:5: group 'core' is given again (first at kannel.conf:1); the last one wins, as in Kannel"
        ]
    );
    let loaded = load(&text, Reader::Bearerbox).expect("loads");
    assert_eq!(
        loaded
            .config
            .single("core")
            .and_then(|c| c.get_int("admin-port")),
        Some(14000)
    );
}

#[test]
fn smsbox_needs_core_and_smsbox_groups() {
    let errors: Vec<String> = load(
        "group = sendsms-user\nusername = a\npassword = b\n",
        Reader::Smsbox,
    )
    .expect_err("refused")
    .errors()
    .map(Diagnostic::to_string)
    .collect();
    assert_eq!(
        errors,
        [
            "kannel.conf: no group 'core': smsbox needs one (it reads 'smsbox-port' and the HTTP settings there)",
            "kannel.conf: no group 'smsbox': smsbox needs one",
        ]
    );
}

#[test]
fn sendsms_user_and_sms_service_need_their_keys_for_smsbox() {
    let text = format!(
        "{CORE}\ngroup = smsbox\n\ngroup = sendsms-user\nusername = a\n\ngroup = sms-service\nname = x\n"
    );
    let errors: Vec<String> = load(&text, Reader::Smsbox)
        .expect_err("refused")
        .errors()
        .map(Diagnostic::to_string)
        .collect();
    assert_eq!(
        errors,
        [
            "kannel.conf:7: group 'sendsms-user' has no 'password'; Kannel's smsbox refuses a sendsms-user without it",
            "kannel.conf:10: group 'sms-service' needs one of 'keyword' or 'keyword-regex'; it says which messages the service answers",
            "kannel.conf:10: group 'sms-service' needs one of 'get-url', 'url', 'post-url', 'post-xml', 'file', 'text' or 'exec'; it says what the service does",
        ]
    );
    // Bearerbox does not use these groups and does not refuse them.
    assert!(load(&text, Reader::Bearerbox).is_ok());
}

#[test]
fn three_mistakes_give_three_diagnostics_at_once() {
    let text =
        "group = core\nadmin-port = 13x0\nadmin-password = x\nadmin-prot = 1\n\ngroup = smsbx\n";
    let errors = refused(text);
    assert_eq!(
        errors,
        [
            "kannel.conf:2: 'admin-port' must be a port number, got \"13x0\"",
            "kannel.conf:4: group 'core' has no key 'admin-prot'; did you mean 'admin-port'?",
            "kannel.conf:6: unknown group 'smsbx'; did you mean 'smsbox'?",
        ]
    );
}

#[test]
fn our_own_keys_load_with_their_types() {
    let text = format!(
        "{CORE}\ngroup = smsbox\naccounts-db = /var/lib/kannel/accounts.db\n\ngroup = smsc\nsmsc = sim\ncost = 0.05\n\ngroup = sendsms-user\nusername = a\npassword = b\ncredits = 100\nrefund-on-failure = yes\n"
    );
    let loaded = load(&text, Reader::Bearerbox).expect("loads");
    let user = loaded.config.multi("sendsms-user").next().expect("a user");
    assert_eq!(user.get_int("credits"), Some(100));
    assert_eq!(user.get_bool("refund-on-failure"), Some(true));
    let smsc = loaded.config.multi("smsc").next().expect("an smsc");
    assert_eq!(smsc.get_decimal("cost"), Some(0.05));
    let errors = refused(&format!(
        "{CORE}\ngroup = sendsms-user\nusername = a\npassword = b\ncredits = lots\n"
    ));
    assert_eq!(
        errors,
        ["kannel.conf:8: 'credits' must be an integer, got \"lots\""]
    );
}

#[test]
fn values_keep_kannels_quoting_rules() {
    let text = format!(
        "{CORE}\ngroup = smsc\nsmsc = fake\nsmsc-id = value # x\nsmsc-admin-id = 'CTM'\nalt-charset = \"a\\\"b\\\\c\\n\"\nallowed-smsc-id = a; b ;;c\n"
    );
    let loaded = load(&text, Reader::Bearerbox).expect("loads");
    let smsc = loaded.config.multi("smsc").next().expect("an smsc");
    assert_eq!(smsc.get("smsc-id"), Some("value # x"));
    assert_eq!(smsc.get("smsc-admin-id"), Some("'CTM'"));
    assert_eq!(smsc.get("alt-charset"), Some("a\"b\\c\\n"));
    assert_eq!(smsc.get_list("allowed-smsc-id"), Some(vec!["a", "b", "c"]));
}

#[test]
fn repeated_key_last_wins_silently() {
    let text = "group = core\nadmin-port = 1\nadmin-port = 2\nadmin-password = x\n";
    let loaded = load(text, Reader::Bearerbox).expect("loads");
    assert!(loaded.warnings.is_empty());
    assert_eq!(
        loaded
            .config
            .single("core")
            .and_then(|c| c.get_int("admin-port")),
        Some(2)
    );
}

#[test]
fn hex_and_speed_auto_are_read_like_kannel() {
    let text = format!(
        "{CORE}\ngroup = smsc\nsmsc = at\ndevice = /dev/null\nspeed = auto\n\ngroup = smpp-tlv\nname = a\ntag = 0x1400\ntype = octetstring\nlength = 4\n"
    );
    let loaded = load(&text, Reader::Bearerbox).expect("loads");
    assert_eq!(
        loaded
            .config
            .multi("smpp-tlv")
            .next()
            .and_then(|g| g.get_int("tag")),
        Some(0x1400)
    );
}

#[test]
fn smpp_group_needs_host_credentials_and_system_type() {
    let errors = refused(&format!(
        "{CORE}\ngroup = smsc\nsmsc = smpp\nport = 2775\nservice-type = TOOLONG\n"
    ));
    let why = "Kannel's smpp driver refuses to start without it";
    assert_eq!(
        errors,
        [
            format!("kannel.conf:5: group 'smsc' has no 'host'; {why}"),
            format!("kannel.conf:5: group 'smsc' has no 'smsc-username'; {why}"),
            format!("kannel.conf:5: group 'smsc' has no 'smsc-password'; {why}"),
            format!("kannel.conf:5: group 'smsc' has no 'system-type'; {why} (most SMSCs take 'VMA')"),
            "kannel.conf:8: 'service-type' must be at most 6 characters (SMPP's limit), got \"TOOLONG\"".to_owned(),
        ]
    );
}

#[test]
fn misnamed_key_gets_the_key_people_mean() {
    let errors = refused(&format!(
        "{CORE}\ngroup = smsc\nsmsc = fake\npassword = x\n"
    ));
    assert_eq!(
        errors,
        ["kannel.conf:7: group 'smsc' has no key 'password'; did you mean 'smsc-password'?"]
    );
}

#[test]
fn orphan_keys_are_still_checked_against_the_group_they_were_meant_for() {
    let text = "group = core\nadmin-port = 1\nadmin-password = x\n\nsms-resend-sleep = 5\n";
    assert_eq!(
        refused(text),
        [
            "kannel.conf:5: 'sms-resend-sleep' is outside any group: the blank line at line 4 ended group 'core' (Kannel ends a group at a blank line)",
            "kannel.conf:5: group 'core' has no key 'sms-resend-sleep'; did you mean 'sms-resend-freq'?",
        ]
    );
}

#[test]
fn group_line_with_text_glued_on_suggests_the_group() {
    let errors = refused(&format!("{CORE}\ngroup = smsbox THIS IS A SAMPLE\n"));
    assert_eq!(
        errors,
        [
            "kannel.conf:5: unknown group 'smsbox THIS IS A SAMPLE'; did you mean 'smsbox'? (only lines starting with '#' are comments)"
        ]
    );
}

#[test]
fn unknown_group_far_from_any_name_lists_the_known_ones() {
    let errors = refused(&format!("{CORE}\ngroup = opensmppbox\n"));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("kannel.conf:5: unknown group 'opensmppbox'; known groups are core, smsbox, smsbox-route, smsc,"), "{}", errors[0]);
}

//! Validation after the groups are assembled: names and typed values against
//! the schema (the same for every box, as Kannel checks the whole file in
//! every box), then what each reader needs to start, reproducing the
//! start-up refusals of Kannel 1.4.5.

use crate::diagnostic::{Problem, nearest};
use crate::schema::{self, Cardinality, Role, ValueType};
use crate::value::{self, BoolReading, IntReading};
use crate::{Config, Group, Location, Reader};

pub type Findings = Vec<(Location, Problem)>;

/// Checks group names, key names and values.
pub fn schema(groups: &[Group], out: &mut Findings) {
    let mut ignored: Vec<(&str, &Location, usize)> = Vec::new();
    let mut seen_single: Vec<(&str, &Location)> = Vec::new();
    for group in groups {
        if schema::is_mms_group(&group.name) {
            note_ignored(&mut ignored, group);
            continue;
        }
        let Some(def) = schema::group(&group.name) else {
            out.push((
                group.location.clone(),
                Problem::UnknownGroup {
                    name: group.name.clone(),
                    hint: group_hint(&group.name),
                },
            ));
            continue;
        };
        if def.cardinality == Cardinality::Single {
            match seen_single.iter().find(|(n, _)| *n == def.name) {
                Some((_, first)) => out.push((
                    group.location.clone(),
                    Problem::SingleGroupAgain {
                        name: group.name.clone(),
                        first: first.to_string(),
                    },
                )),
                None => seen_single.push((def.name, &group.location)),
            }
        }
        if def.role == Role::Ignored {
            note_ignored(&mut ignored, group);
        }
        for entry in &group.entries {
            match def.key(&entry.key) {
                Some(key) if def.role == Role::Sms => {
                    value(&entry.key, &entry.value, key.ty, &entry.location, out)
                }
                Some(_) => {}
                None => out.push((
                    entry.location.clone(),
                    Problem::UnknownKey {
                        group: group.name.clone(),
                        key: entry.key.clone(),
                        hint: key_hint(def, &entry.key),
                    },
                )),
            }
        }
    }
    for (name, location, count) in ignored {
        out.push((
            location.clone(),
            Problem::IgnoredGroup {
                name: name.to_owned(),
                count,
            },
        ));
    }
}

/// Keys a blank line left outside their group are already an error; their
/// names and values are still checked against the group they were meant for,
/// so that one run shows every mistake.
pub fn orphans(orphans: &[(String, crate::Entry)], out: &mut Findings) {
    for (group, entry) in orphans {
        let Some(def) = schema::group(group) else {
            continue;
        };
        if def.role != Role::Sms {
            continue;
        }
        match def.key(&entry.key) {
            Some(key) => value(&entry.key, &entry.value, key.ty, &entry.location, out),
            None => out.push((
                entry.location.clone(),
                Problem::UnknownKey {
                    group: group.clone(),
                    key: entry.key.clone(),
                    hint: key_hint(def, &entry.key),
                },
            )),
        }
    }
}

fn note_ignored<'g>(ignored: &mut Vec<(&'g str, &'g Location, usize)>, group: &'g Group) {
    match ignored.iter_mut().find(|(n, _, _)| *n == group.name) {
        Some((_, _, count)) => *count += 1,
        None => ignored.push((&group.name, &group.location, 1)),
    }
}

fn group_hint(name: &str) -> String {
    let known = schema::GROUPS.iter().map(|g| g.name);
    if let Some(near) = nearest(name, known) {
        return format!("; did you mean '{near}'?");
    }
    // `group = smsbox THIS IS A SAMPLE ...`: text glued after a valid name.
    let first = name.split_whitespace().next().unwrap_or("");
    if first != name && schema::group(first).is_some() {
        return format!("; did you mean '{first}'? (only lines starting with '#' are comments)");
    }
    let names: Vec<&str> = schema::GROUPS
        .iter()
        .filter(|g| g.role == Role::Sms)
        .map(|g| g.name)
        .collect();
    format!("; known groups are {}", names.join(", "))
}

fn key_hint(def: &schema::GroupDef, key: &str) -> String {
    if let Some((_, _, right)) = schema::MISNAMED
        .iter()
        .find(|(g, wrong, _)| *g == def.name && *wrong == key)
    {
        return format!("; did you mean '{right}'?");
    }
    if let Some(near) = nearest(key, def.keys.iter().map(|k| k.name)) {
        return format!("; did you mean '{near}'?");
    }
    let elsewhere: Vec<&str> = schema::GROUPS
        .iter()
        .filter(|g| g.role == Role::Sms && g.key(key).is_some())
        .map(|g| g.name)
        .take(3)
        .collect();
    match elsewhere.as_slice() {
        [] => String::new(),
        [one] => format!("; '{key}' belongs in group '{one}'"),
        many => format!(
            "; '{key}' belongs in group {}",
            many.iter()
                .map(|g| format!("'{g}'"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

fn value(key: &str, found: &str, ty: ValueType, at: &Location, out: &mut Findings) {
    let bad = || Problem::BadValue {
        key: key.to_owned(),
        expected: ty.expectation(),
        found: found.to_owned(),
    };
    let problem = match ty {
        ValueType::Text | ValueType::List => None,
        ValueType::IntegerOrAuto if found.eq_ignore_ascii_case("auto") => None,
        ValueType::Integer | ValueType::IntegerOrAuto | ValueType::Port => {
            match value::read_integer(found) {
                IntReading::Number(n) if ty == ValueType::Port && !(0..=65535).contains(&n) => {
                    Some(bad())
                }
                IntReading::Number(_) => None,
                IntReading::NumberThenComment(number, rest) => {
                    if ty == ValueType::Port && !(0..=65535).contains(&number) {
                        Some(bad())
                    } else {
                        Some(Problem::NumberThenComment {
                            key: key.to_owned(),
                            number,
                            rest,
                        })
                    }
                }
                IntReading::Template => Some(Problem::TemplateNumber {
                    key: key.to_owned(),
                    found: found.to_owned(),
                }),
                IntReading::Empty => Some(Problem::EmptyNumber {
                    key: key.to_owned(),
                }),
                IntReading::Invalid => Some(bad()),
            }
        }
        ValueType::Boolean => match value::read_bool(found) {
            BoolReading::Known(_) => None,
            BoolReading::Strange => Some(Problem::StrangeBoolean {
                key: key.to_owned(),
                found: found.to_owned(),
            }),
        },
        ValueType::Decimal => match value::read_decimal(found) {
            Some(_) => None,
            None if value::looks_like_template(found) => Some(Problem::TemplateNumber {
                key: key.to_owned(),
                found: found.to_owned(),
            }),
            None => Some(bad()),
        },
        ValueType::NumberRange => match value::NumberRange::parse(found) {
            Some(_) => None,
            None => Some(bad()),
        },
        ValueType::OneOf(words) => {
            if words.contains(&found) {
                None
            } else {
                Some(bad())
            }
        }
        ValueType::IpList => {
            for item in value::list(found) {
                if !value::is_ip_pattern(item) && !value::looks_like_template(item) {
                    out.push((
                        at.clone(),
                        Problem::NotAnIpPattern {
                            key: key.to_owned(),
                            item: item.to_owned(),
                        },
                    ));
                }
            }
            None
        }
    };
    if let Some(problem) = problem {
        out.push((at.clone(), problem));
    }
}

/// Checks what the reading box needs in order to start.
pub fn reader(config: &Config, reader: Reader, main: &Location, out: &mut Findings) {
    match reader {
        Reader::Bearerbox => bearerbox(config, main, out),
        Reader::Smsbox => smsbox(config, main, out),
    }
}

fn missing_key(group: &Group, key: &str, why: &str, out: &mut Findings) {
    out.push((
        group.location.clone(),
        Problem::MissingKey {
            group: group.name.clone(),
            key: key.to_owned(),
            why: why.to_owned(),
        },
    ));
}

fn bearerbox(config: &Config, main: &Location, out: &mut Findings) {
    match config.single("core") {
        None => out.push((
            main.clone(),
            Problem::MissingGroup {
                group: "core".to_owned(),
                reader: "bearerbox",
                detail: " with 'admin-port' and 'admin-password'".to_owned(),
            },
        )),
        Some(core) => {
            if core.get_int("admin-port").is_none() {
                missing_key(
                    core,
                    "admin-port",
                    "; bearerbox needs it for its HTTP admin interface",
                    out,
                );
            }
            if core.get("admin-password").is_none() {
                missing_key(
                    core,
                    "admin-password",
                    "; Kannel refuses to start its HTTP admin interface without it",
                    out,
                );
            }
            if core.get_int("smsbox-port").is_some() && config.single("smsbox").is_none() {
                let at = core
                    .entry("smsbox-port")
                    .map(|e| e.location.clone())
                    .unwrap_or_else(|| core.location.clone());
                out.push((at, Problem::SmsboxPortWithoutSmsbox));
            }
            if let Some(entry) = core.entry("store-file") {
                out.push((entry.location.clone(), Problem::DeprecatedStoreFile));
            }
            dlr_storage(config, core, out);
        }
    }
    for smsc in config.multi("smsc") {
        smsc_group(smsc, out);
    }
    for route in config.multi("smsbox-route") {
        if route.get("smsbox-id").is_none() {
            missing_key(
                route,
                "smsbox-id",
                "; Kannel refuses a route that names no smsbox",
                out,
            );
        }
    }
}

fn dlr_storage(config: &Config, core: &Group, out: &mut Findings) {
    let Some(entry) = core.entry("dlr-storage") else {
        return;
    };
    let storage = entry.value.as_str();
    let at = entry.location.clone();
    let incomplete = |what: String| Problem::DlrStorageIncomplete {
        storage: storage.to_owned(),
        what,
    };
    match storage {
        "spool" if core.get("dlr-spool").is_none() => {
            out.push((at, incomplete("'dlr-spool' in group 'core'".to_owned())));
        }
        "mysql" | "pgsql" | "sqlite3" | "mssql" | "oracle" | "sdb" | "redis" | "cassandra" => {
            let connection = format!("{storage}-connection");
            let Some(db) = config.single("dlr-db") else {
                out.push((
                    at,
                    incomplete(format!("a 'dlr-db' group and a '{connection}' group")),
                ));
                return;
            };
            let id = db.get("id").unwrap_or("");
            if !config.multi(&connection).any(|c| c.get("id") == Some(id)) {
                out.push((
                    at,
                    incomplete(format!(
                        "a '{connection}' group with 'id = {id}' (the id of 'dlr-db')"
                    )),
                ));
            }
        }
        _ => {}
    }
}

fn smsc_group(smsc: &Group, out: &mut Findings) {
    let Some(driver) = smsc.get("smsc") else {
        missing_key(
            smsc,
            "smsc",
            "; it names the driver (smpp, at, fake, http, ...)",
            out,
        );
        return;
    };
    if let Some(entry) = smsc.entry("system-id") {
        out.push((entry.location.clone(), Problem::ObsoleteSystemId));
    }
    if driver != "smpp" {
        return;
    }
    let port = smsc.get_int("port").unwrap_or(0);
    let receive_port = smsc.get_int("receive-port").unwrap_or(0);
    if port != 0 && receive_port != 0 {
        let at = smsc
            .entry("receive-port")
            .map(|e| e.location.clone())
            .unwrap_or_else(|| smsc.location.clone());
        let id = smsc
            .get("smsc-id")
            .map(|id| format!(" '{id}'"))
            .unwrap_or_default();
        out.push((
            at,
            Problem::PortAndReceivePort {
                id,
                port,
                receive_port,
            },
        ));
    } else if receive_port != 0
        && smsc.get_bool("transceiver-mode") == Some(true)
        && let Some(entry) = smsc.entry("receive-port")
    {
        out.push((entry.location.clone(), Problem::ReceivePortWithTransceiver));
    }
    let why = "; Kannel's smpp driver refuses to start without it";
    if smsc.get("host").is_none() {
        missing_key(smsc, "host", why, out);
    }
    if smsc.get("smsc-username").is_none() && smsc.get("system-id").is_none() {
        missing_key(smsc, "smsc-username", why, out);
    }
    if smsc.get("smsc-password").is_none() {
        missing_key(smsc, "smsc-password", why, out);
    }
    if smsc.get("system-type").is_none() {
        missing_key(
            smsc,
            "system-type",
            "; Kannel's smpp driver refuses to start without it (most SMSCs take 'VMA')",
            out,
        );
    }
    if let Some(entry) = smsc.entry("service-type")
        && entry.value.chars().count() > 6
    {
        out.push((
            entry.location.clone(),
            Problem::BadValue {
                key: "service-type".to_owned(),
                expected: "at most 6 characters (SMPP's limit)".to_owned(),
                found: entry.value.clone(),
            },
        ));
    }
}

fn smsbox(config: &Config, main: &Location, out: &mut Findings) {
    if config.single("core").is_none() {
        out.push((
            main.clone(),
            Problem::MissingGroup {
                group: "core".to_owned(),
                reader: "smsbox",
                detail: " (it reads 'smsbox-port' and the HTTP settings there)".to_owned(),
            },
        ));
    }
    if config.single("smsbox").is_none() {
        out.push((
            main.clone(),
            Problem::MissingGroup {
                group: "smsbox".to_owned(),
                reader: "smsbox",
                detail: String::new(),
            },
        ));
    }
    for user in config.multi("sendsms-user") {
        for key in ["username", "password"] {
            if user.get(key).is_none() {
                missing_key(
                    user,
                    key,
                    "; Kannel's smsbox refuses a sendsms-user without it",
                    out,
                );
            }
        }
    }
    for service in config.multi("sms-service") {
        if service.get("keyword").is_none() && service.get("keyword-regex").is_none() {
            out.push((
                service.location.clone(),
                Problem::MissingOneOf {
                    group: service.name.clone(),
                    keys: "'keyword' or 'keyword-regex'".to_owned(),
                    why: "; it says which messages the service answers".to_owned(),
                },
            ));
        }
        let actions = [
            "get-url", "url", "post-url", "post-xml", "file", "text", "exec",
        ];
        if !actions.iter().any(|a| service.get(a).is_some()) {
            out.push((
                service.location.clone(),
                Problem::MissingOneOf {
                    group: service.name.clone(),
                    keys: "'get-url', 'url', 'post-url', 'post-xml', 'file', 'text' or 'exec'"
                        .to_owned(),
                    why: "; it says what the service does".to_owned(),
                },
            ));
        }
    }
}

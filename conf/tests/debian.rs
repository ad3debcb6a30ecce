//! Debian's Kannel package as an oracle: its example configurations load,
//! and our schema lists exactly the groups and keys its `bearerbox -g`
//! prints (plus our own keys). CI installs the `kannel` package.

use std::path::{Path, PathBuf};
use std::process::Command;

use conf::schema::{self, Cardinality};
use conf::{LoadOptions, Reader};

const INSTALL: &str = "install Debian's Kannel package: apt-get install kannel";
const EXAMPLES: &str = "/usr/share/doc/kannel/examples";

fn require(path: &Path) {
    assert!(path.exists(), "{} is missing; {INSTALL}", path.display());
}

fn loads(path: &Path, reader: Reader) {
    require(path);
    if let Err(refused) = conf::load(path, reader, &LoadOptions::default()) {
        panic!("{} should load:\n{refused}", path.display());
    }
}

#[test]
fn debian_example_kannel_conf_loads_with_both_readers() {
    let path = Path::new(EXAMPLES).join("kannel.conf");
    loads(&path, Reader::Bearerbox);
    loads(&path, Reader::Smsbox);
}

#[test]
fn debian_installed_kannel_conf_loads_for_bearerbox() {
    // Debian's /etc/kannel/kannel.conf is a WAP set-up with no smsbox group,
    // so only bearerbox can start from it (as with Kannel).
    loads(Path::new("/etc/kannel/kannel.conf"), Reader::Bearerbox);
}

/// `modems.conf`, `dlr-*.conf` and `store-redis.conf` are fragments meant to
/// be included from a kannel.conf: each is loaded through a minimal core that
/// includes it and selects the storage it configures.
#[test]
fn debian_example_fragments_load_when_included_after_a_minimal_core() {
    let fragments: &[(&str, &str)] = &[
        ("modems.conf", ""),
        ("dlr-mysql.conf", "dlr-storage = mysql\n"),
        ("dlr-sqlite3.conf", "dlr-storage = sqlite3\n"),
        ("dlr-oracle.conf", "dlr-storage = oracle\n"),
        ("dlr-redis.conf", "dlr-storage = redis\n"),
        ("dlr-sdb.conf", "dlr-storage = sdb\n"),
        ("dlr-cassandra.conf", "dlr-storage = cassandra\n"),
        ("store-redis.conf", "store-type = redis\n"),
    ];
    for (fragment, core_line) in fragments {
        let path = PathBuf::from(EXAMPLES).join(fragment);
        require(&path);
        let wrapper = format!(
            "group = core\nadmin-port = 13000\nadmin-password = x\n{core_line}\ninclude = \"{}\"\n",
            path.display()
        );
        let result = conf::load_str(
            &wrapper,
            Path::new("wrapper.conf"),
            Reader::Bearerbox,
            &LoadOptions::default(),
        );
        if let Err(refused) = result {
            panic!("{fragment} should load:\n{refused}");
        }
    }
}

/// `(group, single?, keys)` as `bearerbox -g` prints them.
fn bearerbox_g() -> Vec<(String, bool, Vec<String>)> {
    let output = Command::new("/usr/sbin/bearerbox")
        .arg("-g")
        .output()
        .unwrap_or_else(|e| panic!("cannot run /usr/sbin/bearerbox -g ({e}); {INSTALL}"));
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let mut groups: Vec<(String, bool, Vec<String>)> = Vec::new();
    let mut single = false;
    for line in text.lines() {
        let line = line.trim();
        if line.contains("Single Group") {
            single = true;
        } else if line.contains("Multi Group") {
            single = false;
        } else if let Some((key, _)) = line.split_once(" = ") {
            if key == "group" {
                let name = line
                    .split_once(" = ")
                    .map(|(_, v)| v.to_owned())
                    .unwrap_or_default();
                groups.push((name, single, Vec::new()));
            } else if let Some(last) = groups.last_mut() {
                last.2.push(key.to_owned());
            }
        }
    }
    groups
}

#[test]
fn schema_lists_every_group_and_key_of_bearerbox_g() {
    let groups = bearerbox_g();
    assert!(
        groups.len() > 20,
        "bearerbox -g printed too little; {INSTALL}"
    );
    let ours = [
        ("sendsms-user", "credits"),
        ("sendsms-user", "refund-on-failure"),
        ("smsc", "cost"),
        ("smsc", "long-messages"),
        ("smsbox", "accounts-db"),
    ];
    for (name, single, keys) in &groups {
        let def = schema::group(name)
            .unwrap_or_else(|| panic!("group '{name}' is missing from the schema"));
        assert_eq!(
            def.cardinality == Cardinality::Single,
            *single,
            "cardinality of '{name}'"
        );
        for key in keys {
            assert!(
                def.key(key).is_some(),
                "key '{key}' of group '{name}' is missing from the schema"
            );
        }
        for key in def.keys {
            assert!(
                keys.iter().any(|k| k == key.name) || ours.contains(&(name.as_str(), key.name)),
                "schema key '{}' of '{name}' is not Kannel's and not one of ours",
                key.name
            );
        }
    }
    for def in schema::GROUPS {
        assert!(
            groups.iter().any(|(n, _, _)| n == def.name),
            "schema group '{}' is not Kannel's",
            def.name
        );
    }
}

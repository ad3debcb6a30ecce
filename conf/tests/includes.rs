//! `include = ...`: files, directories, relative and absolute paths, nesting,
//! missing targets and cycles, on scratch folders under the system temp dir.

use std::fs;
use std::path::{Path, PathBuf};

use conf::{Diagnostic, LoadOptions, Reader, Refused};

/// A fresh folder for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("conf-includes-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch folder can be created");
        Scratch(dir)
    }
    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("folder can be created");
        }
        fs::write(&path, text).expect("file can be written");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const CORE: &str = "group = core\nadmin-port = 13000\nadmin-password = x\n";

fn errors(r: Refused) -> Vec<String> {
    r.errors().map(Diagnostic::to_string).collect()
}

fn load(path: &Path, options: &LoadOptions) -> Result<conf::Loaded, Refused> {
    conf::load(path, Reader::Bearerbox, options)
}

#[test]
fn included_file_is_spliced_in_place() {
    let s = Scratch::new("file");
    s.write(
        "modems.conf",
        "group = modems\nid = a\n\ngroup = modems\nid = b\n",
    );
    let main = s.write(
        "kannel.conf",
        &format!("{CORE}\ninclude = \"modems.conf\"\n\ngroup = smsbox\n"),
    );
    let loaded = load(&main, &LoadOptions::default()).expect("loads");
    let ids: Vec<&str> = loaded
        .config
        .multi("modems")
        .filter_map(|g| g.get("id"))
        .collect();
    assert_eq!(ids, ["a", "b"]);
    let names: Vec<&str> = loaded
        .config
        .groups
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    assert_eq!(names, ["core", "modems", "modems", "smsbox"]);
    let modem = loaded.config.multi("modems").next().expect("a modem");
    assert!(modem.location.file.ends_with("modems.conf"));
    assert_eq!(modem.location.line, 1);
}

#[test]
fn directory_include_reads_every_file_sorted_by_name() {
    let s = Scratch::new("dir");
    s.write(
        "conf.d/20-b.conf",
        "group = smsc\nsmsc = fake\nsmsc-id = b\n",
    );
    s.write(
        "conf.d/10-a.conf",
        "group = smsc\nsmsc = fake\nsmsc-id = a\n",
    );
    s.write("conf.d/core", CORE);
    let main = s.write("kannel.conf", "include = conf.d\n");
    let loaded = load(&main, &LoadOptions::default()).expect("loads");
    let ids: Vec<&str> = loaded
        .config
        .multi("smsc")
        .filter_map(|g| g.get("smsc-id"))
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(loaded.config.single("core").is_some());
}

#[test]
fn relative_include_is_found_next_to_the_including_file() {
    let s = Scratch::new("relative");
    s.write("etc/modems.conf", "group = modems\nid = a\n");
    let main = s.write(
        "etc/kannel.conf",
        &format!("{CORE}\ninclude = \"./modems.conf\"\n"),
    );
    assert!(load(&main, &LoadOptions::default()).is_ok());
}

#[test]
fn absolute_include_is_rewritten_through_include_roots() {
    let s = Scratch::new("roots");
    s.write("etc/kannel/modems.conf", "group = modems\nid = a\n");
    let main = s.write(
        "etc/kannel/kannel.conf",
        &format!("{CORE}\ninclude = /etc/kannel//modems.conf\n"),
    );
    let options = LoadOptions {
        include_roots: vec![(PathBuf::from("/etc/kannel"), s.0.join("etc/kannel"))],
    };
    let loaded = load(&main, &options).expect("loads");
    assert_eq!(loaded.config.multi("modems").count(), 1);
}

#[test]
fn nested_includes_are_followed() {
    let s = Scratch::new("nested");
    s.write("a.conf", "include = b.conf\n");
    s.write("b.conf", "group = modems\nid = deep\n");
    let main = s.write("kannel.conf", &format!("{CORE}\ninclude = a.conf\n"));
    let loaded = load(&main, &LoadOptions::default()).expect("loads");
    assert_eq!(
        loaded
            .config
            .multi("modems")
            .next()
            .and_then(|g| g.get("id")),
        Some("deep")
    );
}

#[test]
fn missing_include_is_an_error_at_its_line() {
    let s = Scratch::new("missing");
    let main = s.write(
        "kannel.conf",
        &format!("{CORE}\ninclude = \"/etc/kannel/nope.conf\"\n"),
    );
    let errors = errors(load(&main, &LoadOptions::default()).expect_err("refused"));
    assert_eq!(
        errors,
        [format!(
            "{}:5: cannot include \"/etc/kannel/nope.conf\": no such file or directory (tried /etc/kannel/nope.conf)",
            main.display()
        )]
    );
}

#[test]
fn include_cycle_is_reported_with_its_chain() {
    let s = Scratch::new("cycle");
    let a = s.write("a.conf", "include = b.conf\n");
    let b = s.write("b.conf", "include = a.conf\n");
    let main = s.write("kannel.conf", &format!("{CORE}\ninclude = a.conf\n"));
    let errors = errors(load(&main, &LoadOptions::default()).expect_err("refused"));
    assert_eq!(
        errors,
        [format!(
            "{}:1: include cycle: {} -> {} -> {}",
            b.display(),
            a.display(),
            b.display(),
            a.display()
        )]
    );
}

#[test]
fn include_ends_the_current_group() {
    let s = Scratch::new("ends");
    s.write("empty.conf", "");
    let main = s.write(
        "kannel.conf",
        "group = core\nadmin-password = x\ninclude = empty.conf\nadmin-port = 1\n",
    );
    let errors = errors(load(&main, &LoadOptions::default()).expect_err("refused"));
    assert_eq!(
        errors[0],
        format!(
            "{}:4: 'admin-port' is outside any group: the include at line 3 ended group 'core' (an include ends the current group)",
            main.display()
        )
    );
}

#[test]
fn only_the_exact_include_key_includes() {
    let s = Scratch::new("quirk");
    let main = s.write(
        "kannel.conf",
        &format!("{CORE}\ngroup = smsc\nsmsc = fake\nsmsc-id = includeme\n"),
    );
    let loaded = load(&main, &LoadOptions::default()).expect("loads");
    assert_eq!(
        loaded
            .config
            .multi("smsc")
            .next()
            .and_then(|g| g.get("smsc-id")),
        Some("includeme")
    );
}

#[test]
fn unreadable_main_file_is_one_clear_error() {
    let s = Scratch::new("absent");
    let main = s.0.join("absent.conf");
    let errors = errors(load(&main, &LoadOptions::default()).expect_err("refused"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("cannot read the configuration"),
        "{errors:?}"
    );
}

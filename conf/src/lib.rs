//! The kannel.conf reader: reads what Kannel 1.4.5 reads, with its semantics,
//! and says clearly what is wrong, all at once.
//!
//! Both boxes call [`load`] with their [`Reader`]; a configuration either
//! [`Loaded`] (with warnings to log) or is [`Refused`] with every error found,
//! each as `file:line: message`.
//!
//! ```text
//!  kannel.conf ──syntax──▶ lines ──assemble (+ includes)──▶ groups
//!        ──check::schema (names, typed values)──▶ check::reader (what a box needs)
//!        ──▶ Loaded { config, warnings } | Refused { diagnostics }
//! ```
//!
//! # Layout
//!
//! - `syntax.rs`: one file's text to logical lines (comments, quoting,
//!   continuations), Kannel's `gwlib/cfg.c` rules.
//! - `include.rs`: where an `include = ...` points (roots, relative paths,
//!   directories).
//! - `assemble.rs`: lines to groups; a blank line or an include ends a group;
//!   follows includes and reports cycles.
//! - `schema.rs`: the declarative table of every group and key with its type
//!   (Kannel's `cfg.def` plus our keys).
//! - `value.rs`: typed values with Kannel's leniency (`strtol`, booleans, lists,
//!   ranges).
//! - `check.rs`: names and values against the schema, then each reader's
//!   start-up requirements.
//! - `diagnostic.rs`: the `Problem` enum (every message) and the
//!   did-you-mean distance.
//!
//! # Where we differ from Kannel 1.4.5, on purpose
//!
//! - Every error is reported, not only the first; each points at the faulty
//!   line (Kannel names the blank line that ends the faulty group).
//! - Only the exact key `include` includes (Kannel takes any line containing
//!   the word); a relative include is looked up next to the including file
//!   first, then in the working directory; a directory's files are read in
//!   name order (Kannel: readdir order).
//! - `group = NAME` always opens a new group, even without a blank line
//!   before it (Kannel would merge the two blocks).
//! - An integer with trailing garbage (`13x0`) is an error where Kannel reads
//!   13; digits followed by a `#` comment, an unrendered template and
//!   `speed = auto` keep Kannel's reading, with a warning where it helps.
//! - Start-up refusals of Kannel (missing admin keys, smpp `port` with
//!   `receive-port`, an unknown `dlr-storage` or driver) are load errors.
//!
//! # Trust
//!
//! The files are from outside: nothing in them can make the reader panic.
//! Values are kept as Kannel unquotes them; the typed getters read them again
//! with the same rules that validated them.

use std::fmt;
use std::path::{Path, PathBuf};

mod assemble;
mod check;
pub mod diagnostic;
mod include;
pub mod schema;
pub mod syntax;
pub mod value;

pub use diagnostic::Problem;
pub use value::NumberRange;

/// Where a line came from: the file as the user named it (or as an include
/// resolved it) and its 1-based line number (0: the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file.display())
        } else {
            write!(f, "{}:{}", self.file.display(), self.line)
        }
    }
}

/// How serious a finding is: errors refuse the configuration, warnings are
/// logged once and loading goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding, printed as `file:line: message`.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub location: Location,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Which process reads the configuration: each checks the groups and the
/// mandatory keys it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Bearerbox,
    Smsbox,
}

/// Options for loading.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `(prefix, replacement)` pairs applied to include paths as written, so
    /// that tests can stand a folder in for `/etc/kannel`. Meant for absolute
    /// paths; a relative prefix (`kannel`) maps a path Kannel would resolve
    /// from its working directory.
    pub include_roots: Vec<(PathBuf, PathBuf)>,
}

/// A configuration that loaded, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<Diagnostic>,
}

/// Every error of the configuration (never empty), plus its warnings.
#[derive(Debug, Clone)]
pub struct Refused {
    pub diagnostics: Vec<Diagnostic>,
}

impl Refused {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors().count();
        writeln!(f, "the configuration has {errors} error(s):")?;
        for d in &self.diagnostics {
            let tag = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            writeln!(f, "{d} ({tag})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refused {}

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone)]
pub struct Group {
    /// The group name as written after `group =`.
    pub name: String,
    /// The line of `group = ...`.
    pub location: Location,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    /// The value after Kannel's unquoting.
    pub value: String,
    pub location: Location,
}

/// Reads `path` and everything it includes, checks it for `reader`.
pub fn load(path: &Path, reader: Reader, options: &LoadOptions) -> Result<Loaded, Refused> {
    let mut assembler = assemble::Assembler::new(options);
    assembler.read_file(path, None);
    finish(assembler, path, reader)
}

/// Like [`load`], for text already in memory; `name` stands for its file
/// name in messages and relative includes.
pub fn load_str(
    text: &str,
    name: &Path,
    reader: Reader,
    options: &LoadOptions,
) -> Result<Loaded, Refused> {
    let mut assembler = assemble::Assembler::new(options);
    assembler.read_text(name, text);
    finish(assembler, name, reader)
}

fn finish(
    assembler: assemble::Assembler<'_>,
    main: &Path,
    reader: Reader,
) -> Result<Loaded, Refused> {
    let assemble::Assembled {
        groups,
        mut findings,
        orphans,
    } = assembler.finish();
    let unreadable = findings
        .iter()
        .any(|(at, p)| matches!(p, Problem::Unreadable { .. }) && at.file == main && at.line == 0);
    check::schema(&groups, &mut findings);
    check::orphans(&orphans, &mut findings);
    let config = Config { groups };
    // A main file that cannot be read has no groups: "no group 'core'" would
    // only repeat the first error.
    if !unreadable {
        let whole_file = Location {
            file: main.to_path_buf(),
            line: 0,
        };
        check::reader(&config, reader, &whole_file, &mut findings);
    }
    let diagnostics: Vec<Diagnostic> = findings
        .into_iter()
        .map(|(location, problem)| Diagnostic {
            severity: problem.severity(),
            location,
            message: problem.to_string(),
        })
        .collect();
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        Err(Refused { diagnostics })
    } else {
        Ok(Loaded {
            config,
            warnings: diagnostics,
        })
    }
}

impl Config {
    /// The last group of a single kind (`core`, `smsbox`, ...): Kannel keeps the last.
    pub fn single(&self, name: &str) -> Option<&Group> {
        self.groups.iter().rev().find(|g| g.name == name)
    }
    /// Every group of a multi kind (`smsc`, `sendsms-user`, ...) in file order.
    pub fn multi<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Group> + 'a {
        self.groups.iter().filter(move |g| g.name == name)
    }
}

impl Group {
    /// The last entry of a key: with a repeated key, the last wins.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.key == key)
    }
    /// The raw string value of a key; with a repeated key, the last wins.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entry(key).map(|e| e.value.as_str())
    }
    /// The integer Kannel reads (`strtol`, base 0); `None` when unset or
    /// holding no number (an unrendered template).
    pub fn get_int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(value::lenient_integer)
    }
    /// Kannel's boolean: `yes/true/on/1`, `no/false/off/0`, any other word true.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get(key).map(value::bool_value)
    }
    /// A `;`-separated list, items trimmed, empty items dropped.
    pub fn get_list(&self, key: &str) -> Option<Vec<&str>> {
        self.get(key).map(value::list)
    }
    /// A decimal number (`throughput`, `cost`).
    pub fn get_decimal(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(value::read_decimal)
    }
    /// Numbers and ranges such as `1-5;7`.
    pub fn get_range(&self, key: &str) -> Option<NumberRange> {
        self.get(key).and_then(NumberRange::parse)
    }
}

//! The kannel.conf reader.
//!
//! API contract shared by the binaries (the implementation fills it in; the
//! signatures below are what `bearerbox` and `smsbox` call).

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a line came from: the file as the user named it (or as an include
/// resolved it) and its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
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
    /// `(absolute prefix, replacement)` pairs applied to absolute include
    /// paths, so that tests can stand a folder in for `/etc/kannel`.
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

pub fn load(_path: &Path, _reader: Reader, _options: &LoadOptions) -> Result<Loaded, Refused> {
    unimplemented!("conf::load")
}

impl Config {
    /// The last group of a single kind (`core`, `smsbox`, ...): Kannel keeps the last.
    pub fn single(&self, _name: &str) -> Option<&Group> {
        unimplemented!()
    }
    /// Every group of a multi kind (`smsc`, `sendsms-user`, ...) in file order.
    pub fn multi<'a>(&'a self, _name: &'a str) -> impl Iterator<Item = &'a Group> + 'a {
        std::iter::empty()
    }
}

impl Group {
    /// The raw string value of a key; with a repeated key, the last wins.
    pub fn get(&self, _key: &str) -> Option<&str> {
        unimplemented!()
    }
    pub fn get_int(&self, _key: &str) -> Option<i64> {
        unimplemented!()
    }
    pub fn get_bool(&self, _key: &str) -> Option<bool> {
        unimplemented!()
    }
    /// A `;`-separated list, items trimmed, empty items dropped.
    pub fn get_list(&self, _key: &str) -> Option<Vec<&str>> {
        unimplemented!()
    }
}

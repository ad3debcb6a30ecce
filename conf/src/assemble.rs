//! Turns the lines of the main file and its includes into groups, following
//! Kannel's block rule: `group = NAME` opens a group and a blank line (or an
//! include, or the end of a file) closes it.

use std::path::{Path, PathBuf};

use crate::diagnostic::Problem;
use crate::syntax::{self, Line};
use crate::{Entry, Group, LoadOptions, Location};

/// Why no group is open, so that an orphan key can be explained.
#[derive(Debug, Clone)]
enum Closed {
    /// Nothing opened a group yet.
    Start,
    BlankLine {
        at: Location,
        group: String,
    },
    Include {
        at: Location,
        group: String,
    },
}

pub struct Assembled {
    pub groups: Vec<Group>,
    pub findings: Vec<(Location, Problem)>,
    pub orphans: Vec<(String, Entry)>,
}

pub struct Assembler<'a> {
    options: &'a LoadOptions,
    pub groups: Vec<Group>,
    pub findings: Vec<(Location, Problem)>,
    /// Keys outside any group, with the group a blank line or include ended
    /// before them: checked against that group so their typos show too.
    pub orphans: Vec<(String, Entry)>,
    current: Option<Group>,
    closed: Closed,
    /// The current run of orphan keys was already reported (once per run).
    orphan_reported: bool,
    /// Canonical paths of the files being read, for cycle detection, with
    /// the path shown to the user.
    stack: Vec<(PathBuf, PathBuf)>,
}

impl<'a> Assembler<'a> {
    pub fn new(options: &'a LoadOptions) -> Self {
        Assembler {
            options,
            groups: Vec::new(),
            findings: Vec::new(),
            orphans: Vec::new(),
            current: None,
            closed: Closed::Start,
            orphan_reported: false,
            stack: Vec::new(),
        }
    }

    pub fn read_file(&mut self, path: &Path, included_at: Option<&Location>) {
        match std::fs::read(path) {
            Ok(bytes) => {
                // Kannel is byte-oriented; a Latin-1 comment must not stop us.
                let text = String::from_utf8_lossy(&bytes);
                let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
                self.stack.push((canonical, path.to_path_buf()));
                self.read_text(path, &text);
                self.stack.pop();
            }
            Err(e) => {
                let at = included_at.cloned().unwrap_or_else(|| Location {
                    file: path.to_path_buf(),
                    line: 0,
                });
                self.findings.push((
                    at,
                    Problem::Unreadable {
                        reason: format!("{}: {e}", path.display()),
                    },
                ));
            }
        }
    }

    /// Reads text as if it were the file `path` (used for the main file and
    /// by `load_str`).
    pub fn read_text(&mut self, path: &Path, text: &str) {
        for line in syntax::lines(text) {
            match line {
                Line::Blank { line } => {
                    let at = Location {
                        file: path.to_path_buf(),
                        line,
                    };
                    self.close(|group| Closed::BlankLine { at, group });
                }
                Line::NoEquals { line, text } => {
                    self.findings.push((
                        Location {
                            file: path.to_path_buf(),
                            line,
                        },
                        Problem::NoEquals { text },
                    ));
                }
                Line::Pair { line, key, value } => {
                    let location = Location {
                        file: path.to_path_buf(),
                        line,
                    };
                    match key.as_str() {
                        "group" => {
                            self.close(|_| Closed::Start);
                            self.current = Some(Group {
                                name: value,
                                location,
                                entries: Vec::new(),
                            });
                        }
                        "include" => {
                            self.include(path, &value, &location);
                            self.close(|group| Closed::Include {
                                at: location,
                                group,
                            });
                        }
                        _ => self.entry(key, value, location),
                    }
                }
            }
        }
    }

    pub fn finish(mut self) -> Assembled {
        self.close(|_| Closed::Start);
        Assembled {
            groups: self.groups,
            findings: self.findings,
            orphans: self.orphans,
        }
    }

    /// Ends the open group, if any. `why` says what ended it; with no group
    /// open, the earlier reason stays, and a new orphan run may start.
    fn close(&mut self, why: impl FnOnce(String) -> Closed) {
        self.orphan_reported = false;
        if let Some(group) = self.current.take() {
            self.closed = why(group.name.clone());
            self.groups.push(group);
        }
    }

    fn entry(&mut self, key: String, value: String, location: Location) {
        if let Some(group) = self.current.as_mut() {
            group.entries.push(Entry {
                key,
                value,
                location,
            });
            return;
        }
        match &self.closed {
            Closed::BlankLine { group, .. } | Closed::Include { group, .. } => {
                self.orphans.push((
                    group.clone(),
                    Entry {
                        key: key.clone(),
                        value: value.clone(),
                        location: location.clone(),
                    },
                ));
            }
            Closed::Start => {}
        }
        if self.orphan_reported {
            return;
        }
        self.orphan_reported = true;
        let place = |at: &Location| {
            if at.file == location.file {
                format!("line {}", at.line)
            } else {
                at.to_string()
            }
        };
        let reason = match &self.closed {
            Closed::Start => "no 'group = ...' line comes before it".to_owned(),
            Closed::BlankLine { at, group } => format!(
                "the blank line at {} ended group '{group}' (Kannel ends a group at a blank line)",
                place(at)
            ),
            Closed::Include { at, group } => format!(
                "the include at {} ended group '{group}' (an include ends the current group)",
                place(at)
            ),
        };
        self.findings
            .push((location, Problem::OutsideGroup { key, reason }));
    }

    fn include(&mut self, including: &Path, written: &str, at: &Location) {
        let candidates =
            crate::include::candidates(written, including, &self.options.include_roots);
        let Some(target) = candidates.iter().find(|c| c.exists()) else {
            let tried = candidates
                .iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            self.findings.push((
                at.clone(),
                Problem::MissingInclude {
                    written: written.to_owned(),
                    reason: "no such file or directory".to_owned(),
                    tried,
                },
            ));
            return;
        };
        let files = match crate::include::files_of(target) {
            Ok(files) => files,
            Err(e) => {
                self.findings.push((
                    at.clone(),
                    Problem::MissingInclude {
                        written: written.to_owned(),
                        reason: e.to_string(),
                        tried: target.display().to_string(),
                    },
                ));
                return;
            }
        };
        for file in files {
            let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
            if let Some(start) = self.stack.iter().position(|(c, _)| *c == canonical) {
                let mut chain: Vec<String> = self.stack[start..]
                    .iter()
                    .map(|(_, shown)| shown.display().to_string())
                    .collect();
                chain.push(file.display().to_string());
                self.findings.push((
                    at.clone(),
                    Problem::IncludeCycle {
                        chain: chain.join(" -> "),
                    },
                ));
                continue;
            }
            self.read_file(&file, Some(at));
        }
    }
}

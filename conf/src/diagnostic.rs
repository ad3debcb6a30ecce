//! Everything the reader can find wrong, as one `thiserror` enum whose
//! `Display` is the message a sysadmin reads after `file:line: `.

use thiserror::Error;

use crate::Severity;

#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum Problem {
    // --- reading files -------------------------------------------------
    #[error("cannot read the configuration: {reason}")]
    Unreadable { reason: String },
    #[error("cannot include {written:?}: {reason} (tried {tried})")]
    MissingInclude {
        written: String,
        reason: String,
        tried: String,
    },
    #[error("include cycle: {chain}")]
    IncludeCycle { chain: String },

    // --- syntax ----------------------------------------------------------
    #[error("expected 'key = value', a comment or a blank line, got {text:?} (no '=')")]
    NoEquals { text: String },
    #[error("'{key}' is outside any group: {reason}")]
    OutsideGroup { key: String, reason: String },

    // --- names -----------------------------------------------------------
    #[error("unknown group '{name}'{hint}")]
    UnknownGroup { name: String, hint: String },
    #[error("group '{group}' has no key '{key}'{hint}")]
    UnknownKey {
        group: String,
        key: String,
        hint: String,
    },

    // --- values ----------------------------------------------------------
    #[error("'{key}' must be {expected}, got {found:?}")]
    BadValue {
        key: String,
        expected: String,
        found: String,
    },
    #[error("'{key}' is read as {number}; the rest ({rest:?}) is ignored, as Kannel does")]
    NumberThenComment {
        key: String,
        number: i64,
        rest: String,
    },
    #[error("'{key}' holds the unrendered template {found:?}; it counts as unset, as in Kannel")]
    TemplateNumber { key: String, found: String },
    #[error("'{key}' is empty; it counts as unset")]
    EmptyNumber { key: String },
    #[error(
        "'{key}' should be a boolean (yes/no/true/false/on/off/1/0), got {found:?}; taken as true, as Kannel does"
    )]
    StrangeBoolean { key: String, found: String },
    #[error(
        "'{key}' item {item:?} is not an IP address pattern (like 127.0.0.1 or 192.168.*.*); it matches no address"
    )]
    NotAnIpPattern { key: String, item: String },

    // --- groups ----------------------------------------------------------
    #[error("group '{name}' is read and ignored: this gateway serves SMS only{}", if *count > 1 { format!(" ({count} such groups)") } else { String::new() })]
    IgnoredGroup { name: String, count: usize },
    #[error("group '{name}' is given again (first at {first}); the last one wins, as in Kannel")]
    SingleGroupAgain { name: String, first: String },

    // --- what each box needs ---------------------------------------------
    #[error("no group '{group}': {reader} needs one{detail}")]
    MissingGroup {
        group: String,
        reader: &'static str,
        detail: String,
    },
    #[error("group '{group}' has no '{key}'{why}")]
    MissingKey {
        group: String,
        key: String,
        why: String,
    },
    #[error("group '{group}' needs one of {keys}{why}")]
    MissingOneOf {
        group: String,
        keys: String,
        why: String,
    },
    #[error(
        "'smsbox-port' is set but there is no group 'smsbox'; Kannel refuses this (add a 'group = smsbox', even an empty one)"
    )]
    SmsboxPortWithoutSmsbox,
    #[error(
        "smpp group{id} sets both 'port' ({port}) and 'receive-port' ({receive_port}); Kannel 1.4.5 refuses this: use one group with 'port' and another with 'receive-port'"
    )]
    PortAndReceivePort {
        id: String,
        port: i64,
        receive_port: i64,
    },
    #[error("'dlr-storage = {storage}' needs {what}")]
    DlrStorageIncomplete { storage: String, what: String },
    #[error("'system-id' is obsolete; use 'smsc-username' (Kannel warns the same)")]
    ObsoleteSystemId,
    #[error("'store-file' is deprecated; use 'store-type = file' and 'store-location'")]
    DeprecatedStoreFile,
    #[error("'receive-port' is ignored with 'transceiver-mode' on (Kannel warns the same)")]
    ReceivePortWithTransceiver,
}

impl Problem {
    pub fn severity(&self) -> Severity {
        match self {
            Problem::NumberThenComment { .. }
            | Problem::TemplateNumber { .. }
            | Problem::EmptyNumber { .. }
            | Problem::StrangeBoolean { .. }
            | Problem::NotAnIpPattern { .. }
            | Problem::IgnoredGroup { .. }
            | Problem::SingleGroupAgain { .. }
            | Problem::ObsoleteSystemId
            | Problem::DeprecatedStoreFile
            | Problem::ReceivePortWithTransceiver => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// Optimal string alignment distance: Levenshtein plus adjacent swaps, so
/// `admin-prot` is one edit away from `admin-port`.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// The known name closest to `wanted`, if it is close enough to be a typo.
pub fn nearest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wanted.chars().count() / 3).max(2);
    known
        .into_iter()
        .map(|k| {
            // A case slip is the likeliest typo of all.
            let d = if k.eq_ignore_ascii_case(wanted) {
                0
            } else {
                distance(wanted, k)
            };
            (d, k)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_letters_are_one_edit() {
        assert_eq!(distance("admin-prot", "admin-port"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn nearest_ignores_names_too_far_away() {
        let known = ["admin-port", "admin-password", "smsbox-port"];
        assert_eq!(nearest("admin-prot", known), Some("admin-port"));
        assert_eq!(nearest("frobnicate", known), None);
        assert_eq!(nearest("SMSC", ["smsc", "core"]), Some("smsc"));
    }
}

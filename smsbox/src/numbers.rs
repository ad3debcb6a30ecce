//! Number filters shared by sendsms users, the smsbox group and
//! sms-services: prefix lists (`allowed-prefix = "+46;0046"`), their regex
//! forms, and white/black lists.
//!
//! Kannel fetches `white-list`/`black-list` from a URL at start; here they
//! name a local file (plain path or `file://`), one number per line, which
//! covers the common setup without a network fetch during start-up.

use std::fs;

use regex::Regex;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum FilterError {
    #[error("{location}: '{key}' is not a valid regular expression: {error}")]
    Regex {
        location: String,
        key: String,
        error: regex::Error,
    },
    #[error("{location}: '{key}' names {path:?}, which cannot be read: {error}")]
    List {
        location: String,
        key: String,
        path: String,
        error: std::io::Error,
    },
}

/// One allow/deny pair of prefixes, regexes and lists, as configured under
/// `allowed_key`/`denied_key` and their `-regex` forms.
#[derive(Debug, Clone, Default)]
pub struct NumberFilter {
    allowed_prefixes: Option<Vec<String>>,
    denied_prefixes: Vec<String>,
    allowed_regex: Option<Regex>,
    denied_regex: Option<Regex>,
    white_list: Option<Vec<String>>,
    black_list: Vec<String>,
    white_regex: Option<Regex>,
    black_regex: Option<Regex>,
}

/// The keys a filter is read from; services use the receiver pair too.
pub struct FilterKeys {
    pub allowed: &'static str,
    pub denied: &'static str,
    pub lists: bool,
}

pub const SENDER_KEYS: FilterKeys = FilterKeys {
    allowed: "allowed-prefix",
    denied: "denied-prefix",
    lists: true,
};
pub const RECEIVER_KEYS: FilterKeys = FilterKeys {
    allowed: "allowed-receiver-prefix",
    denied: "denied-receiver-prefix",
    lists: false,
};

pub fn prefix_list(text: &str) -> Vec<String> {
    text.split([';', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn regex(group: &conf::Group, key: &str) -> Result<Option<Regex>, FilterError> {
    group
        .get(key)
        .map(|text| {
            Regex::new(text).map_err(|error| FilterError::Regex {
                location: location(group, key),
                key: key.to_string(),
                error,
            })
        })
        .transpose()
}

fn location(group: &conf::Group, key: &str) -> String {
    bearerbox::process::listen::location_of(group, key)
}

fn number_list(group: &conf::Group, key: &str) -> Result<Option<Vec<String>>, FilterError> {
    let Some(target) = group.get(key) else {
        return Ok(None);
    };
    let path = target.strip_prefix("file://").unwrap_or(target);
    let text = fs::read_to_string(path).map_err(|error| FilterError::List {
        location: location(group, key),
        key: key.to_string(),
        path: path.to_string(),
        error,
    })?;
    Ok(Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect(),
    ))
}

impl NumberFilter {
    pub fn from_group(group: &conf::Group, keys: &FilterKeys) -> Result<NumberFilter, FilterError> {
        let (white_list, black_list, white_regex, black_regex) = if keys.lists {
            (
                number_list(group, "white-list")?,
                number_list(group, "black-list")?.unwrap_or_default(),
                regex(group, "white-list-regex")?,
                regex(group, "black-list-regex")?,
            )
        } else {
            (None, Vec::new(), None, None)
        };
        Ok(NumberFilter {
            allowed_prefixes: group.get(keys.allowed).map(prefix_list),
            denied_prefixes: group.get(keys.denied).map(prefix_list).unwrap_or_default(),
            allowed_regex: regex(group, &format!("{}-regex", keys.allowed))?,
            denied_regex: regex(group, &format!("{}-regex", keys.denied))?,
            white_list,
            black_list,
            white_regex,
            black_regex,
        })
    }

    /// Whether `number` passes every configured rule.
    pub fn allows(&self, number: &str) -> bool {
        if self
            .denied_prefixes
            .iter()
            .any(|p| number.starts_with(p.as_str()))
        {
            return false;
        }
        if self
            .denied_regex
            .as_ref()
            .is_some_and(|r| r.is_match(number))
        {
            return false;
        }
        if let Some(allowed) = &self.allowed_prefixes
            && !allowed.iter().any(|p| number.starts_with(p.as_str()))
        {
            return false;
        }
        if self
            .allowed_regex
            .as_ref()
            .is_some_and(|r| !r.is_match(number))
        {
            return false;
        }
        if self.black_list.iter().any(|n| n == number)
            || self
                .black_regex
                .as_ref()
                .is_some_and(|r| r.is_match(number))
        {
            return false;
        }
        if self
            .white_list
            .as_ref()
            .is_some_and(|l| !l.iter().any(|n| n == number))
            || self
                .white_regex
                .as_ref()
                .is_some_and(|r| !r.is_match(number))
        {
            return false;
        }
        true
    }
}

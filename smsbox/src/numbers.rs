//! Number filters shared by sendsms users, the smsbox group and
//! sms-services: prefix lists (`allowed-prefix = "+46;0046"`), their regex
//! forms, and white/black lists.
//!
//! `white-list` and `black-list` name a URL, as in Kannel: the list is
//! fetched once at start (through [`ListLoader`], which `main` backs with
//! the HTTP client) and parsed like Kannel's `numhash_create`. A list that
//! cannot be had refuses the start: Kannel would log "Cannot load numhash!"
//! and run without the list, which lets a black-listed number through.
//!
//! What Kannel does with a list, kept here:
//! - the answer must be `200` with content type `text/plain`;
//! - one number per line; blanks before it and `#` comment lines are
//!   skipped; digits are kept, spaces, `+` and `-` ignored, anything else
//!   ends the number; a line without digits is ignored;
//! - numbers compare by the value of their last 19 digits (`numhash`'s
//!   precision), so `+4670000001`, `004670000001` and `4670000001` are the
//!   same number.
//!
//! One difference: Kannel drops a last line that has no newline after it;
//! here it counts, so that a list saved without a final newline does not
//! lose its last number.

use std::collections::HashSet;

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
    #[error("{location}: '{key}' could not be loaded from {url:?}: {reason}")]
    List {
        location: String,
        key: String,
        url: String,
        reason: String,
    },
}

/// What a list URL answered.
#[derive(Debug, Clone)]
pub struct ListReply {
    pub status: u16,
    /// The `Content-Type` header as sent, parameters included.
    pub content_type: String,
    pub body: Vec<u8>,
}

/// Fetches the URL of a `white-list` or `black-list`; the error says why
/// it could not (connection refused, timeout, bad URL ...).
pub trait ListLoader {
    fn load(&mut self, url: &str) -> Result<ListReply, String>;
}

impl<F: FnMut(&str) -> Result<ListReply, String>> ListLoader for F {
    fn load(&mut self, url: &str) -> Result<ListReply, String> {
        self(url)
    }
}

/// For commands that never filter a number (`smsbox credits`): lists are
/// not fetched and the filters built keep none.
pub struct SkipLists;

impl ListLoader for SkipLists {
    fn load(&mut self, _url: &str) -> Result<ListReply, String> {
        Ok(ListReply {
            status: 200,
            content_type: "text/plain".into(),
            body: Vec::new(),
        })
    }
}

/// Kannel's `numhash` precision: numbers compare by their last 19 digits.
const PRECISION: usize = 19;

/// `strtoll` on the last 19 characters, as Kannel's `numhash_get_key`:
/// leading blanks and one sign are taken, digits until the first other
/// character, 0 when there are none; too large saturates.
fn numhash_key(number: &str) -> i64 {
    let bytes = number.as_bytes();
    let tail = &bytes[bytes.len().saturating_sub(PRECISION)..];
    let mut rest = tail
        .iter()
        .copied()
        .skip_while(u8::is_ascii_whitespace)
        .peekable();
    let negative = match rest.peek() {
        Some(b'-') => {
            rest.next();
            true
        }
        Some(b'+') => {
            rest.next();
            false
        }
        _ => false,
    };
    let mut value: i64 = 0;
    for digit in rest.take_while(u8::is_ascii_digit) {
        value = value
            .saturating_mul(10)
            .saturating_add(i64::from(digit - b'0'));
    }
    if negative { -value } else { value }
}

/// A white or black list, as Kannel's numhash keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberList {
    keys: HashSet<i64>,
}

impl NumberList {
    /// Parses a list's body, line by line as `numhash_create` does.
    pub fn parse(body: &[u8]) -> NumberList {
        let mut keys = HashSet::new();
        for line in body.split(|b| *b == b'\n') {
            let line = match line.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(start) => &line[start..],
                None => continue,
            };
            if line.first() == Some(&b'#') {
                continue;
            }
            let digits: String = line
                .iter()
                .copied()
                .take_while(|b| b.is_ascii_digit() || matches!(b, b' ' | b'+' | b'-'))
                .filter(u8::is_ascii_digit)
                .map(char::from)
                .collect();
            if digits.is_empty() {
                log::warn!(
                    "number list: line {:?} has no number, ignored",
                    String::from_utf8_lossy(line)
                );
                continue;
            }
            keys.insert(numhash_key(&digits));
        }
        NumberList { keys }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Kannel's `numhash_find_number`: a negative key is never listed.
    pub fn contains(&self, number: &str) -> bool {
        let key = numhash_key(number);
        key >= 0 && self.keys.contains(&key)
    }
}

/// One allow/deny pair of prefixes, regexes and lists, as configured under
/// `allowed_key`/`denied_key` and their `-regex` forms.
#[derive(Debug, Clone, Default)]
pub struct NumberFilter {
    allowed_prefixes: Option<Vec<String>>,
    denied_prefixes: Vec<String>,
    allowed_regex: Option<Regex>,
    denied_regex: Option<Regex>,
    white_list: Option<NumberList>,
    black_list: Option<NumberList>,
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

/// Fetches and parses the list `key` names, if it is set.
fn number_list(
    group: &conf::Group,
    key: &str,
    loader: &mut dyn ListLoader,
) -> Result<Option<NumberList>, FilterError> {
    let Some(url) = group.get(key).map(str::trim) else {
        return Ok(None);
    };
    let refused = |reason: String| FilterError::List {
        location: location(group, key),
        key: key.to_string(),
        url: url.to_string(),
        reason,
    };
    let reply = loader.load(url).map_err(refused)?;
    if reply.status != 200 {
        return Err(refused(format!(
            "the answer was HTTP {}, expected 200",
            reply.status
        )));
    }
    let mime = reply.content_type.split(';').next().unwrap_or("").trim();
    // Kannel compares exactly, so "TEXT/PLAIN" would fail there too.
    if mime != "text/plain" {
        return Err(refused(format!(
            "the content type was {:?}, expected \"text/plain\"",
            reply.content_type
        )));
    }
    let list = NumberList::parse(&reply.body);
    log::info!("{key} from {url}: {} number(s)", list.len());
    Ok(Some(list))
}

impl NumberFilter {
    pub fn from_group(
        group: &conf::Group,
        keys: &FilterKeys,
        loader: &mut dyn ListLoader,
    ) -> Result<NumberFilter, FilterError> {
        let (white_list, black_list, white_regex, black_regex) = if keys.lists {
            (
                number_list(group, "white-list", loader)?,
                number_list(group, "black-list", loader)?,
                regex(group, "white-list-regex")?,
                regex(group, "black-list-regex")?,
            )
        } else {
            (None, None, None, None)
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
    ///
    /// Allowed and denied prefixes (and, apart, their regexes) are a pair, as
    /// Kannel's `check_allowed_translation` reads them: alone, an allowed
    /// list must match and a denied list must not; together, the allowed
    /// list wins, and a number is refused only when it matches the denied
    /// list and not the allowed one (so a number in neither passes).
    pub fn allows(&self, number: &str) -> bool {
        let allowed = self
            .allowed_prefixes
            .as_ref()
            .map(|list| list.iter().any(|p| number.starts_with(p.as_str())));
        let denied = (!self.denied_prefixes.is_empty()).then(|| {
            self.denied_prefixes
                .iter()
                .any(|p| number.starts_with(p.as_str()))
        });
        if !pair_allows(allowed, denied) {
            return false;
        }
        let allowed = self.allowed_regex.as_ref().map(|r| r.is_match(number));
        let denied = self.denied_regex.as_ref().map(|r| r.is_match(number));
        if !pair_allows(allowed, denied) {
            return false;
        }
        if self.black_list.as_ref().is_some_and(|l| l.contains(number))
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
            .is_some_and(|l| !l.contains(number))
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

/// One allowed/denied pair: `Some(matched)` for each side configured.
fn pair_allows(allowed: Option<bool>, denied: Option<bool>) -> bool {
    match (allowed, denied) {
        (Some(allowed), None) => allowed,
        (None, Some(denied)) => !denied,
        (Some(allowed), Some(denied)) => allowed || !denied,
        (None, None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_and_denied_prefixes_pair_up_as_in_kannel() {
        // allowed alone, denied alone, both (allowed wins; in neither passes).
        assert!(pair_allows(Some(true), None));
        assert!(!pair_allows(Some(false), None));
        assert!(!pair_allows(None, Some(true)));
        assert!(pair_allows(None, Some(false)));
        assert!(pair_allows(Some(true), Some(true)));
        assert!(!pair_allows(Some(false), Some(true)));
        assert!(pair_allows(Some(false), Some(false)));
    }

    #[test]
    fn a_list_is_parsed_line_by_line_as_kannels_numhash() {
        let list = NumberList::parse(
            b"# customers\n  +46 7000-0001\n004670000002\r\nnot a number\n\n4670000003x9\n4670000004",
        );
        assert_eq!(list.len(), 4);
        for listed in ["4670000001", "+4670000001", "004670000001", "4670000002"] {
            assert!(list.contains(listed), "{listed}");
        }
        assert!(
            list.contains("4670000003"),
            "digits stop at the first other character"
        );
        assert!(
            list.contains("4670000004"),
            "a last line without newline counts"
        );
        assert!(!list.contains("4670000009"));
        assert!(!list.contains("46700000"));
    }

    #[test]
    fn numbers_compare_by_their_last_19_digits() {
        assert_eq!(numhash_key("1234567890123456789012"), 4567890123456789012);
        assert_eq!(numhash_key("+46"), 46);
        assert_eq!(numhash_key("abc"), 0);
        assert_eq!(numhash_key("-5"), -5);
        let list = NumberList::parse(b"5\n");
        assert!(!list.contains("-5"), "a negative key is never listed");
    }

    fn group(text: &str) -> Result<conf::Config, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("k.conf");
        std::fs::write(&path, text)?;
        conf::load(&path, conf::Reader::Smsbox, &conf::LoadOptions::default())
            .map(|loaded| loaded.config)
            .map_err(|refused| {
                let lines: Vec<String> = refused.errors().map(ToString::to_string).collect();
                lines.join("\n").into()
            })
    }

    #[test]
    fn a_list_that_cannot_be_had_names_its_key_and_line() -> Result<(), Box<dyn std::error::Error>>
    {
        let config = group(
            "group = core\nsmsbox-port = 13001\n\ngroup = smsbox\nbearerbox-host = localhost\n\ngroup = sendsms-user\nusername = u\npassword = p\nwhite-list = http://lists/white\n",
        )?;
        let user = config.multi("sendsms-user").next().ok_or("no group")?;
        let answers = [
            (Err("connection refused".to_string()), "connection refused"),
            (
                Ok(ListReply {
                    status: 404,
                    content_type: "text/plain".into(),
                    body: Vec::new(),
                }),
                "the answer was HTTP 404, expected 200",
            ),
            (
                Ok(ListReply {
                    status: 200,
                    content_type: "text/html".into(),
                    body: Vec::new(),
                }),
                "the content type was \"text/html\", expected \"text/plain\"",
            ),
        ];
        for (answer, reason) in answers {
            let mut loader = |_: &str| answer.clone();
            let error = NumberFilter::from_group(user, &SENDER_KEYS, &mut loader)
                .err()
                .ok_or("the filter was built")?
                .to_string();
            assert!(
                error.ends_with(&format!(
                    ":10: 'white-list' could not be loaded from \"http://lists/white\": {reason}"
                )),
                "{error}"
            );
        }
        let mut loader = |url: &str| {
            assert_eq!(url, "http://lists/white");
            Ok(ListReply {
                status: 200,
                content_type: "text/plain; charset=us-ascii".into(),
                body: b"4670000001\n".to_vec(),
            })
        };
        let filter = NumberFilter::from_group(user, &SENDER_KEYS, &mut loader)?;
        assert!(filter.allows("+4670000001"));
        assert!(!filter.allows("4670000002"));
        Ok(())
    }
}

//! Typed reading of values, with the leniency real kannel.conf files rely on.
//!
//! Kannel reads integers with `strtol` and ignores what follows the digits,
//! so `max-messages = 0   # comment` is 0, and a value with no digits at all
//! (an unrendered `${LOG_LEVEL}`) counts as unset. We keep both, saying so in
//! a warning, but refuse a typo such as `13x0` that Kannel would read as 13.

use std::ops::RangeInclusive;

/// What reading an integer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntReading {
    Number(i64),
    /// Digits followed by a `#` comment Kannel ignores.
    NumberThenComment(i64, String),
    /// A template marker (`${VAR}`, `{{x}}`, `<%= x %>`, `<placeholder>`) that
    /// was never rendered: Kannel counts it as unset.
    Template,
    /// An empty value: unset.
    Empty,
    /// Anything else: a typo.
    Invalid,
}

/// C `strtol` with base 0: optional blanks and sign, `0x` hexadecimal,
/// leading `0` octal. Returns the number and the unread rest, or `None`
/// when no digit was read.
pub fn strtol(text: &str) -> Option<(i64, &str)> {
    let s = text.trim_start();
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if (s.starts_with("0x") || s.starts_with("0X"))
        && s[2..].starts_with(|c: char| c.is_ascii_hexdigit())
    {
        (16, &s[2..])
    } else if s.starts_with('0') {
        (8, s)
    } else {
        (10, s)
    };
    let end = digits
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let (number, rest) = digits.split_at(end);
    // strtol saturates on overflow; so do we.
    let magnitude = i64::from_str_radix(number, radix).unwrap_or(i64::MAX);
    Some((if negative { -magnitude } else { magnitude }, rest))
}

pub fn looks_like_template(value: &str) -> bool {
    value.contains("${")
        || value.contains("{{")
        || value.contains("<%")
        || (value.starts_with('<') && value.ends_with('>'))
}

pub fn read_integer(value: &str) -> IntReading {
    let value = value.trim();
    if value.is_empty() {
        return IntReading::Empty;
    }
    match strtol(value) {
        Some((n, rest)) => {
            let rest = rest.trim();
            if rest.is_empty() {
                IntReading::Number(n)
            } else if rest.starts_with('#') {
                IntReading::NumberThenComment(n, rest.to_owned())
            } else {
                IntReading::Invalid
            }
        }
        None if looks_like_template(value) => IntReading::Template,
        None => IntReading::Invalid,
    }
}

/// The integer Kannel would use, or `None` where Kannel sees no number.
pub fn lenient_integer(value: &str) -> Option<i64> {
    strtol(value).map(|(n, _)| n)
}

/// What reading a boolean found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolReading {
    Known(bool),
    /// Kannel takes any other word as true, with a warning.
    Strange,
}

pub fn read_bool(value: &str) -> BoolReading {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => BoolReading::Known(true),
        "false" | "no" | "off" | "0" => BoolReading::Known(false),
        _ => BoolReading::Strange,
    }
}

pub fn bool_value(value: &str) -> bool {
    match read_bool(value) {
        BoolReading::Known(b) => b,
        BoolReading::Strange => true,
    }
}

/// A `;`-separated list: items trimmed, empty items dropped.
pub fn list(value: &str) -> Vec<&str> {
    value
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

pub fn read_decimal(value: &str) -> Option<f64> {
    let v = value.trim();
    // Only plain decimal notation: `inf`, `NaN` and `1e3` are not prices or rates.
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+');
    if plain { v.parse::<f64>().ok() } else { None }
}

/// Whether an item of an IP list can ever match an address: four dotted
/// parts, each a number up to 255 or `*`.
pub fn is_ip_pattern(item: &str) -> bool {
    let parts: Vec<&str> = item.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| *p == "*" || (!p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok()))
}

/// Numbers and inclusive ranges, e.g. `1-5;7`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NumberRange {
    pub parts: Vec<RangeInclusive<i64>>,
}

impl NumberRange {
    pub fn parse(value: &str) -> Option<NumberRange> {
        let mut parts = Vec::new();
        for item in list(value) {
            let range = match item.split_once('-') {
                Some((low, high)) => {
                    let low = low.trim().parse::<i64>().ok()?;
                    let high = high.trim().parse::<i64>().ok()?;
                    if low > high {
                        return None;
                    }
                    low..=high
                }
                None => {
                    let n = item.parse::<i64>().ok()?;
                    n..=n
                }
            };
            parts.push(range);
        }
        if parts.is_empty() {
            None
        } else {
            Some(NumberRange { parts })
        }
    }

    pub fn contains(&self, n: i64) -> bool {
        self.parts.iter().any(|r| r.contains(&n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtol_reads_hex_octal_and_sign_like_c() {
        assert_eq!(strtol("0x03"), Some((3, "")));
        assert_eq!(strtol("010"), Some((8, "")));
        assert_eq!(strtol("-1"), Some((-1, "")));
        assert_eq!(strtol("0"), Some((0, "")));
        assert_eq!(strtol("13x0"), Some((13, "x0")));
        assert_eq!(strtol("abc"), None);
        assert_eq!(strtol("0x"), Some((0, "x")));
    }

    #[test]
    fn integer_followed_by_a_comment_keeps_the_number() {
        assert_eq!(
            read_integer("0   # '0' No return"),
            IntReading::NumberThenComment(0, "# '0' No return".to_owned())
        );
    }

    #[test]
    fn unrendered_template_markers_count_as_unset() {
        for v in ["${LOG_LEVEL}", "{{port}}", "<%= port %>", "<smsc-port>"] {
            assert_eq!(read_integer(v), IntReading::Template, "{v}");
        }
    }

    #[test]
    fn typo_in_an_integer_is_invalid() {
        assert_eq!(read_integer("13x0"), IntReading::Invalid);
        assert_eq!(read_integer("auto"), IntReading::Invalid);
    }

    #[test]
    fn booleans_take_kannel_spellings_in_any_case() {
        for v in ["YES", "true", "On", "1"] {
            assert_eq!(read_bool(v), BoolReading::Known(true));
        }
        for v in ["no", "FALSE", "off", "0"] {
            assert_eq!(read_bool(v), BoolReading::Known(false));
        }
        assert_eq!(read_bool("maybe"), BoolReading::Strange);
        assert!(bool_value("maybe"));
    }

    #[test]
    fn number_range_reads_ranges_and_single_numbers() {
        let r = NumberRange::parse("1-5; 7").expect("valid range");
        assert!(r.contains(3) && r.contains(7) && !r.contains(6));
        assert_eq!(NumberRange::parse("5-1"), None);
        assert_eq!(NumberRange::parse("a"), None);
    }

    #[test]
    fn ip_patterns_allow_a_star_per_octet() {
        assert!(is_ip_pattern("127.0.0.1"));
        assert!(is_ip_pattern("192.168.*.*"));
        assert!(!is_ip_pattern("localhost"));
        assert!(!is_ip_pattern("0.0.0.0/0"));
        assert!(!is_ip_pattern("\\*.\\*.\\*.\\*"));
    }
}

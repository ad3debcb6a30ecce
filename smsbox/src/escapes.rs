//! Kannel's `%` escapes in sms-service patterns and dlr-urls (user guide
//! table 7-10): `%k %s %S %r %a %b %e %t %T %p %P %q %Q %i %I %d %A %R %D
//! %F %n %c %C %m %M %O %u %B %o %f %v %V %%` and `%#group#key#`.
//!
//! Values are URL-encoded (except `%S`), as Kannel substitutes them, so a
//! pattern is safe to use as a URL. `%p` is the message's receiver and `%P`
//! its sender: the MO side passes the reply it is building (receiver = the
//! handset), a DLR carries the MT's own addresses, which gives Kannel's
//! meanings in both cases. An unknown escape is left as it stands.

use box_protocol::encoding::ucs2;
use box_protocol::message::{Coding, Sms};
use chrono::{DateTime, Utc};

use crate::urlcode::{encode, encode_into, hex};

/// The message a pattern is expanded for.
pub struct Context<'a> {
    pub sms: &'a Sms,
    /// The text as Unicode (UCS-2 decoded), for word splitting.
    pub text: &'a str,
    /// Service name or sendsms username for `%n`.
    pub name: &'a str,
    /// Seconds now, for `%v`/`%V` (minutes from now).
    pub now: i64,
}

fn bytes(field: &Option<Vec<u8>>) -> &[u8] {
    field.as_deref().unwrap_or_default()
}

fn int(field: Option<i32>) -> String {
    field.unwrap_or(-1).to_string()
}

fn international(number: &[u8]) -> String {
    match number.strip_prefix(b"00") {
        Some(rest) => encode(&[b"+", rest].concat()),
        None => encode(number),
    }
}

fn coding_value(sms: &Sms) -> Option<i32> {
    sms.coding.map(|c| match c {
        Coding::SevenBit => 0,
        Coding::EightBit => 1,
        Coding::Ucs2 => 2,
        Coding::Unrecognized(u) => u.raw(),
    })
}

/// The DCS value, Kannel's `fields_to_dcs` for the common cases.
fn dcs(sms: &Sms) -> u8 {
    let coding = match coding_value(sms) {
        Some(1) => 0x04,
        Some(2) => 0x08,
        _ => 0x00,
    };
    let class = match sms.mclass {
        Some(class @ 0..=3) => 0x10 | class as u8,
        _ => 0,
    };
    if sms.alt_dcs == Some(1) {
        0xF0 | (coding & 0x04) | sms.mclass.map_or(0, |c| (c & 3) as u8)
    } else {
        coding | class | if sms.compress == Some(1) { 0x20 } else { 0 }
    }
}

/// One value of the meta-data, `?group?k=v&k2=v2&?group2?…`, decoded.
fn meta_value(meta: &[u8], group: &str, key: &str) -> Option<Vec<u8>> {
    let raw = meta_raw(meta, group.as_bytes(), key.as_bytes())?;
    crate::urlcode::decode(raw, "meta-data").ok()
}

/// One value of the meta-data as it stands, still URL-encoded.
pub(crate) fn meta_raw<'m>(meta: &'m [u8], group: &[u8], key: &[u8]) -> Option<&'m [u8]> {
    let mut sections = meta.split(|&b| b == b'?').skip(1);
    while let Some(name) = sections.next() {
        let pairs = sections.next().unwrap_or_default();
        if name != group {
            continue;
        }
        for pair in pairs.split(|&b| b == b'&') {
            if let Some(value) = pair
                .strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(b"="))
            {
                return Some(value);
            }
        }
    }
    None
}

/// The number of `%s`/`%S` in a pattern, and whether it has `%r` or `%a`:
/// Kannel's word-count rule for choosing a service.
pub fn word_demand(pattern: &str) -> (usize, bool) {
    let mut count = 0;
    let mut open_ended = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('s' | 'S') => count += 1,
                Some('r' | 'a') => open_ended = true,
                _ => {}
            }
        }
    }
    (count, open_ended)
}

/// Expands every escape of `pattern` for `context`.
pub fn expand(pattern: &str, context: &Context<'_>) -> String {
    let sms = context.sms;
    let words = || context.text.split_whitespace();
    let mut next_word = 1;
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(code) = after.chars().next() else {
            out.push('%');
            rest = "";
            break;
        };
        rest = &after[code.len_utf8()..];
        // The values most templates carry are encoded straight into `out`;
        // the rest are short and made on their own.
        let value: String = match code {
            'k' => {
                encode_into(&mut out, words().next().unwrap_or_default().as_bytes());
                continue;
            }
            's' => {
                let word = words().nth(next_word).unwrap_or_default();
                next_word += 1;
                encode_into(&mut out, word.as_bytes());
                continue;
            }
            'S' => {
                let word = words().nth(next_word).unwrap_or_default();
                next_word += 1;
                word.replace('*', "~")
            }
            'r' | 'a' => {
                let skip = if code == 'r' { next_word } else { 0 };
                for (n, word) in words().skip(skip).enumerate() {
                    if n > 0 {
                        out.push('+');
                    }
                    encode_into(&mut out, word.as_bytes());
                }
                continue;
            }
            'e' => hex(bytes(&sms.msgdata)),
            't' => {
                let time = DateTime::<Utc>::from_timestamp(i64::from(sms.time.unwrap_or(0)), 0)
                    .unwrap_or_default();
                time.format("%Y-%m-%d+%H:%M:%S").to_string()
            }
            'T' => int(sms.time),
            'q' => international(bytes(&sms.receiver)),
            'Q' => international(bytes(&sms.sender)),
            'I' => sms.id.to_string(),
            'd' => int(sms.dlr_mask),
            'A' => match sms.coding {
                Some(Coding::Ucs2) => encode(ucs2::decode_lossy(bytes(&sms.msgdata)).as_bytes()),
                _ => {
                    encode_into(&mut out, bytes(&sms.msgdata));
                    continue;
                }
            },
            'n' => {
                encode_into(&mut out, context.name.as_bytes());
                continue;
            }
            'c' => int(coding_value(sms)),
            'C' => match sms.charset.as_deref() {
                Some(charset) if !charset.is_empty() => encode(charset),
                _ => match coding_value(sms) {
                    Some(1) => "8-BIT".into(),
                    Some(2) => "UTF-16BE".into(),
                    _ => "UTF-8".into(),
                },
            },
            'm' => int(sms.mclass),
            'M' => int(sms.mwi),
            'O' => format!("{:02}", dcs(sms)),
            'v' => sms.validity.map_or("-1".into(), |v| {
                ((i64::from(v) - context.now) / 60).to_string()
            }),
            'V' => sms.deferred.map_or("-1".into(), |v| {
                ((i64::from(v) - context.now) / 60).to_string()
            }),
            '%' => "%".into(),
            '#' => {
                let mut pieces = rest.splitn(3, '#');
                match (pieces.next(), pieces.next(), pieces.next()) {
                    (Some(group), Some(key), Some(tail)) => {
                        rest = tail;
                        meta_value(bytes(&sms.meta_data), group, key)
                            .map(|v| encode(&v))
                            .unwrap_or_default()
                    }
                    _ => "%#".into(),
                }
            }
            other => match field(sms, other) {
                Some(field) => {
                    encode_into(&mut out, field);
                    continue;
                }
                None => format!("%{other}"),
            },
        };
        out.push_str(&value);
    }
    out.push_str(rest);
    out
}

/// The message field an escape copies as it is, URL-encoded.
fn field(sms: &Sms, code: char) -> Option<&[u8]> {
    let field = match code {
        'b' => &sms.msgdata,
        'p' => &sms.receiver,
        'P' => &sms.sender,
        'i' => &sms.smsc_id,
        'R' => &sms.dlr_url,
        'D' => &sms.meta_data,
        'F' => &sms.foreign_id,
        'u' => &sms.udhdata,
        'B' => &sms.binfo,
        'o' => &sms.account,
        'f' => &sms.smsc_number,
        _ => return None,
    };
    Some(bytes(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mo() -> Sms {
        let mut sms = Sms::new_mo(
            "12345".as_bytes(),
            "+467000001".as_bytes(),
            "esc one*two three  four".as_bytes(),
            Coding::SevenBit,
            "A".as_bytes(),
        );
        sms.time = Some(1_795_634_208);
        sms
    }

    #[test]
    fn words_and_addresses_expand_as_kannel_documents() {
        let sms = mo();
        let context = Context {
            sms: &sms,
            text: "esc one*two three  four",
            name: "esc",
            now: 0,
        };
        assert_eq!(expand("%k|%s|%S|%r", &context), "esc|one*two|three|four");
        assert_eq!(expand("%a", &context), "esc+one*two+three+four");
        assert_eq!(expand("%b", &context), "esc+one*two+three++four");
        assert_eq!(
            expand("%p %P %i %c %d %m %O", &context),
            "%2B467000001 12345 A 0 -1 -1 00"
        );
        assert_eq!(expand("%t %T", &context), "2026-11-25+19:16:48 1795634208");
        assert_eq!(expand("100%% %x", &context), "100% %x");
    }

    #[test]
    fn words_that_are_missing_expand_to_nothing() {
        let sms = mo();
        let context = Context {
            sms: &sms,
            text: "one",
            name: "x",
            now: 0,
        };
        assert_eq!(expand("[%k][%s][%S][%r]", &context), "[one][][][]");
        let empty = Context {
            text: "",
            ..context
        };
        assert_eq!(expand("[%k][%a][%r]", &empty), "[][][]");
    }

    #[test]
    fn fields_copied_as_they_are_are_url_encoded() {
        let mut sms = mo();
        sms.udhdata = Some(vec![0x05, 0x00, 0x03]);
        sms.account = Some(b"acc/1".to_vec());
        sms.binfo = None;
        let context = Context {
            sms: &sms,
            text: "",
            name: "a b",
            now: 0,
        };
        assert_eq!(
            expand("%u|%o|%B|%n|%i|%e", &context),
            "%05%00%03|acc%2F1||a+b|A|657363206F6E652A74776F2074687265652020666F7572"
        );
    }

    #[test]
    fn the_word_rule_counts_s_and_sees_open_patterns() {
        assert_eq!(word_demand("http://x/?a=%s&b=%S"), (2, false));
        assert_eq!(word_demand("http://x/?a=%s&r=%r"), (1, true));
    }
}

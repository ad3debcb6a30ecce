//! The line reader: Kannel's `gwlib/cfg.c` rules for one file's text, before
//! any meaning is given to group names or keys.

/// One logical line (continuations already joined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Empty or only whitespace: ends the current group.
    Blank { line: u32 },
    /// `key = value`, both trimmed, the value unquoted.
    Pair {
        line: u32,
        key: String,
        value: String,
    },
    /// A line with no `=`; `text` is the trimmed line.
    NoEquals { line: u32, text: String },
}

/// Splits a file's text into logical lines. Comment lines vanish (they do
/// not end a group); `line` is the 1-based number of the first physical line.
pub fn lines(text: &str) -> Vec<Line> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        // `trim` also takes the CR of CRLF files and tabs, as Kannel's
        // octstr_strip_blanks does.
        let trimmed = raw.trim();
        let (start, mut joined) = match pending.take() {
            Some((start, mut so_far)) => {
                so_far.push_str(trimmed);
                (start, so_far)
            }
            None => (number, trimmed.to_owned()),
        };
        if joined.ends_with('\\') && !joined.ends_with("\\\\") {
            joined.pop();
            pending = Some((start, joined));
            continue;
        }
        if let Some(line) = classify(start, &joined) {
            out.push(line);
        }
    }
    // A continuation on the last line has nothing to join: keep what it had.
    if let Some((start, joined)) = pending
        && let Some(line) = classify(start, &joined)
    {
        out.push(line);
    }
    // A file ending in a newline has an empty last piece that is no line.
    if (text.is_empty() || text.ends_with('\n'))
        && let Some(Line::Blank { .. }) = out.last()
    {
        out.pop();
    }
    out
}

fn classify(line: u32, text: &str) -> Option<Line> {
    if text.is_empty() {
        return Some(Line::Blank { line });
    }
    if text.starts_with('#') {
        return None;
    }
    match text.split_once('=') {
        Some((key, value)) => Some(Line::Pair {
            line,
            key: key.trim().to_owned(),
            value: unquote(value.trim()),
        }),
        None => Some(Line::NoEquals {
            line,
            text: text.to_owned(),
        }),
    }
}

/// Kannel's unquoting: only a value that both starts and ends with `"` is
/// quoted, and inside it only `\"` and `\\` are escapes; every other
/// backslash stays, as do single, curly and angle quotes.
pub fn unquote(value: &str) -> String {
    let inner = match value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(inner) => inner,
        None => return value.to_owned(),
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && (next == '"' || next == '\\')
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// The inverse of `unquote` for any value: quoted so that reading it back
/// gives the same text.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(line: u32, key: &str, value: &str) -> Line {
        Line::Pair {
            line,
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn hash_later_in_a_value_is_part_of_the_value() {
        assert_eq!(
            lines("smsc-id = value # x\n"),
            vec![pair(1, "smsc-id", "value # x")]
        );
        assert_eq!(
            lines("keyword = #notifications"),
            vec![pair(1, "keyword", "#notifications")]
        );
    }

    #[test]
    fn indented_hash_line_is_a_comment_and_does_not_end_a_group() {
        assert_eq!(
            lines("a = 1\n   # note\nb = 2\n"),
            vec![pair(1, "a", "1"), pair(3, "b", "2")]
        );
    }

    #[test]
    fn whitespace_only_line_is_blank() {
        assert_eq!(
            lines("a = 1\n \t\r\nb = 2"),
            vec![
                pair(1, "a", "1"),
                Line::Blank { line: 2 },
                pair(3, "b", "2")
            ]
        );
    }

    #[test]
    fn crlf_and_tabs_are_trimmed() {
        assert_eq!(
            lines("group\t= modems \r\n"),
            vec![pair(1, "group", "modems")]
        );
    }

    #[test]
    fn only_double_quotes_around_the_whole_value_are_quotes() {
        assert_eq!(unquote("\"a b\""), "a b");
        assert_eq!(unquote("'CTM'"), "'CTM'");
        assert_eq!(unquote("“x”"), "“x”");
        assert_eq!(unquote("« *.*.*.* »"), "« *.*.*.* »");
        assert_eq!(unquote("\"GSM"), "\"GSM");
        assert_eq!(unquote("\"x\" #c"), "\"x\" #c");
        assert_eq!(unquote("\""), "\"");
    }

    #[test]
    fn only_quote_and_backslash_escapes_are_unescaped() {
        assert_eq!(unquote(r#""a\"b\\c\n\*""#), r#"a"b\c\n\*"#);
        assert_eq!(unquote(r#"\*.\*"#), r#"\*.\*"#);
    }

    #[test]
    fn trailing_backslash_continues_the_line_but_a_double_one_does_not() {
        assert_eq!(
            lines("get-url = http://x/\\\n?a=1\n"),
            vec![pair(1, "get-url", "http://x/?a=1")]
        );
        assert_eq!(
            lines("a = x\\\\\nb = y"),
            vec![pair(1, "a", "x\\\\"), pair(2, "b", "y")]
        );
    }

    #[test]
    fn line_without_equals_is_reported_with_its_text() {
        assert_eq!(
            lines("EOL"),
            vec![Line::NoEquals {
                line: 1,
                text: "EOL".to_owned()
            }]
        );
    }

    #[test]
    fn value_may_contain_equals_signs() {
        assert_eq!(
            lines("get-url = http://x/?a=1&b=2"),
            vec![pair(1, "get-url", "http://x/?a=1&b=2")]
        );
    }
}

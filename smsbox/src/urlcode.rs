//! URL encoding both ways: strict decoding of what HTTP clients send (a
//! malformed `%` escape is an error, not a literal, so a client learns about
//! its bug instead of sending garbage), and Kannel's encoding of the values
//! it substitutes into service and dlr-url URLs.

use std::borrow::Cow;

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlDecodeError {
    #[error("malformed %-encoding at byte {offset} of {what}")]
    BadEscape { what: String, offset: usize },
}

/// Decodes `%XX` escapes and `+` (a space, as HTML forms send it).
pub fn decode(input: &[u8], what: &str) -> Result<Vec<u8>, UrlDecodeError> {
    let mut out = Vec::with_capacity(input.len());
    let mut done = 0;
    // Runs without an escape are copied whole.
    while let Some(found) = input[done..].iter().position(|&b| b == b'%' || b == b'+') {
        let at = done + found;
        out.extend_from_slice(&input[done..at]);
        if input[at] == b'+' {
            out.push(b' ');
            done = at + 1;
            continue;
        }
        let byte = input
            .get(at + 1..at + 3)
            .and_then(|pair| Some(hex_digit(pair[0])? << 4 | hex_digit(pair[1])?));
        match byte {
            Some(byte) => out.push(byte),
            None => {
                return Err(UrlDecodeError::BadEscape {
                    what: what.to_string(),
                    offset: at,
                });
            }
        }
        done = at + 3;
    }
    out.extend_from_slice(&input[done..]);
    Ok(out)
}

fn hex_digit(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Splits `a=1&b=2` into decoded pairs, in order. A name without `=` has an
/// empty value, as CGI libraries read it.
pub fn parse_query(query: &[u8]) -> Result<Vec<(String, Vec<u8>)>, UrlDecodeError> {
    let mut pairs = Vec::new();
    for_each_pair(query, |name, value| pairs.push((name.to_owned(), value)))?;
    Ok(pairs)
}

/// What [`parse_query`] gives, one pair at a time, without a `String` for
/// each name (a name without escapes is lent from the query).
pub fn for_each_pair(
    query: &[u8],
    mut each: impl FnMut(&str, Vec<u8>),
) -> Result<(), UrlDecodeError> {
    for piece in query.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (raw_name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &[][..]),
        };
        let decoded;
        let name = match std::str::from_utf8(raw_name) {
            Ok(plain) if !raw_name.iter().any(|&b| b == b'%' || b == b'+') => Cow::Borrowed(plain),
            _ => {
                decoded = decode(raw_name, "a parameter name")?;
                String::from_utf8_lossy(&decoded)
            }
        };
        // The error names its parameter; built only when there is one.
        let value = decode(value, "").map_err(|UrlDecodeError::BadEscape { offset, .. }| {
            UrlDecodeError::BadEscape {
                what: format!("parameter '{name}'"),
                offset,
            }
        })?;
        each(&name, value);
    }
    Ok(())
}

/// Kannel's URL encoding (`octstr_url_encode`): letters, digits and
/// `-_.*` stay, a space becomes `+`, everything else `%XX`.
pub fn encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    encode_into(&mut out, input);
    out
}

const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// [`encode`], appending to `out`: URL templates are expanded into one string.
pub fn encode_into(out: &mut String, input: &[u8]) {
    out.reserve(input.len());
    for &byte in input {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX_DIGITS[usize::from(byte >> 4)] as char);
                out.push(HEX_DIGITS[usize::from(byte & 0x0f)] as char);
            }
        }
    }
}

/// Uppercase hex, as `%e` and the X-Kannel-UDH header carry bytes.
pub fn hex(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len() * 2);
    for &byte in input {
        out.push(HEX_DIGITS[usize::from(byte >> 4)] as char);
        out.push(HEX_DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

/// Reads hex digits back into bytes; `None` for odd length or a non-digit.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_or_non_hex_escape_is_an_error() {
        assert!(decode(b"abc%4", "x").is_err());
        assert!(decode(b"abc%zz", "x").is_err());
        assert!(decode(b"%+F", "x").is_err(), "a sign is no hex digit");
        assert!(decode(b"%-1", "x").is_err());
        assert_eq!(decode(b"a+b%41", "x"), Ok(b"a bA".to_vec()));
        assert_eq!(
            decode(b"ok%4", "x"),
            Err(UrlDecodeError::BadEscape {
                what: "x".into(),
                offset: 2
            })
        );
    }

    #[test]
    fn every_octet_survives_encoding_and_decoding() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(encode(&all).as_bytes(), "x"), Ok(all));
        assert_eq!(decode(b"%e2%82%AC+%25", "x"), Ok("€ %".as_bytes().to_vec()));
    }

    #[test]
    fn names_are_decoded_too_and_an_error_names_its_parameter() {
        let pairs = parse_query(b"us%65r=a&na+me=b&%ff=c").unwrap_or_default();
        let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["user", "na me", "\u{fffd}"]);
        let error = parse_query(b"to=1&text=50%").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("malformed %-encoding at byte 2 of parameter 'text'")
        );
    }

    #[test]
    fn encoding_keeps_kannels_safe_set_and_turns_spaces_into_plus() {
        assert_eq!(encode(b"esc one*two"), "esc+one*two");
        assert_eq!(encode(b"+46/"), "%2B46%2F");
    }

    #[test]
    fn queries_split_into_decoded_pairs() {
        let pairs = parse_query(b"to=1+2&text=a%20b&flag").unwrap_or_default();
        assert_eq!(
            pairs,
            vec![
                ("to".to_string(), b"1 2".to_vec()),
                ("text".to_string(), b"a b".to_vec()),
                ("flag".to_string(), Vec::new()),
            ]
        );
    }
}

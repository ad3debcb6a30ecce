//! URL encoding both ways: strict decoding of what HTTP clients send (a
//! malformed `%` escape is an error, not a literal, so a client learns about
//! its bug instead of sending garbage), and Kannel's encoding of the values
//! it substitutes into service and dlr-url URLs.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlDecodeError {
    #[error("malformed %-encoding at byte {offset} of {what}")]
    BadEscape { what: String, offset: usize },
}

/// Decodes `%XX` escapes and `+` (a space, as HTML forms send it).
pub fn decode(input: &[u8], what: &str) -> Result<Vec<u8>, UrlDecodeError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => {
                let hex = input.get(i + 1..i + 3).and_then(|pair| {
                    let text = std::str::from_utf8(pair).ok()?;
                    u8::from_str_radix(text, 16).ok()
                });
                match hex {
                    Some(byte) => out.push(byte),
                    None => {
                        return Err(UrlDecodeError::BadEscape {
                            what: what.to_string(),
                            offset: i,
                        });
                    }
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// Splits `a=1&b=2` into decoded pairs, in order. A name without `=` has an
/// empty value, as CGI libraries read it.
pub fn parse_query(query: &[u8]) -> Result<Vec<(String, Vec<u8>)>, UrlDecodeError> {
    let mut pairs = Vec::new();
    for piece in query.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &[][..]),
        };
        let name = decode(name, "a parameter name")?;
        let name = String::from_utf8(name)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
        // The error names its parameter; built only when there is one.
        let value = decode(value, "").map_err(|UrlDecodeError::BadEscape { offset, .. }| {
            UrlDecodeError::BadEscape {
                what: format!("parameter '{name}'"),
                offset,
            }
        })?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// Kannel's URL encoding (`octstr_url_encode`): letters, digits and
/// `-_.*` stay, a space becomes `+`, everything else `%XX`.
pub fn encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len() * 3);
    for &byte in input {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Uppercase hex, as `%e` and the X-Kannel-UDH header carry bytes.
pub fn hex(input: &[u8]) -> String {
    input.iter().map(|b| format!("{b:02X}")).collect()
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
        assert_eq!(decode(b"a+b%41", "x"), Ok(b"a bA".to_vec()));
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

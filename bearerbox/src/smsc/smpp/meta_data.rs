//! Kannel's message meta-data: `?group?key=value&key2=value2&?group2?...`, keys and values
//! URL-encoded, as the `meta-data` field of an `sms` carries it between the boxes and the
//! SMSC drivers. SMPP reads and writes the `smpp` group (user guide, appendix H).
//!
//! ```text
//!  "?smpp?my_tlv=Hello+World&?other?x=1&" ──values(_, "smpp")──▶ [("my_tlv", b"Hello World")]
//!  [("my_tlv", b"a&b")] ──group("smpp", _)──▶ "?smpp?my_tlv=a%26b&"
//! ```

use crate::urlcode::encode as url_encode;

/// The pairs of `group` in `meta`, decoded, in their order. Pairs without `=` and groups with
/// other names are skipped; a repeated group adds its pairs.
pub fn values(meta: &[u8], group: &str) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut sections = meta.split(|&b| b == b'?').skip(1);
    // Sections alternate: a group name, then its pairs.
    while let Some(name) = sections.next() {
        let pairs = sections.next().unwrap_or_default();
        if url_decode(name) != group.as_bytes() {
            continue;
        }
        for pair in pairs.split(|&b| b == b'&') {
            let Some(eq) = pair.iter().position(|&b| b == b'=') else {
                continue;
            };
            let (key, value) = (&pair[..eq], &pair[eq + 1..]);
            if key.is_empty() {
                continue;
            }
            found.push((
                String::from_utf8_lossy(&url_decode(key)).into_owned(),
                url_decode(value),
            ));
        }
    }
    found
}

/// One group written as Kannel writes it: every pair followed by `&`. Empty without pairs,
/// so a message with nothing to say carries no meta-data.
pub fn group(name: &str, pairs: &[(String, Vec<u8>)]) -> Vec<u8> {
    if pairs.is_empty() {
        return Vec::new();
    }
    let mut out = format!("?{}?", url_encode(name.as_bytes()));
    for (key, value) in pairs {
        out.push_str(&url_encode(key.as_bytes()));
        out.push('=');
        out.push_str(&url_encode(value));
        out.push('&');
    }
    out.into_bytes()
}

/// `+` is a space, `%XX` an octet; a `%` not followed by two hex digits stays as it is, as
/// Kannel leaves it.
pub fn url_decode(bytes: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), v.to_vec()))
            .collect()
    }

    #[test]
    fn the_user_guides_example_reads_as_one_smpp_pair() {
        assert_eq!(
            values(b"?smpp?my-data=Hello+World", "smpp"),
            pairs(&[("my-data", b"Hello World")])
        );
    }

    #[test]
    fn only_the_asked_group_is_read_and_every_section_of_it() {
        let meta = b"?orig_msg?dlr_mask=3&?smpp?a=1&b=%41%2b&?smpp?c=&";
        assert_eq!(
            values(meta, "smpp"),
            pairs(&[("a", b"1"), ("b", b"A+"), ("c", b"")])
        );
        assert_eq!(values(meta, "orig_msg"), pairs(&[("dlr_mask", b"3")]));
        assert!(values(b"", "smpp").is_empty());
        assert!(values(b"no group at all", "smpp").is_empty());
    }

    #[test]
    fn a_group_is_written_as_kannel_writes_it() {
        assert_eq!(
            group("smpp", &pairs(&[("my_tlv", b"a b&c"), ("n", b"42")])),
            b"?smpp?my_tlv=a+b%26c&n=42&".to_vec()
        );
        assert!(group("smpp", &[]).is_empty());
    }

    #[test]
    fn binary_values_survive_the_round_trip() {
        let value: Vec<u8> = (0u8..=255).collect();
        let written = group("smpp", &pairs(&[("bin", &value)]));
        assert_eq!(values(&written, "smpp"), pairs(&[("bin", &value)]));
    }

    #[test]
    fn a_stray_percent_is_kept() {
        assert_eq!(url_decode(b"100%"), b"100%");
        assert_eq!(url_decode(b"%4"), b"%4");
        assert_eq!(url_decode(b"%zz"), b"%zz");
    }
}

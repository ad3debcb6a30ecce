//! Kannel's URL encoding (`octstr_url_encode`), as its HTTP supplier
//! requests, its status pages and its meta-data write text: letters, digits
//! and `-_.!~*'()` as they are, a space as `+`, every other octet as `%XX`
//! in upper case. Pure.

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &byte in bytes {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_stay_space_is_plus_the_rest_is_upper_hex() {
        assert_eq!(encode(b"aZ09-_.!~*'()"), "aZ09-_.!~*'()");
        assert_eq!(encode(b"a b&c=\xff"), "a+b%26c%3D%FF");
    }
}

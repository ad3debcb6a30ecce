//! Kannel's `dlr_err`: the network error a delivery receipt carries, put into the report's
//! `?smpp?` meta-data as three octets (SMPP 5.0 §4.8.4.42: network type, then the error code
//! in two octets), as Kannel 1.4.5's `handle_dlr` does.
//!
//! ```text
//!  network_error_code TLV (3 octets)              ──▶ dlr_err = the TLV as it came
//!  else the receipt text, Kannel's full form      ──▶ dlr_err = 03 hi lo   (err:NNN as a number)
//!  else any "err:" in the text                    ──▶ dlr_err = 03 00 00
//!  else                                           ──▶ none
//! ```
//!
//! Type 3 is GSM: Kannel assumes it for lack of anything better. The text is read with the
//! same pattern Kannel's `sscanf` uses, so an SMSC whose receipt text differs from the usual
//! form gets the same (zero) code it gets from Kannel.

use super::meta_data;

/// The octets of `dlr_err` for a receipt with this `network_error_code` TLV (`None` when
/// absent or not 3 octets long: Kannel drops such a TLV) and this text.
pub fn dlr_err(network_error_code: Option<&[u8]>, text: &[u8]) -> Option<Vec<u8>> {
    if let Some(code) = network_error_code.filter(|code| code.len() == 3) {
        return Some(code.to_vec());
    }
    // Kannel reads the text as a C string.
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let err = match full_form_err(text) {
        Some(err) => err,
        None if contains(text, b"err:") => 0,
        None => return None,
    };
    let [_, _, hi, lo] = err.to_be_bytes();
    Some(vec![3, hi, lo])
}

/// The `?smpp?` meta-data of a receipt: `dlr_err` first, then the configured TLVs of the PDU
/// (`pairs`), none of which replaces `dlr_err`. Empty when there is neither.
pub fn report_meta_data(dlr_err: Option<&[u8]>, pairs: Vec<(String, Vec<u8>)>) -> Vec<u8> {
    let mut all: Vec<(String, Vec<u8>)> = dlr_err
        .map(|err| ("dlr_err".to_owned(), err.to_vec()))
        .into_iter()
        .collect();
    all.extend(pairs.into_iter().filter(|(name, _)| name != "dlr_err"));
    meta_data::group("smpp", &all)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The number after `err:` when the whole text reads as Kannel's
/// `id:%64[^ ] sub:%d dlvrd:%d submit date:%14[0-9] done date:%14[0-9] stat:%15[^ ] err:%3[^ ]`;
/// an `err:` value that does not start with a number reads as 0, as `sscanf("%d")` leaves it.
fn full_form_err(text: &[u8]) -> Option<i32> {
    let mut scan = Scanner { rest: text };
    scan.literal("id:")?;
    scan.set(64, |b| b != b' ')?;
    scan.literal(" sub:")?;
    scan.int()?;
    scan.literal(" dlvrd:")?;
    scan.int()?;
    scan.literal(" submit date:")?;
    scan.set(14, |b| b.is_ascii_digit())?;
    scan.literal(" done date:")?;
    scan.set(14, |b| b.is_ascii_digit())?;
    scan.literal(" stat:")?;
    scan.set(15, |b| b != b' ')?;
    scan.literal(" err:")?;
    let err = scan.set(3, |b| b != b' ')?;
    Some(Scanner { rest: err }.int().unwrap_or(0))
}

/// Just enough of `sscanf` for the receipt pattern.
struct Scanner<'a> {
    rest: &'a [u8],
}

impl<'a> Scanner<'a> {
    fn skip_space(&mut self) {
        let n = self
            .rest
            .iter()
            .take_while(|b| b" \t\n\x0b\x0c\r".contains(b))
            .count();
        self.rest = self.rest.get(n..).unwrap_or_default();
    }

    /// A space in the pattern takes any run of white space, none included; anything else
    /// must be there as it is.
    fn literal(&mut self, pattern: &str) -> Option<()> {
        for &expected in pattern.as_bytes() {
            if expected == b' ' {
                self.skip_space();
                continue;
            }
            let (&first, rest) = self.rest.split_first()?;
            if first != expected {
                return None;
            }
            self.rest = rest;
        }
        Some(())
    }

    /// `%N[...]`: one to `max` octets of the set.
    fn set(&mut self, max: usize, member: impl Fn(u8) -> bool) -> Option<&'a [u8]> {
        let n = self
            .rest
            .iter()
            .take(max)
            .take_while(|&&b| member(b))
            .count();
        if n == 0 {
            return None;
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(taken)
    }

    /// `%d`: white space, a sign, digits; wraps as a C int would on overflow, which no
    /// receipt reaches.
    fn int(&mut self) -> Option<i32> {
        self.skip_space();
        let (negative, after_sign) = match self.rest.split_first() {
            Some((b'-', rest)) => (true, rest),
            Some((b'+', rest)) => (false, rest),
            _ => (false, self.rest),
        };
        let digits = after_sign.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        let value = after_sign
            .get(..digits)
            .unwrap_or_default()
            .iter()
            .fold(0i32, |n, &d| {
                n.wrapping_mul(10).wrapping_add(i32::from(d - b'0'))
            });
        self.rest = after_sign.get(digits..).unwrap_or_default();
        Some(if negative {
            value.wrapping_neg()
        } else {
            value
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &[u8] = b"id:MID1 sub:001 dlvrd:000 submit date:2611251900 done date:2611251901 \
        stat:UNDELIV err:034 text:hello";

    #[test]
    fn the_network_error_code_tlv_is_the_dlr_err_as_it_came() {
        assert_eq!(
            dlr_err(Some(&[1, 0x01, 0x2c]), FULL),
            Some(vec![1, 0x01, 0x2c])
        );
    }

    #[test]
    fn a_network_error_code_of_the_wrong_length_is_ignored_and_the_text_read() {
        assert_eq!(dlr_err(Some(&[1, 2]), FULL), Some(vec![3, 0, 34]));
    }

    #[test]
    fn the_err_of_a_full_receipt_text_is_a_gsm_error_in_two_octets() {
        assert_eq!(dlr_err(None, FULL), Some(vec![3, 0, 34]));
        let big =
            b"id:7 sub:1 dlvrd:0 submit date:2611251900 done date:2611251901 stat:UNDELIV err:300";
        assert_eq!(dlr_err(None, big), Some(vec![3, 0x01, 0x2c]));
    }

    #[test]
    fn an_err_that_is_not_a_number_counts_as_zero() {
        let text =
            b"id:7 sub:1 dlvrd:0 submit date:2611251900 done date:2611251901 stat:UNDELIV err:X1";
        assert_eq!(dlr_err(None, text), Some(vec![3, 0, 0]));
    }

    #[test]
    fn a_text_of_another_form_with_an_err_gives_zero_as_kannel_does() {
        assert_eq!(
            dlr_err(None, b"id:ABC stat:UNDELIV err:034"),
            Some(vec![3, 0, 0])
        );
    }

    #[test]
    fn a_receipt_without_error_information_has_no_dlr_err() {
        assert_eq!(dlr_err(None, b"id:ABC stat:DELIVRD"), None);
        assert_eq!(dlr_err(None, b""), None);
    }

    #[test]
    fn the_text_ends_at_a_nul_as_a_c_string() {
        assert_eq!(dlr_err(None, b"id:ABC stat:DELIVRD\0 err:001"), None);
    }

    #[test]
    fn the_meta_data_has_dlr_err_first_and_no_tlv_replaces_it() {
        let pairs = vec![
            ("my_tlv".to_owned(), b"a b".to_vec()),
            ("dlr_err".to_owned(), b"x".to_vec()),
        ];
        assert_eq!(
            report_meta_data(Some(&[3, 0, 34]), pairs),
            b"?smpp?dlr_err=%03%00%22&my_tlv=a+b&".to_vec()
        );
        assert_eq!(
            report_meta_data(None, vec![("n".to_owned(), b"1".to_vec())]),
            b"?smpp?n=1&".to_vec()
        );
        assert!(report_meta_data(None, Vec::new()).is_empty());
    }
}

//! What a message costs: the number of SMS parts its text takes in its
//! coding (GSM 7-bit 160/153, UCS-2 70/67, 8-bit 140/134), the count the
//! splitter in bearerbox will arrive at; and, for users and services
//! without `concatenation`, Kannel's cutting of a long text into separate
//! single messages (`split-chars`, `split-suffix`, header and footer on each).

use box_protocol::encoding::coding::MAX_USER_DATA_OCTETS;
use box_protocol::encoding::gsm7;
use box_protocol::encoding::split::{self, Payload, SplitError};
use box_protocol::message::Coding;

/// Parts for `msgdata` as the box protocol carries it in `coding` (UTF-8
/// text, raw octets, or UTF-16BE) beside `udh`.
pub fn count(msgdata: &[u8], coding: Coding, udh: &[u8]) -> Result<usize, SplitError> {
    // Most texts fit one message whatever their characters cost: a GSM
    // septet (two for an escaped one) per UTF-8 octet at most, or the
    // octets themselves. Only longer ones need the plan.
    let fits_one = udh.is_empty()
        && match coding {
            Coding::EightBit => msgdata.len() <= MAX_USER_DATA_OCTETS,
            Coding::Ucs2 => {
                msgdata.len() <= MAX_USER_DATA_OCTETS && msgdata.len().is_multiple_of(2)
            }
            _ => 2 * msgdata.len() <= MAX_USER_DATA_OCTETS * 8 / 7,
        };
    if fits_one {
        return Ok(1);
    }
    planned(msgdata, coding, udh)
}

/// The parts `split::plan` makes of the message.
fn planned(msgdata: &[u8], coding: Coding, udh: &[u8]) -> Result<usize, SplitError> {
    let septets;
    let payload = match coding {
        Coding::EightBit => Payload::Binary(msgdata),
        Coding::Ucs2 => Payload::Utf16Be(msgdata),
        _ => {
            let text = String::from_utf8_lossy(msgdata);
            // Characters without a GSM mapping go out as '?', one septet each.
            septets = gsm7::encode_lossy(&text);
            Payload::Septets(&septets)
        }
    };
    if msgdata.is_empty() {
        return Ok(1);
    }
    Ok(split::plan(&payload, udh, MAX_USER_DATA_OCTETS)?.parts)
}

/// How a text is cut into separate single messages.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cutting<'a> {
    pub header: &'a str,
    pub footer: &'a str,
    /// Appended to every piece but the last.
    pub suffix: &'a str,
    /// A piece ends after the last of these it holds, when it has one.
    pub split_chars: &'a str,
    /// Stop after this many pieces.
    pub max_pieces: usize,
}

fn encoded(text: &str, coding: Coding) -> Vec<u8> {
    match coding {
        Coding::Ucs2 => box_protocol::encoding::ucs2::encode(text),
        _ => text.as_bytes().to_vec(),
    }
}

/// Cuts `text` into pieces that each fit one SMS in `coding` (text
/// codings only), with the header, footer and suffix counted in; at most
/// `max_pieces + 1` are made, so that a caller can tell "too long".
pub fn cut(text: &str, coding: Coding, rules: &Cutting<'_>) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    let piece = |from: usize, to: usize, last: bool| {
        let body: String = chars[from..to].iter().collect();
        let suffix = if last { "" } else { rules.suffix };
        format!("{}{body}{suffix}{}", rules.header, rules.footer)
    };
    let fits =
        |candidate: &str| count(&encoded(candidate, coding), coding, &[]).is_ok_and(|n| n == 1);
    while start < chars.len() && pieces.len() <= rules.max_pieces {
        let mut end = start;
        while end < chars.len() && fits(&piece(start, end + 1, end + 1 == chars.len())) {
            end += 1;
        }
        if end == start {
            // Header and footer alone fill a message: nothing fits.
            break;
        }
        if end < chars.len()
            && let Some(at) = chars[start..end]
                .iter()
                .rposition(|c| rules.split_chars.contains(*c))
            && at > 0
        {
            end = start + at + 1;
        }
        pieces.push(piece(start, end, end == chars.len()));
        start = end;
    }
    if start < chars.len() && pieces.len() <= rules.max_pieces {
        // Could not place the rest at all: report it as one piece too many.
        pieces.resize(rules.max_pieces + 1, String::new());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutting_prefers_split_chars_and_puts_the_suffix_on_all_but_the_last() {
        let text = format!("{} {}", "a".repeat(150), "b".repeat(20));
        let rules = Cutting {
            suffix: "+",
            split_chars: " ",
            max_pieces: 3,
            ..Cutting::default()
        };
        let pieces = cut(&text, Coding::SevenBit, &rules);
        assert_eq!(pieces, [format!("{} +", "a".repeat(150)), "b".repeat(20)]);
        let rules = Cutting {
            header: "[",
            footer: "]",
            max_pieces: 1,
            ..Cutting::default()
        };
        assert_eq!(
            cut(&"x".repeat(300), Coding::SevenBit, &rules).len(),
            2,
            "one too many"
        );
    }

    #[test]
    fn parts_follow_the_three_codings_capacities() -> Result<(), SplitError> {
        assert_eq!(count(&[b'a'; 160], Coding::SevenBit, &[])?, 1);
        assert_eq!(count(&[b'a'; 161], Coding::SevenBit, &[])?, 2);
        assert_eq!(count(&[b'a'; 306], Coding::SevenBit, &[])?, 2);
        assert_eq!(count(&[0, 0x41].repeat(70), Coding::Ucs2, &[])?, 1);
        assert_eq!(count(&[0, 0x41].repeat(71), Coding::Ucs2, &[])?, 2);
        assert_eq!(count(&[7; 140], Coding::EightBit, &[])?, 1);
        assert_eq!(count(&[7; 141], Coding::EightBit, &[])?, 2);
        Ok(())
    }

    /// The shortcut for short texts agrees with the plan, whatever the
    /// characters (escaped GSM ones, ones GSM lacks, emoji) and the coding.
    #[test]
    fn a_short_text_counts_as_the_plan_counts_it() -> Result<(), SplitError> {
        let alphabet = ["a", "€", "{", "é", "ж", "😀", "\n", "^"];
        let mut seed = 0x2545_f491_u32;
        for _ in 0..2_000 {
            let mut text = String::new();
            // xorshift: deterministic and dependency-free.
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let length = (seed % 90) as usize;
            for i in 0..length {
                let pick = (seed.rotate_left(i as u32) as usize + i) % alphabet.len();
                text.push_str(alphabet[pick]);
            }
            for coding in [Coding::SevenBit, Coding::EightBit, Coding::Ucs2] {
                let msgdata = match coding {
                    Coding::Ucs2 => box_protocol::encoding::ucs2::encode(&text),
                    _ => text.as_bytes().to_vec(),
                };
                if msgdata.is_empty() {
                    continue;
                }
                assert_eq!(
                    count(&msgdata, coding, &[])?,
                    planned(&msgdata, coding, &[])?,
                    "{text:?} in {coding:?}"
                );
            }
        }
        Ok(())
    }
}

//! The line protocol of Kannel's `fake` SMSC, spoken by its `fakesmsc` test
//! tool: one message per `\n`-terminated line, both ways.
//!
//! ```text
//! client → bearerbox:  <sender> <receiver> text <literal text>
//!                      <sender> <receiver> data <url-encoded 8-bit>
//!                      <sender> <receiver> ucs2 <url-encoded UTF-16BE>
//!                      <sender> <receiver> utf8 <url-encoded UTF-8>
//!                      <sender> <receiver> udh <url-encoded udh> <url-encoded data>
//!                      <sender> <receiver> udh-text <url-encoded udh> <literal text>
//!                      <sender> <receiver> route <smsbox-id> <literal text>
//!                      <sender> <receiver> dlr-mask <n> <literal text>
//! bearerbox → client:  <sender> <receiver> text <text> | data <enc> | ucs-2 <enc>
//!                      <sender> <receiver> udh <enc udh> data <enc data>
//! ```
//! Pure: parsing and formatting only; the driver does the I/O.

/// The coding a line declares, as the box protocol numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineCoding {
    /// No coding given (`route`, `dlr-mask`): the text is taken as it is.
    Undefined,
    SevenBit,
    EightBit,
    Ucs2,
}

/// A message read from the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientLine {
    pub sender: Vec<u8>,
    pub receiver: Vec<u8>,
    pub udh: Option<Vec<u8>>,
    pub data: Vec<u8>,
    pub coding: LineCoding,
    /// `route <smsbox-id>`: the box the message must reach.
    pub boxc_id: Option<Vec<u8>>,
    /// `dlr-mask <n>`.
    pub dlr_mask: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineError {
    #[error("fake SMSC line has no {missing} (expected '<sender> <receiver> <type> <payload>')")]
    Missing { missing: &'static str },
    #[error(
        "fake SMSC line has unknown type '{found}' (expected text, data, ucs2, utf8, udh, udh-text, route or dlr-mask)"
    )]
    UnknownType { found: String },
    #[error("fake SMSC line: {field} is not valid url-encoding")]
    BadEncoding { field: &'static str },
    #[error("fake SMSC line: dlr-mask '{found}' is not a number")]
    BadMask { found: String },
}

/// Splits off the next space-separated word.
fn word<'a>(rest: &mut &'a [u8], missing: &'static str) -> Result<&'a [u8], LineError> {
    let position = rest
        .iter()
        .position(|&b| b == b' ')
        .ok_or(LineError::Missing { missing })?;
    let (head, tail) = rest.split_at(position);
    *rest = tail.get(1..).unwrap_or_default();
    Ok(head)
}

/// Parses one line (without its `\n`; a trailing `\r` is dropped).
pub fn parse_client_line(line: &[u8]) -> Result<ClientLine, LineError> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut rest = line;
    let sender = word(&mut rest, "receiver")?.to_vec();
    let receiver = word(&mut rest, "message type")?.to_vec();
    let kind = word(&mut rest, "payload")?;
    let mut parsed = ClientLine {
        sender,
        receiver,
        udh: None,
        data: Vec::new(),
        coding: LineCoding::Undefined,
        boxc_id: None,
        dlr_mask: None,
    };
    match kind {
        b"text" => {
            parsed.data = rest.to_vec();
            parsed.coding = LineCoding::SevenBit;
        }
        b"data" => {
            parsed.data = url_decode(rest, "data")?;
            parsed.coding = LineCoding::EightBit;
        }
        b"ucs2" => {
            parsed.data = url_decode(rest, "ucs2 data")?;
            parsed.coding = LineCoding::Ucs2;
        }
        b"utf8" => {
            parsed.data = url_decode(rest, "utf8 data")?;
            parsed.coding = LineCoding::SevenBit;
        }
        b"udh" | b"udh-data" => {
            let udh = word(&mut rest, "data after the udh")?;
            parsed.udh = Some(url_decode(udh, "udh")?);
            parsed.data = url_decode(rest, "data")?;
            parsed.coding = LineCoding::EightBit;
        }
        b"udh-text" => {
            let udh = word(&mut rest, "text after the udh")?;
            parsed.udh = Some(url_decode(udh, "udh")?);
            parsed.data = rest.to_vec();
            parsed.coding = LineCoding::SevenBit;
        }
        b"route" => {
            parsed.boxc_id = Some(word(&mut rest, "text after the smsbox-id")?.to_vec());
            parsed.data = rest.to_vec();
        }
        b"dlr-mask" => {
            let mask = word(&mut rest, "text after the dlr-mask")?;
            let text = String::from_utf8_lossy(mask);
            parsed.dlr_mask = Some(text.trim().parse().map_err(|_| LineError::BadMask {
                found: text.into_owned(),
            })?);
            parsed.data = rest.to_vec();
        }
        other => {
            return Err(LineError::UnknownType {
                found: String::from_utf8_lossy(other).into_owned(),
            });
        }
    }
    Ok(parsed)
}

/// Formats a message for the client, as Kannel 1.4.5's `sms_to_client` does.
pub fn format_for_client(
    sender: &[u8],
    receiver: &[u8],
    udh: Option<&[u8]>,
    data: &[u8],
    coding: LineCoding,
) -> Vec<u8> {
    let mut line = Vec::with_capacity(sender.len() + receiver.len() + data.len() * 3 + 16);
    line.extend_from_slice(sender);
    line.push(b' ');
    line.extend_from_slice(receiver);
    match (udh.filter(|udh| !udh.is_empty()), coding) {
        (Some(udh), _) => {
            line.extend_from_slice(b" udh ");
            url_encode_into(udh, &mut line);
            line.extend_from_slice(b" data ");
            url_encode_into(data, &mut line);
        }
        (None, LineCoding::EightBit) => {
            line.extend_from_slice(b" data ");
            url_encode_into(data, &mut line);
        }
        (None, LineCoding::Ucs2) => {
            line.extend_from_slice(b" ucs-2 ");
            url_encode_into(data, &mut line);
        }
        (None, _) => {
            line.extend_from_slice(b" text ");
            // A newline inside the text would end the line early: the
            // client would read two broken messages.
            line.extend(
                data.iter()
                    .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
            );
        }
    }
    line.push(b'\n');
    line
}

fn url_encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]]);
        }
    }
}

fn url_decode(bytes: &[u8], field: &'static str) -> Result<Vec<u8>, LineError> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&b) = bytes.get(index) {
        match b {
            b'%' => {
                let high = bytes.get(index + 1).and_then(|&c| (c as char).to_digit(16));
                let low = bytes.get(index + 2).and_then(|&c| (c as char).to_digit(16));
                match (high, low) {
                    (Some(high), Some(low)) => out.push((high * 16 + low) as u8),
                    _ => return Err(LineError::BadEncoding { field }),
                }
                index += 3;
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            other => {
                out.push(other);
                index += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_line_carries_its_words_literally() {
        let line = parse_client_line(b"4670000002 5555 text hello world foo").unwrap();
        assert_eq!(line.sender, b"4670000002");
        assert_eq!(line.receiver, b"5555");
        assert_eq!(line.data, b"hello world foo");
        assert_eq!(line.coding, LineCoding::SevenBit);
    }

    #[test]
    fn data_ucs2_and_udh_lines_are_url_decoded() {
        let data = parse_client_line(b"1 2 data %00%FFa+b").unwrap();
        assert_eq!(
            (data.data, data.coding),
            (vec![0, 0xff, b'a', b' ', b'b'], LineCoding::EightBit)
        );
        let ucs2 = parse_client_line(b"1 2 ucs2 %00h%00i").unwrap();
        assert_eq!(
            (ucs2.data, ucs2.coding),
            (vec![0, b'h', 0, b'i'], LineCoding::Ucs2)
        );
        let udh = parse_client_line(b"1 2 udh %05%00%03%01%02%01 part").unwrap();
        assert_eq!(udh.udh, Some(vec![5, 0, 3, 1, 2, 1]));
        assert_eq!(udh.data, b"part");
    }

    #[test]
    fn route_and_dlr_mask_lines_carry_their_argument() {
        let route = parse_client_line(b"1 2 route box7 hi there").unwrap();
        assert_eq!(
            (route.boxc_id, route.data),
            (Some(b"box7".to_vec()), b"hi there".to_vec())
        );
        let mask = parse_client_line(b"1 2 dlr-mask 31 hi").unwrap();
        assert_eq!(mask.dlr_mask, Some(31));
    }

    #[test]
    fn broken_lines_are_refused_with_a_reason() {
        assert_eq!(
            parse_client_line(b"only-sender"),
            Err(LineError::Missing {
                missing: "receiver"
            })
        );
        assert_eq!(
            parse_client_line(b"1 2 text"),
            Err(LineError::Missing { missing: "payload" })
        );
        assert!(matches!(
            parse_client_line(b"1 2 fax hi"),
            Err(LineError::UnknownType { .. })
        ));
        assert!(matches!(
            parse_client_line(b"1 2 data %G1"),
            Err(LineError::BadEncoding { .. })
        ));
        assert!(matches!(
            parse_client_line(b"1 2 dlr-mask x hi"),
            Err(LineError::BadMask { .. })
        ));
    }

    #[test]
    fn messages_for_the_client_are_formatted_as_kannel_formats_them() {
        assert_eq!(
            format_for_client(b"123", b"456", None, b"hi there", LineCoding::SevenBit),
            b"123 456 text hi there\n"
        );
        assert_eq!(
            format_for_client(b"1", b"2", None, &[0, 0x41], LineCoding::Ucs2),
            b"1 2 ucs-2 %00A\n"
        );
        assert_eq!(
            format_for_client(b"1", b"2", Some(&[5, 0]), b"a b", LineCoding::EightBit),
            b"1 2 udh %05%00 data a%20b\n"
        );
    }

    #[test]
    fn what_we_format_the_client_parses_back() {
        let line = format_for_client(
            b"1",
            b"2",
            None,
            &[0, 1, 2, 255, b' ', b'%'],
            LineCoding::EightBit,
        );
        let text = line.strip_suffix(b"\n").unwrap();
        let parsed = parse_client_line(text).unwrap();
        assert_eq!(parsed.data, vec![0, 1, 2, 255, b' ', b'%']);
    }
}

//! PDU dumps for a link's own log file (`log-file` with `log-format`), as Kannel writes them at
//! debug level: `1` one line per field between "SMPP PDU dump:" and "SMPP PDU dump ends.",
//! `2` the whole PDU on one line.
//!
//! ```text
//!  bytes out ─────────────────────────▶ lines("Sending PDU:")
//!  bytes in ──Framer (check, parse)───▶ lines("Got PDU:")
//! ```

use super::config::PduDump;
use super::pdu::{self, Pdu};

/// The log lines for one PDU.
pub fn lines(smsc_id: &str, what: &str, pdu: &Pdu, format: PduDump) -> Vec<String> {
    let id = pdu.command_id();
    let status = pdu.command_status.as_u32();
    match format {
        PduDump::OneLine => vec![format!(
            "SMPP[{smsc_id}]: {what} {} seq={} status=0x{status:08x} {:?}",
            id.name(),
            pdu.sequence_number,
            pdu.body
        )],
        PduDump::Multiline => {
            let mut out = vec![
                format!("SMPP[{smsc_id}]: {what}"),
                "SMPP PDU dump:".to_owned(),
                format!("  type_name: {}", id.name()),
                format!("  command_id: {0} = 0x{0:08x}", id.as_u32()),
                format!("  command_status: {status} = 0x{status:08x}"),
                format!("  sequence_number: {0} = 0x{0:08x}", pdu.sequence_number),
            ];
            out.extend(
                fields(&format!("{:?}", pdu.body))
                    .into_iter()
                    .map(|field| format!("  {field}")),
            );
            out.push("SMPP PDU dump ends.".to_owned());
            out
        }
    }
}

/// The top-level `name: value` items of a compact Debug form such as
/// `SubmitSm(SubmitSm { a: 1, b: Tlvs([..]) })`; none for a body without fields.
fn fields(debug: &str) -> Vec<&str> {
    let (Some(open), Some(close)) = (debug.find('{'), debug.rfind('}')) else {
        return Vec::new();
    };
    let Some(inner) = debug.get(open + 1..close) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut escaped, mut start) = (0i32, false, false, 0);
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(inner.get(start..i).unwrap_or_default().trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(inner.get(start..).unwrap_or_default().trim());
    out.retain(|field| !field.is_empty());
    out
}

/// Cuts the bytes read from the SMSC into PDUs for dumping; the session keeps its own copy.
/// Something it cannot read is dropped, as the session will say why.
#[derive(Debug, Default)]
pub struct Framer {
    input: Vec<u8>,
}

impl Framer {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Pdu> {
        self.input.extend_from_slice(bytes);
        let mut pdus = Vec::new();
        loop {
            match pdu::check(&self.input, pdu::DEFAULT_MAX_COMMAND_LENGTH) {
                Ok(len) => {
                    if let Ok(pdu) = Pdu::parse(self.input.get(..len).unwrap_or_default()) {
                        pdus.push(pdu);
                    }
                    self.input.drain(..len.min(self.input.len()));
                }
                Err(error) if error.is_incomplete() => return pdus,
                Err(_) => {
                    self.input.clear();
                    return pdus;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::pdu::{Body, EnquireLink};
    use super::*;

    #[test]
    fn one_line_dumps_name_the_pdu_its_sequence_and_status() {
        let pdu = Pdu::new(7, Body::EnquireLink(EnquireLink {}));
        assert_eq!(
            lines("smpp1", "Sending PDU:", &pdu, PduDump::OneLine),
            vec![
                "SMPP[smpp1]: Sending PDU: enquire_link seq=7 status=0x00000000 EnquireLink(EnquireLink)"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn multi_line_dumps_frame_the_header_fields_as_kannel_does() {
        let pdu = Pdu::new(7, Body::EnquireLink(EnquireLink {}));
        let dump = lines("smpp1", "Got PDU:", &pdu, PduDump::Multiline);
        assert_eq!(
            dump,
            vec![
                "SMPP[smpp1]: Got PDU:",
                "SMPP PDU dump:",
                "  type_name: enquire_link",
                "  command_id: 21 = 0x00000015",
                "  command_status: 0 = 0x00000000",
                "  sequence_number: 7 = 0x00000007",
                "SMPP PDU dump ends.",
            ]
        );
    }

    #[test]
    fn fields_are_split_at_the_top_level_only() {
        assert_eq!(
            fields(r#"SubmitSm(SubmitSm { a: 1, b: C(b"x, y"), c: T([1, 2]) })"#),
            vec!["a: 1", r#"b: C(b"x, y")"#, "c: T([1, 2])"]
        );
        assert!(fields("EnquireLink(EnquireLink)").is_empty());
    }

    #[test]
    fn the_framer_returns_whole_pdus_across_reads() {
        let bytes = Pdu::new(9, Body::EnquireLink(EnquireLink {})).to_bytes();
        let mut framer = Framer::default();
        assert!(framer.push(&bytes[..10]).is_empty());
        let mut rest = bytes[10..].to_vec();
        rest.extend_from_slice(&bytes);
        let pdus = framer.push(&rest);
        assert_eq!(pdus.len(), 2);
        assert_eq!(pdus[1].sequence_number, 9);
    }
}

//! What a modem writes back: result codes, information lines, the `>`
//! prompt of `AT+CMGS`, and the unsolicited result codes (URCs) that may
//! arrive between any two of them. Pure.
//!
//! [`LineReader`] cuts the byte stream into lines (the prompt has no line
//! end, so it is recognised on its own); [`Line::parse`] names a line.
//! Which hex line is the PDU of which header is the session's business,
//! since only it knows what came before.

/// The longest line we keep: a PDU is at most 2 × 176 hex digits; a modem
/// writing more without a line end is broken, and the excess is dropped.
const MAX_LINE: usize = 1024;

/// One line (or the prompt) from the modem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Ok,
    Error,
    /// `+CMS ERROR: <n>`: a message service failure.
    CmsError(u16),
    /// `+CME ERROR: <n>`: an equipment failure.
    CmeError(u16),
    /// `NO CARRIER`, `BUSY`, `NO ANSWER`, `NO DIALTONE`: ends a command like ERROR.
    Failure(String),
    /// `> `: the modem waits for the PDU.
    Prompt,
    /// `+CMGS: <mr>`: sent, with its message reference.
    Cmgs(u8),
    /// `+CMTI: "<mem>",<index>`: a message was stored.
    Cmti {
        storage: String,
        index: u32,
    },
    /// `+CMT: [<alpha>],<length>`: a message follows on the next line.
    Cmt,
    /// `+CDS: <length>`: a status report follows on the next line.
    Cds,
    /// `+CDSI: "<mem>",<index>`: a status report was stored.
    Cdsi {
        storage: String,
        index: u32,
    },
    /// `+CMGR: <stat>,[<alpha>],<length>`: the stored message follows.
    Cmgr,
    /// `+CMGL: <index>,<stat>,[<alpha>],<length>`: one listed message follows.
    Cmgl {
        index: u32,
    },
    /// `+CPIN: <code>`.
    Cpin(String),
    /// Anything else: `ATI` text, a PDU, `RING`, an echo.
    Text(String),
}

impl Line {
    pub fn parse(line: &str) -> Line {
        let line = line.trim();
        match line {
            "OK" => return Line::Ok,
            "ERROR" => return Line::Error,
            ">" => return Line::Prompt,
            "NO CARRIER" | "BUSY" | "NO ANSWER" | "NO DIALTONE" => {
                return Line::Failure(line.to_owned());
            }
            _ => {}
        }
        let Some((head, rest)) = line.split_once(':') else {
            return Line::Text(line.to_owned());
        };
        let rest = rest.trim();
        let number = |field: Option<&str>| field.and_then(|f| f.trim().parse::<u32>().ok());
        let parsed = match head.trim() {
            "+CMS ERROR" => rest.parse().ok().map(Line::CmsError),
            "+CME ERROR" => rest.parse().ok().map(Line::CmeError),
            "+CMGS" => number(rest.split(',').next())
                .and_then(|mr| u8::try_from(mr).ok())
                .map(Line::Cmgs),
            "+CMTI" | "+CDSI" => {
                let mut fields = rest.splitn(2, ',');
                let storage = fields.next().map(|s| s.trim().trim_matches('"').to_owned());
                match (storage, number(fields.next())) {
                    (Some(storage), Some(index)) if head.trim() == "+CMTI" => {
                        Some(Line::Cmti { storage, index })
                    }
                    (Some(storage), Some(index)) => Some(Line::Cdsi { storage, index }),
                    _ => None,
                }
            }
            "+CMT" => Some(Line::Cmt),
            "+CDS" => Some(Line::Cds),
            "+CMGR" => Some(Line::Cmgr),
            "+CMGL" => number(rest.split(',').next()).map(|index| Line::Cmgl { index }),
            "+CPIN" => Some(Line::Cpin(rest.trim_matches('"').to_owned())),
            _ => None,
        };
        parsed.unwrap_or_else(|| Line::Text(line.to_owned()))
    }

    /// Does this line end the command in progress?
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Line::Ok | Line::Error | Line::CmsError(_) | Line::CmeError(_) | Line::Failure(_)
        )
    }

    /// Is this a URC, which belongs to no command?
    pub fn is_unsolicited(&self) -> bool {
        matches!(
            self,
            Line::Cmti { .. } | Line::Cmt | Line::Cds | Line::Cdsi { .. }
        )
    }
}

/// Bytes in, lines out. Empty lines (the `\r\n` around every answer) are
/// skipped; bytes that are not UTF-8 are replaced, not refused.
#[derive(Debug, Default)]
pub struct LineReader {
    partial: Vec<u8>,
    overflowed: bool,
}

impl LineReader {
    pub fn new() -> LineReader {
        LineReader::default()
    }

    /// Forgets a half-read line (after the device was reopened).
    pub fn clear(&mut self) {
        self.partial.clear();
        self.overflowed = false;
    }

    /// Feeds bytes; returns the complete lines and the prompt, in order.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &byte in bytes {
            match byte {
                b'\r' | b'\n' => self.finish(&mut lines),
                _ if self.partial.len() >= MAX_LINE => self.overflowed = true,
                _ => self.partial.push(byte),
            }
            // The prompt is `> ` at the start of a line with nothing after:
            // it would never see a line end.
            if self.partial == b"> " {
                self.partial.clear();
                lines.push(">".to_owned());
            }
        }
        lines
    }

    /// A `>` still pending without its space: some modems send only that.
    pub fn pending_prompt(&mut self) -> bool {
        if self.partial == b">" {
            self.partial.clear();
            return true;
        }
        false
    }

    fn finish(&mut self, lines: &mut Vec<String>) {
        if self.overflowed {
            log::warn!("modem line over {MAX_LINE} bytes dropped");
        } else if !self.partial.iter().all(u8::is_ascii_whitespace) {
            lines.push(String::from_utf8_lossy(&self.partial).trim().to_owned());
        }
        self.partial.clear();
        self.overflowed = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn result_codes_and_urcs_are_told_apart() {
        assert_eq!(Line::parse("OK"), Line::Ok);
        assert_eq!(Line::parse("+CMS ERROR: 38"), Line::CmsError(38));
        assert_eq!(Line::parse("+CME ERROR: 10"), Line::CmeError(10));
        assert_eq!(Line::parse("+CMGS: 17"), Line::Cmgs(17));
        assert_eq!(
            Line::parse("+CMTI: \"SM\",3"),
            Line::Cmti {
                storage: "SM".into(),
                index: 3
            }
        );
        assert_eq!(Line::parse("+CMT: ,23"), Line::Cmt);
        assert_eq!(Line::parse("+CDS: 25"), Line::Cds);
        assert_eq!(Line::parse("+CMGL: 4,0,,22"), Line::Cmgl { index: 4 });
        assert_eq!(Line::parse("+CPIN: SIM PIN"), Line::Cpin("SIM PIN".into()));
        assert_eq!(
            Line::parse("WAVECOM MODEM"),
            Line::Text("WAVECOM MODEM".into())
        );
        assert!(Line::parse("+CMTI: \"SM\",3").is_unsolicited());
        assert!(Line::parse("+CMS ERROR: 500").is_final());
    }

    #[test]
    fn a_urc_between_the_command_and_its_prompt_comes_out_first() {
        let mut reader = LineReader::new();
        let lines = reader.push(b"\r\n+CMTI: \"SM\",1\r\n> ");
        assert_eq!(lines, vec!["+CMTI: \"SM\",1".to_owned(), ">".to_owned()]);
    }

    #[test]
    fn lines_split_anywhere_come_out_the_same() {
        let stream = b"\r\nOK\r\n\r\n+CMGS: 5\r\n\r\nOK\r\n";
        for cut in 0..stream.len() {
            let mut reader = LineReader::new();
            let (a, b) = stream.split_at(cut);
            let mut lines = reader.push(a);
            lines.extend(reader.push(b));
            assert_eq!(lines, vec!["OK", "+CMGS: 5", "OK"]);
        }
    }

    proptest! {
        #[test]
        fn any_bytes_are_read_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
            let mut reader = LineReader::new();
            for line in reader.push(&bytes) {
                prop_assert!(line.chars().count() <= MAX_LINE);
                let _ = Line::parse(&line);
            }
        }
    }
}

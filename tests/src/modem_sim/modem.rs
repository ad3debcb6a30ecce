//! The fake modem's command interpreter: bytes from the driver in, the
//! bytes a modem would answer out. Pure; the pseudo-terminal and the
//! thread are in the parent module.

use std::collections::BTreeMap;

use super::pdu::{self, DecodedSubmit};

/// How the simulated modem presents itself.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The `ATI` answer, matched by `detect-string`.
    pub identity: String,
    /// A SIM PIN the driver must give (`+CPIN: SIM PIN` until it does).
    pub pin: Option<String>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            identity: "MODEM-SIM 1.0 simulated GSM modem".into(),
            pin: None,
        }
    }
}

/// One `AT+CMGS` the modem took (or refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The message reference answered in `+CMGS: <mr>`; `None` if refused.
    pub reference: Option<u8>,
    pub pdu_hex: String,
    /// The SUBMIT as the simulator's own decoder reads it.
    pub decoded: Result<DecodedSubmit, String>,
}

const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

#[derive(Debug)]
pub struct Modem {
    options: SimOptions,
    echo: bool,
    pin_given: bool,
    pub pdu_mode: bool,
    pub indications: bool,
    pub storage: BTreeMap<u32, Vec<u8>>,
    next_index: u32,
    next_reference: u8,
    concat_reference: u8,
    pub submits: Vec<Submitted>,
    pub commands: Vec<String>,
    pub fail_next_send: Option<u16>,
    pub cmti_during_send: Option<(String, String)>,
    pub silent: bool,
    line: Vec<u8>,
    /// In `AT+CMGS` after the prompt: the announced TPDU length.
    awaiting_pdu: Option<usize>,
    output: Vec<u8>,
}

impl Modem {
    pub fn new(options: SimOptions) -> Modem {
        Modem {
            options,
            echo: true,
            pin_given: false,
            pdu_mode: false,
            indications: false,
            storage: BTreeMap::new(),
            next_index: 1,
            next_reference: 1,
            concat_reference: 1,
            submits: Vec::new(),
            commands: Vec::new(),
            fail_next_send: None,
            cmti_during_send: None,
            silent: false,
            line: Vec::new(),
            awaiting_pdu: None,
            output: Vec::new(),
        }
    }

    /// What to write to the driver (nothing while silent).
    pub fn take_output(&mut self) -> Vec<u8> {
        let output = std::mem::take(&mut self.output);
        if self.silent { Vec::new() } else { output }
    }

    pub fn receive(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match (self.awaiting_pdu, byte) {
                (Some(length), CTRL_Z) => {
                    self.awaiting_pdu = None;
                    let text =
                        String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                    self.take_pdu(text.trim(), length);
                }
                (Some(_), ESC) => {
                    self.awaiting_pdu = None;
                    self.line.clear();
                    self.ok();
                }
                // Outside a prompt there is nothing to cancel.
                (None, ESC) => self.line.clear(),
                (None, b'\r' | b'\n') => {
                    let text =
                        String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                    let text = text.trim();
                    if !text.is_empty() {
                        self.command(text);
                    }
                }
                _ => self.line.push(byte),
            }
            // A line with no end (a broken driver) must not grow forever.
            if self.line.len() > 4096 {
                self.line.clear();
            }
        }
    }

    fn info(&mut self, line: &str) {
        self.output
            .extend_from_slice(format!("\r\n{line}\r\n").as_bytes());
    }

    fn ok(&mut self) {
        self.info("OK");
    }

    fn command(&mut self, text: &str) {
        self.commands.push(text.to_owned());
        if self.echo {
            self.output
                .extend_from_slice(format!("{text}\r").as_bytes());
        }
        let upper = text.to_ascii_uppercase();
        let argument = |prefix: &str| upper.strip_prefix(prefix).map(str::trim);
        match upper.as_str() {
            "AT" | "AT&F" | "AT+CNMA" | "AT+CSQ" | "AT\\Q3" => self.ok(),
            "ATZ" => {
                self.echo = true;
                self.ok();
            }
            "ATE0" => {
                self.echo = false;
                self.ok();
            }
            "ATE1" => {
                self.echo = true;
                self.ok();
            }
            "ATI" => {
                let identity = self.options.identity.clone();
                self.info(&identity);
                self.ok();
            }
            "AT+CPIN?" => {
                let state = if self.options.pin.is_some() && !self.pin_given {
                    "SIM PIN"
                } else {
                    "READY"
                };
                self.info(&format!("+CPIN: {state}"));
                self.ok();
            }
            "AT+CMGF=0" => {
                self.pdu_mode = true;
                self.ok();
            }
            "AT+CMGF=1" => {
                self.pdu_mode = false;
                self.ok();
            }
            _ if upper.starts_with("AT+CPIN=") => {
                let given = text.get(8..).unwrap_or_default().trim_matches('"');
                if self.options.pin.as_deref() == Some(given) {
                    self.pin_given = true;
                    self.ok();
                } else {
                    self.info("+CME ERROR: 16");
                }
            }
            _ if upper.starts_with("AT+CNMI=") => {
                self.indications = true;
                self.ok();
            }
            _ if ["AT+CSCA=", "AT+IFC=", "AT+CPMS=", "AT+CSMS=", "AT+CMMS="]
                .iter()
                .any(|p| upper.starts_with(p)) =>
            {
                self.ok()
            }
            _ => {
                if let Some(length) = argument("AT+CMGS=") {
                    self.send_prompt(length);
                } else if let Some(index) = argument("AT+CMGR=") {
                    self.read(index);
                } else if let Some(index) = argument("AT+CMGD=") {
                    let removed = index.parse().ok().and_then(|i| self.storage.remove(&i));
                    match removed {
                        Some(_) => self.ok(),
                        None => self.info("+CMS ERROR: 321"),
                    }
                } else if upper.starts_with("AT+CMGL") {
                    let stored: Vec<(u32, Vec<u8>)> =
                        self.storage.iter().map(|(i, p)| (*i, p.clone())).collect();
                    for (index, pdu) in stored {
                        let line = format!(
                            "+CMGL: {index},0,,{}\r\n{}",
                            pdu::tpdu_len(&pdu),
                            pdu::hex(&pdu)
                        );
                        self.info(&line);
                    }
                    self.ok();
                } else {
                    self.info("ERROR");
                }
            }
        }
    }

    fn send_prompt(&mut self, length: &str) {
        let Ok(length) = length.parse::<usize>() else {
            self.info("ERROR");
            return;
        };
        if !self.pdu_mode {
            self.info("+CMS ERROR: 302");
            return;
        }
        if let Some((from, text)) = self.cmti_during_send.take() {
            self.inject_stored_mo(&from, &text);
        }
        self.output.extend_from_slice(b"\r\n> ");
        self.awaiting_pdu = Some(length);
    }

    fn take_pdu(&mut self, hex: &str, length: usize) {
        let decoded = pdu::unhex(hex)
            .and_then(|bytes| pdu::decode_submit(&bytes, length))
            .map_err(|error| error.to_string());
        let reference = match (&decoded, self.fail_next_send.take()) {
            (Err(_), _) => {
                self.info("+CMS ERROR: 304");
                None
            }
            (Ok(_), Some(code)) => {
                self.info(&format!("+CMS ERROR: {code}"));
                None
            }
            (Ok(_), None) => {
                let reference = self.next_reference;
                self.next_reference = self.next_reference.wrapping_add(1);
                self.info(&format!("+CMGS: {reference}"));
                self.ok();
                Some(reference)
            }
        };
        self.submits.push(Submitted {
            reference,
            pdu_hex: hex.to_owned(),
            decoded,
        });
    }

    fn read(&mut self, index: &str) {
        match index
            .parse()
            .ok()
            .and_then(|i: u32| self.storage.get(&i).cloned())
        {
            Some(pdu) => {
                let line = format!("+CMGR: 0,,{}\r\n{}", pdu::tpdu_len(&pdu), pdu::hex(&pdu));
                self.info(&line);
                self.ok();
            }
            None => self.info("+CMS ERROR: 321"),
        }
    }

    fn deliver_pdus(&mut self, from: &str, text: &str) -> Vec<Vec<u8>> {
        let reference = self.concat_reference;
        self.concat_reference = self.concat_reference.wrapping_add(1);
        pdu::deliver_pdus(from, text, reference)
    }

    pub fn inject_stored_mo(&mut self, from: &str, text: &str) {
        for pdu in self.deliver_pdus(from, text) {
            self.store_pdu(pdu);
        }
    }

    /// The SMS-DELIVER PDUs (SCA first) of an MO, one per part, each with the same new
    /// concatenation reference; nothing is stored or sent.
    pub fn mo_parts(&mut self, from: &str, text: &str) -> Vec<Vec<u8>> {
        self.deliver_pdus(from, text)
    }

    /// Stores one PDU and announces it with `+CMTI`; returns its index.
    pub fn store_pdu(&mut self, pdu: Vec<u8>) -> u32 {
        let index = self.next_index;
        self.next_index += 1;
        self.storage.insert(index, pdu);
        self.info(&format!("+CMTI: \"SM\",{index}"));
        index
    }

    pub fn inject_direct_mo(&mut self, from: &str, text: &str) {
        for pdu in self.deliver_pdus(from, text) {
            let line = format!("+CMT: ,{}\r\n{}", pdu::tpdu_len(&pdu), pdu::hex(&pdu));
            self.info(&line);
        }
    }

    pub fn inject_report(&mut self, mr: u8, recipient: &str, status: u8) {
        let pdu = pdu::status_report_pdu(mr, recipient, status);
        let line = format!("+CDS: {}\r\n{}", pdu::tpdu_len(&pdu), pdu::hex(&pdu));
        self.info(&line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(modem: &mut Modem, input: &str) -> String {
        modem.receive(input.as_bytes());
        String::from_utf8_lossy(&modem.take_output()).into_owned()
    }

    #[test]
    fn a_send_gets_a_prompt_then_a_reference() {
        let mut modem = Modem::new(SimOptions::default());
        answer(&mut modem, "ATE0\r");
        answer(&mut modem, "AT+CMGF=0\r");
        assert_eq!(answer(&mut modem, "AT+CMGS=23\r"), "\r\n> ");
        let out = answer(
            &mut modem,
            "0011000B916407281553F80000AA0AE8329BFD4697D9EC37\u{1A}",
        );
        assert_eq!(out, "\r\n+CMGS: 1\r\n\r\nOK\r\n");
        assert_eq!(
            modem.submits[0].decoded.as_ref().map(|d| d.text.clone()),
            Ok("hellohello".to_owned())
        );
    }

    #[test]
    fn a_pdu_whose_length_disagrees_with_cmgs_is_refused() {
        let mut modem = Modem::new(SimOptions::default());
        answer(&mut modem, "ATE0\rAT+CMGF=0\r");
        answer(&mut modem, "AT+CMGS=22\r");
        let out = answer(
            &mut modem,
            "0011000B916407281553F80000AA0AE8329BFD4697D9EC37\u{1A}",
        );
        assert_eq!(out, "\r\n+CMS ERROR: 304\r\n");
    }
}

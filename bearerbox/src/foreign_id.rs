//! Matching an SMSC's message id in a delivery report to the id it gave on
//! submission, whatever form each side wrote it in.
//!
//! SMSCs are inconsistent: many answer `submit_sm_resp` with a hex id and put
//! the same number in decimal into the receipt, or change case, or pad with
//! zeros. Kannel makes the sysadmin declare it (`msg-id-type`); we honour that
//! key, and without it we record one canonical key per submission and try
//! every reading of a receipt's id that could denote the same number.

/// Kannel's `msg-id-type`: bit 0, the submission's id is hex; bit 1, the
/// receipt's id is hex. When the key is set, both are read as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdForms {
    /// `msg-id-type` absent: work it out.
    #[default]
    Automatic,
    Declared {
        submit_hex: bool,
        receipt_hex: bool,
    },
}

impl IdForms {
    pub fn from_msg_id_type(value: Option<i64>) -> IdForms {
        match value {
            None => IdForms::Automatic,
            Some(bits) => IdForms::Declared {
                submit_hex: bits & 1 != 0,
                receipt_hex: bits & 2 != 0,
            },
        }
    }

    /// The key under which a submission's id is recorded.
    pub fn submit_key(self, id: &str) -> String {
        match self {
            IdForms::Automatic => canonical(id),
            IdForms::Declared { submit_hex, .. } => as_number(id, submit_hex),
        }
    }

    /// The keys a receipt's id may have been recorded under, most likely first.
    pub fn receipt_keys(self, id: &str) -> Vec<String> {
        match self {
            IdForms::Declared { receipt_hex, .. } => vec![as_number(id, receipt_hex)],
            IdForms::Automatic => {
                let mut keys = vec![canonical(id)];
                let trimmed = id.trim();
                // A decimal receipt id may be the submission's hex id in decimal…
                if let Ok(number) = trimmed.parse::<u128>() {
                    keys.push(format!("{number:x}"));
                }
                // …and a hex-looking one may be the decimal id in hex.
                if let Ok(number) = u128::from_str_radix(trimmed, 16) {
                    keys.push(number.to_string());
                }
                keys.dedup();
                keys
            }
        }
    }
}

/// Lower case, no surrounding blanks, no leading zeros (but `0` stays `0`).
fn canonical(id: &str) -> String {
    let lower = id.trim().to_ascii_lowercase();
    let stripped = lower.trim_start_matches('0');
    if stripped.is_empty() && !lower.is_empty() {
        "0".to_owned()
    } else {
        stripped.to_owned()
    }
}

/// A declared id read as a number and written in decimal, as Kannel does;
/// an id that is not a number of the declared form is kept canonical.
fn as_number(id: &str, hex: bool) -> String {
    let trimmed = id.trim();
    let parsed = if hex {
        u128::from_str_radix(trimmed, 16)
    } else {
        trimmed.parse::<u128>()
    };
    match parsed {
        Ok(number) => number.to_string(),
        Err(_) => canonical(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(forms: IdForms, submitted: &str, receipt: &str) -> bool {
        forms
            .receipt_keys(receipt)
            .contains(&forms.submit_key(submitted))
    }

    #[test]
    fn the_same_id_matches_itself_in_any_case_and_padding() {
        let auto = IdForms::Automatic;
        assert!(matches(auto, "AbC123", "abc123"));
        assert!(matches(auto, "000123", "123"));
        assert!(matches(auto, "0", "0000"));
    }

    #[test]
    fn a_hex_submission_id_matches_its_decimal_receipt_automatically() {
        // 0x1A2B = 6699
        assert!(matches(IdForms::Automatic, "1A2B", "6699"));
        assert!(matches(IdForms::Automatic, "6699", "1a2b"));
    }

    #[test]
    fn different_ids_do_not_match() {
        assert!(!matches(IdForms::Automatic, "1A2B", "6700"));
        assert!(!matches(IdForms::Automatic, "msg-1", "msg-2"));
    }

    #[test]
    fn declared_msg_id_type_reads_each_side_as_kannel_does() {
        let forms = IdForms::from_msg_id_type(Some(1));
        assert_eq!(forms.submit_key("ff"), "255");
        assert_eq!(forms.receipt_keys("255"), vec!["255".to_owned()]);
        assert!(matches(IdForms::from_msg_id_type(Some(3)), "FF", "0ff"));
        assert!(!matches(IdForms::from_msg_id_type(Some(0)), "FF", "255"));
    }

    #[test]
    fn ids_too_long_for_a_number_are_compared_as_text() {
        let long = "f".repeat(40);
        assert!(matches(IdForms::Automatic, &long.to_uppercase(), &long));
        assert!(matches(IdForms::from_msg_id_type(Some(3)), &long, &long));
    }
}

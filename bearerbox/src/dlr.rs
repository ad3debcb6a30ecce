//! Delivery reports: Kannel's mask bits and event codes, and the receipt text
//! SMSCs send (`id:... stat:DELIVRD ...`).
//!
//! Pure. The bits are Kannel's (reference/kannel.md §4.1): the same number is
//! a *mask* on an MT (which events the client wants) and a single *event* on
//! a delivery report.

/// One delivery-report event, as Kannel numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DlrEvent {
    /// 1: delivered to the handset.
    Delivered,
    /// 2: not delivered, for good.
    Undelivered,
    /// 4: queued at the SMSC.
    Buffered,
    /// 8: the SMSC accepted the submission.
    SmscAck,
    /// 16: the SMSC refused the submission (or we gave up on it).
    SmscNack,
}

impl DlrEvent {
    pub fn bit(self) -> i32 {
        match self {
            DlrEvent::Delivered => 1,
            DlrEvent::Undelivered => 2,
            DlrEvent::Buffered => 4,
            DlrEvent::SmscAck => 8,
            DlrEvent::SmscNack => 16,
        }
    }

    /// Does a client's `dlr-mask` ask for this event? A refusal by the SMSC
    /// also answers a mask that asked only for final failures (2), as Kannel
    /// does.
    pub fn wanted_by(self, mask: Option<i32>) -> bool {
        let Some(mask) = mask.filter(|&mask| mask > 0) else {
            return false;
        };
        mask & self.bit() != 0
            || (self == DlrEvent::SmscNack && mask & DlrEvent::Undelivered.bit() != 0)
    }

    /// Does this event end the message's story (no further report follows)?
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DlrEvent::Delivered | DlrEvent::Undelivered | DlrEvent::SmscNack
        )
    }
}

/// How far the reports of one submitted message have come, for a message the
/// SMSC took in several parts (each part has its own id and its own reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartsProgress {
    /// Parts the SMSC accepted, each waiting for its own report.
    pub parts: u32,
    /// A failure was shown to the user: the message failed, whatever the
    /// other parts say.
    pub failed: bool,
    /// An intermediate report (buffered, SMSC ack) was shown.
    pub noted: bool,
}

impl PartsProgress {
    pub fn new(parts: u32) -> PartsProgress {
        PartsProgress {
            parts,
            failed: false,
            noted: false,
        }
    }

    /// The event the user sees for one part's report, if any. `last` says
    /// that this report is the final one of the last part still waiting.
    ///
    /// One message, one story: a long message is delivered when every part
    /// is; it fails as soon as one part fails (shown at once, so a refund
    /// does not wait for the other parts), and later reports add nothing.
    /// Of the intermediate reports only the first is shown. A one-part
    /// message shows every report, as Kannel does.
    pub fn user_event(&mut self, event: DlrEvent, last: bool) -> Option<DlrEvent> {
        if self.failed {
            return None;
        }
        match event {
            DlrEvent::Undelivered | DlrEvent::SmscNack => {
                self.failed = true;
                Some(event)
            }
            DlrEvent::Delivered => last.then_some(event),
            DlrEvent::Buffered | DlrEvent::SmscAck => {
                let show = self.parts <= 1 || !self.noted;
                self.noted = true;
                show.then_some(event)
            }
        }
    }
}

/// The fields of an SMSC receipt, SMPP appendix B style.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Receipt {
    pub id: Option<String>,
    pub submitted: Option<String>,
    pub delivered: Option<String>,
    pub submit_date: Option<String>,
    pub done_date: Option<String>,
    pub stat: Option<String>,
    pub err: Option<String>,
    pub text: Option<String>,
}

impl Receipt {
    /// Reads `id:IIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:E text:...`.
    /// SMSCs vary in case, order and spacing; unknown fields are ignored and
    /// missing ones stay `None`. `text:` runs to the end, as it may hold spaces.
    pub fn parse(receipt: &str) -> Receipt {
        // Where each key starts, so each value runs to the next key.
        let mut starts: Vec<(usize, usize)> = first_keys(receipt)
            .into_iter()
            .enumerate()
            .filter_map(|(index, at)| at.map(|at| (at, index)))
            .collect();
        starts.sort_unstable();
        let mut parsed = Receipt::default();
        for (position, &(at, index)) in starts.iter().enumerate() {
            let value_start = at + RECEIPT_KEYS[index].len();
            let value_end = if index == 7 {
                receipt.len()
            } else {
                starts
                    .get(position + 1)
                    .map_or(receipt.len(), |&(next, _)| next)
            };
            let value = receipt
                .get(value_start..value_end)
                .unwrap_or_default()
                .trim()
                .to_owned();
            let slot = match index {
                0 => &mut parsed.id,
                1 => &mut parsed.submitted,
                2 => &mut parsed.delivered,
                3 => &mut parsed.submit_date,
                4 => &mut parsed.done_date,
                5 => &mut parsed.stat,
                6 => &mut parsed.err,
                _ => &mut parsed.text,
            };
            *slot = Some(value);
            if index == 7 {
                break;
            }
        }
        parsed
    }

    /// The event the `stat` field stands for.
    pub fn event(&self) -> Option<DlrEvent> {
        let stat = self.stat.as_deref()?.to_ascii_uppercase();
        Some(match stat.as_str() {
            "DELIVRD" | "DELIVERED" => DlrEvent::Delivered,
            "ACCEPTD" | "ENROUTE" | "BUFFERED" | "SCHEDULED" => DlrEvent::Buffered,
            "UNDELIV" | "UNDELIVERABLE" | "EXPIRED" | "DELETED" | "REJECTD" | "REJECTED"
            | "UNKNOWN" => DlrEvent::Undelivered,
            _ => return None,
        })
    }
}

/// The fields of a receipt, in [`Receipt::parse`]'s order.
const RECEIPT_KEYS: [&str; 8] = [
    "id:",
    "sub:",
    "dlvrd:",
    "submit date:",
    "done date:",
    "stat:",
    "err:",
    "text:",
];

/// Where each key first starts a word, whatever its case: `id:` must not
/// match inside `msgid:`, and the `date:` keys, which hold a space, are
/// matched whole. One pass over the receipt, not one search per key.
fn first_keys(receipt: &str) -> [Option<usize>; 8] {
    let bytes = receipt.as_bytes();
    let mut found = [None; 8];
    let mut word_start = true;
    for (at, &byte) in bytes.iter().enumerate() {
        // Most words start no key: their first letter says so.
        if word_start && matches!(byte.to_ascii_lowercase(), b'i' | b's' | b'd' | b'e' | b't') {
            for (slot, key) in found.iter_mut().zip(RECEIPT_KEYS) {
                if slot.is_none()
                    && bytes
                        .get(at..at + key.len())
                        .is_some_and(|candidate| candidate.eq_ignore_ascii_case(key.as_bytes()))
                {
                    *slot = Some(at);
                }
            }
        }
        word_start = byte.is_ascii_whitespace();
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_key_is_found_at_the_start_of_a_word_in_any_case() {
        for (index, key) in RECEIPT_KEYS.iter().enumerate() {
            for text in [
                format!("{key}1"),
                format!("x {}1", key.to_ascii_uppercase()),
            ] {
                let at = text.len() - key.len() - 1;
                assert_eq!(first_keys(&text)[index], Some(at), "{text}");
            }
        }
    }

    /// The former search, one `find` per key over a lowercased copy: what
    /// [`first_keys`] must agree with.
    fn first_keys_by_search(receipt: &str) -> [Option<usize>; 8] {
        let lower = receipt.to_ascii_lowercase();
        let mut found = [None; 8];
        for (slot, key) in found.iter_mut().zip(RECEIPT_KEYS) {
            let mut from = 0;
            while let Some(offset) = lower.get(from..).and_then(|rest| rest.find(key)) {
                let at = from + offset;
                if at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace() {
                    *slot = Some(at);
                    break;
                }
                from = at + key.len();
            }
        }
        found
    }

    proptest! {
        #[test]
        fn keys_are_found_where_a_search_for_each_finds_them(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("id:".to_owned()), Just("ID:".to_owned()), Just("msgid:".to_owned()),
                    Just("sub:".to_owned()), Just("Dlvrd:".to_owned()), Just("submit date:".to_owned()),
                    Just("done DATE:".to_owned()), Just("stat:".to_owned()), Just("err:".to_owned()),
                    Just("text:".to_owned()), Just(" ".to_owned()), Just("\t".to_owned()),
                    "[a-z0-9é:]{0,6}",
                ],
                0..24,
            )
        ) {
            let receipt: String = pieces.concat();
            prop_assert_eq!(first_keys(&receipt), first_keys_by_search(&receipt), "{:?}", receipt);
        }
    }

    fn story(parts: u32, reports: &[(DlrEvent, bool)]) -> Vec<Option<DlrEvent>> {
        let mut progress = PartsProgress::new(parts);
        reports
            .iter()
            .map(|&(event, last)| progress.user_event(event, last))
            .collect()
    }

    #[test]
    fn a_one_part_message_shows_every_report() {
        use DlrEvent::*;
        assert_eq!(
            story(
                1,
                &[(Buffered, false), (Buffered, false), (Delivered, true)]
            ),
            vec![Some(Buffered), Some(Buffered), Some(Delivered)]
        );
    }

    #[test]
    fn a_long_message_is_delivered_once_when_its_last_part_is() {
        use DlrEvent::*;
        assert_eq!(
            story(
                3,
                &[
                    (Buffered, false),
                    (Delivered, false),
                    (Buffered, false),
                    (Delivered, false),
                    (Delivered, true)
                ]
            ),
            vec![Some(Buffered), None, None, None, Some(Delivered)]
        );
    }

    #[test]
    fn a_long_message_fails_at_its_first_failed_part_and_says_nothing_after() {
        use DlrEvent::*;
        assert_eq!(
            story(
                3,
                &[(Delivered, false), (Undelivered, false), (Delivered, true)]
            ),
            vec![None, Some(Undelivered), None]
        );
        assert_eq!(
            story(2, &[(SmscNack, false), (Undelivered, true)]),
            vec![Some(SmscNack), None]
        );
    }

    #[test]
    fn a_standard_receipt_is_read_field_by_field() {
        let receipt = Receipt::parse(
            "id:0123456789 sub:001 dlvrd:001 submit date:2611251900 done date:2611251901 stat:DELIVRD err:000 text:Hello world",
        );
        assert_eq!(receipt.id.as_deref(), Some("0123456789"));
        assert_eq!(receipt.submit_date.as_deref(), Some("2611251900"));
        assert_eq!(receipt.done_date.as_deref(), Some("2611251901"));
        assert_eq!(receipt.err.as_deref(), Some("000"));
        assert_eq!(receipt.text.as_deref(), Some("Hello world"));
        assert_eq!(receipt.event(), Some(DlrEvent::Delivered));
    }

    #[test]
    fn receipts_in_other_case_and_order_are_read_too() {
        let receipt = Receipt::parse("STAT:undeliv ID:ab12 Err:005");
        assert_eq!(receipt.id.as_deref(), Some("ab12"));
        assert_eq!(receipt.err.as_deref(), Some("005"));
        assert_eq!(receipt.event(), Some(DlrEvent::Undelivered));
    }

    #[test]
    fn a_text_containing_keys_does_not_confuse_the_reader() {
        let receipt = Receipt::parse("id:1 stat:DELIVRD text:stat:UNDELIV id:2");
        assert_eq!(receipt.id.as_deref(), Some("1"));
        assert_eq!(receipt.event(), Some(DlrEvent::Delivered));
        assert_eq!(receipt.text.as_deref(), Some("stat:UNDELIV id:2"));
    }

    #[test]
    fn garbage_gives_an_empty_receipt_not_a_panic() {
        assert_eq!(Receipt::parse(""), Receipt::default());
        assert_eq!(Receipt::parse("stat:").event(), None);
        assert_eq!(Receipt::parse("\u{1F600} id:").id.as_deref(), Some(""));
    }

    #[test]
    fn masks_select_events_as_kannel_does() {
        assert!(DlrEvent::Delivered.wanted_by(Some(1)));
        assert!(!DlrEvent::Delivered.wanted_by(Some(2)));
        assert!(DlrEvent::SmscNack.wanted_by(Some(2)));
        assert!(DlrEvent::SmscAck.wanted_by(Some(31)));
        assert!(!DlrEvent::SmscAck.wanted_by(None));
        assert!(!DlrEvent::SmscAck.wanted_by(Some(-1)));
    }
}

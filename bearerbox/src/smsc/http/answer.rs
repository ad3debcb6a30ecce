//! Judging the supplier's answer to an MT: accepted (with its id for the
//! message, when it gave one), failed for now, or failed for good.
//!
//! No answer at all (refused connection, timeout) and a 5xx are temporary:
//! the message is tried again. A 4xx is permanent. A `generic` link's
//! regexes decide before the status code does; a `kannel` link knows the
//! answers of a sendsms interface.

use super::client::Answer;
use super::config::{Judging, SystemType};

/// The header our smsbox names the message ids in.
const MESSAGE_ID_HEADER: &str = "X-Message-Id";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted { foreign_id: Option<String> },
    Temporary(String),
    Permanent(String),
}

pub fn judge(system_type: SystemType, judging: &Judging, answer: &Answer) -> Verdict {
    match system_type {
        SystemType::Kannel => judge_kannel(answer),
        SystemType::Generic => judge_generic(judging, answer),
    }
}

fn summary(answer: &Answer) -> String {
    let body = String::from_utf8_lossy(&answer.body);
    let body: String = body.trim().chars().take(200).collect();
    format!("HTTP {}: {body}", answer.status)
}

fn by_status(answer: &Answer) -> Verdict {
    if answer.status >= 500 {
        Verdict::Temporary(summary(answer))
    } else {
        Verdict::Permanent(summary(answer))
    }
}

/// A sendsms interface answers `0: Accepted for delivery` or `3: Queued for
/// later delivery` (both taken), `Sent.` (an `http` link's listener, or
/// `immediate-sendsms-reply`), `403 Not routable` (permanent) or `503
/// Temporal failure` (temporary).
fn judge_kannel(answer: &Answer) -> Verdict {
    let body = String::from_utf8_lossy(&answer.body);
    let body = body.trim();
    let success = matches!(answer.status, 200 | 202)
        && ["0: Accepted", "3: Queued", "Sent.", "Ok.", "Result: OK"]
            .iter()
            .any(|start| body.starts_with(start));
    if !success {
        return by_status(answer);
    }
    // Ours names the ids; the first is the one of the whole message.
    let foreign_id = answer
        .header(MESSAGE_ID_HEADER)
        .and_then(|ids| ids.split_whitespace().next())
        .map(str::to_owned);
    Verdict::Accepted { foreign_id }
}

fn judge_generic(judging: &Judging, answer: &Answer) -> Verdict {
    let body = String::from_utf8_lossy(&answer.body);
    let good_status = (200..300).contains(&answer.status);
    let matches = |regex: &Option<regex::Regex>| regex.as_ref().is_some_and(|r| r.is_match(&body));
    let accepted = || Verdict::Accepted {
        foreign_id: judging.foreign_id.as_ref().and_then(|regex| {
            let captures = regex.captures(&body)?;
            captures
                .get(1)
                .or_else(|| captures.get(0))
                .map(|id| id.as_str().trim().to_owned())
                .filter(|id| !id.is_empty())
        }),
    };
    if good_status && matches(&judging.success) {
        return accepted();
    }
    if matches(&judging.permfail) {
        return Verdict::Permanent(summary(answer));
    }
    if matches(&judging.tempfail) {
        return Verdict::Temporary(summary(answer));
    }
    if good_status && judging.success.is_none() {
        return accepted();
    }
    // A 2xx the success regex did not recognise is an answer we cannot
    // read; sending again would likely repeat it.
    by_status(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn regex(pattern: &str) -> Option<regex::Regex> {
        regex::Regex::new(pattern).ok()
    }

    fn judging() -> Judging {
        Judging {
            success: regex("^OK"),
            permfail: regex("^ERR"),
            tempfail: regex("^BUSY"),
            foreign_id: regex("^OK ([0-9a-z]+)"),
        }
    }

    #[test]
    fn generic_success_takes_the_foreign_id_from_the_regex_group() {
        assert_eq!(
            judge(SystemType::Generic, &judging(), &answer(200, "OK abc123")),
            Verdict::Accepted {
                foreign_id: Some("abc123".into())
            }
        );
    }

    #[test]
    fn generic_regexes_decide_before_the_status_code() {
        let judging = judging();
        let verdict = |status, body| judge(SystemType::Generic, &judging, &answer(status, body));
        assert!(matches!(
            verdict(200, "ERR no credit"),
            Verdict::Permanent(_)
        ));
        assert!(matches!(verdict(200, "BUSY"), Verdict::Temporary(_)));
        assert!(matches!(
            verdict(500, "ERR bad number"),
            Verdict::Permanent(_)
        ));
        assert!(matches!(verdict(400, "BUSY"), Verdict::Temporary(_)));
        assert!(matches!(verdict(200, "what?"), Verdict::Permanent(_)));
        assert!(matches!(verdict(503, "down"), Verdict::Temporary(_)));
        assert!(matches!(verdict(404, "no"), Verdict::Permanent(_)));
    }

    #[test]
    fn generic_without_regexes_goes_by_the_status_code() {
        let none = Judging::default();
        let verdict = |status| judge(SystemType::Generic, &none, &answer(status, "x"));
        assert_eq!(verdict(202), Verdict::Accepted { foreign_id: None });
        assert!(matches!(verdict(502), Verdict::Temporary(_)));
        assert!(matches!(verdict(401), Verdict::Permanent(_)));
    }

    #[test]
    fn kannel_answers_of_a_sendsms_interface_are_understood() {
        let none = Judging::default();
        let verdict = |status, body| judge(SystemType::Kannel, &none, &answer(status, body));
        assert_eq!(
            verdict(202, "0: Accepted for delivery"),
            Verdict::Accepted { foreign_id: None }
        );
        assert!(matches!(
            verdict(202, "3: Queued for later delivery"),
            Verdict::Accepted { .. }
        ));
        assert!(matches!(
            verdict(403, "Not routable. Do not try again."),
            Verdict::Permanent(_)
        ));
        assert!(matches!(
            verdict(503, "Temporal failure, try again later."),
            Verdict::Temporary(_)
        ));
        assert!(matches!(
            verdict(202, "Authorization failed for sendsms"),
            Verdict::Permanent(_)
        ));
    }

    #[test]
    fn kannel_takes_our_smsbox_message_id_as_the_foreign_id() {
        let mut ours = answer(202, "0: Accepted for delivery");
        ours.headers
            .push(("x-message-id".into(), "6a1b-1 6a1b-2".into()));
        assert_eq!(
            judge(SystemType::Kannel, &Judging::default(), &ours),
            Verdict::Accepted {
                foreign_id: Some("6a1b-1".into())
            }
        );
    }
}

//! HTTP answers: a status and a one-line body, Kannel's texts where Kannel
//! has one.

/// What sendsms answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// Ids of the messages created, for the `X-Message-Id` header.
    pub message_ids: Vec<String>,
}

pub const ACCEPTED: &str = "0: Accepted for delivery";
pub const QUEUED: &str = "3: Queued for later delivery";
pub const NOT_ROUTABLE: &str = "Not routable. Do not try again.";
pub const TEMPORARY: &str = "Temporal failure, try again later.";
pub const AUTH_FAILED: &str = "Authorization failed for sendsms";

impl Answer {
    pub fn new(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.to_string(),
            message_ids: Vec::new(),
        }
    }

    pub fn bad_request(reason: &str) -> Answer {
        Answer::new(400, reason)
    }

    pub fn misformed(field: &str) -> Answer {
        Answer::new(400, &format!("{field} field misformed, rejected"))
    }

    pub fn unauthorized() -> Answer {
        Answer::new(403, AUTH_FAILED)
    }

    pub fn temporary() -> Answer {
        Answer::new(503, TEMPORARY)
    }
}

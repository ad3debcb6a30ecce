//! sendsms: a request's fields checked in Kannel's order and turned into
//! one MT per recipient, charged, handed to bearerbox, and answered once
//! bearerbox acked them.
//!
//! ```text
//! Fields ──authenticate──▶ User ──check──▶ Submission ──charge──▶ Link::submit ×N ──acks──▶ Answer
//!                                                       (402)        (503 at once when down)
//! ```
//!
//! Kannel's answers are kept word for word. Where Kannel is lax we refuse
//! with a one-line reason instead, and nothing is sent or charged: no or
//! empty text without a UDH, malformed %-encoding, a text longer than the
//! user's `max-messages` parts (Kannel truncates silently), a receiver that
//! is not a number, an unknown charset, a numeric field that is not a
//! number.

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use box_protocol::encoding::{charset, ucs2};
use box_protocol::message::{AckStatus, Coding, Sms, SmsType};
use uuid::Uuid;

use crate::answers::{self, Answer};
use crate::app::App;
use crate::bearerbox_link::{AckWait, Link, SendError};
use crate::credits::{Accounts, Charge, CreditsError};
use crate::dlr_url;
use crate::parts;
use crate::request::Fields;
use crate::urlcode;
use crate::users::User;

/// Kannel's default when `sendsms-url` is not set.
pub const DEFAULT_URL: &str = "/cgi-bin/sendsms";
/// Kannel's longest accepted account.
const MAX_ACCOUNT: usize = 64;

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A checked request: everything but the receiver and id of each MT.
struct Submission {
    template: Sms,
    receivers: Vec<String>,
    /// Receivers the white/black lists and prefixes refused, for
    /// `immediate-sendsms-reply`'s "Denied receivers are:".
    denied: Vec<String>,
    /// What each receiver gets: one MT per body, with the parts it costs.
    bodies: Vec<(Vec<u8>, usize)>,
    track: bool,
    user_mask: Option<i32>,
    user_dlr_url: Option<String>,
}

/// Answers one sendsms request.
pub async fn handle(app: &App, peer: IpAddr, fields: Fields) -> Answer {
    let username = fields.text("username").unwrap_or_default();
    let password = fields.text("password").unwrap_or_default();
    let Some(user) = app.users.authenticate(&username, &password, peer) else {
        log::info!("sendsms from {peer}: authorization failed for user {username:?}");
        return Answer::unauthorized();
    };
    let submission = match check(app, user, &fields) {
        Ok(submission) => submission,
        Err(answer) => {
            log::info!(
                "sendsms from {peer} by {username}: {} {}",
                answer.status,
                answer.body
            );
            return answer;
        }
    };
    if !app.link.is_connected() {
        return Answer::temporary();
    }
    submit(app, user, submission).await
}

fn int_field(
    fields: &Fields,
    name: &str,
    label: &str,
    range: std::ops::RangeInclusive<i32>,
) -> Result<Option<i32>, Answer> {
    let Some(raw) = fields.get(name) else {
        return Ok(None);
    };
    // Not UTF-8 is not a number either.
    let Ok(text) = std::str::from_utf8(raw) else {
        return Err(Answer::misformed(label));
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i32>() {
        Ok(-1) => Ok(None),
        Ok(value) if range.contains(&value) => Ok(Some(value)),
        _ => Err(Answer::misformed(label)),
    }
}

fn check(app: &App, user: &User, fields: &Fields) -> Result<Submission, Answer> {
    let (receivers, denied) = receivers(app, user, fields)?;

    let udh = match fields.get("udh") {
        None => None,
        Some(raw) if fields.udh_is_hex => Some(
            urlcode::unhex(&String::from_utf8_lossy(raw))
                .ok_or_else(|| Answer::bad_request("UDH field misformed, rejected"))?,
        ),
        Some(raw) => Some(raw.to_vec()),
    }
    .filter(|udh| !udh.is_empty());
    if let Some(udh) = &udh {
        if udh.len() > 140 {
            return Err(Answer::bad_request("UDH field is too long, rejected"));
        }
        if usize::from(udh[0]) != udh.len() - 1 {
            return Err(Answer::bad_request("UDH field misformed, rejected"));
        }
    }

    let mut dlr_mask = int_field(fields, "dlr-mask", "DLR-Mask", 0..=66)?;
    let dlr_url = fields.text("dlr-url").filter(|u| !u.is_empty());
    if let Some(url) = &dlr_url {
        let lower = url.to_ascii_lowercase();
        if url.len() < 8 || !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err(Answer::bad_request("DLR-URL field misformed, rejected"));
        }
    }
    let dlr_url = dlr_url.or_else(|| dlr_mask.and(user.dlr_url.clone()));
    if dlr_mask == Some(0) {
        dlr_mask = None;
    }
    let mclass = int_field(fields, "mclass", "MClass", 0..=3)?;
    let mwi = int_field(fields, "mwi", "MWI", 0..=7)?;
    let coding = int_field(fields, "coding", "Coding", 0..=2)?;
    let compress = int_field(fields, "compress", "Compress", 0..=1)?;
    let validity = int_field(fields, "validity", "Validity", 0..=i32::MAX)?;
    let deferred = int_field(fields, "deferred", "Deferred", 0..=i32::MAX)?;
    let pid = int_field(fields, "pid", "PID", 0..=255)?;
    let alt_dcs = int_field(fields, "alt-dcs", "Alt-DCS", 0..=1)?;
    let rpi = int_field(fields, "rpi", "RPI", 0..=2)?;
    let priority = int_field(fields, "priority", "Priority", 0..=3)?;
    let account = fields.text("account");
    if let Some(account) = &account
        && (account.len() > MAX_ACCOUNT || account.contains(['[', ']', '\n', '\r']))
    {
        return Err(Answer::bad_request(
            "Account field misformed or too long, rejected",
        ));
    }

    // An explicit coding is the user's; without one, a text the GSM
    // alphabet cannot carry goes as UCS-2 rather than as question marks.
    let coding_explicit = coding.is_some();
    let mut coding = match coding {
        Some(0) => Coding::SevenBit,
        Some(1) => Coding::EightBit,
        Some(_) => Coding::Ucs2,
        None if udh.is_some() || fields.body_coding == 1 => Coding::EightBit,
        None => Coding::SevenBit,
    };
    let raw_text = fields.get("text").unwrap_or_default();
    if raw_text.is_empty() && udh.is_none() {
        return Err(Answer::bad_request("Text missing or empty, rejected"));
    }
    let charset_name = fields.text("charset").filter(|c| !c.trim().is_empty());
    let misformed_charset = || Answer::bad_request("Charset or body misformed, rejected");
    let text = match coding {
        Coding::EightBit => None,
        Coding::Ucs2 => {
            let name = charset_name.as_deref().unwrap_or("UTF-16BE");
            Some(charset::decode(raw_text, name).map_err(|_| misformed_charset())?)
        }
        _ => {
            let name = charset_name.as_deref().unwrap_or("UTF-8");
            let text = charset::decode(raw_text, name).map_err(|_| misformed_charset())?;
            let decorated = decorate(user, &text);
            if !coding_explicit && !box_protocol::encoding::gsm7::is_representable(&decorated) {
                coding = Coding::Ucs2;
            }
            Some(text)
        }
    };
    let allowed = user.max_messages.max(1);
    let too_long = |parts: usize| {
        Answer::bad_request(&format!(
            "Message too long: {parts} parts, at most {allowed} allowed, rejected"
        ))
    };
    let encode = |text: &str| match coding {
        Coding::Ucs2 => ucs2::encode(text),
        _ => text.as_bytes().to_vec(),
    };
    let udh_bytes = udh.as_deref().unwrap_or_default();
    // Each body is one MT with the parts it costs.
    let bodies: Vec<(Vec<u8>, usize)> = match &text {
        // Without concatenation Kannel's smsbox sends a long text as
        // separate single messages, cut at split-chars.
        Some(text) if !user.concatenation && udh.is_none() => {
            let rules = parts::Cutting {
                header: user.header.as_deref().unwrap_or_default(),
                footer: user.footer.as_deref().unwrap_or_default(),
                suffix: user.split_suffix.as_deref().unwrap_or_default(),
                split_chars: user.split_chars.as_deref().unwrap_or_default(),
                max_pieces: allowed,
            };
            let pieces = parts::cut(text, coding, &rules);
            if pieces.len() > allowed {
                let whole = parts::count(&encode(&decorate(user, text)), coding, &[])
                    .unwrap_or(allowed + 1);
                return Err(too_long(whole.max(allowed + 1)));
            }
            pieces.iter().map(|piece| (encode(piece), 1)).collect()
        }
        Some(text) => {
            let msgdata = encode(&decorate(user, text));
            let parts = parts::count(&msgdata, coding, udh_bytes).map_err(|error| {
                Answer::bad_request(&format!("Text cannot be split: {error}, rejected"))
            })?;
            vec![(msgdata, parts)]
        }
        None => {
            let parts = parts::count(raw_text, coding, udh_bytes).map_err(|error| {
                Answer::bad_request(&format!("Text cannot be split: {error}, rejected"))
            })?;
            vec![(raw_text.to_vec(), parts)]
        }
    };
    if bodies.iter().all(|(body, _)| body.is_empty()) && udh.is_none() {
        return Err(Answer::bad_request("Text missing or empty, rejected"));
    }
    let parts: usize = bodies.iter().map(|(_, parts)| parts).sum();
    if parts > allowed {
        return Err(too_long(parts));
    }
    let sender = user
        .faked_sender
        .clone()
        .or_else(|| fields.text("from").filter(|f| !f.is_empty()))
        .or_else(|| user.default_sender.clone())
        .or_else(|| app.settings.global_sender.clone())
        .ok_or_else(|| Answer::bad_request("Sender missing and no global set, rejected"))?;
    let smsc = user
        .forced_smsc
        .clone()
        .or_else(|| fields.text("smsc").filter(|s| !s.is_empty()))
        .or_else(|| user.default_smsc.clone());

    let now = now();
    let minutes = |m: Option<i32>| m.map(|m| (now + 60 * i64::from(m)) as i32);
    let track = user.credits.is_some() && user.refund_on_failure && app.accounts.is_some();
    let mut template = Sms::new_mt(sender, Vec::new(), "");
    template.udhdata = Some(udh.unwrap_or_default());
    template.time = Some(now as i32);
    template.smsc_id = smsc.map(String::into_bytes);
    template.service = Some(user.name.clone().into_bytes());
    template.account = account.map(String::into_bytes);
    template.sms_type = Some(SmsType::MtPush);
    template.mclass = mclass;
    template.mwi = mwi;
    template.coding = Some(coding);
    template.compress = compress;
    template.validity = minutes(validity);
    template.deferred = minutes(deferred);
    template.pid = pid;
    template.alt_dcs = alt_dcs;
    template.rpi = rpi;
    template.boxc_id = app.settings.smsbox_id.clone().map(String::into_bytes);
    template.binfo = fields.get("binfo").map(<[u8]>::to_vec);
    template.priority = priority;
    template.meta_data = fields.get("meta-data").map(<[u8]>::to_vec);
    template.charset = None;
    Ok(Submission {
        template,
        receivers,
        denied,
        bodies,
        track,
        user_mask: dlr_mask,
        user_dlr_url: dlr_url,
    })
}

/// One MT handed to the link: its id, its receiver, and the wait for
/// bearerbox's ack (or why it could not be handed over).
type Wait = (Uuid, String, Result<AckWait, SendError>);

/// Waits for bearerbox's ack of each message (each within the link's
/// [`ACK_TIMEOUT`](crate::bearerbox_link::ACK_TIMEOUT))
/// and refunds those it refused or never acked.
async fn settle(
    link: Link,
    accounts: Option<Accounts>,
    waits: Vec<Wait>,
) -> Vec<(Uuid, Result<AckStatus, SendError>)> {
    let mut outcomes = Vec::new();
    for (id, _, wait) in waits {
        let outcome = match wait {
            Err(error) => Err(error),
            Ok(ack) => ack.await,
        };
        if outcome.is_err() {
            link.forget(&id);
        }
        outcomes.push((id, outcome));
    }

    let mut refunds = Vec::new();
    for (id, outcome) in &outcomes {
        match outcome {
            Ok(AckStatus::Success | AckStatus::Buffered) => {}
            Ok(status) => {
                refunds.push((id.to_string(), format!("refused by bearerbox ({status:?})")))
            }
            Err(error) => refunds.push((id.to_string(), format!("not sent: {error}"))),
        }
    }
    if let Some(accounts) = accounts
        && !refunds.is_empty()
    {
        for (id, refunded) in accounts.refund_all(refunds).await {
            if let Err(error) = refunded {
                log::error!("refunding {id}: {error}");
            }
        }
    }
    outcomes
}

/// `immediate-sendsms-reply`: Kannel's answer once the messages are
/// written to bearerbox — `202 Sent.`, the denied receivers, the number of
/// splits — or `500 Sending failed.` when one could not be written. The
/// acks are settled in the background (refunds still happen).
async fn answer_at_once(
    app: &App,
    user: &User,
    receivers: &[String],
    denied: &[String],
    parts: usize,
    waits: Vec<Wait>,
) -> Answer {
    let failed: Vec<String> = waits
        .iter()
        .filter(|(_, _, wait)| wait.is_err())
        .map(|(_, receiver, _)| receiver.clone())
        .collect();
    let ids: Vec<String> = waits.iter().map(|(id, _, _)| id.to_string()).collect();
    let link = app.link.clone();
    let accounts = app.accounts.clone();
    if failed.is_empty() {
        app.background.spawn(async move {
            settle(link.clone(), accounts, waits).await;
            link.add_load(-1);
        });
    } else {
        // Settled here: the refunds of what was not written are done
        // before the client hears "Sending failed.".
        settle(link.clone(), accounts, waits).await;
        link.add_load(-1);
    }
    let answer = if failed.is_empty() {
        let mut body = String::from("Sent.");
        if !denied.is_empty() {
            body.push_str(" Denied receivers are:");
            for receiver in denied {
                body.push(' ');
                body.push_str(receiver);
            }
        }
        if parts > 1 {
            body.push_str(&format!(" Message splits: {parts}"));
        }
        let mut answer = Answer::new(202, &body);
        answer.message_ids = ids;
        answer
    } else {
        let mut body = String::from("Sending failed.");
        if receivers.len() > 1 {
            body.push_str(" Failed receivers are:");
            for receiver in &failed {
                body.push(' ');
                body.push_str(receiver);
            }
        }
        Answer::new(500, &body)
    };
    log::info!(
        "sendsms by {} (immediate reply): {} message(s) to {}: {} {}",
        user.username,
        receivers.len(),
        receivers.join(" "),
        answer.status,
        answer.body
    );
    answer
}

/// The user's header and footer around the text.
fn decorate<'a>(user: &User, text: &'a str) -> Cow<'a, str> {
    match (&user.header, &user.footer) {
        (None, None) => Cow::Borrowed(text),
        (header, footer) => Cow::Owned(format!(
            "{}{text}{}",
            header.as_deref().unwrap_or_default(),
            footer.as_deref().unwrap_or_default()
        )),
    }
}

/// The receivers allowed, and those denied, in the request's order.
fn receivers(
    app: &App,
    user: &User,
    fields: &Fields,
) -> Result<(Vec<String>, Vec<String>), Answer> {
    let listed = match &fields.receivers {
        Some(list) => list.clone(),
        None => {
            let Some(to) = fields.text("to") else {
                return Err(Answer::bad_request("Missing receiver number, rejected"));
            };
            if to.trim().is_empty() {
                return Err(Answer::bad_request(
                    "Empty receiver number not allowed, rejected",
                ));
            }
            to.split(' ')
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect()
        }
    };
    if listed.is_empty() {
        return Err(Answer::bad_request(
            "Missing receiver(s) number(s), rejected",
        ));
    }
    let chars = &app.settings.sendsms_chars;
    if let Some(bad) = listed
        .iter()
        .find(|n| n.chars().any(|c| !chars.contains(c) || c == ' '))
    {
        return Err(Answer::bad_request(&format!(
            "Receiver {bad:?} is not a number, rejected"
        )));
    }
    let (allowed, denied): (Vec<String>, Vec<String>) = listed
        .into_iter()
        .partition(|n| user.receivers.allows(n) && app.settings.receivers.allows(n));
    if allowed.is_empty() {
        return Err(Answer::bad_request(
            "Number(s) has/have been denied by white- and/or black-lists.",
        ));
    }
    Ok((allowed, denied))
}

async fn submit(app: &App, user: &User, submission: Submission) -> Answer {
    let Submission {
        template,
        receivers,
        denied,
        bodies,
        track,
        user_mask,
        user_dlr_url,
    } = submission;
    let mut messages: Vec<(Sms, usize)> = Vec::new();
    for receiver in &receivers {
        for (body, parts) in &bodies {
            let mut sms = template.clone();
            sms.id = Uuid::new_v4();
            sms.receiver = Some(receiver.clone().into_bytes());
            sms.msgdata = Some(body.clone());
            let (mask, url) = dlr_url::wire(sms.id, user_mask, user_dlr_url.as_deref(), track);
            sms.dlr_mask = mask;
            sms.dlr_url = Some(url.into_bytes());
            messages.push((sms, *parts));
        }
    }
    let ids: Vec<String> = messages.iter().map(|(m, _)| m.id.to_string()).collect();
    let parts: usize = bodies.iter().map(|(_, parts)| parts).sum();

    // A user whose `credits` was removed is unlimited again, whatever
    // balance the database still keeps for them.
    if let Some(accounts) = app.accounts.clone().filter(|_| user.credits.is_some()) {
        let charges: Vec<Charge> = messages
            .iter()
            .map(|(sms, parts)| Charge {
                message_id: sms.id.to_string(),
                parts: *parts as i64,
            })
            .collect();
        match accounts.charge(&user.username, charges).await {
            Ok(_charged) => {}
            Err(error @ CreditsError::Insufficient { .. }) => {
                return Answer::new(402, &error.to_string());
            }
            Err(error) => {
                log::error!("charging {}: {error}", user.username);
                return Answer::temporary();
            }
        }
    }

    app.link.add_load(1);
    let mut waits = Vec::new();
    for (sms, _) in messages {
        let id = sms.id;
        let receiver =
            String::from_utf8_lossy(sms.receiver.as_deref().unwrap_or_default()).into_owned();
        waits.push((id, receiver, app.link.submit(sms)));
    }
    if app.settings.immediate_sendsms_reply {
        return answer_at_once(app, user, &receivers, &denied, parts, waits).await;
    }
    let outcomes = settle(app.link.clone(), app.accounts.clone(), waits).await;
    app.link.add_load(-1);

    let statuses: Vec<Option<AckStatus>> = outcomes.iter().map(|(_, o)| o.ok()).collect();
    let mut answer = if statuses.contains(&Some(AckStatus::Success)) {
        Answer::new(202, answers::ACCEPTED)
    } else if statuses.contains(&Some(AckStatus::Buffered)) {
        Answer::new(202, answers::QUEUED)
    } else if statuses.iter().all(|s| *s == Some(AckStatus::Failed)) {
        Answer::new(403, answers::NOT_ROUTABLE)
    } else {
        Answer::temporary()
    };
    if answer.status == 202 {
        answer.message_ids = ids;
    }
    log::info!(
        "sendsms by {}: {} message(s) of {parts} part(s) to {}: {} {}",
        user.username,
        receivers.len(),
        receivers.join(" "),
        answer.status,
        answer.body
    );
    answer
}

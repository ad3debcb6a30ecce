//! sms-services: which service an MO is for (Kannel's keyword matching,
//! filters and word-count rule), what the service does (get-url, post-url,
//! post-xml, text, file), and the reply that goes back to the handset.
//!
//! ```text
//! MO ──select──▶ Service ──action──▶ body (URL answer, text, file) ──shape──▶ reply MT
//!                  │ none: reply-requestfailed       (header/footer, max-messages, omit-empty)
//! ```

use box_protocol::encoding::{charset, ucs2};
use box_protocol::message::{Coding, Sms, SmsType};
use hyper::Method;
use regex::{Regex, RegexBuilder};
use thiserror::Error;
use uuid::Uuid;

use crate::escapes::{self, Context};
use crate::http_client::{HttpClient, Outgoing};
use crate::numbers::{self, FilterError, ListLoader, NumberFilter, RECEIVER_KEYS, SENDER_KEYS};
use crate::settings::Settings;
use crate::urlcode;

#[derive(Debug, Error)]
pub enum ServiceError {
    #[error("{location}: sms-service needs exactly one of 'keyword' and 'keyword-regex'")]
    Keyword { location: String },
    #[error("{location}: sms-service needs an action: get-url, post-url, post-xml, text or file")]
    NoAction { location: String },
    #[error("{location}: 'exec' runs shell commands from messages and is not supported")]
    Exec { location: String },
    #[error("{location}: 'max-messages' must be a whole number, got {value:?}")]
    MaxMessages { location: String, value: String },
    #[error("{location}: 'keyword-regex' is not a valid regular expression: {error}")]
    Regex {
        location: String,
        error: regex::Error,
    },
    #[error(transparent)]
    Filter(#[from] FilterError),
}

#[derive(Debug, Clone)]
pub enum Action {
    GetUrl(String),
    PostUrl(String),
    PostXml(String),
    Text(String),
    File(String),
}

impl Action {
    fn pattern(&self) -> &str {
        match self {
            Action::GetUrl(p)
            | Action::PostUrl(p)
            | Action::PostXml(p)
            | Action::Text(p)
            | Action::File(p) => p,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    matcher: Regex,
    is_default: bool,
    pub action: Action,
    accepted_smsc: Option<Vec<String>>,
    accepted_smsc_regex: Option<Regex>,
    accepted_account: Option<Vec<String>>,
    accepted_account_regex: Option<Regex>,
    senders: NumberFilter,
    receivers: NumberFilter,
    catch_all: bool,
    pub max_messages: usize,
    header: String,
    footer: String,
    concatenation: bool,
    split_chars: String,
    split_suffix: String,
    omit_empty: bool,
    accept_x_kannel_headers: bool,
    assume_plain_text: bool,
    strip_keyword: bool,
    faked_sender: Option<String>,
    send_sender: bool,
    prefix: Option<String>,
    suffix: Option<String>,
    dlr_url: Option<String>,
    dlr_mask: Option<i32>,
}

impl Service {
    fn from_group(
        group: &conf::Group,
        lists: &mut dyn ListLoader,
    ) -> Result<Service, ServiceError> {
        let location = |key: &str| bearerbox::process::listen::location_of(group, key);
        let (matcher, default_name, is_default) =
            match (group.get("keyword"), group.get("keyword-regex")) {
                (Some(keyword), None) => {
                    let mut words = vec![regex::escape(keyword.trim())];
                    if let Some(aliases) = group.get("aliases") {
                        words.extend(
                            aliases
                                .split(';')
                                .map(str::trim)
                                .filter(|a| !a.is_empty())
                                .map(regex::escape),
                        );
                    }
                    let source = format!("^[ ]*({})[ ]*", words.join("|"));
                    let matcher = RegexBuilder::new(&source)
                        .case_insensitive(true)
                        .build()
                        .map_err(|error| ServiceError::Regex {
                            location: location("keyword"),
                            error,
                        })?;
                    (matcher, source, keyword.trim() == "default")
                }
                (None, Some(source)) => {
                    let matcher = Regex::new(source).map_err(|error| ServiceError::Regex {
                        location: location("keyword-regex"),
                        error,
                    })?;
                    (matcher, source.to_string(), false)
                }
                _ => {
                    return Err(ServiceError::Keyword {
                        location: group.location.to_string(),
                    });
                }
            };
        if group.get("exec").is_some() {
            return Err(ServiceError::Exec {
                location: location("exec"),
            });
        }
        let action = if let Some(url) = group.get("get-url").or_else(|| group.get("url")) {
            Action::GetUrl(url.to_string())
        } else if let Some(url) = group.get("post-url") {
            Action::PostUrl(url.to_string())
        } else if let Some(url) = group.get("post-xml") {
            Action::PostXml(url.to_string())
        } else if let Some(text) = group.get("file") {
            Action::File(text.to_string())
        } else if let Some(text) = group.get("text") {
            Action::Text(text.to_string())
        } else {
            return Err(ServiceError::NoAction {
                location: group.location.to_string(),
            });
        };
        let max_messages = match group.get("max-messages") {
            None => 1,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .map_err(|_| ServiceError::MaxMessages {
                    location: location("max-messages"),
                    value: text.to_string(),
                })?,
        };
        let posts = matches!(action, Action::PostUrl(_) | Action::PostXml(_));
        let list = |key: &str| group.get(key).map(numbers::prefix_list);
        Ok(Service {
            name: group.get("name").map_or(default_name, str::to_owned),
            matcher,
            is_default,
            accepted_smsc: list("accepted-smsc"),
            accepted_smsc_regex: numbers::regex(group, "accepted-smsc-regex")?,
            accepted_account: list("accepted-account"),
            accepted_account_regex: numbers::regex(group, "accepted-account-regex")?,
            senders: NumberFilter::from_group(group, &SENDER_KEYS, lists)?,
            receivers: NumberFilter::from_group(group, &RECEIVER_KEYS, lists)?,
            catch_all: posts || group.get_bool("catch-all").unwrap_or(false),
            max_messages,
            header: group.get("header").unwrap_or_default().to_string(),
            footer: group.get("footer").unwrap_or_default().to_string(),
            concatenation: group.get_bool("concatenation").unwrap_or(false),
            split_chars: group.get("split-chars").unwrap_or_default().to_string(),
            split_suffix: group.get("split-suffix").unwrap_or_default().to_string(),
            omit_empty: group.get_bool("omit-empty").unwrap_or(false),
            accept_x_kannel_headers: group.get_bool("accept-x-kannel-headers").unwrap_or(false),
            assume_plain_text: group.get_bool("assume-plain-text").unwrap_or(false),
            strip_keyword: group.get_bool("strip-keyword").unwrap_or(false),
            faked_sender: group.get("faked-sender").map(str::to_owned),
            send_sender: group.get_bool("send-sender").unwrap_or(false),
            prefix: group.get("prefix").map(str::to_owned),
            suffix: group.get("suffix").map(str::to_owned),
            dlr_url: group.get("dlr-url").map(str::to_owned),
            dlr_mask: group
                .get_int("dlr-mask")
                .and_then(|m| i32::try_from(m).ok()),
            action,
        })
    }

    fn passes_filters(&self, mo: &Sms) -> bool {
        let text = |f: &Option<Vec<u8>>| {
            String::from_utf8_lossy(f.as_deref().unwrap_or_default()).into_owned()
        };
        // Kannel checks accepted-smsc and accepted-account only on an MO
        // that carries an smsc-id or an account: one without passes.
        let accepted =
            |value: &Option<Vec<u8>>, list: &Option<Vec<String>>, regex: &Option<Regex>| {
                if value.is_none() {
                    return true;
                }
                let value = text(value);
                list.as_ref().is_none_or(|l| l.contains(&value))
                    && regex.as_ref().is_none_or(|r| r.is_match(&value))
            };
        accepted(&mo.smsc_id, &self.accepted_smsc, &self.accepted_smsc_regex)
            && accepted(
                &mo.account,
                &self.accepted_account,
                &self.accepted_account_regex,
            )
            && self.senders.allows(&text(&mo.sender))
            && self.receivers.allows(&text(&mo.receiver))
    }

    fn words_fit(&self, text: &str) -> bool {
        if self.catch_all {
            return true;
        }
        let after = text.split_whitespace().count().saturating_sub(1);
        let (demand, open_ended) = escapes::word_demand(self.action.pattern());
        if open_ended {
            after >= demand
        } else {
            after == demand
        }
    }
}

/// Every sms-service, in configuration order.
#[derive(Debug, Clone, Default)]
pub struct Services {
    list: Vec<Service>,
}

/// The text of an MO as Unicode.
pub fn mo_text(sms: &Sms) -> String {
    let data = sms.msgdata.as_deref().unwrap_or_default();
    match sms.coding {
        Some(Coding::Ucs2) => ucs2::decode_lossy(data),
        _ => String::from_utf8_lossy(data).replace('\0', ""),
    }
}

impl Services {
    pub fn from_config(
        config: &conf::Config,
        lists: &mut dyn ListLoader,
    ) -> Result<Services, ServiceError> {
        let list = config
            .multi("sms-service")
            .map(|group| Service::from_group(group, lists))
            .collect::<Result<_, _>>()?;
        Ok(Services { list })
    }

    /// Kannel's choice: the first matching service that passes its filters
    /// and the word rule, else the first default service passing its filters.
    pub fn select(&self, mo: &Sms) -> Option<&Service> {
        let text = mo_text(mo);
        self.list
            .iter()
            .filter(|s| !s.is_default)
            .find(|s| s.matcher.is_match(&text) && s.passes_filters(mo) && s.words_fit(&text))
            .or_else(|| {
                self.list
                    .iter()
                    .find(|s| s.is_default && s.passes_filters(mo))
            })
    }
}

/// The reply to the handset, before shaping; `None` for none at all.
struct Body {
    text: String,
    /// 8-bit data (an octet-stream answer) instead of text.
    data: Option<Vec<u8>>,
    overrides: Overrides,
}

#[derive(Default)]
struct Overrides {
    from: Option<String>,
    smsc: Option<String>,
    dlr_mask: Option<i32>,
    dlr_url: Option<String>,
    account: Option<String>,
    binfo: Option<String>,
}

/// Kannel's `html_to_sms`: comments and tags (quoted attributes too) are
/// dropped, the common entities become their character, blanks are
/// squeezed to one space and trimmed.
fn html_to_sms(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
        } else if c == '<' {
            let mut quote = None;
            let mut end = rest.len();
            for (at, c) in rest.char_indices().skip(1) {
                match (quote, c) {
                    (None, '"' | '\'') => quote = Some(c),
                    (Some(q), c) if q == c => quote = None,
                    (None, '>') => {
                        end = at + 1;
                        break;
                    }
                    _ => {}
                }
            }
            rest = &rest[end..];
        } else if c == '&'
            && let Some((character, length)) = entity(rest)
        {
            out.push(character);
            rest = &rest[length..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The entity at the start of `text` and its length, if it is one.
fn entity(text: &str) -> Option<(char, usize)> {
    let end = text.find(';').filter(|end| *end <= 10)?;
    let name = &text[1..end];
    let character = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((character, end + 1))
}

/// Kannel's `strip_prefix_and_suffix`: with both set, the text between the
/// first `prefix` and the first `suffix` after it, found case-insensitively;
/// the whole answer when either is missing or not found.
fn between<'a>(html: &'a str, prefix: Option<&str>, suffix: Option<&str>) -> &'a str {
    let (Some(prefix), Some(suffix)) = (prefix, suffix) else {
        return html;
    };
    let lower = html.to_ascii_lowercase();
    let Some(start) = lower
        .find(&prefix.to_ascii_lowercase())
        .map(|at| at + prefix.len())
    else {
        return html;
    };
    match lower[start..].find(&suffix.to_ascii_lowercase()) {
        Some(length) => &html[start..start + length],
        None => html,
    }
}

/// What a service answers for `mo`: the reply MT, or `None` when the
/// service wants no reply. The escapes are expanded on the MO with the
/// reply's addresses (receiver = the handset), as Kannel does.
pub async fn run(
    service: &Service,
    mo: &Sms,
    settings: &Settings,
    client: &HttpClient,
) -> Vec<Sms> {
    let mut reply = Sms::new_mt(Vec::new(), mo.sender.clone().unwrap_or_default(), "");
    reply.sms_type = Some(SmsType::MtReply);
    reply.sender = Some(
        service
            .faked_sender
            .clone()
            .or_else(|| settings.global_sender.clone())
            .map(String::into_bytes)
            .or_else(|| mo.receiver.clone())
            .unwrap_or_default(),
    );
    // The escapes see the MO's own fields, with the reply's addresses.
    let mut view = mo.clone();
    view.sender = reply.sender.clone();
    view.receiver = reply.receiver.clone();
    let text = mo_text(mo);
    let now = crate::sendsms::now();
    let context = Context {
        sms: &view,
        text: &text,
        name: &service.name,
        now,
    };
    let body = match &service.action {
        Action::Text(pattern) => Some(Body::plain(escapes::expand(pattern, &context))),
        Action::File(path) => match std::fs::read_to_string(escapes::expand(path, &context)) {
            Ok(mut content) => {
                content.pop();
                Some(Body::plain(content))
            }
            Err(error) => {
                log::warn!("service {}: cannot read {path}: {error}", service.name);
                Some(Body::plain(settings.reply_couldnotfetch.clone()))
            }
        },
        Action::GetUrl(pattern) => {
            let url = escapes::expand(pattern, &context);
            fetch(service, settings, client, &Outgoing::get(&url)).await
        }
        Action::PostUrl(pattern) => {
            let url = escapes::expand(pattern, &context);
            let request = post_request(service, mo, &text, url);
            fetch(service, settings, client, &request).await
        }
        Action::PostXml(pattern) => {
            let url = escapes::expand(pattern, &context);
            let request = Outgoing {
                method: Method::POST,
                url,
                headers: vec![("Content-Type".into(), "text/xml".into())],
                body: post_xml(service, mo, &text).into_bytes(),
            };
            fetch(service, settings, client, &request).await
        }
    };
    match body {
        Some(body) => shape(service, settings, mo, reply, body),
        None => Vec::new(),
    }
}

impl Body {
    fn plain(text: String) -> Body {
        Body {
            text,
            data: None,
            overrides: Overrides::default(),
        }
    }
}

fn post_request(service: &Service, mo: &Sms, text: &str, url: String) -> Outgoing {
    let body_text = if service.strip_keyword {
        text.trim_start()
            .split_once(char::is_whitespace)
            .map_or("", |(_, rest)| rest.trim_start())
            .to_string()
    } else {
        text.to_string()
    };
    let field = |f: &Option<Vec<u8>>| {
        String::from_utf8_lossy(f.as_deref().unwrap_or_default()).into_owned()
    };
    let (content_type, body) = match mo.coding {
        Some(Coding::EightBit) => (
            "application/octet-stream".to_string(),
            mo.msgdata.clone().unwrap_or_default(),
        ),
        Some(Coding::Ucs2) => (
            "text/plain; charset=\"UTF-16BE\"".to_string(),
            ucs2::encode(&body_text),
        ),
        _ => (
            "text/plain; charset=\"UTF-8\"".to_string(),
            body_text.into_bytes(),
        ),
    };
    let time = chrono::DateTime::<chrono::Utc>::from_timestamp(i64::from(mo.time.unwrap_or(0)), 0)
        .unwrap_or_default()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let mut headers = vec![
        ("Content-Type".to_string(), content_type),
        ("X-Kannel-To".into(), field(&mo.receiver)),
        ("X-Kannel-Time".into(), time),
        ("X-Kannel-SMSC".into(), field(&mo.smsc_id)),
        (
            "X-Kannel-Coding".into(),
            mo.coding
                .map_or(0, |c| match c {
                    Coding::EightBit => 1,
                    Coding::Ucs2 => 2,
                    _ => 0,
                })
                .to_string(),
        ),
        ("X-Kannel-Service".into(), service.name.clone()),
    ];
    if service.send_sender {
        headers.push(("X-Kannel-From".into(), field(&mo.sender)));
    }
    if let Some(udh) = mo.udhdata.as_deref().filter(|u| !u.is_empty()) {
        headers.push(("X-Kannel-UDH".into(), urlcode::hex(udh)));
    }
    Outgoing {
        method: Method::POST,
        url,
        headers,
        body,
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Kannel's post-xml document for an MO.
fn post_xml(service: &Service, mo: &Sms, text: &str) -> String {
    let field = |f: &Option<Vec<u8>>| {
        xml_escape(&String::from_utf8_lossy(f.as_deref().unwrap_or_default()))
    };
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| urlcode::encode(w.as_bytes()))
        .collect();
    let oa = if service.send_sender {
        format!("  <oa><number>{}</number></oa>\n", field(&mo.sender))
    } else {
        String::new()
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<message cid=\"1\">\n <submit>\n  <da><number>{}</number></da>\n{oa}  <ud>{}</ud>\n  <dcs><coding>{}</coding></dcs>\n  <from><account>{}</account></from>\n  <to><service>{}</service></to>\n </submit>\n</message>\n",
        field(&mo.receiver),
        xml_escape(&words.join("+")),
        mo.coding.map_or(0, |c| match c {
            Coding::EightBit => 1,
            Coding::Ucs2 => 2,
            _ => 0,
        }),
        field(&mo.account),
        xml_escape(&service.name),
    )
}

async fn fetch(
    service: &Service,
    settings: &Settings,
    client: &HttpClient,
    request: &Outgoing,
) -> Option<Body> {
    let reply = match client.fetch(request).await {
        Ok(reply) if reply.status.as_u16() == 200 || reply.status.as_u16() == 202 => reply,
        Ok(reply) => {
            log::warn!(
                "service {}: {} answered {}",
                service.name,
                request.url,
                reply.status
            );
            return Some(Body::plain(settings.reply_couldnotfetch.clone()));
        }
        Err(error) => {
            log::warn!("service {}: {error}", service.name);
            return Some(Body::plain(settings.reply_couldnotfetch.clone()));
        }
    };
    let content_type = reply
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut pieces = content_type.split(';');
    let mime = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset_name = pieces.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
    });
    let decoded = || -> String {
        match charset_name.as_deref() {
            Some(name) => charset::decode(&reply.body, name)
                .unwrap_or_else(|_| String::from_utf8_lossy(&reply.body).into_owned()),
            None => String::from_utf8_lossy(&reply.body).into_owned(),
        }
    };
    let mut body = match mime.as_str() {
        "text/plain" => Body::plain(decoded()),
        "" if service.assume_plain_text => Body::plain(decoded()),
        "text/html" | "text/vnd.wap.wml" => {
            let html = decoded();
            Body::plain(html_to_sms(between(
                &html,
                service.prefix.as_deref(),
                service.suffix.as_deref(),
            )))
        }
        "application/octet-stream" => Body {
            text: String::new(),
            data: Some(reply.body.clone()),
            overrides: Overrides::default(),
        },
        _ => Body::plain("Result could not be represented as an SMS message.".into()),
    };
    if service.accept_x_kannel_headers {
        let header = |name: &str| {
            reply
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        body.overrides = Overrides {
            from: header("x-kannel-from"),
            smsc: header("x-kannel-smsc"),
            dlr_mask: header("x-kannel-dlr-mask").and_then(|m| m.trim().parse().ok()),
            dlr_url: header("x-kannel-dlr-url"),
            account: header("x-kannel-account"),
            binfo: header("x-kannel-binfo"),
        };
    }
    Some(body)
}

/// Header, footer, omit-empty, max-messages, concatenation: the reply MTs.
fn shape(service: &Service, settings: &Settings, mo: &Sms, mut reply: Sms, body: Body) -> Vec<Sms> {
    if service.max_messages == 0 {
        return Vec::new();
    }
    reply.id = Uuid::new_v4();
    reply.time = Some(crate::sendsms::now() as i32);
    reply.smsc_id = mo.smsc_id.clone();
    reply.service = Some(service.name.clone().into_bytes());
    reply.udhdata = Some(Vec::new());
    reply.dlr_mask = service.dlr_mask;
    reply.dlr_url = Some(service.dlr_url.clone().unwrap_or_default().into_bytes());
    let o = body.overrides;
    if let Some(from) = o.from {
        reply.sender = Some(from.into_bytes());
    }
    if let Some(smsc) = o.smsc {
        reply.smsc_id = Some(smsc.into_bytes());
    }
    if o.dlr_mask.is_some() {
        reply.dlr_mask = o.dlr_mask;
    }
    if let Some(url) = o.dlr_url {
        reply.dlr_url = Some(url.into_bytes());
    }
    reply.account = o
        .account
        .map(String::into_bytes)
        .or_else(|| mo.account.clone());
    reply.binfo = o.binfo.map(String::into_bytes);
    if let Some(data) = body.data {
        reply.coding = Some(Coding::EightBit);
        reply.msgdata = Some(data);
        return vec![reply];
    }
    let mut text = body.text;
    if text.is_empty() {
        if service.omit_empty {
            return Vec::new();
        }
        text = settings.reply_emptymessage.clone();
        if text.is_empty() {
            return Vec::new();
        }
    }
    let whole = format!("{}{text}{}", service.header, service.footer);
    let coding = if box_protocol::encoding::gsm7::is_representable(&whole) {
        Coding::SevenBit
    } else {
        Coding::Ucs2
    };
    let encode = |t: &str| match coding {
        Coding::Ucs2 => ucs2::encode(t),
        _ => t.as_bytes().to_vec(),
    };
    let limit = service.max_messages;
    reply.coding = Some(coding);
    if !service.concatenation {
        // Separate single messages, the rest beyond max-messages dropped,
        // as Kannel's smsbox does for replies.
        let rules = crate::parts::Cutting {
            header: &service.header,
            footer: &service.footer,
            suffix: &service.split_suffix,
            split_chars: &service.split_chars,
            max_pieces: limit,
        };
        return crate::parts::cut(&text, coding, &rules)
            .into_iter()
            .take(limit)
            .map(|piece| {
                let mut part = reply.clone();
                part.id = Uuid::new_v4();
                part.msgdata = Some(encode(&piece));
                part
            })
            .collect();
    }
    // One concatenated message, cut to max-messages parts.
    let mut text = whole;
    let rough = limit.saturating_mul(160);
    if text.chars().count() > rough {
        text = text.chars().take(rough).collect();
    }
    while !text.is_empty()
        && crate::parts::count(&encode(&text), coding, &[]).map_or(true, |p| p > limit)
    {
        text.pop();
    }
    reply.msgdata = Some(encode(&text));
    vec![reply]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_answers_lose_tags_comments_and_entities_as_in_kannel() {
        assert_eq!(
            html_to_sms(
                "<p class=\"a>b\">Fish &amp; chips<!-- <b>no</b> -->\n  at&nbsp;5 &#8364;</p>"
            ),
            "Fish & chips at 5 €"
        );
        assert_eq!(html_to_sms("a &unknown; b"), "a &unknown; b");
    }

    #[test]
    fn prefix_and_suffix_cut_only_when_both_are_found() {
        let page = "<html>Head START<b>Sunny</b> end tail END</html>";
        assert_eq!(between(page, Some("start"), Some("END")), "<b>Sunny</b> ");
        assert_eq!(between(page, Some("start"), None), page);
        assert_eq!(between(page, Some("nowhere"), Some("end")), page);
        assert_eq!(between(page, Some("START"), Some("nowhere")), page);
    }
}

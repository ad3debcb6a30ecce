//! The sendsms request as its sender wrote it, from any of the forms
//! sendsms takes, gathered into one bag of named fields before any
//! checking: GET query, form-encoded POST, Kannel's text/plain or
//! octet-stream POST with `X-Kannel-*` headers, Kannel's XML POST, and our
//! JSON POST.

use hyper::HeaderMap;

use crate::answers::Answer;
use crate::urlcode;

/// Kannel's parameter names, and the deprecated spellings it still takes,
/// compared without case. A `match` on the lowercased name rather than a
/// search of a table: each request has several fields, and the search
/// compared each with every name in turn.
fn canonical(name: &str) -> Option<&'static str> {
    const LONGEST: usize = "meta-data".len();
    if name.len() > LONGEST {
        return None;
    }
    let mut lower = [0u8; LONGEST];
    let lower = &mut lower[..name.len()];
    lower.copy_from_slice(name.as_bytes());
    lower.make_ascii_lowercase();
    Some(match &*lower {
        b"username" | b"user" => "username",
        b"password" | b"pass" => "password",
        b"from" => "from",
        b"to" => "to",
        b"text" => "text",
        b"charset" => "charset",
        b"udh" => "udh",
        b"smsc" => "smsc",
        b"mclass" | b"flash" => "mclass",
        b"mwi" => "mwi",
        b"compress" => "compress",
        b"coding" => "coding",
        b"validity" => "validity",
        b"deferred" => "deferred",
        b"dlr-mask" | b"dlrmask" => "dlr-mask",
        b"dlr-url" | b"dlrurl" => "dlr-url",
        b"pid" => "pid",
        b"alt-dcs" => "alt-dcs",
        b"rpi" => "rpi",
        b"account" => "account",
        b"binfo" => "binfo",
        b"priority" => "priority",
        b"meta-data" => "meta-data",
        _ => return None,
    })
}

/// The fields of one request, by Kannel's canonical names.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    /// A handful per request, from a fixed set of names: a list is found
    /// faster than a hash map can hash the name it is asked for.
    values: Vec<(&'static str, Vec<u8>)>,
    /// Recipients given as a list (XML `<da>`, JSON array) rather than `to`.
    pub receivers: Option<Vec<String>>,
    /// 1 for an octet-stream body, else 0: the coding when none is given.
    pub body_coding: i32,
    /// The `udh` field is hex (headers, XML, JSON) rather than raw bytes.
    pub udh_is_hex: bool,
}

impl Fields {
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.values
            .iter()
            .find(|(named, _)| *named == name)
            .map(|(_, value)| value.as_slice())
    }

    /// The field as text; bytes that are not UTF-8 are replaced.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|value| String::from_utf8_lossy(value).into_owned())
    }

    /// Sets a field; a later value of the same field replaces the earlier.
    fn set(&mut self, name: &'static str, value: Vec<u8>) {
        match self.values.iter_mut().find(|(named, _)| *named == name) {
            Some((_, old)) => *old = value,
            None => self.values.push((name, value)),
        }
    }

    fn set_named(&mut self, name: &str, value: Vec<u8>) {
        if let Some(name) = canonical(name) {
            self.set(name, value);
        }
    }
}

/// GET: the query string.
pub fn from_query(query: &[u8]) -> Result<Fields, Answer> {
    let mut fields = Fields::default();
    add_query(&mut fields, query)?;
    Ok(fields)
}

fn add_query(fields: &mut Fields, query: &[u8]) -> Result<(), Answer> {
    urlcode::for_each_pair(query, |name, value| fields.set_named(name, value))
        .map_err(|error| Answer::bad_request(&error.to_string()))
}

/// A request with a body, read by its content type. The query's fields
/// are a base the body's override, so credentials may stay in the URL.
pub fn from_body(headers: &HeaderMap, query: &[u8], body: &[u8]) -> Result<Fields, Answer> {
    let content_type = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut parts = content_type.split(';');
    let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let charset = parts.find_map(|p| {
        let (key, value) = p.split_once('=')?;
        (key.trim().eq_ignore_ascii_case("charset"))
            .then(|| value.trim().trim_matches('"').to_string())
    });
    let mut fields = Fields::default();
    add_query(&mut fields, query)?;
    match mime.as_str() {
        "application/x-www-form-urlencoded" => add_query(&mut fields, body)?,
        "text/plain" | "application/octet-stream" => {
            add_kannel_headers(&mut fields, headers);
            if let Some(charset) = charset {
                fields.set("charset", charset.into_bytes());
            }
            fields.set("text", body.to_vec());
            if mime == "application/octet-stream" {
                fields.body_coding = 1;
            }
        }
        "text/xml" | "application/xml" => add_xml(&mut fields, body)?,
        "application/json" => add_json(&mut fields, body)?,
        "text/html" | "text/vnd.wap.wml" => {
            return Err(Answer::new(415, "Unsupported content-type, rejected"));
        }
        _ => return Err(Answer::new(400, "Invalid content-type")),
    }
    Ok(fields)
}

fn add_kannel_headers(fields: &mut Fields, headers: &HeaderMap) {
    for (name, value) in headers {
        let Some(param) = name.as_str().strip_prefix("x-kannel-") else {
            continue;
        };
        let param = match param {
            "dlr-mask" | "dlr-url" | "alt-dcs" | "meta-data" => param.to_string(),
            other => other.to_string(),
        };
        if param == "udh" {
            fields.udh_is_hex = true;
        }
        fields.set_named(&param, value.as_bytes().to_vec());
    }
}

/// The text inside the first `<name>…</name>` of `xml`, entities decoded.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    elements(xml, name).into_iter().next()
}

fn elements<'a>(xml: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    found
}

fn unescape(text: &str) -> String {
    text.trim()
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Kannel's XML submit document (user guide, "XML Post"); the `ud` text is
/// taken as it stands, entities decoded.
fn add_xml(fields: &mut Fields, body: &[u8]) -> Result<(), Answer> {
    let xml =
        std::str::from_utf8(body).map_err(|_| Answer::bad_request("the XML body is not UTF-8"))?;
    let submit = element(xml, "submit")
        .ok_or_else(|| Answer::bad_request("the XML body has no <submit> element"))?;
    let receivers: Vec<String> = elements(submit, "da")
        .into_iter()
        .filter_map(|da| element(da, "number"))
        .map(unescape)
        .collect();
    if !receivers.is_empty() {
        fields.receivers = Some(receivers);
    }
    let mut put = |name: &'static str, value: Option<&str>| {
        if let Some(value) = value {
            fields.set(name, unescape(value).into_bytes());
        }
    };
    put(
        "from",
        element(submit, "oa").and_then(|oa| element(oa, "number")),
    );
    put("text", element(submit, "ud"));
    put("udh", element(submit, "udh"));
    put("meta-data", element(submit, "meta-data"));
    if let Some(dcs) = element(submit, "dcs") {
        for name in ["mclass", "coding", "mwi", "compress", "alt-dcs"] {
            put(name, element(dcs, name));
        }
    }
    put("pid", element(submit, "pid"));
    put("rpi", element(submit, "rpi"));
    put(
        "validity",
        element(submit, "vp").and_then(|vp| element(vp, "delay")),
    );
    put(
        "deferred",
        element(submit, "timing").and_then(|t| element(t, "delay")),
    );
    if let Some(status) = element(submit, "statusrequest") {
        put("dlr-mask", element(status, "dlr-mask"));
        put("dlr-url", element(status, "dlr-url"));
    }
    if let Some(from) = element(submit, "from") {
        put(
            "username",
            element(from, "username").or_else(|| element(from, "user")),
        );
        put(
            "password",
            element(from, "password").or_else(|| element(from, "pass")),
        );
        put("account", element(from, "account"));
    }
    // Outside <da>, <to> names the SMSC.
    let without_da = elements(submit, "da")
        .iter()
        .fold(submit.to_string(), |text, da| {
            text.replace(&format!("<da>{da}</da>"), "")
        });
    put("smsc", element(&without_da, "to"));
    fields.udh_is_hex = true;
    Ok(())
}

/// Our JSON body: an object with Kannel's parameter names; `to` a string or
/// an array; `udh` in hex; `text` is Unicode, so no `charset` applies.
fn add_json(fields: &mut Fields, body: &[u8]) -> Result<(), Answer> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| Answer::bad_request(&format!("the JSON body is not valid: {error}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| Answer::bad_request("the JSON body must be an object"))?;
    for (name, value) in object {
        let text = match value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Number(number) => number.to_string(),
            serde_json::Value::Bool(flag) => u8::from(*flag).to_string(),
            serde_json::Value::Array(items) if name == "to" => {
                let receivers = items
                    .iter()
                    .map(|item| match item {
                        serde_json::Value::String(text) => Ok(text.clone()),
                        serde_json::Value::Number(number) => Ok(number.to_string()),
                        _ => Err(Answer::bad_request("JSON 'to' items must be strings")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                fields.receivers = Some(receivers);
                continue;
            }
            serde_json::Value::Null => continue,
            _ => {
                return Err(Answer::bad_request(&format!(
                    "JSON field '{name}' must be a string or a number"
                )));
            }
        };
        fields.set_named(name, text.into_bytes());
    }
    if fields.get("text").is_some() {
        fields.set("charset", b"UTF-8".to_vec());
    }
    fields.udh_is_hex = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_and_their_old_spellings_are_known_in_any_case() {
        for (sent, meant) in [
            ("username", "username"),
            ("USER", "username"),
            ("Pass", "password"),
            ("flash", "mclass"),
            ("DLRMASK", "dlr-mask"),
            ("dlrurl", "dlr-url"),
            ("Meta-Data", "meta-data"),
        ] {
            assert_eq!(canonical(sent), Some(meant), "{sent}");
        }
        for unknown in ["", "usernam", "usernames", "meta-datas", "dlr_mask", "tö"] {
            assert_eq!(canonical(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn xml_submit_gives_every_receiver_and_the_credentials() -> Result<(), Answer> {
        let xml = b"<?xml version=\"1.0\"?><message><submit><da><number>111</number></da>\
            <da><number>222</number></da><oa><number>777</number></oa><ud>hi &amp; bye</ud>\
            <from><username>tester</username><password>foobar</password></from><to>fake1</to>\
            </submit></message>";
        let mut fields = Fields::default();
        add_xml(&mut fields, xml)?;
        assert_eq!(fields.receivers, Some(vec!["111".into(), "222".into()]));
        assert_eq!(fields.text("text").as_deref(), Some("hi & bye"));
        assert_eq!(fields.text("username").as_deref(), Some("tester"));
        assert_eq!(fields.text("smsc").as_deref(), Some("fake1"));
        assert_eq!(fields.text("from").as_deref(), Some("777"));
        Ok(())
    }
}

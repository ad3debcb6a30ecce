//! One-line answers (`Kannel suspended`, `Denied`...) in each format, as
//! Kannel wraps them, and its answer to an unknown command.

use crate::request::{Format, KANNEL_COMMANDS};

/// A rendered answer: always HTTP 200, as Kannel answers everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub content_type: &'static str,
    pub body: String,
}

/// Kannel serves its XML as `text/plain`; monitors read the body only.
pub const KANNEL_XML_TYPE: &str = "text/plain";
pub const TEXT_TYPE: &str = "text/plain";
pub const HTML_TYPE: &str = "text/html";
pub const JSON_TYPE: &str = "application/json";

pub(crate) const HTML_HEAD: &str =
    "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<html>\n<title>Kannel</title>\n<body>\n";
pub(crate) const HTML_TAIL: &str = "</body></html>\n";
pub(crate) const XML_HEAD: &str = "<?xml version=\"1.0\"?>\n<gateway>\n";
pub(crate) const XML_TAIL: &str = "</gateway>\n";

pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

/// A plain answer in `format`.
pub fn wrap(format: Format, text: &str) -> Reply {
    match format {
        Format::Text => Reply {
            content_type: TEXT_TYPE,
            body: text.to_owned(),
        },
        Format::Html => Reply {
            content_type: HTML_TYPE,
            body: format!(
                "{HTML_HEAD}<p>{}</p>\n{HTML_TAIL}",
                escape_xml(text).replace('\n', "<br>\n")
            ),
        },
        Format::Xml => Reply {
            content_type: KANNEL_XML_TYPE,
            body: format!("{XML_HEAD}{}{XML_TAIL}", escape_xml(text)),
        },
        Format::Json => Reply {
            content_type: JSON_TYPE,
            body: serde_json::json!({ "reply": text }).to_string(),
        },
    }
}

/// ``Unknown command `/frob'.`` and the list of commands, one a line.
pub fn unknown_command(path: &str) -> String {
    let mut text = format!("Unknown command `{path}'.\nPossible commands are:\n");
    for (name, _) in KANNEL_COMMANDS {
        text.push_str(name);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_wrapped_as_kannel_wraps_them() {
        assert_eq!(
            wrap(Format::Html, "Running resumed").body,
            "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 3.2//EN\">\n<html>\n<title>Kannel</title>\n<body>\n<p>Running resumed</p>\n</body></html>\n"
        );
        assert_eq!(
            wrap(Format::Xml, "Kannel suspended").body,
            "<?xml version=\"1.0\"?>\n<gateway>\nKannel suspended</gateway>\n"
        );
        assert_eq!(wrap(Format::Text, "Denied").body, "Denied");
        assert_eq!(wrap(Format::Json, "Denied").body, "{\"reply\":\"Denied\"}");
    }

    #[test]
    fn an_unknown_command_lists_the_sixteen_commands() {
        let text = unknown_command("/frob");
        assert!(text.starts_with("Unknown command `/frob'.\nPossible commands are:\nstatus\n"));
        assert!(text.ends_with("reload-lists\nremove-message\n"));
        assert_eq!(text.len(), 215);
    }
}

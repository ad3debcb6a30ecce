//! Kannel's admin URLs: `/<command>[.<format>]?password=…`, with or without
//! `/cgi-bin/`, any method. The format comes from the suffix, else from the
//! `Accept` header.

/// A command of the admin port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Status,
    StoreStatus,
    LogLevel,
    Shutdown,
    Suspend,
    Isolate,
    Resume,
    Restart,
    GracefulRestart,
    FlushDlr,
    StopSmsc,
    StartSmsc,
    AddSmsc,
    RemoveSmsc,
    ReloadLists,
    RemoveMessage,
    /// Ours: Prometheus text format.
    Metrics,
}

/// Kannel's commands in the order its "Possible commands" list gives them.
pub const KANNEL_COMMANDS: [(&str, Command); 16] = [
    ("status", Command::Status),
    ("store-status", Command::StoreStatus),
    ("log-level", Command::LogLevel),
    ("shutdown", Command::Shutdown),
    ("suspend", Command::Suspend),
    ("isolate", Command::Isolate),
    ("resume", Command::Resume),
    ("restart", Command::Restart),
    ("graceful-restart", Command::GracefulRestart),
    ("flush-dlr", Command::FlushDlr),
    ("stop-smsc", Command::StopSmsc),
    ("start-smsc", Command::StartSmsc),
    ("add-smsc", Command::AddSmsc),
    ("remove-smsc", Command::RemoveSmsc),
    ("reload-lists", Command::ReloadLists),
    ("remove-message", Command::RemoveMessage),
];

impl Command {
    /// Whether the status password is enough (else the admin password is needed).
    pub fn is_status(self) -> bool {
        matches!(
            self,
            Command::Status | Command::StoreStatus | Command::Metrics
        )
    }
}

/// How an answer is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Html,
    Xml,
    /// Ours; Kannel 1.4.5 has none.
    Json,
}

impl Format {
    fn from_suffix(suffix: &str) -> Option<Format> {
        match suffix {
            "txt" => Some(Format::Text),
            "html" => Some(Format::Html),
            "xml" => Some(Format::Xml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Kannel's preference when no suffix is given: html over xml over text.
    fn from_accept(accept: Option<&str>) -> Format {
        let accept = accept.unwrap_or_default();
        if accept.contains("text/html") {
            Format::Html
        } else if accept.contains("text/xml") {
            Format::Xml
        } else if accept.contains("application/json") {
            Format::Json
        } else {
            Format::Text
        }
    }
}

/// A request of the admin port, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `None`: not a command; `path` says what was asked for.
    pub command: Option<Command>,
    pub format: Format,
    /// The path without `/cgi-bin`, as Kannel names it in its refusal.
    pub path: String,
    params: Vec<(String, String)>,
}

impl Request {
    /// Reads a request target (`/status.xml?password=x`) and its `Accept` header.
    pub fn parse(target: &str, accept: Option<&str>) -> Request {
        let (raw_path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = raw_path.strip_prefix("/cgi-bin").unwrap_or(raw_path);
        let name = path.strip_prefix('/').unwrap_or(path);
        let (stem, format) = match name.rsplit_once('.') {
            Some((stem, suffix)) => match Format::from_suffix(suffix) {
                Some(format) => (stem, Some(format)),
                None => (name, None),
            },
            None => (name, None),
        };
        let command = KANNEL_COMMANDS
            .iter()
            .find(|(known, _)| *known == stem)
            .map(|(_, command)| *command)
            .or((stem == "metrics").then_some(Command::Metrics));
        Request {
            command,
            format: format.unwrap_or_else(|| Format::from_accept(accept)),
            path: path.to_owned(),
            params: parse_query(query),
        }
    }

    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// `a=1&b=x%20y` into pairs, `+` as space; bad escapes are kept as written.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgi_bin_and_suffixes_name_the_same_command() {
        for target in ["/status.xml", "/cgi-bin/status.xml"] {
            let request = Request::parse(target, None);
            assert_eq!(request.command, Some(Command::Status));
            assert_eq!(request.format, Format::Xml);
        }
        let request = Request::parse("/stop-smsc.json?smsc=a%20b&password=x+y", None);
        assert_eq!(request.command, Some(Command::StopSmsc));
        assert_eq!(request.format, Format::Json);
        assert_eq!(request.param("smsc"), Some("a b"));
        assert_eq!(request.param("password"), Some("x y"));
    }

    #[test]
    fn without_a_suffix_the_accept_header_decides() {
        let html = Request::parse("/status", Some("text/html,application/xml;q=0.9"));
        assert_eq!(html.format, Format::Html);
        assert_eq!(Request::parse("/status", None).format, Format::Text);
    }

    #[test]
    fn an_unknown_path_keeps_its_name() {
        let request = Request::parse("/cgi-bin/frob.html?x=%zz", None);
        assert_eq!(request.command, None);
        assert_eq!(request.path, "/frob.html");
        assert_eq!(request.format, Format::Html);
        assert_eq!(request.param("x"), Some("%zz"));
        assert_eq!(Request::parse("/status.pdf", None).command, None);
    }
}

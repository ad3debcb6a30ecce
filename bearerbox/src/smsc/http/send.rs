//! The request for one MT, per system type: a `kannel` link calls the
//! supplier's sendsms with the parameters Kannel 1.4.5 sends (in its order,
//! checked against a recording of its `http` driver); a `generic` link
//! expands the sms-service escapes (reference/kannel.md §3.3) in `send-url`.
//!
//! Pure: the clock comes in as `now`.

use box_protocol::message::{Coding, Sms};

use super::config::{HttpSettings, SystemType};
use crate::urlcode::encode;

/// The URL to GET for `sms`.
pub fn request_url(settings: &HttpSettings, sms: &Sms, now: i64) -> String {
    match settings.system_type {
        SystemType::Kannel => kannel_url(settings, sms, now),
        SystemType::Generic => expand(&settings.send_url, sms, now),
    }
}

fn kannel_url(settings: &HttpSettings, sms: &Sms, now: i64) -> String {
    let field = |value: &Option<Vec<u8>>| value.as_deref().unwrap_or_default().to_vec();
    let text = field(&sms.msgdata);
    let mut url = settings.send_url.clone();
    url.push(if url.contains('?') { '&' } else { '?' });
    let mut push = |key: &str, value: &str| {
        if !url.ends_with(['?', '&']) {
            url.push('&');
        }
        url.push_str(key);
        url.push('=');
        url.push_str(value);
    };
    push(
        "username",
        &encode(settings.username.as_deref().unwrap_or_default().as_bytes()),
    );
    push(
        "password",
        &encode(settings.password.as_deref().unwrap_or_default().as_bytes()),
    );
    push("to", &encode(&field(&sms.receiver)));
    // no-sep: text and UDH as hex digits, for suppliers that mangle escapes.
    let binary = |bytes: &[u8]| {
        if settings.no_sep {
            hex(bytes, false)
        } else {
            encode(bytes)
        }
    };
    push("text", &binary(&text));
    if let Some(udh) = sms.udhdata.as_deref().filter(|udh| !udh.is_empty()) {
        push("udh", &binary(udh));
    }
    if !settings.no_sender {
        push("from", &encode(&field(&sms.sender)));
    }
    if let Some(mclass) = sms.mclass.filter(|&m| m >= 0) {
        push("mclass", &mclass.to_string());
    }
    if !settings.no_coding
        && let Some(coding) = sms.coding
    {
        push("coding", &coding.raw().to_string());
        match coding {
            Coding::SevenBit => push("charset", "UTF-8"),
            Coding::Ucs2 => push("charset", "UTF-16BE"),
            _ => {}
        }
    }
    if let Some(mwi) = sms.mwi.filter(|&m| m >= 0) {
        push("mwi", &mwi.to_string());
    }
    if let Some(account) = &sms.account {
        let account = format!(
            "{}:{}",
            encode(sms.service.as_deref().unwrap_or_default()),
            encode(account)
        );
        push("account", &account);
    }
    if let Some(binfo) = &sms.binfo {
        push("binfo", &encode(binfo));
    }
    push("dlr-url", &encode(&field(&sms.dlr_url)));
    if let Some(mask) = sms.dlr_mask.filter(|&m| m > 0) {
        push("dlr-mask", &mask.to_string());
    }
    if let Some(validity) = sms.validity.filter(|&v| v > 0) {
        push("validity", &minutes_from(now, validity).to_string());
    }
    if let Some(deferred) = sms.deferred.filter(|&d| d > 0) {
        push("deferred", &minutes_from(now, deferred).to_string());
    }
    url
}

/// Minutes from `now` until the absolute time `at`, rounded up, never negative.
fn minutes_from(now: i64, at: i32) -> i64 {
    ((i64::from(at) - now).max(0) + 59) / 60
}

/// `send-url` with its escapes filled from an MT: `%p` is the receiver,
/// `%P` the sender, the rest as for an MO (reference/kannel.md §3.3).
pub fn expand(template: &str, sms: &Sms, now: i64) -> String {
    let bytes = |value: &Option<Vec<u8>>| value.as_deref().unwrap_or_default().to_vec();
    let text = bytes(&sms.msgdata);
    let words: Vec<&[u8]> = text
        .split(|&byte| byte == b' ')
        .filter(|word| !word.is_empty())
        .collect();
    let mut next_word = 1usize.min(words.len());
    let number = |value: Option<i32>| value.unwrap_or(-1).to_string();
    let plus = |number: &[u8]| match number.strip_prefix(b"00") {
        Some(rest) => [b"+".as_slice(), rest].concat(),
        None => number.to_vec(),
    };
    let mut out = String::with_capacity(template.len() + text.len() * 3);
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(code) = chars.next() else {
            out.push('%');
            break;
        };
        let value = match code {
            'k' => encode(words.first().copied().unwrap_or_default()),
            's' => {
                let word = words.get(next_word).copied().unwrap_or_default();
                next_word = (next_word + 1).min(words.len());
                encode(word)
            }
            'S' => {
                let word = words.get(next_word).copied().unwrap_or_default();
                next_word = (next_word + 1).min(words.len());
                String::from_utf8_lossy(word).replace('*', "~")
            }
            'r' => join(words.get(next_word..).unwrap_or_default()),
            'a' => join(&words),
            'b' | 'A' => encode(&text),
            'e' => hex(&text, true),
            'p' => encode(&bytes(&sms.receiver)),
            'P' => encode(&bytes(&sms.sender)),
            'q' => encode(&plus(&bytes(&sms.receiver))),
            'Q' => encode(&plus(&bytes(&sms.sender))),
            'i' => encode(&bytes(&sms.smsc_id)),
            'I' => sms.id.to_string(),
            'd' => number(sms.dlr_mask),
            'R' => encode(&bytes(&sms.dlr_url)),
            'D' => encode(&bytes(&sms.meta_data)),
            'F' => encode(&bytes(&sms.foreign_id)),
            'n' => encode(&bytes(&sms.service)),
            'c' => number(sms.coding.map(Coding::raw)),
            'C' => match sms.coding {
                Some(Coding::EightBit) => "8-BIT".into(),
                Some(Coding::Ucs2) => "UTF-16BE".into(),
                _ => "UTF-8".into(),
            },
            'm' => number(sms.mclass),
            'M' => number(sms.mwi),
            'O' => format!("{:02}", dcs(sms)),
            'u' => encode(&bytes(&sms.udhdata)),
            'B' => encode(&bytes(&sms.binfo)),
            'o' => encode(&bytes(&sms.account)),
            'f' => encode(&bytes(&sms.smsc_number)),
            't' => encode(time_text(sms.time.map_or(now, i64::from)).as_bytes()),
            'T' => sms.time.map_or(now, i64::from).to_string(),
            'v' => sms
                .validity
                .filter(|&v| v > 0)
                .map_or_else(|| "-1".into(), |v| minutes_from(now, v).to_string()),
            'V' => sms
                .deferred
                .filter(|&d| d > 0)
                .map_or_else(|| "-1".into(), |d| minutes_from(now, d).to_string()),
            '%' => "%".into(),
            other => format!("%{other}"),
        };
        out.push_str(&value);
    }
    out
}

fn join(words: &[&[u8]]) -> String {
    words
        .iter()
        .map(|word| encode(word))
        .collect::<Vec<_>>()
        .join("+")
}

/// The DCS a plain SMS of this coding would carry, for `%O`.
fn dcs(sms: &Sms) -> i32 {
    let coding = match sms.coding {
        Some(Coding::EightBit) => 0x04,
        Some(Coding::Ucs2) => 0x08,
        _ => 0x00,
    };
    match sms.mclass.filter(|&m| (0..=3).contains(&m)) {
        Some(mclass) => 0x10 | coding | mclass,
        None => coding,
    }
}

fn time_text(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|time| time.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn hex(bytes: &[u8], upper: bool) -> String {
    bytes
        .iter()
        .map(|byte| {
            if upper {
                format!("{byte:02X}")
            } else {
                format!("{byte:02x}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_list::IpList;
    use crate::smsc::http::config::{Judging, ParamNames, Replies};

    fn settings(system_type: SystemType, send_url: &str) -> HttpSettings {
        HttpSettings {
            smsc_id: "up".into(),
            system_type,
            send_url: send_url.into(),
            username: Some("bob".into()),
            password: Some("pw".into()),
            listen: None,
            allow: IpList::parse("127.0.0.1"),
            no_sender: false,
            no_coding: false,
            no_sep: false,
            max_pending: 10,
            throughput: None,
            timeout: std::time::Duration::from_secs(5),
            params: ParamNames::default(),
            judging: Judging::default(),
            replies: Replies {
                sent_status: 202,
                sent_body: "Sent.".into(),
                error_status: 202,
            },
        }
    }

    fn mt(text: &str) -> Sms {
        let mut sms = Sms::new_mt("999", "4670001", text);
        sms.service = Some(b"u".to_vec());
        sms
    }

    #[test]
    fn kannel_type_sends_what_kannel_1_4_5_sends() {
        let mut sms = mt("hello wörld");
        sms.mclass = Some(1);
        sms.account = Some(b"acc".to_vec());
        sms.binfo = Some(b"bi".to_vec());
        sms.dlr_mask = Some(31);
        sms.dlr_url = Some(b"http://127.0.0.1:23010/dlr?type=%d&fid=%F".to_vec());
        sms.validity = Some(1000 + 600);
        sms.deferred = Some(1000 + 60);
        let url = request_url(
            &settings(SystemType::Kannel, "http://127.0.0.1:23010/cgi-bin/sendsms"),
            &sms,
            1000,
        );
        // As recorded from Kannel 1.4.5's http smsc, kannel type.
        assert_eq!(
            url,
            "http://127.0.0.1:23010/cgi-bin/sendsms?username=bob&password=pw&to=4670001\
             &text=hello+w%C3%B6rld&from=999&mclass=1&coding=0&charset=UTF-8&account=u:acc\
             &binfo=bi&dlr-url=http%3A%2F%2F127.0.0.1%3A23010%2Fdlr%3Ftype%3D%25d%26fid%3D%25F\
             &dlr-mask=31&validity=10&deferred=1"
        );
    }

    #[test]
    fn kannel_type_sends_ucs2_raw_with_its_charset_and_udh_after_the_text() {
        let mut sms = mt("");
        sms.sender = Some(b"12345".to_vec());
        sms.msgdata = Some(vec![0, b'h']);
        sms.coding = Some(Coding::Ucs2);
        sms.udhdata = Some(vec![5, 0, 3, 1, 2, 1]);
        let url = request_url(&settings(SystemType::Kannel, "http://h/s"), &sms, 0);
        assert_eq!(
            url,
            "http://h/s?username=bob&password=pw&to=4670001&text=%00h\
             &udh=%05%00%03%01%02%01&from=12345&coding=2&charset=UTF-16BE&dlr-url="
        );
    }

    #[test]
    fn no_sender_no_coding_and_no_sep_shape_the_kannel_url() {
        let mut link = settings(SystemType::Kannel, "http://h/s");
        link.no_sender = true;
        link.no_coding = true;
        link.no_sep = true;
        let url = request_url(&link, &mt("Hi"), 0);
        assert_eq!(
            url,
            "http://h/s?username=bob&password=pw&to=4670001&text=4869&dlr-url="
        );
    }

    #[test]
    fn generic_send_url_escapes_are_filled_from_the_mt() {
        let mut sms = mt("hello wörld  x");
        sms.dlr_mask = Some(31);
        let url = request_url(
            &settings(
                SystemType::Generic,
                "http://h/send?u=%n&to=%p&from=%P&t=%a&b=%b&c=%c&d=%d&k=%k&s=%s&r=%r&x=%x&p=%%",
            ),
            &sms,
            0,
        );
        assert_eq!(
            url,
            "http://h/send?u=u&to=4670001&from=999&t=hello+w%C3%B6rld+x\
             &b=hello+w%C3%B6rld++x&c=0&d=31&k=hello&s=w%C3%B6rld&r=x&x=%x&p=%"
        );
    }
}

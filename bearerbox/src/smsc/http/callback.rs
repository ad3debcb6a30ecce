//! What a supplier's callback means: an MO, a delivery report, or a request
//! refused with the text Kannel 1.4.5 answers. Pure: the listener feeds it
//! the request's parameters and the clock.

use box_protocol::encoding::charset;
use box_protocol::message::{Coding, Sms, SmsType};

use super::config::HttpSettings;
use crate::dlr::DlrEvent;

/// A callback the link passes on to the core.
#[derive(Debug, Clone, PartialEq)]
pub enum Callback {
    Mo(Box<Sms>),
    Report {
        foreign_id: String,
        event: DlrEvent,
        text: Option<Vec<u8>>,
    },
}

/// A callback refused; the text is the answer's body, as Kannel words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal(pub &'static str);

/// A request's parameters, names and values `%`-decoded, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, Vec<u8>)>);

impl Params {
    /// Adds the pairs of a query string or a form body.
    pub fn extend_from(&mut self, encoded: &[u8]) {
        for pair in encoded.split(|&byte| byte == b'&') {
            if pair.is_empty() {
                continue;
            }
            let mut halves = pair.splitn(2, |&byte| byte == b'=');
            let name = decode(halves.next().unwrap_or_default());
            let value = decode(halves.next().unwrap_or_default());
            self.0
                .push((String::from_utf8_lossy(&name).into_owned(), value));
        }
    }

    /// The first value named `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_slice())
    }

    fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(|value| String::from_utf8_lossy(value).into_owned())
    }

    /// A number as Kannel's `%d` reads it: garbage is absent.
    fn number(&self, name: &str) -> Option<i32> {
        self.text(name)?.trim().parse().ok()
    }
}

/// `%XX` and `+` decoded; a malformed escape stays as it is.
fn decode(encoded: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        match encoded[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let byte = encoded
                    .get(i + 1..i + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                match byte {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}

/// Reads a callback. A delivery report names the supplier's id for the MT
/// (`dlr-mid`) and the event (`dlr-mask`); anything else must be an MO.
pub fn interpret(settings: &HttpSettings, params: &Params, now: i64) -> Result<Callback, Refusal> {
    let names = &settings.params;
    if let Some(username) = &settings.username {
        let password = settings.password.as_deref().unwrap_or_default();
        let user_ok = params.get(&names.username) == Some(username.as_bytes());
        let password_ok = params.get(&names.password) == Some(password.as_bytes());
        if !(user_ok && password_ok) {
            return Err(Refusal("Authorization failed for sendsms"));
        }
    }
    if let Some(foreign_id) = params.text(&names.dlr_mid) {
        let event = params
            .number(&names.dlr_mask)
            .and_then(event_of)
            .ok_or(Refusal("Unknown DLR, not accepted"))?;
        return Ok(Callback::Report {
            foreign_id,
            event,
            text: params.get(&names.text).map(<[u8]>::to_vec),
        });
    }
    let (Some(from), Some(to), Some(text)) = (
        params.get(&names.from),
        params.get(&names.to),
        params.get(&names.text),
    ) else {
        return Err(Refusal("Insufficient args, rejected"));
    };
    let udh = params.get(&names.udh).filter(|udh| !udh.is_empty());
    if let Some(udh) = udh
        && usize::from(udh[0]) + 1 != udh.len()
    {
        return Err(Refusal("UDH field misformed, rejected"));
    }
    let coding = match params.number(&names.coding) {
        Some(1) => Coding::EightBit,
        Some(2) => Coding::Ucs2,
        Some(_) => Coding::SevenBit,
        None if udh.is_some() => Coding::EightBit,
        None => Coding::SevenBit,
    };
    let msgdata = recode(text, coding, params.text("charset").as_deref())
        .ok_or(Refusal("Charset or body misformed, rejected"))?;
    let mut sms = Sms::new_mo(
        from.to_vec(),
        to.to_vec(),
        msgdata,
        coding,
        settings.smsc_id.as_bytes().to_vec(),
    );
    sms.sms_type = Some(SmsType::Mo);
    sms.udhdata = udh.map(<[u8]>::to_vec);
    sms.time = Some(i32::try_from(now).unwrap_or(i32::MAX));
    sms.mclass = params
        .number(&names.mclass)
        .filter(|m| (0..=3).contains(m))
        .or_else(|| (params.number(&names.flash) == Some(1)).then_some(0));
    sms.mwi = params.number(&names.mwi).filter(|m| (0..=7).contains(m));
    let absolute = |minutes: Option<i32>| {
        minutes
            .filter(|&m| m > 0)
            .and_then(|m| i32::try_from(now + i64::from(m) * 60).ok())
    };
    sms.validity = absolute(params.number(&names.validity));
    sms.deferred = absolute(params.number(&names.deferred));
    let bytes = |name: &str| params.get(name).map(<[u8]>::to_vec);
    sms.service = bytes(&names.service);
    sms.account = bytes(&names.account);
    sms.binfo = bytes(&names.binfo);
    sms.foreign_id = bytes(&names.foreign_id);
    sms.meta_data = bytes(&names.meta_data);
    Ok(Callback::Mo(Box::new(sms)))
}

fn event_of(mask: i32) -> Option<DlrEvent> {
    [
        DlrEvent::Delivered,
        DlrEvent::Undelivered,
        DlrEvent::Buffered,
        DlrEvent::SmscAck,
        DlrEvent::SmscNack,
    ]
    .into_iter()
    .find(|event| mask & event.bit() != 0)
}

/// The text in the box wire's form: UTF-8 for 7-bit, UTF-16BE for UCS-2,
/// octets as they came for 8-bit. `charset` names what the supplier sent.
fn recode(text: &[u8], coding: Coding, charset: Option<&str>) -> Option<Vec<u8>> {
    let wire = match coding {
        Coding::SevenBit => "UTF-8",
        Coding::Ucs2 => "UTF-16BE",
        _ => return Some(text.to_vec()),
    };
    match charset {
        None => Some(text.to_vec()),
        Some(name) if name.eq_ignore_ascii_case(wire) => Some(text.to_vec()),
        Some(name) => {
            let decoded = charset::decode(text, name).ok()?;
            charset::encode(&decoded, wire).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_list::IpList;
    use crate::smsc::http::config::{Judging, ParamNames, Replies, SystemType};

    fn settings(username: Option<&str>) -> HttpSettings {
        HttpSettings {
            smsc_id: "up".into(),
            system_type: SystemType::Kannel,
            send_url: "http://h/".into(),
            username: username.map(str::to_owned),
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

    fn params(query: &str) -> Params {
        let mut params = Params::default();
        params.extend_from(query.as_bytes());
        params
    }

    #[test]
    fn an_mo_carries_what_the_supplier_sent() {
        let callback = interpret(
            &settings(Some("bob")),
            &params(
                "username=bob&password=pw&from=467002&to=12345&text=mo+hi&account=ac&binfo=bb&validity=2",
            ),
            1000,
        );
        let Ok(Callback::Mo(sms)) = callback else {
            panic!("not an MO: {callback:?}");
        };
        assert_eq!(sms.sender.as_deref(), Some(&b"467002"[..]));
        assert_eq!(sms.receiver.as_deref(), Some(&b"12345"[..]));
        assert_eq!(sms.msgdata.as_deref(), Some(&b"mo hi"[..]));
        assert_eq!(sms.smsc_id.as_deref(), Some(&b"up"[..]));
        assert_eq!(sms.account.as_deref(), Some(&b"ac"[..]));
        assert_eq!(sms.binfo.as_deref(), Some(&b"bb"[..]));
        assert_eq!(sms.validity, Some(1120));
        assert_eq!(sms.coding, Some(Coding::SevenBit));
    }

    #[test]
    fn ucs2_text_in_utf8_is_recoded_for_the_box_wire() {
        let callback = interpret(
            &settings(None),
            &params("from=1&to=2&text=mo2&coding=2&charset=UTF-8"),
            0,
        );
        let Ok(Callback::Mo(sms)) = callback else {
            panic!("not an MO: {callback:?}");
        };
        assert_eq!(sms.msgdata.as_deref(), Some(&b"\0m\0o\x002"[..]));
    }

    #[test]
    fn refusals_are_worded_as_kannel_words_them() {
        let link = settings(Some("bob"));
        let refusal = |query| interpret(&link, &params(query), 0).err();
        assert_eq!(
            refusal("username=bob&password=bad&from=1&to=2&text=x"),
            Some(Refusal("Authorization failed for sendsms"))
        );
        assert_eq!(
            refusal("username=bob&password=pw&from=1&to=2"),
            Some(Refusal("Insufficient args, rejected"))
        );
        assert_eq!(
            refusal("username=bob&password=pw&dlr-mid=x&dlr-mask=0"),
            Some(Refusal("Unknown DLR, not accepted"))
        );
    }

    #[test]
    fn a_report_names_the_supplier_id_and_the_event() {
        let callback = interpret(
            &settings(None),
            &params("dlr-mid=abc123&dlr-mask=2&to=4670001&dlr-err=7"),
            0,
        );
        assert_eq!(
            callback,
            Ok(Callback::Report {
                foreign_id: "abc123".into(),
                event: DlrEvent::Undelivered,
                text: None
            })
        );
    }

    #[test]
    fn generic_param_names_are_honoured() {
        let mut link = settings(None);
        link.params.from = "sender".into();
        link.params.text = "msg".into();
        let callback = interpret(&link, &params("sender=1&to=2&msg=hi"), 0);
        assert!(matches!(callback, Ok(Callback::Mo(_))));
    }
}

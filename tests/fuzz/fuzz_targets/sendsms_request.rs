//! sendsms queries and bodies from HTTP clients: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = smsbox::request::from_query(data);
    let _ = smsbox::urlcode::parse_query(data);
    let split = data.len() / 3;
    let (query, body) = data.split_at(split);
    for content_type in ["application/x-www-form-urlencoded", "text/plain", "text/xml", "application/json", "application/octet-stream"] {
        let mut headers = hyper::HeaderMap::new();
        if let Ok(value) = content_type.parse() {
            headers.insert("content-type", value);
        }
        let _ = smsbox::request::from_body(&headers, query, body);
    }
});

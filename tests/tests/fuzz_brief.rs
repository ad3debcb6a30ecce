//! Every fuzz target's checks, briefly, in the suite: a few thousand inputs
//! per target, made from valid seeds by random mutations (flipped, inserted,
//! deleted, repeated and spliced bytes) and from random bytes. The long runs
//! are `cargo fuzz`'s (BENCHMARKS.md); this one makes CI run the same checks
//! (`tests/fuzz/checks.rs`) on every change, on the stable toolchain.
//!
//! Deterministic: the same inputs every run. A failure names the target and
//! prints the input as hex, to be added to the target's corpus.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use tests::rng::Rng;

#[path = "../fuzz/checks.rs"]
mod checks;

/// Inputs per target.
const RUNS: usize = 3_000;

/// One input: a seed changed one to four times, or random bytes.
fn mutant(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if seeds.is_empty() || rng.below(10) == 0 {
        let length = rng.below(200);
        return rng.bytes(length);
    }
    let mut input = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(7) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 => {
                let byte = rng.next_u64() as u8;
                input.insert(at, byte);
            }
            2 if at < input.len() => {
                let end = (at + 1 + rng.below(8)).min(input.len());
                input.drain(at..end);
            }
            3 if at < input.len() => {
                let end = (at + 1 + rng.below(16)).min(input.len());
                let piece = input[at..end].to_vec();
                input.splice(at..at, piece);
            }
            4 => input.truncate(at),
            5 => {
                let other = &seeds[rng.below(seeds.len())];
                let from = rng.below(other.len() + 1);
                input.splice(at..at, other[from..].iter().copied());
            }
            _ if !input.is_empty() => {
                // An interesting value: a length or count pushed to an edge.
                let i = rng.below(input.len());
                input[i] = [0x00, 0x01, 0x7F, 0x80, 0xFF][rng.below(5)];
            }
            _ => {}
        }
    }
    input
}

fn run(name: &str, seed: u64, seeds: &[Vec<u8>], check: fn(&[u8])) {
    let mut rng = Rng::new(seed);
    let inputs = seeds
        .iter()
        .cloned()
        .chain((0..RUNS).map(|_| mutant(&mut rng, seeds)));
    for input in inputs {
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(&input)));
        if outcome.is_err() {
            let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
            panic!("fuzz target {name} failed on the input (hex) {hex}");
        }
    }
}

fn texts(texts: &[&str]) -> Vec<Vec<u8>> {
    texts.iter().map(|text| text.as_bytes().to_vec()).collect()
}

/// An SMPP PDU: header then body.
fn smpp(command_id: u32, status: u32, sequence: u32, body: &[u8]) -> Vec<u8> {
    let length = 16 + body.len() as u32;
    let mut pdu = Vec::new();
    for word in [length, command_id, status, sequence] {
        pdu.extend(word.to_be_bytes());
    }
    pdu.extend_from_slice(body);
    pdu
}

fn receipt_deliver_sm(sequence: u32) -> Vec<u8> {
    let text = b"id:0a1b2c sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello";
    let mut body = vec![0, 1, 1];
    body.extend(b"39333\0");
    body.extend([1, 1]);
    body.extend(b"12345\0");
    body.extend([0x04, 0, 0, 0, 0, 0, 0, 0, 0, text.len() as u8]);
    body.extend_from_slice(text);
    smpp(0x0000_0005, 0, sequence, &body)
}

fn smpp_seeds() -> Vec<Vec<u8>> {
    vec![
        smpp(0x0000_0015, 0, 2, &[]),         // enquire_link
        smpp(0x8000_0004, 0, 3, b"0a1b2c\0"), // submit_sm_resp
        smpp(0x8000_0004, 0x58, 4, b"\0"),    // submit_sm_resp, throttled
        smpp(0x8000_0009, 0, 1, b"x\0"),      // bind_transceiver_resp
        smpp(0x0000_0006, 0, 5, &[]),         // unbind
        smpp(0x8000_0000, 0x03, 6, &[]),      // generic_nack
        receipt_deliver_sm(7),
    ]
}

#[test]
fn box_frame() {
    use box_protocol::message::{Msg, Sms};
    let mut mt = Sms::new_mt("12345", "+39333", "Hello world");
    mt.dlr_mask = Some(3);
    mt.meta_data = Some(b"?smpp?a=b&".to_vec());
    let mut seeds = vec![
        Msg::from(mt).to_bytes(),
        Msg::heartbeat(4).to_bytes(),
        Msg::identify(Some(b"box1".to_vec())).to_bytes(),
    ];
    let mut framed = Vec::new();
    for seed in &seeds {
        let _ = box_protocol::frame::write_frame(
            &Msg::decode(seed).expect("a seed decodes"),
            &mut framed,
        );
    }
    seeds.push(framed);
    run("box_frame", 1, &seeds, checks::box_frame);
}

#[test]
fn smpp_pdu() {
    use bearerbox::smsc::smpp::pdu;
    let seeds = smpp_seeds();
    for seed in &seeds {
        // Mutations start from PDUs our decoder takes, so they reach past the header.
        assert!(
            pdu::decode(seed, pdu::DEFAULT_MAX_COMMAND_LENGTH).is_ok(),
            "seed {seed:02x?}"
        );
    }
    run("smpp_pdu", 2, &seeds, checks::smpp_pdu);
}

#[test]
fn a_check_that_fails_on_an_input_fails_the_run() {
    let outcome = panic::catch_unwind(|| {
        run("failing", 10, &[b"seed".to_vec()], |input| {
            assert!(input.len() < 40, "a long input");
        })
    });
    assert!(outcome.is_err(), "a failing check went unnoticed");
}

#[test]
fn smpp_session() {
    let seeds = smpp_seeds();
    let mut stream = seeds.concat();
    stream.extend(seeds.concat());
    run("smpp_session", 3, &[stream], checks::smpp_session);
}

#[test]
fn conf_reader() {
    let mut seeds = texts(&[
        "group = core\nadmin-port = 13000\nadmin-password = x\nsmsbox-port = 13001\n\
         store-type = file\nstore-location = \"/tmp/store\"\n\n\
         group = smsbox\nbearerbox-host = localhost\nsendsms-port = 13013\n\n\
         group = sendsms-user\nusername = u\npassword = p\nmax-messages = 3\n\n\
         group = smsc\nsmsc = smpp\nsmsc-id = a\nhost = 127.0.0.1\nport = 2775\n\
         smsc-username = a\nsmsc-password = b\nallowed-prefix = \"+39;0039\"\n\n\
         group = sms-service\nkeyword = default\nget-url = \"http://127.0.0.1/?t=%a\"\n",
    ]);
    // The real configurations beside the checkout, when they are there.
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conf-corpus");
    if let Ok(entries) = std::fs::read_dir(corpus) {
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "conf"))
        {
            if let Ok(text) = std::fs::read(file) {
                seeds.push(text);
            }
        }
    }
    run("conf_reader", 4, &seeds, checks::conf_reader);
}

#[test]
fn at_pdu() {
    let deliver = "07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07";
    let mut seeds = texts(&[deliver, "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"]);
    seeds.push(
        (0..deliver.len() / 2)
            .map(|i| u8::from_str_radix(&deliver[2 * i..2 * i + 2], 16).unwrap_or(0))
            .collect(),
    );
    run("at_pdu", 5, &seeds, checks::at_pdu);
}

#[test]
fn at_response() {
    let seeds = texts(&[
        "OK\r\n",
        "ERROR\r\n+CMS ERROR: 500\r\n",
        "+CMTI: \"SM\",3\r\n",
        "+CMGL: 1,0,,23\r\n07911326040000F0040B9113\r\nOK\r\n",
        "+CSQ: 17,99\r\nRING\r\n+CDS: 25\r\n",
    ]);
    run("at_response", 6, &seeds, checks::at_response);
}

#[test]
fn sendsms_request() {
    let seeds = texts(&[
        "username=u&password=p&from=12345&to=%2B39333&text=Hello+world",
        "user=u&pass=p&to=1+2+3&text=%D0%9F&coding=2&charset=UTF-8&dlr-mask=31&dlr-url=http%3A%2F%2Fx%2F%3Fs%3D%25d",
        "username=u&password=p&to=1&udh=%06%05%04%0B%84%23%F0&text=%00%01&mclass=1&validity=10&priority=3",
        "<?xml version=\"1.0\"?><message><submit><da><number>1</number></da><ud>hi</ud></submit></message>",
        "{\"username\":\"u\",\"password\":\"p\",\"to\":[\"1\",\"2\"],\"text\":\"hi\"}",
    ]);
    run("sendsms_request", 7, &seeds, checks::sendsms_request);
}

#[test]
fn sms_encodings() {
    let seeds = vec![
        vec![0x05, 0x00, 0x03, 0x2A, 0x02, 0x01],
        vec![0x06, 0x08, 0x04, 0x01, 0x2A, 0x02, 0x01],
        b"Hello {world} \x1b\x65".to_vec(),
        vec![0xC8, 0x32, 0x9B, 0xFD, 0x06],
        vec![0x04, 0x1F, 0x04, 0x40, 0xD8, 0x3D, 0xDE, 0x00],
        "Привет €".as_bytes().to_vec(),
    ];
    run("sms_encodings", 8, &seeds, checks::sms_encodings);
}

#[test]
fn dlr_receipt() {
    let seeds = texts(&[
        "id:0a1b2c sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:Hello",
        "ID:77 STAT:UNDELIV ERR:004 TEXT:x y z",
        "msgid:1 id:2 submit date:2501011200 stat:EXPIRED",
    ]);
    run("dlr_receipt", 9, &seeds, checks::dlr_receipt);
}

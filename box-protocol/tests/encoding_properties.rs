//! Properties of the encodings that must hold for any input.

use std::time::{Duration, Instant};

use box_protocol::encoding::charset::Charset;
use box_protocol::encoding::gsm7;
use box_protocol::encoding::reassembly::{Offer, Reassembler};
use box_protocol::encoding::split::{self, Body, Part, Payload, SeptetForm, SplitOptions};
use box_protocol::encoding::ucs2;
use box_protocol::encoding::udh::Udh;
use proptest::prelude::*;

fn gsm_text(max: usize) -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = gsm7::characters().collect();
    prop::collection::vec(prop::sample::select(alphabet), 0..max)
        .prop_map(|chars| chars.into_iter().collect())
}

/// Text that is mostly ASCII but often holds emoji, so surrogate pairs meet boundaries.
fn unicode_text(max: usize) -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        3 => prop::char::range('a', 'z'),
        1 => prop::char::range('\u{1F600}', '\u{1F64F}'),
        1 => any::<char>(),
    ];
    prop::collection::vec(ch, 0..max).prop_map(|chars| chars.into_iter().collect())
}

/// What `text` reads back as once written in `charset`: itself, except that
/// Shift_JIS writes three characters as bytes that read back as others (the
/// WHATWG encoder's yen/backslash, overline/tilde and minus sign mappings,
/// which Japanese fonts show alike).
fn read_back(charset: &str, text: &str) -> String {
    if charset != "Shift_JIS" {
        return text.to_owned();
    }
    text.chars()
        .map(|c| match c {
            '\u{A5}' => '\\',
            '\u{203E}' => '~',
            '\u{2212}' => '\u{FF0D}',
            c => c,
        })
        .collect()
}

#[test]
fn shift_jis_writes_yen_overline_and_minus_as_what_reads_back_as_backslash_tilde_and_fullwidth_minus()
 {
    let charset = Charset::from_name("Shift_JIS").unwrap();
    let bytes = charset.encode("\u{A5}\u{203E}\u{2212}").unwrap();
    assert_eq!(bytes, [0x5C, 0x7E, 0x81, 0x7C]);
    assert_eq!(charset.decode(&bytes).unwrap(), "\\~\u{FF0D}");
}

/// The parts in the order given by `keys`, as if the network had shuffled them.
fn shuffled(parts: &[Part], keys: &[u32]) -> Vec<Part> {
    let mut keyed: Vec<(u32, usize, &Part)> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| (keys.get(i).copied().unwrap_or(0), i, p))
        .collect();
    keyed.sort_by_key(|&(key, i, _)| (key, i));
    keyed.into_iter().map(|(_, _, p)| p.clone()).collect()
}

fn body_bytes(body: &Body) -> Vec<u8> {
    match body {
        Body::Septets(s) => s.clone(),
        Body::Octets(o) => o.clone(),
        Body::Text(t) => t.as_bytes().to_vec(),
        Body::Packed { .. } => panic!("packed bodies are unpacked before reassembly"),
    }
}

/// Offer every part and return the one complete payload.
fn reassemble(parts: &[Part]) -> Vec<u8> {
    let now = Instant::now();
    let mut r = Reassembler::new(Duration::from_secs(60));
    let mut done = None;
    for part in parts {
        match r.offer("peer", &part.udh, body_bytes(&part.body), now) {
            Ok(Offer::Complete(assembled)) => {
                assert!(done.is_none(), "completed twice");
                done = Some(assembled.payload);
            }
            Ok(Offer::Pending { .. }) => {}
            other => panic!("unexpected offer result {other:?}"),
        }
    }
    assert_eq!(r.pending(), 0);
    done.expect("the message never completed")
}

fn check_part_sizes(parts: &[Part]) {
    for part in parts {
        assert!(
            part.user_data_octets() <= 140,
            "part of {} octets",
            part.user_data_octets()
        );
    }
}

proptest! {
    #[test]
    fn gsm_text_round_trips_through_unpacked_septets(text in gsm_text(400)) {
        let septets = gsm7::encode(&text).unwrap();
        prop_assert_eq!(septets.len(), gsm7::septet_len(&text).unwrap());
        prop_assert_eq!(gsm7::decode(&septets).unwrap(), text);
    }

    #[test]
    fn any_septets_round_trip_through_packing(
        septets in prop::collection::vec(0u8..0x80, 0..300),
        fill in 0u8..7,
    ) {
        let packed = gsm7::pack(&septets, fill).unwrap();
        prop_assert_eq!(packed.len(), gsm7::packed_len(septets.len(), fill));
        prop_assert_eq!(gsm7::unpack(&packed, fill, septets.len()).unwrap(), septets);
    }

    #[test]
    fn cr_padded_septets_survive_a_reader_that_knows_only_octets(
        septets in prop::collection::vec(0u8..0x80, 0..300),
        fill in 0u8..7,
    ) {
        let packed = gsm7::pack_padded(&septets, fill).unwrap();
        let read = gsm7::unpack_padded(&packed, fill).unwrap();
        if read != septets {
            // The only allowed difference: a wanted final CR doubled.
            let mut doubled = septets.clone();
            doubled.push(0x0D);
            prop_assert_eq!(septets.last(), Some(&0x0D));
            prop_assert_eq!(read, doubled);
        }
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = gsm7::decode(&bytes);
        let _ = gsm7::unpack_padded(&bytes, 3);
        let _ = ucs2::decode(&bytes);
        let _ = ucs2::decode_lossy(&bytes);
        let _ = Udh::parse(&bytes);
        let _ = Udh::parse_prefix(&bytes);
        let _ = Reassembler::new(Duration::from_secs(1)).offer((), &bytes, vec![], Instant::now());
    }

    #[test]
    fn any_unicode_text_round_trips_through_ucs2(text in any::<String>()) {
        let bytes = ucs2::encode(&text);
        prop_assert_eq!(bytes.len(), 2 * ucs2::unit_len(&text));
        prop_assert_eq!(ucs2::decode(&bytes).unwrap(), text.clone());
        prop_assert_eq!(ucs2::decode_lossy(&bytes), text);
    }

    #[test]
    fn gsm_text_split_and_reassembled_in_any_order_is_unchanged(
        text in gsm_text(1200),
        keys in prop::collection::vec(any::<u32>(), 10),
        reference in any::<u8>(),
    ) {
        let split = split::split(&Payload::Gsm7(&text), &[], &SplitOptions::new(reference)).unwrap();
        check_part_sizes(&split.parts);
        for part in &split.parts {
            let septets = body_bytes(&part.body);
            prop_assert_ne!(septets.last(), Some(&gsm7::ESCAPE), "part ends with a lone escape");
        }
        let joined = reassemble(&shuffled(&split.parts, &keys));
        prop_assert_eq!(gsm7::decode(&joined).unwrap(), text);
    }

    #[test]
    fn gsm_text_split_as_utf8_text_reassembles_unchanged(
        text in gsm_text(800),
        keys in prop::collection::vec(any::<u32>(), 6),
    ) {
        let options = SplitOptions { septet_form: SeptetForm::Text, ..SplitOptions::new(1) };
        let split = split::split(&Payload::Gsm7(&text), &[], &options).unwrap();
        check_part_sizes(&split.parts);
        let joined = reassemble(&shuffled(&split.parts, &keys));
        prop_assert_eq!(String::from_utf8(joined).unwrap(), text);
    }

    #[test]
    fn packed_parts_fit_140_octets_and_unpack_to_the_text(
        text in gsm_text(800),
        user_port in any::<bool>(),
    ) {
        let udh: &[u8] = if user_port { &[0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0] } else { &[] };
        let options = SplitOptions { septet_form: SeptetForm::Packed, ..SplitOptions::new(2) };
        let split = split::split(&Payload::Gsm7(&text), udh, &options).unwrap();
        check_part_sizes(&split.parts);
        let mut joined = Vec::new();
        for part in &split.parts {
            let Body::Packed { octets, fill_bits } = &part.body else {
                panic!("expected packed septets");
            };
            prop_assert!(part.udh.len() + octets.len() <= 140);
            prop_assert_eq!(*fill_bits, gsm7::fill_bits_after_udh(part.udh.len()));
            joined.extend(gsm7::unpack(octets, *fill_bits, part.units).unwrap());
        }
        prop_assert_eq!(gsm7::decode(&joined).unwrap(), text);
    }

    #[test]
    fn ucs2_text_split_and_reassembled_in_any_order_is_unchanged(
        text in unicode_text(600),
        keys in prop::collection::vec(any::<u32>(), 12),
    ) {
        let split = split::split(&Payload::Ucs2(&text), &[], &SplitOptions::new(3)).unwrap();
        check_part_sizes(&split.parts);
        for part in &split.parts {
            let bytes = body_bytes(&part.body);
            if let [a, b, ..] = bytes[..] {
                prop_assert!(!ucs2::is_low_surrogate(u16::from_be_bytes([a, b])));
            }
            if let [.., a, b] = bytes[..] {
                prop_assert!(!ucs2::is_high_surrogate(u16::from_be_bytes([a, b])));
            }
        }
        let joined = reassemble(&shuffled(&split.parts, &keys));
        prop_assert_eq!(ucs2::decode(&joined).unwrap(), text);
    }

    #[test]
    fn binary_data_split_and_reassembled_in_any_order_is_unchanged(
        data in prop::collection::vec(any::<u8>(), 0..1500),
        keys in prop::collection::vec(any::<u32>(), 12),
        user_port in any::<bool>(),
    ) {
        let udh: &[u8] = if user_port { &[0x04, 0x04, 0x02, 0x0B, 0x84] } else { &[] };
        let split = split::split(&Payload::Binary(&data), udh, &SplitOptions::new(4)).unwrap();
        check_part_sizes(&split.parts);
        let now = Instant::now();
        let mut r = Reassembler::new(Duration::from_secs(60));
        let mut done = None;
        for part in shuffled(&split.parts, &keys) {
            if let Offer::Complete(a) = r.offer(0u8, &part.udh, body_bytes(&part.body), now).unwrap() {
                done = Some(a);
            }
        }
        let done = done.expect("the message never completed");
        prop_assert_eq!(done.payload, data);
        prop_assert_eq!(done.udh, udh.to_vec());
    }

    #[test]
    fn the_plan_agrees_with_the_split(text in unicode_text(800)) {
        let payload = if gsm7::is_representable(&text) {
            Payload::Gsm7(&text)
        } else {
            Payload::Ucs2(&text)
        };
        let plan = split::plan(&payload, &[], 140).unwrap();
        let split = split::split(&payload, &[], &SplitOptions::new(0)).unwrap();
        prop_assert_eq!(plan.parts, split.parts.len());
        prop_assert_eq!(plan.units, split.parts.iter().map(|p| p.units).sum::<usize>());
        for part in &split.parts {
            prop_assert!(part.units <= plan.per_part);
        }
    }

    #[test]
    fn latin1_text_round_trips_through_iso_8859_1(
        text in prop::collection::vec(prop::char::range('\0', '\u{FF}'), 0..100)
            .prop_map(|c| c.into_iter().collect::<String>()),
    ) {
        let latin1 = Charset::from_name("ISO-8859-1").unwrap();
        let bytes = latin1.encode(&text).unwrap();
        prop_assert_eq!(bytes.len(), text.chars().count());
        prop_assert_eq!(latin1.decode(&bytes).unwrap(), text);
    }

    #[test]
    fn whatever_a_charset_can_write_it_reads_back(
        text in unicode_text(60),
        name in prop::sample::select(vec![
            "UTF-8", "ISO-8859-15", "WINDOWS-1252", "UTF-16BE", "UCS-2", "UTF-16LE", "UTF-16",
            "US-ASCII", "KOI8-R", "Shift_JIS", "GBK", "Big5", "EUC-KR",
        ]),
    ) {
        let charset = Charset::from_name(name).unwrap();
        if let Ok(bytes) = charset.encode(&text) {
            prop_assert_eq!(charset.decode(&bytes).unwrap(), read_back(name, &text));
        }
    }

    #[test]
    fn single_byte_charsets_write_back_the_bytes_they_read(
        bytes in prop::collection::vec(any::<u8>(), 0..100),
        name in prop::sample::select(vec!["ISO-8859-1", "ISO-8859-15", "KOI8-R", "ISO-8859-5"]),
    ) {
        let charset = Charset::from_name(name).unwrap();
        if let Ok(text) = charset.decode(&bytes) {
            prop_assert_eq!(charset.encode(&text).unwrap(), bytes);
        }
    }
}

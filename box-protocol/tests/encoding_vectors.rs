//! Byte-literal vectors for the GSM 7-bit, UCS-2, charset, UDH and coding modules.
//! Packed vectors other than the TS 23.038 one were worked out bit by bit by hand.

use box_protocol::encoding::charset::{self, Charset, CharsetError};
use box_protocol::encoding::coding::{self, Coding};
use box_protocol::encoding::gsm7::{self, Gsm7Error};
use box_protocol::encoding::ucs2::{self, Ucs2Error};
use box_protocol::encoding::udh::{Concat, ConcatRef, Udh, UdhError};

// ---------------------------------------------------------------- GSM 7-bit

#[test]
fn hellohello_packs_as_in_ts_23_038() {
    let septets = gsm7::encode("hellohello").unwrap();
    assert_eq!(
        gsm7::pack(&septets, 0).unwrap(),
        [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
    );
    let unpacked = gsm7::unpack(
        &[0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37],
        0,
        10,
    );
    assert_eq!(gsm7::decode(&unpacked.unwrap()).unwrap(), "hellohello");
}

#[test]
fn eight_septets_fill_seven_octets_exactly() {
    let septets = gsm7::encode("12345678").unwrap();
    assert_eq!(
        gsm7::pack(&septets, 0).unwrap(),
        [0x31, 0xD9, 0x8C, 0x56, 0xB3, 0xDD, 0x70]
    );
}

#[test]
fn seven_septets_leave_seven_spare_bits_that_cr_padding_fills() {
    let septets = gsm7::encode("1234567").unwrap();
    let plain = gsm7::pack(&septets, 0).unwrap();
    assert_eq!(plain, [0x31, 0xD9, 0x8C, 0x56, 0xB3, 0xDD, 0x00]);
    // Without padding a reader that only knows the octet count sees a trailing '@'.
    let misread = gsm7::decode(&gsm7::unpack_padded(&plain, 0).unwrap()).unwrap();
    assert_eq!(misread, "1234567@");

    let padded = gsm7::pack_padded(&septets, 0).unwrap();
    assert_eq!(padded, [0x31, 0xD9, 0x8C, 0x56, 0xB3, 0xDD, 0x1A]);
    assert_eq!(gsm7::unpack_padded(&padded, 0).unwrap(), septets);
}

#[test]
fn a_wanted_final_cr_on_an_octet_boundary_is_doubled_and_survives() {
    let septets = gsm7::encode("1234567\r").unwrap();
    let padded = gsm7::pack_padded(&septets, 0).unwrap();
    assert_eq!(padded.len(), 8);
    let read = gsm7::unpack_padded(&padded, 0).unwrap();
    assert_eq!(gsm7::decode(&read).unwrap(), "1234567\r\r");
}

#[test]
fn text_after_a_concat_udh_starts_after_one_fill_bit() {
    assert_eq!(gsm7::fill_bits_after_udh(6), 1);
    assert_eq!(gsm7::udh_septets(6), 7);
    let septets = gsm7::encode("hello").unwrap();
    let packed = gsm7::pack(&septets, 1).unwrap();
    assert_eq!(packed, [0xD0, 0x65, 0x36, 0xFB, 0x0D]);
    assert_eq!(gsm7::unpack(&packed, 1, 5).unwrap(), septets);
}

#[test]
fn at_sign_is_septet_zero_and_packs_to_zero_octets() {
    assert_eq!(gsm7::encode("@").unwrap(), [0x00]);
    assert_eq!(gsm7::pack(&[0; 8], 0).unwrap(), [0; 7]);
    assert_eq!(gsm7::decode(&[0x00, 0x00]).unwrap(), "@@");
}

#[test]
fn extension_characters_cost_an_escape_and_a_septet() {
    assert_eq!(gsm7::encode("€").unwrap(), [0x1B, 0x65]);
    assert_eq!(gsm7::pack(&[0x1B, 0x65], 0).unwrap(), [0x9B, 0x32]);
    assert_eq!(
        gsm7::encode("^{}\\[~]|\u{0C}").unwrap(),
        [
            0x1B, 0x14, 0x1B, 0x28, 0x1B, 0x29, 0x1B, 0x2F, 0x1B, 0x3C, 0x1B, 0x3D, 0x1B, 0x3E,
            0x1B, 0x40, 0x1B, 0x0A
        ]
    );
    assert_eq!(gsm7::septet_len("a€b").unwrap(), 4);
    assert_eq!(gsm7::decode(&[0x1B, 0x65, 0x1B, 0x3C]).unwrap(), "€[");
}

#[test]
fn non_ascii_letters_of_the_default_alphabet_map_to_their_septets() {
    assert_eq!(
        gsm7::encode("£¥èéÇØåΔ_ΩÆßÉ¤¡ÄÖÑÜ§¿äöñüà").unwrap(),
        [
            0x01, 0x03, 0x04, 0x05, 0x09, 0x0B, 0x0F, 0x10, 0x11, 0x15, 0x1C, 0x1E, 0x1F, 0x24,
            0x40, 0x5B, 0x5C, 0x5D, 0x5E, 0x5F, 0x60, 0x7B, 0x7C, 0x7D, 0x7E, 0x7F
        ]
    );
}

#[test]
fn an_unmappable_character_is_reported_with_its_position() {
    assert_eq!(
        gsm7::encode("héllo ✓ ok"),
        Err(Gsm7Error::Unmappable {
            ch: '✓',
            position: 6
        })
    );
    assert_eq!(
        gsm7::septet_len("`"),
        Err(Gsm7Error::Unmappable {
            ch: '`',
            position: 0
        })
    );
}

#[test]
fn lossy_encoding_writes_a_question_mark_for_unmappable_characters() {
    assert_eq!(gsm7::encode_lossy("a✓b"), [0x61, 0x3F, 0x62]);
    assert_eq!(
        gsm7::decode(&gsm7::encode_lossy("Привет!")).unwrap(),
        "??????!"
    );
}

#[test]
fn an_unknown_extension_code_shows_the_default_character_and_a_dangling_escape_a_space() {
    assert_eq!(gsm7::decode(&[0x1B, 0x41]).unwrap(), "A");
    assert_eq!(gsm7::decode(&[0x61, 0x1B]).unwrap(), "a ");
    assert_eq!(gsm7::decode(&[0x1B, 0x1B, 0x62]).unwrap(), " b");
}

#[test]
fn a_byte_above_0x7f_is_not_a_septet() {
    assert_eq!(
        gsm7::decode(&[0x61, 0x80]),
        Err(Gsm7Error::NotASeptet {
            value: 0x80,
            offset: 1
        })
    );
    assert!(gsm7::pack(&[0xFF], 0).is_err());
}

#[test]
fn unpacking_more_septets_than_the_octets_hold_is_an_error() {
    assert_eq!(
        gsm7::unpack(&[0xE8, 0x32], 0, 3),
        Err(Gsm7Error::Truncated {
            septets: 3,
            fill_bits: 0,
            needed: 3,
            available: 2
        })
    );
    assert_eq!(
        gsm7::pack(&[0x41], 7),
        Err(Gsm7Error::TooManyFillBits { fill_bits: 7 })
    );
}

// ---------------------------------------------------------------- UCS-2

#[test]
fn an_emoji_is_two_utf16_units() {
    let bytes = ucs2::encode("A€😀");
    assert_eq!(bytes, [0x00, 0x41, 0x20, 0xAC, 0xD8, 0x3D, 0xDE, 0x00]);
    assert_eq!(ucs2::unit_len("A€😀"), 4);
    assert_eq!(ucs2::decode(&bytes).unwrap(), "A€😀");
}

#[test]
fn a_lone_surrogate_is_an_error_or_a_replacement_character() {
    let bytes = [0x00, 0x41, 0xD8, 0x3D, 0x00, 0x42];
    assert_eq!(
        ucs2::decode(&bytes),
        Err(Ucs2Error::LoneSurrogate {
            unit: 0xD83D,
            offset: 2
        })
    );
    assert_eq!(ucs2::decode_lossy(&bytes), "A\u{FFFD}B");
    assert_eq!(
        ucs2::decode(&[0xDE, 0x00]),
        Err(Ucs2Error::LoneSurrogate {
            unit: 0xDE00,
            offset: 0
        })
    );
}

#[test]
fn an_odd_length_is_an_error_or_a_trailing_replacement_character() {
    assert_eq!(
        ucs2::decode(&[0x00, 0x41, 0x00]),
        Err(Ucs2Error::OddLength { len: 3 })
    );
    assert_eq!(ucs2::decode_lossy(&[0x00, 0x41, 0x00]), "A\u{FFFD}");
}

// ---------------------------------------------------------------- charsets

#[test]
fn iso_8859_1_is_latin1_not_windows_1252() {
    assert_eq!(charset::decode(&[0xE9], "ISO-8859-1").unwrap(), "é");
    assert_eq!(charset::decode(&[0x80], "ISO-8859-1").unwrap(), "\u{80}");
    assert_eq!(charset::decode(&[0x80], "WINDOWS-1252").unwrap(), "€");
    assert_eq!(charset::decode(&[0x80], "cp1252").unwrap(), "€");
    assert_eq!(charset::decode(&[0xA4], "ISO-8859-15").unwrap(), "€");
    assert_eq!(charset::decode(&[0xA4], "latin9").unwrap(), "€");
}

#[test]
fn ascii_is_seven_bit() {
    assert_eq!(
        charset::decode(b"ok\x80", "US-ASCII"),
        Err(CharsetError::Malformed {
            charset: "US-ASCII",
            offset: 2
        })
    );
    assert_eq!(charset::decode(b"ok", "ascii").unwrap(), "ok");
    assert!(matches!(
        charset::encode("é", "ASCII"),
        Err(CharsetError::Unmappable {
            ch: 'é',
            position: 0,
            ..
        })
    ));
}

#[test]
fn malformed_utf8_names_the_byte_offset() {
    assert_eq!(
        charset::decode(&[0x61, 0x62, 0xFF, 0x63], "UTF-8"),
        Err(CharsetError::Malformed {
            charset: "UTF-8",
            offset: 2
        })
    );
    assert_eq!(
        charset::decode(&[0x61, 0xE2, 0x82], "utf8"),
        Err(CharsetError::Malformed {
            charset: "UTF-8",
            offset: 1
        })
    );
}

#[test]
fn an_unknown_charset_is_named_in_the_error() {
    let error = charset::decode(b"x", "KLINGON-8").unwrap_err();
    assert_eq!(
        error,
        CharsetError::Unknown {
            name: "KLINGON-8".into()
        }
    );
    assert_eq!(error.to_string(), "unknown charset \"KLINGON-8\"");
}

#[test]
fn ucs2_and_utf16_names_mean_big_endian_utf16() {
    for name in ["UCS-2", "UCS-2BE", "UTF-16BE", "ucs2"] {
        assert_eq!(
            Charset::from_name(name).unwrap(),
            Charset::Utf16Be,
            "{name}"
        );
        assert_eq!(charset::encode("A😀", name).unwrap(), ucs2::encode("A😀"));
    }
    assert_eq!(charset::encode("A", "UCS-2LE").unwrap(), [0x41, 0x00]);
    assert_eq!(
        charset::encode("A", "UTF-16").unwrap(),
        [0xFE, 0xFF, 0x00, 0x41]
    );
    assert_eq!(
        charset::decode(&[0xFF, 0xFE, 0x41, 0x00], "UTF-16").unwrap(),
        "A"
    );
    assert_eq!(charset::decode(&[0x00, 0x41], "UTF-16").unwrap(), "A");
    assert_eq!(
        charset::decode(&[0x00, 0x41, 0xDC, 0x00], "UTF-16BE"),
        Err(CharsetError::Malformed {
            charset: "UTF-16BE",
            offset: 2
        })
    );
}

#[test]
fn iconv_suffixes_and_case_do_not_matter() {
    assert_eq!(
        Charset::from_name("utf-8//TRANSLIT").unwrap(),
        Charset::from_name("UTF-8").unwrap()
    );
    assert_eq!(Charset::from_name(" Latin1 ").unwrap(), Charset::Latin1);
}

/// The two defaults sendsms asks for are found without the lists; they
/// must still be what the lists and WHATWG's labels make of them.
#[test]
fn the_default_charsets_are_the_ones_their_aliases_name() {
    for (name, alias) in [("UTF-8", "utf8"), ("utf-16be", "UnicodeBig")] {
        assert_eq!(
            Charset::from_name(name).unwrap(),
            Charset::from_name(alias).unwrap(),
            "{name} against {alias}"
        );
    }
    assert_eq!(Charset::from_name("UTF-8").unwrap().name(), "UTF-8");
    assert_eq!(Charset::from_name("UTF-16BE").unwrap(), Charset::Utf16Be);
}

#[test]
fn a_character_outside_the_charset_is_reported_with_its_position() {
    assert_eq!(
        charset::encode("a€", "ISO-8859-1"),
        Err(CharsetError::Unmappable {
            charset: "ISO-8859-1",
            ch: '€',
            position: 1
        })
    );
    assert_eq!(
        charset::encode("aé✓", "WINDOWS-1252"),
        Err(CharsetError::Unmappable {
            charset: "windows-1252",
            ch: '✓',
            position: 2
        })
    );
    assert_eq!(charset::encode("€", "ISO-8859-15").unwrap(), [0xA4]);
    assert_eq!(
        charset::encode("日本", "Shift_JIS").unwrap(),
        [0x93, 0xFA, 0x96, 0x7B]
    );
}

#[test]
fn a_utf8_bom_is_kept_as_iconv_keeps_it() {
    assert_eq!(
        charset::decode(&[0xEF, 0xBB, 0xBF, 0x61], "UTF-8").unwrap(),
        "\u{FEFF}a"
    );
}

// ---------------------------------------------------------------- UDH

#[test]
fn an_8bit_concat_header_parses() {
    let udh = Udh::parse(&[0x05, 0x00, 0x03, 0x2A, 0x03, 0x01]).unwrap();
    assert_eq!(
        udh.concat().unwrap(),
        Some(Concat {
            reference: ConcatRef::Eight(0x2A),
            total: 3,
            seq: 1
        })
    );
    assert_eq!(udh.encoded_len(), 6);
}

#[test]
fn a_16bit_concat_header_is_read_too() {
    let udh = Udh::parse(&[0x06, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01]).unwrap();
    let concat = udh.concat().unwrap().unwrap();
    assert_eq!(concat.reference, ConcatRef::Sixteen(0x1234));
    assert_eq!((concat.total, concat.seq), (2, 1));
}

#[test]
fn a_length_octet_that_disagrees_with_the_bytes_is_refused() {
    assert_eq!(
        Udh::parse(&[0x05, 0x00, 0x03, 0x01]),
        Err(UdhError::LengthMismatch {
            declared: 5,
            actual: 3
        })
    );
    assert_eq!(
        Udh::parse(&[0x02, 0x00, 0x03, 0x01]),
        Err(UdhError::LengthMismatch {
            declared: 2,
            actual: 3
        })
    );
}

#[test]
fn an_element_running_past_the_header_is_refused() {
    assert_eq!(
        Udh::parse(&[0x03, 0x00, 0x03, 0x01]),
        Err(UdhError::TruncatedElement {
            iei: 0x00,
            offset: 1,
            declared: 3,
            available: 1
        })
    );
    assert!(Udh::parse(&[0x01, 0x00]).is_err());
}

#[test]
fn a_concat_element_of_the_wrong_size_is_refused() {
    let udh = Udh::parse(&[0x04, 0x00, 0x02, 0x01, 0x01]).unwrap();
    assert_eq!(
        udh.concat(),
        Err(UdhError::BadConcatElement {
            iei: 0x00,
            len: 2,
            expected: 3
        })
    );
}

#[test]
fn adding_and_removing_concat_keeps_the_users_other_elements() {
    let port = [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0];
    let mut udh = Udh::parse(&port).unwrap();
    udh.set_concat(Concat {
        reference: ConcatRef::Eight(7),
        total: 2,
        seq: 1,
    });
    assert_eq!(
        udh.to_bytes().unwrap(),
        [
            0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x07, 0x02, 0x01
        ]
    );
    udh.remove_concat();
    assert_eq!(udh.to_bytes().unwrap(), port);
    assert_eq!(udh.find(0x05).map(|ie| ie.data.len()), Some(4));
}

#[test]
fn the_header_opening_pdu_user_data_is_split_from_the_text() {
    let (udh, rest) = Udh::parse_prefix(&[0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0xAA]).unwrap();
    assert!(udh.concat().unwrap().is_some());
    assert_eq!(rest, [0xAA]);
    assert_eq!(Udh::parse_prefix(&[]), Err(UdhError::Empty));
}

// ---------------------------------------------------------------- codings

#[test]
fn single_and_concatenated_capacities_match_kannel() {
    let max = coding::MAX_USER_DATA_OCTETS;
    assert_eq!(coding::capacity(Coding::Gsm7, 0, max), 160);
    assert_eq!(coding::capacity(Coding::EightBit, 0, max), 140);
    assert_eq!(coding::capacity(Coding::Ucs2, 0, max), 70);
    assert_eq!(coding::capacity(Coding::Gsm7, 6, max), 153);
    assert_eq!(coding::capacity(Coding::EightBit, 6, max), 134);
    assert_eq!(coding::capacity(Coding::Ucs2, 6, max), 67);
}

#[test]
fn gsm_is_chosen_when_every_character_maps_and_ucs2_otherwise() {
    assert_eq!(coding::choose("Hello {world} €5"), Coding::Gsm7);
    assert_eq!(coding::choose("Grüße"), Coding::Gsm7);
    assert_eq!(coding::choose("Cześć"), Coding::Ucs2);
    assert_eq!(coding::choose("Привет"), Coding::Ucs2);
    assert_eq!(coding::choose(""), Coding::Gsm7);
}

#[test]
fn box_coding_numbers_round_trip() {
    for coding in [Coding::Gsm7, Coding::EightBit, Coding::Ucs2] {
        assert_eq!(Coding::from_box(coding.box_value()), Some(coding));
    }
    assert_eq!(Coding::from_box(-1), None);
}

#[test]
fn measuring_counts_parts_as_kannel_splits_them() {
    let m = coding::measure(&"a".repeat(160), Coding::Gsm7, &[]).unwrap();
    assert_eq!((m.parts, m.per_part, m.units), (1, 160, 160));
    let m = coding::measure(&"a".repeat(170), Coding::Gsm7, &[]).unwrap();
    assert_eq!((m.parts, m.per_part), (2, 153));
    let m = coding::measure(&"€".repeat(80), Coding::Gsm7, &[]).unwrap();
    assert_eq!((m.parts, m.units), (1, 160));
    // 76 euros (152 septets) per part: the 77th would straddle the boundary.
    let m = coding::measure(&"€".repeat(153), Coding::Gsm7, &[]).unwrap();
    assert_eq!(m.parts, 3);
    let m = coding::measure(&"ж".repeat(71), Coding::Ucs2, &[]).unwrap();
    assert_eq!((m.parts, m.per_part), (2, 67));
    let m = coding::measure(&"x".repeat(141), Coding::EightBit, &[]).unwrap();
    assert_eq!((m.parts, m.per_part), (2, 134));
}

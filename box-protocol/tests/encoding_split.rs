//! Splitting into concatenated parts and joining them again, on worked examples.

use std::time::{Duration, Instant};

use box_protocol::encoding::coding::Coding;
use box_protocol::encoding::gsm7;
use box_protocol::encoding::reassembly::{Offer, Reassembler, ReassemblyError};
use box_protocol::encoding::split::{
    self, Body, Overflow, Payload, SeptetForm, SplitError, SplitOptions,
};
use box_protocol::encoding::udh::{Concat, ConcatRef};

fn septets(body: &Body) -> &[u8] {
    match body {
        Body::Septets(s) => s,
        other => panic!("expected unpacked septets, got {other:?}"),
    }
}

fn octets(body: &Body) -> &[u8] {
    match body {
        Body::Octets(o) => o,
        other => panic!("expected octets, got {other:?}"),
    }
}

#[test]
fn a_message_that_fits_is_sent_alone_without_a_concat_header() {
    let text = "a".repeat(160);
    let split = split::split(&Payload::Gsm7(&text), &[], &SplitOptions::new(9)).unwrap();
    assert_eq!(split.parts.len(), 1);
    let part = &split.parts[0];
    assert!(part.udh.is_empty());
    assert_eq!(part.concat, None);
    assert_eq!(part.units, 160);
    assert_eq!(part.user_data_octets(), 140);
}

#[test]
fn one_hundred_seventy_characters_split_into_153_and_17() {
    let text = "b".repeat(170);
    let split = split::split(&Payload::Gsm7(&text), &[], &SplitOptions::new(0x42)).unwrap();
    let sizes: Vec<usize> = split.parts.iter().map(|p| p.units).collect();
    assert_eq!(sizes, [153, 17]);
    assert_eq!(split.parts[0].udh, [0x05, 0x00, 0x03, 0x42, 0x02, 0x01]);
    assert_eq!(split.parts[1].udh, [0x05, 0x00, 0x03, 0x42, 0x02, 0x02]);
    assert_eq!(split.parts[0].parts_left(), 1);
    assert_eq!(split.parts[1].parts_left(), 0);
    assert_eq!(split.parts[0].user_data_octets(), 140);
    assert!(!split.truncated);
}

#[test]
fn an_escape_pair_is_never_split_across_parts() {
    let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
    let split = split::split(&Payload::Gsm7(&text), &[], &SplitOptions::new(1)).unwrap();
    assert_eq!(split.parts.len(), 2);
    let first = septets(&split.parts[0].body);
    let second = septets(&split.parts[1].body);
    assert_eq!(first.len(), 152);
    assert_ne!(first.last(), Some(&gsm7::ESCAPE));
    assert_eq!(&second[..2], [0x1B, 0x65]);
}

#[test]
fn a_surrogate_pair_is_never_split_across_parts() {
    let text = format!("{}😀{}", "a".repeat(66), "b".repeat(10));
    let split = split::split(&Payload::Ucs2(&text), &[], &SplitOptions::new(1)).unwrap();
    assert_eq!(split.parts.len(), 2);
    assert_eq!(split.parts[0].units, 66);
    assert_eq!(&octets(&split.parts[1].body)[..4], [0xD8, 0x3D, 0xDE, 0x00]);
}

#[test]
fn utf16_bytes_from_the_box_protocol_split_on_pair_boundaries_too() {
    let bytes =
        box_protocol::encoding::ucs2::encode(&format!("{}😀{}", "a".repeat(66), "b".repeat(10)));
    let split = split::split(&Payload::Utf16Be(&bytes), &[], &SplitOptions::new(1)).unwrap();
    assert_eq!(split.parts[0].units, 66);
    assert_eq!(split.parts[1].units, 12);
    assert!(matches!(
        split::split(&Payload::Utf16Be(&[0, 0x41, 0]), &[], &SplitOptions::new(1)),
        Err(SplitError::Ucs2(_))
    ));
}

#[test]
fn binary_data_splits_at_134_octets() {
    let data = vec![0xA5; 300];
    let split = split::split(&Payload::Binary(&data), &[], &SplitOptions::new(3)).unwrap();
    let sizes: Vec<usize> = split.parts.iter().map(|p| p.units).collect();
    assert_eq!(sizes, [134, 134, 32]);
    assert!(split.parts.iter().all(|p| p.coding == Coding::EightBit));
}

#[test]
fn more_parts_than_max_messages_are_refused_by_default() {
    let text = "c".repeat(600);
    let options = SplitOptions {
        max_parts: Some(3),
        ..SplitOptions::new(5)
    };
    assert_eq!(
        split::split(&Payload::Gsm7(&text), &[], &options),
        Err(SplitError::TooManyParts { needed: 4, max: 3 })
    );
}

#[test]
fn truncating_keeps_the_first_max_messages_parts_as_kannel_does() {
    let text = "c".repeat(600);
    let options = SplitOptions {
        max_parts: Some(3),
        overflow: Overflow::Truncate,
        ..SplitOptions::new(5)
    };
    let split = split::split(&Payload::Gsm7(&text), &[], &options).unwrap();
    assert!(split.truncated);
    let sizes: Vec<usize> = split.parts.iter().map(|p| p.units).collect();
    assert_eq!(sizes, [153, 153, 153]);
    assert_eq!(
        split.parts[2].concat,
        Some(Concat {
            reference: ConcatRef::Eight(5),
            total: 3,
            seq: 3
        })
    );
}

#[test]
fn truncating_to_one_part_sends_a_single_unconcatenated_sms() {
    let text = "d".repeat(200);
    let options = SplitOptions {
        max_parts: Some(1),
        overflow: Overflow::Truncate,
        ..SplitOptions::new(5)
    };
    let split = split::split(&Payload::Gsm7(&text), &[], &options).unwrap();
    assert!(split.truncated);
    assert_eq!(split.parts.len(), 1);
    assert_eq!(split.parts[0].units, 160);
    assert!(split.parts[0].udh.is_empty());
}

#[test]
fn a_user_udh_is_kept_and_shrinks_each_part() {
    let port = [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0];
    let text = "e".repeat(300);
    let options = SplitOptions {
        septet_form: SeptetForm::Packed,
        ..SplitOptions::new(8)
    };
    let split = split::split(&Payload::Gsm7(&text), &port, &options).unwrap();
    let first = &split.parts[0];
    assert_eq!(
        first.udh,
        [
            0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x08, 0x03, 0x01
        ]
    );
    // 12 header octets take 14 septets (96 bits + 2 fill bits) of the 160.
    assert_eq!(first.units, 146);
    match &first.body {
        Body::Packed { octets, fill_bits } => {
            assert_eq!(*fill_bits, 2);
            assert_eq!(first.udh.len() + octets.len(), 140);
        }
        other => panic!("expected packed septets, got {other:?}"),
    }
}

#[test]
fn a_user_udh_alone_is_sent_unchanged_when_the_text_fits() {
    let port = [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0];
    let data = vec![1; 133];
    let split = split::split(&Payload::Binary(&data), &port, &SplitOptions::new(0)).unwrap();
    assert_eq!(split.parts.len(), 1);
    assert_eq!(split.parts[0].udh, port);
}

#[test]
fn a_malformed_user_udh_is_refused() {
    assert!(matches!(
        split::split(&Payload::Gsm7("hi"), &[0x05, 0x00], &SplitOptions::new(0)),
        Err(SplitError::Udh(_))
    ));
}

#[test]
fn splitting_a_part_of_another_message_again_is_refused() {
    let text = "f".repeat(200);
    let udh = [0x05, 0x00, 0x03, 0x01, 0x02, 0x01];
    assert_eq!(
        split::split(&Payload::Gsm7(&text), &udh, &SplitOptions::new(0)),
        Err(SplitError::AlreadyConcatenated)
    );
}

#[test]
fn unmappable_text_is_refused_for_gsm_and_lossy_septets_are_accepted() {
    assert!(matches!(
        split::split(&Payload::Gsm7("ok ✓"), &[], &SplitOptions::new(0)),
        Err(SplitError::Gsm7(gsm7::Gsm7Error::Unmappable {
            position: 3,
            ..
        }))
    ));
    let lossy = gsm7::encode_lossy("ok ✓");
    let split = split::split(&Payload::Septets(&lossy), &[], &SplitOptions::new(0)).unwrap();
    assert_eq!(septets(&split.parts[0].body), b"ok ?");
}

#[test]
fn septets_ending_in_a_lone_escape_are_refused() {
    assert_eq!(
        split::split(&Payload::Septets(&[0x61, 0x1B]), &[], &SplitOptions::new(0)),
        Err(SplitError::TrailingEscape { offset: 1 })
    );
}

#[test]
fn seven_bit_parts_can_be_returned_as_utf8_text_for_the_box_protocol() {
    let text = format!("{}{{x}}", "g".repeat(155));
    let options = SplitOptions {
        septet_form: SeptetForm::Text,
        ..SplitOptions::new(0)
    };
    let split = split::split(&Payload::Gsm7(&text), &[], &options).unwrap();
    let joined: String = split
        .parts
        .iter()
        .map(|p| match &p.body {
            Body::Text(t) => t.clone(),
            other => panic!("expected text, got {other:?}"),
        })
        .collect();
    assert_eq!(joined, text);
}

#[test]
fn an_empty_message_is_one_empty_part() {
    let split = split::split(&Payload::Gsm7(""), &[], &SplitOptions::new(0)).unwrap();
    assert_eq!(split.parts.len(), 1);
    assert_eq!(split.parts[0].units, 0);
}

#[test]
fn more_than_255_parts_are_refused_even_without_a_limit() {
    let data = vec![0; 134 * 256];
    assert_eq!(
        split::split(&Payload::Binary(&data), &[], &SplitOptions::new(0)),
        Err(SplitError::TooManyParts {
            needed: 256,
            max: 255
        })
    );
}

// ---------------------------------------------------------------- reassembly

fn concat_udh(reference: u8, total: u8, seq: u8) -> Vec<u8> {
    vec![0x05, 0x00, 0x03, reference, total, seq]
}

#[test]
fn parts_arriving_out_of_order_are_joined_in_sequence() {
    let now = Instant::now();
    let mut r = Reassembler::new(Duration::from_secs(60));
    let origin = ("123", "456");
    assert_eq!(
        r.offer(origin, &concat_udh(7, 3, 3), b"C".to_vec(), now),
        Ok(Offer::Pending {
            received: 1,
            total: 3
        })
    );
    r.offer(origin, &concat_udh(7, 3, 1), b"A".to_vec(), now)
        .unwrap();
    let Offer::Complete(done) = r
        .offer(origin, &concat_udh(7, 3, 2), b"B".to_vec(), now)
        .unwrap()
    else {
        panic!("expected the message to be complete");
    };
    assert_eq!(done.payload, b"ABC");
    assert!(done.udh.is_empty());
    assert_eq!(done.reference, Some(ConcatRef::Eight(7)));
    assert_eq!(r.pending(), 0);
}

#[test]
fn a_duplicate_part_is_ignored() {
    let now = Instant::now();
    let mut r = Reassembler::new(Duration::from_secs(60));
    r.offer(1, &concat_udh(7, 2, 1), b"A".to_vec(), now)
        .unwrap();
    assert_eq!(
        r.offer(1, &concat_udh(7, 2, 1), b"X".to_vec(), now),
        Ok(Offer::Duplicate)
    );
    let Ok(Offer::Complete(done)) = r.offer(1, &concat_udh(7, 2, 2), b"B".to_vec(), now) else {
        panic!("expected the message to be complete");
    };
    assert_eq!(done.payload, b"AB");
}

#[test]
fn parts_from_different_senders_or_references_do_not_mix() {
    let now = Instant::now();
    let mut r = Reassembler::new(Duration::from_secs(60));
    r.offer("alice", &concat_udh(7, 2, 1), b"A".to_vec(), now)
        .unwrap();
    r.offer("bob", &concat_udh(7, 2, 2), b"B".to_vec(), now)
        .unwrap();
    r.offer("alice", &concat_udh(8, 2, 2), b"C".to_vec(), now)
        .unwrap();
    assert_eq!(r.pending(), 3);
}

#[test]
fn the_users_other_elements_survive_reassembly() {
    let now = Instant::now();
    let mut r = Reassembler::new(Duration::from_secs(60));
    let udh = |seq| {
        vec![
            0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x01, 0x02, seq,
        ]
    };
    r.offer((), &udh(2), b"2".to_vec(), now).unwrap();
    let Ok(Offer::Complete(done)) = r.offer((), &udh(1), b"1".to_vec(), now) else {
        panic!("expected the message to be complete");
    };
    assert_eq!(done.udh, [0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0]);
    assert_eq!(done.payload, b"12");
}

#[test]
fn a_16bit_reference_reassembles_too() {
    let now = Instant::now();
    let mut r = Reassembler::new(Duration::from_secs(60));
    let udh = |seq| vec![0x06, 0x08, 0x04, 0x01, 0x00, 0x02, seq];
    r.offer((), &udh(1), b"x".to_vec(), now).unwrap();
    let Ok(Offer::Complete(done)) = r.offer((), &udh(2), b"y".to_vec(), now) else {
        panic!("expected the message to be complete");
    };
    assert_eq!(done.reference, Some(ConcatRef::Sixteen(0x0100)));
}

#[test]
fn a_message_without_concat_is_complete_at_once() {
    let mut r = Reassembler::new(Duration::from_secs(60));
    let Ok(Offer::Complete(done)) = r.offer((), &[], b"solo".to_vec(), Instant::now()) else {
        panic!("expected the message to be complete");
    };
    assert_eq!((done.total, done.reference), (1, None));
    assert_eq!(done.payload, b"solo");
}

#[test]
fn a_total_of_zero_or_a_sequence_outside_the_total_is_rejected() {
    let now = Instant::now();
    let mut r = Reassembler::new(Duration::from_secs(60));
    assert_eq!(
        r.offer((), &concat_udh(4, 0, 1), vec![], now),
        Err(ReassemblyError::ZeroTotal { reference: 4 })
    );
    assert_eq!(
        r.offer((), &concat_udh(4, 2, 0), vec![], now),
        Err(ReassemblyError::SeqOutOfRange {
            reference: 4,
            seq: 0,
            total: 2
        })
    );
    assert_eq!(
        r.offer((), &concat_udh(4, 2, 3), vec![], now),
        Err(ReassemblyError::SeqOutOfRange {
            reference: 4,
            seq: 3,
            total: 2
        })
    );
    assert!(matches!(
        r.offer((), &[0x05, 0x00], vec![], now),
        Err(ReassemblyError::Udh(_))
    ));
    assert_eq!(r.pending(), 0);
}

#[test]
fn an_incomplete_message_expires_with_the_parts_that_arrived() {
    let t0 = Instant::now();
    let mut r = Reassembler::new(Duration::from_secs(30));
    r.offer("x", &concat_udh(1, 3, 2), b"B".to_vec(), t0)
        .unwrap();
    r.offer(
        "y",
        &concat_udh(1, 2, 1),
        b"Y".to_vec(),
        t0 + Duration::from_secs(20),
    )
    .unwrap();
    assert!(r.expire(t0 + Duration::from_secs(29)).is_empty());
    let expired = r.expire(t0 + Duration::from_secs(30));
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0].origin, "x");
    assert_eq!(expired[0].total, 3);
    assert_eq!(expired[0].parts.len(), 1);
    assert_eq!(expired[0].parts[0].seq, 2);
    assert_eq!(expired[0].parts[0].payload, b"B");
    assert_eq!(r.pending(), 1);
}

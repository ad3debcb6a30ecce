//! Properties of the codec over generated messages and bytes: exact round
//! trips, and no panic whatever arrives.

use box_protocol::frame::{self, Deframer, FrameError};
use box_protocol::{AckStatus, AdminCommand, Coding, DecodeError, Msg, Sms, SmsType};
use proptest::collection::vec;
use proptest::prelude::*;
use uuid::Uuid;

fn octstr() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![Just(None), vec(any::<u8>(), 0..24).prop_map(Some)]
}

// Decoding never yields Some(-1): -1 is how "undefined" is written.
fn integer() -> impl Strategy<Value = Option<i32>> {
    prop_oneof![
        Just(None),
        any::<i32>()
            .prop_filter("-1 is undefined", |v| *v != -1)
            .prop_map(Some),
        (-2..200i32)
            .prop_filter("-1 is undefined", |v| *v != -1)
            .prop_map(Some),
    ]
}

fn uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn small_or_any() -> impl Strategy<Value = i32> {
    prop_oneof![-1..8i32, any::<i32>()]
}

fn sms() -> impl Strategy<Value = Sms> {
    let addresses = (
        octstr(),
        octstr(),
        octstr(),
        octstr(),
        integer(),
        octstr(),
        octstr(),
    );
    let ids = (
        octstr(),
        octstr(),
        octstr(),
        uuid(),
        small_or_any(),
        integer(),
        integer(),
    );
    let options = (
        small_or_any(),
        integer(),
        integer(),
        integer(),
        integer(),
        octstr(),
        integer(),
        integer(),
        integer(),
        octstr(),
    );
    let tail = (
        octstr(),
        octstr(),
        integer(),
        integer(),
        integer(),
        integer(),
        octstr(),
    );
    (addresses, ids, options, tail).prop_map(
        |(
            (sender, receiver, udhdata, msgdata, time, smsc_id, smsc_number),
            (foreign_id, service, account, id, sms_type, mclass, mwi),
            (coding, compress, validity, deferred, dlr_mask, dlr_url, pid, alt_dcs, rpi, charset),
            (boxc_id, binfo, msg_left, priority, resend_try, resend_time, meta_data),
        )| Sms {
            sender,
            receiver,
            udhdata,
            msgdata,
            time,
            smsc_id,
            smsc_number,
            foreign_id,
            service,
            account,
            id,
            sms_type: SmsType::from_raw(sms_type),
            mclass,
            mwi,
            coding: Coding::from_raw(coding),
            compress,
            validity,
            deferred,
            dlr_mask,
            dlr_url,
            pid,
            alt_dcs,
            rpi,
            charset,
            boxc_id,
            binfo,
            msg_left,
            priority,
            resend_try,
            resend_time,
            meta_data,
        },
    )
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        1 => any::<i32>().prop_map(|load| Msg::Heartbeat { load }),
        1 => (small_or_any(), octstr()).prop_map(|(c, boxc_id)| Msg::Admin {
            command: AdminCommand::from_raw(c),
            boxc_id
        }),
        4 => sms().prop_map(Msg::from),
        1 => (small_or_any(), integer(), uuid()).prop_map(|(n, time, id)| Msg::Ack {
            nack: AckStatus::from_raw(n),
            time,
            id
        }),
        1 => (octstr(), integer(), octstr(), integer(), octstr()).prop_map(|(sa, sp, da, dp, ud)| {
            Msg::WdpDatagram {
                source_address: sa,
                source_port: sp,
                destination_address: da,
                destination_port: dp,
                user_data: ud,
            }
        }),
    ]
}

// Payloads built straight from the layout table, without this crate's encoder,
// so that the identity test does not check the encoder against itself.
// i = INTEGER (any value, -1 included), s = OCTSTR, u = UUID.
const LAYOUTS: [&str; 5] = ["i", "is", "ssssisssssuiiiiiiiisiiisssiiiis", "iiu", "sisis"];

fn raw_field(kind: char) -> BoxedStrategy<Vec<u8>> {
    match kind {
        'i' => prop_oneof![Just(-1i32), any::<i32>()]
            .prop_map(|v| v.to_be_bytes().to_vec())
            .boxed(),
        's' => prop_oneof![
            Just(vec![0xff; 4]),
            vec(any::<u8>(), 0..24).prop_map(|b| {
                let mut out = (b.len() as u32).to_be_bytes().to_vec();
                out.extend(b);
                out
            })
        ]
        .boxed(),
        _ => any::<u128>()
            .prop_map(|v| {
                let hex = format!("{v:032x}");
                let text = format!(
                    "{}-{}-{}-{}-{}",
                    &hex[..8],
                    &hex[8..12],
                    &hex[12..16],
                    &hex[16..20],
                    &hex[20..]
                );
                let mut out = vec![0, 0, 0, 36];
                out.extend(text.into_bytes());
                out
            })
            .boxed(),
    }
}

fn well_formed_payload() -> impl Strategy<Value = Vec<u8>> {
    (0..LAYOUTS.len()).prop_flat_map(|t| {
        let fields: Vec<_> = LAYOUTS[t].chars().map(raw_field).collect();
        fields.prop_map(move |parts| {
            let mut out = (t as i32).to_be_bytes().to_vec();
            out.extend(parts.concat());
            out
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_message_decodes_to_itself_after_encoding(m in msg()) {
        prop_assert_eq!(Msg::decode(&m.to_bytes()), Ok(m));
    }

    #[test]
    fn any_message_survives_framing(m in msg()) {
        let mut out = Vec::new();
        let len = frame::write_frame(&m, &mut out);
        prop_assert_eq!(len, Ok(out.len()));
        prop_assert_eq!(frame::parse(&out), Ok((m, out.len())));
    }

    #[test]
    fn well_formed_payloads_re_encode_byte_for_byte(payload in well_formed_payload()) {
        let decoded = Msg::decode(&payload);
        prop_assert!(decoded.is_ok(), "{:?}", decoded);
        prop_assert_eq!(decoded.map(|m| m.to_bytes()), Ok(payload));
    }

    #[test]
    fn every_proper_prefix_of_a_payload_is_refused(payload in well_formed_payload(), cut in any::<prop::sample::Index>()) {
        let cut = cut.index(payload.len());
        prop_assert!(Msg::decode(&payload[..cut]).is_err());
    }

    #[test]
    fn bytes_after_the_last_field_are_refused(payload in well_formed_payload(), extra in vec(any::<u8>(), 1..8)) {
        let mut long = payload.clone();
        long.extend(&extra);
        let refused = matches!(
            Msg::decode(&long),
            Err(DecodeError::TrailingBytes { end, extra: n, .. }) if end == payload.len() && n == extra.len()
        );
        prop_assert!(refused);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..300)) {
        let _ = frame::check(&bytes);
        let _ = frame::parse(&bytes);
        let _ = Msg::decode(&bytes);
    }

    #[test]
    fn arbitrary_fields_after_a_valid_type_never_panic(t in 0..5i32, rest in vec(any::<u8>(), 0..300)) {
        let mut payload = t.to_be_bytes().to_vec();
        payload.extend(rest);
        if let Ok(m) = Msg::decode(&payload) {
            prop_assert_eq!(Msg::decode(&m.to_bytes()), Ok(m));
        }
    }

    #[test]
    fn a_corrupted_byte_never_panics_and_what_decodes_is_stable(
        payload in well_formed_payload(),
        at in any::<prop::sample::Index>(),
        value in any::<u8>(),
    ) {
        let mut bad = payload;
        let i = at.index(bad.len());
        if let Some(b) = bad.get_mut(i) {
            *b = value;
        }
        let mut framed = (bad.len() as u32).to_be_bytes().to_vec();
        framed.extend(&bad);
        let _ = frame::parse(&framed);
        if let Ok(m) = Msg::decode(&bad) {
            prop_assert_eq!(Msg::decode(&m.to_bytes()), Ok(m));
        }
    }

    #[test]
    fn check_never_asks_for_more_than_the_limit(bytes in vec(any::<u8>(), 0..12), limit in 0usize..64) {
        let limits = frame::Limits { max_payload: limit };
        match limits.check(&bytes) {
            Ok(n) => prop_assert!(n <= 4 + limit && n <= bytes.len()),
            Err(FrameError::Incomplete { needed, .. }) => prop_assert!(needed <= 4 + limit),
            Err(_) => {}
        }
    }

    #[test]
    fn deframer_output_does_not_depend_on_how_the_stream_is_cut(
        msgs in vec(msg(), 1..6),
        cuts in vec(1usize..40, 1..20),
    ) {
        let mut stream = Vec::new();
        for m in &msgs {
            prop_assert!(frame::write_frame(m, &mut stream).is_ok());
        }
        let mut d = Deframer::default();
        let mut got = Vec::new();
        let mut rest = &stream[..];
        for size in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at((*size).min(rest.len()));
            rest = tail;
            d.push(chunk);
            while let Some(m) = d.next_msg().ok().flatten() {
                got.push(m);
            }
        }
        prop_assert_eq!(got, msgs);
        prop_assert_eq!(d.buffered(), 0);
    }
}

//! The five box-protocol messages and their codec, field for field as Kannel
//! 1.4.5's `gw/msg-decl.h` declares them.
//!
//! # Layout
//!
//! A payload is an INTEGER type followed by that type's fields in declaration
//! order, with no tags and nothing after the last field:
//!
//! | type | value | fields |
//! |------|-------|--------|
//! | heartbeat    | 0 | load |
//! | admin        | 1 | command, boxc_id |
//! | sms          | 2 | the 31 fields of [`Sms`], in the order of its definition |
//! | ack          | 3 | nack, time, id |
//! | wdp_datagram | 4 | source_address, source_port, destination_address, destination_port, user_data |
//!
//! # Exactness
//!
//! Decoding then encoding gives back the same bytes for every payload Kannel can
//! write: NULL and empty strings stay apart (`Option<Vec<u8>>`), undefined
//! INTEGERs are `None`, and enumerations keep values they do not know in an
//! `Unrecognized` variant. The one normalisation is the UUID text, which is
//! written lowercase as Kannel writes it even if a peer sent uppercase.

use std::fmt;

use uuid::Uuid;

use crate::wire::{Codec, DecodeError, Reader, UNDEFINED, put_integer};

/// A value of an enumerated INTEGER field that this crate has no name for.
///
/// Only decoding creates it, so it never holds a value that has a named variant,
/// and for fields where -1 means undefined it never holds -1 either: that is what
/// keeps `decode` → `encode` exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Unrecognized(i32);

impl Unrecognized {
    pub const fn raw(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Unrecognized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unrecognized value {}", self.0)
    }
}

// `required` enums are fields where -1 is just another unknown value (admin
// command, ack status); `optional` ones are `Option<Enum>` fields where -1 is
// undefined, so `from_raw(-1)` must give `None`, never `Unrecognized(-1)`.
macro_rules! wire_enum {
    (@common $(#[$meta:meta])* $name:ident { $( $(#[doc = $doc:literal])* $variant:ident = $value:literal ),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[doc = $doc])* $variant, )*
            Unrecognized(Unrecognized),
        }

        impl $name {
            /// The INTEGER this value is written as.
            pub const fn raw(self) -> i32 {
                match self {
                    $( Self::$variant => $value, )*
                    Self::Unrecognized(u) => u.raw(),
                }
            }
        }
    };
    (required $(#[$meta:meta])* $name:ident { $($body:tt)* }) => {
        wire_enum!(@common $(#[$meta])* $name { $($body)* });
        wire_enum!(@from_raw $name { $($body)* });

        impl Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                put_integer(out, self.raw());
            }
            fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
                Ok(Self::from_raw(r.integer(field)?))
            }
        }
    };
    (optional $(#[$meta:meta])* $name:ident { $($body:tt)* }) => {
        wire_enum!(@common $(#[$meta])* $name { $($body)* });
        wire_enum!(@from_raw_optional $name { $($body)* });

        impl Codec for Option<$name> {
            fn encode(&self, out: &mut Vec<u8>) {
                put_integer(out, self.map_or(UNDEFINED, $name::raw));
            }
            fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
                Ok($name::from_raw(r.integer(field)?))
            }
        }
    };
    (@from_raw $name:ident { $( $(#[doc = $doc:literal])* $variant:ident = $value:literal ),* $(,)? }) => {
        impl $name {
            /// The value an INTEGER stands for; unknown ones are kept as they are.
            pub const fn from_raw(raw: i32) -> Self {
                match raw {
                    $( $value => Self::$variant, )*
                    other => Self::Unrecognized(Unrecognized(other)),
                }
            }
        }
    };
    (@from_raw_optional $name:ident { $( $(#[doc = $doc:literal])* $variant:ident = $value:literal ),* $(,)? }) => {
        impl $name {
            /// The value an INTEGER stands for: `None` for -1 (undefined), unknown
            /// values kept as they are.
            pub const fn from_raw(raw: i32) -> Option<Self> {
                match raw {
                    UNDEFINED => None,
                    $( $value => Some(Self::$variant), )*
                    other => Some(Self::Unrecognized(Unrecognized(other))),
                }
            }
        }
    };
}

wire_enum!(required
    /// `admin.command` (`enum cmd` in `gw/msg.h`).
    AdminCommand {
        /// bearerbox → box: stop now (bearerbox shutting down, or after a bad frame).
        Shutdown = 0,
        Suspend = 1,
        Resume = 2,
        /// box → bearerbox, the first frame after connecting.
        Identify = 3,
        /// bearerbox → box on the admin `restart` command.
        Restart = 4,
        Feature = 5,
    }
);

wire_enum!(required
    /// `ack.nack` (`enum ack_status` in `gw/msg.h`).
    AckStatus {
        /// Routed to an SMSC (towards a box), or taken (towards bearerbox).
        Success = 0,
        /// Not routable; do not try again.
        Failed = 1,
        /// Temporary failure; try again later (bearerbox re-queues an MO).
        FailedTmp = 2,
        /// Queued in bearerbox until a link comes up.
        Buffered = 3,
    }
);

wire_enum!(optional
    /// `sms.sms_type` (`enum sms_type` in `gw/sms.h`).
    SmsType {
        /// Mobile originated, from an SMSC link.
        Mo = 0,
        /// A service's reply to an MO.
        MtReply = 1,
        /// A sendsms (push) message.
        MtPush = 2,
        /// A delivery report travelling towards a box.
        ReportMo = 3,
        /// A delivery report travelling towards an SMSC.
        ReportMt = 4,
    }
);

wire_enum!(optional
    /// `sms.coding` (`DC_*` in `gw/sms.h`): how `msgdata` is to be read.
    Coding {
        /// GSM 7-bit on the air; **UTF-8 text** on the box wire.
        SevenBit = 0,
        /// Raw octets.
        EightBit = 1,
        /// UCS-2 on the air; UTF-16BE octets on the box wire.
        Ucs2 = 2,
    }
);

// One table for the sms fields, as Kannel keeps one in msg-decl.h: the struct,
// its wire order, its encoder and its decoder all come from here, so they cannot
// drift apart. Struct-literal fields are evaluated in the order written, which
// makes the decoder read them in wire order.
macro_rules! sms_fields {
    ($( $(#[doc = $doc:literal])* $name:ident : $ty:ty, )*) => {
        /// An `sms` message: MT, MO or delivery report.
        ///
        /// Fields are public and in wire order. `None` is NULL for strings and
        /// undefined (-1) for integers. Kannel's `split_parts` is an in-memory
        /// pointer that is never on the wire, so it is not here.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct Sms {
            $( $(#[doc = $doc])* pub $name: $ty, )*
        }

        impl Sms {
            /// Field names in wire order, as Kannel names them.
            pub const FIELD_NAMES: [&'static str; 31] = [$( stringify!($name), )*];

            fn encode_fields(&self, out: &mut Vec<u8>) {
                $( Codec::encode(&self.$name, out); )*
            }

            fn decode_fields(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(Sms {
                    $( $name: Codec::decode(r, concat!("sms.", stringify!($name)))?, )*
                })
            }
        }
    };
}

sms_fields! {
    /// Originator (MT: our number or alphanumeric; MO: the handset).
    sender: Option<Vec<u8>>,
    /// Destination.
    receiver: Option<Vec<u8>>,
    /// Raw UDH including its length octet (`05 00 03 …`).
    udhdata: Option<Vec<u8>>,
    /// The text or data, read according to `coding`.
    msgdata: Option<Vec<u8>>,
    /// Epoch seconds, 32 bits: creation or receive time.
    time: Option<i32>,
    /// MO/DLR: the receiving link's id; MT: a routing hint, not a pin.
    smsc_id: Option<Vec<u8>>,
    /// SMSC address (AT links).
    smsc_number: Option<Vec<u8>>,
    /// The SMSC's message id (DLRs).
    foreign_id: Option<Vec<u8>>,
    /// sendsms username or service name.
    service: Option<Vec<u8>>,
    account: Option<Vec<u8>>,
    /// Message id, chosen by whoever created the message; acks carry it back.
    id: Uuid,
    sms_type: Option<SmsType>,
    /// Message class 0..3.
    mclass: Option<i32>,
    /// Message waiting indicator 0..7.
    mwi: Option<i32>,
    coding: Option<Coding>,
    compress: Option<i32>,
    /// **Absolute** epoch seconds (smsbox converts the minutes it is given).
    validity: Option<i32>,
    /// **Absolute** epoch seconds.
    deferred: Option<i32>,
    /// MT: the requested mask; DLR: the single event code (1, 2, 4, 8, 16).
    dlr_mask: Option<i32>,
    /// The dlr-url template, escapes not yet expanded.
    dlr_url: Option<Vec<u8>>,
    pid: Option<i32>,
    alt_dcs: Option<i32>,
    rpi: Option<i32>,
    /// The charset the text came in, as a hint (e.g. `ISO-8859-1` on service replies).
    charset: Option<Vec<u8>>,
    /// smsbox-id of the originating box; MO and DLRs are routed back to it.
    boxc_id: Option<Vec<u8>>,
    /// Billing information.
    binfo: Option<Vec<u8>>,
    /// Parts remaining after this one, set by splitting.
    msg_left: Option<i32>,
    priority: Option<i32>,
    /// bearerbox's retry counter.
    resend_try: Option<i32>,
    /// Epoch seconds of the last retry.
    resend_time: Option<i32>,
    /// `?group?key=val&…`, e.g. `?smpp?my_tlv=hello`.
    meta_data: Option<Vec<u8>>,
}

impl Sms {
    /// A message with every field NULL or undefined except its id: the smallest
    /// sms Kannel accepts (164 payload bytes).
    pub fn undefined(id: Uuid) -> Self {
        Sms {
            sender: None,
            receiver: None,
            udhdata: None,
            msgdata: None,
            time: None,
            smsc_id: None,
            smsc_number: None,
            foreign_id: None,
            service: None,
            account: None,
            id,
            sms_type: None,
            mclass: None,
            mwi: None,
            coding: None,
            compress: None,
            validity: None,
            deferred: None,
            dlr_mask: None,
            dlr_url: None,
            pid: None,
            alt_dcs: None,
            rpi: None,
            charset: None,
            boxc_id: None,
            binfo: None,
            msg_left: None,
            priority: None,
            resend_try: None,
            resend_time: None,
            meta_data: None,
        }
    }

    /// A push MT with a fresh random id, 7-bit coding (UTF-8 `text` on the wire)
    /// and everything else undefined. The caller sets `time`: this crate has no
    /// clock.
    pub fn new_mt(sender: impl Into<Vec<u8>>, receiver: impl Into<Vec<u8>>, text: &str) -> Self {
        Sms {
            sender: Some(sender.into()),
            receiver: Some(receiver.into()),
            msgdata: Some(text.as_bytes().to_vec()),
            sms_type: Some(SmsType::MtPush),
            coding: Some(Coding::SevenBit),
            ..Sms::undefined(Uuid::new_v4())
        }
    }

    /// An MO as an SMSC link hands it to bearerbox, with a fresh random id.
    pub fn new_mo(
        sender: impl Into<Vec<u8>>,
        receiver: impl Into<Vec<u8>>,
        msgdata: impl Into<Vec<u8>>,
        coding: Coding,
        smsc_id: impl Into<Vec<u8>>,
    ) -> Self {
        Sms {
            sender: Some(sender.into()),
            receiver: Some(receiver.into()),
            msgdata: Some(msgdata.into()),
            sms_type: Some(SmsType::Mo),
            coding: Some(coding),
            smsc_id: Some(smsc_id.into()),
            ..Sms::undefined(Uuid::new_v4())
        }
    }

    /// Whether this is a delivery report (in either direction).
    pub fn is_report(&self) -> bool {
        matches!(self.sms_type, Some(SmsType::ReportMo | SmsType::ReportMt))
    }
}

/// One box-protocol message.
// An sms is the common case on this link and the small variants live only as
// long as it takes to write them, so boxing `Sms` would cost an allocation per
// message to save a few hundred bytes on the rare heartbeat.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Msg {
    /// box → bearerbox every 30 s; `load` = the box's outstanding HTTP requests.
    Heartbeat { load: i32 },
    Admin {
        command: AdminCommand,
        boxc_id: Option<Vec<u8>>,
    },
    /// Boxed: an `Sms` is some 480 bytes, and every queue a `Msg` passes
    /// through (and every move of one) would carry them for an ack too.
    Sms(Box<Sms>),
    /// The answer to one `sms`, carrying its `time` and `id` back.
    Ack {
        nack: AckStatus,
        time: Option<i32>,
        id: Uuid,
    },
    /// WAP only; carried so that a wapbox-side frame does not break the link.
    WdpDatagram {
        source_address: Option<Vec<u8>>,
        source_port: Option<i32>,
        destination_address: Option<Vec<u8>>,
        destination_port: Option<i32>,
        user_data: Option<Vec<u8>>,
    },
}

impl From<Sms> for Msg {
    fn from(sms: Sms) -> Self {
        Msg::Sms(Box::new(sms))
    }
}

impl From<Box<Sms>> for Msg {
    fn from(sms: Box<Sms>) -> Self {
        Msg::Sms(sms)
    }
}

/// Room for an encoded `sms`: its thirty-odd fields and the usual texts
/// fit, where a growing buffer was copied six times on the way.
const SMS_CAPACITY: usize = 512;

impl Msg {
    pub const HEARTBEAT: i32 = 0;
    pub const ADMIN: i32 = 1;
    pub const SMS: i32 = 2;
    pub const ACK: i32 = 3;
    pub const WDP_DATAGRAM: i32 = 4;

    /// The first frame a box sends, with its smsbox-id if it has one.
    pub fn identify(boxc_id: Option<Vec<u8>>) -> Self {
        Msg::Admin {
            command: AdminCommand::Identify,
            boxc_id,
        }
    }

    /// What bearerbox sends a box before closing its connection.
    pub fn shutdown() -> Self {
        Msg::Admin {
            command: AdminCommand::Shutdown,
            boxc_id: None,
        }
    }

    pub fn heartbeat(load: i32) -> Self {
        Msg::Heartbeat { load }
    }

    /// The ack for `sms`: Kannel matches acks by id and echoes the sms's time.
    pub fn ack(sms: &Sms, nack: AckStatus) -> Self {
        Msg::Ack {
            nack,
            time: sms.time,
            id: sms.id,
        }
    }

    /// Kannel's name for the type, as it appears in its logs.
    pub fn type_name(&self) -> &'static str {
        match self {
            Msg::Heartbeat { .. } => "heartbeat",
            Msg::Admin { .. } => "admin",
            Msg::Sms(_) => "sms",
            Msg::Ack { .. } => "ack",
            Msg::WdpDatagram { .. } => "wdp_datagram",
        }
    }

    /// The type INTEGER that starts the payload.
    pub fn type_value(&self) -> i32 {
        match self {
            Msg::Heartbeat { .. } => Self::HEARTBEAT,
            Msg::Admin { .. } => Self::ADMIN,
            Msg::Sms(_) => Self::SMS,
            Msg::Ack { .. } => Self::ACK,
            Msg::WdpDatagram { .. } => Self::WDP_DATAGRAM,
        }
    }

    /// Appends the payload (no length prefix: see `frame` for that).
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_integer(out, self.type_value());
        match self {
            Msg::Heartbeat { load } => load.encode(out),
            Msg::Admin { command, boxc_id } => {
                command.encode(out);
                boxc_id.encode(out);
            }
            Msg::Sms(sms) => sms.encode_fields(out),
            Msg::Ack { nack, time, id } => {
                nack.encode(out);
                time.encode(out);
                id.encode(out);
            }
            Msg::WdpDatagram {
                source_address,
                source_port,
                destination_address,
                destination_port,
                user_data,
            } => {
                source_address.encode(out);
                source_port.encode(out);
                destination_address.encode(out);
                destination_port.encode(out);
                user_data.encode(out);
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(match self {
            Msg::Sms(_) => SMS_CAPACITY,
            _ => 64,
        });
        self.encode(&mut out);
        out
    }

    /// The payload of `Msg::Sms(sms)` from a borrowed message, for a caller
    /// that stores the bytes and keeps the message: no copy of it to wrap.
    pub fn sms_to_bytes(sms: &Sms) -> Vec<u8> {
        let mut out = Vec::with_capacity(SMS_CAPACITY);
        put_integer(&mut out, Self::SMS);
        sms.encode_fields(&mut out);
        out
    }

    /// Reads one whole payload; bytes after the last field are an error.
    pub fn decode(payload: &[u8]) -> Result<Msg, DecodeError> {
        let mut r = Reader::new(payload);
        let msg = match r.integer("message type")? {
            Self::HEARTBEAT => Msg::Heartbeat {
                load: Codec::decode(&mut r, "heartbeat.load")?,
            },
            Self::ADMIN => Msg::Admin {
                command: Codec::decode(&mut r, "admin.command")?,
                boxc_id: Codec::decode(&mut r, "admin.boxc_id")?,
            },
            Self::SMS => Msg::Sms(Box::new(Sms::decode_fields(&mut r)?)),
            Self::ACK => Msg::Ack {
                nack: Codec::decode(&mut r, "ack.nack")?,
                time: Codec::decode(&mut r, "ack.time")?,
                id: Codec::decode(&mut r, "ack.id")?,
            },
            Self::WDP_DATAGRAM => Msg::WdpDatagram {
                source_address: Codec::decode(&mut r, "wdp_datagram.source_address")?,
                source_port: Codec::decode(&mut r, "wdp_datagram.source_port")?,
                destination_address: Codec::decode(&mut r, "wdp_datagram.destination_address")?,
                destination_port: Codec::decode(&mut r, "wdp_datagram.destination_port")?,
                user_data: Codec::decode(&mut r, "wdp_datagram.user_data")?,
            },
            found => return Err(DecodeError::UnknownType { found }),
        };
        r.finish(msg.type_name())?;
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uuid(text: &str) -> Uuid {
        Uuid::parse_str(text).unwrap_or_default()
    }

    // reference/kannel.md §6.7: "hello world foo" from 4670000002 to 5555 via fake1.
    const MO_PAYLOAD: [u8; 198] = [
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0a, 0x34, 0x36, 0x37, 0x30, 0x30, 0x30, 0x30,
        0x30, 0x30, 0x32, 0x00, 0x00, 0x00, 0x04, 0x35, 0x35, 0x35, 0x35, 0xff, 0xff, 0xff, 0xff,
        0x00, 0x00, 0x00, 0x0f, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64,
        0x20, 0x66, 0x6f, 0x6f, 0x6b, 0x07, 0x33, 0x2d, 0x00, 0x00, 0x00, 0x05, 0x66, 0x61, 0x6b,
        0x65, 0x31, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x24, 0x65, 0x36, 0x62, 0x30, 0x62, 0x65, 0x38, 0x37,
        0x2d, 0x61, 0x31, 0x35, 0x31, 0x2d, 0x34, 0x38, 0x31, 0x31, 0x2d, 0x38, 0x35, 0x64, 0x66,
        0x2d, 0x39, 0x62, 0x31, 0x65, 0x35, 0x32, 0x32, 0x66, 0x64, 0x64, 0x63, 0x37, 0x00, 0x00,
        0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff,
    ];

    #[test]
    fn a_borrowed_sms_encodes_to_the_bytes_of_its_msg() {
        let Ok(Msg::Sms(sms)) = Msg::decode(&MO_PAYLOAD) else {
            panic!("the reference MO does not decode");
        };
        assert_eq!(Msg::sms_to_bytes(&sms), MO_PAYLOAD);
    }

    #[test]
    fn reference_mo_decodes_to_its_fields_and_back_to_its_bytes() {
        let msg = Msg::decode(&MO_PAYLOAD);
        let Ok(Msg::Sms(sms)) = &msg else {
            panic!("not an sms: {msg:?}");
        };
        let expected = Sms {
            sender: Some(b"4670000002".to_vec()),
            receiver: Some(b"5555".to_vec()),
            msgdata: Some(b"hello world foo".to_vec()),
            time: Some(1_795_633_965),
            smsc_id: Some(b"fake1".to_vec()),
            sms_type: Some(SmsType::Mo),
            coding: Some(Coding::SevenBit),
            ..Sms::undefined(uuid("e6b0be87-a151-4811-85df-9b1e522fddc7"))
        };
        assert_eq!(**sms, expected);
        assert_eq!(Msg::from(expected).to_bytes(), MO_PAYLOAD);
    }

    #[test]
    fn reference_identify_without_smsbox_id() {
        let bytes = [0, 0, 0, 1, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(Msg::decode(&bytes), Ok(Msg::identify(None)));
        assert_eq!(Msg::identify(None).to_bytes(), bytes);
    }

    #[test]
    fn reference_heartbeat_with_load_zero() {
        let bytes = [0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(Msg::decode(&bytes), Ok(Msg::heartbeat(0)));
        assert_eq!(Msg::heartbeat(0).to_bytes(), bytes);
    }

    #[test]
    fn reference_ack_echoes_time_and_id_of_the_mo() {
        let mut bytes = vec![
            0, 0, 0, 3, 0, 0, 0, 0, 0x6b, 0x07, 0x33, 0x2d, 0, 0, 0, 0x24,
        ];
        bytes.extend_from_slice(b"e6b0be87-a151-4811-85df-9b1e522fddc7");
        let Ok(Msg::Sms(mo)) = Msg::decode(&MO_PAYLOAD) else {
            panic!("reference MO does not decode");
        };
        let ack = Msg::ack(&mo, AckStatus::Success);
        assert_eq!(ack.to_bytes(), bytes);
        assert_eq!(Msg::decode(&bytes), Ok(ack));
    }

    #[test]
    fn reference_shutdown() {
        let bytes = [0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(Msg::decode(&bytes), Ok(Msg::shutdown()));
        assert_eq!(Msg::shutdown().to_bytes(), bytes);
    }

    #[test]
    fn minimal_sms_is_164_bytes() {
        let sms = Msg::from(Sms::undefined(Uuid::nil()));
        assert_eq!(sms.to_bytes().len(), 164);
    }

    #[test]
    fn unknown_enum_values_survive_a_round_trip() {
        let mut bytes = vec![
            0, 0, 0, 3, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x24,
        ];
        bytes.extend_from_slice(b"00000000-0000-0000-0000-000000000000");
        let msg = Msg::decode(&bytes);
        assert!(
            matches!(&msg, Ok(Msg::Ack { nack: AckStatus::Unrecognized(u), time: None, .. }) if u.raw() == 9),
            "{msg:?}"
        );
        assert_eq!(msg.map(|m| m.to_bytes()), Ok(bytes));
    }

    #[test]
    fn undefined_optional_enum_is_none_not_unrecognized() {
        assert_eq!(SmsType::from_raw(-1), None);
        assert_eq!(Coding::from_raw(-1), None);
        assert_eq!(Coding::from_raw(2), Some(Coding::Ucs2));
        assert_eq!(AdminCommand::from_raw(-1).raw(), -1);
    }

    #[test]
    fn type_six_is_refused_with_the_value_found() {
        let err = Msg::decode(&[0, 0, 0, 6]);
        assert_eq!(err, Err(DecodeError::UnknownType { found: 6 }));
    }

    #[test]
    fn a_truncated_sms_names_the_field_it_stopped_in() {
        let err = Msg::decode(&MO_PAYLOAD[..100]);
        assert!(
            matches!(
                err,
                Err(DecodeError::Truncated {
                    field: "sms.id",
                    offset: 78,
                    needed: 36,
                    ..
                })
            ),
            "{err:?}"
        );
    }

    #[test]
    fn the_field_table_has_kannels_31_names_in_order() {
        assert_eq!(Sms::FIELD_NAMES[0], "sender");
        assert_eq!(Sms::FIELD_NAMES[10], "id");
        assert_eq!(Sms::FIELD_NAMES[26], "msg_left");
        assert_eq!(Sms::FIELD_NAMES[27], "priority");
        assert_eq!(Sms::FIELD_NAMES[30], "meta_data");
    }

    #[test]
    fn new_mt_is_a_push_with_a_fresh_v4_id() {
        let a = Sms::new_mt("12345", "4670000001", "Hello world");
        let b = Sms::new_mt("12345", "4670000001", "Hello world");
        assert_ne!(a.id, b.id);
        assert_eq!(a.id.get_version_num(), 4);
        assert_eq!(a.sms_type, Some(SmsType::MtPush));
        assert_eq!(a.coding, Some(Coding::SevenBit));
        assert_eq!(a.dlr_mask, None);
        assert!(!a.is_report());
    }
}

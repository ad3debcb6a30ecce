//! SMPP 3.4 PDUs: the 16-octet header, `check` then `parse`, `encode`, and the one table of bodies.
//!
//! # Layout
//!
//! - [`check`]: is a whole PDU in the buffer, and is its `command_length` sane? Decided from the
//!   first 4 octets, before anything is allocated.
//! - [`Pdu::parse`] / [`decode`]: header and typed [`Body`]; [`Pdu::encode`] writes one back with
//!   the right `command_length`.
//! - the `pdus!` table (below [`DecodeError`]): every operation an ESME meets, its `command_id`,
//!   its wire name and its fields in wire order. The body structs, [`CommandId`], [`Body`] and
//!   their codecs are all generated from it, so a field cannot be decoded in one order and
//!   encoded in another.
//! - [`DestAddress`], [`UnsuccessSme`]: the lists inside submit_multi and its response.
//!
//! A response carrying an error `command_status` may come without a body (the specification says
//! it is "not returned"; some SMSCs send it anyway): both decode to the body's default, and such a
//! response is encoded without a body.

use std::fmt;

use thiserror::Error;

use super::status::CommandStatus;
use super::tlv::{MessageState, Tlvs};
use super::wire::{COctetString, FieldError, LengthError, Reader, ShortMessage, Wire};

/// Octets in every PDU header: command_length, command_id, command_status, sequence_number.
pub const HEADER_LEN: usize = 16;

/// The default ceiling on `command_length`: 68 KiB. The largest PDU the specification allows in
/// practice is a data_sm or submit_sm carrying a full 65,535-octet `message_payload` (plus at most
/// ~300 octets of fixed fields and a few TLVs), so anything smaller would refuse valid traffic;
/// anything much larger only lets a confused or hostile peer make us buffer garbage. Kannel's
/// `smpp_pdu.c` refuses anything over 7,424 octets (and with it such a data_sm); the ceiling is
/// a parameter of [`check`] so a link can be set either way.
pub const DEFAULT_MAX_COMMAND_LENGTH: u32 = 68 * 1024;

pub type SystemId = COctetString<16>;
pub type Password = COctetString<9>;
pub type SystemType = COctetString<13>;
pub type AddressRange = COctetString<41>;
/// source_addr / destination_addr of submit_sm, deliver_sm, query_sm, cancel_sm, replace_sm.
pub type Address = COctetString<21>;
/// The longer addresses of data_sm and alert_notification.
pub type LongAddress = COctetString<65>;
pub type ServiceType = COctetString<6>;
/// schedule_delivery_time, validity_period, final_date: empty or 16 characters (see `time`).
pub type SmppTimeString = COctetString<17>;
pub type MessageId = COctetString<65>;
pub type DistributionListName = COctetString<21>;

/// Why bytes from the peer are not (yet) a PDU.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not an error of the peer: read at least `needed` more octets and try again.
    #[error("incomplete PDU: expected at least {needed} more octet(s)")]
    Incomplete { needed: usize },
    #[error("command_length: expected at least {HEADER_LEN}, found {found}")]
    CommandLengthTooSmall { found: u32 },
    #[error("command_length: expected at most {max}, found {found}")]
    CommandLengthTooLarge { found: u32, max: u32 },
    /// Kept whole so the session can answer `generic_nack` with ESME_RINVCMDID and this sequence.
    #[error(
        "command_id: expected an SMPP 3.4 operation, found 0x{command_id:08x} \
         (sequence_number {sequence_number})"
    )]
    UnknownCommandId {
        command_id: u32,
        command_status: u32,
        sequence_number: u32,
    },
    #[error("{command} (sequence_number {sequence_number}): {error}")]
    Body {
        command: CommandId,
        sequence_number: u32,
        error: FieldError,
    },
}

impl DecodeError {
    /// Not a fault: the caller should read more and try again.
    pub fn is_incomplete(&self) -> bool {
        matches!(self, DecodeError::Incomplete { .. })
    }

    /// The sequence number to answer, when the header was readable.
    pub fn sequence_number(&self) -> Option<u32> {
        match self {
            DecodeError::UnknownCommandId {
                sequence_number, ..
            }
            | DecodeError::Body {
                sequence_number, ..
            } => Some(*sequence_number),
            _ => None,
        }
    }

    /// The `command_status` a `generic_nack` (or the request's response) should carry.
    pub fn nack_status(&self) -> CommandStatus {
        match self {
            DecodeError::Incomplete { .. } => CommandStatus::Ok,
            DecodeError::CommandLengthTooSmall { .. }
            | DecodeError::CommandLengthTooLarge { .. } => CommandStatus::InvalidCommandLength,
            DecodeError::UnknownCommandId { .. } => CommandStatus::InvalidCommandId,
            DecodeError::Body { error, .. } => match error {
                FieldError::SmLengthPastEnd { .. } => CommandStatus::InvalidMessageLength,
                FieldError::TlvLengthPastEnd { .. } | FieldError::TlvHeaderTruncated { .. } => {
                    CommandStatus::InvalidOptionalParameterStream
                }
                FieldError::UnknownDestFlag { .. } => CommandStatus::InvalidDestinationFlag,
                _ => CommandStatus::InvalidCommandLength,
            },
        }
    }
}

/// Is a whole PDU at the start of `buf`? Returns its length, or `Incomplete` with how many more
/// octets to read. `command_length` is judged against `max_command_length` before the caller
/// allocates for it.
pub fn check(buf: &[u8], max_command_length: u32) -> Result<usize, DecodeError> {
    let Some(&length_octets) = buf.first_chunk::<4>() else {
        return Err(DecodeError::Incomplete {
            needed: 4 - buf.len(),
        });
    };
    let command_length = u32::from_be_bytes(length_octets);
    if command_length < HEADER_LEN as u32 {
        return Err(DecodeError::CommandLengthTooSmall {
            found: command_length,
        });
    }
    if command_length > max_command_length {
        return Err(DecodeError::CommandLengthTooLarge {
            found: command_length,
            max: max_command_length,
        });
    }
    let total = usize::try_from(command_length).unwrap_or(usize::MAX);
    match total.checked_sub(buf.len()) {
        Some(needed) if needed > 0 => Err(DecodeError::Incomplete { needed }),
        _ => Ok(total),
    }
}

/// `check` then `parse`: the PDU at the start of `buf` and how many octets it took.
pub fn decode(buf: &[u8], max_command_length: u32) -> Result<(Pdu, usize), DecodeError> {
    let len = check(buf, max_command_length)?;
    let frame = buf.get(..len).unwrap_or(buf);
    Pdu::parse(frame).map(|pdu| (pdu, len))
}

/// The four header fields as they are on the wire, for logging and for answering PDUs we cannot
/// parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub command_length: u32,
    pub command_id: u32,
    pub command_status: u32,
    pub sequence_number: u32,
}

impl Header {
    /// Reads the header at the start of `buf`, if 16 octets are there.
    pub fn peek(buf: &[u8]) -> Option<Header> {
        let mut r = Reader::new(buf.get(..HEADER_LEN)?, 0);
        Some(Header {
            command_length: r.u32("command_length").ok()?,
            command_id: r.u32("command_id").ok()?,
            command_status: r.u32("command_status").ok()?,
            sequence_number: r.u32("sequence_number").ok()?,
        })
    }
}

/// One SMPP PDU. `command_id` follows from the body and `command_length` is computed by `encode`,
/// so neither can disagree with the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    pub command_status: CommandStatus,
    pub sequence_number: u32,
    pub body: Body,
}

impl Pdu {
    /// A PDU with status ESME_ROK, as requests and successful responses are.
    pub fn new(sequence_number: u32, body: impl Into<Body>) -> Self {
        Pdu {
            command_status: CommandStatus::Ok,
            sequence_number,
            body: body.into(),
        }
    }

    /// The generic_nack the session owes a PDU it could not take.
    pub fn generic_nack(sequence_number: u32, status: CommandStatus) -> Self {
        Pdu {
            command_status: status,
            sequence_number,
            body: Body::GenericNack(GenericNack {}),
        }
    }

    pub fn command_id(&self) -> CommandId {
        self.body.command_id()
    }

    /// Parses the PDU at the start of `frame`, which must hold all of it (see [`check`]); octets
    /// after `command_length` are left alone.
    pub fn parse(frame: &[u8]) -> Result<Pdu, DecodeError> {
        let Some(header) = Header::peek(frame) else {
            return Err(DecodeError::Incomplete {
                needed: HEADER_LEN - frame.len(),
            });
        };
        let total = usize::try_from(header.command_length).unwrap_or(usize::MAX);
        if total < HEADER_LEN {
            return Err(DecodeError::CommandLengthTooSmall {
                found: header.command_length,
            });
        }
        let Some(body) = frame.get(HEADER_LEN..total) else {
            return Err(DecodeError::Incomplete {
                needed: total.saturating_sub(frame.len()),
            });
        };
        let Some(command) = CommandId::from_u32(header.command_id) else {
            return Err(DecodeError::UnknownCommandId {
                command_id: header.command_id,
                command_status: header.command_status,
                sequence_number: header.sequence_number,
            });
        };
        let command_status = CommandStatus::from_u32(header.command_status);
        let body = if body.is_empty() && command.is_response() && !command_status.is_ok() {
            Body::default_for(command)
        } else {
            let mut r = Reader::new(body, HEADER_LEN);
            Body::decode(command, &mut r)
                .and_then(|b| r.finish().map(|()| b))
                .map_err(|error| DecodeError::Body {
                    command,
                    sequence_number: header.sequence_number,
                    error,
                })?
        };
        Ok(Pdu {
            command_status,
            sequence_number: header.sequence_number,
            body,
        })
    }

    /// Appends the PDU to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&self.command_id().as_u32().to_be_bytes());
        out.extend_from_slice(&self.command_status.as_u32().to_be_bytes());
        out.extend_from_slice(&self.sequence_number.to_be_bytes());
        let bodiless_error = self.command_id().is_response()
            && !self.command_status.is_ok()
            && self.body.is_default();
        if !bodiless_error {
            self.body.encode(out);
        }
        // Every field is bounded when built; only millions of TLVs could pass 4 GiB.
        let length = u32::try_from(out.len() - start).unwrap_or(u32::MAX);
        if let Some(slot) = out.get_mut(start..start + 4) {
            slot.copy_from_slice(&length.to_be_bytes());
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// One destination of a submit_multi: an SME address (dest_flag 1) or a distribution list name
/// held by the SMSC (dest_flag 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DestAddress {
    Sme { ton: u8, npi: u8, address: Address },
    DistributionList(DistributionListName),
}

/// number_of_dests and the dest_address list; at most 255, the most number_of_dests can say.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct DestAddresses(Vec<DestAddress>);

impl DestAddresses {
    pub fn new(list: Vec<DestAddress>) -> Result<Self, LengthError> {
        if list.len() > usize::from(u8::MAX) {
            return Err(LengthError::TooLong {
                max: usize::from(u8::MAX),
                found: list.len(),
            });
        }
        Ok(DestAddresses(list))
    }

    pub fn as_slice(&self) -> &[DestAddress] {
        &self.0
    }
}

impl Wire for DestAddresses {
    fn decode(r: &mut Reader<'_>, _field: &'static str) -> Result<Self, FieldError> {
        let count = r.u8("number_of_dests")?;
        let mut list = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let offset = r.offset();
            list.push(match r.u8("dest_flag")? {
                1 => DestAddress::Sme {
                    ton: r.u8("dest_addr_ton")?,
                    npi: r.u8("dest_addr_npi")?,
                    address: Address::decode(r, "destination_addr")?,
                },
                2 => DestAddress::DistributionList(DistributionListName::decode(r, "dl_name")?),
                found => return Err(FieldError::UnknownDestFlag { offset, found }),
            });
        }
        Ok(DestAddresses(list))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::try_from(self.0.len()).unwrap_or(u8::MAX));
        for dest in &self.0 {
            match dest {
                DestAddress::Sme { ton, npi, address } => {
                    out.extend_from_slice(&[1, *ton, *npi]);
                    address.encode(out);
                }
                DestAddress::DistributionList(name) => {
                    out.push(2);
                    name.encode(out);
                }
            }
        }
    }
}

/// One destination a submit_multi could not reach, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnsuccessSme {
    pub ton: u8,
    pub npi: u8,
    pub address: Address,
    pub error_status_code: CommandStatus,
}

/// no_unsuccess and the unsuccess_sme list; at most 255.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct UnsuccessSmes(Vec<UnsuccessSme>);

impl UnsuccessSmes {
    pub fn new(list: Vec<UnsuccessSme>) -> Result<Self, LengthError> {
        if list.len() > usize::from(u8::MAX) {
            return Err(LengthError::TooLong {
                max: usize::from(u8::MAX),
                found: list.len(),
            });
        }
        Ok(UnsuccessSmes(list))
    }

    pub fn as_slice(&self) -> &[UnsuccessSme] {
        &self.0
    }
}

impl Wire for UnsuccessSmes {
    fn decode(r: &mut Reader<'_>, _field: &'static str) -> Result<Self, FieldError> {
        let count = r.u8("no_unsuccess")?;
        let mut list = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            list.push(UnsuccessSme {
                ton: r.u8("dest_addr_ton")?,
                npi: r.u8("dest_addr_npi")?,
                address: Address::decode(r, "destination_addr")?,
                error_status_code: CommandStatus::decode(r, "error_status_code")?,
            });
        }
        Ok(UnsuccessSmes(list))
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::try_from(self.0.len()).unwrap_or(u8::MAX));
        for sme in &self.0 {
            out.extend_from_slice(&[sme.ton, sme.npi]);
            sme.address.encode(out);
            sme.error_status_code.encode(out);
        }
    }
}

impl Wire for CommandStatus {
    fn decode(r: &mut Reader<'_>, field: &'static str) -> Result<Self, FieldError> {
        r.u32(field).map(CommandStatus::from_u32)
    }
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_u32().encode(out);
    }
}

macro_rules! pdus {
    ($(
        $(#[$doc:meta])*
        $name:ident = $id:literal, $wire:literal {
            $( $field:ident : $ty:ty ),* $(,)?
        }
    )*) => {
        /// The operation a PDU carries.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum CommandId {
            $( #[doc = $wire] $name, )*
        }

        impl CommandId {
            pub fn from_u32(raw: u32) -> Option<Self> {
                match raw {
                    $( $id => Some(CommandId::$name), )*
                    _ => None,
                }
            }

            pub fn as_u32(self) -> u32 {
                match self {
                    $( CommandId::$name => $id, )*
                }
            }

            /// The specification's name, e.g. `submit_sm_resp`.
            pub fn name(self) -> &'static str {
                match self {
                    $( CommandId::$name => $wire, )*
                }
            }

            #[cfg(test)]
            pub(crate) const ALL: &'static [CommandId] = &[$( CommandId::$name, )*];
        }

        $(
            $(#[$doc])*
            #[doc = concat!("\n\nWire name `", $wire, "`, command_id `", stringify!($id), "`.")]
            #[derive(Debug, Clone, PartialEq, Eq, Default)]
            pub struct $name {
                $( pub $field: $ty, )*
            }

            impl $name {
                #[allow(unused_variables)]
                fn decode_fields(r: &mut Reader<'_>) -> Result<Self, FieldError> {
                    // Struct fields are evaluated in the order written: the table's wire order.
                    Ok($name { $( $field: <$ty as Wire>::decode(r, stringify!($field))?, )* })
                }

                // Bodies without fields write nothing, which clippy reads as "a slice would do".
                #[allow(unused_variables, clippy::ptr_arg)]
                fn encode_fields(&self, out: &mut Vec<u8>) {
                    $( Wire::encode(&self.$field, out); )*
                }
            }

            impl From<$name> for Body {
                fn from(body: $name) -> Body {
                    Body::$name(body)
                }
            }

            #[cfg(test)]
            impl super::sample::Sample for $name {
                #[allow(unused_variables)]
                fn sample(rng: &mut super::sample::Rng) -> Self {
                    $name { $( $field: super::sample::Sample::sample(rng), )* }
                }
            }
        )*

        /// The body of a PDU, one variant per operation.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Body {
            $( $name($name), )*
        }

        impl Body {
            pub fn command_id(&self) -> CommandId {
                match self {
                    $( Body::$name(_) => CommandId::$name, )*
                }
            }

            fn decode(command: CommandId, r: &mut Reader<'_>) -> Result<Body, FieldError> {
                match command {
                    $( CommandId::$name => $name::decode_fields(r).map(Body::$name), )*
                }
            }

            fn encode(&self, out: &mut Vec<u8>) {
                match self {
                    $( Body::$name(body) => body.encode_fields(out), )*
                }
            }

            fn default_for(command: CommandId) -> Body {
                match command {
                    $( CommandId::$name => Body::$name($name::default()), )*
                }
            }

            fn is_default(&self) -> bool {
                match self {
                    $( Body::$name(body) => *body == $name::default(), )*
                }
            }
        }

        #[cfg(test)]
        impl super::sample::Sample for Body {
            fn sample(rng: &mut super::sample::Rng) -> Self {
                let command = CommandId::ALL
                    .get(rng.below(CommandId::ALL.len()))
                    .copied()
                    .unwrap_or(CommandId::EnquireLink);
                match command {
                    $( CommandId::$name => Body::$name(super::sample::Sample::sample(rng)), )*
                }
            }
        }
    };
}

pdus! {
    /// Opens a session to send only (MT).
    BindTransmitter = 0x0000_0002, "bind_transmitter" {
        system_id: SystemId,
        password: Password,
        system_type: SystemType,
        interface_version: u8,
        addr_ton: u8,
        addr_npi: u8,
        address_range: AddressRange,
    }
    BindTransmitterResp = 0x8000_0002, "bind_transmitter_resp" {
        system_id: SystemId,
        tlvs: Tlvs,
    }
    /// Opens a session to receive only (MO and receipts).
    BindReceiver = 0x0000_0001, "bind_receiver" {
        system_id: SystemId,
        password: Password,
        system_type: SystemType,
        interface_version: u8,
        addr_ton: u8,
        addr_npi: u8,
        address_range: AddressRange,
    }
    BindReceiverResp = 0x8000_0001, "bind_receiver_resp" {
        system_id: SystemId,
        tlvs: Tlvs,
    }
    /// Opens a session both ways, as Kannel's `transceiver-mode` does.
    BindTransceiver = 0x0000_0009, "bind_transceiver" {
        system_id: SystemId,
        password: Password,
        system_type: SystemType,
        interface_version: u8,
        addr_ton: u8,
        addr_npi: u8,
        address_range: AddressRange,
    }
    BindTransceiverResp = 0x8000_0009, "bind_transceiver_resp" {
        system_id: SystemId,
        tlvs: Tlvs,
    }
    /// The SMSC asking the ESME to bind as a receiver.
    Outbind = 0x0000_000B, "outbind" {
        system_id: SystemId,
        password: Password,
    }
    Unbind = 0x0000_0006, "unbind" {}
    UnbindResp = 0x8000_0006, "unbind_resp" {}
    EnquireLink = 0x0000_0015, "enquire_link" {}
    EnquireLinkResp = 0x8000_0015, "enquire_link_resp" {}
    /// The answer to a PDU that could not be taken at all (bad length, unknown command_id).
    GenericNack = 0x8000_0000, "generic_nack" {}
    /// One MT message.
    SubmitSm = 0x0000_0004, "submit_sm" {
        service_type: ServiceType,
        source_addr_ton: u8,
        source_addr_npi: u8,
        source_addr: Address,
        dest_addr_ton: u8,
        dest_addr_npi: u8,
        destination_addr: Address,
        esm_class: u8,
        protocol_id: u8,
        priority_flag: u8,
        schedule_delivery_time: SmppTimeString,
        validity_period: SmppTimeString,
        registered_delivery: u8,
        replace_if_present_flag: u8,
        data_coding: u8,
        sm_default_msg_id: u8,
        short_message: ShortMessage,
        tlvs: Tlvs,
    }
    /// TLVs are SMPP 5.0 here, accepted because Kannel keeps them as `?smpp_resp?` meta-data.
    SubmitSmResp = 0x8000_0004, "submit_sm_resp" {
        message_id: MessageId,
        tlvs: Tlvs,
    }
    /// One MT message to several destinations.
    SubmitMulti = 0x0000_0021, "submit_multi" {
        service_type: ServiceType,
        source_addr_ton: u8,
        source_addr_npi: u8,
        source_addr: Address,
        dest_addresses: DestAddresses,
        esm_class: u8,
        protocol_id: u8,
        priority_flag: u8,
        schedule_delivery_time: SmppTimeString,
        validity_period: SmppTimeString,
        registered_delivery: u8,
        replace_if_present_flag: u8,
        data_coding: u8,
        sm_default_msg_id: u8,
        short_message: ShortMessage,
        tlvs: Tlvs,
    }
    SubmitMultiResp = 0x8000_0021, "submit_multi_resp" {
        message_id: MessageId,
        unsuccess_smes: UnsuccessSmes,
        tlvs: Tlvs,
    }
    /// An MO message or, with esm_class bit 0x04, a delivery receipt.
    DeliverSm = 0x0000_0005, "deliver_sm" {
        service_type: ServiceType,
        source_addr_ton: u8,
        source_addr_npi: u8,
        source_addr: Address,
        dest_addr_ton: u8,
        dest_addr_npi: u8,
        destination_addr: Address,
        esm_class: u8,
        protocol_id: u8,
        priority_flag: u8,
        schedule_delivery_time: SmppTimeString,
        validity_period: SmppTimeString,
        registered_delivery: u8,
        replace_if_present_flag: u8,
        data_coding: u8,
        sm_default_msg_id: u8,
        short_message: ShortMessage,
        tlvs: Tlvs,
    }
    /// message_id is unused by the specification (always empty); kept so a capture round-trips.
    DeliverSmResp = 0x8000_0005, "deliver_sm_resp" {
        message_id: MessageId,
        tlvs: Tlvs,
    }
    /// A message either way with its content in TLVs (message_payload).
    DataSm = 0x0000_0103, "data_sm" {
        service_type: ServiceType,
        source_addr_ton: u8,
        source_addr_npi: u8,
        source_addr: LongAddress,
        dest_addr_ton: u8,
        dest_addr_npi: u8,
        destination_addr: LongAddress,
        esm_class: u8,
        registered_delivery: u8,
        data_coding: u8,
        tlvs: Tlvs,
    }
    DataSmResp = 0x8000_0103, "data_sm_resp" {
        message_id: MessageId,
        tlvs: Tlvs,
    }
    QuerySm = 0x0000_0003, "query_sm" {
        message_id: MessageId,
        source_addr_ton: u8,
        source_addr_npi: u8,
        source_addr: Address,
    }
    QuerySmResp = 0x8000_0003, "query_sm_resp" {
        message_id: MessageId,
        final_date: SmppTimeString,
        message_state: MessageState,
        error_code: u8,
    }
    CancelSm = 0x0000_0008, "cancel_sm" {
        service_type: ServiceType,
        message_id: MessageId,
        source_addr_ton: u8,
        source_addr_npi: u8,
        source_addr: Address,
        dest_addr_ton: u8,
        dest_addr_npi: u8,
        destination_addr: Address,
    }
    CancelSmResp = 0x8000_0008, "cancel_sm_resp" {}
    ReplaceSm = 0x0000_0007, "replace_sm" {
        message_id: MessageId,
        source_addr_ton: u8,
        source_addr_npi: u8,
        source_addr: Address,
        schedule_delivery_time: SmppTimeString,
        validity_period: SmppTimeString,
        registered_delivery: u8,
        sm_default_msg_id: u8,
        short_message: ShortMessage,
    }
    ReplaceSmResp = 0x8000_0007, "replace_sm_resp" {}
    /// The SMSC telling us a subscriber is reachable again (after set_dpf).
    AlertNotification = 0x0000_0102, "alert_notification" {
        source_addr_ton: u8,
        source_addr_npi: u8,
        source_addr: LongAddress,
        esme_addr_ton: u8,
        esme_addr_npi: u8,
        esme_addr: LongAddress,
        tlvs: Tlvs,
    }
}

impl CommandId {
    pub fn is_response(self) -> bool {
        self.as_u32() & 0x8000_0000 != 0
    }

    /// The response this request expects (`None` for responses and for outbind and
    /// alert_notification, which have none).
    pub fn response(self) -> Option<CommandId> {
        if self.is_response() {
            return None;
        }
        CommandId::from_u32(self.as_u32() | 0x8000_0000)
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::super::sample::{Rng, Sample};
    use super::super::tlv::{Tag, Tlv};
    use super::*;
    use proptest::prelude::*;

    impl Sample for DestAddresses {
        fn sample(rng: &mut Rng) -> Self {
            let n = rng.below(4);
            DestAddresses(
                (0..n)
                    .map(|_| {
                        if rng.below(2) == 0 {
                            DestAddress::Sme {
                                ton: u8::sample(rng),
                                npi: u8::sample(rng),
                                address: Address::sample(rng),
                            }
                        } else {
                            DestAddress::DistributionList(DistributionListName::sample(rng))
                        }
                    })
                    .collect(),
            )
        }
    }

    impl Sample for UnsuccessSmes {
        fn sample(rng: &mut Rng) -> Self {
            let n = rng.below(4);
            UnsuccessSmes(
                (0..n)
                    .map(|_| UnsuccessSme {
                        ton: u8::sample(rng),
                        npi: u8::sample(rng),
                        address: Address::sample(rng),
                        error_status_code: CommandStatus::sample(rng),
                    })
                    .collect(),
            )
        }
    }

    fn sample_pdu(seed: u64) -> Pdu {
        let mut rng = Rng::new(seed);
        Pdu {
            command_status: CommandStatus::sample(&mut rng),
            sequence_number: u32::sample(&mut rng),
            body: Body::sample(&mut rng),
        }
    }

    fn s<const N: usize>(text: &str) -> COctetString<N> {
        COctetString::try_from(text).unwrap()
    }

    fn parse(bytes: &[u8]) -> Result<Pdu, DecodeError> {
        decode(bytes, DEFAULT_MAX_COMMAND_LENGTH).map(|(pdu, used)| {
            assert_eq!(used, bytes.len());
            pdu
        })
    }

    /// Parses `bytes`, checks the expected PDU, and checks it encodes back to the same bytes.
    fn assert_wire(bytes: &[u8], expected: &Pdu) {
        assert_eq!(parse(bytes).as_ref(), Ok(expected));
        assert_eq!(expected.to_bytes(), bytes);
    }

    #[test]
    fn enquire_link_is_sixteen_octets_of_header() {
        let bytes = [
            0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x01,
        ];
        assert_wire(&bytes, &Pdu::new(1, EnquireLink {}));
        let resp = [
            0x00, 0x00, 0x00, 0x10, 0x80, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x01,
        ];
        assert_wire(&resp, &Pdu::new(1, EnquireLinkResp {}));
    }

    #[test]
    fn bind_transceiver_carries_credentials_as_c_strings() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x25, // command_length 37
            0x00, 0x00, 0x00, 0x09, // bind_transceiver
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x01,
            b'k', b'u', b's', b'e', b'r', 0x00,
            b's', b'e', b'c', b'r', b'e', b't', 0x00,
            b'V', b'M', b'A', 0x00,
            0x34, // interface_version 3.4
            0x00, 0x00, // addr_ton, addr_npi
            0x00, // address_range ""
        ];
        let pdu = Pdu::new(
            1,
            BindTransceiver {
                system_id: s("kuser"),
                password: s("secret"),
                system_type: s("VMA"),
                interface_version: 0x34,
                ..Default::default()
            },
        );
        assert_wire(&bytes, &pdu);
    }

    #[test]
    fn bind_transceiver_resp_reports_the_smsc_interface_version() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x1a,
            0x80, 0x00, 0x00, 0x09,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x01,
            b'S', b'M', b'S', b'C', 0x00,
            0x02, 0x10, 0x00, 0x01, 0x34, // sc_interface_version 3.4
        ];
        let pdu = parse(&bytes).unwrap();
        let Body::BindTransceiverResp(resp) = &pdu.body else {
            panic!("expected bind_transceiver_resp, got {pdu:?}");
        };
        assert_eq!(resp.system_id.as_str(), Some("SMSC"));
        assert_eq!(resp.tlvs.sc_interface_version(), Ok(Some(0x34)));
        assert_eq!(pdu.to_bytes(), bytes);
    }

    #[test]
    fn rejected_bind_without_body_decodes_and_encodes_without_body() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x10,
            0x80, 0x00, 0x00, 0x09,
            0x00, 0x00, 0x00, 0x0e, // ESME_RINVPASWD
            0x00, 0x00, 0x00, 0x01,
        ];
        let pdu = Pdu {
            command_status: CommandStatus::InvalidPassword,
            sequence_number: 1,
            body: BindTransceiverResp::default().into(),
        };
        assert_wire(&bytes, &pdu);
    }

    #[test]
    fn submit_sm_with_udh_carries_esm_class_0x40_and_a_tlv() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x4e, // command_length 78
            0x00, 0x00, 0x00, 0x04, // submit_sm
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x07,
            0x00, // service_type ""
            0x02, 0x01, b'1', b'2', b'3', b'4', b'5', 0x00,
            0x01, 0x01, b'4', b'6', b'7', b'0', b'1', b'2', b'3', b'4', b'5', b'6', b'7', 0x00,
            0x43, // esm_class: UDH indicator 0x40 | store and forward 0x03
            0x00, 0x00, // protocol_id, priority_flag
            0x00, // schedule_delivery_time ""
            b'2', b'6', b'1', b'1', b'2', b'5', b'1', b'9', b'4', b'0', b'4', b'5', b'0', b'0',
            b'0', b'+', 0x00, // validity_period
            0x01, 0x00, 0x00, 0x00, // registered_delivery, replace_if_present, data_coding, sm_default_msg_id
            0x08, // sm_length
            0x05, 0x00, 0x03, 0x03, 0x02, 0x01, b'B', b'B', // concatenation UDH, part 1 of 2
            0x04, 0x26, 0x00, 0x01, 0x01, // more_messages_to_send 1
        ];
        let mut tlvs = Tlvs::new();
        tlvs.set_u8(Tag::MORE_MESSAGES_TO_SEND, 1);
        let pdu = Pdu::new(
            7,
            SubmitSm {
                source_addr_ton: 2,
                source_addr_npi: 1,
                source_addr: s("12345"),
                dest_addr_ton: 1,
                dest_addr_npi: 1,
                destination_addr: s("46701234567"),
                esm_class: 0x43,
                validity_period: s("261125194045000+"),
                registered_delivery: 1,
                short_message: ShortMessage::new(&b"\x05\x00\x03\x03\x02\x01BB"[..]).unwrap(),
                tlvs,
                ..Default::default()
            },
        );
        assert_wire(&bytes, &pdu);
    }

    #[test]
    fn submit_sm_resp_carries_the_message_id_and_throttling_has_no_body() {
        #[rustfmt::skip]
        let ok = [
            0x00, 0x00, 0x00, 0x15,
            0x80, 0x00, 0x00, 0x04,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x07,
            b'M', b'I', b'D', b'1', 0x00,
        ];
        assert_wire(
            &ok,
            &Pdu::new(
                7,
                SubmitSmResp {
                    message_id: s("MID1"),
                    ..Default::default()
                },
            ),
        );
        #[rustfmt::skip]
        let throttled = [
            0x00, 0x00, 0x00, 0x11,
            0x80, 0x00, 0x00, 0x04,
            0x00, 0x00, 0x00, 0x58,
            0x00, 0x00, 0x00, 0x08,
            0x00, // an empty message_id, as many SMSCs still send with an error
        ];
        let pdu = parse(&throttled).unwrap();
        assert_eq!(pdu.command_status, CommandStatus::Throttled);
        assert!(pdu.command_status.is_temporary());
        assert_eq!(pdu.body, Body::SubmitSmResp(SubmitSmResp::default()));
    }

    #[test]
    fn deliver_sm_receipt_exposes_receipted_message_id_and_message_state() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x4d, // command_length 77
            0x00, 0x00, 0x00, 0x05, // deliver_sm
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x2a,
            0x00,
            0x01, 0x01, b'4', b'6', b'7', b'0', b'9', 0x00,
            0x02, 0x01, b'1', b'2', b'3', b'4', b'5', 0x00,
            0x04, // esm_class: SMSC delivery receipt
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x14, // sm_length 20
            b'i', b'd', b':', b'M', b'I', b'D', b'1', b' ', b's', b't', b'a', b't', b':', b'D',
            b'E', b'L', b'I', b'V', b'R', b'D',
            0x00, 0x1e, 0x00, 0x05, b'M', b'I', b'D', b'1', 0x00, // receipted_message_id
            0x04, 0x27, 0x00, 0x01, 0x02, // message_state DELIVERED
        ];
        let pdu = parse(&bytes).unwrap();
        assert_eq!(pdu.sequence_number, 42);
        let Body::DeliverSm(dsm) = &pdu.body else {
            panic!("expected deliver_sm, got {pdu:?}");
        };
        assert_eq!(dsm.esm_class, 0x04);
        assert_eq!(dsm.source_addr.as_str(), Some("46709"));
        assert_eq!(dsm.short_message.as_bytes(), b"id:MID1 stat:DELIVRD");
        assert_eq!(dsm.tlvs.receipted_message_id(), Ok(Some(&b"MID1"[..])));
        assert_eq!(dsm.tlvs.message_state(), Ok(Some(MessageState::Delivered)));
        assert_eq!(pdu.to_bytes(), bytes);
    }

    #[test]
    fn deliver_sm_resp_acknowledges_with_an_empty_message_id() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x11,
            0x80, 0x00, 0x00, 0x05,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x2a,
            0x00,
        ];
        assert_wire(&bytes, &Pdu::new(42, DeliverSmResp::default()));
        // Refusing an MO because the queues are full tells the SMSC to retry; no body is sent.
        #[rustfmt::skip]
        let busy = [
            0x00, 0x00, 0x00, 0x10,
            0x80, 0x00, 0x00, 0x05,
            0x00, 0x00, 0x00, 0x64, // ESME_RX_T_APPN
            0x00, 0x00, 0x00, 0x2b,
        ];
        let pdu = Pdu {
            command_status: CommandStatus::ReceiverTemporaryAppError,
            sequence_number: 43,
            body: DeliverSmResp::default().into(),
        };
        assert_wire(&busy, &pdu);
    }

    #[test]
    fn the_three_binds_differ_only_in_command_id() {
        let bind = |body: Body| Pdu::new(1, body).to_bytes().get(4..8).map(<[u8]>::to_vec);
        assert_eq!(
            bind(BindReceiver::default().into()),
            Some(vec![0, 0, 0, 0x01])
        );
        assert_eq!(
            bind(BindTransmitter::default().into()),
            Some(vec![0, 0, 0, 0x02])
        );
        assert_eq!(
            bind(BindTransceiver::default().into()),
            Some(vec![0, 0, 0, 0x09])
        );
    }

    #[test]
    fn submit_multi_lists_sme_and_distribution_list_destinations() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x33, // command_length 51
            0x00, 0x00, 0x00, 0x21,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x03,
            0x00,
            0x05, 0x00, b'M', b'y', 0x00,
            0x02, // number_of_dests
            0x01, 0x01, 0x01, b'4', b'6', b'7', 0x00, // SME 1/1 "467"
            0x02, b'f', b'r', b'i', b'e', b'n', b'd', b's', 0x00, // distribution list
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // esm_class .. sm_default_msg_id
            0x02, b'h', b'i',
        ];
        let pdu = Pdu::new(
            3,
            SubmitMulti {
                source_addr_ton: 5,
                source_addr: s("My"),
                dest_addresses: DestAddresses::new(vec![
                    DestAddress::Sme {
                        ton: 1,
                        npi: 1,
                        address: s("467"),
                    },
                    DestAddress::DistributionList(s("friends")),
                ])
                .unwrap(),
                short_message: ShortMessage::new(&b"hi"[..]).unwrap(),
                ..Default::default()
            },
        );
        assert_wire(&bytes, &pdu);
    }

    #[test]
    fn submit_multi_resp_lists_each_unreached_destination_with_its_status() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x1e,
            0x80, 0x00, 0x00, 0x21,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x03,
            b'M', b'2', 0x00,
            0x01, // no_unsuccess
            0x01, 0x01, b'4', b'6', b'7', 0x00, 0x00, 0x00, 0x00, 0x0b, // ESME_RINVDSTADR
        ];
        let pdu = parse(&bytes).unwrap();
        let Body::SubmitMultiResp(resp) = &pdu.body else {
            panic!("expected submit_multi_resp, got {pdu:?}");
        };
        assert_eq!(
            resp.unsuccess_smes.as_slice(),
            [UnsuccessSme {
                ton: 1,
                npi: 1,
                address: s("467"),
                error_status_code: CommandStatus::InvalidDestinationAddress
            }]
        );
        assert_eq!(pdu.to_bytes(), bytes);
    }

    #[test]
    fn data_sm_carries_its_content_in_message_payload() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x25,
            0x00, 0x00, 0x01, 0x03,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x09,
            0x00,
            0x01, 0x01, b'4', b'6', 0x00,
            0x01, 0x01, b'4', b'7', 0x00,
            0x00, 0x00, 0x00,
            0x04, 0x24, 0x00, 0x03, b'a', b'b', b'c',
        ];
        let pdu = parse(&bytes).unwrap();
        let Body::DataSm(dsm) = &pdu.body else {
            panic!("expected data_sm, got {pdu:?}");
        };
        assert_eq!(dsm.tlvs.message_payload(), Some(&b"abc"[..]));
        assert_eq!(pdu.to_bytes(), bytes);
    }

    #[test]
    fn query_cancel_replace_and_alert_round_trip() {
        let mut tlvs = Tlvs::new();
        tlvs.push(Tlv::new(Tag::MS_AVAILABILITY_STATUS, vec![0]).unwrap());
        let bodies: Vec<Body> = vec![
            QuerySm {
                message_id: s("M1"),
                source_addr: s("123"),
                ..Default::default()
            }
            .into(),
            QuerySmResp {
                message_id: s("M1"),
                final_date: s("261125194045000+"),
                message_state: MessageState::Delivered,
                error_code: 0,
            }
            .into(),
            CancelSm {
                message_id: s("M1"),
                ..Default::default()
            }
            .into(),
            CancelSmResp {}.into(),
            ReplaceSm {
                message_id: s("M1"),
                short_message: ShortMessage::new(&b"new"[..]).unwrap(),
                ..Default::default()
            }
            .into(),
            ReplaceSmResp {}.into(),
            AlertNotification {
                source_addr: s("46701234567"),
                tlvs,
                ..Default::default()
            }
            .into(),
            Outbind {
                system_id: s("smsc"),
                password: s("pw"),
            }
            .into(),
            Unbind {}.into(),
            UnbindResp {}.into(),
        ];
        for body in bodies {
            let pdu = Pdu::new(5, body);
            assert_eq!(parse(&pdu.to_bytes()), Ok(pdu));
        }
    }

    #[test]
    fn query_sm_resp_has_this_exact_layout() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x18,
            0x80, 0x00, 0x00, 0x03,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x05,
            b'M', b'1', 0x00,
            0x00, // final_date ""
            0x05, // message_state UNDELIVERABLE
            0x22, // error_code
            0x00, 0x00,
        ];
        // Two octets too many: query_sm_resp has no TLV section to absorb them.
        assert_eq!(
            parse(&bytes),
            Err(DecodeError::Body {
                command: CommandId::QuerySmResp,
                sequence_number: 5,
                error: FieldError::TrailingBytes {
                    offset: 22,
                    count: 2
                }
            })
        );
    }

    #[test]
    fn generic_nack_answers_an_unknown_command_id_with_its_sequence_number() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x11,
            0x00, 0x00, 0x00, 0x99,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x12, 0x34,
            0xff,
        ];
        let err = parse(&bytes).unwrap_err();
        assert_eq!(
            err,
            DecodeError::UnknownCommandId {
                command_id: 0x99,
                command_status: 0,
                sequence_number: 0x1234
            }
        );
        assert_eq!(err.sequence_number(), Some(0x1234));
        assert_eq!(err.nack_status(), CommandStatus::InvalidCommandId);
        #[rustfmt::skip]
        let nack = [
            0x00, 0x00, 0x00, 0x10,
            0x80, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x03,
            0x00, 0x00, 0x12, 0x34,
        ];
        assert_wire(
            &nack,
            &Pdu::generic_nack(0x1234, CommandStatus::InvalidCommandId),
        );
    }

    #[test]
    fn check_asks_for_the_missing_octets() {
        assert_eq!(check(&[], 1000), Err(DecodeError::Incomplete { needed: 4 }));
        assert_eq!(
            check(&[0, 0, 0], 1000),
            Err(DecodeError::Incomplete { needed: 1 })
        );
        assert_eq!(
            check(&[0, 0, 0, 0x20, 0, 0], 1000),
            Err(DecodeError::Incomplete { needed: 26 })
        );
        let mut two = Pdu::new(1, EnquireLink {}).to_bytes();
        Pdu::new(2, EnquireLink {}).encode(&mut two);
        assert_eq!(check(&two, 1000), Ok(16));
        let (second, used) = decode(two.get(16..).unwrap(), 1000).unwrap();
        assert_eq!((second.sequence_number, used), (2, 16));
    }

    #[test]
    fn command_length_is_judged_before_the_rest_arrives() {
        assert_eq!(
            check(&[0, 0, 0, 0x0f], 1000),
            Err(DecodeError::CommandLengthTooSmall { found: 15 })
        );
        assert_eq!(
            check(&[0xff, 0xff, 0xff, 0xff], DEFAULT_MAX_COMMAND_LENGTH),
            Err(DecodeError::CommandLengthTooLarge {
                found: u32::MAX,
                max: DEFAULT_MAX_COMMAND_LENGTH
            })
        );
        assert_eq!(
            DecodeError::CommandLengthTooLarge {
                found: 70000,
                max: 69632
            }
            .to_string(),
            "command_length: expected at most 69632, found 70000"
        );
    }

    #[test]
    fn truncated_field_names_the_command_the_field_and_the_offset() {
        #[rustfmt::skip]
        let bytes = [
            0x00, 0x00, 0x00, 0x16,
            0x00, 0x00, 0x00, 0x09,
            0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x02,
            b'k', 0x00, b'p', 0x00, b'V', 0x00, // ends before interface_version
        ];
        let err = parse(&bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bind_transceiver (sequence_number 2): field `interface_version` at offset 22: \
             expected 1 octet(s), found 0"
        );
        assert_eq!(err.nack_status(), CommandStatus::InvalidCommandLength);
    }

    #[test]
    fn sm_length_past_the_end_is_answered_with_invalid_message_length() {
        let mut pdu = Pdu::new(
            4,
            SubmitSm {
                short_message: ShortMessage::new(&b"hello"[..]).unwrap(),
                ..Default::default()
            },
        )
        .to_bytes();
        // Drop the last two octets of short_message and shorten command_length to match.
        pdu.truncate(pdu.len() - 2);
        let len = u32::try_from(pdu.len()).unwrap().to_be_bytes();
        pdu.splice(0..4, len);
        let err = parse(&pdu).unwrap_err();
        assert!(
            matches!(
                err,
                DecodeError::Body {
                    error: FieldError::SmLengthPastEnd {
                        sm_length: 5,
                        available: 3,
                        ..
                    },
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.nack_status(), CommandStatus::InvalidMessageLength);
    }

    #[test]
    fn over_long_system_id_is_refused_not_truncated() {
        let mut bytes = vec![0, 0, 0, 0, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0, 1];
        bytes.extend_from_slice(b"0123456789abcdefg\0\0\0\x34\0\0\0");
        let len = u32::try_from(bytes.len()).unwrap().to_be_bytes();
        bytes.splice(0..4, len);
        assert!(matches!(
            parse(&bytes),
            Err(DecodeError::Body {
                error: FieldError::CStringUnterminated {
                    field: "system_id",
                    offset: 16,
                    max: 16,
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn every_request_names_its_response() {
        assert_eq!(
            CommandId::SubmitSm.response(),
            Some(CommandId::SubmitSmResp)
        );
        assert_eq!(
            CommandId::BindTransceiver.response(),
            Some(CommandId::BindTransceiverResp)
        );
        assert_eq!(CommandId::Outbind.response(), None);
        assert_eq!(CommandId::AlertNotification.response(), None);
        assert_eq!(CommandId::SubmitSmResp.response(), None);
        assert_eq!(CommandId::ALL.len(), 27);
        for &id in CommandId::ALL {
            assert_eq!(CommandId::from_u32(id.as_u32()), Some(id));
        }
    }

    fn set_length(bytes: &mut [u8]) {
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes();
        if let Some(slot) = bytes.get_mut(..4) {
            slot.copy_from_slice(&len);
        }
    }

    /// A response with an error status may lose an all-default body on the way back, by design.
    fn reencodes_to(pdu: &Pdu, bytes: &[u8]) -> bool {
        pdu.to_bytes() == bytes
            || (pdu.command_id().is_response()
                && !pdu.command_status.is_ok()
                && pdu.body.is_default())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_pdu_encodes_then_decodes_to_itself(seed in any::<u64>()) {
            let pdu = sample_pdu(seed);
            let bytes = pdu.to_bytes();
            prop_assert_eq!(check(&bytes, u32::MAX), Ok(bytes.len()));
            prop_assert_eq!(Pdu::parse(&bytes), Ok(pdu));
        }

        #[test]
        fn any_bytes_never_panic_and_any_accepted_pdu_is_canonical(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            if let Ok((pdu, used)) = decode(&bytes, DEFAULT_MAX_COMMAND_LENGTH) {
                prop_assert!(reencodes_to(&pdu, bytes.get(..used).unwrap_or_default()));
            }
        }

        #[test]
        fn any_body_after_a_valid_header_never_panics(
            index in 0usize..27,
            status in any::<u32>(),
            body in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let id = CommandId::ALL.get(index).copied().unwrap_or(CommandId::SubmitSm);
            let mut bytes = vec![0, 0, 0, 0];
            bytes.extend_from_slice(&id.as_u32().to_be_bytes());
            bytes.extend_from_slice(&status.to_be_bytes());
            bytes.extend_from_slice(&[0, 0, 0, 1]);
            bytes.extend_from_slice(&body);
            set_length(&mut bytes);
            if let Ok(pdu) = Pdu::parse(&bytes) {
                prop_assert!(reencodes_to(&pdu, &bytes));
            }
        }

        #[test]
        fn every_strict_prefix_is_incomplete(seed in any::<u64>()) {
            let bytes = sample_pdu(seed).to_bytes();
            for cut in 0..bytes.len() {
                let prefix = bytes.get(..cut).unwrap_or_default();
                let needed = bytes.len() - cut;
                let expected = if cut < 4 { 4 - cut } else { needed };
                prop_assert_eq!(check(prefix, u32::MAX), Err(DecodeError::Incomplete { needed: expected }));
                let parsed = Pdu::parse(prefix);
                prop_assert!(matches!(parsed, Err(DecodeError::Incomplete { .. })), "{:?}", parsed);
            }
        }

        #[test]
        fn a_truncated_body_is_an_error_or_the_pdu_those_bytes_really_say(seed in any::<u64>()) {
            let bytes = sample_pdu(seed).to_bytes();
            for cut in HEADER_LEN..bytes.len() {
                let mut shorter = bytes.get(..cut).unwrap_or_default().to_vec();
                set_length(&mut shorter);
                if let Ok(pdu) = Pdu::parse(&shorter) {
                    prop_assert!(reencodes_to(&pdu, &shorter));
                }
            }
        }
    }
}

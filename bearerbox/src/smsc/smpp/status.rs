//! `command_status`: the SMPP 3.4 error codes (§5.1.3), with the raw value kept for codes the
//! specification does not name (vendor range 0x400..=0x4FF, and SMPP 5.0 additions).
//!
//! # Layout
//!
//! - the `statuses!` table: variant, wire value, spec name, one-line meaning, temporary or not.
//! - [`CommandStatus`]: the enum it generates, with `from_u32`/`as_u32`, `name`, `description`,
//!   [`CommandStatus::is_temporary`].

use std::fmt;

macro_rules! statuses {
    ($( $variant:ident = $value:literal, $name:literal, $temporary:literal, $desc:literal; )*) => {
        /// A `command_status` value. `Other` keeps any code not in SMPP 3.4 so it can be logged and
        /// answered verbatim.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum CommandStatus {
            $( #[doc = $desc] $variant, )*
            Other(u32),
        }

        impl CommandStatus {
            pub fn from_u32(raw: u32) -> Self {
                match raw {
                    $( $value => CommandStatus::$variant, )*
                    other => CommandStatus::Other(other),
                }
            }

            pub fn as_u32(self) -> u32 {
                match self {
                    $( CommandStatus::$variant => $value, )*
                    CommandStatus::Other(raw) => raw,
                }
            }

            /// The specification's name, e.g. `ESME_RTHROTTLED`; `None` for an unnamed code.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( CommandStatus::$variant => Some($name), )*
                    CommandStatus::Other(_) => None,
                }
            }

            /// The specification's one-line meaning, as Kannel writes it into a NACK DLR.
            pub fn description(self) -> &'static str {
                match self {
                    $( CommandStatus::$variant => $desc, )*
                    CommandStatus::Other(raw) if (0x400..=0x4ff).contains(&raw) => {
                        "SMSC vendor-specific error"
                    }
                    CommandStatus::Other(_) => "Unknown error code",
                }
            }

            /// Whether the same message may succeed if sent again later. The router requeues these
            /// instead of failing the message: the SMSC is busy, full or broken, not refusing the
            /// content. Everything else, unnamed codes included, is permanent, as in Kannel, so a
            /// vendor code cannot make us resend a message forever.
            pub fn is_temporary(self) -> bool {
                match self {
                    $( CommandStatus::$variant => $temporary, )*
                    CommandStatus::Other(_) => false,
                }
            }

            #[cfg(test)]
            pub(crate) const NAMED: &'static [CommandStatus] = &[$( CommandStatus::$variant, )*];
        }
    };
}

statuses! {
    Ok = 0x0000_0000, "ESME_ROK", false, "No Error";
    InvalidMessageLength = 0x0000_0001, "ESME_RINVMSGLEN", false, "Message Length is invalid";
    InvalidCommandLength = 0x0000_0002, "ESME_RINVCMDLEN", false, "Command Length is invalid";
    InvalidCommandId = 0x0000_0003, "ESME_RINVCMDID", false, "Invalid Command ID";
    InvalidBindStatus = 0x0000_0004, "ESME_RINVBNDSTS", false, "Incorrect BIND Status for given command";
    AlreadyBound = 0x0000_0005, "ESME_RALYBND", false, "ESME Already in Bound State";
    InvalidPriorityFlag = 0x0000_0006, "ESME_RINVPRTFLG", false, "Invalid Priority Flag";
    InvalidRegisteredDeliveryFlag = 0x0000_0007, "ESME_RINVREGDLVFLG", false, "Invalid Registered Delivery Flag";
    SystemError = 0x0000_0008, "ESME_RSYSERR", true, "System Error";
    InvalidSourceAddress = 0x0000_000A, "ESME_RINVSRCADR", false, "Invalid Source Address";
    InvalidDestinationAddress = 0x0000_000B, "ESME_RINVDSTADR", false, "Invalid Dest Addr";
    InvalidMessageId = 0x0000_000C, "ESME_RINVMSGID", false, "Message ID is invalid";
    BindFailed = 0x0000_000D, "ESME_RBINDFAIL", false, "Bind Failed";
    InvalidPassword = 0x0000_000E, "ESME_RINVPASWD", false, "Invalid Password";
    InvalidSystemId = 0x0000_000F, "ESME_RINVSYSID", false, "Invalid System ID";
    CancelFailed = 0x0000_0011, "ESME_RCANCELFAIL", false, "Cancel SM Failed";
    ReplaceFailed = 0x0000_0013, "ESME_RREPLACEFAIL", false, "Replace SM Failed";
    MessageQueueFull = 0x0000_0014, "ESME_RMSGQFUL", true, "Message Queue Full";
    InvalidServiceType = 0x0000_0015, "ESME_RINVSERTYP", false, "Invalid Service Type";
    InvalidNumberOfDestinations = 0x0000_0033, "ESME_RINVNUMDESTS", false, "Invalid number of destinations";
    InvalidDistributionListName = 0x0000_0034, "ESME_RINVDLNAME", false, "Invalid Distribution List name";
    InvalidDestinationFlag = 0x0000_0040, "ESME_RINVDESTFLAG", false, "Destination flag is invalid (submit_multi)";
    InvalidSubmitWithReplace = 0x0000_0042, "ESME_RINVSUBREP", false, "Invalid 'submit with replace' request";
    InvalidEsmClass = 0x0000_0043, "ESME_RINVESMCLASS", false, "Invalid esm_class field data";
    CannotSubmitToDistributionList = 0x0000_0044, "ESME_RCNTSUBDL", false, "Cannot Submit to Distribution List";
    SubmitFailed = 0x0000_0045, "ESME_RSUBMITFAIL", false, "submit_sm or submit_multi failed";
    InvalidSourceTon = 0x0000_0048, "ESME_RINVSRCTON", false, "Invalid Source address TON";
    InvalidSourceNpi = 0x0000_0049, "ESME_RINVSRCNPI", false, "Invalid Source address NPI";
    InvalidDestinationTon = 0x0000_0050, "ESME_RINVDSTTON", false, "Invalid Destination address TON";
    InvalidDestinationNpi = 0x0000_0051, "ESME_RINVDSTNPI", false, "Invalid Destination address NPI";
    InvalidSystemType = 0x0000_0053, "ESME_RINVSYSTYP", false, "Invalid system_type field";
    InvalidReplaceIfPresentFlag = 0x0000_0054, "ESME_RINVREPFLAG", false, "Invalid replace_if_present flag";
    InvalidNumberOfMessages = 0x0000_0055, "ESME_RINVNUMMSGS", false, "Invalid number of messages";
    Throttled = 0x0000_0058, "ESME_RTHROTTLED", true, "Throttling error (ESME has exceeded allowed message limits)";
    InvalidScheduledDeliveryTime = 0x0000_0061, "ESME_RINVSCHED", false, "Invalid Scheduled Delivery Time";
    InvalidExpiry = 0x0000_0062, "ESME_RINVEXPIRY", false, "Invalid message validity period (Expiry time)";
    InvalidDefaultMessageId = 0x0000_0063, "ESME_RINVDFTMSGID", false, "Predefined Message Invalid or Not Found";
    ReceiverTemporaryAppError = 0x0000_0064, "ESME_RX_T_APPN", true, "ESME Receiver Temporary App Error Code";
    ReceiverPermanentAppError = 0x0000_0065, "ESME_RX_P_APPN", false, "ESME Receiver Permanent App Error Code";
    ReceiverRejectMessage = 0x0000_0066, "ESME_RX_R_APPN", false, "ESME Receiver Reject Message Error Code";
    QueryFailed = 0x0000_0067, "ESME_RQUERYFAIL", false, "query_sm request failed";
    InvalidOptionalParameterStream = 0x0000_00C0, "ESME_RINVOPTPARSTREAM", false, "Error in the optional part of the PDU Body";
    OptionalParameterNotAllowed = 0x0000_00C1, "ESME_ROPTPARNOTALLWD", false, "Optional Parameter not allowed";
    InvalidParameterLength = 0x0000_00C2, "ESME_RINVPARLEN", false, "Invalid Parameter Length";
    MissingOptionalParameter = 0x0000_00C3, "ESME_RMISSINGOPTPARAM", false, "Expected Optional Parameter missing";
    InvalidOptionalParameterValue = 0x0000_00C4, "ESME_RINVOPTPARAMVAL", false, "Invalid Optional Parameter Value";
    DeliveryFailure = 0x0000_00FE, "ESME_RDELIVERYFAILURE", true, "Delivery Failure (used for data_sm_resp)";
    UnknownError = 0x0000_00FF, "ESME_RUNKNOWNERR", false, "Unknown Error";
}

impl CommandStatus {
    pub fn is_ok(self) -> bool {
        self == CommandStatus::Ok
    }
}

impl From<u32> for CommandStatus {
    fn from(raw: u32) -> Self {
        CommandStatus::from_u32(raw)
    }
}

impl From<CommandStatus> for u32 {
    fn from(status: CommandStatus) -> u32 {
        status.as_u32()
    }
}

/// `ESME_RTHROTTLED (0x00000058)`: the name for people, the raw value for grepping captures.
impl fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} (0x{:08x})", self.as_u32()),
            None => write!(f, "0x{:08x} ({})", self.as_u32(), self.description()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_named_status_maps_back_to_itself() {
        for &status in CommandStatus::NAMED {
            assert_eq!(CommandStatus::from_u32(status.as_u32()), status);
            assert!(status.name().is_some_and(|n| n.starts_with("ESME_R")));
        }
        assert_eq!(CommandStatus::NAMED.len(), 48);
    }

    #[test]
    fn busy_smsc_codes_are_temporary_and_content_refusals_are_permanent() {
        for raw in [0x08, 0x14, 0x58, 0x64, 0xfe] {
            assert!(CommandStatus::from_u32(raw).is_temporary(), "0x{raw:x}");
        }
        for raw in [
            0x0a, 0x0b, 0x45, 0x48, 0x65, 0x66, 0xc4, 0xff, 0x400, 0x1234,
        ] {
            assert!(!CommandStatus::from_u32(raw).is_temporary(), "0x{raw:x}");
        }
    }

    #[test]
    fn display_names_the_code_and_keeps_its_raw_value() {
        assert_eq!(
            CommandStatus::Throttled.to_string(),
            "ESME_RTHROTTLED (0x00000058)"
        );
        assert_eq!(
            CommandStatus::from_u32(0x401).to_string(),
            "0x00000401 (SMSC vendor-specific error)"
        );
    }

    proptest! {
        #[test]
        fn any_raw_status_round_trips(raw in any::<u32>()) {
            prop_assert_eq!(CommandStatus::from_u32(raw).as_u32(), raw);
        }
    }
}

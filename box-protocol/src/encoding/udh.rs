//! The User Data Header (3GPP TS 23.040 §9.2.3.24): a length octet, then information
//! elements of `IEI, length, data`.
//!
//! Kannel carries the UDH apart from the text (`udhdata`, length octet included), so the
//! bytes handed to [`Udh::parse`] are exactly the header; [`Udh::parse_prefix`] serves the
//! PDU side, where the header opens the user data.
//!
//! # Layout
//! - [`Udh`], [`InformationElement`]: parse, emit, and edit the element list.
//! - [`Concat`], [`ConcatRef`]: the concatenation elements (IEI 0x00 and 0x08).
//! - [`UdhError`]: what is wrong with a header, and where.

use thiserror::Error;

/// IEI of concatenation with an 8-bit reference.
pub const IEI_CONCAT_8: u8 = 0x00;
/// IEI of concatenation with a 16-bit reference.
pub const IEI_CONCAT_16: u8 = 0x08;

/// Octets the 8-bit concatenation element adds to a header (IEI, length, 3 data octets).
pub const CONCAT_8_IE_OCTETS: usize = 5;

/// Why a UDH cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UdhError {
    /// Zero bytes cannot hold even the length octet.
    #[error("UDH is empty: the length octet is missing")]
    Empty,
    /// Kannel's sendsms check: the first byte must be the length of the rest.
    #[error("UDH length octet says {declared} octets follow, but {actual} do")]
    LengthMismatch {
        /// The length octet.
        declared: usize,
        /// The octets after it.
        actual: usize,
    },
    /// An element runs past the end of the header.
    #[error(
        "UDH element 0x{iei:02X} at offset {offset} declares {declared} data octets, only {available} remain"
    )]
    TruncatedElement {
        /// The element's identifier.
        iei: u8,
        /// Offset of the identifier in the header bytes.
        offset: usize,
        /// Its length octet.
        declared: usize,
        /// Octets left in the header.
        available: usize,
    },
    /// A concatenation element with the wrong data length.
    #[error("concatenation element 0x{iei:02X} has {len} data octets, expected {expected}")]
    BadConcatElement {
        /// 0x00 or 0x08.
        iei: u8,
        /// The data length found.
        len: usize,
        /// 3 for 0x00, 4 for 0x08.
        expected: usize,
    },
    /// Encoded, the header would not fit its one-octet length.
    #[error("UDH of {len} octets does not fit its one-octet length")]
    TooLong {
        /// Octets after the length octet.
        len: usize,
    },
}

/// One information element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationElement {
    /// The identifier (IEI).
    pub iei: u8,
    /// The element data, without IEI and length.
    pub data: Vec<u8>,
}

/// A parsed User Data Header. An empty element list stands for "no header".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Udh {
    /// The elements, in wire order.
    pub elements: Vec<InformationElement>,
}

/// The reference of a concatenated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConcatRef {
    /// IEI 0x00.
    Eight(u8),
    /// IEI 0x08.
    Sixteen(u16),
}

impl ConcatRef {
    /// The reference as a number, whichever width carried it.
    pub fn value(self) -> u16 {
        match self {
            ConcatRef::Eight(r) => u16::from(r),
            ConcatRef::Sixteen(r) => r,
        }
    }
}

/// A concatenation element: which part of which message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concat {
    /// Shared by every part of one message.
    pub reference: ConcatRef,
    /// The number of parts (1..=255; 0 is invalid on the wire).
    pub total: u8,
    /// This part's number, from 1.
    pub seq: u8,
}

impl Concat {
    fn to_element(self) -> InformationElement {
        match self.reference {
            ConcatRef::Eight(r) => InformationElement {
                iei: IEI_CONCAT_8,
                data: vec![r, self.total, self.seq],
            },
            ConcatRef::Sixteen(r) => {
                let [hi, lo] = r.to_be_bytes();
                InformationElement {
                    iei: IEI_CONCAT_16,
                    data: vec![hi, lo, self.total, self.seq],
                }
            }
        }
    }

    fn from_element(ie: &InformationElement) -> Result<Option<Concat>, UdhError> {
        let bad = |expected| UdhError::BadConcatElement {
            iei: ie.iei,
            len: ie.data.len(),
            expected,
        };
        match (ie.iei, ie.data.as_slice()) {
            (IEI_CONCAT_8, &[r, total, seq]) => Ok(Some(Concat {
                reference: ConcatRef::Eight(r),
                total,
                seq,
            })),
            (IEI_CONCAT_8, _) => Err(bad(3)),
            (IEI_CONCAT_16, &[hi, lo, total, seq]) => Ok(Some(Concat {
                reference: ConcatRef::Sixteen(u16::from_be_bytes([hi, lo])),
                total,
                seq,
            })),
            (IEI_CONCAT_16, _) => Err(bad(4)),
            _ => Ok(None),
        }
    }
}

fn is_concat(iei: u8) -> bool {
    iei == IEI_CONCAT_8 || iei == IEI_CONCAT_16
}

impl Udh {
    /// Parse a header whose length octet covers exactly the rest of `bytes`. Empty
    /// input means "no header" and gives an empty [`Udh`].
    pub fn parse(bytes: &[u8]) -> Result<Udh, UdhError> {
        if bytes.is_empty() {
            return Ok(Udh::default());
        }
        let declared = bytes.first().map_or(0, |&len| usize::from(len));
        let actual = bytes.len() - 1;
        if declared != actual {
            return Err(UdhError::LengthMismatch { declared, actual });
        }
        Udh::parse_prefix(bytes).map(|(udh, _)| udh)
    }

    /// Parse the header that opens PDU user data, returning it and the bytes after it.
    pub fn parse_prefix(user_data: &[u8]) -> Result<(Udh, &[u8]), UdhError> {
        let (&len, after) = user_data.split_first().ok_or(UdhError::Empty)?;
        let len = usize::from(len);
        let (mut body, rest) = match (after.get(..len), after.get(len..)) {
            (Some(body), Some(rest)) => (body, rest),
            _ => {
                return Err(UdhError::LengthMismatch {
                    declared: len,
                    actual: after.len(),
                });
            }
        };
        let mut elements = Vec::new();
        let mut offset = 1;
        while let Some((&iei, tail)) = body.split_first() {
            let Some((&ie_len, tail)) = tail.split_first() else {
                return Err(UdhError::TruncatedElement {
                    iei,
                    offset,
                    declared: 0,
                    available: 0,
                });
            };
            let ie_len = usize::from(ie_len);
            let (Some(data), Some(next)) = (tail.get(..ie_len), tail.get(ie_len..)) else {
                return Err(UdhError::TruncatedElement {
                    iei,
                    offset,
                    declared: ie_len,
                    available: tail.len(),
                });
            };
            elements.push(InformationElement {
                iei,
                data: data.to_vec(),
            });
            offset += 2 + ie_len;
            body = next;
        }
        Ok((Udh { elements }, rest))
    }

    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// Octets the header occupies on the wire, length octet included; 0 when empty.
    pub fn encoded_len(&self) -> usize {
        if self.is_empty() {
            return 0;
        }
        1 + self
            .elements
            .iter()
            .map(|ie| 2 + ie.data.len())
            .sum::<usize>()
    }

    /// The wire bytes, length octet included; no bytes when there are no elements.
    pub fn to_bytes(&self) -> Result<Vec<u8>, UdhError> {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        let len = self.encoded_len() - 1;
        let len_octet = u8::try_from(len).map_err(|_| UdhError::TooLong { len })?;
        let mut out = Vec::with_capacity(len + 1);
        out.push(len_octet);
        for ie in &self.elements {
            // A single element longer than 255 would already make the header too long.
            let ie_len = u8::try_from(ie.data.len()).map_err(|_| UdhError::TooLong { len })?;
            out.push(ie.iei);
            out.push(ie_len);
            out.extend_from_slice(&ie.data);
        }
        Ok(out)
    }

    /// The first element with this identifier.
    pub fn find(&self, iei: u8) -> Option<&InformationElement> {
        self.elements.iter().find(|ie| ie.iei == iei)
    }

    /// The concatenation element, 8- or 16-bit, if there is one.
    pub fn concat(&self) -> Result<Option<Concat>, UdhError> {
        for ie in &self.elements {
            if let Some(concat) = Concat::from_element(ie)? {
                return Ok(Some(concat));
            }
        }
        Ok(None)
    }

    /// Drop every concatenation element, keeping the user's others in order.
    pub fn remove_concat(&mut self) {
        self.elements.retain(|ie| !is_concat(ie.iei));
    }

    /// Replace any concatenation element with `concat`, appended after the user's
    /// elements as Kannel does.
    pub fn set_concat(&mut self, concat: Concat) {
        self.remove_concat();
        self.elements.push(concat.to_element());
    }
}

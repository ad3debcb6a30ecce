//! The SMS encodings (to be written).

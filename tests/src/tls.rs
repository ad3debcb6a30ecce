//! A throw-away TLS identity for the tests: a self-signed certificate for
//! `127.0.0.1` and `localhost`, made at test time with `rcgen`, whose PEM
//! a configuration names as the trusted CA (`ssl-trusted-ca-file`).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::HarnessError;

/// A certificate and its private key, both PEM.
#[derive(Debug, Clone)]
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

impl Identity {
    /// A fresh self-signed certificate for the loopback names.
    pub fn self_signed() -> Result<Identity, HarnessError> {
        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|error| HarnessError::Protocol(format!("making a certificate: {error}")))?;
        Ok(Identity {
            cert_pem: certified.cert.pem(),
            key_pem: certified.key_pair.serialize_pem(),
        })
    }

    /// Writes the certificate alone (what a client trusts).
    pub fn write_cert(&self, path: &Path) -> Result<(), HarnessError> {
        std::fs::write(path, &self.cert_pem)
            .map_err(|source| HarnessError::io("writing the certificate", source))
    }

    /// The server side of a TLS recorder.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, HarnessError> {
        let bad = |what: &str, error: &dyn std::fmt::Display| {
            HarnessError::Protocol(format!("TLS identity: {what}: {error}"))
        };
        let cert = CertificateDer::from_pem_slice(self.cert_pem.as_bytes())
            .map_err(|e| bad("certificate", &e))?;
        let key =
            PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).map_err(|e| bad("key", &e))?;
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("protocol versions", &e))?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .map_err(|e| bad("server configuration", &e))?;
        Ok(Arc::new(config))
    }
}

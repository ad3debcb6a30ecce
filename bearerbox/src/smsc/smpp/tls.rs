//! SMPP over TLS (`use-ssl = true`), the "SSMPP" some suppliers require: the client side of
//! rustls (ring provider) over the TCP connection [`super::connect`] opened.
//!
//! Which keys Kannel reads, and where:
//!
//! - `ssl-client-certkey-file` (the smsc group, else the core group): one PEM file holding our
//!   certificate chain and its private key, for SMSCs that check the client.
//! - `ssl-trusted-ca-file` (core group): the CAs whose certificates we accept.
//!
//! Kannel without `ssl-trusted-ca-file` does not check the SMSC's certificate at all. We do:
//! without the key, the certificate must chain to the public web roots (`webpki-roots`), and its
//! name must match `host`. An SMSC whose certificate fails keeps the link offline, with a log
//! line saying why, rather than sending messages to whoever answers.
//!
//! ```text
//!  connect::open ──TcpStream──▶ handshake (TlsConnector, ServerName from `host`) ──▶ LinkStream::Tls
//!                └─────────────(use-ssl off)────────────────────────────────────▶ LinkStream::Plain
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite, future};
use futures_rustls::TlsConnector;
use futures_rustls::client::TlsStream;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use smol::Timer;
use smol::net::TcpStream;
use thiserror::Error;

use crate::tcp_reader::TcpReader;

/// Why the TLS settings of a link cannot be used; each names the file and the key.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("'{key}': cannot read {}: {error}", path.display())]
    Read {
        key: &'static str,
        path: PathBuf,
        error: io::Error,
    },
    #[error("'{key}': {} holds no PEM certificate", path.display())]
    NoCertificate { key: &'static str, path: PathBuf },
    #[error("'{key}': {} holds no PEM private key (PKCS#8, PKCS#1 or SEC1)", path.display())]
    NoPrivateKey { key: &'static str, path: PathBuf },
    #[error("'{key}': {} holds a certificate rustls refuses: {reason}", path.display())]
    BadCertificate {
        key: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("'ssl-client-certkey-file': {} cannot be used: {reason}", path.display())]
    BadClientKey { path: PathBuf, reason: String },
    #[error("cannot set up TLS: {0}")]
    Setup(String),
}

/// Where the link's TLS material comes from, as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// `ssl-client-certkey-file`: our certificate chain and key, one PEM file.
    pub client_certkey: Option<PathBuf>,
    /// `ssl-trusted-ca-file`: the CAs to trust; `None` trusts the public web roots.
    pub trusted_ca: Option<PathBuf>,
}

/// A ready client configuration. Built once when the settings are read, so a missing or
/// malformed file is a configuration error at start, not a link that never comes up.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    files: TlsFiles,
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClient")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl TlsClient {
    pub fn new(files: TlsFiles) -> Result<TlsClient, TlsError> {
        let roots = match &files.trusted_ca {
            Some(path) => trusted_roots(path)?,
            None => RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_root_certificates(roots);
        let config = match &files.client_certkey {
            None => builder.with_no_client_auth(),
            Some(path) => {
                let (chain, key) = certkey(path)?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| TlsError::BadClientKey {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?
            }
        };
        Ok(TlsClient {
            config: Arc::new(config),
            files,
        })
    }

    pub fn files(&self) -> &TlsFiles {
        &self.files
    }

    /// What the SMSC's certificate is checked against, for log lines.
    pub fn trust_description(&self) -> String {
        match &self.files.trusted_ca {
            Some(path) => format!("the CAs of ssl-trusted-ca-file {}", path.display()),
            None => "the public web roots (no ssl-trusted-ca-file)".to_owned(),
        }
    }

    /// Runs the handshake over `tcp`; the certificate must name `host`.
    pub async fn handshake(
        &self,
        host: &str,
        tcp: TcpStream,
        timeout: Duration,
    ) -> io::Result<LinkStream> {
        let name = ServerName::try_from(host.to_owned()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("'{host}' is neither a DNS name nor an IP address a certificate can name"),
            )
        })?;
        let connector = TlsConnector::from(Arc::clone(&self.config));
        let handshake = connector.connect(name, tcp);
        let expired = async {
            Timer::after(timeout).await;
            Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no TLS handshake within {timeout:?}"),
            ))
        };
        let stream = future::or(handshake, expired).await?;
        Ok(LinkStream::Tls(Box::new(stream)))
    }
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read {
        key,
        path: path.to_path_buf(),
        error,
    })
}

fn certificates(key: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read(key, path)?;
    // A PEM file may also hold keys or comments; only the certificates count here.
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            key,
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

fn trusted_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    const KEY: &str = "ssl-trusted-ca-file";
    let mut roots = RootCertStore::empty();
    for cert in certificates(KEY, path)? {
        roots.add(cert).map_err(|e| TlsError::BadCertificate {
            key: KEY,
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    Ok(roots)
}

fn certkey(
    path: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    const KEY: &str = "ssl-client-certkey-file";
    let chain = certificates(KEY, path)?;
    let pem = read(KEY, path)?;
    let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| TlsError::NoPrivateKey {
        key: KEY,
        path: path.to_path_buf(),
    })?;
    Ok((chain, key))
}

/// The connection a session's bytes travel over: plain TCP or TLS on top of it.
pub enum LinkStream {
    /// Read only once data arrived after a read that drained it: the link's
    /// loop wakes for submissions and commits too, and tried the socket each time.
    Plain(TcpReader),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for LinkStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            LinkStream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            LinkStream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for LinkStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            LinkStream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            LinkStream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LinkStream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            LinkStream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            LinkStream::Plain(tcp) => Pin::new(tcp).poll_close(cx),
            LinkStream::Tls(tls) => Pin::new(tls.as_mut()).poll_close(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn without_a_ca_file_the_public_web_roots_are_trusted() {
        let client = TlsClient::new(TlsFiles::default()).unwrap();
        assert!(client.trust_description().contains("public web roots"));
    }

    #[test]
    fn a_missing_ca_file_is_an_error_naming_the_key_and_the_path() {
        let files = TlsFiles {
            trusted_ca: Some(PathBuf::from("/nonexistent/ca.pem")),
            client_certkey: None,
        };
        let message = TlsClient::new(files).unwrap_err().to_string();
        assert!(message.starts_with("'ssl-trusted-ca-file': cannot read /nonexistent/ca.pem"));
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "empty.pem", "nothing here\n");
        let files = TlsFiles {
            trusted_ca: Some(path.clone()),
            client_certkey: None,
        };
        let error = TlsClient::new(files).unwrap_err();
        assert!(
            matches!(&error, TlsError::NoCertificate { key: "ssl-trusted-ca-file", path: p } if *p == path),
            "{error}"
        );
    }

    #[test]
    fn a_certkey_file_without_a_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        // One certificate of the public roots, as PEM, but no key beside it.
        let der = sample_certificate();
        let path = write(&dir, "certkey.pem", &pem("CERTIFICATE", &der));
        let files = TlsFiles {
            trusted_ca: None,
            client_certkey: Some(path),
        };
        let error = TlsClient::new(files).unwrap_err();
        assert!(
            matches!(
                error,
                TlsError::NoPrivateKey {
                    key: "ssl-client-certkey-file",
                    ..
                }
            ),
            "{error}"
        );
    }

    /// A DER certificate to wrap in PEM: the smallest valid one is long; a syntactically
    /// plausible blob is enough for "a certificate block with no key".
    fn sample_certificate() -> Vec<u8> {
        vec![0x30, 0x03, 0x02, 0x01, 0x01]
    }

    fn pem(label: &str, der: &[u8]) -> String {
        const ALPHABET: &[u8; 64] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut text = String::new();
        for chunk in der.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    text.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    text.push('=');
                }
            }
        }
        format!("-----BEGIN {label}-----\n{text}\n-----END {label}-----\n")
    }
}

//! The HTTP client for sms-service URLs and dlr-url callbacks: hyper's
//! HTTP/1.1 client on smol, one kept-alive connection pool per host, a
//! timeout per request (`http-timeout`), retries (`http-request-retry`
//! times, `http-queue-delay` apart) and at most `max-pending-requests` in
//! flight (a semaphore; further requests wait their turn).
//!
//! `https://` URLs go over TLS (rustls with the ring provider). The server
//! is always verified: against the certificates of the core group's
//! `ssl-trusted-ca-file` when it is set (only those, as Kannel), else
//! against the Mozilla roots of `webpki-roots`. Kannel skips verification
//! when no CA file is set; that would let anyone on the path read and
//! answer MO traffic, so this client does not. `ssl-client-certkey-file`
//! (a PEM file with the certificate and its private key) is presented to
//! servers that ask for a client certificate.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use bearerbox::hyper_io::HyperIo;

use crate::app::Background;
use bytes::Bytes;
use futures_lite::future;
use futures_rustls::TlsConnector;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{HeaderMap, Method, Request, StatusCode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use smol::lock::Semaphore;
use smol::net::TcpStream;

use thiserror::Error;

/// A service reply longer than this is cut off: an SMS reply is at most a
/// few hundred octets, so anything past this is a misconfigured service.
const MAX_REPLY: usize = 256 * 1024;
/// Idle connections kept per host. With 8, a service called many at a time
/// (bearerbox hands smsbox a window of MO) saw a new connection for most
/// calls: a connect, and for the service an accept, per MO. Kannel keeps
/// every connection its calls opened.
const MAX_IDLE_PER_HOST: usize = 256;

#[derive(Debug, Error)]
pub enum HttpError {
    #[error("URL {0:?} is not an http:// or https:// URL this client can fetch")]
    BadUrl(String),
    #[error("TLS with {host}:{port}: {error}")]
    Tls {
        host: String,
        port: u16,
        error: std::io::Error,
    },
    #[error("connecting to {host}:{port}: {error}")]
    Connect {
        host: String,
        port: u16,
        error: std::io::Error,
    },
    #[error("HTTP exchange with {0}: {1}")]
    Http(String, hyper::Error),
    #[error("building the request for {0}")]
    Build(String),
    #[error("no answer from {0} within the timeout")]
    Timeout(String),
    #[error("reading the answer of {0}: body too long or broken")]
    Body(String),
}

/// What a URL answered.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// One outgoing request.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Outgoing {
    pub fn get(url: &str) -> Outgoing {
        Outgoing {
            method: Method::GET,
            url: url.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scheme {
    Http,
    Https,
}

struct Target {
    scheme: Scheme,
    host: String,
    port: u16,
    path: String,
    authorization: Option<String>,
}

fn parse_url(url: &str) -> Result<Target, HttpError> {
    let bad = || HttpError::BadUrl(url.to_string());
    let starts = |scheme: &str| {
        url.get(..scheme.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
    };
    let (scheme, rest, default_port) = if starts("http://") {
        (Scheme::Http, &url[7..], 80)
    } else if starts("https://") {
        (Scheme::Https, &url[8..], 443)
    } else {
        return Err(bad());
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(at) if rest.as_bytes()[at] == b'/' => (&rest[..at], rest[at..].to_string()),
        Some(at) => (&rest[..at], format!("/{}", &rest[at..])),
        None => (rest, "/".to_string()),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => {
            (host, port.parse::<u16>().map_err(|_| bad())?)
        }
        _ => (hostport, default_port),
    };
    // `[::1]`: the brackets belong to the URL, not to the address.
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() {
        return Err(bad());
    }
    Ok(Target {
        scheme,
        host: host.to_string(),
        port,
        path,
        authorization: userinfo.map(|u| format!("Basic {}", base64(u.as_bytes()))),
    })
}

fn base64(input: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

type Pool = HashMap<(Scheme, String, u16), Vec<SendRequest<Full<Bytes>>>>;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("{location}: 'ssl-trusted-ca-file' {path:?}: {reason}")]
    TrustedCa {
        location: String,
        path: String,
        reason: String,
    },
    #[error("{location}: 'ssl-client-certkey-file' {path:?}: {reason}")]
    ClientCertKey {
        location: String,
        path: String,
        reason: String,
    },
}

/// The TLS client configuration from the core group's
/// `ssl-trusted-ca-file` and `ssl-client-certkey-file`.
pub fn tls_config(core: Option<&conf::Group>) -> Result<Arc<ClientConfig>, TlsError> {
    let location = |key: &str| {
        core.map(|g| bearerbox::process::listen::location_of(g, key))
            .unwrap_or_default()
    };
    let roots = match core.and_then(|g| g.get("ssl-trusted-ca-file")) {
        None => RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        },
        Some(path) => {
            let refused = |reason: String| TlsError::TrustedCa {
                location: location("ssl-trusted-ca-file"),
                path: path.to_string(),
                reason,
            };
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(Path::new(path))
                .map_err(|error| refused(error.to_string()))?
            {
                let cert = cert.map_err(|error| refused(error.to_string()))?;
                roots
                    .add(cert)
                    .map_err(|error| refused(format!("not a usable CA certificate: {error}")))?;
            }
            if roots.is_empty() {
                return Err(refused("holds no PEM certificate".into()));
            }
            roots
        }
    };
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|error| TlsError::TrustedCa {
                location: String::new(),
                path: String::new(),
                reason: error.to_string(),
            })?
            .with_root_certificates(roots);
    let config = match core.and_then(|g| g.get("ssl-client-certkey-file")) {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let refused = |reason: String| TlsError::ClientCertKey {
                location: location("ssl-client-certkey-file"),
                path: path.to_string(),
                reason,
            };
            let certs = CertificateDer::pem_file_iter(Path::new(path))
                .map_err(|error| refused(error.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| refused(error.to_string()))?;
            if certs.is_empty() {
                return Err(refused("holds no PEM certificate".into()));
            }
            let key = PrivateKeyDer::from_pem_file(Path::new(path))
                .map_err(|error| refused(format!("no private key: {error}")))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|error| refused(error.to_string()))?
        }
    };
    Ok(Arc::new(config))
}

/// The client; cheap to clone, all clones share pool and limits.
#[derive(Clone)]
pub struct HttpClient {
    pool: Rc<RefCell<Pool>>,
    limit: Rc<Semaphore>,
    tls: TlsConnector,
    timeout: Duration,
    retries: u32,
    retry_delay: Duration,
    /// Where connections are driven: smsbox's own thread once it runs, so
    /// that a call does not wake another thread and wait for it twice.
    local: Option<Background>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .finish()
    }
}

impl HttpClient {
    pub fn new(
        max_pending: usize,
        timeout: Duration,
        retries: u32,
        retry_delay: Duration,
        tls: Arc<ClientConfig>,
    ) -> HttpClient {
        HttpClient {
            pool: Rc::default(),
            limit: Rc::new(Semaphore::new(max_pending.max(1))),
            tls: TlsConnector::from(tls),
            timeout,
            retries,
            retry_delay,
            local: None,
        }
    }

    /// Drives this client's connections as tasks of smsbox's thread (`background`),
    /// not on smol's global executor thread. Only for a client used while
    /// that thread runs its tasks: `block_on` alone would never drive them.
    pub fn driven_by(mut self, background: Background) -> HttpClient {
        self.local = Some(background);
        self
    }

    /// Fetches, retrying failures (no answer, or an answer other than
    /// 200/202) as configured; the last outcome.
    pub async fn fetch(&self, request: &Outgoing) -> Result<Reply, HttpError> {
        let _permit = self.limit.acquire().await;
        let mut attempt = 0;
        loop {
            let outcome = future::or(self.once(request), async {
                smol::Timer::after(self.timeout).await;
                Err(HttpError::Timeout(request.url.clone()))
            })
            .await;
            let success = matches!(&outcome, Ok(reply) if reply.status == StatusCode::OK || reply.status == StatusCode::ACCEPTED);
            if success || attempt >= self.retries {
                return outcome;
            }
            attempt += 1;
            match &outcome {
                Ok(reply) => log::warn!(
                    "{} answered {}; retry {attempt} of {}",
                    request.url,
                    reply.status,
                    self.retries
                ),
                Err(error) => log::warn!("{error}; retry {attempt} of {}", self.retries),
            }
            smol::Timer::after(self.retry_delay).await;
        }
    }

    async fn connection(
        &self,
        scheme: Scheme,
        host: &str,
        port: u16,
    ) -> Result<SendRequest<Full<Bytes>>, HttpError> {
        let key = (scheme, host.to_string(), port);
        loop {
            let idle = self.pool.borrow_mut().get_mut(&key).and_then(Vec::pop);
            match idle {
                Some(mut sender) => {
                    if sender.ready().await.is_ok() {
                        return Ok(sender);
                    }
                }
                None => break,
            }
        }
        // A new connection is the rare path under load, and setting up TLS
        // makes the largest future of all: boxed, it does not swell the
        // future of every call, which is copied each time a task is spawned.
        Box::pin(self.connect(scheme, host, port)).await
    }

    async fn connect(
        &self,
        scheme: Scheme,
        host: &str,
        port: u16,
    ) -> Result<SendRequest<Full<Bytes>>, HttpError> {
        let stream =
            TcpStream::connect((host, port))
                .await
                .map_err(|error| HttpError::Connect {
                    host: host.to_string(),
                    port,
                    error,
                })?;
        // A request is written in one go, but a body can follow its head:
        // with Nagle's algorithm it would wait for the server's delayed ACK.
        let _ = stream.set_nodelay(true);
        match scheme {
            Scheme::Http => {
                start_http1(HyperIo::tcp(stream), host, port, self.local.as_ref()).await
            }
            Scheme::Https => {
                let tls_failed = |error| HttpError::Tls {
                    host: host.to_string(),
                    port,
                    error,
                };
                let name = ServerName::try_from(host.to_string()).map_err(|_| {
                    tls_failed(std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        "not a valid DNS name or IP address",
                    ))
                })?;
                let stream = self.tls.connect(name, stream).await.map_err(tls_failed)?;
                start_http1(HyperIo::new(stream), host, port, self.local.as_ref()).await
            }
        }
    }

    async fn once(&self, request: &Outgoing) -> Result<Reply, HttpError> {
        let target = parse_url(&request.url)?;
        let mut sender = self
            .connection(target.scheme, &target.host, target.port)
            .await?;
        let mut builder = Request::builder()
            .method(request.method.clone())
            .uri(&target.path)
            .header(
                hyper::header::HOST,
                format!("{}:{}", target.host, target.port),
            )
            .header(hyper::header::USER_AGENT, "kannel-rs smsbox");
        if let Some(authorization) = &target.authorization {
            builder = builder.header(hyper::header::AUTHORIZATION, authorization);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let built = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|_| HttpError::Build(request.url.clone()))?;
        let response = sender
            .send_request(built)
            .await
            .map_err(|error| HttpError::Http(request.url.clone(), error))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = Limited::new(response.into_body(), MAX_REPLY)
            .collect()
            .await
            .map_err(|_| HttpError::Body(request.url.clone()))?
            .to_bytes()
            .to_vec();
        let mut pool = self.pool.borrow_mut();
        let idle = pool
            .entry((target.scheme, target.host, target.port))
            .or_default();
        if idle.len() < MAX_IDLE_PER_HOST && !sender.is_closed() {
            idle.push(sender);
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}

/// HTTP/1.1 over `stream`, its connection driven in the background.
async fn start_http1<S>(
    io: HyperIo<S>,
    host: &str,
    port: u16,
    local: Option<&Background>,
) -> Result<SendRequest<Full<Bytes>>, HttpError>
where
    S: futures_lite::AsyncRead + futures_lite::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(io)
        .await
        .map_err(|error| HttpError::Http(format!("{host}:{port}"), error))?;
    let drive = async move {
        let _ = connection.await;
    };
    match local {
        Some(background) => background.spawn(drive),
        None => smol::spawn(drive).detach(),
    }
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_path_and_basic_credentials() -> Result<(), HttpError> {
        let target = parse_url("http://u:p@127.0.0.1:8080/a/b?x=1")?;
        assert_eq!((target.host.as_str(), target.port), ("127.0.0.1", 8080));
        assert_eq!(target.path, "/a/b?x=1");
        assert_eq!(target.authorization.as_deref(), Some("Basic dTpw"));
        assert_eq!(parse_url("http://h?q")?.path, "/?q");
        assert!(parse_url("ftp://h/").is_err());
        let secure = parse_url("HTTPS://example.org/dlr")?;
        assert_eq!(
            (secure.scheme, secure.host.as_str(), secure.port),
            (Scheme::Https, "example.org", 443)
        );
        let v6 = parse_url("https://[::1]:8443/x")?;
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 8443));
        Ok(())
    }
}

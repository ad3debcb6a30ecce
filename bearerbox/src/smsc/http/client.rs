//! The link's HTTP/1.1 client: hyper on smol, kept-alive connections to the
//! supplier reused across requests, and a deadline on each request.
//!
//! Only `http://` URLs: a supplier behind TLS needs a local proxy.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_lite::future;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::Request;
use hyper::client::conn::http1::{self, SendRequest};
use smol::net::TcpStream;

use crate::hyper_io::HyperIo;

/// A supplier's answer longer than this is not an answer to an MT.
const MAX_ANSWER: usize = 64 * 1024;
/// Idle connections kept per supplier host.
const MAX_IDLE: usize = 64;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    #[error("'{0}' is not an http:// URL")]
    BadUrl(String),
    #[error("connecting to {address}: {error}")]
    Connect {
        address: String,
        error: std::io::Error,
    },
    #[error("HTTP exchange with {address}: {error}")]
    Exchange {
        address: String,
        error: hyper::Error,
    },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the answer's body is broken or over {MAX_ANSWER} bytes")]
    Body,
}

/// What the supplier answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// Where a URL points.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    /// Path and query.
    path: String,
}

fn target(url: &str) -> Result<Target, ClientError> {
    let bad = || ClientError::BadUrl(url.to_owned());
    let rest = url
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
        .and_then(|_| url.get(7..))
        .ok_or_else(bad)?;
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let path = match path.chars().next() {
        None => "/".to_owned(),
        Some('/') => path.to_owned(),
        Some(_) => format!("/{path}"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().map_err(|_| bad())?),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok(Target {
        host: host.to_owned(),
        port,
        path,
    })
}

type Connection = SendRequest<Empty<Bytes>>;
/// Idle connections by supplier host and port.
type Idle = HashMap<(String, u16), Vec<Connection>>;

/// Cheap to clone; the clones share the idle connections.
#[derive(Clone)]
pub struct Client {
    idle: Rc<RefCell<Idle>>,
    timeout: Duration,
    /// Where each connection's task goes: the link's own executor spawns
    /// them, so that a request does not wake another thread and wait for it.
    local: smol::channel::Sender<LocalTask>,
}

/// A connection's task, for the thread that runs the link.
pub type LocalTask = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

impl Client {
    pub fn new(timeout: Duration, local: smol::channel::Sender<LocalTask>) -> Client {
        Client {
            idle: Rc::default(),
            timeout,
            local,
        }
    }

    /// GETs `url`; an answer of any status is `Ok`.
    pub async fn get(&self, url: &str) -> Result<Answer, ClientError> {
        let target = target(url)?;
        future::or(self.exchange(target), async {
            smol::Timer::after(self.timeout).await;
            Err(ClientError::Timeout(self.timeout))
        })
        .await
    }

    async fn exchange(&self, target: Target) -> Result<Answer, ClientError> {
        let address = format!("{}:{}", target.host, target.port);
        let key = (target.host.clone(), target.port);
        let mut connection = self.connection(&key, &address).await?;
        let request = Request::get(target.path.as_str())
            .header(hyper::header::HOST, address.as_str())
            .header(hyper::header::USER_AGENT, "kannel-rs bearerbox")
            .body(Empty::<Bytes>::new())
            .map_err(|_| ClientError::BadUrl(target.path.clone()))?;
        let response =
            connection
                .send_request(request)
                .await
                .map_err(|error| ClientError::Exchange {
                    address: address.clone(),
                    error,
                })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|_| ClientError::Body)?
            .to_bytes()
            .to_vec();
        let mut idle = self.idle.borrow_mut();
        let kept = idle.entry(key).or_default();
        if kept.len() < MAX_IDLE && !connection.is_closed() {
            kept.push(connection);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    async fn connection(
        &self,
        key: &(String, u16),
        address: &str,
    ) -> Result<Connection, ClientError> {
        // Bounded by the idle list's length: each turn removes one.
        loop {
            let kept = self.idle.borrow_mut().get_mut(key).and_then(Vec::pop);
            match kept {
                Some(mut connection) => {
                    if connection.ready().await.is_ok() {
                        return Ok(connection);
                    }
                }
                None => break,
            }
        }
        let stream = TcpStream::connect((key.0.as_str(), key.1))
            .await
            .map_err(|error| ClientError::Connect {
                address: address.to_owned(),
                error,
            })?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) =
            http1::handshake(HyperIo::tcp(stream))
                .await
                .map_err(|error| ClientError::Exchange {
                    address: address.to_owned(),
                    error,
                })?;
        let drive = async move {
            let _ = connection.await;
        };
        // Closed only when the link ends, and its requests with it.
        let _ = self.local.try_send(Box::pin(drive));
        Ok(sender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_port_and_path_with_query() -> Result<(), ClientError> {
        let found = target("http://127.0.0.1:8080/cgi-bin/sendsms?a=1")?;
        assert_eq!(
            found,
            Target {
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/cgi-bin/sendsms?a=1".into()
            }
        );
        assert_eq!(target("http://h?q=1")?.path, "/?q=1");
        assert_eq!(target("HTTP://h")?.port, 80);
        assert!(target("https://h/").is_err());
        assert!(target("http://:80/").is_err());
        Ok(())
    }
}

//! The callback listener on `port`: the supplier's MO messages and delivery
//! reports arrive here as HTTP requests (GET query, or a POSTed form).
//!
//! Each one is passed to the core, and the supplier is answered only once
//! the core has committed it ([`LinkEvent::Flush`]): a supplier that got our
//! "Sent" may forget the message, so it must not be lost after that.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_lite::future;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use smol::channel::Sender;
use smol::net::{TcpListener, TcpStream};
use smol::{LocalExecutor, Timer};

use super::callback::{self, Callback, Params};
use super::config::HttpSettings;
use crate::http_server::{self, Body, IdleWatch};
use crate::hyper_io::HyperIo;
use crate::smsc::LinkEvent;

/// A callback is a few hundred octets.
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 64 * 1024;
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the supplier waits for the core's commit before it hears
/// "try again": a store that slow is in trouble.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(30);
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Serves callbacks until the task is dropped.
pub async fn serve(
    executor: &LocalExecutor<'_>,
    settings: Rc<HttpSettings>,
    listener: TcpListener,
    events: Sender<LinkEvent>,
) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                log::warn!("HTTP SMSC {}: accept failed: {error}", settings.smsc_id);
                Timer::after(ACCEPT_PAUSE).await;
                continue;
            }
        };
        if !settings.allow.contains(peer.ip()) {
            log::warn!(
                "HTTP SMSC {}: callback from {} refused by connect-allow-ip",
                settings.smsc_id,
                peer.ip()
            );
            continue;
        }
        let settings = settings.clone();
        let events = events.clone();
        executor
            .spawn(async move {
                if let Err(error) = connection(stream, peer, settings, events).await {
                    log::debug!("HTTP SMSC callback connection from {peer} ended: {error}");
                }
            })
            .detach();
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    settings: Rc<HttpSettings>,
    events: Sender<LinkEvent>,
) -> Result<(), hyper::Error> {
    let _ = stream.set_nodelay(true);
    let watch = IdleWatch::new();
    let answering = watch.clone();
    let service = service_fn(move |request: Request<Incoming>| {
        let settings = settings.clone();
        let events = events.clone();
        let busy = answering.answering();
        async move {
            let response = respond(&settings, &events, peer, request).await;
            drop(busy);
            Ok::<_, Infallible>(response)
        }
    });
    let connection = http1::Builder::new()
        .max_buf_size(MAX_HEAD)
        .keep_alive(true)
        .serve_connection(HyperIo::tcp(stream), service);
    future::or(connection, async {
        watch.idle_for(HEADER_TIMEOUT).await;
        Ok(())
    })
    .await
}

async fn respond(
    settings: &HttpSettings,
    events: &Sender<LinkEvent>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (head, body) = request.into_parts();
    let collected = match http_server::collect(body, MAX_BODY, BODY_TIMEOUT).await {
        Body::Complete(body) => Some(body),
        Body::TooLong | Body::Malformed(_) | Body::TimedOut => None,
    };
    let Some(body) = collected else {
        return reply(
            settings.replies.error_status,
            "Request body not received, rejected",
        );
    };
    let mut params = Params::default();
    params.extend_from(head.uri.query().unwrap_or_default().as_bytes());
    let form = head
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if form {
        params.extend_from(&body);
    }
    let now = crate::clock::unix_now();
    let event = match callback::interpret(settings, &params, now) {
        Ok(Callback::Mo(sms)) => {
            log::debug!("HTTP SMSC {}: MO from {peer}", settings.smsc_id);
            LinkEvent::Received(sms)
        }
        Ok(Callback::Report {
            foreign_id,
            event,
            text,
        }) => {
            log::debug!(
                "HTTP SMSC {}: report {event:?} for '{foreign_id}' from {peer}",
                settings.smsc_id
            );
            LinkEvent::Report {
                foreign_id,
                event,
                text,
                meta_data: None,
            }
        }
        Err(refusal) => {
            log::warn!(
                "HTTP SMSC {}: callback from {peer} refused: {}",
                settings.smsc_id,
                refusal.0
            );
            return reply(settings.replies.error_status, refusal.0);
        }
    };
    if committed(events, event).await {
        reply(settings.replies.sent_status, &settings.replies.sent_body)
    } else {
        reply(settings.replies.error_status, "Not accepted")
    }
}

/// Hands `event` to the core and waits until the core has handled it.
async fn committed(events: &Sender<LinkEvent>, event: LinkEvent) -> bool {
    let (done, handled) = smol::channel::bounded(1);
    if events.send(event).await.is_err() || events.send(LinkEvent::Flush(done)).await.is_err() {
        return false;
    }
    future::or(async { handled.recv().await.unwrap_or(false) }, async {
        Timer::after(COMMIT_TIMEOUT).await;
        false
    })
    .await
}

fn reply(status: u16, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::ACCEPTED))
        .header("Content-Type", "text/plain")
        .header("Server", "Kannel/1.4.5 (kannel-rs bearerbox)")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

//! Everything that knows smsbox runs on smol: adopting the bound sendsms
//! listener, serving HTTP/1.1 with hyper on each connection, the bearerbox
//! link's connect and sleep, the inbound dispatcher, and stopping on the
//! shutdown signal.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_lite::future;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderName, HeaderValue, PRAGMA, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use smol::channel::{Receiver, Sender};
use smol::net::{TcpListener, TcpStream};
use smol::{LocalExecutor, Timer};

use crate::app::{App, BackgroundTasks};
use crate::bearerbox_link::{self, Target};
use crate::http_api;
use bearerbox::http_server::{self, Body, IdleWatch};
use bearerbox::hyper_io::HyperIo;

/// After a failed `accept`, wait this long before the next.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// A client has this long to send a request's head (from the end of the
/// previous answer, or from connecting), and to send its body.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Request head (request line with its URL, and headers) and body limits:
/// a sendsms request is a few hundred octets, a bulk one a few thousand.
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 64 * 1024;

/// What smsbox serves, bound before the runtime starts.
#[derive(Debug)]
pub struct Plan {
    pub sendsms: Option<std::net::TcpListener>,
    pub bearerbox: Target,
    pub background: BackgroundTasks,
}

/// Fires the shutdown from any thread (the signal thread).
#[derive(Debug, Clone)]
pub struct ShutdownTrigger(Sender<()>);

impl ShutdownTrigger {
    pub fn fire(&self) {
        self.0.close();
    }
}

/// What [`run`] waits on.
#[derive(Debug)]
pub struct Shutdown(Receiver<()>);

pub fn shutdown_channel() -> (ShutdownTrigger, Shutdown) {
    let (sender, receiver) = smol::channel::bounded(1);
    (ShutdownTrigger(sender), Shutdown(receiver))
}

/// Serves until the shutdown fires, then drops the listener, the
/// connections and the bearerbox link.
pub fn run(plan: Plan, app: App, shutdown: Shutdown) -> io::Result<()> {
    let executor = Rc::new(LocalExecutor::new());
    let sendsms = plan.sendsms.map(TcpListener::try_from).transpose()?;
    let app = Rc::new(app);
    let (inbound_sender, inbound) = smol::channel::unbounded();
    smol::block_on(executor.run(async {
        // Each loop is a task of its own, not a branch of this future: the
        // executor polls this future whenever any task wakes, and a socket
        // polled for nothing costs a syscall that fails (EAGAIN) each time.
        let mut tasks = Vec::new();
        if let Some(listener) = sendsms {
            tasks.push(executor.spawn(accept_loop(executor.clone(), listener, app.clone())));
        }
        tasks.push(executor.spawn(bearerbox_link::keep_connected(
            plan.bearerbox,
            app.link.clone(),
            inbound_sender,
            connect_without_delay,
            |delay| async move {
                Timer::after(delay).await;
            },
        )));
        tasks.push(executor.spawn(crate::inbound::dispatch(
            executor.clone(),
            app.clone(),
            inbound,
        )));
        let spawner = executor.clone();
        let background = plan.background.0;
        tasks.push(executor.spawn(async move {
            while let Ok(task) = background.recv().await {
                spawner.spawn(task).detach();
            }
        }));
        // Closed by the trigger; nothing is ever sent.
        let _ = shutdown.0.recv().await;
        for task in tasks {
            task.cancel().await;
        }
        log::info!("closing the sendsms port, its connections and the bearerbox link");
    }));
    Ok(())
}

async fn accept_loop(executor: Rc<LocalExecutor<'static>>, listener: TcpListener, app: Rc<App>) {
    if let Ok(address) = listener.local_addr() {
        log::info!("sendsms port listening on {address}");
    }
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                log::debug!("sendsms connection accepted from {peer}");
                let app = app.clone();
                executor
                    .spawn(async move {
                        if let Err(error) = serve(stream, peer, app).await {
                            log::debug!("sendsms connection from {peer} ended: {error}");
                        }
                    })
                    .detach();
            }
            Err(error) => {
                log::warn!("sendsms port: accept failed: {error}");
                Timer::after(ACCEPT_PAUSE).await;
            }
        }
    }
}

/// One HTTP/1.1 connection, kept alive for as many requests as the client
/// sends, and closed when it sends none (or only part of one) for
/// [`HEADER_TIMEOUT`].
async fn serve(stream: TcpStream, peer: SocketAddr, app: Rc<App>) -> Result<(), hyper::Error> {
    let watch = IdleWatch::new();
    let answering = watch.clone();
    let service = service_fn(move |request: Request<Incoming>| {
        let app = app.clone();
        let busy = answering.answering();
        async move {
            let response = respond(&app, peer, request).await;
            drop(busy);
            Ok::<_, Infallible>(response)
        }
    });
    let connection = http1::Builder::new()
        .max_buf_size(MAX_HEAD)
        .keep_alive(true)
        // hyper would otherwise read the socket once more while each request is
        // answered, to notice a client that went away: a failed read and a
        // re-arm of the poller per request, for nothing, as the answer is
        // written anyway and what was accepted stays accepted.
        .half_close(true)
        .serve_connection(HyperIo::tcp(stream), service);
    future::or(connection, async {
        watch.idle_for(HEADER_TIMEOUT).await;
        log::debug!("sendsms connection from {peer}: no request for {HEADER_TIMEOUT:?}, closed");
        Ok(())
    })
    .await
}

async fn respond(app: &App, peer: SocketAddr, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (head, body) = request.into_parts();
    let answer = match http_server::collect(body, MAX_BODY, BODY_TIMEOUT).await {
        Body::Complete(body) => {
            let query = head.uri.query().unwrap_or_default().as_bytes();
            http_api::answer(
                app,
                peer.ip(),
                &head.method,
                head.uri.path(),
                query,
                &head.headers,
                &body,
            )
            .await
        }
        Body::TimedOut => {
            crate::answers::Answer::new(408, "Request body not received in time, rejected")
        }
        Body::TooLong => crate::answers::Answer::new(413, "Request body too long, rejected"),
        // A body cut short or badly chunked is the client's malformed request.
        Body::Malformed(error) => {
            crate::answers::Answer::new(400, &format!("Malformed request body, rejected: {error}"))
        }
    };
    // Names and values known at compile time: no parsing or checking of
    // either for each answer, as `Response::builder().header(..)` does.
    let mut response = Response::new(Full::new(Bytes::from(answer.body)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        SERVER,
        HeaderValue::from_static("Kannel/1.4.5 (kannel-rs smsbox)"),
    );
    if !answer.message_ids.is_empty()
        && let Ok(ids) = HeaderValue::try_from(answer.message_ids.join(" "))
    {
        headers.insert(HeaderName::from_static("x-message-id"), ids);
    }
    response
}

/// A TCP connection whose small writes leave at once. With Nagle's algorithm
/// an ack written while the previous one is unacknowledged waits for the
/// peer's delayed ACK, and bearerbox sends the next MO only once it has
/// the ack: the two wait on each other.
pub async fn connect_without_delay(host: String, port: u16) -> std::io::Result<TcpStream> {
    let stream = TcpStream::connect((host.as_str(), port)).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

//! Everything that knows bearerbox runs on smol: adopting the bound
//! listeners, accepting, spawning one task per connection, and stopping on
//! the shutdown signal. The connection handlers themselves
//! ([`crate::admin`], [`crate::boxc`]) only see an async byte stream.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use smol::channel::{Receiver, Sender};
use smol::net::{TcpListener, TcpStream};
use smol::{LocalExecutor, Timer, future};

use crate::{admin, boxc};

/// After a failed `accept` (out of file descriptors, say), wait this long
/// before the next, so that the loop does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// The listeners bearerbox serves, bound before the runtime starts.
#[derive(Debug)]
pub struct Listeners {
    pub admin: std::net::TcpListener,
    pub boxes: Option<std::net::TcpListener>,
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

/// Serves until the shutdown fires, then closes the listeners and drops every
/// connection.
pub fn run(listeners: Listeners, shutdown: Shutdown) -> io::Result<()> {
    let executor = LocalExecutor::new();
    let admin = TcpListener::try_from(listeners.admin)?;
    let boxes = listeners.boxes.map(TcpListener::try_from).transpose()?;
    smol::block_on(executor.run(async {
        let admin_loop = accept_loop(&executor, admin, "admin", admin::serve);
        let box_loop = async {
            match boxes {
                Some(boxes) => accept_loop(&executor, boxes, "box", boxc::serve).await,
                None => future::pending().await,
            }
        };
        let serving = future::zip(admin_loop, box_loop);
        let stopping = async {
            // Closed by the trigger; nothing is ever sent.
            let _ = shutdown.0.recv().await;
        };
        future::or(
            async {
                serving.await;
            },
            stopping,
        )
        .await;
        log::info!("closing listeners and connections");
    }));
    Ok(())
}

async fn accept_loop<'a, H, F>(
    executor: &LocalExecutor<'a>,
    listener: TcpListener,
    what: &'static str,
    handler: H,
) where
    H: Fn(TcpStream, SocketAddr) -> F,
    F: Future<Output = io::Result<()>> + 'a,
{
    if let Ok(address) = listener.local_addr() {
        log::info!("{what} port listening on {address}");
    }
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                log::debug!("{what} connection accepted from {peer}");
                let connection = handler(stream, peer);
                executor
                    .spawn(async move {
                        if let Err(error) = connection.await {
                            log::debug!("{what} connection from {peer} ended: {error}");
                        }
                    })
                    .detach();
            }
            Err(error) => {
                log::warn!("{what} port: accept failed: {error}");
                Timer::after(ACCEPT_PAUSE).await;
            }
        }
    }
}

//! Everything that knows smsbox runs on smol: adopting the bound sendsms
//! listener, accepting, one task per connection, the bearerbox link's
//! connect and sleep, and stopping on the shutdown signal.

use std::future::Future;
use std::io;
use std::time::Duration;

use smol::channel::{Receiver, Sender};
use smol::net::{TcpListener, TcpStream};
use smol::{LocalExecutor, Timer, future};

use crate::bearerbox_link::{self, Target};
use crate::sendsms;

/// After a failed `accept`, wait this long before the next.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// What smsbox serves, bound before the runtime starts.
#[derive(Debug)]
pub struct Plan {
    pub sendsms: Option<std::net::TcpListener>,
    pub sendsms_url: String,
    pub bearerbox: Target,
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
pub fn run(plan: Plan, shutdown: Shutdown) -> io::Result<()> {
    let executor = LocalExecutor::new();
    let sendsms = plan.sendsms.map(TcpListener::try_from).transpose()?;
    let sendsms_url = plan.sendsms_url;
    smol::block_on(executor.run(async {
        let serving = async {
            match sendsms {
                Some(listener) => accept_loop(&executor, listener, &sendsms_url).await,
                None => future::pending().await,
            }
        };
        let link = bearerbox_link::keep_connected(
            plan.bearerbox,
            |host, port| TcpStream::connect((host, port)),
            |delay| async move {
                Timer::after(delay).await;
            },
        );
        let stopping = async {
            // Closed by the trigger; nothing is ever sent.
            let _ = shutdown.0.recv().await;
        };
        future::or(
            async {
                future::zip(serving, link).await;
            },
            stopping,
        )
        .await;
        log::info!("closing the sendsms port, its connections and the bearerbox link");
    }));
    Ok(())
}

async fn accept_loop(executor: &LocalExecutor<'_>, listener: TcpListener, sendsms_url: &str) {
    if let Ok(address) = listener.local_addr() {
        log::info!("sendsms port listening on {address}");
    }
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                log::debug!("sendsms connection accepted from {peer}");
                let url = sendsms_url.to_string();
                spawn_logged(executor, async move {
                    if let Err(error) = sendsms::serve(stream, peer, &url).await {
                        log::debug!("sendsms connection from {peer} ended: {error}");
                    }
                });
            }
            Err(error) => {
                log::warn!("sendsms port: accept failed: {error}");
                Timer::after(ACCEPT_PAUSE).await;
            }
        }
    }
}

fn spawn_logged(executor: &LocalExecutor<'_>, task: impl Future<Output = ()> + 'static) {
    executor.spawn(task).detach();
}

//! Everything that knows bearerbox runs on smol: adopting the bound
//! listeners, accepting, spawning one task per connection, and stopping on
//! the shutdown signal. The connection handlers themselves
//! ([`crate::admin`], [`crate::boxc`]) only see an async byte stream.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use smol::channel::{Receiver, Sender};
use smol::net::{TcpListener, TcpStream};
use smol::{LocalExecutor, Timer, future};

use crate::settings::{DriverSettings, Settings};
use crate::smsc::{self, LinkEvent, Submission};
use crate::store::Store;
use crate::switchboard::{Shared, Switchboard};
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

/// What the switchboard starts from: the settings, the opened store, and the
/// listeners of `fake` links (bound before the process detached, so that a
/// port in use is reported at start), by link index.
pub struct Core {
    pub settings: Settings,
    pub store: Store,
    pub fake_listeners: Vec<Option<std::net::TcpListener>>,
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

/// Serves until the shutdown fires, then tells the boxes, closes the
/// listeners and drops every connection. What was not finished stays in
/// the store for the next start.
pub fn run(listeners: Listeners, shutdown: Shutdown, core: Core) -> io::Result<()> {
    // Shared by the tasks that spawn tasks (each box connection spawns one
    // per MT), hence 'static and reference-counted.
    let executor: Rc<LocalExecutor<'static>> = Rc::new(LocalExecutor::new());
    let admin = TcpListener::try_from(listeners.admin)?;
    let boxes = listeners.boxes.map(TcpListener::try_from).transpose()?;
    let Core {
        settings,
        store,
        mut fake_listeners,
    } = core;
    let (wake, woken) = smol::channel::bounded::<()>(1);
    let mut submit_senders = Vec::new();
    let mut link_channels = Vec::new();
    for _ in &settings.links {
        let (submit, submissions) = smol::channel::unbounded::<Submission>();
        let (events, incoming) = smol::channel::unbounded::<LinkEvent>();
        submit_senders.push(submit);
        link_channels.push((submissions, events, incoming));
    }
    let links = settings.links.clone();
    let shared: Shared = std::rc::Rc::new(std::cell::RefCell::new(Switchboard::new(
        settings,
        store,
        submit_senders,
        wake,
    )));
    match shared.borrow_mut().resume() {
        Ok((mt, mo)) if mt + mo > 0 => {
            log::info!("resuming {mt} MT and {mo} MO/report messages from the store")
        }
        Ok(_) => {}
        Err(error) => log::error!("{error}"),
    }
    // Receivers of links without a driver: kept so their queues stay open.
    let mut idle = Vec::new();
    for (index, (link, (submissions, events, incoming))) in
        links.iter().zip(link_channels).enumerate()
    {
        let smsc_id = link.rules.smsc_id.clone();
        match &link.driver {
            DriverSettings::Fake { listen, allow } => {
                match fake_listeners
                    .get_mut(index)
                    .and_then(Option::take)
                    .map(TcpListener::try_from)
                {
                    Some(Ok(listener)) => {
                        let config = smsc::fake::FakeConfig {
                            smsc_id,
                            listen: *listen,
                            allow: allow.clone(),
                        };
                        executor
                            .spawn(smsc::fake::run(config, listener, submissions, events))
                            .detach();
                    }
                    Some(Err(error)) => log::error!("SMSC {smsc_id}: {error}"),
                    None => log::error!("SMSC {smsc_id}: no listener for the fake link"),
                }
            }
            DriverSettings::Loopback => {
                let id = link.reroute_smsc_id.clone().unwrap_or(smsc_id);
                executor
                    .spawn(smsc::loopback::run(id, submissions, events))
                    .detach();
            }
            DriverSettings::At(at) => {
                if let Err(error) = smsc::at::driver::spawn((**at).clone(), submissions, events) {
                    log::error!("{}: SMSC {smsc_id}: {error}", link.location);
                }
            }
            DriverSettings::Smpp(smpp) => {
                executor
                    .spawn(smsc::smpp::driver::run(
                        smsc_id,
                        (**smpp).clone(),
                        submissions,
                        events,
                    ))
                    .detach();
            }
            DriverSettings::Sim => {
                executor
                    .spawn(smsc::sim::run(smsc_id, submissions, events))
                    .detach();
            }
            DriverSettings::Unsupported { kind } => {
                log::warn!(
                    "{}: SMSC {smsc_id}: the '{kind}' driver is not built yet; the link stays offline and its messages wait or fail over",
                    link.location
                );
                idle.push((submissions, events));
            }
        }
        let forward_to = shared.clone();
        executor
            .spawn(async move {
                while let Ok(event) = incoming.recv().await {
                    Switchboard::on_link_event(&forward_to, index, event).await;
                }
            })
            .detach();
    }
    let dispatcher_board = shared.clone();
    executor
        .spawn(async move {
            loop {
                let next_due = dispatcher_board.borrow_mut().dispatch();
                Switchboard::flush_reports(&dispatcher_board).await;
                let pause = next_due.map_or(Duration::from_secs(3600), |due| {
                    Duration::from_secs((due - crate::clock::unix_now()).clamp(0, 3600) as u64 + 1)
                });
                let woke = future::or(async { woken.recv().await.is_ok() }, async {
                    Timer::after(pause).await;
                    true
                })
                .await;
                if !woke {
                    break;
                }
            }
        })
        .detach();

    smol::block_on(executor.run(async {
        let admin_board = shared.clone();
        // The `shutdown` command closes the channel as the signal thread does.
        let admin_stop = shutdown.0.clone();
        let console = admin::Console::shared(&admin_board, move || {
            admin_stop.close();
        });
        executor
            .spawn(admin::sample(admin_board.clone(), console.clone()))
            .detach();
        let admin_loop = accept_loop(&executor, admin, "admin", move |stream, peer| {
            admin::serve(admin_board.clone(), console.clone(), stream, peer)
        });
        let box_loop = async {
            match boxes {
                Some(boxes) => {
                    if let Ok(address) = boxes.local_addr() {
                        log::info!("box port listening on {address}");
                    }
                    loop {
                        match boxes.accept().await {
                            Ok((stream, peer)) => {
                                let board = shared.clone();
                                let spawner = executor.clone();
                                executor
                                    .spawn(async move {
                                        if let Err(error) =
                                            boxc::serve(&spawner, board, stream, peer).await
                                        {
                                            log::debug!(
                                                "box connection from {peer} ended: {error}"
                                            );
                                        }
                                    })
                                    .detach();
                            }
                            Err(error) => {
                                log::warn!("box port: accept failed: {error}");
                                Timer::after(ACCEPT_PAUSE).await;
                            }
                        }
                    }
                }
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
        log::info!("shutting down: telling the boxes, closing listeners and connections");
        {
            let mut board = shared.borrow_mut();
            board.lifecycle = crate::switchboard::Lifecycle::ShuttingDown;
            for conn in &board.boxes {
                let _ = conn.outbox.try_send(box_protocol::message::Msg::shutdown());
            }
        }
        // Let the writers flush the shutdown and the last acks.
        Timer::after(Duration::from_millis(100)).await;
    }));
    drop(idle);
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

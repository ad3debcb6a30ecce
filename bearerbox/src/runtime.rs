//! Everything that knows bearerbox runs on smol: adopting the bound
//! listeners, accepting, spawning one task per connection, starting and
//! stopping the link drivers ([`Supervisor`]), and stopping on the shutdown
//! signal. The connection handlers themselves ([`crate::admin`],
//! [`crate::boxc`]) only see an async byte stream.
//!
//! ```text
//!  Supervisor ──spawn──▶ driver task ──LinkEvent──▶ forwarder task ──▶ Switchboard
//!      │ stop: close the link's submissions ──▶ the driver says goodbye and ends
//!      └ after STOP_GRACE, a driver still running is dropped
//! ```

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use box_protocol::message::{AdminCommand, Msg};
use smol::channel::{Receiver, Sender};
use smol::lock::Mutex;
use smol::net::{TcpListener, TcpStream};
use smol::{LocalExecutor, Task, Timer, future};

use crate::settings::{self, DriverSettings, LinkSettings, Settings};
use crate::smsc::{self, LinkEvent, Submission};
use crate::store::Store;
use crate::switchboard::{Lifecycle, Shared, Switchboard};
use crate::{admin, boxc};

/// After a failed `accept` (out of file descriptors, say), wait this long
/// before the next, so that the loop does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// How long a graceful stop waits for answers to what was sent (an SMSC's
/// submit_sm_resp, a box's ack) before it stops anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The listeners bearerbox serves, bound before the runtime starts.
#[derive(Debug)]
pub struct Listeners {
    pub admin: std::net::TcpListener,
    pub boxes: Option<std::net::TcpListener>,
}

/// How long a stopped driver gets to say goodbye (SMPP's unbind and its
/// answer) before it is dropped.
const STOP_GRACE: Duration = Duration::from_secs(3);

/// What the switchboard starts from: the settings, the opened store, and the
/// listeners of `fake` links (bound before the process detached, so that a
/// port in use is reported at start), by link index.
pub struct Core {
    pub settings: Settings,
    pub store: Store,
    pub fake_listeners: Vec<Option<std::net::TcpListener>>,
    /// The configuration file, read again by `add-smsc`, `start-smsc` and a
    /// graceful restart.
    pub config_path: PathBuf,
    /// `Running`, or `Suspended` / `Isolated` from `-S` / `-I`.
    pub lifecycle: Lifecycle,
    pub hangups: Hangups,
}

/// How [`run`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Shutdown,
    /// The admin `restart`: the caller runs the program again.
    Restart,
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

/// Asks for a graceful restart from any thread (SIGHUP).
#[derive(Debug, Clone)]
pub struct HangupTrigger(Sender<()>);

impl HangupTrigger {
    pub fn fire(&self) {
        // One waiting is enough: the restart reads the file when it runs.
        let _ = self.0.try_send(());
    }
}

/// What [`run`] listens to for graceful restarts.
#[derive(Debug)]
pub struct Hangups(Receiver<()>);

pub fn hangup_channel() -> (HangupTrigger, Hangups) {
    let (sender, receiver) = smol::channel::bounded(1);
    (HangupTrigger(sender), Hangups(receiver))
}

/// One link's driver while it runs.
struct Driver {
    /// The driver's task; `None` for a driver on a thread of its own (`at`)
    /// or for a link without a driver.
    task: Option<Task<()>>,
    /// Ends once every event the driver sent is handled.
    forwarder: Task<()>,
    /// A link without a driver keeps its channel ends here, so that its
    /// queue stays open and its messages wait or fail over.
    idle: Option<(Receiver<Submission>, Sender<LinkEvent>)>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("cannot read the configuration {path}: {reason}")]
    Config { path: String, reason: String },
    #[error("no smsc group with smsc-admin-id or smsc-id '{0}' that is not running")]
    NoGroup(String),
    #[error("cannot listen on {address}: {error}")]
    Listen {
        address: SocketAddr,
        error: io::Error,
    },
    #[error("cannot start the driver: {0}")]
    Driver(String),
}

/// Starts and stops link drivers at run time, for the admin commands and
/// SIGHUP. Reconfigurations run one at a time.
pub struct Supervisor {
    executor: Rc<LocalExecutor<'static>>,
    board: Shared,
    drivers: RefCell<Vec<Option<Driver>>>,
    config_path: PathBuf,
    busy: Mutex<()>,
    restart: Cell<bool>,
}

impl Supervisor {
    /// Starts the driver of link `index` on its channels: the single place
    /// that knows which driver each `DriverSettings` runs.
    fn start_driver(
        &self,
        index: usize,
        link: &LinkSettings,
        listener: Option<std::net::TcpListener>,
        submissions: Receiver<Submission>,
        events: Sender<LinkEvent>,
        incoming: Receiver<LinkEvent>,
    ) -> Result<Driver, LinkError> {
        let smsc_id = link.rules.smsc_id.clone();
        let mut idle = None;
        let task = match &link.driver {
            DriverSettings::Fake { listen, allow } => {
                let listener = match listener {
                    Some(listener) => listener,
                    None => {
                        std::net::TcpListener::bind(listen).map_err(|error| LinkError::Listen {
                            address: *listen,
                            error,
                        })?
                    }
                };
                let listener =
                    TcpListener::try_from(listener).map_err(|error| LinkError::Listen {
                        address: *listen,
                        error,
                    })?;
                let config = smsc::fake::FakeConfig {
                    smsc_id,
                    listen: *listen,
                    allow: allow.clone(),
                };
                Some(
                    self.executor
                        .spawn(smsc::fake::run(config, listener, submissions, events)),
                )
            }
            DriverSettings::Loopback => {
                let id = link.reroute_smsc_id.clone().unwrap_or(smsc_id);
                Some(
                    self.executor
                        .spawn(smsc::loopback::run(id, submissions, events)),
                )
            }
            DriverSettings::At(at) => {
                // Its thread ends when the submissions close.
                smsc::at::driver::spawn((**at).clone(), submissions, events)
                    .map_err(|error| LinkError::Driver(error.to_string()))?;
                None
            }
            DriverSettings::Smpp(smpp) => Some(self.executor.spawn(smsc::smpp::driver::run(
                smsc_id,
                (**smpp).clone(),
                submissions,
                events,
            ))),
            DriverSettings::Http(http) => Some(self.executor.spawn(smsc::http::driver::run(
                (**http).clone(),
                submissions,
                events,
            ))),
            DriverSettings::Sim => Some(self.executor.spawn(smsc::sim::run(
                smsc_id,
                submissions,
                events,
            ))),
            DriverSettings::Unsupported { kind } => {
                log::warn!(
                    "{}: SMSC {smsc_id}: the '{kind}' driver is not built yet; the link stays offline and its messages wait or fail over",
                    link.location
                );
                idle = Some((submissions, events));
                None
            }
        };
        let generation = self
            .board
            .borrow()
            .links
            .get(index)
            .map_or(0, |link| link.generation);
        let board = self.board.clone();
        let forwarder = self.executor.spawn(async move {
            while let Ok(event) = incoming.recv().await {
                // A stopped driver's last words about its connection must not
                // move the state of the one started after it in the same slot.
                let stale = matches!(event, LinkEvent::Online | LinkEvent::Offline { .. })
                    && board
                        .borrow()
                        .links
                        .get(index)
                        .is_none_or(|link| link.generation != generation);
                if !stale {
                    Switchboard::on_link_event(&board, index, event).await;
                }
            }
        });
        Ok(Driver {
            task,
            forwarder,
            idle,
        })
    }

    fn keep(&self, index: usize, driver: Driver) {
        let mut drivers = self.drivers.borrow_mut();
        if drivers.len() <= index {
            drivers.resize_with(index + 1, || None);
        }
        drivers[index] = Some(driver);
    }

    /// Stops link `index`: its driver disconnects (SMPP unbinds) and stays
    /// down; what it had not answered goes back to the queues.
    async fn stop(&self, index: usize) {
        let driver = self
            .drivers
            .borrow_mut()
            .get_mut(index)
            .and_then(Option::take);
        {
            let mut board = self.board.borrow_mut();
            if let Some(link) = board.links.get_mut(index) {
                link.state.stopped = true;
                // The driver's signal to end.
                link.submit.close();
                log::info!("SMSC {}: stopping", link.settings.rules.smsc_id);
            }
            board.poke();
        }
        if let Some(Driver {
            task,
            mut forwarder,
            idle,
        }) = driver
        {
            drop(idle);
            let ended = future::or(
                async {
                    (&mut forwarder).await;
                    true
                },
                async {
                    Timer::after(STOP_GRACE).await;
                    false
                },
            )
            .await;
            if !ended {
                // Cancelling the task closes its connection without goodbye.
                drop(task);
                let ended = future::or(
                    async {
                        (&mut forwarder).await;
                        true
                    },
                    async {
                        Timer::after(Duration::from_secs(1)).await;
                        false
                    },
                )
                .await;
                if !ended {
                    // A driver thread that has not ended yet: its events still count.
                    forwarder.detach();
                }
            }
        }
        self.board.borrow_mut().link_down(index);
    }

    /// Starts link `index` again with `settings` (`start-smsc`).
    fn restart(&self, index: usize, settings: LinkSettings) -> Result<(), LinkError> {
        let (submit, submissions) = smol::channel::unbounded::<Submission>();
        let (events, incoming) = smol::channel::unbounded::<LinkEvent>();
        let listener = bind_fake(&settings)?;
        self.board
            .borrow_mut()
            .restart_link(index, settings.clone(), submit);
        let driver =
            match self.start_driver(index, &settings, listener, submissions, events, incoming) {
                Ok(driver) => driver,
                Err(error) => {
                    if let Some(link) = self.board.borrow_mut().links.get_mut(index) {
                        link.state.stopped = true;
                    }
                    return Err(error);
                }
            };
        self.keep(index, driver);
        Ok(())
    }

    /// Adds a link in a new slot and starts it.
    fn add(&self, settings: LinkSettings) -> Result<usize, LinkError> {
        let (submit, submissions) = smol::channel::unbounded::<Submission>();
        let (events, incoming) = smol::channel::unbounded::<LinkEvent>();
        let listener = bind_fake(&settings)?;
        let index = self.board.borrow_mut().add_link(settings.clone(), submit);
        match self.start_driver(index, &settings, listener, submissions, events, incoming) {
            Ok(driver) => {
                self.keep(index, driver);
                log::info!("SMSC {}: added as link {index}", settings.rules.smsc_id);
                Ok(index)
            }
            Err(error) => {
                self.board.borrow_mut().retire_link(index);
                Err(error)
            }
        }
    }

    /// Stops link `index` and takes it out for good.
    async fn remove(&self, index: usize) {
        self.stop(index).await;
        let mut board = self.board.borrow_mut();
        if let Some(link) = board.links.get(index) {
            log::info!("SMSC {}: removed", link.settings.rules.smsc_id);
        }
        board.retire_link(index);
    }

    /// The `smsc` groups of the configuration file as it reads now.
    fn read_links(&self) -> Result<Vec<(Option<String>, LinkSettings)>, LinkError> {
        let path = self.config_path.display().to_string();
        let loaded = conf::load(
            &self.config_path,
            conf::Reader::Bearerbox,
            &conf::LoadOptions::default(),
        )
        .map_err(|refused| LinkError::Config {
            path: path.clone(),
            reason: refused.to_string(),
        })?;
        let config = loaded.config;
        config
            .multi("smsc")
            .map(|group| {
                settings::link(group, &config)
                    .map(|link| (group.get("smsc-admin-id").map(str::to_owned), link))
                    .map_err(|error| LinkError::Config {
                        path: path.clone(),
                        reason: error.to_string(),
                    })
            })
            .collect()
    }

    fn live_with_admin_id(&self, admin_id: &str) -> Vec<usize> {
        self.board
            .borrow()
            .links
            .iter()
            .enumerate()
            .filter(|(_, link)| !link.removed && link.settings.admin_id == admin_id)
            .map(|(index, _)| index)
            .collect()
    }

    /// `stop-smsc`: false when no running link has that admin id.
    pub async fn stop_smsc(&self, admin_id: &str) -> bool {
        let _one_at_a_time = self.busy.lock().await;
        let running: Vec<usize> = self
            .live_with_admin_id(admin_id)
            .into_iter()
            .filter(|&index| {
                self.board
                    .borrow()
                    .links
                    .get(index)
                    .is_some_and(|link| !link.state.stopped)
            })
            .collect();
        for &index in &running {
            self.stop(index).await;
        }
        !running.is_empty()
    }

    /// `start-smsc`: the stopped links with that admin id start again with
    /// their group as the configuration file reads now.
    pub async fn start_smsc(&self, admin_id: &str) -> Result<(), LinkError> {
        let _one_at_a_time = self.busy.lock().await;
        let stopped: Vec<usize> = self
            .live_with_admin_id(admin_id)
            .into_iter()
            .filter(|&index| {
                self.board
                    .borrow()
                    .links
                    .get(index)
                    .is_some_and(|link| link.state.stopped)
            })
            .collect();
        if stopped.is_empty() {
            return Err(LinkError::NoGroup(admin_id.to_owned()));
        }
        let groups: Vec<LinkSettings> = self
            .read_links()?
            .into_iter()
            .map(|(_, link)| link)
            .filter(|link| link.admin_id == admin_id)
            .collect();
        let Some(first) = groups.first() else {
            return Err(LinkError::NoGroup(admin_id.to_owned()));
        };
        for (n, index) in stopped.into_iter().enumerate() {
            let settings = groups.get(n).unwrap_or(first).clone();
            self.restart(index, settings)?;
        }
        Ok(())
    }

    /// `add-smsc`: the groups named `id` (by smsc-admin-id, else smsc-id)
    /// that no running link has, started as new links.
    pub async fn add_smsc(&self, id: &str) -> Result<(), LinkError> {
        let _one_at_a_time = self.busy.lock().await;
        let groups: Vec<LinkSettings> = self
            .read_links()?
            .into_iter()
            .filter(|(admin_id, link)| {
                link.admin_id == id || (admin_id.is_some() && link.rules.smsc_id == id)
            })
            .map(|(_, link)| link)
            .filter(|link| self.live_with_admin_id(&link.admin_id).is_empty())
            .collect();
        if groups.is_empty() {
            return Err(LinkError::NoGroup(id.to_owned()));
        }
        for settings in groups {
            self.add(settings)?;
        }
        Ok(())
    }

    /// `remove-smsc`: false when no link has that admin id.
    pub async fn remove_smsc(&self, admin_id: &str) -> bool {
        let _one_at_a_time = self.busy.lock().await;
        let links = self.live_with_admin_id(admin_id);
        for &index in &links {
            self.remove(index).await;
        }
        !links.is_empty()
    }

    /// A graceful restart (admin `graceful-restart`, SIGHUP): the smsc
    /// groups are read again; a link whose group is unchanged goes on, one
    /// whose group is gone or changed is removed, and the new and changed
    /// groups start as new links. Boxes and the store are not touched.
    pub async fn graceful_restart(&self) -> Result<(), LinkError> {
        let _one_at_a_time = self.busy.lock().await;
        let mut wanted: Vec<Option<LinkSettings>> = self
            .read_links()?
            .into_iter()
            .map(|(_, link)| Some(link))
            .collect();
        let live: Vec<(usize, String)> = self
            .board
            .borrow()
            .links
            .iter()
            .enumerate()
            .filter(|(_, link)| !link.removed)
            .map(|(index, link)| (index, link.settings.fingerprint.clone()))
            .collect();
        let mut gone = Vec::new();
        for (index, fingerprint) in live {
            let same = wanted.iter_mut().find(|slot| {
                slot.as_ref()
                    .is_some_and(|link| link.fingerprint == fingerprint)
            });
            match same {
                Some(slot) => *slot = None,
                None => gone.push(index),
            }
        }
        // Removed first: a changed link may want the port its old self holds.
        for index in gone {
            self.remove(index).await;
        }
        let mut failed = None;
        for settings in wanted.into_iter().flatten() {
            let smsc_id = settings.rules.smsc_id.clone();
            if let Err(error) = self.add(settings) {
                log::error!("graceful restart: SMSC {smsc_id}: {error}");
                failed = Some(error);
            }
        }
        log::info!("graceful restart done");
        failed.map_or(Ok(()), Err)
    }

    /// Asks [`run`] to end with [`Ending::Restart`] once it stops.
    pub fn request_restart(&self) {
        self.restart.set(true);
    }
}

/// A `fake` link's listener, bound before anything changes so that a port
/// in use refuses the start cleanly.
fn bind_fake(settings: &LinkSettings) -> Result<Option<std::net::TcpListener>, LinkError> {
    match &settings.driver {
        DriverSettings::Fake { listen, .. } => std::net::TcpListener::bind(listen)
            .map(Some)
            .map_err(|error| LinkError::Listen {
                address: *listen,
                error,
            }),
        _ => Ok(None),
    }
}

/// Serves until the shutdown fires, then tells the boxes, closes the
/// listeners and drops every connection. What was not finished stays in
/// the store for the next start.
pub fn run(listeners: Listeners, shutdown: Shutdown, core: Core) -> io::Result<Ending> {
    // Shared by the tasks that spawn tasks (each box connection spawns one
    // per MT), hence 'static and reference-counted.
    let executor: Rc<LocalExecutor<'static>> = Rc::new(LocalExecutor::new());
    let admin = TcpListener::try_from(listeners.admin)?;
    let boxes = listeners.boxes.map(TcpListener::try_from).transpose()?;
    let Core {
        settings,
        store,
        mut fake_listeners,
        config_path,
        lifecycle,
        hangups,
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
    let shared: Shared = Rc::new(RefCell::new(Switchboard::new(
        settings,
        store,
        submit_senders,
        wake,
    )));
    shared.borrow_mut().set_lifecycle(lifecycle);
    // Changes the switchboard acts on once they are on disk (a freed window
    // slot, a box lane with something to read, a link's flush), in order.
    let completions = shared.borrow_mut().completions();
    let committed = shared.clone();
    executor
        .spawn(async move { Switchboard::run_after_commit(&committed, completions).await })
        .detach();
    match lifecycle {
        Lifecycle::Suspended => log::info!("Gateway is now SUSPENDED by startup arguments"),
        Lifecycle::Isolated => log::info!("Gateway is now ISOLATED by startup arguments"),
        _ => {}
    }
    match shared.borrow_mut().resume() {
        Ok((mt, mo)) if mt + mo > 0 => {
            log::info!("resuming {mt} MT and {mo} MO/report messages from the store")
        }
        Ok(_) => {}
        Err(error) => log::error!("{error}"),
    }
    let supervisor = Rc::new(Supervisor {
        executor: executor.clone(),
        board: shared.clone(),
        drivers: RefCell::new(Vec::new()),
        config_path,
        busy: Mutex::new(()),
        restart: Cell::new(false),
    });
    for (index, (link, (submissions, events, incoming))) in
        links.iter().zip(link_channels).enumerate()
    {
        let listener = fake_listeners.get_mut(index).and_then(Option::take);
        if link.dead_start {
            // Kannel's dead-start: down until `start-smsc`.
            log::info!("SMSC {}: dead-start, not started", link.rules.smsc_id);
            continue;
        }
        match supervisor.start_driver(index, link, listener, submissions, events, incoming) {
            Ok(driver) => supervisor.keep(index, driver),
            Err(error) => log::error!("{}: SMSC {}: {error}", link.location, link.rules.smsc_id),
        }
    }
    let dispatcher_board = shared.clone();
    executor
        .spawn(async move {
            loop {
                let next_due = dispatcher_board.borrow_mut().dispatch();
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
    let hangup_supervisor = supervisor.clone();
    executor
        .spawn(async move {
            while hangups.0.recv().await.is_ok() {
                log::info!("SIGHUP: restarting gracefully");
                if let Err(error) = hangup_supervisor.graceful_restart().await {
                    log::error!("graceful restart: {error}");
                }
            }
        })
        .detach();

    smol::block_on(executor.run(async {
        let admin_board = shared.clone();
        // The `shutdown` command closes the channel as the signal thread does.
        let admin_stop = shutdown.0.clone();
        let console = admin::Console::shared(&admin_board, supervisor.clone(), move || {
            admin_stop.close();
        });
        executor
            .spawn(admin::sample(admin_board.clone(), console.clone()))
            .detach();
        // The accept loops are tasks of their own, not branches of this
        // future: the executor polls this future whenever any task wakes, and
        // a listener polled for nothing costs an accept() that fails each time.
        let admin_loop = accept_loop(executor.clone(), admin, "admin", move |stream, peer| {
            admin::serve(admin_board.clone(), console.clone(), stream, peer)
        });
        let box_board = shared.clone();
        let box_executor = executor.clone();
        let box_loop = async move {
            let Some(boxes) = boxes else { return };
            let spawner = box_executor.clone();
            accept_loop(box_executor, boxes, "box", move |stream, peer| {
                let (board, spawner) = (box_board.clone(), spawner.clone());
                async move { boxc::serve(&spawner, board, stream, peer).await }
            })
            .await
        };
        let serving = [executor.spawn(admin_loop), executor.spawn(box_loop)];
        // Closed by the trigger; nothing is ever sent.
        let _ = shutdown.0.recv().await;
        for task in serving {
            task.cancel().await;
        }
        let restarting = supervisor.restart.get();
        // Kannel's graceful stop: nothing new is sent; what the SMSCs and the
        // boxes were sent is answered first, so that a restart sends none
        // of it again. What waits stays in the store.
        shared.borrow_mut().set_lifecycle(Lifecycle::ShuttingDown);
        let grace = Instant::now() + SHUTDOWN_GRACE;
        loop {
            let unsettled = shared.borrow().unsettled();
            if unsettled == 0 {
                break;
            }
            if Instant::now() >= grace {
                log::warn!(
                    "shutting down with {unsettled} message(s) sent and not answered after \
                     {SHUTDOWN_GRACE:?}: they stay in the store and are sent again after a start"
                );
                break;
            }
            Timer::after(Duration::from_millis(20)).await;
        }
        log::info!("shutting down: telling the boxes, closing listeners and connections");
        {
            let board = shared.borrow();
            // Kannel tells its boxes cmd_restart on a restart, so that they
            // come back rather than end.
            let farewell = if restarting {
                Msg::Admin {
                    command: AdminCommand::Restart,
                    boxc_id: None,
                }
            } else {
                Msg::shutdown()
            };
            for conn in &board.boxes {
                let _ = conn.outbox.try_send(farewell.clone().into());
            }
            // Every driver is told to end: an SMPP link unbinds on the way out.
            for link in &board.links {
                link.submit.close();
            }
        }
        // Let the writers flush the shutdown and the last acks, and the
        // drivers say goodbye.
        Timer::after(Duration::from_millis(100)).await;
    }));
    // The deletes of delivered messages were left to commit in the
    // background; a change queued after them returns once they are on disk,
    // so that a restart does not send them again.
    let store = shared.borrow().store.clone();
    if let Err(error) = store.delete(Vec::new()).wait_blocking() {
        log::error!("{error}");
    }
    let ending = if supervisor.restart.get() {
        Ending::Restart
    } else {
        Ending::Shutdown
    };
    drop(supervisor);
    Ok(ending)
}

async fn accept_loop<H, F>(
    executor: Rc<LocalExecutor<'static>>,
    listener: TcpListener,
    what: &'static str,
    handler: H,
) where
    H: Fn(TcpStream, SocketAddr) -> F,
    F: Future<Output = io::Result<()>> + 'static,
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

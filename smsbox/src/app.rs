//! Everything a request or an inbound message needs, built once at start
//! and shared by the tasks of the one smsbox thread.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use smol::channel::{Receiver, Sender};

use crate::bearerbox_link::Link;
use crate::credits::Accounts;
use crate::http_client::HttpClient;
use crate::services::Services;
use crate::settings::Settings;
use crate::users::Users;

#[derive(Debug)]
pub struct App {
    pub settings: Settings,
    pub users: Users,
    pub services: Services,
    /// `None` when no user has `credits`: nothing to keep then.
    pub accounts: Option<Accounts>,
    pub link: Link,
    pub client: HttpClient,
    pub background: Background,
}

/// A task of the smsbox thread.
pub type LocalTask = Pin<Box<dyn Future<Output = ()>>>;

/// Hands work that outlives the request that started it to the runtime,
/// which runs it on the smsbox thread: with `immediate-sendsms-reply` the
/// answer goes out first, and bearerbox's acks (and the refunds of
/// refused messages) are settled afterwards.
#[derive(Clone)]
pub struct Background(Sender<LocalTask>);

/// What the runtime takes tasks from.
pub struct BackgroundTasks(pub Receiver<LocalTask>);

impl fmt::Debug for Background {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Background")
    }
}

impl fmt::Debug for BackgroundTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BackgroundTasks")
    }
}

pub fn background() -> (Background, BackgroundTasks) {
    let (sender, receiver) = smol::channel::unbounded();
    (Background(sender), BackgroundTasks(receiver))
}

impl Background {
    /// Runs `task` beside the requests; dropped when the box is stopping.
    pub fn spawn(&self, task: impl Future<Output = ()> + 'static) {
        if self.0.try_send(Box::pin(task)).is_err() {
            log::debug!("shutting down: a background task was dropped");
        }
    }
}

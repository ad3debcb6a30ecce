//! The `http` link's task: MT as HTTP requests to the supplier, at most
//! `max-pending-submits` at once and no faster than `throughput`, and the
//! callback listener beside them.
//!
//! An HTTP supplier has no session to lose: the link is online from the
//! start, and a supplier that does not answer fails single messages
//! (temporarily, so they are tried again), not the link.

use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use smol::channel::{Receiver, Sender};
use smol::lock::Semaphore;
use smol::net::TcpListener;
use smol::{LocalExecutor, Timer, future};

use super::answer::{self, Verdict};
use super::client::Client;
use super::config::HttpSettings;
use super::listener;
use super::send;
use crate::smsc::{LinkEvent, Submission};

/// Runs the link until `submissions` closes.
pub async fn run(
    settings: HttpSettings,
    submissions: Receiver<Submission>,
    events: Sender<LinkEvent>,
) {
    let settings = Rc::new(settings);
    // Requests and callback connections are tasks of the link's own
    // executor, so that they end with it.
    let executor = LocalExecutor::new();
    let bound = match settings.listen {
        None => None,
        Some(address) => match TcpListener::bind(address).await {
            Ok(bound) => {
                log::info!(
                    "HTTP SMSC {}: listening for callbacks on {address}",
                    settings.smsc_id
                );
                Some(bound)
            }
            Err(error) => {
                log::error!(
                    "HTTP SMSC {}: cannot listen on {address}: {error}; no MO or reports will arrive",
                    settings.smsc_id
                );
                None
            }
        },
    };
    if events.send(LinkEvent::Online).await.is_err() {
        return;
    }
    executor
        .run(async {
            let listening = async {
                match bound {
                    Some(bound) => {
                        listener::serve(&executor, settings.clone(), bound, events.clone()).await
                    }
                    None => future::pending().await,
                }
            };
            // The listener never ends on its own: the link lives as long as
            // its submissions.
            future::or(
                submit_all(&executor, &settings, &submissions, &events),
                listening,
            )
            .await;
        })
        .await;
}

async fn submit_all(
    executor: &LocalExecutor<'_>,
    settings: &Rc<HttpSettings>,
    submissions: &Receiver<Submission>,
    events: &Sender<LinkEvent>,
) {
    let (tasks, connections) = smol::channel::unbounded();
    let client = Client::new(settings.timeout, tasks);
    let slots = Arc::new(Semaphore::new(settings.max_pending));
    let mut pace = Pace::new(settings.throughput);
    // The client's connections run on this link's executor, beside its requests.
    let spawning = async {
        while let Ok(connection) = connections.recv().await {
            executor.spawn(connection).detach();
        }
        future::pending::<()>().await
    };
    let submitting = async {
        while let Ok(submission) = submissions.recv().await {
            let slot = slots.acquire_arc().await;
            pace.wait().await;
            let client = client.clone();
            let settings = settings.clone();
            let events = events.clone();
            executor
                .spawn(async move {
                    let event = submit(&client, &settings, submission).await;
                    let _ = events.send(event).await;
                    drop(slot);
                })
                .detach();
        }
    };
    future::or(submitting, spawning).await;
}

async fn submit(client: &Client, settings: &HttpSettings, submission: Submission) -> LinkEvent {
    let Submission { token, sms } = submission;
    let url = send::request_url(settings, &sms, crate::clock::unix_now());
    let verdict = match client.get(&url).await {
        Ok(answer) => answer::judge(settings.system_type, &settings.judging, &answer),
        Err(error) => Verdict::Temporary(error.to_string()),
    };
    log::debug!(
        "HTTP SMSC {}: message {}: {verdict:?}",
        settings.smsc_id,
        sms.id
    );
    match verdict {
        Verdict::Accepted { foreign_id } => LinkEvent::Accepted {
            token,
            foreign_ids: foreign_id.into_iter().collect(),
        },
        Verdict::Temporary(reason) => LinkEvent::FailedTemporarily { token, reason },
        Verdict::Permanent(reason) => LinkEvent::FailedPermanently { token, reason },
    }
}

/// `throughput`: requests start at least 1/throughput seconds apart.
struct Pace {
    gap: Option<Duration>,
    next: Instant,
}

impl Pace {
    fn new(throughput: Option<f64>) -> Pace {
        Pace {
            gap: throughput.map(|per_second| Duration::from_secs_f64(1.0 / per_second)),
            next: Instant::now(),
        }
    }

    async fn wait(&mut self) {
        let Some(gap) = self.gap else {
            return;
        };
        let now = Instant::now();
        if self.next > now {
            Timer::at(self.next).await;
        }
        self.next = self.next.max(now) + gap;
    }
}

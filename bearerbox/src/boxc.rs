//! One box connection on `smsbox-port`: Kannel's box protocol.
//!
//! ```text
//!  socket ──bytes──▶ Deframer ──Msg──▶ identify / heartbeat / sms (MT) / ack (for MO, reports)
//!  socket ◀──frames── writer task ◀── outbox ◀── acks, MO, reports, heartbeats
//! ```
//!
//! Every MT is handled in its own task so that many wait for the same store
//! commit; its ack goes out when its commit is done. At most
//! [`MAX_UNACKED_MT`] wait so, counting those whose ack is not yet written to
//! the socket: then the connection is not read until some are acked, and TCP
//! makes the box wait, whether it is the store that is slow or the box that
//! does not read its acks. A frame that does not
//! decode ends the connection, after `admin(shutdown)` as Kannel does. A box
//! silent for longer than [`SILENCE_LIMIT`] is dropped: Kannel's boxes send
//! a heartbeat every 30 s.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use box_protocol::frame::{Deframer, Limits, write_frame};
use box_protocol::message::{AdminCommand, Msg};
use futures_lite::{AsyncReadExt, AsyncWriteExt, future};
use smol::lock::{Semaphore, SemaphoreGuardArc};
use smol::net::TcpStream;
use smol::{LocalExecutor, Timer};

use crate::backpressure::PauseLog;
use crate::deadline::Deadline;
use crate::switchboard::{Shared, Switchboard};
use crate::tcp_reader::TcpReader;

/// A box that sent nothing for this long is gone (three missed heartbeats).
pub const SILENCE_LIMIT: Duration = Duration::from_secs(100);

/// How often we tell a box we are alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(30);

/// MT messages from one box that wait for their commit and ack. Our smsbox
/// has one waiting per HTTP request it is answering; a box that sends
/// without waiting for acks (a bulk loader) would otherwise fill bearerbox's
/// memory with messages waiting for the store.
pub const MAX_UNACKED_MT: usize = 1024;

/// Serves one box until it disconnects, goes silent or breaks the protocol.
pub async fn serve(
    executor: &LocalExecutor<'static>,
    shared: Shared,
    stream: TcpStream,
    peer: SocketAddr,
) -> io::Result<()> {
    if !shared.borrow().settings.box_access.permits(peer.ip()) {
        log::warn!("box connection from {peer} refused by box-allow-ip/box-deny-ip");
        return Ok(());
    }
    let _ = stream.set_nodelay(true);
    log::info!("box connected from {peer}");
    let (outbox, outgoing) = smol::channel::unbounded::<Outgoing>();
    let id = shared
        .borrow_mut()
        .add_box(outbox.clone(), peer.to_string());

    let writer = executor.spawn(write_frames(stream.clone(), outgoing));
    let heartbeat_outbox = outbox.clone();
    let heartbeats = executor.spawn(async move {
        loop {
            Timer::after(HEARTBEAT_EVERY).await;
            if heartbeat_outbox
                .send(Msg::heartbeat(0).into())
                .await
                .is_err()
            {
                break;
            }
        }
    });

    let result = read_frames(executor, &shared, id, stream, &outbox).await;
    shared.borrow_mut().remove_box(id);
    heartbeats.cancel().await;
    outbox.close();
    let _ = writer.await;
    match &result {
        Ok(reason) => log::info!("box {peer} disconnected: {reason}"),
        Err(error) => log::warn!("box {peer} dropped: {error}"),
    }
    result.map(|_| ())
}

/// A frame for the box. An ack keeps its MT's place among the box's
/// [`MAX_UNACKED_MT`] until it is written: a box that never reads its acks
/// then stops being read, instead of having acks queue for it without end.
pub struct Outgoing {
    msg: Msg,
    unacked: Option<SemaphoreGuardArc>,
}

impl From<Msg> for Outgoing {
    fn from(msg: Msg) -> Outgoing {
        Outgoing { msg, unacked: None }
    }
}

/// Writes queued messages, as many as are waiting in one write.
async fn write_frames(
    mut stream: TcpStream,
    outgoing: smol::channel::Receiver<Outgoing>,
) -> io::Result<()> {
    let mut buffer = Vec::with_capacity(64 * 1024);
    let mut written_acks = Vec::new();
    while let Ok(first) = outgoing.recv().await {
        buffer.clear();
        let mut next = Some(first);
        while let Some(Outgoing { msg, unacked }) = next {
            if let Err(error) = write_frame(&msg, &mut buffer) {
                log::error!(
                    "a {} for a box could not be framed: {error}",
                    msg.type_name()
                );
            }
            written_acks.extend(unacked);
            next = if buffer.len() < 256 * 1024 {
                outgoing.try_recv().ok()
            } else {
                None
            };
        }
        stream.write_all(&buffer).await?;
        written_acks.clear();
    }
    let _ = stream.flush().await;
    Ok(())
}

async fn read_frames(
    executor: &LocalExecutor<'static>,
    shared: &Shared,
    id: u64,
    stream: TcpStream,
    outbox: &smol::channel::Sender<Outgoing>,
) -> io::Result<&'static str> {
    let mut stream = TcpReader::new(stream);
    let mut deframer = Deframer::new(Limits::default());
    let mut buffer = vec![0u8; 64 * 1024];
    let mut silence = Deadline::new();
    let mut heard = Instant::now();
    let unacked = Arc::new(Semaphore::new(MAX_UNACKED_MT));
    let mut pauses = PauseLog::default();
    loop {
        let read = future::or(async { Some(stream.read(&mut buffer).await) }, async {
            silence.until(heard + SILENCE_LIMIT).await;
            None
        })
        .await;
        heard = Instant::now();
        let count = match read {
            None => return Ok("silent for too long"),
            Some(Ok(0)) => return Ok("end of stream"),
            Some(Ok(count)) => count,
            Some(Err(error)) => return Err(error),
        };
        deframer.push(buffer.get(..count).unwrap_or_default());
        loop {
            match deframer.next_msg() {
                Ok(None) => break,
                Ok(Some(msg)) => {
                    let permit = match &msg {
                        Msg::Sms(_) => Some(match unacked.try_acquire_arc() {
                            Some(permit) => permit,
                            None => {
                                let permit = wait_for_acks(&unacked, id, &mut pauses).await;
                                // Not the box's silence: we did not listen.
                                heard = Instant::now();
                                permit
                            }
                        }),
                        _ => None,
                    };
                    handle(executor, shared, id, msg, outbox, permit);
                }
                Err(error) => {
                    let _ = outbox.try_send(Msg::shutdown().into());
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("broken frame, box told to shut down: {error}"),
                    ));
                }
            }
        }
    }
}

/// Waits, the connection unread, until the ack of one of the box's `MAX_UNACKED_MT` is written.
async fn wait_for_acks(
    unacked: &Arc<Semaphore>,
    id: u64,
    pauses: &mut PauseLog,
) -> SemaphoreGuardArc {
    log::log!(
        pauses.level(),
        "box {id}: {MAX_UNACKED_MT} MT wait for the store or for the box to read their acks; reading paused"
    );
    unacked.acquire_arc().await
}

/// `permit` is an MT's place among those waiting for the store (`MAX_UNACKED_MT`),
/// held until its ack is written.
fn handle(
    executor: &LocalExecutor<'static>,
    shared: &Shared,
    id: u64,
    msg: Msg,
    outbox: &smol::channel::Sender<Outgoing>,
    permit: Option<SemaphoreGuardArc>,
) {
    match msg {
        Msg::Admin {
            command: AdminCommand::Identify,
            boxc_id,
        } => {
            let smsbox_id = boxc_id.map(|id| String::from_utf8_lossy(&id).into_owned());
            shared.borrow_mut().identify(id, smsbox_id);
        }
        Msg::Admin { command, .. } => log::debug!("box sent admin command {command:?}; ignored"),
        Msg::Heartbeat { .. } => {}
        Msg::Ack {
            nack,
            id: message_id,
            ..
        } => shared.borrow_mut().box_ack(id, message_id, nack),
        Msg::Sms(sms) => {
            shared.borrow_mut().mark_routable(id);
            let shared = shared.clone();
            let outbox = outbox.clone();
            executor
                .spawn(async move {
                    let (time, message_id) = (sms.time, sms.id);
                    let acceptance = Switchboard::accept_mt(&shared, sms).await;
                    let ack = Msg::Ack {
                        nack: acceptance.ack_status(),
                        time,
                        id: message_id,
                    };
                    let _ = outbox
                        .send(Outgoing {
                            msg: ack,
                            unacked: permit,
                        })
                        .await;
                })
                .detach();
        }
        Msg::WdpDatagram { .. } => log::debug!("box sent a WAP datagram; ignored"),
    }
}

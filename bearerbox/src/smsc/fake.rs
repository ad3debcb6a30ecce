//! The `fake` driver: bearerbox listens on `port` and Kannel's `fakesmsc`
//! (or any client speaking its line protocol) connects. Used to test and to
//! demonstrate the gateway without a real SMSC, exactly as with Kannel.
//!
//! As in Kannel, a message written to the client counts as accepted, with
//! the message's UUID as the SMSC's id, and a delivery report "delivered" is
//! made up at once when the message asked for one.

use std::net::SocketAddr;

use box_protocol::message::{Coding, Sms, SmsType};
use futures_lite::{AsyncBufReadExt, AsyncWriteExt, StreamExt, io::BufReader};
use smol::channel::{Receiver, Sender};
use smol::net::{TcpListener, TcpStream};

use super::fake_line::{self, LineCoding};
use super::{LinkEvent, Submission};
use crate::dlr::DlrEvent;
use crate::ip_list::IpList;

/// Longest line we read from a client: a 64 KiB message url-encoded, and
/// then some. A longer line is a broken client, not a message.
const MAX_LINE: usize = 256 * 1024;

#[derive(Debug, Clone)]
pub struct FakeConfig {
    pub smsc_id: String,
    pub listen: SocketAddr,
    /// `connect-allow-ip`: when set, only these addresses may connect.
    pub allow: Option<IpList>,
}

/// Serves one client at a time until `submissions` closes.
pub async fn run(
    config: FakeConfig,
    listener: TcpListener,
    submissions: Receiver<Submission>,
    events: Sender<LinkEvent>,
) {
    loop {
        let accepted = futures_lite::future::or(async { Some(listener.accept().await) }, async {
            // Nothing is sent to a link without a client, so whatever arrives
            // here was left over from the last client, and the Offline event
            // put it back in the core's queues already.
            while submissions.recv().await.is_ok() {}
            None
        })
        .await;
        let Some(accepted) = accepted else {
            log::info!("fake SMSC {}: stopped; no longer listening", config.smsc_id);
            return;
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                log::warn!("fake SMSC {}: accept failed: {error}", config.smsc_id);
                smol::Timer::after(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        if let Some(allow) = &config.allow
            && !allow.contains(peer.ip())
        {
            log::info!(
                "fake SMSC {}: connection from denied host {} closed",
                config.smsc_id,
                peer.ip()
            );
            continue;
        }
        log::info!("fake SMSC {}: client connected from {peer}", config.smsc_id);
        let _ = stream.set_nodelay(true);
        if events.send(LinkEvent::Online).await.is_err() {
            return;
        }
        let reason = serve(&config, stream, &submissions, &events).await;
        log::info!("fake SMSC {}: client gone: {reason}", config.smsc_id);
        if events.send(LinkEvent::Offline { reason }).await.is_err() || submissions.is_closed() {
            return;
        }
    }
}

enum Next {
    Submit(Box<Submission>),
    End(String),
}

/// Moves messages both ways until the client leaves; returns why it ended.
async fn serve(
    config: &FakeConfig,
    stream: TcpStream,
    submissions: &Receiver<Submission>,
    events: &Sender<LinkEvent>,
) -> String {
    let (gone_tx, gone_rx) = smol::channel::bounded::<String>(1);
    let reader = smol::spawn(read_lines(
        config.smsc_id.clone(),
        stream.clone(),
        events.clone(),
        gone_tx,
    ));
    let mut writer = stream;
    let reason = loop {
        let next = futures_lite::future::or(
            async {
                match submissions.recv().await {
                    Ok(submission) => Next::Submit(Box::new(submission)),
                    Err(_) => Next::End("shutting down".to_owned()),
                }
            },
            async {
                Next::End(
                    gone_rx
                        .recv()
                        .await
                        .unwrap_or_else(|_| "reader stopped".into()),
                )
            },
        )
        .await;
        let submission = match next {
            Next::Submit(submission) => *submission,
            Next::End(reason) => break reason,
        };
        let line = line_for(&submission.sms);
        if let Err(error) = writer.write_all(&line).await {
            let _ = events
                .send(LinkEvent::FailedTemporarily {
                    token: submission.token,
                    reason: format!("writing to the fakesmsc client failed: {error}"),
                })
                .await;
            break format!("write failed: {error}");
        }
        let foreign_id = submission.sms.id.to_string();
        let _ = events
            .send(LinkEvent::Accepted {
                token: submission.token,
                foreign_ids: vec![foreign_id.clone()],
            })
            .await;
        if DlrEvent::Delivered.wanted_by(submission.sms.dlr_mask) {
            let _ = events
                .send(LinkEvent::Report {
                    foreign_id,
                    event: DlrEvent::Delivered,
                    text: None,
                    meta_data: None,
                })
                .await;
        }
    };
    reader.cancel().await;
    reason
}

fn line_for(sms: &Sms) -> Vec<u8> {
    let coding = match sms.coding {
        Some(Coding::EightBit) => LineCoding::EightBit,
        Some(Coding::Ucs2) => LineCoding::Ucs2,
        _ => LineCoding::SevenBit,
    };
    fake_line::format_for_client(
        sms.sender.as_deref().unwrap_or_default(),
        sms.receiver.as_deref().unwrap_or_default(),
        sms.udhdata.as_deref(),
        sms.msgdata.as_deref().unwrap_or_default(),
        coding,
    )
}

async fn read_lines(
    smsc_id: String,
    stream: TcpStream,
    events: Sender<LinkEvent>,
    gone: Sender<String>,
) {
    let mut lines = BufReader::new(stream).split(b'\n');
    let reason = loop {
        match lines.next().await {
            None => break "end of stream".to_owned(),
            Some(Err(error)) => break format!("read failed: {error}"),
            Some(Ok(line)) if line.len() > MAX_LINE => {
                break format!(
                    "a line of {} bytes is over the {MAX_LINE}-byte limit",
                    line.len()
                );
            }
            Some(Ok(line)) => match fake_line::parse_client_line(&line) {
                Ok(parsed) => {
                    let sms = mo_from_line(&smsc_id, parsed);
                    if events
                        .send(LinkEvent::Received(Box::new(sms)))
                        .await
                        .is_err()
                    {
                        break "shutting down".to_owned();
                    }
                }
                Err(error) => log::warn!("fake SMSC {smsc_id}: {error}; line ignored"),
            },
        }
    };
    let _ = gone.send(reason).await;
}

fn mo_from_line(smsc_id: &str, line: fake_line::ClientLine) -> Sms {
    let mut sms = Sms::undefined(uuid::Uuid::new_v4());
    sms.sms_type = Some(SmsType::Mo);
    sms.sender = Some(line.sender);
    sms.receiver = Some(line.receiver);
    sms.udhdata = line.udh;
    sms.msgdata = Some(line.data);
    sms.coding = match line.coding {
        LineCoding::Undefined => None,
        LineCoding::SevenBit => Some(Coding::SevenBit),
        LineCoding::EightBit => Some(Coding::EightBit),
        LineCoding::Ucs2 => Some(Coding::Ucs2),
    };
    sms.boxc_id = line.boxc_id;
    sms.dlr_mask = line.dlr_mask;
    sms.smsc_id = Some(smsc_id.as_bytes().to_vec());
    sms.time = Some(crate::clock::unix_now_i32());
    sms
}

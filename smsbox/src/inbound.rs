//! Messages bearerbox hands this box: MO to sms-services, delivery
//! reports to refunds and dlr-url callbacks. Each is acked with its own id
//! once it has been handled (the service called, the callback made), not on
//! arrival as Kannel's smsbox acks: until the ack, bearerbox keeps it in its
//! store, so a killed smsbox loses none, and bearerbox's window per box
//! (`smsbox-max-pending`) bounds what this box holds in memory.
//!
//! Reports travel in lanes chosen by their dlr-url (which carries the MT's
//! id when tracked), each lane one at a time: the reports of one message
//! reach the user's URL in bearerbox's order (the SMSC's ack, then the
//! final state) while other messages' reports go on beside them.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use box_protocol::encoding::ucs2;
use box_protocol::message::{AckStatus, Coding, Sms, SmsType};
use smol::LocalExecutor;
use smol::channel::{Receiver, Sender};

use crate::app::App;
use crate::dlr_url;
use crate::escapes::{self, Context};
use crate::http_client::Outgoing;
use crate::services;

const LANES: usize = 8;

/// Takes inbound messages until the channel closes.
pub async fn dispatch(
    executor: Rc<LocalExecutor<'static>>,
    app: Rc<App>,
    inbound: Receiver<Box<Sms>>,
) {
    let mut lanes: Vec<Sender<Box<Sms>>> = Vec::new();
    for _ in 0..LANES {
        let (sender, receiver) = smol::channel::unbounded::<Box<Sms>>();
        lanes.push(sender);
        let app = app.clone();
        executor
            .spawn(async move {
                while let Ok(report) = receiver.recv().await {
                    let (id, time) = (report.id, report.time);
                    report_arrived(&app, report).await;
                    app.link.ack_id(id, time, AckStatus::Success);
                }
            })
            .detach();
    }
    while let Ok(sms) = inbound.recv().await {
        if sms.sender.is_none() || sms.receiver.is_none() {
            log::warn!(
                "message {} from bearerbox without sender or receiver; refused",
                sms.id
            );
            app.link.ack(&sms, AckStatus::Failed);
            continue;
        }
        if sms.sms_type == Some(SmsType::ReportMo) {
            let mut hasher = DefaultHasher::new();
            report_lane_key(&sms).hash(&mut hasher);
            let lane = (hasher.finish() as usize) % LANES;
            let _ = lanes[lane].send(sms).await;
        } else {
            let app = app.clone();
            executor
                .spawn(async move {
                    let (id, time) = (sms.id, sms.time);
                    mo_arrived(&app, sms).await;
                    app.link.ack_id(id, time, AckStatus::Success);
                })
                .detach();
        }
    }
}

/// What keeps the reports of one message in one lane: the MT's id, which
/// bearerbox writes into a report's meta-data (`?orig_msg?...&id=<id>&`),
/// else its dlr-url. Not the dlr-url alone: one URL for every message (the
/// common case) would put every report in one lane, one callback at a time.
fn report_lane_key(report: &Sms) -> &[u8] {
    let meta = report.meta_data.as_deref().unwrap_or_default();
    orig_msg_id(meta).unwrap_or_else(|| report.dlr_url.as_deref().unwrap_or_default())
}

/// The `id` of the `?orig_msg?` section of meta-data.
fn orig_msg_id(meta: &[u8]) -> Option<&[u8]> {
    crate::escapes::meta_raw(meta, b"orig_msg", b"id").filter(|id| !id.is_empty())
}

/// Kannel 1.4.5's `mo-recode`: UCS-2 text becomes UTF-8 with coding 0 and
/// charset UTF-8, so services get readable text instead of UTF-16 octets.
/// Octets that are not UTF-16BE (an odd length, a lone surrogate) stay as
/// they came, as Kannel leaves them when its recoding fails.
pub fn recode(mo: &mut Sms) {
    if mo.coding != Some(Coding::Ucs2) {
        return;
    }
    match ucs2::decode(mo.msgdata.as_deref().unwrap_or_default()) {
        Ok(text) => {
            log::info!("MO {} converted from UCS-2 to UTF-8", mo.id);
            mo.msgdata = Some(text.into_bytes());
            mo.coding = Some(Coding::SevenBit);
            mo.charset = Some(b"UTF-8".to_vec());
        }
        Err(error) => log::info!("MO {} left as UCS-2: {error}", mo.id),
    }
}

async fn mo_arrived(app: &App, mut mo: Box<Sms>) {
    if app.settings.mo_recode {
        recode(&mut mo);
    }
    let text = services::mo_text(&mo);
    let replies = match app.services.select(&mo) {
        Some(service) => {
            log::info!(
                "MO {} from {:?}: service {:?}",
                mo.id,
                String::from_utf8_lossy(mo.sender.as_deref().unwrap_or_default()),
                service.name
            );
            services::run(service, &mo, &app.settings, &app.client).await
        }
        None => {
            log::info!("MO {}: no service for {text:?}", mo.id);
            let mut reply = Sms::new_mt(
                app.settings
                    .global_sender
                    .clone()
                    .map(String::into_bytes)
                    .or_else(|| mo.receiver.clone())
                    .unwrap_or_default(),
                mo.sender.clone().unwrap_or_default(),
                &app.settings.reply_requestfailed,
            );
            reply.sms_type = Some(SmsType::MtReply);
            reply.smsc_id = mo.smsc_id.clone();
            reply.time = Some(crate::sendsms::now() as i32);
            reply.udhdata = Some(Vec::new());
            reply.dlr_url = Some(Vec::new());
            vec![reply]
        }
    };
    for mut reply in replies {
        reply.boxc_id = app.settings.smsbox_id.clone().map(String::into_bytes);
        if let Err(error) = app.link.push(reply) {
            log::warn!("reply to MO {}: {error}", mo.id);
        }
    }
}

async fn report_arrived(app: &App, report: Box<Sms>) {
    let event = report.dlr_mask.unwrap_or(-1);
    let wire = String::from_utf8_lossy(report.dlr_url.as_deref().unwrap_or_default()).into_owned();
    let carried = dlr_url::read(&wire);
    if let (Some(id), Some(accounts)) = (&carried.message_id, app.accounts.clone())
        && dlr_url::is_failure(event)
    {
        let id = id.clone();
        let reason = format!("delivery failed (DLR event {event})");
        match accounts.refund(&id, &reason).await {
            Ok(0) => {}
            Ok(parts) => log::info!("refunded {parts} credit(s) for a failed message"),
            Err(error) => log::error!("refund after DLR {event}: {error}"),
        }
    }
    if !dlr_url::wanted(&carried, event) {
        return;
    }
    let mut view = report.clone();
    view.dlr_url = Some(carried.url.clone().into_bytes());
    let text = String::from_utf8_lossy(report.msgdata.as_deref().unwrap_or_default()).into_owned();
    let name = String::from_utf8_lossy(report.service.as_deref().unwrap_or_default()).into_owned();
    let url = escapes::expand(
        &carried.url,
        &Context {
            sms: &view,
            text: &text,
            name: &name,
            now: crate::sendsms::now(),
        },
    );
    match app.client.fetch(&Outgoing::get(&url)).await {
        Ok(reply) => log::debug!("dlr-url {url} answered {}", reply.status),
        Err(error) => log::warn!("dlr-url callback failed: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reports_of_one_message_share_a_lane_key_and_others_differ() {
        let meta = |id: &str| format!("?smpp?x=1&?orig_msg?dlr_mask=3&id={id}&").into_bytes();
        assert_eq!(orig_msg_id(&meta("abc")), Some(&b"abc"[..]));
        assert_eq!(orig_msg_id(b"?orig_msg?dlr_mask=3&"), None);
        assert_eq!(orig_msg_id(b""), None);
        let report = |id: &str| Sms {
            meta_data: Some(meta(id)),
            dlr_url: Some(b"http://same/url".to_vec()),
            ..Sms::undefined(uuid::Uuid::nil())
        };
        assert_eq!(report_lane_key(&report("a")), b"a");
        assert_ne!(report_lane_key(&report("a")), report_lane_key(&report("b")));
    }

    #[test]
    fn mo_recode_turns_ucs2_into_utf8_text_and_leaves_broken_octets() {
        let mut mo = Sms::new_mo(
            b"111".as_slice(),
            b"5555".as_slice(),
            ucs2::encode("Привет €"),
            Coding::Ucs2,
            b"fake1".as_slice(),
        );
        recode(&mut mo);
        assert_eq!(mo.msgdata.as_deref(), Some("Привет €".as_bytes()));
        assert_eq!(mo.coding, Some(Coding::SevenBit));
        assert_eq!(mo.charset.as_deref(), Some(&b"UTF-8"[..]));

        let lone_surrogate = [0xD8, 0x00, 0x00, 0x41];
        let mut broken = Sms::new_mo(
            b"111".as_slice(),
            b"5555".as_slice(),
            lone_surrogate,
            Coding::Ucs2,
            b"fake1".as_slice(),
        );
        recode(&mut broken);
        assert_eq!(broken.msgdata.as_deref(), Some(&lone_surrogate[..]));
        assert_eq!(broken.coding, Some(Coding::Ucs2));
    }
}

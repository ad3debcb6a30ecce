//! Kannel's `loopback` driver: every MT is accepted and comes straight back
//! as an MO, from the same sender to the same receiver, with a fresh id and
//! the link's id (or `reroute-smsc-id`) as its smsc-id.

use box_protocol::message::SmsType;
use smol::channel::{Receiver, Sender};

use super::{LinkEvent, Submission};

pub async fn run(smsc_id: String, submissions: Receiver<Submission>, events: Sender<LinkEvent>) {
    if events.send(LinkEvent::Online).await.is_err() {
        return;
    }
    while let Ok(Submission { token, sms }) = submissions.recv().await {
        let foreign_id = sms.id.to_string();
        let mut mo = sms;
        mo.sms_type = Some(SmsType::Mo);
        mo.id = uuid::Uuid::new_v4();
        mo.boxc_id = None;
        mo.dlr_mask = None;
        mo.dlr_url = None;
        mo.smsc_id = Some(smsc_id.as_bytes().to_vec());
        let accepted = LinkEvent::Accepted {
            token,
            foreign_ids: vec![foreign_id],
        };
        if events.send(accepted).await.is_err()
            || events.send(LinkEvent::Received(mo)).await.is_err()
        {
            return;
        }
    }
}

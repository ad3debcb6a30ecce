//! Ours: `smsc = sim`, an SMSC simulated inside bearerbox for the demo and
//! for trying a configuration without an operator. It accepts every message
//! with an id of its own and reports it delivered when the message asked.

use smol::channel::{Receiver, Sender};

use super::{LinkEvent, Submission};
use crate::dlr::DlrEvent;

pub async fn run(smsc_id: String, submissions: Receiver<Submission>, events: Sender<LinkEvent>) {
    if events.send(LinkEvent::Online).await.is_err() {
        return;
    }
    let mut next_id: u64 = 1;
    while let Ok(Submission { token, sms }) = submissions.recv().await {
        let foreign_id = format!("{smsc_id}-{next_id}");
        next_id += 1;
        let accepted = LinkEvent::Accepted {
            token,
            foreign_ids: vec![foreign_id.clone()],
        };
        if events.send(accepted).await.is_err() {
            return;
        }
        // A real SMSC sends a receipt whenever one was asked for; the core
        // passes on only the events the message wants.
        let asked = [
            DlrEvent::Delivered,
            DlrEvent::Undelivered,
            DlrEvent::Buffered,
        ]
        .iter()
        .any(|event| event.wanted_by(sms.dlr_mask));
        if asked {
            let text = format!("id:{foreign_id} sub:001 dlvrd:001 stat:DELIVRD err:000");
            let report = LinkEvent::Report {
                foreign_id,
                event: DlrEvent::Delivered,
                text: Some(text.into_bytes()),
                meta_data: None,
            };
            if events.send(report).await.is_err() {
                return;
            }
        }
    }
}

//! The admin commands, each a function over the switchboard answering with
//! Kannel's exact words. A command that cannot do what it is asked answers
//! with Kannel's failure text and changes nothing.

use uuid::Uuid;

use crate::process::logging::{self, Level};
use crate::runtime::Supervisor;
use crate::store::{Direction, Store};
use crate::switchboard::{Lifecycle, Shared, Switchboard};

/// Kannel's answer to most commands once shutdown has begun.
pub const TOO_LATE: &str = "Avalanche has already started, too late to save the sheeps";

pub fn suspend(board: &mut Switchboard) -> &'static str {
    if board.lifecycle == Lifecycle::Suspended {
        return "Already suspended";
    }
    board.set_lifecycle(Lifecycle::Suspended);
    log::info!("admin: suspended");
    "Kannel suspended"
}

pub fn isolate(board: &mut Switchboard) -> &'static str {
    if board.lifecycle == Lifecycle::Isolated {
        return "Already isolated";
    }
    board.set_lifecycle(Lifecycle::Isolated);
    log::info!("admin: isolated from the SMSCs' MO");
    "Kannel isolated from message providers"
}

pub fn resume(board: &mut Switchboard) -> &'static str {
    if board.lifecycle == Lifecycle::Running {
        return "Already running";
    }
    board.set_lifecycle(Lifecycle::Running);
    log::info!("admin: running resumed");
    "Running resumed"
}

/// `stop-smsc`: every running link with that admin id disconnects (an SMPP
/// link unbinds) and stays down; what it had not answered goes back to the
/// queues, for another allowed link or for its return.
pub async fn stop_smsc(supervisor: &Supervisor, admin_id: &str) -> String {
    if !supervisor.stop_smsc(admin_id).await {
        return format!("Could not shut down smsc-id `{admin_id}'");
    }
    log::info!("admin: SMSC {admin_id} shut down");
    format!("SMSC `{admin_id}' shut down")
}

/// `start-smsc`: a stopped link starts again, with its group as the
/// configuration file reads now and its counters at 0, as Kannel's.
pub async fn start_smsc(supervisor: &Supervisor, admin_id: &str) -> String {
    match supervisor.start_smsc(admin_id).await {
        Ok(()) => {
            log::info!("admin: SMSC {admin_id} re-started");
            format!("SMSC `{admin_id}' re-started")
        }
        Err(error) => {
            log::warn!("admin: start-smsc {admin_id}: {error}");
            format!("Could not re-start smsc-id `{admin_id}'")
        }
    }
}

/// `add-smsc`: a group of the configuration file that no running link has
/// is started as a new link.
pub async fn add_smsc(supervisor: &Supervisor, id: &str) -> String {
    match supervisor.add_smsc(id).await {
        Ok(()) => {
            log::info!("admin: SMSC {id} added");
            format!("SMSC `{id}' added")
        }
        Err(error) => {
            log::warn!("admin: add-smsc {id}: {error}");
            format!("Could not add smsc-id `{id}'")
        }
    }
}

/// `remove-smsc`: the link stops and is gone from the status; messages only
/// it could carry are routed anew, and fail as unroutable if nothing else
/// may carry them.
pub async fn remove_smsc(supervisor: &Supervisor, admin_id: &str) -> String {
    if !supervisor.remove_smsc(admin_id).await {
        return format!("Could not remove smsc-id `{admin_id}'");
    }
    log::info!("admin: SMSC {admin_id} removed");
    format!("SMSC `{admin_id}' removed")
}

/// `graceful-restart`: the smsc groups are read again (see
/// [`Supervisor::graceful_restart`]). Kannel answers the same whatever the
/// outcome; a failure is in the log.
pub async fn graceful_restart(supervisor: &Supervisor) -> String {
    log::info!("admin: graceful restart requested");
    if let Err(error) = supervisor.graceful_restart().await {
        log::error!("admin: graceful restart: {error}");
    }
    "Restarting gracefully.....".to_owned()
}

/// Kannel reads the level with `atoi`: leading digits, else 0.
pub fn parse_level(text: &str) -> i64 {
    let text = text.trim_start();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits: String = digits
        .chars()
        .take_while(char::is_ascii_digit)
        .take(18)
        .collect();
    digits.parse::<i64>().map_or(0, |n| sign * n)
}

/// `log-level`: the level of every log file; the console keeps its `-v`.
pub fn log_level(level: Option<&str>) -> String {
    let Some(level) = level else {
        return "New level not given".to_owned();
    };
    let number = parse_level(level);
    // Kannel stores any number; below 0 everything passes, above the top
    // only panics do.
    let level = Level::from_kannel(number).unwrap_or(if number < 0 {
        Level::Debug
    } else {
        Level::Panic
    });
    logging::set_file_level(level);
    log::warn!("admin: log-level set to {number}");
    format!("log-level set to {number}")
}

/// `flush-dlr`: forgets every submission still waiting for its report.
pub async fn flush_dlr(shared: &Shared) -> String {
    let (suspended, store) = {
        let board = shared.borrow();
        (board.lifecycle == Lifecycle::Suspended, board.store.clone())
    };
    if !suspended {
        return "Suspend Kannel before trying to flush DLR queue".to_owned();
    }
    let flushed = store.flush_reports().wait().await;
    match flushed {
        Ok(count) => {
            log::info!("admin: {count} waiting delivery reports flushed");
            "DLR queue flushed".to_owned()
        }
        Err(error) => {
            log::error!("admin: flushing the delivery reports failed: {error}");
            "Could not flush DLR queue".to_owned()
        }
    }
}

/// Takes a message out of the lanes' memory; its direction and store seq.
fn take_from_lanes(board: &mut Switchboard, id: Uuid) -> Option<(Direction, i64)> {
    let lanes = [
        (Direction::ToSmsc, &mut board.lanes),
        (Direction::ToBox, &mut board.box_lanes),
    ];
    for (direction, lanes) in lanes {
        for lane in lanes.values_mut() {
            if let Some(at) = lane.window.iter().position(|m| m.sms.id == id) {
                return lane.window.remove(at).map(|m| (direction, m.seq));
            }
            if let Some(at) = lane.deferred.iter().position(|m| m.sms.id == id) {
                return Some((direction, lane.deferred.remove(at).seq));
            }
        }
    }
    None
}

/// Handed to a link or a box, and not answered yet.
fn in_flight(board: &Switchboard, id: Uuid) -> bool {
    board
        .links
        .iter()
        .any(|link| link.in_flight.values().any(|(_, m)| m.sms.id == id))
        || board
            .boxes
            .iter()
            .any(|conn| conn.pending.contains_key(&id))
}

/// A message found in the store: where it waits.
struct Found {
    direction: Direction,
    lane: String,
    seq: i64,
}

/// Searches the store beyond the lanes' windows, a page at a time: between
/// pages bearerbox goes on with its work, which a search through a large
/// queue would otherwise hold up for seconds.
async fn find_in_store(store: &Store, id: Uuid) -> Option<Found> {
    let lanes = store.lanes().ok()?;
    for lane in lanes {
        let mut after = 0;
        loop {
            let rows = store
                .read_lane(lane.direction, &lane.lane, after, crate::status::PAGE)
                .ok()?;
            let complete = rows.len() < crate::status::PAGE;
            for row in rows {
                after = row.seq;
                if let Ok(box_protocol::message::Msg::Sms(sms)) =
                    box_protocol::message::Msg::decode(&row.payload)
                    && sms.id == id
                {
                    return Some(Found {
                        direction: lane.direction,
                        lane: lane.lane,
                        seq: row.seq,
                    });
                }
            }
            if complete {
                break;
            }
            futures_lite::future::yield_now().await;
        }
    }
    None
}

/// Whether the store still holds `found`: it may have been sent while the
/// search went on.
fn still_stored(store: &Store, found: &Found) -> bool {
    store
        .read_lane(found.direction, &found.lane, found.seq - 1, 1)
        .is_ok_and(|rows| rows.first().is_some_and(|row| row.seq == found.seq))
}

/// `remove-message`: deletes a queued message that no link or box holds.
pub async fn remove_message(shared: &Shared, id: Option<&str>) -> String {
    let Some(id) = id else {
        return "Message id not given".to_owned();
    };
    if id.len() != 36 {
        return "Message id should be 36 characters long".to_owned();
    }
    let refused = format!("Could not remove message id `{id}'");
    let Ok(uuid) = Uuid::parse_str(id) else {
        return refused;
    };
    let removed = format!("Message id `{id}' removed");
    let (in_a_lane, store) = {
        let mut board = shared.borrow_mut();
        if in_flight(&board, uuid) {
            return refused;
        }
        (take_from_lanes(&mut board, uuid), board.store.clone())
    };
    let (direction, seq) = match in_a_lane {
        Some(found) => found,
        None => {
            let Some(found) = find_in_store(&store, uuid).await else {
                return refused;
            };
            // The gateway ran on during the search: the message may have
            // been read into its lane, or handed over and sent.
            let mut board = shared.borrow_mut();
            if in_flight(&board, uuid) {
                return refused;
            }
            match take_from_lanes(&mut board, uuid) {
                Some(found) => found,
                None if still_stored(&store, &found) => (found.direction, found.seq),
                None => return refused,
            }
        }
    };
    // Answered only once committed, so that the answer is true.
    if let Err(error) = store.delete(vec![seq]).wait().await {
        log::error!("admin: removing message {id}: {error}");
        return refused;
    }
    // An MO or report found in the store may still be on its way into its
    // lane after its own commit: let it arrive, to be taken out below.
    let passed = shared.borrow().after_commits_passed();
    if let Some(passed) = passed {
        let _ = passed.recv().await;
    }
    let mut board = shared.borrow_mut();
    // A refill may have read it while the delete was committed.
    take_from_lanes(&mut board, uuid);
    if direction == Direction::ToSmsc {
        board.queued_mt = board.queued_mt.saturating_sub(1);
    }
    if in_flight(&board, uuid) {
        log::warn!("admin: message {id} was handed over while being removed");
        return refused;
    }
    log::info!("admin: message {id} removed from the store");
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_read_as_atoi_reads_them() {
        assert_eq!(parse_level("1"), 1);
        assert_eq!(parse_level("x"), 0);
        assert_eq!(parse_level("9"), 9);
        assert_eq!(parse_level("-1"), -1);
        assert_eq!(parse_level("3abc"), 3);
    }
}

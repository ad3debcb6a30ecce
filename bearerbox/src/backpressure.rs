//! A peer's connection left unread while what it sent waits for the store:
//! an SMSC link past its unanswered inbound PDUs, a box connection past its
//! unacked MT. TCP then makes the peer wait, instead of bearerbox's memory.

/// How a connection's pauses are logged: at info the first time, then at
/// debug, since a peer that floods meets a pause at every turn and the log
/// would say little else.
#[derive(Debug, Default)]
pub struct PauseLog {
    said: bool,
}

impl PauseLog {
    /// The level for this pause's line.
    pub fn level(&mut self) -> log::Level {
        if std::mem::replace(&mut self.said, true) {
            log::Level::Debug
        } else {
            log::Level::Info
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_pause_of_a_connection_is_said_at_info_the_rest_at_debug() {
        let mut pauses = PauseLog::default();
        assert_eq!(pauses.level(), log::Level::Info);
        assert_eq!(pauses.level(), log::Level::Debug);
        assert_eq!(pauses.level(), log::Level::Debug);
    }
}

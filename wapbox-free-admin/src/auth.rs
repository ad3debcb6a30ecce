//! Who may do what: Kannel's admin and status passwords, and its damping of
//! password guessing.

use std::time::Duration;

use subtle::ConstantTimeEq;

/// The passwords of the `core` group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passwords {
    pub admin: Option<String>,
    pub status: Option<String>,
}

fn same(given: &str, expected: &str) -> bool {
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

impl Passwords {
    /// Status pages are open without a status password; with one, it or the
    /// admin password opens them. Commands need the admin password alone,
    /// and without one configured nobody may command.
    pub fn permits(&self, status_only: bool, given: Option<&str>) -> bool {
        let admin_ok = |given: &str| {
            self.admin
                .as_deref()
                .is_some_and(|admin| same(given, admin))
        };
        if status_only {
            match (&self.status, given) {
                (None, _) => true,
                (Some(status), Some(given)) => same(given, status) || admin_ok(given),
                (Some(_), None) => false,
            }
        } else {
            given.is_some_and(admin_ok)
        }
    }
}

/// The longest a refused request is held.
const MAX_PAUSE: Duration = Duration::from_secs(10);

/// Kannel holds each refused request a little longer than the last, until
/// one succeeds: 10 ms, then a second more per failure (bounded here).
#[derive(Debug, Clone, Default)]
pub struct Damper {
    failures: u32,
}

impl Damper {
    /// A refusal: how long to hold its answer.
    pub fn refused(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let pause = Duration::from_millis(10) + Duration::from_secs(u64::from(self.failures - 1));
        pause.min(MAX_PAUSE)
    }

    pub fn accepted(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passwords(status: Option<&str>) -> Passwords {
        Passwords {
            admin: Some("admin".into()),
            status: status.map(str::to_owned),
        }
    }

    #[test]
    fn status_is_open_without_a_status_password() {
        assert!(passwords(None).permits(true, None));
        assert!(!passwords(None).permits(false, None));
    }

    #[test]
    fn the_status_password_opens_status_but_commands_nothing() {
        let p = passwords(Some("look"));
        assert!(p.permits(true, Some("look")));
        assert!(p.permits(true, Some("admin")));
        assert!(!p.permits(true, Some("wrong")));
        assert!(!p.permits(true, None));
        assert!(!p.permits(false, Some("look")));
        assert!(p.permits(false, Some("admin")));
    }

    #[test]
    fn without_an_admin_password_nobody_commands() {
        let p = Passwords::default();
        assert!(!p.permits(false, Some("")));
    }

    #[test]
    fn each_refusal_waits_longer_until_one_succeeds() {
        let mut damper = Damper::default();
        assert_eq!(damper.refused(), Duration::from_millis(10));
        assert_eq!(damper.refused(), Duration::from_millis(1010));
        damper.accepted();
        assert_eq!(damper.refused(), Duration::from_millis(10));
        for _ in 0..100 {
            damper.refused();
        }
        assert_eq!(damper.refused(), MAX_PAUSE);
    }
}

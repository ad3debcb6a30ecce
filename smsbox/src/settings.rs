//! What the `smsbox` and `core` groups say that the running box needs
//! beyond its listeners.

use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

use crate::numbers::{FilterError, ListLoader, NumberFilter, SENDER_KEYS};

/// Kannel's default `sendsms-chars`.
pub const DEFAULT_SENDSMS_CHARS: &str = "0123456789 +-";
/// The accounts database file when `accounts-db` is not set.
pub const DEFAULT_ACCOUNTS_DB: &str = "smsbox-accounts.db";

#[derive(Debug, Error)]
pub enum SettingsError {
    #[error("{location}: '{key}' must be {expected}, got {value:?}")]
    BadValue {
        location: String,
        key: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error(transparent)]
    Filter(#[from] FilterError),
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub sendsms_url: String,
    pub sendsms_chars: String,
    pub global_sender: Option<String>,
    pub smsbox_id: Option<String>,
    /// The smsbox group's white/black lists, on every sendsms receiver.
    pub receivers: NumberFilter,
    pub admin_password: Option<String>,
    pub accounts_db: PathBuf,
    pub http_request_retry: u32,
    pub http_queue_delay: Duration,
    pub http_timeout: Duration,
    pub max_pending_requests: usize,
    pub reply_couldnotfetch: String,
    pub reply_requestfailed: String,
    pub reply_emptymessage: String,
    /// Answer sendsms with `202 Sent.` as soon as the messages are handed
    /// to bearerbox, without waiting for its ack (Kannel's
    /// backward-compatible mode; a 202 then promises nothing).
    pub immediate_sendsms_reply: bool,
    /// Recode UCS-2 MO to UTF-8 text (coding 0, charset UTF-8) before the
    /// services see it, as Kannel 1.4.5 does.
    pub mo_recode: bool,
}

impl Settings {
    pub fn from_config(
        config: &conf::Config,
        smsbox: &conf::Group,
        lists: &mut dyn ListLoader,
    ) -> Result<Settings, SettingsError> {
        let core = config.single("core");
        let number = |key: &'static str, default: i64| -> Result<i64, SettingsError> {
            match smsbox.get(key) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|v| *v >= 0)
                    .ok_or_else(|| SettingsError::BadValue {
                        location: bearerbox::process::listen::location_of(smsbox, key),
                        key,
                        expected: "a whole number, not negative",
                        value: text.to_string(),
                    }),
            }
        };
        let accounts_db = match smsbox.get("accounts-db") {
            Some(path) => PathBuf::from(path),
            // Next to the log, where an operator already looks for state.
            None => smsbox
                .get("log-file")
                .and_then(|log| Path::new(log).parent().map(Path::to_path_buf))
                .filter(|dir| !dir.as_os_str().is_empty())
                .unwrap_or_default()
                .join(DEFAULT_ACCOUNTS_DB),
        };
        let text = |key: &str, default: &str| smsbox.get(key).unwrap_or(default).to_string();
        Ok(Settings {
            sendsms_url: text("sendsms-url", crate::sendsms::DEFAULT_URL),
            sendsms_chars: text("sendsms-chars", DEFAULT_SENDSMS_CHARS),
            global_sender: smsbox.get("global-sender").map(str::to_owned),
            smsbox_id: smsbox.get("smsbox-id").map(str::to_owned),
            receivers: NumberFilter::from_group(smsbox, &SENDER_KEYS, lists)?,
            admin_password: core
                .and_then(|c| c.get("admin-password"))
                .map(str::to_owned),
            accounts_db,
            http_request_retry: u32::try_from(number("http-request-retry", 0)?).unwrap_or(u32::MAX),
            http_queue_delay: Duration::from_secs(number("http-queue-delay", 10)?.unsigned_abs()),
            http_timeout: Duration::from_secs(number("http-timeout", 240)?.unsigned_abs()),
            max_pending_requests: usize::try_from(number("max-pending-requests", 512)?.max(1))
                .unwrap_or(512),
            reply_couldnotfetch: text("reply-couldnotfetch", "Could not fetch content, sorry."),
            reply_requestfailed: text("reply-requestfailed", "Request Failed"),
            reply_emptymessage: text("reply-emptymessage", "<Empty reply from service provider>"),
            immediate_sendsms_reply: smsbox.get_bool("immediate-sendsms-reply").unwrap_or(false),
            mo_recode: smsbox.get_bool("mo-recode").unwrap_or(false),
        })
    }
}

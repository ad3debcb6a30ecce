//! The `sendsms-user` groups: who may send, from where, to whom, and with
//! which defaults. Passwords are compared in constant time so that response
//! timing does not reveal how much of a guess was right.

use std::collections::HashMap;
use std::net::IpAddr;

use bearerbox::ip_list::IpList;
use subtle::ConstantTimeEq;
use thiserror::Error;

use crate::numbers::{FilterError, ListLoader, NumberFilter, SENDER_KEYS};

#[derive(Debug, Error)]
pub enum UserError {
    #[error("{location}: group 'sendsms-user' needs '{key}'")]
    Missing { location: String, key: &'static str },
    #[error("{location}: '{key}' must be {expected}, got {value:?}")]
    BadValue {
        location: String,
        key: &'static str,
        expected: &'static str,
        value: String,
    },
    #[error("{location}: sendsms-user {username:?} is defined twice")]
    Duplicate { location: String, username: String },
    #[error(transparent)]
    Filter(#[from] FilterError),
}

/// One sendsms user.
#[derive(Debug, Clone)]
pub struct User {
    pub username: String,
    password: String,
    /// `%n` and the message's `service` field.
    pub name: String,
    allow_ip: IpList,
    deny_ip: IpList,
    pub forced_smsc: Option<String>,
    pub default_smsc: Option<String>,
    pub faked_sender: Option<String>,
    pub default_sender: Option<String>,
    pub max_messages: usize,
    pub concatenation: bool,
    pub dlr_url: Option<String>,
    pub header: Option<String>,
    pub footer: Option<String>,
    pub split_chars: Option<String>,
    pub split_suffix: Option<String>,
    pub receivers: NumberFilter,
    /// Starting balance, `None` for unlimited.
    pub credits: Option<i64>,
    pub refund_on_failure: bool,
}

impl User {
    pub fn from_group(group: &conf::Group, lists: &mut dyn ListLoader) -> Result<User, UserError> {
        let location = |key| bearerbox::process::listen::location_of(group, key);
        let required = |key: &'static str| {
            group
                .get(key)
                .map(str::to_owned)
                .ok_or_else(|| UserError::Missing {
                    location: location(key),
                    key,
                })
        };
        let username = required("username")?;
        let password = required("password")?;
        let number = |key: &'static str, minimum: i64| -> Result<Option<i64>, UserError> {
            match group.get(key) {
                None => Ok(None),
                Some(text) => match text.trim().parse::<i64>() {
                    Ok(value) if value >= minimum => Ok(Some(value)),
                    _ => Err(UserError::BadValue {
                        location: location(key),
                        key,
                        expected: "a whole number, not negative",
                        value: text.to_string(),
                    }),
                },
            }
        };
        let max_messages = number("max-messages", 0)?.unwrap_or(1);
        Ok(User {
            name: group.get("name").unwrap_or(&username).to_string(),
            allow_ip: group
                .get("user-allow-ip")
                .map(IpList::parse)
                .unwrap_or_default(),
            deny_ip: group
                .get("user-deny-ip")
                .map(IpList::parse)
                .unwrap_or_default(),
            forced_smsc: group.get("forced-smsc").map(str::to_owned),
            default_smsc: group.get("default-smsc").map(str::to_owned),
            faked_sender: group.get("faked-sender").map(str::to_owned),
            default_sender: group.get("default-sender").map(str::to_owned),
            max_messages: usize::try_from(max_messages).unwrap_or(usize::MAX),
            concatenation: group.get_bool("concatenation").unwrap_or(false),
            dlr_url: group.get("dlr-url").map(str::to_owned),
            header: group.get("header").map(str::to_owned),
            footer: group.get("footer").map(str::to_owned),
            split_chars: group.get("split-chars").map(str::to_owned),
            split_suffix: group.get("split-suffix").map(str::to_owned),
            receivers: NumberFilter::from_group(group, &SENDER_KEYS, lists)?,
            credits: number("credits", 0)?,
            refund_on_failure: group.get_bool("refund-on-failure").unwrap_or(true),
            username,
            password,
        })
    }

    fn password_matches(&self, given: &str) -> bool {
        self.password.as_bytes().ct_eq(given.as_bytes()).into()
    }

    /// Kannel's rule: an address on the allow list passes, else one on the
    /// deny list is refused, else it passes.
    fn ip_allowed(&self, peer: IpAddr) -> bool {
        if !self.allow_ip.is_empty() && self.allow_ip.contains(peer) {
            return true;
        }
        self.deny_ip.is_empty() || !self.deny_ip.contains(peer)
    }
}

/// Every sendsms user, by username.
#[derive(Debug, Clone, Default)]
pub struct Users {
    by_name: HashMap<String, User>,
}

impl Users {
    pub fn from_config(
        config: &conf::Config,
        lists: &mut dyn ListLoader,
    ) -> Result<Users, UserError> {
        let mut by_name = HashMap::new();
        for group in config.multi("sendsms-user") {
            let user = User::from_group(group, lists)?;
            if by_name.contains_key(&user.username) {
                return Err(UserError::Duplicate {
                    location: bearerbox::process::listen::location_of(group, "username"),
                    username: user.username,
                });
            }
            by_name.insert(user.username.clone(), user);
        }
        Ok(Users { by_name })
    }

    pub fn get(&self, username: &str) -> Option<&User> {
        self.by_name.get(username)
    }

    pub fn iter(&self) -> impl Iterator<Item = &User> {
        self.by_name.values()
    }

    /// The user these credentials name, if the password and the peer's
    /// address are right. An unknown user still costs a comparison, so
    /// that timing does not tell which usernames exist.
    pub fn authenticate(&self, username: &str, password: &str, peer: IpAddr) -> Option<&User> {
        match self.by_name.get(username) {
            Some(user) if user.password_matches(password) && user.ip_allowed(peer) => Some(user),
            Some(_) => None,
            None => {
                let _ = b"not-a-password".ct_eq(password.as_bytes());
                None
            }
        }
    }
}

//! The smsbox HTTP port's paths: sendsms (`sendsms-url`), the balance of a
//! user, the operator's top-ups, and Kannel's `404 Unknown request.` for
//! anything else.

use std::net::IpAddr;

use hyper::{HeaderMap, Method};

use crate::answers::Answer;
use crate::app::App;
use crate::request;
use crate::sendsms;
use crate::urlcode;

pub const BALANCE_URL: &str = "/cgi-bin/balance";
pub const CREDITS_URL: &str = "/cgi-bin/credits";

/// One request, its body already read.
pub async fn answer(
    app: &App,
    peer: IpAddr,
    method: &Method,
    path: &str,
    query: &[u8],
    headers: &HeaderMap,
    body: &[u8],
) -> Answer {
    if path == app.settings.sendsms_url {
        // Kannel sends whatever method comes; a DELETE or a PUT that sends a
        // message is a surprise, so we say what the API takes instead.
        if method != Method::GET && method != Method::POST {
            return Answer::new(405, "Method not allowed, use GET or POST");
        }
        // Kannel: any request with a body is a POST, whatever its method.
        let fields = if body.is_empty() && method != Method::POST {
            request::from_query(query)
        } else {
            request::from_body(headers, query, body)
        };
        match fields {
            Ok(fields) => sendsms::handle(app, peer, fields).await,
            Err(answer) => answer,
        }
    } else if path == BALANCE_URL {
        balance(app, peer, query).await
    } else if path == CREDITS_URL {
        top_up(app, query).await
    } else {
        Answer::new(404, "Unknown request.\n")
    }
}

fn param(pairs: &[(String, Vec<u8>)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
}

async fn balance(app: &App, peer: IpAddr, query: &[u8]) -> Answer {
    let pairs = match urlcode::parse_query(query) {
        Ok(pairs) => pairs,
        Err(error) => return Answer::bad_request(&error.to_string()),
    };
    let username = param(&pairs, "username").unwrap_or_default();
    let password = param(&pairs, "password").unwrap_or_default();
    let Some(user) = app.users.authenticate(&username, &password, peer) else {
        return Answer::new(403, "Authorization failed for balance");
    };
    let Some(accounts) = app.accounts.clone() else {
        return Answer::new(200, "unlimited");
    };
    if let Some(start) = user.credits {
        let name = user.username.clone();
        let ensured = smol::unblock(move || {
            accounts.ensure(&name, start)?;
            accounts.balance(&name)
        })
        .await;
        return match ensured {
            Ok(Some(balance)) => Answer::new(200, &balance.to_string()),
            Ok(None) => Answer::new(200, "unlimited"),
            Err(error) => {
                log::error!("balance of {username}: {error}");
                Answer::temporary()
            }
        };
    }
    Answer::new(200, "unlimited")
}

async fn top_up(app: &App, query: &[u8]) -> Answer {
    let pairs = match urlcode::parse_query(query) {
        Ok(pairs) => pairs,
        Err(error) => return Answer::bad_request(&error.to_string()),
    };
    let given = param(&pairs, "admin-password").unwrap_or_default();
    let authorized = app
        .settings
        .admin_password
        .as_deref()
        .is_some_and(|expected| {
            subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), given.as_bytes()).into()
        });
    if !authorized {
        return Answer::new(403, "Authorization failed for credits");
    }
    let username = param(&pairs, "username").unwrap_or_default();
    let Some(user) = app.users.get(&username) else {
        return Answer::bad_request(&format!("Unknown user {username:?}, rejected"));
    };
    let Some(amount) = param(&pairs, "add").and_then(|a| a.trim().parse::<i64>().ok()) else {
        return Answer::bad_request("'add' must be a whole number of credits, rejected");
    };
    let (Some(accounts), Some(start)) = (app.accounts.clone(), user.credits) else {
        return Answer::bad_request(&format!(
            "User {username:?} has unlimited credits, rejected"
        ));
    };
    let name = user.username.clone();
    let added = smol::unblock(move || {
        accounts.ensure(&name, start)?;
        accounts.add(&name, amount, "top-up over HTTP")
    })
    .await;
    match added {
        Ok(balance) => Answer::new(200, &balance.to_string()),
        Err(error) => {
            log::error!("top-up of {username}: {error}");
            Answer::temporary()
        }
    }
}

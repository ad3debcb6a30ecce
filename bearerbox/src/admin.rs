//! The admin/status HTTP port (`admin-port`): Kannel's commands and status
//! pages, with JSON, Prometheus metrics and a status page for people.
//!
//! ```text
//!  connection ──▶ admin-allow-ip / admin-deny-ip (denied: closed)
//!      │ http1 head
//!      ▼
//!  Request::parse ──▶ Passwords::permits ──no──▶ Damper pause, "Denied"
//!      │ yes
//!      ├─ status, store-status, metrics ──▶ status::snapshot ──▶ render
//!      └─ commands ──▶ admin_commands ──▶ one line, wrapped in the format
//! ```
//!
//! Every answer is HTTP 200 with the body Kannel gives, so that Kannel's
//! monitors read ours. Rendering lives in `wapbox-free-admin`.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite};
use wapbox_free_admin::auth::{Damper, Passwords};
use wapbox_free_admin::reply::{self, Reply};
use wapbox_free_admin::request::{Command, Format, Request};
use wapbox_free_admin::{json, kannel, page, prometheus};

use crate::admin_commands as commands;
use crate::clock::unix_now;
use crate::http1;
use crate::ip_list::{IpAccess, IpList};
use crate::runtime::Supervisor;
use crate::status::{self, Meters};
use crate::switchboard::{Lifecycle, Shared};

/// A client gets this long to send its request head: a silent connection
/// must not be held for ever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the load meters sample the counters.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// The `core` keys of the admin port.
#[derive(Debug, Clone)]
pub struct AdminSettings {
    pub passwords: Passwords,
    pub access: IpAccess,
    /// A white or black list is configured: bearerbox does not load lists
    /// yet, so `reload-lists` cannot honestly say it reloaded them.
    pub lists_configured: bool,
}

const LIST_KEYS: [&str; 8] = [
    "white-list",
    "black-list",
    "white-list-sender",
    "black-list-sender",
    "white-list-receiver",
    "black-list-receiver",
    "white-list-regex",
    "black-list-regex",
];

impl AdminSettings {
    pub fn from_core(core: &conf::Group) -> AdminSettings {
        AdminSettings {
            passwords: Passwords {
                admin: core.get("admin-password").map(str::to_owned),
                status: core.get("status-password").map(str::to_owned),
            },
            access: IpAccess {
                allow: IpList::parse(core.get("admin-allow-ip").unwrap_or_default()),
                deny: IpList::parse(core.get("admin-deny-ip").unwrap_or_default()),
            },
            lists_configured: LIST_KEYS.iter().any(|key| core.get(key).is_some()),
        }
    }
}

/// The admin port's own state, shared by its connections.
pub struct Console {
    damper: Damper,
    meters: Meters,
    /// Starts and stops links, and marks a shutdown as a restart.
    supervisor: Rc<Supervisor>,
    /// Fires the process shutdown, as SIGTERM does.
    shutdown: Box<dyn Fn()>,
}

pub type SharedConsole = Rc<RefCell<Console>>;

impl Console {
    pub fn shared(
        board: &Shared,
        supervisor: Rc<Supervisor>,
        shutdown: impl Fn() + 'static,
    ) -> SharedConsole {
        let meters = Meters::new(&board.borrow());
        Rc::new(RefCell::new(Console {
            damper: Damper::default(),
            meters,
            supervisor,
            shutdown: Box::new(shutdown),
        }))
    }
}

/// Samples the counters for the load figures until shutdown begins.
pub async fn sample(board: Shared, console: SharedConsole) {
    loop {
        {
            let board = board.borrow();
            if board.lifecycle == Lifecycle::ShuttingDown {
                return;
            }
            console.borrow_mut().meters.observe(&board, unix_now());
        }
        smol::Timer::after(SAMPLE_EVERY).await;
    }
}

/// What to do once the answer is written.
enum After {
    Nothing,
    Shutdown,
    /// Shut down, then run the program again (`restart`).
    Restart,
}

/// Serves one admin connection: one request, one answer.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    board: Shared,
    console: SharedConsole,
    mut stream: S,
    peer: SocketAddr,
) -> io::Result<()> {
    let permitted = board.borrow().settings.admin.access.permits(peer.ip());
    if !permitted {
        log::warn!("admin connection from {peer} refused by admin-allow-ip/admin-deny-ip");
        return Ok(());
    }
    let reading = http1::read_request_head(&mut stream);
    let late = async {
        smol::Timer::after(REQUEST_TIMEOUT).await;
        Ok(None)
    };
    let Some(head) = futures_lite::future::or(reading, late).await? else {
        log::debug!("admin connection from {peer} closed without a request");
        return Ok(());
    };
    let request = Request::parse(&head.line.target, head.header("accept"));
    log::info!(
        "admin request from {peer}: {} {}",
        head.line.method,
        head.line.path()
    );
    let (reply, after) = answer(&board, &console, &request).await;
    http1::write_response(&mut stream, 200, "OK", reply.content_type, &reply.body).await?;
    match after {
        After::Nothing => {}
        After::Shutdown => (console.borrow().shutdown)(),
        After::Restart => {
            let console = console.borrow();
            console.supervisor.request_restart();
            (console.shutdown)();
        }
    }
    Ok(())
}

fn query_of(request: &Request) -> String {
    request
        .param("password")
        .map(|password| {
            let pairs = [("password".to_owned(), password.to_owned())];
            format!("?{}", encode_query(&pairs))
        })
        .unwrap_or_default()
}

fn encode_query(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| {
            let encode = |text: &str| {
                text.bytes()
                    .map(|byte| match byte {
                        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                            (byte as char).to_string()
                        }
                        other => format!("%{other:02X}"),
                    })
                    .collect::<String>()
            };
            format!("{}={}", encode(key), encode(value))
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn answer(board: &Shared, console: &SharedConsole, request: &Request) -> (Reply, After) {
    let Some(command) = request.command else {
        let text = reply::unknown_command(&request.path);
        return (reply::wrap(request.format, &text), After::Nothing);
    };
    let permitted = board
        .borrow()
        .settings
        .admin
        .passwords
        .permits(command.is_status(), request.param("password"));
    if !permitted {
        let pause = console.borrow_mut().damper.refused();
        log::warn!("admin: {} refused: wrong or missing password", request.path);
        smol::Timer::after(pause).await;
        return (reply::wrap(request.format, "Denied"), After::Nothing);
    }
    console.borrow_mut().damper.accepted();
    let format = request.format;
    let shutting_down = board.borrow().lifecycle == Lifecycle::ShuttingDown;
    if shutting_down && !command.is_status() && command != Command::Shutdown {
        return (reply::wrap(format, commands::TOO_LATE), After::Nothing);
    }
    let smsc = request.param("smsc");
    let supervisor = console.borrow().supervisor.clone();
    let text: String = match command {
        Command::Status => return (status_reply(board, console, request), After::Nothing),
        Command::StoreStatus => return (store_reply(board, format), After::Nothing),
        Command::Metrics => {
            let status = snapshot(board, console);
            let reply = Reply {
                content_type: prometheus::CONTENT_TYPE,
                body: prometheus::metrics(&status),
            };
            return (reply, After::Nothing);
        }
        Command::Shutdown => {
            log::info!("admin: shutdown requested");
            return (reply::wrap(format, "Bringing system down"), After::Shutdown);
        }
        Command::Suspend => commands::suspend(&mut board.borrow_mut()).to_owned(),
        Command::Isolate => commands::isolate(&mut board.borrow_mut()).to_owned(),
        Command::Resume => commands::resume(&mut board.borrow_mut()).to_owned(),
        Command::LogLevel => commands::log_level(request.param("level")),
        Command::FlushDlr => commands::flush_dlr(board).await,
        Command::ReloadLists => {
            if board.borrow().settings.admin.lists_configured {
                "Could not re-load lists".to_owned()
            } else {
                // No list is configured: there is nothing to reload.
                "Black/white lists re-loaded".to_owned()
            }
        }
        Command::RemoveMessage => commands::remove_message(board, request.param("id")).await,
        Command::StopSmsc | Command::StartSmsc | Command::AddSmsc | Command::RemoveSmsc => {
            let Some(id) = smsc else {
                return (reply::wrap(format, "SMSC id not given"), After::Nothing);
            };
            match command {
                Command::StopSmsc => commands::stop_smsc(&supervisor, id).await,
                Command::StartSmsc => commands::start_smsc(&supervisor, id).await,
                Command::AddSmsc => commands::add_smsc(&supervisor, id).await,
                _ => commands::remove_smsc(&supervisor, id).await,
            }
        }
        Command::Restart => {
            log::info!("admin: restart requested");
            return (reply::wrap(format, "Restarting....."), After::Restart);
        }
        Command::GracefulRestart => commands::graceful_restart(&supervisor).await,
    };
    (reply::wrap(format, &text), After::Nothing)
}

fn snapshot(board: &Shared, console: &SharedConsole) -> wapbox_free_admin::model::Status {
    let board = board.borrow();
    let console = console.borrow();
    status::snapshot(&board, &console.meters, unix_now())
}

fn status_reply(board: &Shared, console: &SharedConsole, request: &Request) -> Reply {
    let status = snapshot(board, console);
    match request.format {
        Format::Text => Reply {
            content_type: reply::TEXT_TYPE,
            body: kannel::status_text(&status),
        },
        Format::Xml => Reply {
            content_type: reply::KANNEL_XML_TYPE,
            body: kannel::status_xml(&status),
        },
        Format::Html => Reply {
            content_type: reply::HTML_TYPE,
            body: page::status_page(&status, &query_of(request)),
        },
        Format::Json => Reply {
            content_type: reply::JSON_TYPE,
            body: json::status_json(&status),
        },
    }
}

fn store_reply(board: &Shared, format: Format) -> Reply {
    let items = status::store_listing(&board.borrow());
    match format {
        Format::Text => Reply {
            content_type: reply::TEXT_TYPE,
            body: kannel::store_text(&items),
        },
        Format::Xml => Reply {
            content_type: reply::KANNEL_XML_TYPE,
            body: kannel::store_xml(&items),
        },
        Format::Html => Reply {
            content_type: reply::HTML_TYPE,
            body: kannel::store_html(&items),
        },
        Format::Json => Reply {
            content_type: reply::JSON_TYPE,
            body: json::store_json(&items),
        },
    }
}

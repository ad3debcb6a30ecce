//! Everything a request or an inbound message needs, built once at start
//! and shared by the tasks of the one smsbox thread.

use crate::bearerbox_link::Link;
use crate::credits::Accounts;
use crate::http_client::HttpClient;
use crate::services::Services;
use crate::settings::Settings;
use crate::users::Users;

#[derive(Debug)]
pub struct App {
    pub settings: Settings,
    pub users: Users,
    pub services: Services,
    /// `None` when no user has `credits`: nothing to keep then.
    pub accounts: Option<Accounts>,
    pub link: Link,
    pub client: HttpClient,
}

//! The sandbox's callback notifications: when an order's status changes (the introspection
//! route, [`super::Sandbox::set_status`], `--auto-advance`, a cancellation), a GET to the
//! configured URL with the provider's parameters and checksum ([`crate::model::callback`]),
//! sent in the background so the sandbox's answer never waits for it; a failure is only logged.

use super::Callbacks;
use crate::model::callback;
use std::time::Duration;

/// How long a callback may take before it is given up.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A change of an order's status, as its callback tells it.
pub struct Change {
    pub uuid: String,
    pub status: &'static str,
    pub amount: Option<String>,
    pub created_at: i64,
}

/// Sends the callbacks of one sandbox.
pub struct Notifier {
    callbacks: Callbacks,
    http: reqwest::Client,
    log: bool,
}

impl Notifier {
    /// A notifier for `callbacks`; `None` (and a warning) when no HTTP client can be made.
    pub fn new(callbacks: Callbacks, log: bool) -> Option<Notifier> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("fpgo-export-sandbox/", env!("CARGO_PKG_VERSION")))
            .build();
        match http {
            Ok(http) => Some(Notifier {
                callbacks,
                http,
                log,
            }),
            Err(e) => {
                tracing::warn!("the sandbox sends no callbacks: no HTTP client ({e})");
                None
            }
        }
    }

    /// The URL of the callback of `change` at `now` (Unix seconds).
    pub fn url(&self, change: &Change, now: i64) -> String {
        let created_at = change.created_at.to_string();
        let timestamp = now.to_string();
        let query = callback::query(
            &[
                &change.uuid,
                change.status,
                "Invoice",
                change.amount.as_deref().unwrap_or(""),
                &created_at,
                &timestamp,
            ],
            &self.callbacks.secret,
        );
        let separator = if self.callbacks.url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{separator}{query}", self.callbacks.url)
    }

    /// Sends the callback of `change` in the background (on the current Tokio runtime).
    pub fn send(&self, change: &Change, now: i64) {
        let url = self.url(change, now);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("callback for {} not sent: no async runtime", change.uuid);
            return;
        };
        let http = self.http.clone();
        let (uuid, status, log) = (change.uuid.clone(), change.status, self.log);
        runtime.spawn(async move {
            let outcome = match http.get(&url).send().await {
                Ok(answer) if answer.status().is_success() => {
                    tracing::info!("callback for {uuid} ({status}): {}", answer.status());
                    return;
                }
                Ok(answer) => format!("answered {}", answer.status()),
                Err(e) => format!("not delivered: {e}"),
            };
            tracing::warn!("callback for {uuid} ({status}) {outcome}");
            if log {
                eprintln!("callback for {uuid} ({status}) {outcome}");
            }
        });
    }
}

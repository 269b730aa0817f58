//! The HTTP client: one reqwest `Client` (rustls, a timeout on every request, no automatic
//! retries, no redirects followed), the bearer token in a header and nowhere else, and at most
//! [`MAX_BODY`] of any answer read. It reports what happened on the wire in plain words;
//! `outcome.rs` decides what that means.

use crate::api::target::{BaseUrl, Token};
use crate::error::Error;
use std::time::Duration;

/// The most of an answer's body that is read. The provider's largest answers (a 417 listing
/// every problem of an order) are a few kilobytes; past this the rest is left unread.
pub const MAX_BODY: usize = 1 << 20;

/// An answer from the server, whatever its status.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub reset: Option<String>,
    pub remaining: Option<u32>,
    /// Where a redirect points (never followed).
    pub location: Option<String>,
    /// The body, at most [`MAX_BODY`] of it.
    pub body: Vec<u8>,
    /// The body was longer than [`MAX_BODY`].
    pub truncated: bool,
}

/// Why no answer came, and whether the request may have reached the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The request could not be made here (nothing left this machine; trying again will not
    /// help).
    Unbuildable,
    /// No connection could be made: the request certainly did not reach the server.
    Unreachable,
    /// The request may have reached the server, but no answer came.
    Lost,
}

/// No answer, with the reason in plain words.
#[derive(Debug)]
pub struct NoAnswer {
    pub failure: Failure,
    pub reason: String,
}

/// A client for one provider.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    token: Token,
    timeout: Duration,
}

impl Client {
    pub fn new(base_url: &BaseUrl, token: &Token, timeout: Duration) -> Result<Client, Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            // A redirect would carry the whole order, personal number included, wherever the
            // server says; an API call goes to the base URL or nowhere.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("fpgo-export/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::bug(format!("the HTTP client could not be set up: {e}")))?;
        Ok(Client {
            http,
            base_url: base_url.url.clone(),
            token: token.clone(),
            timeout,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// POSTs a JSON body to a path under the base URL.
    pub async fn post(&self, path: &str, body: Vec<u8>) -> Result<Answer, NoAnswer> {
        let request = self
            .http
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(self.token.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        self.send(request).await
    }

    /// GETs a path under the base URL.
    pub async fn get(&self, path: &str) -> Result<Answer, NoAnswer> {
        let request = self
            .http
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(self.token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        self.send(request).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, NoAnswer> {
        let mut response = request.send().await.map_err(|e| self.no_answer(&e))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = response.status().as_u16();
        let retry_after = header("retry-after");
        let reset = header("x-ratelimit-reset");
        let location = header("location");
        let remaining = header("x-ratelimit-remaining").and_then(|v| v.trim().parse().ok());
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response.chunk().await.map_err(|e| self.no_answer(&e))? {
            let room = MAX_BODY - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(
            "{} answered {status}: {} bytes{}",
            response.url().path(),
            body.len(),
            if truncated { ", the rest not read" } else { "" }
        );
        Ok(Answer {
            status,
            retry_after,
            reset,
            remaining,
            location,
            body,
            truncated,
        })
    }

    /// What went wrong, in words a user can act on, and whether the request may have left.
    fn no_answer(&self, e: &reqwest::Error) -> NoAnswer {
        let place = self.base_url.as_str();
        let chain = causes(e);
        let io_kind = chain_io_kind(e);
        let has = |words: &[&str]| {
            let lower = chain.to_lowercase();
            words.iter().any(|w| lower.contains(w))
        };
        let seconds = self.timeout.as_secs();
        if e.is_builder() {
            return NoAnswer {
                failure: Failure::Unbuildable,
                reason: "the request could not be made (nothing was sent)".into(),
            };
        }
        if e.is_connect() {
            use std::io::ErrorKind::*;
            let reason = if has(&["dns error", "failed to lookup address"]) {
                format!(
                    "the host of {place} could not be found (check the address, and the network)"
                )
            } else if io_kind == Some(ConnectionRefused) {
                format!("nothing accepts connections at {place} (connection refused): check the address and port, or whether the provider is up")
            } else if e.is_timeout() || io_kind == Some(TimedOut) {
                format!("no connection to {place} within {} s", seconds.min(10))
            } else if has(&["certificate", "tls", "handshake"]) {
                format!(
                    "the secure connection to {place} failed ({})",
                    last_cause(e)
                )
            } else if matches!(io_kind, Some(NetworkUnreachable | HostUnreachable)) {
                format!("{place} cannot be reached from this machine (no route)")
            } else {
                format!("could not connect to {place} ({})", last_cause(e))
            };
            return NoAnswer {
                failure: Failure::Unreachable,
                reason,
            };
        }
        let reason = if e.is_timeout() {
            format!("no answer within {seconds} s")
        } else {
            format!(
                "the connection was closed before an answer came ({})",
                last_cause(e)
            )
        };
        NoAnswer {
            failure: Failure::Lost,
            reason,
        }
    }
}

/// Every message in an error's chain, joined.
fn causes(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The innermost cause's message (the most specific one).
fn last_cause(e: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

/// The kind of the first I/O error in the chain.
fn chain_io_kind(e: &reqwest::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

//! The HTTP client: one reqwest `Client` (rustls, a timeout on every request, no automatic
//! retries), the bearer token in a header and nowhere else. It reports what happened on the
//! wire; `outcome.rs` decides what that means.

use crate::error::Error;
use std::time::Duration;

/// An answer from the server, whatever its status.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub reset: Option<String>,
    pub remaining: Option<u32>,
    pub body: Vec<u8>,
}

/// No answer. `before_send` is true when the request certainly did not reach the server (the
/// connection could not be made); otherwise it may have.
#[derive(Debug)]
pub struct NoAnswer {
    pub before_send: bool,
    pub reason: String,
}

/// A client for one provider.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl Client {
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<Client, Error> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .no_proxy()
            .user_agent(concat!("fpgo-export/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::usage(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
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
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        Self::send(request).await
    }

    /// GETs a path under the base URL.
    pub async fn get(&self, path: &str) -> Result<Answer, NoAnswer> {
        let request = self
            .http
            .get(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .header(reqwest::header::ACCEPT, "application/json");
        Self::send(request).await
    }

    async fn send(request: reqwest::RequestBuilder) -> Result<Answer, NoAnswer> {
        let response = request.send().await.map_err(no_answer)?;
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
        let remaining = header("x-ratelimit-remaining").and_then(|v| v.trim().parse().ok());
        let body = response.bytes().await.map_err(no_answer)?.to_vec();
        Ok(Answer {
            status,
            retry_after,
            reset,
            remaining,
            body,
        })
    }
}

fn no_answer(e: reqwest::Error) -> NoAnswer {
    // Only a failure to connect proves the request never left; a timeout or a connection lost
    // later may come after the server took it.
    let before_send = e.is_connect();
    let kind = if e.is_timeout() {
        "no answer within the timeout"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the connection was lost"
    };
    let detail = std::error::Error::source(&e)
        .map(|s| s.to_string())
        .unwrap_or_else(|| e.to_string());
    NoAnswer {
        before_send,
        reason: format!("{kind} ({detail})"),
    }
}

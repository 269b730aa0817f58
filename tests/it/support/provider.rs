//! The provider the tests talk to: the sandbox started in the test's process on
//! `127.0.0.1:0` with the one [`config`] every test starts from, a client for its API and its
//! introspection routes (`/__sandbox/orders`, `/__sandbox/stats`, `/__sandbox/requests`), and
//! [`Reply`], an answer read whole.

use fpgo_export::sandbox::{Clock, Config, Sandbox};
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

/// 2026-11-21 12:00 UTC (13:00 in Oslo): where every sandbox's clock stands.
pub const NOON: i64 = 1_795_262_400;
/// The token of every sandbox; long and unusual, so that finding it anywhere is no accident.
pub const TOKEN: &str = "fpgo-it-SECRET-7Qx9vK2mW4pZ";
/// The rate limit of every sandbox, per token per window: more than any test sends by
/// accident (the clock never moves unless a test moves it).
pub const RATE_LIMIT: u32 = 10_000;

pub const SESSION_PATH: &str = "/connect/orders/invoice/submit";
pub const REGULAR_PATH: &str = "/connect/orders/regular/invoice/submit";
pub const SESSION_ROUTE: &str = "POST /api/v1/connect/orders/invoice/submit";
pub const REGULAR_ROUTE: &str = "POST /api/v1/connect/orders/regular/invoice/submit";
pub const LISTING_ROUTE: &str = "GET /api/v1/connect/orders/status";
pub const STATUS_ROUTE: &str = "GET /api/v1/connect/orders/status/{order_uuid}";
pub const CANCEL_ROUTE: &str = "POST /api/v1/connect/orders/cancel/{order_uuid}";

/// The sandbox every test starts from: [`TOKEN`], a manual clock at [`NOON`], [`RATE_LIMIT`]
/// and a fixed seed (its faults and ids are the same on every run).
pub fn config() -> Config {
    Config {
        token: TOKEN.into(),
        clock: Clock::manual(NOON),
        rate_limit: RATE_LIMIT,
        seed: 7,
        ..Config::default()
    }
}

/// A loopback address with a port that was free a moment ago, so that a second sandbox can
/// serve at the same base URL (the ledger knows a provider by its base URL).
pub fn free_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// An HTTP client for loopback with this timeout.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .expect("a client")
}

// ---------------------------------------------------------------------------------------------
// The sandbox and a client

/// A sandbox started in the test's process, and a client for its routes.
pub struct Provider {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
}

impl Provider {
    pub async fn start(config: Config) -> Provider {
        Provider {
            sandbox: Sandbox::start(config).await.expect("the sandbox starts"),
            http: client(Duration::from_secs(10)),
        }
    }

    pub fn base_url(&self) -> String {
        self.sandbox.base_url()
    }

    /// An API URL: the base URL and `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// A URL at the server's root (`/__sandbox/…`).
    pub fn root(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.root_url())
    }

    pub fn clock(&self) -> Clock {
        self.sandbox.clock().clone()
    }

    /// A POST of JSON with the sandbox's token, not yet sent.
    pub fn post_request(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .bearer_auth(self.sandbox.token())
            .json(body)
    }

    /// POSTs a body to an API path with the sandbox's token.
    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        read(self.post_request(path, body)).await
    }

    /// GETs an API path with the sandbox's token.
    pub async fn get(&self, path: &str) -> Reply {
        read(
            self.http
                .get(self.url(path))
                .bearer_auth(self.sandbox.token()),
        )
        .await
    }

    /// `GET /__sandbox/{what}` as JSON (asserting a 200).
    pub async fn introspect(&self, what: &str) -> Value {
        let reply = read(self.http.get(self.root(&format!("/__sandbox/{what}")))).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body
    }

    /// Every stored order, oldest first.
    pub async fn listed(&self) -> Vec<Value> {
        self.introspect("orders").await["orders"]
            .as_array()
            .expect("orders")
            .clone()
    }

    /// The provider's order id of every order it created, by referenceNo.
    pub async fn ids(&self) -> BTreeMap<String, String> {
        self.orders()
            .await
            .into_iter()
            .map(|(reference, order)| (reference, order["id"].as_str().unwrap().to_string()))
            .collect()
    }

    /// Every order the sandbox created, asserting that none was created twice: referenceNo →
    /// the stored order (`id`, `customerId`, `timesCreated`, `updates`, `payload`).
    pub async fn orders(&self) -> BTreeMap<String, Value> {
        let listed = self.listed().await;
        for order in &listed {
            assert_eq!(
                order["timesCreated"], 1,
                "{} was created {} times",
                order["referenceNo"], order["timesCreated"]
            );
        }
        by_reference(listed, "")
    }

    /// The stored orders of one endpoint by referenceNo, asserting none is there twice (the
    /// same referenceNo may be stored on the other endpoint too).
    pub async fn orders_of(&self, endpoint: &str) -> BTreeMap<String, Value> {
        let listed = self.listed().await;
        by_reference(
            listed.into_iter().filter(|o| o["endpoint"] == endpoint),
            &format!(" on {endpoint}"),
        )
    }

    /// Answers by route and outcome (`201`, `500`, `closed`, …).
    pub async fn stats(&self) -> Stats {
        Stats(self.introspect("stats").await)
    }

    /// When each request on `route` arrived, in milliseconds on the sandbox's monotonic clock,
    /// oldest first (from `/__sandbox/requests`).
    pub async fn arrivals(&self, route: &str) -> Vec<u64> {
        self.introspect("requests").await["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .filter(|r| r["route"] == route)
            .map(|r| r["arrived_ms"].as_u64().expect("arrived_ms"))
            .collect()
    }

    pub async fn stop(self) {
        self.sandbox.shutdown().await;
    }
}

/// Orders by referenceNo, asserting none is there twice (`on` says where, for the message).
fn by_reference(orders: impl IntoIterator<Item = Value>, on: &str) -> BTreeMap<String, Value> {
    let mut by_reference = BTreeMap::new();
    for order in orders {
        let reference = order["referenceNo"].as_str().unwrap().to_string();
        let earlier = by_reference.insert(reference.clone(), order);
        assert!(earlier.is_none(), "{reference} is stored twice{on}");
    }
    by_reference
}

/// The sandbox's counts of answers: `{"total": n, "routes": {route: {outcome: n}}}`.
pub struct Stats(pub Value);

impl Stats {
    /// How many answers a route gave with this outcome (`201`, `417`, `closed`, …).
    pub fn get(&self, route: &str, outcome: &str) -> u64 {
        self.0["routes"][route][outcome].as_u64().unwrap_or(0)
    }

    /// Answers to invoice-session orders with this outcome.
    pub fn posts(&self, outcome: &str) -> u64 {
        self.get(SESSION_ROUTE, outcome)
    }

    /// Every POST of an invoice-session order, whatever became of it.
    pub fn all_posts(&self) -> u64 {
        self.0["routes"][SESSION_ROUTE]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
    }

    /// Every request on a route, whatever its answer.
    pub fn all(&self, route: &str) -> u64 {
        self.0["routes"][route]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
    }

    /// Answers to the listing of orders with this outcome.
    pub fn listings(&self, outcome: &str) -> u64 {
        self.get(LISTING_ROUTE, outcome)
    }

    /// Every request the sandbox answered.
    pub fn total(&self) -> u64 {
        self.0["total"].as_u64().unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Answers

/// One answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON, or null when it is not JSON.
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header on {self:?}"))
            .to_str()
            .unwrap()
    }

    pub fn data(&self, key: &str) -> &str {
        self.body["data"][key]
            .as_str()
            .unwrap_or_else(|| panic!("no data.{key} in {}", self.body))
    }

    pub fn errors(&self) -> Vec<String> {
        serde_json::from_value(self.body["errors"].clone())
            .unwrap_or_else(|_| panic!("no errors array in {}", self.body))
    }
}

/// Sends the request and reads the answer whole; an error when no answer came.
pub async fn try_read(request: reqwest::RequestBuilder) -> Result<Reply, reqwest::Error> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        headers,
        text,
        body,
    })
}

/// Sends the request and reads the answer whole, which must come.
pub async fn read(request: reqwest::RequestBuilder) -> Reply {
    try_read(request).await.expect("an answer")
}

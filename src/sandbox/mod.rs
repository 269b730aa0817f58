//! The sandbox: a local FPGO that behaves like the real server as its documentation describes it
//! (envelopes, 417 arrays in the provider's wording, rate-limit headers and 429s, 401s, ids in
//! the provider's format, order state behind the status routes), with knobs for latency and
//! faults, and a loopback-only introspection API that shows what it received and when. It validates with
//! its own rules (`rules.rs`), never the tool's.
//!
//! [`Sandbox::start`] serves it in-process (tests, `submit --sandbox`); `fpgo-export sandbox`
//! serves it standalone. Connections are served by hyper directly so that a fault can close one
//! without an answer.

mod callbacks;
pub mod laravel;
mod routes;
pub mod rules;
mod store;

use crate::error::Error;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt;

pub use store::WINDOW_SECONDS;

/// A fault the sandbox can inject, each with a probability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 500 with the body the provider documents; nothing is created.
    Internal,
    /// 510 with the body the provider documents; nothing is created.
    Execution,
    /// 502 as the nginx in front writes it (HTML); nothing is created.
    BadGateway,
    /// The connection is closed before the order is processed.
    Drop,
    /// The order IS created, then the connection is closed with no answer.
    CommitDrop,
    /// The answer comes after [`Config::slow`], longer than a client's timeout (the order is
    /// created).
    Slow,
}

impl Fault {
    pub const ALL: [(Fault, &'static str); 6] = [
        (Fault::Internal, "500"),
        (Fault::Execution, "510"),
        (Fault::BadGateway, "502"),
        (Fault::Drop, "drop"),
        (Fault::CommitDrop, "commit-drop"),
        (Fault::Slow, "slow"),
    ];

    pub fn parse(name: &str) -> Option<Fault> {
        Fault::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    pub fn name(self) -> &'static str {
        Fault::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, n)| n)
    }
}

/// The sandbox's clock, in Unix seconds. Tests use a manual one, moved by hand, so that the
/// rate-limit window and "today" never depend on the wall clock.
#[derive(Clone, Debug)]
pub enum Clock {
    System,
    Manual(Arc<AtomicI64>),
}

impl Clock {
    /// A manual clock standing at `unix_seconds`.
    pub fn manual(unix_seconds: i64) -> Clock {
        Clock::Manual(Arc::new(AtomicI64::new(unix_seconds)))
    }

    pub fn now(&self) -> i64 {
        match self {
            Clock::System => chrono::Utc::now().timestamp(),
            Clock::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward (a system clock moves by itself).
    pub fn advance(&self, seconds: i64) {
        if let Clock::Manual(t) = self {
            t.fetch_add(seconds, Ordering::SeqCst);
        }
    }
}

/// How a sandbox behaves.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind: SocketAddr,
    /// Serve on a non-loopback address (introspection stays loopback-only).
    pub allow_remote: bool,
    pub token: String,
    /// Each request waits a time between these two before it is handled.
    pub latency: (Duration, Duration),
    /// Requests per token per 60-second window.
    pub rate_limit: u32,
    /// Faults and their probabilities (summing to at most 1).
    pub faults: Vec<(Fault, f64)>,
    pub seed: u64,
    /// Check line amounts and the order summary against the pricing rules (our own strictness).
    pub strict: bool,
    /// How long a `slow` answer takes.
    pub slow: Duration,
    pub clock: Clock,
    /// Log one line per request on stderr.
    pub log: bool,
    /// How `orderDate` must be written (the tool's `order_date_format`).
    pub date_format: crate::model::DateFormat,
    /// Move created orders on through their life by the clock: `SENT` to `INVOICED` after this
    /// long, and on to `PAID` after twice as long (for demos and tests of `status`).
    pub auto_advance: Option<Duration>,
    /// Where to send the provider's callback notifications when an order's status changes,
    /// and the merchant secret their checksum is made with.
    pub callbacks: Option<Callbacks>,
}

/// The sandbox's callback notifications: a GET to `url` with the provider's query
/// parameters and checksum, whenever an order's status changes.
#[derive(Clone, Debug)]
pub struct Callbacks {
    pub url: String,
    pub secret: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            allow_remote: false,
            token: "sandbox-token".into(),
            latency: (Duration::ZERO, Duration::ZERO),
            rate_limit: 240,
            faults: Vec::new(),
            seed: 1,
            strict: true,
            slow: Duration::from_secs(60),
            clock: Clock::System,
            log: false,
            date_format: crate::model::DateFormat::Unix,
            callbacks: None,
            auto_advance: None,
        }
    }
}

/// A running sandbox.
pub struct Sandbox {
    address: SocketAddr,
    store: Arc<Store>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Sandbox {
    /// Binds and starts serving; returns once the address is known (port 0 picks a free one).
    pub async fn start(config: Config) -> Result<Sandbox, Error> {
        if !config.bind.ip().is_loopback() && !config.allow_remote {
            return Err(Error::usage(format!(
                "--bind {}: the sandbox serves loopback addresses only (127.0.0.1, ::1); add --allow-remote to serve {}",
                config.bind,
                config.bind.ip()
            )));
        }
        check_faults(&config.faults)?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| Error::usage(format!("cannot listen on {}: {e}", config.bind)))?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::usage(format!("cannot listen on {}: {e}", config.bind)))?;
        let store = Arc::new(Store::new(config));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, store.clone(), stopped));
        Ok(Sandbox {
            address,
            store,
            stop: Some(stop),
            task,
        })
    }

    /// The API's base URL, as a client configures it: `http://127.0.0.1:PORT/api/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/api/v1", self.root_url())
    }

    /// The server's root, where `/__sandbox/…` lives.
    pub fn root_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn token(&self) -> &str {
        &self.store.config.token
    }

    /// Changes the faults from now on (tests: the same provider, healthy, then faulty).
    pub fn set_faults(&self, faults: Vec<(Fault, f64)>) -> Result<(), Error> {
        check_faults(&faults)?;
        self.store.set_faults(faults);
        Ok(())
    }

    /// The next `n` API requests suffer `fault`, whatever the probabilities (tests: a 500 at
    /// a known moment, then answers again).
    pub fn fault_next(&self, fault: Fault, n: usize) {
        self.store.fault_next(fault, n);
    }

    /// Every API request the sandbox logged (the latest ten thousand), oldest first:
    /// `{"requests": [{"route", "outcome", "arrived_ms"}]}`, `arrived_ms` on a monotonic clock
    /// from the sandbox's start; `GET /__sandbox/requests` gives the same.
    pub fn requests(&self) -> serde_json::Value {
        self.store.requests()
    }

    /// Moves an order to another status (`PAID`, `EXPIRED`, …, case-insensitively), as the
    /// customer and the provider would; `POST /__sandbox/orders/{uuid}/status` does the same.
    pub fn set_status(&self, uuid: &str, status: &str) -> Result<(), Error> {
        self.store
            .set_status(uuid, status)
            .map(|_| ())
            .map_err(Error::usage)
    }

    /// The sandbox's clock (move a manual one with [`Clock::advance`]).
    pub fn clock(&self) -> &Clock {
        self.store.clock()
    }

    /// Stops accepting, lets requests in flight finish (at most five seconds), and returns.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

fn check_faults(faults: &[(Fault, f64)]) -> Result<(), Error> {
    let total: f64 = faults.iter().map(|(_, p)| p).sum();
    if faults.iter().any(|(_, p)| !(0.0..=1.0).contains(p)) || total > 1.0 + 1e-9 {
        return Err(Error::usage(
            "--fault probabilities must be between 0 and 1 and add up to at most 1",
        ));
    }
    Ok(())
}

/// The marker a handler puts on a response to have its connection closed without an answer.
#[derive(Clone, Copy)]
struct CloseWithoutAnswer;

/// The peer of a connection, for the loopback-only routes.
#[derive(Clone, Copy)]
struct Peer(SocketAddr);

async fn serve(listener: TcpListener, store: Arc<Store>, mut stopped: oneshot::Receiver<()>) {
    let app = routes::router(store.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                // Out of file descriptors and the like: wait a moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stopped => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(Peer(peer));
            let app = app.clone();
            async move {
                let response = app
                    .oneshot(request)
                    .await
                    .unwrap_or_else(|never| match never {});
                if response.extensions().get::<CloseWithoutAnswer>().is_some() {
                    // An error from the service makes hyper close the connection unanswered.
                    return Err(std::io::Error::other(
                        "fault: connection closed without an answer",
                    ));
                }
                Ok(response)
            }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
}

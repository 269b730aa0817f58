//! The browser app that `fpgo-export serve` serves on loopback: choose a sheet, match its
//! columns, review every problem in place, fix cells, send, watch, download the result, look
//! back at what was sent and cancel a mistake. The pages are rendered here ([`pages`],
//! [`review`]); the work is the library's own: [`crate::pipeline::check`] for every check and
//! [`crate::send::prepare`] / [`crate::send::run`] for every send, on the same ledger as
//! `submit`, so nothing is sent twice whichever front end sent it.
//!
//! The token stays in this process: no page, script or answer ever carries it.

mod assets;
mod callback;
mod guard;
mod history;
mod pages;
mod review;
mod runs;
mod sheets;

use crate::api::target::{BaseUrl, Token};
use crate::error::Error;
use crate::model::Endpoint;
use crate::sandbox::{self, Sandbox};
use crate::send::dispatch;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Everything `serve` needs, resolved from its command line (`settings.rs`).
#[derive(Debug)]
pub struct ServeSettings {
    pub bind: SocketAddr,
    /// A non-loopback bind was asked for; then `password` is set.
    pub allow_remote: bool,
    /// The password every request must carry (HTTP Basic) when the app is reachable from
    /// elsewhere.
    pub password: Option<String>,
    /// Open the default browser once listening.
    pub open: bool,
    /// The provider and its token; `None` for an in-process sandbox.
    pub provider: Option<(BaseUrl, Token)>,
    pub sandbox_rate_limit: u32,
    /// `--ledger`, else the default one (with the sandbox: a temporary one).
    pub ledger: Option<PathBuf>,
    /// `--config`, else `fpgo-export.toml` in the current directory; the column choices are
    /// saved there.
    pub config: PathBuf,
    /// The endpoint a sheet is checked for until the page picks another.
    pub endpoint: Option<Endpoint>,
    pub timeout: Duration,
    pub options: dispatch::Options,
    /// The merchant's secret for the provider's callbacks; without it callbacks are refused.
    pub callback_secret: Option<String>,
    /// The largest sheet an upload may be, in bytes.
    pub max_upload: usize,
    /// "Today" for every check (tests); `None`: the date in Oslo.
    pub today: Option<String>,
}

/// Where the app sends: the provider, or the sandbox started with it.
pub(crate) struct Target {
    pub base_url: BaseUrl,
    pub token: Token,
    /// The sandbox started with the app, served for as long as the app is.
    sandbox: Option<Sandbox>,
    pub ledger: PathBuf,
    /// What the page calls the environment: "sandbox", "demo", "production" or the URL.
    pub environment: String,
    _temporary: Option<tempfile::TempDir>,
}

impl Target {
    /// Unix seconds by the clock of whoever sends the callbacks: the sandbox's (a manual one
    /// with `--today`), else the wall clock.
    pub fn now(&self) -> i64 {
        self.sandbox
            .as_ref()
            .map_or_else(|| chrono::Utc::now().timestamp(), |s| s.clock().now())
    }
}

/// The app's state, shared by every request.
pub(crate) struct App {
    pub settings: ServeSettings,
    pub target: Target,
    /// The per-process secret every state-changing request carries (CSRF).
    pub secret: String,
    /// The address the app listens on, for the Host check and the links it prints.
    pub address: SocketAddr,
    pub sheets: sheets::Sheets,
    pub runs: runs::Runs,
    /// Held by whatever in this app uses the ledger (a send, a refresh, a cancellation, a
    /// callback): the ledger takes one user at a time, and its lock is per process.
    pub ledger: tokio::sync::Mutex<()>,
}

/// Serves the app until Ctrl-C or SIGTERM.
pub async fn serve(
    settings: ServeSettings,
    stopped: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .map_err(|e| Error::usage(format!("--bind {}: {e}", settings.bind)))?;
    let address = listener
        .local_addr()
        .map_err(|e| Error::bug(format!("the listening socket has no address: {e}")))?;
    let target = start_target(&settings, address).await?;
    let folder = tempfile::Builder::new()
        .prefix("fpgo-export-serve-")
        .tempdir()
        .map_err(|e| Error::file(&std::env::temp_dir(), e))?;
    let app = Arc::new(App {
        secret: guard::new_secret(),
        address,
        sheets: sheets::Sheets::new(folder),
        runs: runs::Runs::default(),
        ledger: tokio::sync::Mutex::new(()),
        target,
        settings,
    });
    let url = format!("http://{address}/");
    // Each line in one write: scripts wait for the ready line and read its address.
    let lines = format!(
        "fpgo-export is ready at {url}\nsending to {} ({}); ledger: {}\n",
        app.target.base_url.url,
        app.target.environment,
        app.target.ledger.display()
    );
    let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), lines.as_bytes());
    if app.settings.open {
        open_browser(&url);
    }
    let router = router(app.clone());
    let stopping = app.clone();
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        stopped.await;
        eprintln!("stopping: sends in progress stop as on Ctrl-C (Ctrl-C again to quit without waiting for their answers)");
        stopping.runs.stop_all();
    })
    .await
    .map_err(|e| Error::bug(format!("the web server stopped: {e}")))?;
    app.runs.finished().await;
    Ok(())
}

fn router(app: Arc<App>) -> Router {
    let limit = app.settings.max_upload + 64 * 1024;
    Router::new()
        .route("/", get(pages::index))
        .route("/assets/{name}", get(assets::serve))
        .route("/sheets", post(sheets::upload))
        .route("/sheets/{id}", get(review::page))
        .route("/sheets/{id}/grid", get(review::grid_fragment))
        .route("/sheets/{id}/mapping", post(sheets::mapping))
        .route("/sheets/{id}/cells", post(sheets::edit))
        .route("/sheets/{id}/corrected", get(sheets::corrected))
        .route("/sheets/{id}/send", post(runs::start))
        .route("/runs/{id}", get(runs::page))
        .route("/runs/{id}/events", get(runs::events))
        .route("/runs/{id}/stop", post(runs::stop))
        .route("/runs/{id}/files/{name}", get(runs::download))
        .route("/history", get(history::page))
        .route("/history/refresh", post(history::refresh))
        .route("/orders/{id}/cancel", post(history::cancel))
        .route("/fpgo/callback", get(callback::receive))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::check,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

/// The provider, or a sandbox started in this process (its callbacks come back to this app),
/// and the ledger for it.
async fn start_target(settings: &ServeSettings, address: SocketAddr) -> Result<Target, Error> {
    let (base_url, token, sandbox, environment) = match &settings.provider {
        Some((base_url, token)) => {
            let environment = crate::api::target::Environment::ALL
                .into_iter()
                .find(|e| BaseUrl::parse(e.url()).is_ok_and(|u| u.key == base_url.key))
                .map_or_else(|| base_url.url.clone(), |e| e.name().to_string());
            (base_url.clone(), token.clone(), None, environment)
        }
        None => {
            let config = sandbox::Config {
                token: format!("sandbox-{}", std::process::id()),
                rate_limit: settings.sandbox_rate_limit,
                seed: u64::from(std::process::id()),
                clock: sandbox_clock(settings.today.as_deref())?,
                callbacks: settings
                    .callback_secret
                    .clone()
                    .map(|secret| sandbox::Callbacks {
                        url: format!("http://{address}/fpgo/callback"),
                        secret,
                    }),
                ..sandbox::Config::default()
            };
            let sandbox = Sandbox::start(config).await?;
            let token = Token::new(sandbox.token()).map_err(Error::usage)?;
            let base_url = BaseUrl::parse(&sandbox.base_url())?;
            (base_url, token, Some(sandbox), "sandbox".to_string())
        }
    };
    let temporary = match (&settings.ledger, &sandbox) {
        (None, Some(_)) => {
            Some(tempfile::tempdir().map_err(|e| Error::file(&std::env::temp_dir(), e))?)
        }
        _ => None,
    };
    let ledger = match (&settings.ledger, &temporary) {
        (Some(path), _) => path.clone(),
        (None, Some(dir)) => dir.path().join("ledger.sqlite"),
        (None, None) => crate::send::ledger::default_path(),
    };
    Ok(Target {
        base_url,
        token,
        sandbox,
        ledger,
        environment,
        _temporary: temporary,
    })
}

/// The sandbox's clock: the system's, or with `--today` (tests) a manual one at noon (UTC)
/// that day, so the sandbox's "today" is the checks' and an order dated today is not refused
/// as past.
fn sandbox_clock(today: Option<&str>) -> Result<sandbox::Clock, Error> {
    let Some(today) = today else {
        return Ok(sandbox::Clock::System);
    };
    let date = chrono::NaiveDate::parse_from_str(today, "%Y-%m-%d")
        .map_err(|e| Error::usage(format!("--today {today}: {e} (YYYY-MM-DD)")))?;
    let noon = date.and_hms_opt(12, 0, 0).unwrap_or_default();
    Ok(sandbox::Clock::manual(noon.and_utc().timestamp()))
}

/// Opens the page in the default browser; a failure only says how to open it by hand.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("could not open a browser ({opener}: {e}); open {url} yourself");
    }
}

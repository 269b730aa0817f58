//! A real browser for the browser tests: Debian's `chromedriver` started on a free loopback
//! port in its own process group, headless Chromium driven through it over WebDriver
//! (fantoccini, plain HTTP), a fresh profile per browser, and the whole group killed on drop.
//! Where chromedriver is not installed the tests are skipped with a line on stderr, unless
//! `FPGO_BROWSER_TESTS=required` (CI), where that is a failure. Also: polling with a generous
//! deadline (never a fixed sleep), and the screenshots of `FPGO_SCREENSHOTS`.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::future::Future;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long anything the page does may take before a test gives up: generous, for a loaded
/// 2-core machine; a passing test never waits for it.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The flags Chromium needs here: headless, no sandbox (containers), and nothing that reaches
/// for the network on its own (without these it hangs on a closed network).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

/// A headless Chromium and the chromedriver that drives it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Chromium through chromedriver, or `None` (and a line on stderr saying why) when
    /// chromedriver or Chromium is not installed and the browser tests are not required.
    pub async fn start(test: &str) -> Option<Browser> {
        let (Some(driver), Some(chromium)) = (
            installed(&["chromedriver"]),
            installed(&["chromium", "chromium-browser", "google-chrome"]),
        ) else {
            let why = "chromedriver or chromium is not on PATH";
            let install = "apt-get install -y chromium chromium-driver";
            if std::env::var("FPGO_BROWSER_TESTS").as_deref() == Ok("required") {
                panic!("FPGO_BROWSER_TESTS=required but {why}: install `chromium chromium-driver` ({install})");
            }
            // Straight to stderr, past the test harness's capture, so a `cargo test` shows it.
            let _ = writeln!(
                std::io::stderr(),
                "skipped the browser test {test}: {why} ({install}; FPGO_BROWSER_TESTS=required makes this a failure)"
            );
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        let log = profile.path().join("chromedriver.log");
        let port = free_port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", driver.display()));
        let webdriver = format!("http://127.0.0.1:{port}");
        // Until chromedriver listens; then a session, with a fresh profile.
        let mut capabilities = serde_json::Map::new();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ));
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    let log = std::fs::read_to_string(&log).unwrap_or_default();
                    assert!(
                        started.elapsed() < PATIENCE,
                        "no browser session from chromedriver on port {port}: {e}\n{log}"
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        // The window's inside 1280 × 900, whatever Chromium's frame takes.
        let (outer_w, outer_h) = client.get_window_size().await.unwrap();
        let inner = client
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await
            .unwrap();
        let frame = |i: usize, outer: u64| outer.saturating_sub(inner[i].as_u64().unwrap_or(outer));
        client
            .set_window_size(
                1280 + frame(0, outer_w) as u32,
                900 + frame(1, outer_h) as u32,
            )
            .await
            .unwrap();
        Some(Browser {
            client,
            driver: child,
            _profile: profile,
        })
    }

    /// Ends the session (Chromium quits), then chromedriver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }

    /// The element that matches `css`, once it is there.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?} within {PATIENCE:?}: {e}"))
    }

    /// Polls `probe` until it returns `Some`, for at most [`PATIENCE`]; `what` names it.
    pub async fn until<T, F, Fut>(&self, what: &str, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let started = Instant::now();
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "not within {PATIENCE:?}: {what}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The element that has the focus.
    pub async fn focused(&self) -> Element {
        self.client.active_element().await.unwrap()
    }

    /// Presses one key, down and up, wherever the focus is (WebDriver's key actions: a
    /// keyboard, not a script).
    pub async fn press(&self, key: fantoccini::key::Key) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let value = char::from(key);
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value });
        self.client.perform_actions(keys).await.unwrap();
    }

    /// Types `text` wherever the focus is, key by key.
    pub async fn type_text(&self, text: &str) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let mut keys = KeyActions::new("keyboard".into());
        for value in text.chars() {
            keys = keys
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client.perform_actions(keys).await.unwrap();
    }

    /// A PNG of the window as `NAME.png` in `FPGO_SCREENSHOTS`, when that names a folder.
    pub async fn screenshot(&self, name: &str) {
        let Some(folder) = std::env::var_os("FPGO_SCREENSHOTS") else {
            return;
        };
        let folder = Path::new(&folder);
        std::fs::create_dir_all(folder).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(folder.join(format!("{name}.png")), png).unwrap();
    }
}

impl Drop for Browser {
    /// chromedriver and the Chromium it started (its process group), by their group id.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The first of `names` found on `PATH`.
fn installed(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let folders: Vec<PathBuf> = std::env::split_paths(&path).collect();
    names
        .iter()
        .find_map(|name| folders.iter().map(|f| f.join(name)).find(|p| p.is_file()))
}

/// A port free on loopback now: bound, read and released.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

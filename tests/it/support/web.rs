//! The browser app under test: `fpgo-export serve --sandbox` on port 0 in the background (its
//! own sandbox, a temporary ledger unless given one), its address read from its ready line,
//! and a plain HTTP client for its routes that carries the page's secret as a page would and
//! keeps every page it fetched (to look for a token in them); the sandbox's introspection, a
//! send followed over server-sent events to its end, polling a page until it says something.

use super::{Running, Workdir, TODAY};
use reqwest::StatusCode;
use serde_json::Value;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A running `serve` and a client for it.
pub struct WebApp {
    pub running: Running,
    /// `http://127.0.0.1:PORT/` as the ready line says it.
    pub url: String,
    /// The base URL of its sandbox (`…/api/v1`), for the sandbox's introspection routes.
    pub sandbox: String,
    pub http: reqwest::Client,
    /// The page's secret (CSRF), read from the first page.
    pub csrf: String,
    /// Every body fetched, in order.
    seen: Mutex<Vec<String>>,
}

/// An answer: its status, where it redirects, its body.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl WebApp {
    /// `serve --sandbox --bind 127.0.0.1:0 --today TODAY` and `extra`, in `work`.
    pub async fn start(work: &Workdir, extra: &[&str]) -> WebApp {
        let mut args: Vec<String> = [
            "serve",
            "--sandbox",
            "--bind",
            "127.0.0.1:0",
            "--today",
            TODAY,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(extra.iter().map(|s| s.to_string()));
        // Its folder of uploads inside the workdir: a server killed at the test's end cannot
        // remove it, and the workdir goes with the test.
        let temp = [("TMPDIR".to_string(), work.path().display().to_string())];
        let running = Running::start(work, &args, &temp, "serve");
        let ready = running.stderr_line("fpgo-export is ready at ", Duration::from_secs(60));
        let url = ready
            .trim_start_matches("fpgo-export is ready at ")
            .trim()
            .to_string();
        let sending = running.stderr_line("sending to ", Duration::from_secs(30));
        let sandbox = sending
            .trim_start_matches("sending to ")
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let mut app = WebApp {
            running,
            url,
            sandbox,
            http,
            csrf: String::new(),
            seen: Mutex::default(),
        };
        let first = app.get("/").await;
        app.csrf = first
            .body
            .split("name=\"csrf\" content=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the page carries its secret")
            .to_string();
        app
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url.trim_end_matches('/'), path)
    }

    pub async fn get(&self, path: &str) -> Page {
        self.fetch(self.http.get(self.at(path))).await
    }

    /// A form POST with the page's secret in the form, as the page's forms send it.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        form.extend_from_slice(fields);
        self.fetch(self.http.post(self.at(path)).form(&form)).await
    }

    /// Uploads a sheet as the page's form does (the secret first); the review page's path.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>, fields: &[(&str, &str)]) -> Page {
        let mut form = reqwest::multipart::Form::new().text("csrf", self.csrf.clone());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        form = form.part("sheet", part);
        self.fetch(self.http.post(self.at("/sheets")).multipart(form))
            .await
    }

    /// Sends any request (with its headers as the test sets them); the page kept.
    pub async fn fetch(&self, request: reqwest::RequestBuilder) -> Page {
        let page = page(request).await;
        self.seen.lock().unwrap().push(page.body.clone());
        page
    }
}

async fn page(request: reqwest::RequestBuilder) -> Page {
    let answer = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("the app answers: {e:?}"));
    let status = answer.status();
    let location = answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    let body = answer.text().await.unwrap_or_default();
    Page {
        status,
        location,
        body,
    }
}

impl WebApp {
    /// The sandbox's root, where its introspection routes live (`http://127.0.0.1:PORT`).
    pub fn sandbox_root(&self) -> String {
        self.sandbox.trim_end_matches("/api/v1").to_string()
    }

    /// `GET {sandbox root}/__sandbox/orders`: every order the sandbox stored.
    pub async fn sandbox_orders(&self) -> Vec<Value> {
        let url = format!("{}/__sandbox/orders", self.sandbox_root());
        let answer: Value = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["orders"].as_array().cloned().unwrap_or_default()
    }

    /// `POST {sandbox root}/__sandbox/orders/{uuid}/status`: the order moves to `status`.
    pub async fn set_sandbox_status(&self, uuid: &str, status: &str) {
        let url = format!("{}/__sandbox/orders/{uuid}/status", self.sandbox_root());
        let answer = self
            .http
            .post(url)
            .json(&serde_json::json!({ "status": status }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{uuid} → {status}");
    }

    /// Uploads a sheet and follows to its page: the sheet's id and its review page.
    pub async fn upload_sheet(&self, name: &str, bytes: Vec<u8>) -> (String, Page) {
        let uploaded = self.upload(name, bytes, &[]).await;
        assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
        let location = uploaded
            .location
            .expect("the upload redirects to its sheet");
        let id = location
            .strip_prefix("/sheets/")
            .expect("a sheet's page")
            .to_string();
        let review = self.get(&location).await;
        assert_eq!(review.status, StatusCode::OK, "{}", review.body);
        (id, review)
    }

    /// Sends the sheet (`POST /sheets/{id}/send`); the run's id.
    pub async fn send(&self, sheet: &str) -> String {
        let sent = self.post(&format!("/sheets/{sheet}/send"), &[]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        let location = sent.location.expect("a send redirects to its run");
        location
            .strip_prefix("/runs/")
            .expect("a run's page")
            .to_string()
    }

    /// Follows `/runs/{run}/events` (server-sent events) until a `data:` line says the run is
    /// `done` (or `failed`); every event's data, in order. One minute at most.
    pub async fn follow(&self, run: &str) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut answer = self
            .http
            .get(self.at(&format!("/runs/{run}/events")))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        let (mut text, mut events) = (String::new(), Vec::new());
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let chunk = tokio::time::timeout(left, answer.chunk())
                .await
                .unwrap_or_else(|_| panic!("run {run} not done after a minute: {events:?}"))
                .unwrap();
            let Some(chunk) = chunk else {
                panic!("the events of run {run} ended before it was done: {events:?}");
            };
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find('\n') {
                let line: String = text.drain(..=end).collect();
                if let Some(data) = line.trim_end().strip_prefix("data:") {
                    let event: Value = serde_json::from_str(data.trim()).unwrap();
                    let phase = event["phase"].as_str().unwrap_or("").to_string();
                    events.push(event);
                    if phase == "done" || phase == "failed" {
                        return events;
                    }
                }
            }
        }
    }

    /// Polls `path` until its body contains `text` (a minute at most); the last page.
    pub async fn poll_until(&self, path: &str, text: &str) -> Page {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let page = self.get(path).await;
            if page.body.contains(text) {
                return page;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never showed {text:?}:\n{}",
                page.body
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asserts that no page fetched so far carried a sandbox token (`sandbox-` and digits):
    /// the token stays in the server.
    pub fn assert_token_never_shown(&self) {
        let seen = self.seen.lock().unwrap();
        assert!(!seen.is_empty());
        for body in seen.iter() {
            let leaked = body.match_indices("sandbox-").any(|(at, m)| {
                body[at + m.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            });
            assert!(!leaked, "a page carries the sandbox's token:\n{body}");
        }
    }
}

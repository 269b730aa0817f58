//! The browser app under test: `fpgo-export serve --sandbox` on port 0 in the background (its
//! own sandbox, a temporary ledger unless given one), its address read from its ready line,
//! and a plain HTTP client for its routes that carries the page's secret as a page would.

use super::{Running, Workdir, TODAY};
use reqwest::StatusCode;
use std::time::Duration;

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
        let running = Running::start(work, &args, &[], "serve");
        let ready = running.stderr_line("fpgo-export is ready at ", Duration::from_secs(20));
        let url = ready
            .trim_start_matches("fpgo-export is ready at ")
            .trim()
            .to_string();
        let sending = running.stderr_line("sending to ", Duration::from_secs(5));
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
        page(self.http.get(self.at(path))).await
    }

    /// A form POST with the page's secret in the form, as the page's forms send it.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        form.extend_from_slice(fields);
        page(self.http.post(self.at(path)).form(&form)).await
    }

    /// Uploads a sheet as the page's form does (the secret first); the review page's path.
    pub async fn upload(&self, name: &str, bytes: Vec<u8>, fields: &[(&str, &str)]) -> Page {
        let mut form = reqwest::multipart::Form::new().text("csrf", self.csrf.clone());
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        form = form.part("sheet", part);
        page(self.http.post(self.at("/sheets")).multipart(form)).await
    }
}

pub async fn page(request: reqwest::RequestBuilder) -> Page {
    let answer = request.send().await.expect("the app answers");
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

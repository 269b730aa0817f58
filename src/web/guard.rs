//! What keeps a local web app local: every request's `Host` must name the bound address or
//! `localhost` (a page on another site that rebinds its DNS name to 127.0.0.1 gets 403), every
//! state-changing request carries the per-process secret of the page (CSRF) and, when the
//! browser says where it comes from, an `Origin` of this app; with `--allow-remote` every
//! request also needs the password (HTTP Basic). The provider's callback is the one route that
//! comes from elsewhere: its checksum is its guard (`callback.rs`).

use super::App;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The header (or form field) that carries the page's secret.
pub const CSRF_HEADER: &str = "x-fpgo-csrf";
pub const CSRF_FIELD: &str = "csrf";

/// A fresh random secret for this process.
pub fn new_secret() -> String {
    let mut rng = fastrand::Rng::new();
    (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rng.usize(..16)]))
        .collect()
}

/// The middleware: Host, password, Origin and CSRF, in that order.
pub async fn check(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if let Err(why) = host_allowed(&app, &request) {
        tracing::warn!(
            "refused {} {}: {why}",
            request.method(),
            request.uri().path()
        );
        return refuse(StatusCode::FORBIDDEN, &why);
    }
    let callback = request.uri().path() == "/fpgo/callback";
    if let Some(password) = &app.settings.password {
        if !callback && !password_given(&request, password) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Basic realm=\"fpgo-export\"")],
                "this fpgo-export app needs its password",
            )
                .into_response();
        }
    }
    if changes_state(request.method()) && !callback {
        if let Err(why) = origin_allowed(&app, &request) {
            tracing::warn!(
                "refused {} {}: {why}",
                request.method(),
                request.uri().path()
            );
            return refuse(StatusCode::FORBIDDEN, &why);
        }
        let limit = app.settings.max_upload + 64 * 1024;
        let Ok((request, secret)) = secret_of(request, limit).await else {
            return super::sheets::too_large(&app);
        };
        if !secret.is_some_and(|s| constant_time_eq(s.as_bytes(), app.secret.as_bytes())) {
            tracing::warn!(
                "refused {} {}: no valid CSRF secret",
                request.method(),
                request.uri().path()
            );
            return refuse(
                StatusCode::FORBIDDEN,
                "this request does not come from a page of this app (its secret is missing or old): reload the page and try again",
            );
        }
        return next.run(request).await;
    }
    next.run(request).await
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, format!("refused: {why}\n")).into_response()
}

/// The Host header must be the bound address, or `localhost` / `127.0.0.1` / `[::1]` at its
/// port (what a browser writes for a loopback URL).
fn host_allowed(app: &App, request: &Request) -> Result<(), String> {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or("the request names no Host")?;
    let port = app.address.port();
    let (name, given_port) = match host.rsplit_once(':') {
        Some((name, p)) if !name.ends_with(']') || host.starts_with('[') => {
            (name, p.parse::<u16>().ok())
        }
        _ => (host, None),
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    let ours = app.address.ip().to_string();
    let known = name.eq_ignore_ascii_case("localhost")
        || name == "127.0.0.1"
        || name == "::1"
        || name == ours
        || (app.settings.allow_remote && app.settings.password.is_some());
    if known && given_port.is_none_or(|p| p == port) {
        Ok(())
    } else {
        Err(format!(
            "the Host {host:?} is not this app's address (DNS rebinding?): open http://localhost:{port}/"
        ))
    }
}

/// A browser's `Origin` (or, without one, its `Referer`) must be this app; a request that
/// names neither (a script, curl) is judged by its secret alone.
fn origin_allowed(app: &App, request: &Request) -> Result<(), String> {
    let headers = request.headers();
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|o| o.to_str().ok());
    let Some(origin) = origin else { return Ok(()) };
    if origin == "null" {
        return Err("the request comes from an opaque origin".into());
    }
    let host = url::Url::parse(origin)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .ok_or_else(|| format!("the request's origin {origin:?} cannot be read"))?;
    let host = host.replace(['[', ']'], "");
    let port = app.address.port();
    let allowed = [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("::1:{port}"),
        format!("{}:{port}", app.address.ip()),
    ];
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(&host))
        || (app.settings.allow_remote && app.settings.password.is_some())
    {
        Ok(())
    } else {
        Err(format!("the request comes from another site ({origin})"))
    }
}

/// The secret from the header, else from the form or the upload's fields: the body is read
/// (at most `limit` bytes, else `Err`: larger than the app takes) and handed on unchanged.
async fn secret_of(request: Request, limit: usize) -> Result<(Request, Option<String>), ()> {
    if let Some(secret) = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|h| h.to_str().ok())
    {
        let secret = secret.to_string();
        return Ok((request, Some(secret)));
    }
    let query = request.uri().query().and_then(|q| field_of(q.as_bytes()));
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (parts, body) = request.into_parts();
    let bytes = read_at_most(body, limit).await?;
    let secret = if content_type.starts_with("application/x-www-form-urlencoded") {
        field_of(&bytes)
    } else if content_type.starts_with("multipart/form-data") {
        multipart_field(&bytes)
    } else {
        None
    };
    let request = Request::from_parts(parts, axum::body::Body::from(bytes));
    Ok((request, secret.or(query)))
}

/// The body, if it is at most `limit` bytes; a larger one is read to its end and dropped
/// (so that the client, still sending, gets the answer that says so instead of a reset
/// connection), and so is one cut off.
async fn read_at_most(body: axum::body::Body, limit: usize) -> Result<axum::body::Bytes, ()> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    let mut fits = true;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(drop)?;
        fits = fits && bytes.len() + chunk.len() <= limit;
        if fits {
            bytes.extend_from_slice(&chunk);
        } else {
            bytes = Vec::new();
        }
    }
    if fits {
        Ok(bytes.into())
    } else {
        Err(())
    }
}

fn field_of(form: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(form)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned())
}

/// The `csrf` field of a multipart body: the page puts it first, before the file.
fn multipart_field(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let marker = format!("name=\"{CSRF_FIELD}\"");
    let after = &text[text.find(&marker)? + marker.len()..];
    let value = after.split("\r\n\r\n").nth(1)?;
    Some(value.split("\r\n").next()?.trim().to_string())
}

fn password_given(request: &Request, password: &str) -> bool {
    let Some(given) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(decode_base64)
    else {
        return false;
    };
    let given = given.split_once(':').map_or(given.as_str(), |(_, p)| p);
    constant_time_eq(given.as_bytes(), password.as_bytes())
}

/// Base64 (the standard alphabet, as HTTP Basic writes it).
fn decode_base64(text: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.trim().bytes().filter(|&c| c != b'=') {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    String::from_utf8(out).ok()
}

/// Compares secrets without telling by its time how much of them matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_decoded() {
        assert_eq!(
            decode_base64("dXNlcjpzM2NyZXQ=").as_deref(),
            Some("user:s3cret")
        );
        assert_eq!(decode_base64("!!"), None);
    }

    #[test]
    fn the_csrf_field_is_found_in_a_multipart_body() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--b\r\nContent-Disposition: form-data; name=\"sheet\"; filename=\"x.csv\"\r\n\r\n...";
        assert_eq!(multipart_field(body).as_deref(), Some("abc123"));
    }
}

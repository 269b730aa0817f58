//! The sandbox's HTTP surface: the provider's routes under `/api/v1` (behind latency, the rate
//! limiter, the token check and the faults, in that order; each counted and logged with when it
//! arrived) and the loopback-only `/__sandbox/…` introspection routes.

use super::laravel::{self, Context};
use super::rules::{self, Endpoint};
use super::store::{Quota, Store, StoredOrder};
use super::{CloseWithoutAnswer, Fault, Peer};
use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::TimeZone;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

type Shared = Arc<Store>;

pub fn router(store: Shared) -> Router {
    let api = Router::new()
        .route("/connect/orders/invoice/submit", post(submit_session))
        .route(
            "/connect/orders/regular/invoice/submit",
            post(submit_regular),
        )
        .route("/connect/orders/status/{order_uuid}", get(status_of_one))
        .route("/connect/orders/status", get(status_of_many))
        .route("/connect/orders/cancel/{order_uuid}", post(cancel))
        .route("/connect/orders/details/{order_uuid}", get(details))
        .route_layer(middleware::from_fn_with_state(store.clone(), provider));
    let introspection = Router::new()
        .route("/orders", get(orders))
        .route("/orders/{order_uuid}/status", post(set_status))
        .route("/stats", get(stats))
        .route("/requests", get(requests))
        .route("/reset", post(reset))
        .route_layer(middleware::from_fn(loopback_only));
    Router::new()
        .nest("/api/v1", api)
        .nest("/__sandbox", introspection)
        .fallback(not_found)
        .with_state(store)
}

fn envelope(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn error(status: StatusCode, status_message: &str, message: &str, errors: Value) -> Response {
    envelope(
        status,
        json!({
            "status_code": status.as_u16(),
            "status_message": status_message,
            "message": message,
            "is_error": true,
            "errors": errors,
        }),
    )
}

/// What the provider's stack does around every API request: latency, rate limit, token,
/// faults; then the headers, the count and the log line.
async fn provider(State(store): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = format!(
        "{} {}",
        request.method(),
        request
            .extensions()
            .get::<MatchedPath>()
            .map_or(request.uri().path(), |p| p.as_str())
    );
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let (min, max) = store.config.latency;
    if max > min {
        tokio::time::sleep(min + (max - min).mul_f64(store.uniform())).await;
    } else if !min.is_zero() {
        tokio::time::sleep(min).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim()
        .to_string();
    let quota = store.quota(&token);
    let mut fault = None;
    let mut response = if !quota.allowed {
        too_many_requests(&quota, store.clock().now())
    } else if token != store.config.token {
        error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthenticated.",
            Value::Null,
        )
    } else {
        fault = store.fault();
        match fault {
            Some(Fault::Internal) => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Dependency Error",
                "Internal Error Occurred Please Try Again Later",
                json!({
                    "happenedAt": chrono::DateTime::from_timestamp(store.clock().now(), 0)
                        .unwrap_or_default()
                        .to_rfc3339(),
                    "internalErrorDetails": [],
                }),
            ),
            Some(Fault::Execution) => error(
                StatusCode::from_u16(510).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "Execution Exception Occurred",
                "Something Went Wrong",
                json!([]),
            ),
            Some(Fault::BadGateway) => bad_gateway(),
            Some(Fault::Drop) => close_without_answer(),
            Some(Fault::CommitDrop) => {
                next.run(request).await;
                close_without_answer()
            }
            Some(Fault::Slow) => {
                let response = next.run(request).await;
                tokio::time::sleep(store.config.slow).await;
                response
            }
            None => next.run(request).await,
        }
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(quota.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(quota.remaining));
    let closed = response.extensions().get::<CloseWithoutAnswer>().is_some();
    let outcome = if closed {
        "closed".to_string()
    } else {
        response.status().as_u16().to_string()
    };
    store.count(&route, &outcome);
    store.log(&route, &outcome, started);
    if store.config.log {
        // Never the token, never the body (it holds personal numbers).
        let note = fault
            .map(|f| format!(" fault={}", f.name()))
            .unwrap_or_default();
        eprintln!(
            "{} {method} /api/v1{path} -> {outcome} {}ms{note}",
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
            started.elapsed().as_millis()
        );
    }
    response
}

fn too_many_requests(quota: &Quota, now: i64) -> Response {
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        "Too Many Requests",
        "Too Many Attempts.",
        Value::Null,
    );
    let headers = response.headers_mut();
    headers.insert(
        header::RETRY_AFTER,
        HeaderValue::from((quota.reset - now).max(1)),
    );
    headers.insert("x-ratelimit-reset", HeaderValue::from(quota.reset));
    response
}

fn bad_gateway() -> Response {
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/html")],
        page,
    )
        .into_response()
}

fn close_without_answer() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.extensions_mut().insert(CloseWithoutAnswer);
    response
}

async fn submit_session(State(store): State<Shared>, body: Bytes) -> Response {
    submit(&store, Endpoint::InvoiceSession, &body)
}

async fn submit_regular(State(store): State<Shared>, body: Bytes) -> Response {
    submit(&store, Endpoint::RegularInvoice, &body)
}

/// Unix seconds of the start of today in Europe/Oslo, by the sandbox's clock.
fn today_start(now: i64) -> i64 {
    let oslo = chrono_tz::Europe::Oslo;
    let today = oslo.timestamp_opt(now, 0).single().map(|t| t.date_naive());
    today
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|midnight| oslo.from_local_datetime(&midnight).earliest())
        .map_or(now, |t| t.timestamp())
}

fn submit(store: &Store, endpoint: Endpoint, body: &[u8]) -> Response {
    // A body that is not a JSON object is validated as an empty one, as Laravel does.
    let payload = serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let context = Context {
        order_exists: &|id| store.order_exists(id),
        today_start: today_start(store.clock().now()),
        date_format: store.config.date_format,
    };
    let mut errors = laravel::validate(&payload, rules::rules(endpoint), &context);
    if errors.is_empty() && store.config.strict {
        errors = rules::arithmetic(&payload, endpoint);
    }
    if !errors.is_empty() {
        return error(
            StatusCode::EXPECTATION_FAILED,
            "Client Error",
            "payloadValidationErrors",
            json!(errors),
        );
    }
    let updating = payload
        .get("fpgoUuid")
        .is_some_and(|v| !laravel::as_text(v).trim().is_empty());
    let order = store.save(endpoint, payload);
    let (status, message) = if updating {
        (StatusCode::OK, "orderUpdatedSuccessfully")
    } else {
        (StatusCode::CREATED, "orderCreatedSuccessfully")
    };
    envelope(
        status,
        json!({
            "status_code": status.as_u16(),
            "status_message": "OK",
            "message": message,
            "is_data": true,
            "data": {
                "orderUuid": order.uuid,
                "customerUuid": order.customer_uuid,
                "bankIdUrl": bank_id_url(&order.uuid),
            },
        }),
    )
}

/// A BankID URL shaped like the provider's: its state is base64 of
/// `{"orderUuid":"…","connect":"yes"}`.
fn bank_id_url(uuid: &str) -> String {
    let state = format!("{{\"orderUuid\":\"{uuid}\",\"connect\":\"yes\"}}");
    format!(
        "https://auth.current.bankid.no/precheck/auth?state={}",
        base64(state.as_bytes())
    )
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn status_data(order: &StoredOrder) -> Value {
    json!({
        "uuid": order.uuid,
        "referenceNo": order.reference_no,
        "status": order.status,
        "orderAmount": order.grand_total,
        "refundedAmount": "0.00",
    })
}

fn order_not_found() -> Response {
    envelope(
        StatusCode::NOT_FOUND,
        json!({"status_code": 404, "status_message": "Not Found", "message": "Order Not Found", "is_data": false, "data": null}),
    )
}

fn found(data: Value) -> Response {
    envelope(
        StatusCode::OK,
        json!({"status_code": 200, "status_message": "OK", "message": "orderStatus", "is_data": true, "data": data}),
    )
}

/// `GET /connect/orders/details/{uuid}`, as *Get Order Details* answers: the order's lines and
/// summary (its `tax` and `discount`, not `totalTax`/`totalDiscount`), the customer, the status.
async fn details(State(store): State<Shared>, Path(uuid): Path<String>) -> Response {
    let Some(order) = store.order(&uuid) else {
        return order_not_found();
    };
    let p = &order.payload;
    let summary = &p["orderSummary"];
    let digits: String = order.uuid.chars().filter(char::is_ascii_digit).collect();
    envelope(
        StatusCode::OK,
        json!({
            "status_code": 200, "status_message": "OK", "message": "orderRetrievedSuccessfully",
            "is_data": true,
            "data": {
                "orderUuid": order.uuid,
                "invoiceNumber": format!("INV{digits}"),
                "status": order.status,
                "orderDate": p["orderDate"],
                "productList": p["products"],
                "orderSummary": {
                    "subTotal": summary["subTotal"],
                    "tax": summary["totalTax"],
                    "discount": summary["totalDiscount"],
                    "grandTotal": summary["grandTotal"],
                },
                "customerDetails": p["customerDetails"],
            },
        }),
    )
}

async fn status_of_one(State(store): State<Shared>, Path(uuid): Path<String>) -> Response {
    match store.order(&uuid) {
        Some(order) => found(status_data(&order)),
        None => order_not_found(),
    }
}

/// `?type=` filters by status (`SENT`, `INVOICED`, …) or by endpoint (`invoice-session`,
/// `regular-invoice`), case-insensitively.
async fn status_of_many(
    State(store): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let wanted = query.get("type").map(|t| t.trim().to_lowercase());
    let matching: Vec<Value> = store
        .orders()
        .iter()
        .filter(|o| {
            wanted
                .as_deref()
                .is_none_or(|t| o.status.eq_ignore_ascii_case(t) || o.endpoint.name() == t)
        })
        .map(status_data)
        .collect();
    if matching.is_empty() {
        order_not_found()
    } else {
        found(Value::Array(matching))
    }
}

/// `POST /connect/orders/cancel/{uuid}` with a `cancellationNote`: 202 when cancelled, 400
/// when the order is paid or already cancelled, 404 when unknown.
async fn cancel(State(store): State<Shared>, Path(uuid): Path<String>, body: Bytes) -> Response {
    let note = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b.get("cancellationNote").map(laravel::as_text))
        .filter(|n| !n.trim().is_empty());
    if note.is_none() {
        return error(
            StatusCode::EXPECTATION_FAILED,
            "Client Error",
            "payloadValidationErrors",
            json!(["The cancellation note field is required."]),
        );
    }
    match store.cancel(&uuid) {
        None => envelope(
            StatusCode::NOT_FOUND,
            json!({"status_code": 404, "status_message": "Not Found", "message": "orderNotFound", "is_data": false, "data": null}),
        ),
        Some(before @ ("PAID" | "CANCELLED")) => error(
            StatusCode::BAD_REQUEST,
            "Conflict of Business Logic",
            if before == "PAID" {
                "orderStatusAlreadyPaid"
            } else {
                "orderAlreadyCancelled"
            },
            Value::Null,
        ),
        Some(_) => envelope(
            StatusCode::ACCEPTED,
            json!({"status_code": 202, "status_message": "OK", "message": "cancelledOrderSuccessfully", "is_data": false, "data": null}),
        ),
    }
}

async fn loopback_only(request: Request, next: Next) -> Response {
    let loopback = request
        .extensions()
        .get::<Peer>()
        .is_some_and(|Peer(peer)| peer.ip().is_loopback());
    if loopback {
        next.run(request).await
    } else {
        error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "introspectionIsLoopbackOnly",
            Value::Null,
        )
    }
}

async fn orders(State(store): State<Shared>) -> Response {
    let list: Vec<Value> = store
        .orders()
        .iter()
        .map(|o| {
            json!({
                "referenceNo": o.reference_no,
                "id": o.uuid,
                "customerId": o.customer_uuid,
                "endpoint": o.endpoint.name(),
                "status": o.status,
                "createdAt": o.created_at,
                "timesCreated": o.reference_no.as_deref().map_or(1, |r| store.created(r)),
                "updates": o.updates,
                "payload": o.payload,
            })
        })
        .collect();
    Json(json!({"orders": list})).into_response()
}

/// `POST /__sandbox/orders/{uuid}/status` with `{"status": "PAID"}`: the order moves on in
/// its life, as its customer and the provider would move it.
async fn set_status(
    State(store): State<Shared>,
    Path(uuid): Path<String>,
    body: Bytes,
) -> Response {
    let Some(status) = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b.get("status").and_then(Value::as_str).map(str::to_string))
    else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Client Error",
            "give {\"status\": \"PAID\"} (or another status)",
            Value::Null,
        );
    };
    if !store.order_exists(&uuid) {
        return error(
            StatusCode::NOT_FOUND,
            "Not Found",
            "orderNotFound",
            Value::Null,
        );
    }
    match store.set_status(&uuid, &status) {
        Ok(previous) => Json(json!({"uuid": uuid, "status": store.order(&uuid).map(|o| o.status), "previous": previous})).into_response(),
        Err(why) => error(StatusCode::UNPROCESSABLE_ENTITY, "Client Error", &why, Value::Null),
    }
}

async fn stats(State(store): State<Shared>) -> Response {
    Json(store.stats()).into_response()
}

/// `GET /__sandbox/requests`: when each API request arrived (milliseconds since the sandbox
/// started), its route and its answer, oldest first.
async fn requests(State(store): State<Shared>) -> Response {
    Json(store.requests()).into_response()
}

async fn reset(State(store): State<Shared>) -> Response {
    store.reset();
    Json(json!({"reset": true})).into_response()
}

async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Not Found",
        "routeNotFound",
        Value::Null,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_id_state_is_the_providers() {
        assert_eq!(
            bank_id_url("ODR4286244937"),
            "https://auth.current.bankid.no/precheck/auth?state=eyJvcmRlclV1aWQiOiJPRFI0Mjg2MjQ0OTM3IiwiY29ubmVjdCI6InllcyJ9"
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }

    #[test]
    fn today_starts_at_midnight_in_oslo() {
        // 2026-11-21 12:00 UTC is 13:00 in Oslo; the day began at 23:00 UTC the evening before.
        assert_eq!(today_start(1_795_262_400), 1_795_215_600);
    }
}

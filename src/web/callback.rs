//! The provider's callback notifications ("Callback notifications"): a GET to `/fpgo/callback`
//! whose query carries `orderUuid`, `status`, … and a `checksum`: the lowercase hex SHA-256 of
//! the values of every other parameter, in the order they come, followed by the merchant's
//! secret. Older pages of the provider gave two other formulas (`orderUuid . status .
//! createdAt . secret`, and with `amount . timestamp` before the secret); both are accepted
//! too, and the log says which matched. A wrong checksum, or a `timestamp` more than 15
//! minutes old (by the sandbox's clock when the app started one, else the wall clock), is
//! refused with 403 and logged; a right one is recorded in the ledger's
//! status history, as `status` records what it reads.

use super::App;
use crate::model::callback::checksum;
use crate::send::ledger::{Ledger, Scope, Seen, SeenBy};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// How old a callback's `timestamp` may be.
const FRESH_SECONDS: i64 = 15 * 60;

/// Which formula a checksum matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Formula {
    /// Every value but the checksum's, in URL order, then the secret.
    Current,
    /// `orderUuid . status . createdAt . secret`.
    Oldest,
    /// `orderUuid . status . createdAt . amount . timestamp . secret`.
    Older,
}

/// The query's parameters, URL-decoded as PHP's `$_GET` decodes them, in their order.
pub fn parameters(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Which formula the query's checksum matches with `secret`, if any.
pub fn verify(parameters: &[(String, String)], secret: &str) -> Option<Formula> {
    let get = |name: &str| value(parameters, name);
    let given = get("checksum").to_ascii_lowercase();
    if given.is_empty() {
        return None;
    }
    let current = checksum(
        parameters
            .iter()
            .filter(|(k, _)| k != "checksum")
            .map(|(_, v)| v.as_str()),
        secret,
    );
    let oldest = checksum([get("orderUuid"), get("status"), get("createdAt")], secret);
    let older = checksum(
        [
            get("orderUuid"),
            get("status"),
            get("createdAt"),
            get("amount"),
            get("timestamp"),
        ],
        secret,
    );
    let same = |a: &str| super::guard::constant_time_eq(a.as_bytes(), given.as_bytes());
    if same(&current) {
        Some(Formula::Current)
    } else if same(&older) {
        Some(Formula::Older)
    } else if same(&oldest) {
        Some(Formula::Oldest)
    } else {
        None
    }
}

/// `GET /fpgo/callback?…`.
pub async fn receive(State(app): State<Arc<App>>, RawQuery(query): RawQuery) -> Response {
    let parameters = parameters(query.as_deref().unwrap_or(""));
    let Some(secret) = &app.settings.callback_secret else {
        tracing::warn!("callback refused: this app has no --callback-secret-file");
        return refuse("this app was started without --callback-secret-file");
    };
    let Some(formula) = verify(&parameters, secret) else {
        tracing::warn!(
            "callback refused: wrong checksum (order {:?})",
            value(&parameters, "orderUuid")
        );
        return refuse("Checksum verification failed.");
    };
    if let Ok(timestamp) = value(&parameters, "timestamp").parse::<i64>() {
        if app.target.now() - timestamp > FRESH_SECONDS {
            tracing::warn!("callback refused: its timestamp {timestamp} is over 15 minutes old");
            return refuse("the callback is too old");
        }
    }
    let uuid = value(&parameters, "orderUuid").to_string();
    let status = value(&parameters, "status").to_string();
    tracing::info!("callback for {uuid}: {status} (checksum formula {formula:?})");
    if uuid.is_empty() || status.is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            "orderUuid and status are required\n",
        )
            .into_response();
    }
    let amount = Some(value(&parameters, "amount").to_string()).filter(|a| !a.is_empty());
    let app2 = app.clone();
    let recorded = tokio::task::spawn_blocking(move || record(&app2, &uuid, status, amount)).await;
    match recorded {
        Ok(Ok(true)) => (StatusCode::OK, "OK\n").into_response(),
        Ok(Ok(false)) => {
            // Not ours (another ledger's order): acknowledged, nothing recorded.
            (StatusCode::OK, "OK (unknown order)\n").into_response()
        }
        Ok(Err(e)) => {
            tracing::warn!("callback not recorded: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not recorded; send it again later\n",
            )
                .into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

fn value<'a>(parameters: &'a [(String, String)], name: &str) -> &'a str {
    parameters
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

fn refuse(why: &str) -> Response {
    (StatusCode::FORBIDDEN, format!("{why}\n")).into_response()
}

/// Records a callback's status on the order it names, whichever endpoint sent it; `false`
/// when the ledger holds no such created order.
fn record(
    app: &App,
    uuid: &str,
    status: String,
    amount: Option<String>,
) -> Result<bool, crate::error::Error> {
    let _busy = app.ledger.blocking_lock();
    let mut ledger = Ledger::open(&app.target.ledger)?;
    for endpoint in crate::model::Endpoint::ALL {
        let scope = Scope {
            base_url: app.target.base_url.key.clone(),
            endpoint: endpoint.name().to_string(),
        };
        if let Some(known) = ledger.created_order(&scope, uuid)? {
            let seen = Seen::Status { status, amount };
            ledger.record_status(&scope, &known.key, uuid, &seen, SeenBy::Callback)?;
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_formula_hashes_every_value_in_url_order_then_the_secret() {
        let query = "orderUuid=ODR123&status=PAID&paymentMethod=Visa&amount=100&createdAt=1755764131&timestamp=1755764131";
        let sum = checksum(
            ["ODR123", "PAID", "Visa", "100", "1755764131", "1755764131"],
            "s3cret",
        );
        let params = parameters(&format!("{query}&checksum={sum}"));
        assert_eq!(verify(&params, "s3cret"), Some(Formula::Current));
        assert_eq!(verify(&params, "other"), None);
        let oldest = checksum(["ODR123", "PAID", "1755764131"], "s3cret");
        let params = parameters(&format!("{query}&checksum={oldest}"));
        assert_eq!(verify(&params, "s3cret"), Some(Formula::Oldest));
    }

    #[test]
    fn values_are_url_decoded_before_hashing() {
        let sum = checksum(["ODR1", "PARTIAL REFUNDED"], "k");
        let params = parameters(&format!(
            "orderUuid=ODR1&status=PARTIAL+REFUNDED&checksum={sum}"
        ));
        assert_eq!(verify(&params, "k"), Some(Formula::Current));
    }
}

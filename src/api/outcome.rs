//! The one place that decides what an answer means: created, rejected (final), stop (the token
//! was refused), wait (rate limited), retry (the server failed, or the request never left), or
//! uncertain (the request may have been taken but no answer came). Also maps the server's
//! messages back to the sheet: `The products.1.rate field is required.` is the order's second
//! line, column `unit_price` (or whatever the sheet calls it).

use super::client::{Answer, NoAnswer};
use super::wire::humanise;
use crate::columns::{Field, FIELDS};
use crate::ledger::Ids;
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, PartialEq)]
pub enum Outcome {
    Created(Ids),
    /// 417 and other 4xx: final. Every message the server gave.
    Rejected(Vec<String>),
    /// 401/403: stop sending.
    Refused(String),
    /// 429: wait this long; the attempt does not count.
    Wait(Duration),
    /// 5xx or no connection: try again later.
    Retry(String),
    /// The request may have been taken: never resend on one's own.
    Uncertain(String),
}

/// Classifies an answer, or its absence. `now` is Unix seconds (for `X-RateLimit-Reset`).
pub fn classify(answer: Result<Answer, NoAnswer>, now: i64) -> Outcome {
    let answer = match answer {
        Ok(answer) => answer,
        Err(NoAnswer {
            before_send: true,
            reason,
        }) => return Outcome::Retry(reason),
        Err(NoAnswer { reason, .. }) => return Outcome::Uncertain(reason),
    };
    let body: Option<Value> = serde_json::from_slice(&answer.body).ok();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    match answer.status {
        200..=299 => {
            let data = body.as_ref().and_then(|b| b.get("data"));
            let field = |name: &str| text(data.and_then(|d| d.get(name)));
            match field("orderUuid") {
                Some(order_uuid) => Outcome::Created(Ids {
                    order_uuid,
                    customer_uuid: field("customerUuid"),
                    url: field("bankIdUrl").or_else(|| field("paymentUrl")),
                }),
                None => Outcome::Uncertain(format!(
                    "the provider answered {} but gave no order id",
                    answer.status
                )),
            }
        }
        401 | 403 => Outcome::Refused(format!(
            "the provider refused the token ({}{})",
            answer.status,
            text(body.as_ref().and_then(|b| b.get("message")))
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )),
        429 => Outcome::Wait(wait_of(&answer, now)),
        400..=499 => Outcome::Rejected(messages(answer.status, body.as_ref())),
        status => Outcome::Retry(format!(
            "the provider answered {status}{}",
            text(body.as_ref().and_then(|b| b.get("message")))
                .map(|m| format!(" ({m})"))
                .unwrap_or_else(|| if body.is_none() && !answer.body.is_empty() {
                    " (not JSON)".into()
                } else {
                    String::new()
                })
        )),
    }
}

/// How long a 429 asks to wait: `Retry-After` (seconds), else `X-RateLimit-Reset` (Unix
/// seconds), else a whole window; at least a second.
fn wait_of(answer: &Answer, now: i64) -> Duration {
    let retry_after = answer
        .retry_after
        .as_deref()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let reset = answer
        .reset
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|reset| (reset - now).max(0) as u64);
    Duration::from_secs(retry_after.or(reset).unwrap_or(60).clamp(1, 3600))
}

/// Every message of a rejection: `errors` as an array of strings, an object of arrays, or the
/// envelope's `message`.
fn messages(status: u16, body: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    match body.and_then(|b| b.get("errors")) {
        Some(Value::Array(items)) => out.extend(
            items
                .iter()
                .map(|v| v.as_str().map_or(v.to_string(), str::to_string)),
        ),
        Some(Value::Object(map)) => {
            for value in map.values() {
                match value {
                    Value::Array(items) => {
                        out.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                    }
                    Value::String(s) => out.push(s.clone()),
                    _ => {}
                }
            }
        }
        Some(Value::String(s)) => out.push(s.clone()),
        _ => {}
    }
    if out.is_empty() {
        let message = body
            .and_then(|b| b.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        out.push(format!(
            "the provider refused the order ({status}: {message})"
        ));
    }
    out
}

/// Where a server message belongs in the order: the index of the line it names (for
/// `products.N.…`) and the field, if one can be told.
pub fn locate(message: &str) -> (Option<usize>, Option<Field>) {
    let lower = message.to_lowercase();
    if let Some(at) = lower.find("products.") {
        let rest = &lower[at + "products.".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(line) = digits.parse::<usize>() {
            let attribute = &rest[digits.len()..];
            let field = FIELDS
                .iter()
                .filter_map(|f| {
                    f.api
                        .strip_prefix("products.*.")
                        .map(|a| (f.field, humanise(a)))
                })
                .find(|(_, a)| {
                    attribute.starts_with(&format!(".{a} "))
                        || attribute.starts_with(&format!(".{a}."))
                })
                .map(|(f, _)| f);
            return (Some(line), field);
        }
    }
    // The longest API name the message mentions: `customer details.address.country` before
    // `customer details.address`.
    let field = FIELDS
        .iter()
        .filter(|f| !f.api.is_empty() && !f.api.starts_with("products."))
        .map(|f| (f.field, humanise(f.api)))
        .filter(|(_, name)| {
            lower.contains(&format!(" {name} ")) || lower.contains(&format!(" {name}."))
        })
        .max_by_key(|(_, name)| name.len())
        .map(|(f, _)| f);
    (None, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Result<Answer, NoAnswer> {
        Ok(Answer {
            status,
            retry_after: None,
            reset: None,
            remaining: None,
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn outcomes() {
        let created = r#"{"status_code":201,"data":{"orderUuid":"ODR1","customerUuid":"CSRT1","paymentUrl":"https://p"}}"#;
        assert_eq!(
            classify(answer(200, created), 0),
            Outcome::Created(Ids {
                order_uuid: "ODR1".into(),
                customer_uuid: Some("CSRT1".into()),
                url: Some("https://p".into())
            })
        );
        assert!(matches!(
            classify(answer(201, "{}"), 0),
            Outcome::Uncertain(_)
        ));
        assert_eq!(
            classify(
                answer(
                    417,
                    r#"{"errors":["The products.1.rate field is required."]}"#
                ),
                0
            ),
            Outcome::Rejected(vec!["The products.1.rate field is required.".into()])
        );
        assert!(
            matches!(classify(answer(400, r#"{"message":"Conflict"}"#), 0), Outcome::Rejected(m) if m[0].contains("Conflict"))
        );
        assert!(matches!(
            classify(answer(401, "{}"), 0),
            Outcome::Refused(_)
        ));
        assert!(matches!(classify(answer(403, ""), 0), Outcome::Refused(_)));
        for status in [500, 502, 503, 504, 510] {
            assert!(
                matches!(
                    classify(answer(status, "<html>nginx</html>"), 0),
                    Outcome::Retry(_)
                ),
                "{status}"
            );
        }
        let lost = Err(NoAnswer {
            before_send: false,
            reason: "lost".into(),
        });
        assert!(matches!(classify(lost, 0), Outcome::Uncertain(_)));
        let refused = Err(NoAnswer {
            before_send: true,
            reason: "refused".into(),
        });
        assert!(matches!(classify(refused, 0), Outcome::Retry(_)));
        let mut limited = answer(429, "").unwrap();
        limited.reset = Some("130".into());
        assert_eq!(
            classify(Ok(limited), 100),
            Outcome::Wait(Duration::from_secs(30))
        );
    }

    #[test]
    fn messages_find_their_line_and_field() {
        assert_eq!(
            locate("The products.1.rate field is required."),
            (Some(1), Some(Field::UnitPrice))
        );
        assert_eq!(
            locate("The products.0.product id must not be greater than 25 characters."),
            (Some(0), Some(Field::ProductId))
        );
        assert_eq!(
            locate("The customer details.email must be a valid email address."),
            (None, Some(Field::Email))
        );
        assert_eq!(
            locate(
                "The customer details.address.country must be a valid ISO Alpha-2 country code."
            ),
            (None, Some(Field::Country))
        );
        assert_eq!(
            locate("The order summary.grand total must be 69.00 (…)."),
            (None, Some(Field::GrandTotal))
        );
        assert_eq!(locate("Something else."), (None, None));
    }
}

//! The one place that decides what an answer means: created, rejected (final), stop (the token
//! was refused, or the server redirects elsewhere), wait (rate limited), retry (the server
//! failed, or could not be reached), failed (the request could not be made), or uncertain (the
//! request may have been taken but no answer came). Also maps the server's messages back to
//! the sheet: `The products.1.rate field is required.` is the order's second line, column
//! `unit_price` (or whatever the sheet calls it).

use super::client::{Answer, Failure, NoAnswer, MAX_BODY};
use crate::model::fields::{humanise, Field, FIELDS};
use crate::model::outcome::Ids;
use serde_json::Value;
use std::time::Duration;

/// The most messages of one rejection that are kept (a 417 lists every problem of an order,
/// one per field and line); the rest are counted in a last message.
pub const MAX_MESSAGES: usize = 20;
/// The most characters of one message that are kept.
pub const MAX_MESSAGE_CHARS: usize = 300;

#[derive(Debug, PartialEq)]
pub enum Outcome {
    Created(Ids),
    /// 417 and other 4xx: final. The server's messages, at most [`MAX_MESSAGES`].
    Rejected(Vec<String>),
    /// 401/403: stop sending.
    Refused(String),
    /// 3xx: the server points elsewhere; nothing was created, and nothing more is sent.
    Redirected(String),
    /// 429: wait this long; the attempt does not count. The note says what was wrong with
    /// the server's `Retry-After`, if anything.
    Wait(Duration, Option<String>),
    /// 5xx: try again later.
    Retry(String),
    /// No connection could be made: try again later (and stop when nothing ever answers).
    Unreachable(String),
    /// The request could not be made here: nothing was sent.
    Failed(String),
    /// The request may have been taken: never resend on one's own.
    Uncertain(String),
}

/// Classifies an answer, or its absence. `now` is Unix seconds (for `X-RateLimit-Reset`).
pub fn classify(answer: Result<Answer, NoAnswer>, now: i64) -> Outcome {
    let answer = match answer {
        Ok(answer) => answer,
        Err(NoAnswer { failure, reason }) => {
            return match failure {
                Failure::Unbuildable => Outcome::Failed(reason),
                Failure::Unreachable => Outcome::Unreachable(reason),
                Failure::Lost => Outcome::Uncertain(reason),
            }
        }
    };
    let body: Option<Value> = serde_json::from_slice(&answer.body).ok();
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let message = || {
        text(body.as_ref().and_then(|b| b.get("message")))
            .map(|m| format!(": {}", shorten(&m, MAX_MESSAGE_CHARS)))
            .unwrap_or_default()
    };
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
                None if answer.truncated => Outcome::Uncertain(format!(
                    "the provider answered {} with a body over {} MiB, which was not read",
                    answer.status,
                    MAX_BODY >> 20
                )),
                None => Outcome::Uncertain(format!(
                    "the provider answered {} but gave no order id",
                    answer.status
                )),
            }
        }
        300..=399 => Outcome::Redirected(format!(
            "the provider answered {} and asked to send the order to {}; redirects are not followed (an order goes to the base URL or nowhere), so nothing was created: check the base URL",
            answer.status,
            answer
                .location
                .as_deref()
                .map_or("an address it did not give".to_string(), |l| shorten(l, 200))
        )),
        401 | 403 => Outcome::Refused(format!(
            "the provider refused the token ({}{})",
            answer.status,
            message()
        )),
        429 => {
            let (wait, note) = wait_of(&answer, now);
            Outcome::Wait(wait, note)
        }
        400..=499 => Outcome::Rejected(messages(answer.status, body.as_ref(), answer.truncated)),
        status => Outcome::Retry(format!(
            "the provider answered {status}{}",
            if body.is_some() {
                message()
            } else if !answer.body.is_empty() {
                " (not JSON)".into()
            } else {
                String::new()
            }
        )),
    }
}

/// What an ask of an order's status ("Order status") said.
#[derive(Debug, PartialEq)]
pub enum Read {
    /// 200: the status as the provider wrote it, and the order's amount if it gave one.
    Status {
        status: String,
        amount: Option<String>,
    },
    /// 404: the provider does not know the order.
    NotFound,
    /// Anything else, as [`classify`] reads it (a 2xx without a status is a retry).
    Other(Outcome),
}

/// Classifies the answer to `GET /connect/orders/status/{orderUuid}`.
pub fn classify_status(answer: Result<Answer, NoAnswer>, now: i64) -> Read {
    let status = match &answer {
        Ok(a) => a.status,
        Err(_) => return Read::Other(classify(answer, now)),
    };
    let body = answer
        .as_ref()
        .ok()
        .and_then(|a| serde_json::from_slice::<Value>(&a.body).ok());
    let data = body.as_ref().and_then(|b| b.get("data"));
    let text = |name: &str| {
        data.and_then(|d| d.get(name)).and_then(|v| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    match status {
        200..=299 => match text("status") {
            Some(status) => Read::Status {
                status: shorten(&status, 40),
                amount: text("orderAmount"),
            },
            None => Read::Other(Outcome::Retry(format!(
                "the provider answered {status} but gave no status"
            ))),
        },
        404 => Read::NotFound,
        _ => Read::Other(classify(answer, now)),
    }
}

/// What an ask to cancel an order ("Cancel Order") said.
#[derive(Debug, PartialEq)]
pub enum Cancelled {
    /// 202: cancelled.
    Cancelled,
    /// 400 `orderStatusAlreadyPaid`: paid, so not cancelled.
    AlreadyPaid,
    /// 400 `orderAlreadyCancelled`.
    AlreadyCancelled,
    /// 404.
    NotFound,
    /// Anything else, as [`classify`] reads it.
    Other(Outcome),
}

/// Classifies the answer to `POST /connect/orders/cancel/{orderUuid}`.
pub fn classify_cancel(answer: Result<Answer, NoAnswer>, now: i64) -> Cancelled {
    let Ok(a) = &answer else {
        return Cancelled::Other(classify(answer, now));
    };
    let message = serde_json::from_slice::<Value>(&a.body)
        .ok()
        .and_then(|b| {
            b.get("message")
                .and_then(Value::as_str)
                .map(str::to_lowercase)
        })
        .unwrap_or_default();
    match a.status {
        200..=299 => Cancelled::Cancelled,
        400 if message.contains("paid") => Cancelled::AlreadyPaid,
        400 if message.contains("cancel") => Cancelled::AlreadyCancelled,
        404 => Cancelled::NotFound,
        _ => Cancelled::Other(classify(answer, now)),
    }
}

/// At most `max` characters of a text the server sent, and its length when it was longer.
fn shorten(text: &str, max: usize) -> String {
    crate::model::problem::mention_up_to(text, max).into_owned()
}

/// How long a 429 asks to wait: `Retry-After` (seconds, or an HTTP date), else
/// `X-RateLimit-Reset` (Unix seconds), else a whole window; at least a second. A header that
/// is neither is not silently ignored: the note says so.
fn wait_of(answer: &Answer, now: i64) -> (Duration, Option<String>) {
    let mut note = None;
    let retry_after = answer.retry_after.as_deref().and_then(|v| {
        let v = v.trim();
        let seconds = v.parse::<u64>().ok().or_else(|| {
            chrono::DateTime::parse_from_rfc2822(v)
                .ok()
                .map(|at| (at.timestamp() - now).max(0) as u64)
        });
        if seconds.is_none() {
            note = Some(format!(
                "its Retry-After header `{}` is neither seconds nor a date",
                shorten(v, 40)
            ));
        }
        seconds
    });
    let reset = answer
        .reset
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|reset| (reset - now).max(0) as u64);
    // The provider's window is a minute (the rate-limit headers the demo server sends).
    let seconds = retry_after.or(reset).unwrap_or(60);
    (Duration::from_secs(seconds.clamp(1, 86_400)), note)
}

/// Every message of a rejection (`errors` as an array of strings, an object of arrays, or
/// the envelope's `message`), at most [`MAX_MESSAGES`] of them, each at most
/// [`MAX_MESSAGE_CHARS`], the rest counted.
fn messages(status: u16, body: Option<&Value>, truncated: bool) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    match body.and_then(|b| b.get("errors")) {
        Some(Value::Array(items)) => all.extend(
            items
                .iter()
                .map(|v| v.as_str().map_or(v.to_string(), str::to_string)),
        ),
        Some(Value::Object(map)) => {
            for value in map.values() {
                match value {
                    Value::Array(items) => {
                        all.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                    }
                    Value::String(s) => all.push(s.clone()),
                    _ => {}
                }
            }
        }
        Some(Value::String(s)) => all.push(s.clone()),
        _ => {}
    }
    if all.is_empty() {
        let message = body
            .and_then(|b| b.get("message"))
            .and_then(Value::as_str)
            .map(|m| shorten(m, MAX_MESSAGE_CHARS));
        let message = match message {
            Some(m) => m,
            None if truncated => format!("an answer over {} MiB, not read", MAX_BODY >> 20),
            None => "no reason given".into(),
        };
        all.push(format!(
            "the provider refused the order ({status}: {message})"
        ));
    }
    let more = all.len().saturating_sub(MAX_MESSAGES);
    let mut out: Vec<String> = all
        .iter()
        .take(MAX_MESSAGES)
        .map(|m| shorten(m, MAX_MESSAGE_CHARS))
        .collect();
    if more > 0 {
        out.push(format!("… and {more} more messages from the provider"));
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
            location: None,
            body: body.as_bytes().to_vec(),
            truncated: false,
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
        let no = |failure| {
            Err(NoAnswer {
                failure,
                reason: "why".into(),
            })
        };
        assert!(matches!(
            classify(no(Failure::Lost), 0),
            Outcome::Uncertain(_)
        ));
        assert!(matches!(
            classify(no(Failure::Unreachable), 0),
            Outcome::Unreachable(_)
        ));
        assert!(matches!(
            classify(no(Failure::Unbuildable), 0),
            Outcome::Failed(_)
        ));
        let mut redirect = answer(308, "").unwrap();
        redirect.location = Some("http://elsewhere.example/api".into());
        assert!(
            matches!(classify(Ok(redirect), 0), Outcome::Redirected(m) if m.contains("308") && m.contains("http://elsewhere.example/api"))
        );
        let mut limited = answer(429, "").unwrap();
        limited.reset = Some("130".into());
        assert_eq!(
            classify(Ok(limited), 100),
            Outcome::Wait(Duration::from_secs(30), None)
        );
    }

    #[test]
    fn a_broken_retry_after_falls_back_and_says_so() {
        let limited = |retry_after: &str| {
            let mut a = answer(429, "").unwrap();
            a.retry_after = Some(retry_after.into());
            a.reset = Some("110".into());
            classify(Ok(a), 100)
        };
        assert_eq!(limited("7"), Outcome::Wait(Duration::from_secs(7), None));
        // 2026-11-21 12:00:30 UTC, thirty seconds after `now`.
        assert_eq!(
            limited_at("Sat, 21 Nov 2026 12:00:30 GMT", 1_795_262_400),
            Outcome::Wait(Duration::from_secs(30), None)
        );
        match limited("soon") {
            Outcome::Wait(wait, Some(note)) => {
                assert_eq!(wait, Duration::from_secs(10), "the window's reset instead");
                assert!(note.contains("`soon`"), "{note}");
            }
            other => panic!("{other:?}"),
        }
    }

    fn limited_at(retry_after: &str, now: i64) -> Outcome {
        let mut a = answer(429, "").unwrap();
        a.retry_after = Some(retry_after.into());
        classify(Ok(a), now)
    }

    #[test]
    fn ten_thousand_messages_are_kept_to_twenty_and_counted() {
        let errors: Vec<String> = (0..10_000)
            .map(|i| format!("The products.{i}.rate field is required."))
            .collect();
        let body = serde_json::json!({ "errors": errors }).to_string();
        let Outcome::Rejected(kept) = classify(answer(417, &body), 0) else {
            panic!()
        };
        assert_eq!(kept.len(), MAX_MESSAGES + 1);
        assert_eq!(
            kept[MAX_MESSAGES],
            "… and 9980 more messages from the provider"
        );
        let long = "x".repeat(5000);
        let body = serde_json::json!({ "errors": [long] }).to_string();
        let Outcome::Rejected(kept) = classify(answer(417, &body), 0) else {
            panic!()
        };
        assert!(
            kept[0].chars().count() < MAX_MESSAGE_CHARS + 40,
            "{}",
            kept[0]
        );
        assert!(kept[0].ends_with("(5000 characters)"));
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

//! What to do with each valid order before anything is sent: the ledger's word on it. A new
//! order is sent; one created before is skipped (or, changed since, reported and sent as an
//! update when asked); one left uncertain is held back unless the user asks to resend it; one
//! the provider rejected is not sent again unless its content changed.

use crate::api::client::Client;
use crate::ledger::{Ids, Record, State};
use serde_json::Value;
use std::collections::HashMap;

/// The verdict on one order.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// Send it; as an update of this provider order when there is one.
    Send { update_of: Option<String> },
    /// Created by an earlier run with the same content.
    AlreadyCreated(Ids),
    /// Created by an earlier run, and its content changed since (not sent without `--update`).
    Changed(Ids),
    /// An earlier run may have created it; not sent without `--retry-uncertain`.
    Uncertain(String),
    /// The provider rejected this same content before.
    Rejected(String),
}

/// The switches that change the verdicts.
#[derive(Clone, Copy, Debug, Default)]
pub struct Choices {
    pub retry_uncertain: bool,
    pub update: bool,
}

/// Decides for one order, given its ledger record and the fingerprint of what would be sent.
pub fn decide(record: Option<&Record>, fingerprint: &str, choices: Choices) -> Decision {
    let Some(record) = record else {
        return Decision::Send { update_of: None };
    };
    let ids = || Ids {
        order_uuid: record.order_uuid.clone().unwrap_or_default(),
        customer_uuid: record.customer_uuid.clone(),
        url: record.url.clone(),
    };
    let same = record.fingerprint == fingerprint;
    match record.state {
        State::Created if same => Decision::AlreadyCreated(ids()),
        State::Created if choices.update => Decision::Send {
            update_of: record.order_uuid.clone(),
        },
        State::Created => Decision::Changed(ids()),
        State::Rejected if same => Decision::Rejected(
            record
                .last_error
                .clone()
                .unwrap_or_else(|| "rejected by the provider".into()),
        ),
        State::Uncertain | State::Sending if !choices.retry_uncertain => Decision::Uncertain(
            record
                .last_error
                .clone()
                .unwrap_or_else(|| "an earlier run got no answer".into()),
        ),
        // Failed (never taken), rejected content since changed, or uncertain and asked for.
        _ => Decision::Send {
            update_of: record
                .order_uuid
                .clone()
                .filter(|_| record.state != State::Uncertain),
        },
    }
}

/// A stable fingerprint of a request body: FNV-1a over its JSON with the parts that change
/// without the order changing left out (the order date, which a blank cell makes "today", and
/// the update fields).
pub fn fingerprint(payload: &Value) -> String {
    let mut stable = payload.clone();
    if let Some(map) = stable.as_object_mut() {
        for volatile in ["orderDate", "fpgoUuid", "orderFrom"] {
            map.remove(volatile);
        }
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in stable.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Asks the provider which of these orders (by referenceNo) it has, through the order-status
/// listing. Orders it names were created by an earlier run whose answer was lost. Returns an
/// empty map when the provider cannot tell (no such listing, or no referenceNo in it).
pub async fn ask_provider(client: &Client, keys: &[String]) -> HashMap<String, Ids> {
    let mut found = HashMap::new();
    if keys.is_empty() {
        return found;
    }
    let Ok(answer) = client.get("/connect/orders/status").await else {
        return found;
    };
    if answer.status != 200 {
        return found;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&answer.body) else {
        return found;
    };
    let Some(items) = body.get("data").and_then(Value::as_array) else {
        return found;
    };
    for item in items {
        let text = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_string);
        if let (Some(reference), Some(uuid)) = (text("referenceNo"), text("uuid")) {
            if keys.contains(&reference) {
                found.insert(
                    reference,
                    Ids {
                        order_uuid: uuid,
                        customer_uuid: None,
                        url: None,
                    },
                );
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(state: State, fingerprint: &str) -> Record {
        Record {
            fingerprint: fingerprint.into(),
            state,
            attempts: 1,
            order_uuid: Some("ODR1".into()),
            customer_uuid: None,
            url: None,
            last_error: Some("why".into()),
        }
    }

    #[test]
    fn verdicts() {
        let no = Choices::default();
        let send = Decision::Send { update_of: None };
        assert_eq!(decide(None, "f", no), send);
        assert!(matches!(
            decide(Some(&record(State::Created, "f")), "f", no),
            Decision::AlreadyCreated(_)
        ));
        assert!(matches!(
            decide(Some(&record(State::Created, "g")), "f", no),
            Decision::Changed(_)
        ));
        let update = Choices { update: true, ..no };
        assert_eq!(
            decide(Some(&record(State::Created, "g")), "f", update),
            Decision::Send {
                update_of: Some("ODR1".into())
            }
        );
        assert!(matches!(
            decide(Some(&record(State::Uncertain, "f")), "f", no),
            Decision::Uncertain(_)
        ));
        let retry = Choices {
            retry_uncertain: true,
            ..no
        };
        assert_eq!(
            decide(Some(&record(State::Uncertain, "f")), "f", retry),
            send
        );
        assert!(matches!(
            decide(Some(&record(State::Rejected, "f")), "f", no),
            Decision::Rejected(_)
        ));
        assert!(matches!(
            decide(Some(&record(State::Rejected, "g")), "f", no),
            Decision::Send { .. }
        ));
        assert!(matches!(
            decide(Some(&record(State::Failed, "f")), "f", no),
            Decision::Send { .. }
        ));
    }

    #[test]
    fn fingerprints_ignore_the_date_only() {
        let a = json!({"referenceNo": "A", "orderDate": "1", "products": [1]});
        let b = json!({"referenceNo": "A", "orderDate": "2", "products": [1]});
        let c = json!({"referenceNo": "A", "orderDate": "1", "products": [2]});
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}

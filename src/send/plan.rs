//! What to do with each valid order before anything is sent: the ledger's word on it. A new
//! order is sent; one created before is skipped (or, changed since, reported and sent as an
//! update when asked); one left uncertain is held back unless the user asks to resend it; one
//! the provider rejected is not sent again unless its content changed. An order the provider
//! has (the ledger knows its id) is only ever sent as an update of that id, and an update in
//! doubt stays an update.

use crate::api::client::Client;
use crate::model::outcome::Ids;
use crate::pipeline::values::NumberConvention;
use crate::send::diff::{changes, Changes};
use crate::send::dispatch::Job;
use crate::send::ledger::{Record, State};
use crate::send::ready::Ready;
use rust_decimal::Decimal;
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
    /// An update of this provider order got no answer: it may or may not have been applied.
    /// Sent again (as the same update) with `--update` or `--retry-uncertain`.
    UpdateUncertain(Ids, String),
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
    let why = || {
        record
            .last_error
            .clone()
            .unwrap_or_else(|| "an earlier run got no answer".into())
    };
    // The provider has the order the ledger knows an id of: never create it again.
    let known = record.order_uuid.clone();
    let in_doubt = matches!(record.state, State::Uncertain | State::Sending);
    match record.state {
        State::Created if same => Decision::AlreadyCreated(ids()),
        State::Created if choices.update => Decision::Send { update_of: known },
        State::Created => Decision::Changed(ids()),
        _ if in_doubt && known.is_some() => {
            if choices.update || choices.retry_uncertain {
                Decision::Send { update_of: known }
            } else {
                Decision::UpdateUncertain(ids(), why())
            }
        }
        State::Rejected if same => Decision::Rejected(
            record
                .last_error
                .clone()
                .unwrap_or_else(|| "rejected by the provider".into()),
        ),
        _ if in_doubt && !choices.retry_uncertain => Decision::Uncertain(why()),
        // Failed (never taken), rejected content since changed, or uncertain and asked for.
        _ => Decision::Send { update_of: known },
    }
}

/// The verdict on every valid order of a sheet: the ones to send, as jobs, and the others.
#[derive(Debug, Default)]
pub struct Plan {
    pub jobs: Vec<Job>,
    /// The index (into the checked orders) of each job's order, ascending (the valid orders come
    /// in index order).
    pub job_orders: Vec<usize>,
    /// The orders not sent, by index, and why.
    pub held: Vec<(usize, Decision)>,
    /// For each order the provider has whose content changed since (by index): which fields.
    pub changes: HashMap<usize, Changes>,
}

/// Plans a sheet: `valid` are the valid orders, `records` the ledger's record of each,
/// `lookup` what the provider's listing said of the uncertain ones. A job takes its order's
/// body; the held orders' are dropped.
pub fn plan(
    valid: Vec<Ready>,
    records: &[Option<Box<Record>>],
    lookup: &Lookup,
    choices: Choices,
) -> Plan {
    let mut plan = Plan {
        jobs: Vec::with_capacity(valid.len()),
        ..Plan::default()
    };
    for (order, record) in valid.into_iter().zip(records) {
        if let Some(record) = record
            .as_ref()
            .filter(|r| r.order_uuid.is_some() && r.fingerprint != order.fingerprint)
        {
            plan.changes.insert(
                order.index,
                changes(record.payload.as_deref(), &order.payload()),
            );
        }
        let decision = match lookup.found.get(&order.key) {
            Some(ids) => Decision::AlreadyCreated(ids.clone()),
            None => decide(record.as_deref(), &order.fingerprint, choices),
        };
        let Decision::Send { update_of } = decision else {
            plan.held.push((order.index, decision));
            continue;
        };
        let update_of = order.fpgo_uuid.clone().or(update_of);
        let body = match &update_of {
            Some(uuid) if order.fpgo_uuid.is_none() => order.update_body(uuid),
            _ => order.body,
        };
        plan.jobs.push(Job {
            key: order.key,
            body,
            fingerprint: order.fingerprint,
            rows: order.rows,
            update_of,
        });
        plan.job_orders.push(order.index);
    }
    plan
}

/// The top-level fields of a body that change without the order changing: the order date
/// (which a blank cell makes "today") and the update fields.
pub const VOLATILE: [&str; 3] = ["orderDate", "fpgoUuid", "orderFrom"];

/// A stable fingerprint of a request body: FNV-1a over its JSON with the parts that change
/// without the order changing left out (the order date, which a blank cell makes "today", and
/// the update fields).
pub fn fingerprint(payload: &Value) -> String {
    fingerprint_of(payload.clone())
}

/// [`fingerprint`] of a body that is not needed afterwards: its parts that change without the
/// order changing are taken out of it, not out of a copy, and its JSON is hashed as it is
/// written, never held.
pub fn fingerprint_of(mut payload: Value) -> String {
    if let Some(map) = payload.as_object_mut() {
        for volatile in VOLATILE {
            map.remove(volatile);
        }
    }
    struct Fnv(u64);
    impl std::io::Write for Fnv {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            for &byte in bytes {
                self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    // A value always serialises, and the hasher never fails.
    let _ = serde_json::to_writer(&mut hash, &payload);
    format!("{:016x}", hash.0)
}

/// What the provider's order listing says of the orders an earlier run left uncertain.
#[derive(Debug, Default)]
pub struct Lookup {
    /// Orders it has: created by an earlier run whose answer was lost.
    pub found: HashMap<String, Ids>,
    /// Orders it lists something for that cannot be taken as them, and why.
    pub doubts: HashMap<String, String>,
    /// Why the listing could not be read, when it could not.
    pub unread: Option<String>,
}

/// Asks the provider which of these orders (key and grand total) it has, through the
/// order-status listing (`referenceNo`, `status`, `orderAmount`). A listed order is taken as
/// this one only when it is not cancelled and its amount is this order's grand total, and
/// only one such is listed; anything else stays uncertain, with the reason (amounts in the
/// sheet's convention, `numbers`).
pub async fn ask_provider(
    client: &Client,
    wanted: &[(String, Decimal)],
    numbers: NumberConvention,
) -> Lookup {
    let mut lookup = Lookup::default();
    if wanted.is_empty() {
        return lookup;
    }
    let items = match client.get("/connect/orders/status").await {
        Err(no) => {
            lookup.unread = Some(no.reason);
            return lookup;
        }
        // The provider answers an empty listing with a 404.
        Ok(answer) if answer.status == 404 => return lookup,
        Ok(answer) if answer.status != 200 => {
            lookup.unread = Some(format!("the provider answered {}", answer.status));
            return lookup;
        }
        Ok(answer) => serde_json::from_slice::<Value>(&answer.body)
            .ok()
            .and_then(|mut b| b.get_mut("data").map(Value::take))
            .and_then(|d| match d {
                Value::Array(items) => Some(items),
                _ => None,
            }),
    };
    let Some(items) = items else {
        lookup.unread = Some("the provider's order listing is not a list".into());
        return lookup;
    };
    let mut listed: HashMap<&str, Vec<&Value>> = HashMap::new();
    for item in &items {
        if let Some(reference) = item.get("referenceNo").and_then(Value::as_str) {
            listed.entry(reference).or_default().push(item);
        }
    }
    for (key, total) in wanted {
        let Some(candidates) = listed.get(key.as_str()) else {
            continue;
        };
        let mut matching = Vec::new();
        let mut reasons = Vec::new();
        for item in candidates {
            let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
            let uuid = text("uuid");
            let amount = item.get("orderAmount").and_then(|a| match a {
                Value::String(s) => s.trim().parse::<Decimal>().ok(),
                Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
                _ => None,
            });
            if text("status").eq_ignore_ascii_case("CANCELLED") {
                reasons.push(format!("{uuid} is {}", text("status")));
            } else if amount.is_none() {
                reasons.push(format!("{uuid} has no amount to compare"));
            } else if amount != Some(*total) {
                reasons.push(format!(
                    "{uuid} is for {}, not {}",
                    numbers.show_money(amount.unwrap_or_default()),
                    numbers.show_money(*total)
                ));
            } else {
                matching.push(uuid.to_string());
            }
        }
        match matching.as_slice() {
            [uuid] if !uuid.is_empty() => {
                lookup.found.insert(
                    key.clone(),
                    Ids {
                        order_uuid: uuid.clone(),
                        customer_uuid: None,
                        url: None,
                    },
                );
            }
            [] => {
                lookup.doubts.insert(
                    key.clone(),
                    format!(
                        "the provider lists an order with this reference, but not as this one: {}",
                        reasons.join("; ")
                    ),
                );
            }
            several => {
                lookup.doubts.insert(
                    key.clone(),
                    format!(
                        "the provider lists {} orders with this reference and amount ({}): it cannot tell which is this one",
                        several.len(),
                        several.join(", ")
                    ),
                );
            }
        }
    }
    lookup
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// A record of order `ODR1` in `state`, for a body of `fingerprint`.
    pub(crate) fn record(state: State, fingerprint: &str) -> Record {
        Record {
            fingerprint: fingerprint.into(),
            state,
            attempts: 1,
            order_uuid: Some("ODR1".into()),
            customer_uuid: None,
            url: None,
            last_error: Some("why".into()),
            payload: None,
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
        let mut in_doubt = record(State::Uncertain, "f");
        in_doubt.order_uuid = None;
        assert!(matches!(
            decide(Some(&in_doubt), "f", no),
            Decision::Uncertain(_)
        ));
        let retry = Choices {
            retry_uncertain: true,
            ..no
        };
        assert_eq!(decide(Some(&in_doubt), "f", retry), send);
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
    fn a_timed_out_update_stays_an_update() {
        let no = Choices::default();
        let update = Decision::Send {
            update_of: Some("ODR1".into()),
        };
        for state in [State::Uncertain, State::Sending] {
            assert!(matches!(
                decide(Some(&record(state, "f")), "f", no),
                Decision::UpdateUncertain(ids, _) if ids.order_uuid == "ODR1"
            ));
            for choices in [
                Choices { update: true, ..no },
                Choices {
                    retry_uncertain: true,
                    ..no
                },
            ] {
                assert_eq!(decide(Some(&record(state, "g")), "f", choices), update);
            }
        }
        // A create in doubt (no id known) is resent as a create only when asked.
        let mut create = record(State::Uncertain, "f");
        create.order_uuid = None;
        assert!(matches!(
            decide(Some(&create), "f", no),
            Decision::Uncertain(_)
        ));
    }

    /// The fingerprint is the one ledgers already hold: FNV-1a over the JSON text of the body
    /// with its volatile fields removed as `Map::remove` removes them (the last field takes
    /// the removed one's place).
    #[test]
    fn fingerprints_are_the_ones_ledgers_hold() {
        let body = json!({"products": [{"name": "Sokker"}], "orderSummary": {"grandTotal": "125.00"},
            "orderDate": "1796295600", "customerDetails": {"name": "Åse"}, "referenceNo": "A-1",
            "callback": {"success": "https://x.no/ok"}, "fpgoUuid": "ODR1", "orderFrom": "PARTNER"});
        let mut stable = body.clone();
        for volatile in VOLATILE {
            stable.as_object_mut().unwrap().remove(volatile);
        }
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in stable.to_string().bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        assert_eq!(fingerprint(&body), format!("{hash:016x}"));
        assert_eq!(fingerprint_of(body.clone()), fingerprint(&body));
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

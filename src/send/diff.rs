//! Which fields of an order changed since it was sent: the body the ledger kept against the one
//! that would be sent now, as JSON paths with old → new (`products.0.quantity: 3 → 7`). The
//! parts the fingerprint leaves out (the order date, the update fields) are left out here too,
//! so a change is listed exactly when the fingerprint says there is one. Field names are the
//! wire's; numbers are written in the sheet's convention (`9990,00 → 8990,00` for a sheet with
//! decimal commas).

use crate::api::wire::DECIMAL_FIELDS;
use crate::pipeline::values::NumberConvention;
use crate::send::plan::VOLATILE;
use rust_decimal::Decimal;
use serde_json::Value;

/// At most this many changes are named in a message; the rest are counted.
const NAMED: usize = 20;

/// One field that changed: its path in the body, its value then and now (`None`: absent).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

/// What a created order's body changed by: the fields, or `None` when the ledger did not keep
/// the body sent (orders created before it did).
pub type Changes = Option<Vec<FieldChange>>;

/// The changes from the body sent (`old`, as the ledger kept it) to the one that would be sent.
pub fn changes(old: Option<&str>, new: &Value) -> Changes {
    let old: Value = serde_json::from_str(old?).ok()?;
    let mut out = Vec::new();
    walk(String::new(), Some(&old), Some(new), true, &mut out);
    Some(out)
}

fn walk(
    path: String,
    old: Option<&Value>,
    new: Option<&Value>,
    top: bool,
    out: &mut Vec<FieldChange>,
) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    if is_object(old) && is_object(new) {
        let empty = serde_json::Map::new();
        let (a, b) = (
            old.and_then(Value::as_object).unwrap_or(&empty),
            new.and_then(Value::as_object).unwrap_or(&empty),
        );
        let mut keys: Vec<&String> = a.keys().collect();
        keys.extend(b.keys().filter(|k| !a.contains_key(*k)));
        for key in keys {
            if top && VOLATILE.contains(&key.as_str()) {
                continue;
            }
            walk(join(key), a.get(key), b.get(key), false, out);
        }
    } else if is_array(old) && is_array(new) {
        let empty = Vec::new();
        let (a, b) = (
            old.and_then(Value::as_array).unwrap_or(&empty),
            new.and_then(Value::as_array).unwrap_or(&empty),
        );
        for i in 0..a.len().max(b.len()) {
            walk(join(&i.to_string()), a.get(i), b.get(i), false, out);
        }
    } else if old != new {
        out.push(FieldChange {
            path,
            old: old.cloned(),
            new: new.cloned(),
        });
    }
}

/// An object, or absent (an object added or removed is walked field by field).
fn is_object(value: Option<&Value>) -> bool {
    value.is_none_or(Value::is_object)
}

fn is_array(value: Option<&Value>) -> bool {
    value.is_none_or(Value::is_array)
}

/// A value as a message shows it: text without quotes, `(none)` for an absent or null one, the
/// number of a decimal field (by the last part of its `path`) in the sheet's convention.
fn shown(path: &str, value: Option<&Value>, numbers: NumberConvention) -> String {
    let decimal = path
        .rsplit('.')
        .next()
        .is_some_and(|field| DECIMAL_FIELDS.contains(&field));
    match value {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::String(s)) if s.is_empty() => "(empty)".into(),
        Some(Value::String(s)) if decimal => s
            .parse::<Decimal>()
            .map_or_else(|_| s.clone(), |n| numbers.show(n)),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The changes for a message: `products.0.quantity: 3 → 7; customerDetails.email: a@x.no →
/// b@x.no`, the first [`NAMED`] of them and how many more; numbers in the sheet's convention.
pub fn describe(changes: &Changes, numbers: NumberConvention) -> String {
    let Some(changes) = changes else {
        return "changed (the earlier content was not kept)".into();
    };
    if changes.is_empty() {
        return "changed".into();
    }
    let mut named: Vec<String> = changes
        .iter()
        .take(NAMED)
        .map(|c| {
            format!(
                "{}: {} → {}",
                c.path,
                shown(&c.path, c.old.as_ref(), numbers),
                shown(&c.path, c.new.as_ref(), numbers)
            )
        })
        .collect();
    if changes.len() > NAMED {
        named.push(format!("… and {} more", changes.len() - NAMED));
    }
    format!("changed: {}", named.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changed_fields_are_named_by_path_old_and_new() {
        let old = json!({"orderDate": 1, "referenceNo": "A", "products": [{"quantity": "3"}],
            "customerDetails": {"email": "a@x.no"}});
        let new = json!({"orderDate": 2, "fpgoUuid": "ODR1", "referenceNo": "A",
            "products": [{"quantity": "7"}, {"quantity": "1"}],
            "customerDetails": {"email": "b@x.no", "phone": "+4791234567"}});
        let changes = changes(Some(&old.to_string()), &new);
        assert_eq!(
            describe(&changes, NumberConvention::DecimalComma),
            "changed: products.0.quantity: 3 → 7; products.1.quantity: (none) → 1; \
             customerDetails.email: a@x.no → b@x.no; customerDetails.phone: (none) → +4791234567"
        );
    }

    #[test]
    fn numbers_are_written_in_the_sheets_convention_and_other_text_as_it_is() {
        let old = json!({"products": [{"rate": "9990.00", "name": "Kaffe 1.5 kg"}],
            "orderSummary": {"grandTotal": "12487.50"}, "customerDetails": {"zip": "0150"}});
        let new = json!({"products": [{"rate": "8990.00", "name": "Kaffe 2.5 kg"}],
            "orderSummary": {"grandTotal": "11237.50"}, "customerDetails": {"zip": "0151"}});
        let changes = changes(Some(&old.to_string()), &new);
        assert_eq!(
            describe(&changes, NumberConvention::DecimalComma),
            "changed: products.0.rate: 9990,00 → 8990,00; products.0.name: Kaffe 1.5 kg → Kaffe 2.5 kg; \
             orderSummary.grandTotal: 12487,50 → 11237,50; customerDetails.zip: 0150 → 0151"
        );
        assert!(describe(&changes, NumberConvention::DecimalPoint)
            .contains("products.0.rate: 9990.00 → 8990.00"));
    }

    #[test]
    fn an_unkept_body_says_so() {
        assert_eq!(
            describe(&changes(None, &json!({})), NumberConvention::DecimalPoint),
            "changed (the earlier content was not kept)"
        );
    }
}

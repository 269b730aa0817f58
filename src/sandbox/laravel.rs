//! A small Laravel-style validator over a JSON body, the way the provider's server validates:
//! rules per field path (`products.*.rate`), every failure collected, each message in Laravel's
//! wording with the humanised attribute (`The customer details.email must be a valid email
//! address.`), wildcard errors after the others. It knows nothing of fpgo-export's own checks.

pub use crate::model::fields::humanise;
use serde_json::Value;

/// One validation rule, as Laravel names them.
#[derive(Clone, Debug)]
pub enum Rule {
    Required,
    /// Required when another field (by path) has one of these values.
    RequiredIf(&'static str, &'static [&'static str]),
    /// Required when another field is present.
    RequiredWith(&'static str),
    /// A null value passes every other rule.
    Nullable,
    /// Checked only when present.
    Sometimes,
    String,
    Numeric,
    Boolean,
    Array,
    Email,
    Url,
    In(&'static [&'static str]),
    /// A string of exactly this many characters.
    Size(usize),
    /// A string of at most this many characters.
    Max(usize),
    AlphaNum,
    /// A pattern (`regex:/^\d{11}$/`), as a function that says whether a text matches.
    Regex(fn(&str) -> bool),
    /// A rule of the application's own, with its message (`:attribute` is replaced).
    Custom(fn(&Value, &Context) -> bool, &'static str),
}

/// What a custom rule may consult besides the value.
pub struct Context<'a> {
    /// Whether an order id exists (`exists:orders`).
    pub order_exists: &'a dyn Fn(&str) -> bool,
    /// Today's date as Unix seconds of its start (for "today or later").
    pub today_start: i64,
    /// How `orderDate` must be written.
    pub date_format: crate::model::DateFormat,
}

/// Validates `body` against `rules` and returns every failure message.
pub fn validate(
    body: &Value,
    rules: &[(&'static str, Vec<Rule>)],
    context: &Context,
) -> Vec<String> {
    let mut plain = Vec::new();
    let mut wildcard = Vec::new();
    for (pattern, field_rules) in rules {
        let out = if pattern.contains('*') {
            &mut wildcard
        } else {
            &mut plain
        };
        for path in expand(body, pattern) {
            if let Some(message) = check_field(body, &path, field_rules, context) {
                out.push(message);
            }
        }
    }
    plain.extend(wildcard);
    plain
}

/// The concrete paths a pattern stands for: `products.*.rate` → `products.0.rate`, … for each
/// element of `products` (an array, or an object keyed "0", "1", …).
fn expand(body: &Value, pattern: &str) -> Vec<String> {
    let mut paths = vec![String::new()];
    for segment in pattern.split('.') {
        let mut next = Vec::new();
        for prefix in paths {
            if segment == "*" {
                let keys: Vec<String> = match lookup(body, &prefix) {
                    Some(Value::Array(items)) => (0..items.len()).map(|i| i.to_string()).collect(),
                    Some(Value::Object(map)) => map.keys().cloned().collect(),
                    _ => Vec::new(),
                };
                next.extend(keys.into_iter().map(|k| join(&prefix, &k)));
            } else {
                next.push(join(&prefix, segment));
            }
        }
        paths = next;
    }
    paths
}

fn join(prefix: &str, segment: &str) -> String {
    if prefix.is_empty() {
        segment.to_string()
    } else {
        format!("{prefix}.{segment}")
    }
}

/// The value at a dotted path; array elements by index, objects by key.
pub fn lookup<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return Some(body);
    }
    path.split('.')
        .try_fold(body, |value, segment| match value {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

/// Laravel's idea of "empty" for `required`: missing, null, a blank string, an empty array.
fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

/// A value as Laravel compares it with rule parameters: `25`, `25.5`, `true`, text.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "1".into(),
        Value::Bool(false) => "0".into(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// PHP's `is_numeric`: a JSON number, or a string such as ` 12`, `-1.5`, `1e3`, `.5`.
pub fn is_numeric(value: &Value) -> bool {
    match value {
        Value::Number(_) => true,
        Value::String(s) => {
            let t = s.trim_start().trim_end_matches([' ', '\t', '\n', '\r']);
            let t = t.strip_prefix(['+', '-']).unwrap_or(t);
            let (mantissa, exponent) = match t.find(['e', 'E']) {
                Some(i) => (&t[..i], Some(&t[i + 1..])),
                None => (t, None),
            };
            let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
            let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
            let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
            let exponent_ok = exponent.is_none_or(|e| {
                let e = e.strip_prefix(['+', '-']).unwrap_or(e);
                !e.is_empty() && digits(e)
            });
            mantissa_ok && exponent_ok
        }
        _ => false,
    }
}

fn check_field(body: &Value, path: &str, rules: &[Rule], context: &Context) -> Option<String> {
    let value = lookup(body, path);
    let attribute = humanise(path);
    let nullable = rules.iter().any(|r| matches!(r, Rule::Nullable));
    if rules.iter().any(|r| matches!(r, Rule::Sometimes)) && value.is_none() {
        return None;
    }
    // The implicit rules first: they alone apply to a missing value.
    for rule in rules {
        let required = match rule {
            Rule::Required => true,
            Rule::RequiredIf(other, values) => {
                lookup(body, other).is_some_and(|v| is_in(v, values))
            }
            Rule::RequiredWith(other) => !is_empty(lookup(body, other)),
            _ => false,
        };
        if required && is_empty(value) {
            return Some(match rule {
                // Laravel's `:value` is the other field's value as sent.
                Rule::RequiredIf(other, _) => format!(
                    "The {attribute} field is required when {} is {}.",
                    humanise(other),
                    lookup(body, other).map(as_text).unwrap_or_default()
                ),
                Rule::RequiredWith(other) => format!(
                    "The {attribute} field is required when {} is present.",
                    humanise(other)
                ),
                _ => format!("The {attribute} field is required."),
            });
        }
    }
    let value = match value {
        None => return None,
        Some(Value::Null) if nullable => return None,
        Some(Value::String(s)) if s.trim().is_empty() => return None,
        Some(v) => v,
    };
    for rule in rules {
        let text = as_text(value);
        let message = match rule {
            Rule::String if !value.is_string() => format!("The {attribute} must be a string."),
            Rule::Numeric if !is_numeric(value) => format!("The {attribute} must be a number."),
            Rule::Boolean if !is_boolean(value) => {
                format!("The {attribute} field must be true or false.")
            }
            Rule::Array if !value.is_array() && !value.is_object() => {
                format!("The {attribute} must be an array.")
            }
            Rule::Email if !is_email(&text) || !value.is_string() => {
                format!("The {attribute} must be a valid email address.")
            }
            Rule::Url if !is_url(&text) || !value.is_string() => {
                format!("The {attribute} must be a valid URL.")
            }
            Rule::In(allowed) if !is_in(value, allowed) => {
                format!("The selected {attribute} is invalid.")
            }
            Rule::Size(n) if value.is_string() && text.chars().count() != *n => {
                format!("The {attribute} must be {n} characters.")
            }
            Rule::Max(n) if value.is_string() && text.chars().count() > *n => {
                format!("The {attribute} must not be greater than {n} characters.")
            }
            Rule::AlphaNum if !text.chars().all(char::is_alphanumeric) => {
                format!("The {attribute} must only contain letters and numbers.")
            }
            Rule::Regex(matches) if !matches(&text) => {
                format!("The {attribute} format is invalid.")
            }
            Rule::Custom(passes, message) if !passes(value, context) => {
                message.replace(":attribute", &attribute)
            }
            _ => continue,
        };
        // Laravel stops a field at its first failure when the rules say `bail`; the provider's
        // messages show one message per field, so this does too.
        return Some(message);
    }
    None
}

/// Laravel's `in` (and the values of `required_if`): PHP's loose `in_array` of the value as a
/// string, where two numeric strings compare as numbers: `"12.00"`, `12.0` and `" 12"` are in
/// `0,12,15,25`.
fn is_in(value: &Value, allowed: &[&str]) -> bool {
    let text = as_text(value);
    let number = |v: &Value| {
        is_numeric(v)
            .then(|| as_text(v).trim().parse::<f64>().ok())
            .flatten()
    };
    allowed
        .iter()
        .any(|a| *a == text || number(value).is_some_and(|n| number(&Value::from(*a)) == Some(n)))
}

/// Laravel's `boolean`: true, false, 1, 0, "1", "0".
fn is_boolean(value: &Value) -> bool {
    match value {
        Value::Bool(_) => true,
        Value::Number(n) => matches!(n.as_i64(), Some(0 | 1)),
        Value::String(s) => s == "0" || s == "1",
        _ => false,
    }
}

/// An address Laravel's `email` rule (RFC validation) accepts: a local part, `@`, a domain, no
/// spaces.
fn is_email(text: &str) -> bool {
    match text.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.chars().any(|c| c.is_whitespace() || c.is_control())
                && domain
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '[' | ']' | ':'))
        }
        None => false,
    }
}

/// A URL Laravel's `url` rule accepts: a scheme, `://`, a host, no spaces.
fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !host.is_empty()
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> Context<'static> {
        Context {
            order_exists: &|id| id == "ODR1",
            today_start: 0,
            date_format: crate::model::DateFormat::Unix,
        }
    }

    #[test]
    fn attributes_are_humanised_like_laravel() {
        assert_eq!(humanise("customerDetails.email"), "customer details.email");
        assert_eq!(
            humanise("orderSummary.shippingCost"),
            "order summary.shipping cost"
        );
        assert_eq!(humanise("products.0.rate"), "products.0.rate");
        assert_eq!(humanise("fpgoUuid"), "fpgo uuid");
    }

    #[test]
    fn numeric_like_php() {
        for ok in [
            json!(1),
            json!(1.5),
            json!("12"),
            json!(" -1.5"),
            json!("1e3"),
            json!(".5"),
        ] {
            assert!(is_numeric(&ok), "{ok}");
        }
        for bad in [
            json!("abc"),
            json!(""),
            json!("1,5"),
            json!(true),
            json!(null),
            json!("1e"),
        ] {
            assert!(!is_numeric(&bad), "{bad}");
        }
    }

    #[test]
    fn all_failures_at_once_wildcards_last() {
        let rules = vec![
            ("products.*.rate", vec![Rule::Required, Rule::Numeric]),
            ("customerDetails.email", vec![Rule::Required, Rule::Email]),
            (
                "orderSummary.shippingCost",
                vec![Rule::Required, Rule::Numeric],
            ),
        ];
        let body = json!({
            "products": {"0": {"rate": "x"}, "1": {}},
            "customerDetails": {"email": "nope"}
        });
        assert_eq!(
            validate(&body, &rules, &context()),
            vec![
                "The customer details.email must be a valid email address.",
                "The order summary.shipping cost field is required.",
                "The products.0.rate must be a number.",
                "The products.1.rate field is required.",
            ]
        );
    }

    #[test]
    fn conditional_and_nullable() {
        let rules = vec![
            (
                "customerDetails.personalNumber",
                vec![
                    Rule::RequiredIf("customerDetails.type", &["private"]),
                    Rule::Nullable,
                    Rule::Size(11),
                ],
            ),
            (
                "orderFrom",
                vec![Rule::RequiredWith("fpgoUuid"), Rule::In(&["PARTNER"])],
            ),
            ("separateInvoices", vec![Rule::Nullable, Rule::Boolean]),
        ];
        let body = json!({"customerDetails": {"type": "private", "personalNumber": null}, "fpgoUuid": "ODR1", "separateInvoices": "yes"});
        assert_eq!(
            validate(&body, &rules, &context()),
            vec![
                "The customer details.personal number field is required when customer details.type is private.",
                "The order from field is required when fpgo uuid is present.",
                "The separate invoices field must be true or false.",
            ]
        );
        let body = json!({"customerDetails": {"type": "corporate", "personalNumber": null}, "separateInvoices": 1});
        assert!(validate(&body, &rules, &context()).is_empty());
    }
}

//! The bodies the sandbox is sent and how its answers are judged: a valid body of each
//! endpoint, [`Edit`]s that break or bend one at a dotted path, and assertions on a 201 (ids in
//! the provider's format, a BankID URL naming the order) and on a 417 (the provider's envelope
//! with exactly these messages).

use super::provider::{Reply, NOON, SESSION_PATH};
use super::results::is_id;
use serde_json::{json, Value};

/// The start of that day in Oslo (2026-11-20 23:00 UTC): the earliest accepted `orderDate`.
pub const OSLO_MIDNIGHT: i64 = 1_795_215_600;
/// The provider's example person (a valid Norwegian personal number) and a second one.
pub const KARI: &str = "28038712383";
pub const OLA: &str = "15029012307";

/// The one line of both valid bodies: a router, 4500 at 12 % VAT.
fn router_line() -> Value {
    json!({
        "name": "Router",
        "productId": "R_1",
        "quantity": "1",
        "rate": "4500.00",
        "discount": "0.00",
        "tax": "12",
        "amount": "4500.00"
    })
}

/// Kari Nordmann as both valid bodies name her: each seed writes her blank organisation id its
/// own way and gives her another address.
fn kari(organization_id: Value, street: &str, zip: &str, city: &str) -> Value {
    json!({
        "type": "private",
        "countryCode": "+47",
        "msisdn": "46567468",
        "email": "kari.nordmann@example.no",
        "name": "Kari Nordmann",
        "preferredLanguage": "en",
        "personalNumber": KARI,
        "organizationId": organization_id,
        "address": {"street": street, "zip": zip, "city": city, "country": "NO"}
    })
}

/// A valid invoice-session body (seed 001's example with consistent money: 4500 at 12 % VAT).
pub fn session_payload() -> Value {
    json!({
        "products": [router_line()],
        "orderSummary": {
            "subTotal": "4017.86",
            "totalTax": "482.14",
            "totalDiscount": "0.00",
            "grandTotal": "4500.00"
        },
        "orderDate": NOON.to_string(),
        "customerDetails": kari(json!(""), "Klosterenget 144", "7030", "Trondheim"),
        "referenceNo": "ORDER-1",
        "customerReference": "3500",
        "invoiceInterval": 0,
        "separateInvoices": true,
        "invoiceFeeApplicable": true,
        "invoiceMaturity": 10,
        "settings": {"secureDetails": false},
        "callback": {
            "callbackUrl": "https://shop.example.no/fpgo/callback?order=ORDER-1",
            "success": "https://shop.example.no/fpgo/success?order=ORDER-1",
            "failure": "https://shop.example.no/fpgo/failure?order=ORDER-1"
        }
    })
}

/// A valid regular-invoice body (seed 003), shipping included in the grand total.
pub fn regular_payload() -> Value {
    json!({
        "products": [router_line()],
        "orderSummary": {
            "subTotal": "4017.86",
            "totalTax": "482.14",
            "totalDiscount": "0.00",
            "shippingCost": "49.00",
            "grandTotal": "4549.00"
        },
        "orderDate": NOON.to_string(),
        "dueDateForPaymentLink": (NOON + 7 * 86_400).to_string(),
        "sendOrderBy": {"sms": false, "email": false, "invoice": true},
        "invoiceAsPaymentOption": true,
        "isCreditCheckAvailable": false,
        "customerDetails": kari(Value::Null, "Luramyrveien 65", "4313", "Sandnes"),
        "invoiceReferences": {
            "referenceNo": "ORDER-2",
            "customerReference": "3500",
            "receiptNo": null,
            "customerNotes": null,
            "tnc": null
        },
        "internalReferences": {"referenceNo": "ORDER-2", "notes": null},
        "referenceNo": "ORDER-2",
        "customerReference": "3500",
        "invoiceInterval": 0,
        "separateInvoices": true,
        "submitPayment": {"via": "invoice", "currency": "NOK"},
        "callback": {
            "success": "https://shop.example.no/fpgo/success?order=ORDER-2",
            "failure": "https://shop.example.no/fpgo/failure?order=ORDER-2"
        }
    })
}

/// One change to a payload, at a dotted path (`products.0.rate`).
pub enum Edit {
    Set(&'static str, Value),
    Remove(&'static str),
}

/// Sets the value at a dotted path.
pub fn set(path: &'static str, value: Value) -> Edit {
    Edit::Set(path, value)
}

/// Removes what is at a dotted path.
pub fn del(path: &'static str) -> Edit {
    Edit::Remove(path)
}

/// The payload with the edits applied; the parent of every edited path must exist.
pub fn edited(mut body: Value, edits: &[Edit]) -> Value {
    for edit in edits {
        let path = match edit {
            Edit::Set(path, _) | Edit::Remove(path) => *path,
        };
        let (parent, key) = match path.rsplit_once('.') {
            Some((parent, key)) => (format!("/{}", parent.replace('.', "/")), key),
            None => (String::new(), path),
        };
        let parent = body
            .pointer_mut(&parent)
            .unwrap_or_else(|| panic!("no parent for {path}"));
        match (edit, parent) {
            (Edit::Set(_, value), Value::Object(map)) => {
                map.insert(key.to_string(), value.clone());
            }
            (Edit::Set(_, value), Value::Array(items)) => {
                items[key.parse::<usize>().unwrap()] = value.clone();
            }
            (Edit::Remove(_), Value::Object(map)) => {
                map.shift_remove(key)
                    .unwrap_or_else(|| panic!("nothing at {path}"));
            }
            (Edit::Remove(_), Value::Array(items)) => {
                items.remove(key.parse::<usize>().unwrap());
            }
            _ => panic!("{path}: the parent is not an object or an array"),
        }
    }
    body
}

/// The valid body of the endpoint at this path.
pub fn valid_payload(path: &str) -> Value {
    if path == SESSION_PATH {
        session_payload()
    } else {
        regular_payload()
    }
}

/// The edits in words, for a message.
pub fn describe(edits: &[Edit]) -> String {
    edits
        .iter()
        .map(|edit| match edit {
            Edit::Set(path, value) => format!("{path} = {value}"),
            Edit::Remove(path) => format!("without {path}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Judging answers

/// Standard base64 (with or without padding), for the BankID state.
fn unbase64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("{text}: not base64")) as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    out
}

/// A 201 in the seed's envelope with ids in the provider's format and a BankID URL whose state
/// names the order; returns (orderUuid, customerUuid).
#[track_caller]
pub fn assert_created(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, 201, "{reply:?}");
    let body = &reply.body;
    assert_eq!(body["status_code"], 201, "{body}");
    assert_eq!(body["status_message"], "OK", "{body}");
    assert_eq!(body["message"], "orderCreatedSuccessfully", "{body}");
    assert_eq!(body["is_data"], true, "{body}");
    assert!(reply.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let order = reply.data("orderUuid").to_string();
    let customer = reply.data("customerUuid").to_string();
    assert!(is_id(&order, "ODR", 10..=10), "orderUuid {order}");
    assert!(is_id(&customer, "CSRT", 10..=10), "customerUuid {customer}");
    let url = reply.data("bankIdUrl");
    assert!(
        url.starts_with("https://auth.current.bankid.no/"),
        "bankIdUrl {url}"
    );
    let state = url
        .split_once("state=")
        .map(|(_, s)| s.split('&').next().unwrap())
        .unwrap_or_else(|| panic!("no state in {url}"));
    let state: Value = serde_json::from_slice(&unbase64(state)).expect("the state is JSON");
    assert_eq!(state["orderUuid"], order.as_str(), "state {state}");
    (order, customer)
}

/// A 417 in the provider's envelope with exactly these messages, in this order.
#[track_caller]
pub fn assert_invalid(reply: &Reply, messages: &[&str]) {
    assert_eq!(reply.status, 417, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({
            "status_code": 417,
            "status_message": "Client Error",
            "message": "payloadValidationErrors",
            "is_error": true,
            "errors": messages,
        })
    );
}

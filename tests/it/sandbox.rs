//! The sandbox (`fpgo_export::sandbox`), started in-process on 127.0.0.1:0 and spoken to over
//! real loopback HTTP with reqwest: every rule of both endpoints in the provider's wording, the
//! arithmetic strictness, auth, the rate-limit window, each fault, `fpgoUuid` updates, customer
//! ids, the status routes, introspection, graceful shutdown, and the `fpgo-export sandbox`
//! binary. Every sandbox stands on a manual clock at 2026-11-21 12:00 UTC, so no test depends on
//! the wall clock (the one test of the standalone binary sends an order date of tomorrow).

use fpgo_export::sandbox::{Clock, Config, Fault, Sandbox};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// 2026-11-21 12:00 UTC (13:00 in Oslo): where every sandbox's clock stands.
const NOON: i64 = 1_795_262_400;
/// The start of that day in Oslo (2026-11-20 23:00 UTC): the earliest accepted `orderDate`.
const OSLO_MIDNIGHT: i64 = 1_795_215_600;
const SESSION: &str = "/connect/orders/invoice/submit";
const REGULAR: &str = "/connect/orders/regular/invoice/submit";
const SESSION_ROUTE: &str = "POST /api/v1/connect/orders/invoice/submit";
/// The provider's example person (a valid Norwegian personal number) and a second one.
const KARI: &str = "28038712383";
const OLA: &str = "15029012307";

// ---------------------------------------------------------------------------------------------
// Payloads

/// A valid invoice-session body (seed 001's example with consistent money: 4500 at 12 % VAT).
fn session_payload() -> Value {
    json!({
        "products": [{
            "name": "Router",
            "productId": "R_1",
            "quantity": "1",
            "rate": "4500.00",
            "discount": "0.00",
            "tax": "12",
            "amount": "4500.00"
        }],
        "orderSummary": {
            "subTotal": "4017.86",
            "totalTax": "482.14",
            "totalDiscount": "0.00",
            "grandTotal": "4500.00"
        },
        "orderDate": NOON.to_string(),
        "customerDetails": {
            "type": "private",
            "countryCode": "+47",
            "msisdn": "46567468",
            "email": "kari.nordmann@example.no",
            "name": "Kari Nordmann",
            "preferredLanguage": "en",
            "personalNumber": KARI,
            "organizationId": "",
            "address": {
                "street": "Klosterenget 144",
                "zip": "7030",
                "city": "Trondheim",
                "country": "NO"
            }
        },
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
fn regular_payload() -> Value {
    json!({
        "products": [{
            "name": "Router",
            "productId": "R_1",
            "quantity": "1",
            "rate": "4500.00",
            "discount": "0.00",
            "tax": "12",
            "amount": "4500.00"
        }],
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
        "customerDetails": {
            "type": "private",
            "countryCode": "+47",
            "msisdn": "46567468",
            "email": "kari.nordmann@example.no",
            "name": "Kari Nordmann",
            "preferredLanguage": "en",
            "personalNumber": KARI,
            "organizationId": null,
            "address": {
                "street": "Luramyrveien 65",
                "zip": "4313",
                "city": "Sandnes",
                "country": "NO"
            }
        },
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
enum Edit {
    Set(&'static str, Value),
    Remove(&'static str),
}

fn set(path: &'static str, value: Value) -> Edit {
    Edit::Set(path, value)
}

fn del(path: &'static str) -> Edit {
    Edit::Remove(path)
}

/// The payload with the edits applied; the parent of every edited path must exist.
fn edited(mut body: Value, edits: &[Edit]) -> Value {
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

// ---------------------------------------------------------------------------------------------
// A sandbox and a client

/// A sandbox on a manual clock at [`NOON`], with a rate limit no test here reaches by accident.
fn config() -> Config {
    Config {
        clock: Clock::manual(NOON),
        rate_limit: 10_000,
        ..Config::default()
    }
}

fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .expect("a client")
}

/// One answer, read whole.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    text: String,
    /// The body as JSON, or null when it is not JSON.
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header on {self:?}"))
            .to_str()
            .unwrap()
    }

    fn data(&self, key: &str) -> &str {
        self.body["data"][key]
            .as_str()
            .unwrap_or_else(|| panic!("no data.{key} in {}", self.body))
    }

    fn errors(&self) -> Vec<String> {
        serde_json::from_value(self.body["errors"].clone())
            .unwrap_or_else(|_| panic!("no errors array in {}", self.body))
    }
}

struct Api {
    sandbox: Sandbox,
    http: reqwest::Client,
}

impl Api {
    async fn start(config: Config) -> Api {
        Api {
            sandbox: Sandbox::start(config).await.expect("the sandbox starts"),
            http: client(Duration::from_secs(10)),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    fn root(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.root_url())
    }

    /// A POST of JSON with the sandbox's token, not yet sent.
    fn post_request(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .bearer_auth(self.sandbox.token())
            .json(body)
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        read(self.post_request(path, body)).await
    }

    async fn get(&self, path: &str) -> Reply {
        read(
            self.http
                .get(self.url(path))
                .bearer_auth(self.sandbox.token()),
        )
        .await
    }

    /// `/__sandbox/orders`.
    async fn orders(&self) -> Vec<Value> {
        let reply = read(self.http.get(self.root("/__sandbox/orders"))).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["orders"].as_array().expect("orders").clone()
    }

    /// `/__sandbox/stats`.
    async fn stats(&self) -> Value {
        let reply = read(self.http.get(self.root("/__sandbox/stats"))).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body
    }
}

async fn try_read(request: reqwest::RequestBuilder) -> Result<Reply, reqwest::Error> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        headers,
        text,
        body,
    })
}

async fn read(request: reqwest::RequestBuilder) -> Reply {
    try_read(request).await.expect("an answer")
}

// ---------------------------------------------------------------------------------------------
// Assertions

/// `prefix` followed by exactly ten digits.
fn is_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .is_some_and(|digits| digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit()))
}

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
fn assert_created(reply: &Reply) -> (String, String) {
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
    assert!(is_id(&order, "ODR"), "orderUuid {order}");
    assert!(is_id(&customer, "CSRT"), "customerUuid {customer}");
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
fn assert_invalid(reply: &Reply, messages: &[&str]) {
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

// ---------------------------------------------------------------------------------------------
// 1. The rules of both endpoints

#[tokio::test]
async fn valid_payloads_of_both_endpoints_are_created_and_stored_as_sent() {
    let api = Api::start(config()).await;
    let (session, session_customer) = assert_created(&api.post(SESSION, &session_payload()).await);
    let (regular, regular_customer) = assert_created(&api.post(REGULAR, &regular_payload()).await);
    assert_ne!(session, regular);
    // The same person on both endpoints is one customer.
    assert_eq!(session_customer, regular_customer);

    let orders = api.orders().await;
    assert_eq!(orders.len(), 2, "{orders:?}");
    assert_eq!(orders[0]["id"], session.as_str());
    assert_eq!(orders[0]["referenceNo"], "ORDER-1");
    assert_eq!(orders[0]["status"], "SENT");
    assert_eq!(orders[0]["endpoint"], "invoice-session");
    assert_eq!(orders[0]["timesCreated"], 1);
    assert_eq!(orders[0]["payload"], session_payload());
    assert_eq!(orders[1]["id"], regular.as_str());
    assert_eq!(orders[1]["referenceNo"], "ORDER-2");
    assert_eq!(orders[1]["status"], "INVOICED");
    assert_eq!(orders[1]["endpoint"], "regular-invoice");
    assert_eq!(orders[1]["payload"], regular_payload());
}

/// Each case breaks the valid payload of one endpoint in one place (or a few, for one rule) and
/// names the messages the provider would answer. The messages are compared sorted: their order
/// is the subject of `all_failures_at_once_wildcard_errors_last`.
#[tokio::test]
async fn every_rule_of_both_endpoints_gives_the_providers_message() {
    let long_id = || json!("R".repeat(26));
    let corporate = || set("customerDetails.type", json!("corporate"));
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<Edit>, Vec<&str>)> = vec![
        // ---- invoice-session: products
        (SESSION, vec![del("products")], vec!["The products field is required."]),
        (SESSION, vec![set("products", json!("Router"))], vec!["The products must be an array."]),
        (SESSION, vec![del("products.0.name")], vec!["The products.0.name field is required."]),
        (SESSION, vec![set("products.0.name", json!(42))], vec!["The products.0.name must be a string."]),
        (SESSION, vec![set("products.0.productId", long_id())], vec!["The products.0.product id must not be greater than 25 characters."]),
        (SESSION, vec![set("products.0.productId", json!(7))], vec!["The products.0.product id must be a string."]),
        (SESSION, vec![del("products.0.quantity")], vec!["The products.0.quantity field is required."]),
        (SESSION, vec![set("products.0.quantity", json!("one"))], vec!["The products.0.quantity must be a number."]),
        (SESSION, vec![del("products.0.rate")], vec!["The products.0.rate field is required."]),
        (SESSION, vec![set("products.0.rate", json!("4 500,00"))], vec!["The products.0.rate must be a number."]),
        (SESSION, vec![set("products.0.discount", json!("ten"))], vec!["The products.0.discount must be a number."]),
        (SESSION, vec![del("products.0.tax")], vec!["The products.0.tax field is required."]),
        (SESSION, vec![set("products.0.tax", json!("20"))], vec!["The selected products.0.tax is invalid."]),
        (SESSION, vec![set("products.0.tax", json!(20))], vec!["The selected products.0.tax is invalid."]),
        (SESSION, vec![set("products.0.tax", json!("12.5"))], vec!["The selected products.0.tax is invalid."]),
        (SESSION, vec![set("products.0.tax", json!(12.5))], vec!["The selected products.0.tax is invalid."]),
        (SESSION, vec![set("products.0.tax", json!("12%"))], vec!["The products.0.tax must be a number."]),
        (SESSION, vec![del("products.0.amount")], vec!["The products.0.amount field is required."]),
        (SESSION, vec![set("products.0.amount", json!(true))], vec!["The products.0.amount must be a number."]),
        // ---- invoice-session: summary
        (SESSION, vec![del("orderSummary.subTotal")], vec!["The order summary.sub total field is required."]),
        (SESSION, vec![set("orderSummary.totalTax", json!("x"))], vec!["The order summary.total tax must be a number."]),
        (SESSION, vec![del("orderSummary.totalDiscount")], vec!["The order summary.total discount field is required."]),
        (SESSION, vec![set("orderSummary.grandTotal", json!("  "))], vec!["The order summary.grand total field is required."]),
        (SESSION, vec![del("orderSummary")], vec![
            "The order summary.sub total field is required.",
            "The order summary.total tax field is required.",
            "The order summary.total discount field is required.",
            "The order summary.grand total field is required.",
        ]),
        // ---- invoice-session: order
        (SESSION, vec![del("orderDate")], vec!["The order date field is required."]),
        (SESSION, vec![set("orderDate", json!(NOON))], vec!["The order date must be a string."]),
        (SESSION, vec![set("orderDate", json!((NOON - 86_400).to_string()))], vec!["The order date must be a date after or equal to today."]),
        (SESSION, vec![set("orderDate", json!((OSLO_MIDNIGHT - 1).to_string()))], vec!["The order date must be a date after or equal to today."]),
        (SESSION, vec![set("referenceNo", json!(17))], vec!["The reference no must be a string."]),
        (SESSION, vec![set("customerReference", json!(3500))], vec!["The customer reference must be a string."]),
        (SESSION, vec![set("invoiceInterval", json!(3))], vec!["The selected invoice interval is invalid."]),
        (SESSION, vec![set("invoiceInterval", json!("monthly"))], vec!["The invoice interval must be a number."]),
        (SESSION, vec![set("separateInvoices", json!("yes"))], vec!["The separate invoices field must be true or false."]),
        (SESSION, vec![del("invoiceFeeApplicable")], vec!["The invoice fee applicable field is required."]),
        (SESSION, vec![set("invoiceFeeApplicable", json!("yes"))], vec!["The invoice fee applicable field must be true or false."]),
        (SESSION, vec![set("invoiceMaturity", json!("ten days"))], vec!["The invoice maturity must be a number."]),
        (SESSION, vec![set("settings.secureDetails", json!("yes"))], vec!["The settings.secure details field must be true or false."]),
        (SESSION, vec![set("fpgoUuid", json!("ODR0000000001")), set("orderFrom", json!("PARTNER"))], vec!["The selected fpgo uuid is invalid."]),
        (SESSION, vec![set("orderFrom", json!("DAMP"))], vec!["The selected order from is invalid."]),
        // ---- invoice-session: customer
        (SESSION, vec![del("customerDetails.type")], vec!["The customer details.type field is required."]),
        (SESSION, vec![set("customerDetails.type", json!("person"))], vec!["The selected customer details.type is invalid."]),
        (SESSION, vec![del("customerDetails.countryCode")], vec!["The customer details.country code field is required."]),
        (SESSION, vec![set("customerDetails.countryCode", json!(47))], vec!["The customer details.country code must be a string."]),
        (SESSION, vec![del("customerDetails.msisdn")], vec!["The customer details.msisdn field is required."]),
        (SESSION, vec![set("customerDetails.msisdn", json!(46567468))], vec!["The customer details.msisdn must be a string."]),
        (SESSION, vec![del("customerDetails.email")], vec!["The customer details.email field is required."]),
        (SESSION, vec![set("customerDetails.email", json!("kari.nordmann.example.no"))], vec!["The customer details.email must be a valid email address."]),
        (SESSION, vec![set("customerDetails.email", json!("kari nordmann@example.no"))], vec!["The customer details.email must be a valid email address."]),
        (SESSION, vec![del("customerDetails.name")], vec!["The customer details.name field is required."]),
        (SESSION, vec![del("customerDetails.personalNumber")], vec!["The customer details.personal number field is required when customer details.type is private."]),
        (SESSION, vec![set("customerDetails.personalNumber", json!("2803871238"))], vec!["The customer details.personal number must be 11 characters."]),
        (SESSION, vec![set("customerDetails.personalNumber", json!("280387123833"))], vec!["The customer details.personal number must be 11 characters."]),
        (SESSION, vec![corporate()], vec!["The customer details.organization id field is required when customer details.type is corporate."]),
        (SESSION, vec![corporate(), set("customerDetails.organizationId", json!("914-286-018"))], vec!["The customer details.organization id format is invalid."]),
        (SESSION, vec![set("customerDetails.preferredLanguage", json!("fr"))], vec!["The selected customer details.preferred language is invalid."]),
        (SESSION, vec![del("customerDetails.address.street")], vec!["The customer details.address.street field is required."]),
        (SESSION, vec![del("customerDetails.address.zip")], vec!["The customer details.address.zip field is required."]),
        (SESSION, vec![set("customerDetails.address.zip", json!(7030))], vec!["The customer details.address.zip must be a string."]),
        (SESSION, vec![del("customerDetails.address.city")], vec!["The customer details.address.city field is required."]),
        (SESSION, vec![del("customerDetails.address.country")], vec!["The customer details.address.country field is required."]),
        (SESSION, vec![set("customerDetails.address.country", json!("XX"))], vec!["The customer details.address.country must be a valid ISO Alpha-2 country code."]),
        (SESSION, vec![set("customerDetails.address.country", json!("no"))], vec!["The customer details.address.country must be a valid ISO Alpha-2 country code."]),
        (SESSION, vec![set("customerDetails.address.country", json!("NOR"))], vec!["The customer details.address.country must be a valid ISO Alpha-2 country code."]),
        // ---- invoice-session: callbacks (all three required valid URLs, the stricter seed)
        (SESSION, vec![del("callback.callbackUrl")], vec!["The callback.callback url field is required."]),
        (SESSION, vec![set("callback.callbackUrl", json!("shop.example.no/fpgo/callback"))], vec!["The callback.callback url must be a valid URL."]),
        (SESSION, vec![del("callback.success")], vec!["The callback.success field is required."]),
        (SESSION, vec![set("callback.success", json!("not a url"))], vec!["The callback.success must be a valid URL."]),
        (SESSION, vec![set("callback.failure", json!("https://"))], vec!["The callback.failure must be a valid URL."]),
        // ---- regular-invoice: what it adds
        (REGULAR, vec![del("orderSummary.shippingCost")], vec!["The order summary.shipping cost field is required."]),
        (REGULAR, vec![set("orderSummary.shippingCost", json!("free"))], vec!["The order summary.shipping cost must be a number."]),
        (REGULAR, vec![del("dueDateForPaymentLink")], vec!["The due date for payment link field is required when invoice interval is 0."]),
        (REGULAR, vec![del("dueDateForPaymentLink"), set("invoiceInterval", json!("0"))], vec!["The due date for payment link field is required when invoice interval is 0."]),
        (REGULAR, vec![del("dueDateForPaymentLink"), set("invoiceInterval", json!("0.0"))], vec!["The due date for payment link field is required when invoice interval is 0.0."]),
        (REGULAR, vec![set("dueDateForPaymentLink", json!(NOON + 7 * 86_400))], vec!["The due date for payment link must be a string."]),
        (REGULAR, vec![del("sendOrderBy.sms")], vec!["The send order by.sms field is required."]),
        (REGULAR, vec![set("sendOrderBy.email", json!("yes"))], vec!["The send order by.email field must be true or false."]),
        (REGULAR, vec![del("sendOrderBy.invoice")], vec!["The send order by.invoice field is required."]),
        (REGULAR, vec![del("sendOrderBy")], vec![
            "The send order by.sms field is required.",
            "The send order by.email field is required.",
            "The send order by.invoice field is required.",
        ]),
        (REGULAR, vec![del("isCreditCheckAvailable")], vec!["The is credit check available field is required."]),
        (REGULAR, vec![set("isCreditCheckAvailable", json!("no"))], vec!["The is credit check available field must be true or false."]),
        (REGULAR, vec![del("invoiceAsPaymentOption")], vec!["The invoice as payment option field is required."]),
        (REGULAR, vec![set("invoiceAsPaymentOption", json!(2))], vec!["The invoice as payment option field must be true or false."]),
        (REGULAR, vec![del("customerDetails.preferredLanguage")], vec!["The customer details.preferred language field is required."]),
        (REGULAR, vec![del("customerDetails.personalNumber")], vec!["The customer details.personal number field is required when submit payment.via is invoice."]),
        (REGULAR, vec![set("customerDetails.personalNumber", json!(null))], vec!["The customer details.personal number field is required when submit payment.via is invoice."]),
        (REGULAR, vec![set("customerDetails.personalNumber", json!("2803871238X"))], vec!["The customer details.personal number format is invalid."]),
        (REGULAR, vec![set("customerDetails.personalNumber", json!("2803871238"))], vec!["The customer details.personal number format is invalid."]),
        (REGULAR, vec![set("customerDetails.personalNumber", json!("280387 12383"))], vec!["The customer details.personal number format is invalid."]),
        (REGULAR, vec![set("customerDetails.personalNumber", json!(28038712383u64))], vec!["The customer details.personal number must be a string."]),
        (REGULAR, vec![corporate()], vec!["The customer details.organization id field is required when customer details.type is corporate."]),
        (REGULAR, vec![corporate(), set("customerDetails.organizationId", json!("914 286 018"))], vec!["The customer details.organization id format is invalid."]),
        (REGULAR, vec![del("customerDetails.address")], vec![
            "The customer details.address field is required.",
            "The customer details.address.street field is required.",
            "The customer details.address.zip field is required.",
            "The customer details.address.city field is required.",
            "The customer details.address.country field is required.",
        ]),
        (REGULAR, vec![set("invoiceReferences.tnc", json!(5))], vec!["The invoice references.tnc must be a string."]),
        (REGULAR, vec![set("invoiceReferences", json!("ORDER-2"))], vec!["The invoice references must be an array."]),
        (REGULAR, vec![set("internalReferences.notes", json!(5))], vec!["The internal references.notes must be a string."]),
        (REGULAR, vec![del("submitPayment")], vec!["The submit payment field is required.", "The submit payment.via field is required."]),
        (REGULAR, vec![set("submitPayment.via", json!("card"))], vec!["The selected submit payment.via is invalid."]),
        (REGULAR, vec![del("callback")], vec!["The callback field is required.", "The callback.success field is required.", "The callback.failure field is required."]),
        (REGULAR, vec![del("callback.success")], vec!["The callback.success field is required."]),
        (REGULAR, vec![set("callback.failure", json!(5))], vec!["The callback.failure must be a string."]),
        (REGULAR, vec![set("invoiceInterval", json!(3))], vec!["The selected invoice interval is invalid."]),
        (REGULAR, vec![set("separateInvoices", json!("yes"))], vec!["The separate invoices field must be true or false."]),
        // ---- regular-invoice: the shared blocks apply there too
        (REGULAR, vec![del("products.0.rate")], vec!["The products.0.rate field is required."]),
        (REGULAR, vec![set("products.0.tax", json!("20"))], vec!["The selected products.0.tax is invalid."]),
        (REGULAR, vec![set("products.0.productId", long_id())], vec!["The products.0.product id must not be greater than 25 characters."]),
        (REGULAR, vec![del("orderSummary.grandTotal")], vec!["The order summary.grand total field is required."]),
        (REGULAR, vec![set("orderDate", json!((NOON - 86_400).to_string()))], vec!["The order date must be a date after or equal to today."]),
        (REGULAR, vec![set("customerDetails.email", json!("kari@"))], vec!["The customer details.email must be a valid email address."]),
        (REGULAR, vec![set("customerDetails.type", json!("person"))], vec!["The selected customer details.type is invalid."]),
        (REGULAR, vec![set("customerDetails.address.country", json!("XX"))], vec!["The customer details.address.country must be a valid ISO Alpha-2 country code."]),
        (REGULAR, vec![set("fpgoUuid", json!("ODR0000000001")), set("orderFrom", json!("PARTNER"))], vec!["The selected fpgo uuid is invalid."]),
    ];
    let api = Api::start(config()).await;
    let mut wrong = Vec::new();
    for (endpoint, edits, expected) in &cases {
        let reply = api.post(endpoint, &edited(base(endpoint), edits)).await;
        let envelope_ok = reply.status == 417
            && reply.body["status_code"] == 417
            && reply.body["status_message"] == "Client Error"
            && reply.body["message"] == "payloadValidationErrors"
            && reply.body["is_error"] == true;
        let mut errors: Vec<String> =
            serde_json::from_value(reply.body["errors"].clone()).unwrap_or_default();
        errors.sort();
        let mut expected: Vec<&str> = expected.clone();
        expected.sort_unstable();
        if !envelope_ok || errors != expected {
            wrong.push(format!(
                "{endpoint} {}:\n  expected {expected:?}\n  got {} {}",
                describe(edits),
                reply.status,
                reply.text
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    assert!(api.orders().await.is_empty(), "a rejected order was stored");
}

fn base(endpoint: &str) -> Value {
    if endpoint == SESSION {
        session_payload()
    } else {
        regular_payload()
    }
}

fn describe(edits: &[Edit]) -> String {
    edits
        .iter()
        .map(|edit| match edit {
            Edit::Set(path, value) => format!("{path} = {value}"),
            Edit::Remove(path) => format!("without {path}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the rules allow: optional fields left out, boundaries, the seeds' looser rules.
#[tokio::test]
async fn what_the_rules_allow_is_created() {
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<Edit>)> = vec![
        (SESSION, vec![set("products.0.productId", json!("R".repeat(25)))]),
        (SESSION, vec![
            del("products.0.productId"),
            del("products.0.discount"),
            del("referenceNo"),
            del("customerReference"),
            del("invoiceInterval"),
            del("separateInvoices"),
            del("invoiceMaturity"),
            del("settings"),
            del("customerDetails.preferredLanguage"),
            del("customerDetails.organizationId"),
        ]),
        (SESSION, vec![set("products.0.productId", json!(null)), set("invoiceInterval", json!(null))]),
        // Today began at midnight in Oslo; a date in the future is fine too.
        (SESSION, vec![set("orderDate", json!(OSLO_MIDNIGHT.to_string()))]),
        (SESSION, vec![set("orderDate", json!((NOON + 30 * 86_400).to_string()))]),
        // The `d M, Y` form the demo server demanded elsewhere is not a timestamp to compare.
        (SESSION, vec![set("orderDate", json!("21 Nov, 2026"))]),
        // Laravel's booleans: true, false, 1, 0, "1", "0".
        (SESSION, vec![set("separateInvoices", json!(1)), set("invoiceFeeApplicable", json!("0")), set("settings.secureDetails", json!(0))]),
        (SESSION, vec![set("invoiceInterval", json!("2")), set("invoiceMaturity", json!("14"))]),
        (SESSION, vec![set("customerDetails.type", json!("corporate")), set("customerDetails.organizationId", json!("914286018")), del("customerDetails.personalNumber")]),
        (SESSION, vec![set("customerDetails.email", json!("a@b"))]),
        (SESSION, vec![set("callback.callbackUrl", json!("http://localhost:8000/cb"))]),
        (SESSION, vec![set("orderFrom", json!("PARTNER"))]),
        // Every tax rate of the set.
        (SESSION, vec![set("products.0.tax", json!("25")), set("orderSummary.subTotal", json!("3600.00")), set("orderSummary.totalTax", json!("900.00"))]),
        (SESSION, vec![set("products.0.tax", json!("15")), set("orderSummary.subTotal", json!("3913.04")), set("orderSummary.totalTax", json!("586.96"))]),
        (SESSION, vec![set("products.0.tax", json!(0)), set("orderSummary.subTotal", json!("4500.00")), set("orderSummary.totalTax", json!("0.00"))]),
        // Laravel's `in` is PHP's loose `in_array`: "12.00", 12.0 and " 12" are 12.
        (SESSION, vec![set("products.0.tax", json!("12.00"))]),
        (SESSION, vec![set("products.0.tax", json!(12.0)), set("invoiceInterval", json!(1.0))]),
        (SESSION, vec![set("products.0.tax", json!(" 12"))]),
        // regular-invoice: no due date needed unless the interval is 0.
        (REGULAR, vec![del("dueDateForPaymentLink"), set("invoiceInterval", json!(1))]),
        (REGULAR, vec![del("dueDateForPaymentLink"), del("invoiceInterval")]),
        // Seed 003: preferredLanguage is any string; the callbacks are plain strings.
        (REGULAR, vec![set("customerDetails.preferredLanguage", json!("fr"))]),
        (REGULAR, vec![set("callback.success", json!("not a url")), del("submitPayment.currency")]),
        (REGULAR, vec![set("invoiceReferences", json!(null)), set("internalReferences", json!(null))]),
        (REGULAR, vec![set("customerDetails.type", json!("corporate")), set("customerDetails.organizationId", json!("914286018"))]),
        (REGULAR, vec![set("orderSummary.shippingCost", json!(0)), set("orderSummary.grandTotal", json!("4500"))]),
    ];
    let api = Api::start(config()).await;
    let mut wrong = Vec::new();
    for (endpoint, edits) in &cases {
        let reply = api.post(endpoint, &edited(base(endpoint), edits)).await;
        if reply.status != 201 {
            wrong.push(format!(
                "{endpoint} {}: {} {}",
                describe(edits),
                reply.status,
                reply.text
            ));
        } else {
            assert_created(&reply);
        }
    }
    assert!(wrong.is_empty(), "refused:\n{}", wrong.join("\n"));
    assert_eq!(api.orders().await.len(), cases.len());
}

#[tokio::test]
async fn all_failures_at_once_wildcard_errors_last() {
    let api = Api::start(config()).await;
    let mut body = edited(
        session_payload(),
        &[
            set("customerDetails.email", json!("not an email")),
            del("orderSummary.grandTotal"),
            set("callback.callbackUrl", json!("nowhere")),
            set("products.0.tax", json!("20")),
            del("products.0.rate"),
        ],
    );
    let second = edited(
        session_payload()["products"][0].clone(),
        &[set("quantity", json!("x")), del("name")],
    );
    body["products"].as_array_mut().unwrap().push(second);
    let reply = api.post(SESSION, &body).await;
    assert_invalid(
        &reply,
        &[
            "The order summary.grand total field is required.",
            "The customer details.email must be a valid email address.",
            "The callback.callback url must be a valid URL.",
            "The products.1.name field is required.",
            "The products.1.quantity must be a number.",
            "The products.0.rate field is required.",
            "The selected products.0.tax is invalid.",
        ],
    );

    // The same with `products` as an object keyed "0", "1": the keys name the lines.
    let lines = body["products"].as_array().unwrap().clone();
    body["products"] = json!({"0": lines[0], "1": lines[1]});
    let reply = api.post(SESSION, &body).await;
    assert_eq!(reply.status, 417);
    let errors = reply.errors();
    assert_eq!(errors.len(), 7, "{errors:?}");
    assert_eq!(
        errors[3..],
        [
            "The products.1.name field is required.",
            "The products.1.quantity must be a number.",
            "The products.0.rate field is required.",
            "The selected products.0.tax is invalid.",
        ]
    );
}

#[tokio::test]
async fn numbers_as_json_numbers_or_numeric_strings_and_products_as_an_object() {
    let api = Api::start(config()).await;
    // Every number a JSON number (floats included), as the seeds' examples partly do.
    let numbers = edited(
        session_payload(),
        &[
            set(
                "products",
                json!([{"name": "Router", "quantity": 1, "rate": 4500, "discount": 0, "tax": 12, "amount": 4500.0}]),
            ),
            set(
                "orderSummary",
                json!({"subTotal": 4017.86, "totalTax": 482.14, "totalDiscount": 0, "grandTotal": 4500}),
            ),
        ],
    );
    assert_created(&api.post(SESSION, &numbers).await);
    // Numeric strings in PHP's sense: signs, exponents, leading dots, surrounding blanks.
    let strings = edited(
        session_payload(),
        &[
            set("products.0.quantity", json!("1e0")),
            set("products.0.rate", json!(" 4500")),
            set("products.0.discount", json!("-0")),
            set("orderSummary.totalDiscount", json!(".0")),
            set("orderSummary.grandTotal", json!("+4500.00")),
        ],
    );
    assert_created(&api.post(SESSION, &strings).await);

    // `products` as an object keyed "0", "1", with two VAT rates and a discount.
    let two_lines = json!({
        "0": {"name": "Router", "quantity": "1", "rate": "4500.00", "tax": "12", "amount": "4500.00"},
        "1": {"name": "Cable", "productId": "C-2", "quantity": "2", "rate": "125.00", "discount": "50.00", "tax": "25", "amount": "200.00"}
    });
    let object = edited(
        session_payload(),
        &[
            set("products", two_lines.clone()),
            set(
                "orderSummary",
                json!({"subTotal": "4177.86", "totalTax": "522.14", "totalDiscount": "50.00", "grandTotal": "4700.00"}),
            ),
        ],
    );
    assert_created(&api.post(SESSION, &object).await);
    let regular = edited(
        regular_payload(),
        &[
            set("products", two_lines),
            set(
                "orderSummary",
                json!({"subTotal": "4177.86", "totalTax": "522.14", "totalDiscount": "50.00", "shippingCost": "49.00", "grandTotal": "4749.00"}),
            ),
        ],
    );
    assert_created(&api.post(REGULAR, &regular).await);
    assert_eq!(api.orders().await.len(), 4);
}

#[tokio::test]
async fn a_body_that_is_not_json_gives_the_required_field_errors() {
    let api = Api::start(config()).await;
    let required = |names: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = names
            .iter()
            .map(|n| format!("The {n} field is required."))
            .collect();
        all.sort();
        all
    };
    let common = [
        "products",
        "order summary.sub total",
        "order summary.total tax",
        "order summary.total discount",
        "order summary.grand total",
        "order date",
        "customer details.type",
        "customer details.country code",
        "customer details.msisdn",
        "customer details.email",
        "customer details.name",
        "customer details.address.street",
        "customer details.address.zip",
        "customer details.address.city",
        "customer details.address.country",
    ];
    let session: Vec<&str> = common
        .iter()
        .copied()
        .chain([
            "invoice fee applicable",
            "callback.callback url",
            "callback.success",
            "callback.failure",
        ])
        .collect();
    let regular: Vec<&str> = common
        .iter()
        .copied()
        .chain([
            "order summary.shipping cost",
            "send order by.sms",
            "send order by.email",
            "send order by.invoice",
            "is credit check available",
            "invoice as payment option",
            "customer details.preferred language",
            "customer details.address",
            "submit payment",
            "submit payment.via",
            "callback",
            "callback.success",
            "callback.failure",
        ])
        .collect();
    for (path, expected) in [(SESSION, required(&session)), (REGULAR, required(&regular))] {
        for body in ["this is not JSON", "[1, 2]", "", "{\"products\": "] {
            let reply = read(
                api.http
                    .post(api.url(path))
                    .bearer_auth(api.sandbox.token())
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
            assert_eq!(reply.status, 417, "{path} {body:?}: {reply:?}");
            assert_eq!(reply.body["message"], "payloadValidationErrors");
            let mut errors = reply.errors();
            errors.sort();
            assert_eq!(errors, expected, "{path} {body:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Arithmetic strictness

#[tokio::test]
async fn wrong_amounts_and_sums_are_refused_naming_the_expected_value_unless_lenient() {
    // The line amount is wrong, the summary agrees with it: only the line is named.
    let wrong_line = edited(
        session_payload(),
        &[
            set("products.0.amount", json!("4400.00")),
            set("orderSummary.subTotal", json!("3928.57")),
            set("orderSummary.totalTax", json!("471.43")),
            set("orderSummary.grandTotal", json!("4400.00")),
        ],
    );
    // The lines are right, the summary is not.
    let wrong_summary = edited(
        session_payload(),
        &[
            set("orderSummary.subTotal", json!("4000.00")),
            set("orderSummary.totalTax", json!("500.00")),
            set("orderSummary.totalDiscount", json!("10.00")),
            set("orderSummary.grandTotal", json!("4490.00")),
        ],
    );
    // regular-invoice: the grand total must include the shipping.
    let no_shipping = edited(
        regular_payload(),
        &[set("orderSummary.grandTotal", json!("4500.00"))],
    );
    // A discount comes off the line; half an øre rounds away from zero (0.125 → 0.13).
    let discounted = edited(
        session_payload(),
        &[
            set(
                "products",
                json!([
                    {"name": "Router", "quantity": "2", "rate": "100.00", "discount": "20.00", "tax": "25", "amount": "180.00"},
                    {"name": "Screw", "quantity": "1", "rate": "0.125", "tax": "25", "amount": "0.13"}
                ]),
            ),
            set(
                "orderSummary",
                json!({"subTotal": "144.10", "totalTax": "36.03", "totalDiscount": "20.00", "grandTotal": "180.13"}),
            ),
        ],
    );
    let half_to_even = edited(
        discounted.clone(),
        &[set("products.1.amount", json!("0.12"))],
    );

    let strict = Api::start(config()).await;
    assert_invalid(
        &strict.post(SESSION, &wrong_line).await,
        &["The products.0.amount must be 4500.00 (quantity × rate, rounded to 2 decimals, − discount)."],
    );
    assert_invalid(
        &strict.post(SESSION, &wrong_summary).await,
        &[
            "The order summary.sub total must be 4017.86 (the lines' net, rounded per VAT rate).",
            "The order summary.total tax must be 482.14 (the lines' VAT, per VAT rate).",
            "The order summary.total discount must be 0.00 (the sum of the discounts).",
            "The order summary.grand total must be 4500.00 (the sum of the line amounts and shipping).",
        ],
    );
    assert_invalid(
        &strict.post(REGULAR, &no_shipping).await,
        &["The order summary.grand total must be 4549.00 (the sum of the line amounts and shipping)."],
    );
    assert_created(&strict.post(SESSION, &discounted).await);
    let reply = strict.post(SESSION, &half_to_even).await;
    assert_eq!(reply.status, 417);
    assert_eq!(
        reply.errors()[0],
        "The products.1.amount must be 0.13 (quantity × rate, rounded to 2 decimals, − discount)."
    );
    assert_eq!(strict.orders().await.len(), 1);

    // Our own strictness is switchable: the provider does not check the sums.
    let lenient = Api::start(Config {
        strict: false,
        ..config()
    })
    .await;
    for (path, body) in [
        (SESSION, &wrong_line),
        (SESSION, &wrong_summary),
        (REGULAR, &no_shipping),
        (SESSION, &half_to_even),
    ] {
        assert_created(&lenient.post(path, body).await);
    }
    // Lenient still validates.
    assert_invalid(
        &lenient
            .post(SESSION, &edited(wrong_line, &[del("products.0.rate")]))
            .await,
        &["The products.0.rate field is required."],
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Auth

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_in_the_error_envelope() {
    let api = Api::start(config()).await;
    let unauthorised = json!({
        "status_code": 401,
        "status_message": "Unauthorized",
        "message": "Unauthenticated.",
        "is_error": true,
        "errors": null,
    });
    let url = api.url(SESSION);
    for request in [
        api.http.post(&url).json(&session_payload()),
        api.http
            .post(&url)
            .bearer_auth("not-the-token")
            .json(&session_payload()),
        api.http
            .post(&url)
            .header("authorization", api.sandbox.token())
            .json(&session_payload()),
        api.http.get(api.url("/connect/orders/status")),
    ] {
        let reply = read(request).await;
        assert_eq!(reply.status, 401, "{reply:?}");
        assert_eq!(reply.body, unauthorised);
        assert_eq!(reply.header("x-ratelimit-limit"), "10000");
        assert!(reply.header("x-ratelimit-remaining").parse::<u32>().is_ok());
    }
    assert!(api.orders().await.is_empty());
    assert_eq!(api.stats().await["routes"][SESSION_ROUTE]["401"], 3);
}

// ---------------------------------------------------------------------------------------------
// 4. Rate limit

#[tokio::test]
async fn the_rate_limit_counts_every_request_in_a_sixty_second_window() {
    let api = Api::start(Config {
        rate_limit: 3,
        ..config()
    })
    .await;
    let limit = |reply: &Reply| {
        (
            reply.header("x-ratelimit-limit").to_string(),
            reply.header("x-ratelimit-remaining").to_string(),
        )
    };
    let created = api.post(SESSION, &session_payload()).await;
    assert_created(&created);
    assert_eq!(limit(&created), ("3".into(), "2".into()));
    let invalid = api.post(SESSION, &json!({})).await;
    assert_eq!(invalid.status, 417);
    assert_eq!(limit(&invalid), ("3".into(), "1".into()));
    let not_found = api.get("/connect/orders/status/ODR0000000001").await;
    assert_eq!(not_found.status, 404);
    assert_eq!(limit(&not_found), ("3".into(), "0".into()));

    let refused = api.post(SESSION, &session_payload()).await;
    assert_eq!(refused.status, 429, "{refused:?}");
    assert_eq!(
        refused.body,
        json!({
            "status_code": 429,
            "status_message": "Too Many Requests",
            "message": "Too Many Attempts.",
            "is_error": true,
            "errors": null,
        })
    );
    assert_eq!(limit(&refused), ("3".into(), "0".into()));
    assert_eq!(refused.header("retry-after"), "60");
    assert_eq!(refused.header("x-ratelimit-reset"), (NOON + 60).to_string());

    // A 401 counts in its own token's window, and carries the headers.
    let anonymous = |api: &Api| read(api.http.post(api.url(SESSION)).json(&session_payload()));
    for remaining in ["2", "1", "0"] {
        let reply = anonymous(&api).await;
        assert_eq!(reply.status, 401);
        assert_eq!(limit(&reply), ("3".into(), remaining.into()));
    }
    assert_eq!(anonymous(&api).await.status, 429);

    // Half a minute later the window still holds, and says how long is left.
    api.sandbox.clock().advance(30);
    let refused = api.post(SESSION, &session_payload()).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), "30");
    assert_eq!(refused.header("x-ratelimit-reset"), (NOON + 60).to_string());

    // A minute after the first request a new window opens.
    api.sandbox.clock().advance(30);
    let created = api.post(SESSION, &session_payload()).await;
    assert_created(&created);
    assert_eq!(limit(&created), ("3".into(), "2".into()));

    assert_eq!(api.orders().await.len(), 2, "a refused request was stored");
    let stats = api.stats().await;
    assert_eq!(stats["routes"][SESSION_ROUTE]["429"], 3, "{stats}");
    assert_eq!(stats["routes"][SESSION_ROUTE]["201"], 2, "{stats}");
}

// ---------------------------------------------------------------------------------------------
// 5. Faults

fn faulty(fault: Fault, p: f64) -> Config {
    Config {
        faults: vec![(fault, p)],
        ..config()
    }
}

#[tokio::test]
async fn faults_500_and_510_answer_the_seeds_bodies_and_store_nothing() {
    let api = Api::start(faulty(Fault::Internal, 1.0)).await;
    let reply = api.post(SESSION, &session_payload()).await;
    assert_eq!(reply.status, 500, "{reply:?}");
    assert_eq!(reply.body["status_code"], 500);
    assert_eq!(reply.body["status_message"], "Internal Dependency Error");
    assert_eq!(
        reply.body["message"],
        "Internal Error Occurred Please Try Again Later"
    );
    assert_eq!(reply.body["is_error"], true);
    assert!(
        reply.body["errors"]["happenedAt"].is_string(),
        "{}",
        reply.body
    );
    assert!(
        reply.body["errors"]["internalErrorDetails"].is_array(),
        "{}",
        reply.body
    );
    assert_eq!(reply.header("x-ratelimit-limit"), "10000");
    assert!(api.orders().await.is_empty());
    assert_eq!(
        api.stats().await["routes"][SESSION_ROUTE],
        json!({"500": 1})
    );

    let api = Api::start(faulty(Fault::Execution, 1.0)).await;
    let reply = api.post(REGULAR, &regular_payload()).await;
    assert_eq!(reply.status, 510, "{reply:?}");
    assert_eq!(
        reply.body,
        json!({
            "status_code": 510,
            "status_message": "Execution Exception Occurred",
            "message": "Something Went Wrong",
            "is_error": true,
            "errors": [],
        })
    );
    assert!(api.orders().await.is_empty());
}

#[tokio::test]
async fn fault_502_is_an_nginx_html_page() {
    let api = Api::start(faulty(Fault::BadGateway, 1.0)).await;
    let reply = api.post(SESSION, &session_payload()).await;
    assert_eq!(reply.status, 502);
    assert!(reply.header("content-type").starts_with("text/html"));
    assert!(serde_json::from_str::<Value>(&reply.text).is_err());
    assert!(
        reply.text.contains("<title>502 Bad Gateway</title>"),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("nginx"));
    assert!(api.orders().await.is_empty());
}

#[tokio::test]
async fn fault_drop_closes_the_connection_and_stores_nothing() {
    let api = Api::start(faulty(Fault::Drop, 1.0)).await;
    let error = try_read(api.post_request(SESSION, &session_payload()))
        .await
        .expect_err("no answer");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(api.orders().await.is_empty());
    let stats = api.stats().await;
    assert_eq!(
        stats["routes"][SESSION_ROUTE],
        json!({"closed": 1}),
        "{stats}"
    );
}

#[tokio::test]
async fn fault_commit_drop_stores_the_order_and_closes_the_connection() {
    let api = Api::start(faulty(Fault::CommitDrop, 1.0)).await;
    let error = try_read(api.post_request(SESSION, &session_payload()))
        .await
        .expect_err("no answer");
    assert!(!error.is_timeout(), "{error:?}");
    let orders = api.orders().await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["referenceNo"], "ORDER-1");
    assert_eq!(orders[0]["timesCreated"], 1);
    assert!(is_id(orders[0]["id"].as_str().unwrap(), "ODR"));
    // The client retries the way a naive one would: a duplicate the introspection shows.
    let _ = try_read(api.post_request(SESSION, &session_payload())).await;
    let orders = api.orders().await;
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[1]["timesCreated"], 2);
    assert_eq!(
        api.stats().await["routes"][SESSION_ROUTE],
        json!({"closed": 2})
    );
}

#[tokio::test]
async fn fault_slow_answers_after_a_clients_timeout_and_stores_the_order() {
    let api = Api::start(Config {
        slow: Duration::from_secs(2),
        ..faulty(Fault::Slow, 1.0)
    })
    .await;
    let impatient = client(Duration::from_millis(300));
    let started = Instant::now();
    let error = try_read(
        impatient
            .post(api.url(SESSION))
            .bearer_auth(api.sandbox.token())
            .json(&session_payload()),
    )
    .await
    .expect_err("the client gives up");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let orders = api.orders().await;
    assert_eq!(orders.len(), 1, "{orders:?}");

    // It is an answer, only late: a patient client gets the 201.
    let api = Api::start(Config {
        slow: Duration::from_millis(400),
        ..faulty(Fault::Slow, 1.0)
    })
    .await;
    let started = Instant::now();
    assert_created(&api.post(SESSION, &session_payload()).await);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

/// What one request came to, for comparing runs: the status and the order id, or "closed".
async fn outcome(api: &Api, body: &Value) -> String {
    match try_read(api.post_request(SESSION, body)).await {
        Ok(reply) if reply.status == 201 => format!("201 {}", reply.data("orderUuid")),
        Ok(reply) => reply.status.to_string(),
        Err(_) => "closed".to_string(),
    }
}

#[tokio::test]
async fn the_same_seed_replays_the_same_faults_and_ids() {
    let run = |seed: u64| async move {
        let api = Api::start(Config {
            seed,
            faults: vec![(Fault::Internal, 0.25), (Fault::Drop, 0.25)],
            ..config()
        })
        .await;
        let mut outcomes = Vec::new();
        for _ in 0..24 {
            outcomes.push(outcome(&api, &session_payload()).await);
        }
        let stored = api.orders().await.len();
        api.sandbox.shutdown().await;
        (outcomes, stored)
    };
    let (first, stored) = run(7).await;
    let (again, _) = run(7).await;
    assert_eq!(first, again);
    let created = first.iter().filter(|o| o.starts_with("201 ")).count();
    assert!(
        created > 0 && first.contains(&"500".to_string()) && first.contains(&"closed".to_string()),
        "{first:?}"
    );
    assert_eq!(stored, created);
    let (other, _) = run(8).await;
    assert_ne!(first, other, "another seed, another run");
}

// ---------------------------------------------------------------------------------------------
// 6. Updating through fpgoUuid

#[tokio::test]
async fn fpgo_uuid_with_order_from_partner_updates_the_order() {
    let api = Api::start(config()).await;
    let (id, customer) = assert_created(&api.post(SESSION, &session_payload()).await);
    let update = edited(
        session_payload(),
        &[
            set("fpgoUuid", json!(id)),
            set("orderFrom", json!("PARTNER")),
            set("customerReference", json!("changed")),
        ],
    );
    let reply = api.post(SESSION, &update).await;
    assert!(reply.status == 200 || reply.status == 201, "{reply:?}");
    assert_eq!(reply.body["status_code"], reply.status);
    assert_eq!(reply.body["is_data"], true);
    assert_eq!(reply.data("orderUuid"), id);
    assert_eq!(reply.data("customerUuid"), customer);
    let orders = api.orders().await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["id"], id.as_str());
    assert_eq!(orders[0]["updates"], 1);
    assert_eq!(orders[0]["timesCreated"], 1);
    assert_eq!(orders[0]["payload"]["customerReference"], "changed");

    // An unknown id, and an id without orderFrom, are refused; nothing changes.
    assert_invalid(
        &api.post(
            SESSION,
            &edited(update.clone(), &[set("fpgoUuid", json!("ODR1234567890"))]),
        )
        .await,
        &["The selected fpgo uuid is invalid."],
    );
    assert_invalid(
        &api.post(SESSION, &edited(update.clone(), &[del("orderFrom")]))
            .await,
        &["The order from field is required when fpgo uuid is present."],
    );
    assert_invalid(
        &api.post(SESSION, &edited(update, &[set("orderFrom", json!("DAMP"))]))
            .await,
        &["The selected order from is invalid."],
    );
    let orders = api.orders().await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["updates"], 1);

    // The same on regular-invoice.
    let (id, _) = assert_created(&api.post(REGULAR, &regular_payload()).await);
    let update = edited(
        regular_payload(),
        &[
            set("fpgoUuid", json!(id)),
            set("orderFrom", json!("PARTNER")),
        ],
    );
    let reply = api.post(REGULAR, &update).await;
    assert!(reply.status == 200 || reply.status == 201, "{reply:?}");
    assert_eq!(reply.data("orderUuid"), id);
    let orders = api.orders().await;
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[1]["updates"], 1);
    assert_eq!(orders[1]["timesCreated"], 1);
}

// ---------------------------------------------------------------------------------------------
// 7. Customer ids

#[tokio::test]
async fn the_same_customer_keeps_the_same_customer_id() {
    let api = Api::start(config()).await;
    let post = |path: &'static str, body: Value| {
        let request = api.post_request(path, &body);
        async move { assert_created(&read(request).await).1 }
    };
    let person = |number: &str| {
        edited(
            session_payload(),
            &[set("customerDetails.personalNumber", json!(number))],
        )
    };
    let kari = post(SESSION, person(KARI)).await;
    assert_eq!(post(SESSION, person(KARI)).await, kari);
    assert_eq!(post(REGULAR, regular_payload()).await, kari);
    let ola = post(SESSION, person(OLA)).await;
    assert_ne!(ola, kari);
    assert_eq!(post(SESSION, person(OLA)).await, ola);

    // A company is known by its organisation number, whoever's personal number comes along
    // (regular-invoice demands one with every order).
    let company = |org: &str, contact: &str| {
        edited(
            regular_payload(),
            &[
                set("customerDetails.type", json!("corporate")),
                set("customerDetails.organizationId", json!(org)),
                set("customerDetails.personalNumber", json!(contact)),
            ],
        )
    };
    let fjordkraft = post(REGULAR, company("914286018", KARI)).await;
    assert_ne!(fjordkraft, kari, "a company is not its contact person");
    assert_eq!(post(REGULAR, company("914286018", OLA)).await, fjordkraft);
    let other = post(REGULAR, company("923609016", KARI)).await;
    assert_ne!(other, fjordkraft);
    let session_company = edited(
        session_payload(),
        &[
            set("customerDetails.type", json!("corporate")),
            set("customerDetails.organizationId", json!("914286018")),
            del("customerDetails.personalNumber"),
        ],
    );
    assert_eq!(post(SESSION, session_company).await, fjordkraft);
}

// ---------------------------------------------------------------------------------------------
// 8. Status routes

#[tokio::test]
async fn status_routes_report_stored_orders() {
    let api = Api::start(config()).await;
    let not_found = json!({
        "status_code": 404,
        "status_message": "Not Found",
        "message": "Order Not Found",
        "is_data": false,
        "data": null,
    });
    let reply = api.get("/connect/orders/status").await;
    assert_eq!((reply.status, &reply.body), (404, &not_found));

    let (session, _) = assert_created(&api.post(SESSION, &session_payload()).await);
    let (regular, _) = assert_created(&api.post(REGULAR, &regular_payload()).await);

    let reply = api.get(&format!("/connect/orders/status/{session}")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["status_code"], 200);
    assert_eq!(reply.body["is_data"], true);
    assert_eq!(reply.data("uuid"), session);
    assert_eq!(reply.data("status"), "SENT");
    assert_eq!(reply.data("orderAmount"), "4500.00");
    let reply = api.get(&format!("/connect/orders/status/{regular}")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.data("uuid"), regular);
    assert_eq!(reply.data("status"), "INVOICED");
    assert_eq!(reply.data("orderAmount"), "4549.00");

    let reply = api.get("/connect/orders/status/ODR0000000001").await;
    assert_eq!((reply.status, &reply.body), (404, &not_found));

    let uuids = |reply: &Reply| -> Vec<String> {
        assert_eq!(reply.status, 200, "{reply:?}");
        reply.body["data"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|o| o["uuid"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        uuids(&api.get("/connect/orders/status?type=INVOICED").await),
        [regular.as_str()]
    );
    assert_eq!(
        uuids(&api.get("/connect/orders/status?type=sent").await),
        [session.as_str()]
    );
    assert_eq!(
        uuids(&api.get("/connect/orders/status").await),
        [session, regular]
    );
    for nothing in ["PAID", "PARTIAL%20REFUNDED", ""] {
        let reply = api
            .get(&format!("/connect/orders/status?type={nothing}"))
            .await;
        assert_eq!(
            (reply.status, &reply.body),
            (404, &not_found),
            "type={nothing}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Introspection

#[tokio::test]
async fn introspection_shows_duplicates_counts_requests_and_resets() {
    let api = Api::start(Config {
        rate_limit: 5,
        ..config()
    })
    .await;
    let (first, _) = assert_created(&api.post(SESSION, &session_payload()).await);
    let (second, _) = assert_created(&api.post(SESSION, &session_payload()).await);
    assert_ne!(first, second);
    assert_eq!(api.post(SESSION, &json!({})).await.status, 417);
    assert_created(&api.post(REGULAR, &regular_payload()).await);
    assert_eq!(
        api.get(&format!("/connect/orders/status/{first}"))
            .await
            .status,
        200
    );

    let orders = api.orders().await;
    assert_eq!(orders.len(), 3, "{orders:?}");
    for (order, id) in orders.iter().zip([&first, &second]) {
        assert_eq!(order["id"], id.as_str());
        assert_eq!(order["referenceNo"], "ORDER-1");
        assert_eq!(order["status"], "SENT");
        assert_eq!(
            order["timesCreated"], 2,
            "the same referenceNo was created twice"
        );
        assert_eq!(order["payload"], session_payload());
    }
    assert_eq!(orders[2]["timesCreated"], 1);

    assert_eq!(
        api.stats().await,
        json!({
            "total": 5,
            "routes": {
                "GET /api/v1/connect/orders/status/{order_uuid}": {"200": 1},
                SESSION_ROUTE: {"201": 2, "417": 1},
                "POST /api/v1/connect/orders/regular/invoice/submit": {"201": 1},
            }
        })
    );
    // The limit of 5 is spent.
    assert_eq!(api.post(SESSION, &session_payload()).await.status, 429);

    let reply = read(api.http.post(api.root("/__sandbox/reset"))).await;
    assert_eq!(reply.status, 200);
    assert!(api.orders().await.is_empty());
    assert_eq!(api.stats().await, json!({"total": 0, "routes": {}}));
    // The rate-limit windows are forgotten too, and the referenceNo counts start again.
    assert_created(&api.post(SESSION, &session_payload()).await);
    assert_eq!(api.orders().await[0]["timesCreated"], 1);
}

// ---------------------------------------------------------------------------------------------
// 10. Graceful shutdown

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_then_refuses_connections() {
    let api = Api::start(Config {
        latency: (Duration::from_millis(300), Duration::from_millis(300)),
        ..config()
    })
    .await;
    let address = api.sandbox.root_url().replace("http://", "");
    // A connection kept alive in the client's pool must not hold the shutdown up.
    let idle = client(Duration::from_secs(5));
    assert_eq!(
        read(idle.get(api.root("/__sandbox/stats"))).await.status,
        200
    );

    let spawned = Instant::now();
    let in_flight = tokio::spawn(read(api.post_request(SESSION, &session_payload())));
    tokio::time::sleep(Duration::from_millis(100)).await;
    tokio::time::timeout(Duration::from_secs(4), api.sandbox.shutdown())
        .await
        .expect("shutdown returns");
    // It waited for the request in flight (which cannot end before its 300 ms of latency), and
    // not for the idle connection.
    let waited = spawned.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    assert_created(&in_flight.await.unwrap());

    let refused = tokio::net::TcpStream::connect(&address).await;
    assert_eq!(
        refused.map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );
    assert!(
        try_read(idle.get(format!("http://{address}/__sandbox/stats")))
            .await
            .is_err()
    );
}

// ---------------------------------------------------------------------------------------------
// 11. The binary

const BIN: &str = env!("CARGO_BIN_EXE_fpgo-export");

/// A child that is killed (by its own id) if the test ends before it does.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl Running {
    /// Waits at most `limit` for the exit; returns the code.
    fn wait(&mut self, limit: Duration) -> i32 {
        let started = Instant::now();
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status.code().expect("an exit code");
            }
            assert!(started.elapsed() < limit, "still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Runs `fpgo-export ARGS` that must exit by itself within five seconds; returns code and stderr.
fn run_binary(args: &[&str]) -> (i32, String) {
    let mut child = Running(
        Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts"),
    );
    let code = child.wait(Duration::from_secs(5));
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.0.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    (code, stderr)
}

#[test]
fn the_binary_refuses_what_it_cannot_serve() {
    let (code, stderr) = run_binary(&["sandbox", "--bind", "0.0.0.0:0"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    for (args, named) in [
        (
            &["sandbox", "--bind", "127.0.0.1:0", "--fault", "bogus=1"][..],
            "--fault bogus=1",
        ),
        (
            &["sandbox", "--bind", "127.0.0.1:0", "--fault", "500"],
            "--fault 500",
        ),
        (
            &["sandbox", "--bind", "127.0.0.1:0", "--fault", "500=1.5"],
            "--fault",
        ),
        (
            &[
                "sandbox",
                "--bind",
                "127.0.0.1:0",
                "--fault",
                "500=0.6",
                "--fault",
                "drop=0.6",
            ],
            "--fault",
        ),
        (&["sandbox", "--bind", "localhost"], "--bind localhost"),
        (
            &["sandbox", "--bind", "127.0.0.1:0", "--latency", "200..100"],
            "--latency",
        ),
    ] {
        let (code, stderr) = run_binary(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn the_binary_serves_logs_one_line_per_request_and_stops_on_sigterm() {
    let token = "t0k3n-of-the-test";
    let mut child = Running(
        Command::new(BIN)
            .args([
                "sandbox",
                "--bind",
                "127.0.0.1:0",
                "--token",
                token,
                "--rate-limit",
                "7",
                "--seed",
                "3",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts"),
    );
    let (lines, received) = std::sync::mpsc::channel();
    let stderr = child.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let base_url = loop {
        let line = received
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_else(|_| panic!("no base URL in {seen:?}"));
        if let Some(url) = line.strip_prefix("FPGO sandbox serving ") {
            break url.to_string();
        }
        seen.push(line);
    };
    assert!(base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/api/v1"));

    // The standalone sandbox runs on the wall clock: an order dated tomorrow.
    let tomorrow = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 86_400;
    let body = edited(
        session_payload(),
        &[set("orderDate", json!(tomorrow.to_string()))],
    );
    let http = client(Duration::from_secs(5));
    let reply = read(
        http.post(format!("{base_url}{SESSION}"))
            .bearer_auth(token)
            .json(&body),
    )
    .await;
    assert_created(&reply);
    assert_eq!(reply.header("x-ratelimit-limit"), "7");
    let reply = read(
        http.post(format!("{base_url}{SESSION}"))
            .bearer_auth("wrong")
            .json(&body),
    )
    .await;
    assert_eq!(reply.status, 401);
    drop(http);

    let stopped = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert_eq!(child.wait(Duration::from_secs(5)), 0);
    let rest: Vec<String> = received.iter().collect();
    seen.extend(rest);
    let all = seen.join("\n");
    let requests: Vec<&String> = seen.iter().filter(|l| l.contains("/api/v1/")).collect();
    assert_eq!(requests.len(), 2, "{all}");
    assert!(
        requests[0].contains("POST /api/v1/connect/orders/invoice/submit -> 201"),
        "{all}"
    );
    assert!(requests[1].contains("-> 401"), "{all}");
    for line in &requests {
        assert!(!line.contains(token) && !line.contains(KARI), "{line}");
    }
    assert!(
        seen.iter().any(|l| l.contains("token: t0k3n-of-the-test")),
        "{all}"
    );
    assert!(seen.iter().any(|l| l.starts_with("stopping")), "{all}");
}

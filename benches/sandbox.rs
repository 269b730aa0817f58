//! Benchmark of the sandbox: how many valid orders per second it creates for a concurrent
//! client, with no latency and no faults. It must never be the bottleneck of a submit benchmark.
//!
//!     cargo bench --bench sandbox                      # 20,000 orders, 32 at a time
//!     cargo bench --bench sandbox -- --orders 50000 --concurrency 64
//!
//! Target (docs/performance.md): at least 5,000 orders per second on this machine.

mod common;

use common::number;
use fpgo_export::sandbox::{Config, Sandbox};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// A valid invoice-session order (the provider's example, priced right), numbered `n`.
fn order(n: usize) -> Value {
    json!({
        "products": [
            {"name": "Router", "productId": "R_1", "quantity": "1", "rate": "4500.00", "discount": "0.00", "tax": "12", "amount": "4500.00"},
            {"name": "Kabel", "quantity": "2", "rate": "149.50", "discount": "0.00", "tax": "25", "amount": "299.00"}
        ],
        "orderSummary": {"subTotal": "4257.06", "totalTax": "541.94", "totalDiscount": "0.00", "grandTotal": "4799.00"},
        "orderDate": (chrono::Utc::now().timestamp() + 3600).to_string(),
        "customerDetails": {
            "type": "private", "countryCode": "+47", "msisdn": "46567468", "email": "kari@example.no",
            "name": "Kari Nordmann", "preferredLanguage": "no", "personalNumber": "28038712383",
            "address": {"street": "Klosterenget 144", "zip": "7030", "city": "Trondheim", "country": "NO"}
        },
        "referenceNo": format!("BENCH-{n}"),
        "invoiceFeeApplicable": true,
        "callback": {
            "callbackUrl": "https://shop.example.no/cb",
            "success": "https://shop.example.no/ok",
            "failure": "https://shop.example.no/no"
        }
    })
}

fn main() {
    let orders = number("--orders", 20_000);
    let concurrency = number("--concurrency", 32);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let config = Config {
            rate_limit: u32::MAX,
            ..Config::default()
        };
        let sandbox = Sandbox::start(config).await.expect("sandbox");
        let url = format!("{}/connect/orders/invoice/submit", sandbox.base_url());
        let token = sandbox.token().to_string();
        let client = reqwest::Client::builder().no_proxy().build().expect("client");
        let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
            (0..orders)
                .map(|n| serde_json::to_vec(&order(n)).expect("json"))
                .collect(),
        );
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let (client, url, token, bodies, next) =
                (client.clone(), url.clone(), token.clone(), bodies.clone(), next.clone());
            workers.push(tokio::spawn(async move {
                let mut created = 0usize;
                loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(body) = bodies.get(n) else { break };
                    let response = client
                        .post(&url)
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("request");
                    assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap_or_default());
                    response.bytes().await.expect("body");
                    created += 1;
                }
                created
            }));
        }
        let mut created = 0;
        for worker in workers {
            created += worker.await.expect("worker");
        }
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "sandbox: {created} valid orders created in {elapsed:.2} s = {:.0} orders/s ({concurrency} at a time, client in the same process)",
            created as f64 / elapsed
        );
        sandbox.shutdown().await;
    });
}

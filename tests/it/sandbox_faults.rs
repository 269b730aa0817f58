//! The sandbox's faults: 500 and 510 with the seeds' bodies, 502 as nginx's HTML page, `drop`
//! and `commit-drop` closing the connection before and after storing the order, `slow`
//! answering after a client's timeout, and the same seed replaying the same faults and ids.

use crate::support::*;
use fpgo_export::sandbox::{Config, Fault};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn faulty(fault: Fault, p: f64) -> Config {
    Config {
        faults: vec![(fault, p)],
        ..config()
    }
}

#[tokio::test]
async fn faults_500_and_510_answer_the_seeds_bodies_and_store_nothing() {
    let api = Provider::start(faulty(Fault::Internal, 1.0)).await;
    let reply = api.post(SESSION_PATH, &session_payload()).await;
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
    assert!(api.listed().await.is_empty());
    assert_eq!(
        api.stats().await.0["routes"][SESSION_ROUTE],
        json!({"500": 1})
    );

    let api = Provider::start(faulty(Fault::Execution, 1.0)).await;
    let reply = api.post(REGULAR_PATH, &regular_payload()).await;
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
    assert!(api.listed().await.is_empty());
}

#[tokio::test]
async fn fault_502_is_an_nginx_html_page() {
    let api = Provider::start(faulty(Fault::BadGateway, 1.0)).await;
    let reply = api.post(SESSION_PATH, &session_payload()).await;
    assert_eq!(reply.status, 502);
    assert!(reply.header("content-type").starts_with("text/html"));
    assert!(serde_json::from_str::<Value>(&reply.text).is_err());
    assert!(
        reply.text.contains("<title>502 Bad Gateway</title>"),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("nginx"));
    assert!(api.listed().await.is_empty());
}

#[tokio::test]
async fn fault_drop_closes_the_connection_and_stores_nothing() {
    let api = Provider::start(faulty(Fault::Drop, 1.0)).await;
    let error = try_read(api.post_request(SESSION_PATH, &session_payload()))
        .await
        .expect_err("no answer");
    assert!(!error.is_timeout(), "{error:?}");
    assert!(api.listed().await.is_empty());
    let stats = api.stats().await.0;
    assert_eq!(
        stats["routes"][SESSION_ROUTE],
        json!({"closed": 1}),
        "{stats}"
    );
}

#[tokio::test]
async fn fault_commit_drop_stores_the_order_and_closes_the_connection() {
    let api = Provider::start(faulty(Fault::CommitDrop, 1.0)).await;
    let error = try_read(api.post_request(SESSION_PATH, &session_payload()))
        .await
        .expect_err("no answer");
    assert!(!error.is_timeout(), "{error:?}");
    let orders = api.listed().await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["referenceNo"], "ORDER-1");
    assert_eq!(orders[0]["timesCreated"], 1);
    assert!(is_id(orders[0]["id"].as_str().unwrap(), "ODR", 10..=10));
    // The client retries the way a naive one would: a duplicate the introspection shows.
    let _ = try_read(api.post_request(SESSION_PATH, &session_payload())).await;
    let orders = api.listed().await;
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[1]["timesCreated"], 2);
    assert_eq!(
        api.stats().await.0["routes"][SESSION_ROUTE],
        json!({"closed": 2})
    );
}

#[tokio::test]
async fn fault_slow_answers_after_a_clients_timeout_and_stores_the_order() {
    let api = Provider::start(Config {
        slow: Duration::from_secs(2),
        ..faulty(Fault::Slow, 1.0)
    })
    .await;
    let impatient = client(Duration::from_millis(300));
    let started = Instant::now();
    let error = try_read(
        impatient
            .post(api.url(SESSION_PATH))
            .bearer_auth(api.sandbox.token())
            .json(&session_payload()),
    )
    .await
    .expect_err("the client gives up");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let orders = api.listed().await;
    assert_eq!(orders.len(), 1, "{orders:?}");

    // It is an answer, only late: a patient client gets the 201.
    let api = Provider::start(Config {
        slow: Duration::from_millis(400),
        ..faulty(Fault::Slow, 1.0)
    })
    .await;
    let started = Instant::now();
    assert_created(&api.post(SESSION_PATH, &session_payload()).await);
    assert!(started.elapsed() >= Duration::from_millis(400));
}

/// What one request came to, for comparing runs: the status and the order id, or "closed".
async fn outcome(api: &Provider, body: &Value) -> String {
    match try_read(api.post_request(SESSION_PATH, body)).await {
        Ok(reply) if reply.status == 201 => format!("201 {}", reply.data("orderUuid")),
        Ok(reply) => reply.status.to_string(),
        Err(_) => "closed".to_string(),
    }
}

#[tokio::test]
async fn the_same_seed_replays_the_same_faults_and_ids() {
    let run = |seed: u64| async move {
        let api = Provider::start(Config {
            seed,
            faults: vec![(Fault::Internal, 0.25), (Fault::Drop, 0.25)],
            ..config()
        })
        .await;
        let mut outcomes = Vec::new();
        for _ in 0..24 {
            outcomes.push(outcome(&api, &session_payload()).await);
        }
        let stored = api.listed().await.len();
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

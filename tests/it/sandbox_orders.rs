//! What the sandbox keeps of the orders it stored: updates through `fpgoUuid`, one customer id
//! per person or company, the status routes, and the introspection routes that count
//! duplicates and requests and reset everything.

use crate::support::*;
use fpgo_export::sandbox::Config;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Updating through fpgoUuid

#[tokio::test]
async fn fpgo_uuid_with_order_from_partner_updates_the_order() {
    let api = Provider::start(config()).await;
    let (id, customer) = assert_created(&api.post(SESSION_PATH, &session_payload()).await);
    let update = edited(
        session_payload(),
        &[
            set("fpgoUuid", json!(id)),
            set("orderFrom", json!("PARTNER")),
            set("customerReference", json!("changed")),
        ],
    );
    let reply = api.post(SESSION_PATH, &update).await;
    assert!(reply.status == 200 || reply.status == 201, "{reply:?}");
    assert_eq!(reply.body["status_code"], reply.status);
    assert_eq!(reply.body["is_data"], true);
    assert_eq!(reply.data("orderUuid"), id);
    assert_eq!(reply.data("customerUuid"), customer);
    let orders = api.listed().await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["id"], id.as_str());
    assert_eq!(orders[0]["updates"], 1);
    assert_eq!(orders[0]["timesCreated"], 1);
    assert_eq!(orders[0]["payload"]["customerReference"], "changed");

    // An unknown id, and an id without orderFrom, are refused; nothing changes.
    assert_invalid(
        &api.post(
            SESSION_PATH,
            &edited(update.clone(), &[set("fpgoUuid", json!("ODR1234567890"))]),
        )
        .await,
        &["The selected fpgo uuid is invalid."],
    );
    assert_invalid(
        &api.post(SESSION_PATH, &edited(update.clone(), &[del("orderFrom")]))
            .await,
        &["The order from field is required when fpgo uuid is present."],
    );
    assert_invalid(
        &api.post(
            SESSION_PATH,
            &edited(update, &[set("orderFrom", json!("DAMP"))]),
        )
        .await,
        &["The selected order from is invalid."],
    );
    let orders = api.listed().await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["updates"], 1);

    // The same on regular-invoice.
    let (id, _) = assert_created(&api.post(REGULAR_PATH, &regular_payload()).await);
    let update = edited(
        regular_payload(),
        &[
            set("fpgoUuid", json!(id)),
            set("orderFrom", json!("PARTNER")),
        ],
    );
    let reply = api.post(REGULAR_PATH, &update).await;
    assert!(reply.status == 200 || reply.status == 201, "{reply:?}");
    assert_eq!(reply.data("orderUuid"), id);
    let orders = api.listed().await;
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[1]["updates"], 1);
    assert_eq!(orders[1]["timesCreated"], 1);
}

// ---------------------------------------------------------------------------------------------
// Customer ids

#[tokio::test]
async fn the_same_customer_keeps_the_same_customer_id() {
    let api = Provider::start(config()).await;
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
    let kari = post(SESSION_PATH, person(KARI)).await;
    assert_eq!(post(SESSION_PATH, person(KARI)).await, kari);
    assert_eq!(post(REGULAR_PATH, regular_payload()).await, kari);
    let ola = post(SESSION_PATH, person(OLA)).await;
    assert_ne!(ola, kari);
    assert_eq!(post(SESSION_PATH, person(OLA)).await, ola);

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
    let fjordkraft = post(REGULAR_PATH, company("914286018", KARI)).await;
    assert_ne!(fjordkraft, kari, "a company is not its contact person");
    assert_eq!(
        post(REGULAR_PATH, company("914286018", OLA)).await,
        fjordkraft
    );
    let other = post(REGULAR_PATH, company("923609016", KARI)).await;
    assert_ne!(other, fjordkraft);
    let session_company = edited(
        session_payload(),
        &[
            set("customerDetails.type", json!("corporate")),
            set("customerDetails.organizationId", json!("914286018")),
            del("customerDetails.personalNumber"),
        ],
    );
    assert_eq!(post(SESSION_PATH, session_company).await, fjordkraft);
}

// ---------------------------------------------------------------------------------------------
// Status routes

#[tokio::test]
async fn status_routes_report_stored_orders() {
    let api = Provider::start(config()).await;
    let not_found = json!({
        "status_code": 404,
        "status_message": "Not Found",
        "message": "Order Not Found",
        "is_data": false,
        "data": null,
    });
    let reply = api.get("/connect/orders/status").await;
    assert_eq!((reply.status, &reply.body), (404, &not_found));

    let (session, _) = assert_created(&api.post(SESSION_PATH, &session_payload()).await);
    let (regular, _) = assert_created(&api.post(REGULAR_PATH, &regular_payload()).await);

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
// Introspection

#[tokio::test]
async fn introspection_shows_duplicates_counts_requests_and_resets() {
    let api = Provider::start(Config {
        rate_limit: 5,
        ..config()
    })
    .await;
    let (first, _) = assert_created(&api.post(SESSION_PATH, &session_payload()).await);
    let (second, _) = assert_created(&api.post(SESSION_PATH, &session_payload()).await);
    assert_ne!(first, second);
    assert_eq!(api.post(SESSION_PATH, &json!({})).await.status, 417);
    assert_created(&api.post(REGULAR_PATH, &regular_payload()).await);
    assert_eq!(
        api.get(&format!("/connect/orders/status/{first}"))
            .await
            .status,
        200
    );

    let orders = api.listed().await;
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
        api.stats().await.0,
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
    assert_eq!(api.post(SESSION_PATH, &session_payload()).await.status, 429);

    let reply = read(api.http.post(api.root("/__sandbox/reset"))).await;
    assert_eq!(reply.status, 200);
    assert!(api.listed().await.is_empty());
    assert_eq!(api.stats().await.0, json!({"total": 0, "routes": {}}));
    // The rate-limit windows are forgotten too, and the referenceNo counts start again.
    assert_created(&api.post(SESSION_PATH, &session_payload()).await);
    assert_eq!(api.listed().await[0]["timesCreated"], 1);
}

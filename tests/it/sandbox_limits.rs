//! Who may call the sandbox and how often: a missing or wrong token is a 401 in the error
//! envelope, and the rate limit counts every request in a sixty-second window on the manual
//! clock.

use crate::support::*;
use fpgo_export::sandbox::Config;
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Auth

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_in_the_error_envelope() {
    let api = Provider::start(config()).await;
    let unauthorised = json!({
        "status_code": 401,
        "status_message": "Unauthorized",
        "message": "Unauthenticated.",
        "is_error": true,
        "errors": null,
    });
    let url = api.url(SESSION_PATH);
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
    assert!(api.listed().await.is_empty());
    assert_eq!(api.stats().await.0["routes"][SESSION_ROUTE]["401"], 3);
}

// ---------------------------------------------------------------------------------------------
// Rate limit

#[tokio::test]
async fn the_rate_limit_counts_every_request_in_a_sixty_second_window() {
    let api = Provider::start(Config {
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
    let created = api.post(SESSION_PATH, &session_payload()).await;
    assert_created(&created);
    assert_eq!(limit(&created), ("3".into(), "2".into()));
    let invalid = api.post(SESSION_PATH, &json!({})).await;
    assert_eq!(invalid.status, 417);
    assert_eq!(limit(&invalid), ("3".into(), "1".into()));
    let not_found = api.get("/connect/orders/status/ODR0000000001").await;
    assert_eq!(not_found.status, 404);
    assert_eq!(limit(&not_found), ("3".into(), "0".into()));

    let refused = api.post(SESSION_PATH, &session_payload()).await;
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
    let anonymous = |api: &Provider| {
        read(
            api.http
                .post(api.url(SESSION_PATH))
                .json(&session_payload()),
        )
    };
    for remaining in ["2", "1", "0"] {
        let reply = anonymous(&api).await;
        assert_eq!(reply.status, 401);
        assert_eq!(limit(&reply), ("3".into(), remaining.into()));
    }
    assert_eq!(anonymous(&api).await.status, 429);

    // Half a minute later the window still holds, and says how long is left.
    api.sandbox.clock().advance(30);
    let refused = api.post(SESSION_PATH, &session_payload()).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("retry-after"), "30");
    assert_eq!(refused.header("x-ratelimit-reset"), (NOON + 60).to_string());

    // A minute after the first request a new window opens.
    api.sandbox.clock().advance(30);
    let created = api.post(SESSION_PATH, &session_payload()).await;
    assert_created(&created);
    assert_eq!(limit(&created), ("3".into(), "2".into()));

    assert_eq!(api.listed().await.len(), 2, "a refused request was stored");
    let stats = api.stats().await.0;
    assert_eq!(stats["routes"][SESSION_ROUTE]["429"], 3, "{stats}");
    assert_eq!(stats["routes"][SESSION_ROUTE]["201"], 2, "{stats}");
}

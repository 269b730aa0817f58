//! The sandbox's callback notifications: every change of an order's status (the introspection
//! route, `set_status`, a cancellation, `--auto-advance`) reaches the callback URL as the
//! provider's GET, its checksum made with the secret; a status set again sends nothing; the
//! binary takes `--callback-url` only with `--callback-secret-file`.

use crate::support::*;
use fpgo_export::sandbox::{Callbacks, Config};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback server that answers 200 to every request and keeps each request's target.
struct Receiver {
    url: String,
    targets: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/fpgo/callback", listener.local_addr().unwrap());
        let targets = Arc::new(Mutex::new(Vec::new()));
        let kept = targets.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let line = head.lines().next().unwrap_or("").to_string();
                    kept.lock().unwrap().push(line);
                    let _ = stream
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nOK\n")
                        .await;
                });
            }
        });
        Receiver { url, targets }
    }

    /// Waits (a minute at most) until `n` requests came; their query parameters.
    async fn wait_for(&self, n: usize) -> Vec<Vec<(String, String)>> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let lines = self.targets.lock().unwrap().clone();
            if lines.len() >= n {
                return lines
                    .iter()
                    .map(|line| {
                        let target = line.split(' ').nth(1).unwrap_or("");
                        assert!(line.starts_with("GET /fpgo/callback?"), "{line}");
                        let query = target.split_once('?').map_or("", |(_, q)| q);
                        url::form_urlencoded::parse(query.as_bytes())
                            .map(|(k, v)| (k.into_owned(), v.into_owned()))
                            .collect()
                    })
                    .collect();
            }
            assert!(
                Instant::now() < deadline,
                "{} callbacks of {n}",
                lines.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn value<'a>(parameters: &'a [(String, String)], name: &str) -> &'a str {
    parameters
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// The checksum the provider documents: every value but the checksum's, in URL order, then
/// the secret, SHA-256 in lowercase hex.
fn expected_checksum(parameters: &[(String, String)], secret: &str) -> String {
    let mut hash = Sha256::new();
    for (name, value) in parameters {
        if name != "checksum" {
            hash.update(value.as_bytes());
        }
    }
    hash.update(secret.as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

async fn sandbox_calling(receiver: &Receiver, extra: Config) -> Provider {
    Provider::start(Config {
        callbacks: Some(Callbacks {
            url: receiver.url.clone(),
            secret: "shop-secret".into(),
        }),
        ..extra
    })
    .await
}

#[tokio::test]
async fn every_change_of_status_is_called_back_with_the_providers_parameters_and_checksum() {
    let receiver = Receiver::start().await;
    let api = sandbox_calling(&receiver, config()).await;
    let (uuid, _) = assert_created(&read(api.post_request(SESSION_PATH, &session_payload())).await);
    let order = api
        .http
        .get(api.root("/__sandbox/orders"))
        .send()
        .await
        .unwrap();
    let order: serde_json::Value = order.json().await.unwrap();
    let total = order["orders"][0]["payload"]["orderSummary"]["grandTotal"].clone();

    let set = api
        .http
        .post(api.root(&format!("/__sandbox/orders/{uuid}/status")))
        .json(&json!({"status": "paid"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let calls = receiver.wait_for(1).await;
    let names: Vec<&str> = calls[0].iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "orderUuid",
            "status",
            "paymentMethod",
            "amount",
            "createdAt",
            "timestamp",
            "checksum"
        ]
    );
    let call = &calls[0];
    assert_eq!(value(call, "orderUuid"), uuid);
    assert_eq!(value(call, "status"), "PAID");
    assert_eq!(value(call, "paymentMethod"), "Invoice");
    assert_eq!(
        value(call, "amount"),
        fpgo_export::sandbox::laravel::as_text(&total)
    );
    assert_eq!(value(call, "createdAt"), NOON.to_string());
    assert_eq!(value(call, "timestamp"), NOON.to_string());
    assert_eq!(
        value(call, "checksum"),
        expected_checksum(call, "shop-secret")
    );

    // The same status again is no change, and sends nothing.
    api.sandbox.set_status(&uuid, "PAID").unwrap();
    api.clock().advance(30);
    api.sandbox.set_status(&uuid, "REFUNDED").unwrap();
    let calls = receiver.wait_for(2).await;
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(value(&calls[1], "status"), "REFUNDED");
    assert_eq!(value(&calls[1], "timestamp"), (NOON + 30).to_string());
    assert_eq!(
        value(&calls[1], "checksum"),
        expected_checksum(&calls[1], "shop-secret")
    );
}

#[tokio::test]
async fn a_cancellation_and_the_auto_advance_are_called_back_too() {
    let receiver = Receiver::start().await;
    let api = sandbox_calling(
        &receiver,
        Config {
            auto_advance: Some(Duration::from_secs(60)),
            ..config()
        },
    )
    .await;
    let (first, _) =
        assert_created(&read(api.post_request(SESSION_PATH, &session_payload())).await);
    let cancelled = api
        .http
        .post(api.url(&format!("/connect/orders/cancel/{first}")))
        .bearer_auth(api.sandbox.token())
        .json(&json!({"cancellationNote": "ordered twice"}))
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), 202);
    let calls = receiver.wait_for(1).await;
    assert_eq!(
        (value(&calls[0], "orderUuid"), value(&calls[0], "status")),
        (first.as_str(), "CANCELLED")
    );
    let mut second = session_payload();
    second["referenceNo"] = json!("second");
    let (second, _) = assert_created(&read(api.post_request(SESSION_PATH, &second)).await);
    api.clock().advance(60);
    // The sandbox moves its orders on when it next looks at them.
    api.http
        .get(api.root("/__sandbox/orders"))
        .send()
        .await
        .unwrap();
    let calls = receiver.wait_for(2).await;
    assert_eq!(
        (value(&calls[1], "orderUuid"), value(&calls[1], "status")),
        (second.as_str(), "INVOICED")
    );
    assert_eq!(
        value(&calls[1], "checksum"),
        expected_checksum(&calls[1], "shop-secret")
    );
}

#[test]
fn the_binary_takes_a_callback_url_only_with_its_secret() {
    let work = Workdir::new();
    work.run(&[
        "sandbox",
        "--bind",
        "127.0.0.1:0",
        "--callback-url",
        "http://127.0.0.1:9/cb",
    ])
    .expect(2)
    .stderr_has(&["--callback-secret-file"]);
    let secret = work.write("secret.txt", "s");
    work.run(&[
        "sandbox",
        "--bind",
        "127.0.0.1:0",
        "--callback-url",
        "ftp://127.0.0.1/cb",
        "--callback-secret-file",
        &secret.display().to_string(),
    ])
    .expect(2)
    .stderr_has(&["--callback-url ftp://127.0.0.1/cb", "http or https"]);
}

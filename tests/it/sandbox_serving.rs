//! The sandbox starting and stopping: a graceful shutdown in-process, and the `fpgo-export
//! sandbox` binary, which refuses what it cannot serve, logs one line per request without
//! secrets and stops on SIGTERM. The standalone binary runs on the wall clock, so its one order
//! is dated tomorrow.

use crate::support::*;
use fpgo_export::sandbox::Config;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_then_refuses_connections() {
    let api = Provider::start(Config {
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
    let in_flight = tokio::spawn(read(api.post_request(SESSION_PATH, &session_payload())));
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

#[test]
fn the_binary_refuses_what_it_cannot_serve() {
    // Each run must end by itself, at once: a sandbox that started would serve until killed.
    let at_once = Duration::from_secs(5);
    Test::new()
        .args(&["sandbox", "--bind", "0.0.0.0:0"])
        .timeout(at_once)
        .status(2)
        .stderr_has(&["--allow-remote"])
        .run();
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
        Test::new()
            .args(args)
            .timeout(at_once)
            .status(2)
            .stderr_has(&[named])
            .run();
    }
}

#[tokio::test]
async fn the_binary_serves_logs_one_line_per_request_and_stops_on_sigterm() {
    let token = "t0k3n-of-the-test";
    let work = Workdir::new();
    let args = [
        "sandbox",
        "--bind",
        "127.0.0.1:0",
        "--token",
        token,
        "--rate-limit",
        "7",
        "--seed",
        "3",
    ]
    .map(String::from);
    let mut sandbox = Running::start(&work, &args, &[], "sandbox");
    const SERVING: &str = "FPGO sandbox serving ";
    let line = sandbox.stderr_line(SERVING, Duration::from_secs(30));
    let base_url = line.strip_prefix(SERVING).unwrap().to_string();
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
        http.post(format!("{base_url}{SESSION_PATH}"))
            .bearer_auth(token)
            .json(&body),
    )
    .await;
    assert_created(&reply);
    assert_eq!(reply.header("x-ratelimit-limit"), "7");
    let reply = read(
        http.post(format!("{base_url}{SESSION_PATH}"))
            .bearer_auth("wrong")
            .json(&body),
    )
    .await;
    assert_eq!(reply.status, 401);
    drop(http);

    assert_eq!(sandbox.terminate(Duration::from_secs(5)).code(), Some(0));
    let stderr = sandbox.stderr();
    let seen: Vec<&str> = stderr.lines().filter(|l| !l.starts_with(SERVING)).collect();
    let all = seen.join("\n");
    let requests: Vec<&&str> = seen.iter().filter(|l| l.contains("/api/v1/")).collect();
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

#[test]
fn the_binary_binds_localhost_like_submit_counts_it_as_loopback() {
    let work = Workdir::new();
    let args = ["sandbox", "--bind", "localhost:0", "--quiet"].map(String::from);
    let mut sandbox = Running::start(&work, &args, &[], "sandbox");
    const SERVING: &str = "FPGO sandbox serving ";
    let line = sandbox.stderr_line(SERVING, Duration::from_secs(30));
    assert!(
        line.starts_with("FPGO sandbox serving http://127.0.0.1:"),
        "{line}"
    );
    assert_eq!(sandbox.terminate(Duration::from_secs(5)).code(), Some(0));
    // A name that is not loopback is still refused, as a non-loopback address is.
    Test::new()
        .args(&["sandbox", "--bind", "example.org:0"])
        .timeout(Duration::from_secs(5))
        .status(2)
        .stderr_has(&[
            "--bind example.org:0: write an address such as 127.0.0.1:8080 or localhost:8080",
        ])
        .run();
}

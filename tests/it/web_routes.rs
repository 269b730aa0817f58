//! The browser app's routes over loopback: upload, mapping, review, corrections, sending,
//! progress, downloads, history, callbacks, and what it refuses (Host, CSRF, Origin).

use crate::support::*;
use reqwest::StatusCode;

/// A sheet of `orders` valid orders and one more with a bad e-mail (its first line).
fn sheet_with_a_bad_email(orders: usize) -> Vec<u8> {
    let mut table = sheet(orders + 1);
    table.set(2 * orders, "email", "kari@");
    table.csv(b',').into_bytes()
}

#[tokio::test]
async fn an_uploaded_sheet_is_reviewed_with_its_problem_cell_marked() {
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let uploaded = app
        .upload("orders.csv", sheet_with_a_bad_email(2), &[])
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let review = app.get(uploaded.location.as_deref().unwrap()).await;
    assert_eq!(review.status, StatusCode::OK);
    assert!(
        review.body.contains("aria-invalid=\"true\""),
        "{}",
        review.body
    );
    assert!(review.body.contains("Send 2 order(s)"), "{}", review.body);
}

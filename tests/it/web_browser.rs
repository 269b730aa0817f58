//! The browser app in a real browser (headless Chromium through chromedriver): a sheet with
//! planted problems uploaded through the file input, its problem cells found by the page's
//! contract (ARIA grid: `aria-rowindex` the Excel row, `aria-colindex` the sheet column,
//! `aria-invalid` and `aria-describedby` the message), one fixed in place, the orders sent to
//! the sandbox from the keyboard, the progress followed to its end, the result downloaded, and
//! the history. With `FPGO_SCREENSHOTS=FOLDER` each step is also a PNG in FOLDER (the pictures
//! of docs/web.md). Skipped, with a line on stderr, where chromedriver is not installed, unless
//! `FPGO_BROWSER_TESTS=required`.

use crate::support::*;
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::Locator;

/// [`sheet`]`(3)` with two planted problems: order T-002's e-mail (Excel row 4, column E) and
/// order T-003's quantity 0 (Excel row 6, column S). T-001 (rows 2–3) is valid.
fn sheet_with_problems() -> Table {
    let mut table = sheet(3);
    table.set(2, "email", "kari@");
    table.set(4, "quantity", "0");
    table
}

/// Excel's row 4, column E (5): T-002's bad e-mail.
const EMAIL: (u32, usize) = (4, 5);
/// Excel's row 6, column S (19): T-003's quantity 0.
const QUANTITY: (u32, usize) = (6, 19);

/// The grid cell at Excel row `row`, sheet column `column`, found by the ARIA contract only.
fn cell_css((row, column): (u32, usize)) -> String {
    format!(r#"[role="grid"] [aria-rowindex="{row}"] [aria-colindex="{column}"]"#)
}

/// Whether the cell is marked invalid, and the text of the element that describes it.
async fn marking(browser: &Browser, at: (u32, usize)) -> (bool, String) {
    let cell = browser.find(&cell_css(at)).await;
    let invalid = cell.attr("aria-invalid").await.unwrap();
    let description = match cell.attr("aria-describedby").await.unwrap() {
        Some(id) => {
            let described = browser.find(&format!("[id=\"{id}\"]")).await;
            let text = described.prop("textContent").await.unwrap();
            text.unwrap_or_default().trim().to_string()
        }
        None => String::new(),
    };
    (invalid.as_deref() == Some("true"), description)
}

/// The accessible name a button without `aria-label` has: its text.
async fn name(element: &Element) -> String {
    let label = element.attr("aria-label").await.unwrap();
    match label {
        Some(label) => label,
        None => element.text().await.unwrap().trim().to_string(),
    }
}

/// Presses Tab until the focused element's accessible name starts with `prefix` (at most 40
/// times); the element. Asserts it is reachable so.
async fn tab_to(browser: &Browser, prefix: &str) -> Element {
    for _ in 0..40 {
        let focused = browser.focused().await;
        if name(&focused).await.starts_with(prefix) {
            return focused;
        }
        browser.press(Key::Tab).await;
    }
    panic!("no control named {prefix:?}… is reachable with Tab");
}

/// Whether the dialog of the confirmation is open.
async fn dialog_open(browser: &Browser) -> bool {
    let dialog = browser.find("dialog").await;
    dialog.attr("open").await.unwrap().is_some()
}

#[tokio::test]
async fn a_sheet_is_checked_fixed_in_place_sent_and_its_result_downloaded_in_a_browser() {
    let Some(browser) =
        Browser::start("a_sheet_is_checked_fixed_in_place_sent_and_its_result_downloaded").await
    else {
        return;
    };
    let work = Workdir::new();
    let app = WebApp::start(&work, &[]).await;
    let sheet = work.write("orders.csv", sheet_with_problems().csv(b','));
    let b = &browser;

    // Choose a sheet: the file input, then the form's button.
    b.client.goto(&app.url).await.unwrap();
    let input = b.find(r#"input[type="file"]"#).await;
    input.send_keys(sheet.to_str().unwrap()).await.unwrap();
    b.screenshot("01-choose-a-sheet").await;
    b.find(r#"#upload button[type="submit"]"#)
        .await
        .click()
        .await
        .unwrap();

    // The review: both planted problems marked where Excel shows them, described by their
    // message, which the problem list says too; a valid cell is not marked.
    b.find(r#"[role="grid"]"#).await;
    let review_url = b.client.current_url().await.unwrap();
    let (invalid, email_message) = marking(b, EMAIL).await;
    assert!(invalid, "row 4, column E (the e-mail) is not aria-invalid");
    assert!(
        email_message.to_lowercase().contains("e-mail")
            || email_message.to_lowercase().contains("email"),
        "the e-mail cell's description: {email_message:?}"
    );
    let (invalid, quantity_message) = marking(b, QUANTITY).await;
    assert!(invalid, "row 6, column S (quantity 0) is not aria-invalid");
    assert!(
        quantity_message.contains("greater than 0"),
        "the quantity cell's description: {quantity_message:?}"
    );
    assert_eq!(
        marking(b, (2, 5)).await,
        (false, String::new()),
        "row 2's e-mail is valid"
    );
    let problems = b
        .client
        .find_all(Locator::Css(".problems a"))
        .await
        .unwrap();
    let mut listed = Vec::new();
    for p in &problems {
        listed.push(p.text().await.unwrap());
    }
    assert!(
        listed
            .iter()
            .any(|l| l.starts_with("Row 4") && l.contains(&email_message)),
        "the problem list lacks row 4's message {email_message:?}: {listed:?}"
    );

    // A problem in the list, clicked: its cell has the focus (and shows its message).
    let link = b
        .client
        .find(Locator::XPath(
            "//ul[contains(@class,'problems')]//a[starts-with(normalize-space(.),'Row 6')]",
        ))
        .await
        .unwrap();
    link.click().await.unwrap();
    let quantity_cell = b.find(&cell_css(QUANTITY)).await;
    let focused = b.focused().await;
    assert_eq!(
        focused.element_id(),
        quantity_cell.element_id(),
        "clicking row 6's problem does not focus its cell"
    );
    b.screenshot("02-review").await;

    // Fix in place: the e-mail cell focused, Enter opens its editor, the value typed, Enter
    // saves; the sheet is checked again and the cell is no longer invalid.
    let email_cell = b.find(&cell_css(EMAIL)).await;
    b.client
        .execute(
            "arguments[0].focus()",
            vec![serde_json::to_value(&email_cell).unwrap()],
        )
        .await
        .unwrap();
    b.press(Key::Enter).await;
    let editor = b.find(&format!("{} input", cell_css(EMAIL))).await;
    assert_eq!(b.focused().await.element_id(), editor.element_id());
    // The editor holds the old value, selected: typing replaces it.
    assert_eq!(
        editor.prop("value").await.unwrap().as_deref(),
        Some("kari@")
    );
    b.type_text("kari.nordmann@example.no").await;
    b.press(Key::Enter).await;
    b.until("row 4's e-mail is valid after the fix", || async {
        let cell = b.client.find(Locator::Css(&cell_css(EMAIL))).await.ok()?;
        let invalid = cell.attr("aria-invalid").await.ok()?;
        let editing = cell.find(Locator::Css("input")).await.is_ok();
        (invalid.is_none() && !editing).then_some(())
    })
    .await;
    assert_eq!(
        b.find(&cell_css(EMAIL)).await.text().await.unwrap().trim(),
        "kari.nordmann@example.no"
    );
    assert!(marking(b, QUANTITY).await.0, "row 6 is still invalid");
    b.screenshot("03-fixed-in-place").await;

    // The page again from the server: the fix is kept. Then only the keyboard: Tab to "Send…",
    // Enter opens the confirmation, whose Cancel (Tab, Enter) closes it; again, and "Confirm…".
    b.client.goto(review_url.as_str()).await.unwrap();
    assert_eq!(
        marking(b, EMAIL).await,
        (false, String::new()),
        "the fix is lost on reload"
    );
    let send = tab_to(b, "Send").await;
    assert_eq!(name(&send).await, "Send 2 order(s)");
    b.press(Key::Enter).await;
    b.until("the confirmation opens on Enter", || async {
        dialog_open(b).await.then_some(())
    })
    .await;
    tab_to(b, "Cancel").await;
    b.press(Key::Enter).await;
    b.until("Cancel closes the confirmation", || async {
        (!dialog_open(b).await).then_some(())
    })
    .await;
    tab_to(b, "Send").await;
    b.press(Key::Enter).await;
    b.until("the confirmation opens again", || async {
        dialog_open(b).await.then_some(())
    })
    .await;
    let confirm = tab_to(b, "Confirm").await;
    assert_eq!(name(&confirm).await, "Confirm: send 2 order(s)");
    b.screenshot("04-confirm").await;
    b.press(Key::Enter).await;

    // The run: the progress bar full (done = to send) and the phase done, then the downloads.
    b.find("#run").await;
    let (done, total) = b
        .until(
            "the progress bar reaches its end and the phase is done",
            || async {
                let bar = b
                    .client
                    .find(Locator::Css(r#"[role="progressbar"]"#))
                    .await
                    .ok()?;
                let now = bar.attr("aria-valuenow").await.ok()??;
                let max = bar.attr("aria-valuemax").await.ok()??;
                let phase = b
                    .client
                    .find(Locator::Css("#phase"))
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                (now == max && phase == "done").then_some((now, max))
            },
        )
        .await;
    assert_eq!((done.as_str(), total.as_str()), ("2", "2"));
    let results = b
        .until("the result's download links", || async {
            let links = b
                .client
                .find_all(Locator::XPath("//a[contains(., 'result')]"))
                .await
                .ok()?;
            let mut hrefs = Vec::new();
            for link in &links {
                hrefs.push(link.attr("href").await.ok()??);
            }
            (!hrefs.is_empty()).then_some(hrefs)
        })
        .await;
    b.screenshot("05-run-finished").await;
    let csv = results
        .iter()
        .find(|h| h.ends_with(".csv"))
        .unwrap_or_else(|| panic!("no CSV result among {results:?}"));
    let xlsx = results
        .iter()
        .find(|h| h.ends_with(".xlsx"))
        .unwrap_or_else(|| panic!("no XLSX result among {results:?}"));

    // The result downloaded: T-001 and T-002 created with the ids the sandbox gave them (each
    // once), T-003 invalid; the workbook is a workbook.
    let csv_bytes = download(&app, csv).await;
    work.write("downloaded.result.csv", &csv_bytes);
    let rows = result_rows(&work, "downloaded.result.csv");
    let statuses = statuses(&rows);
    assert_eq!(statuses["T-001"], "created", "{rows:?}");
    assert_eq!(statuses["T-002"], "created", "{rows:?}");
    assert_eq!(statuses["T-003"], "invalid", "{rows:?}");
    let created = sandbox_orders(&app).await;
    assert_eq!(
        created.keys().cloned().collect::<Vec<_>>(),
        ["T-001", "T-002"],
        "the sandbox's orders"
    );
    for key in ["T-001", "T-002"] {
        assert_eq!(row(&rows, key).order_id, created[key], "{key}'s order id");
    }
    assert!(download(&app, xlsx).await.starts_with(b"PK\x03\x04"));

    // The history: both orders with their ids.
    b.client.goto(&app.at("/history")).await.unwrap();
    let history = b.find("main").await.text().await.unwrap();
    for key in ["T-001", "T-002"] {
        assert!(
            history.contains(&created[key]),
            "{key} not in the history:\n{history}"
        );
    }
    b.screenshot("06-history").await;
    // The token (the sandbox's is `sandbox-` and the app's process id) is in no page.
    let token = format!("sandbox-{}", app.running.id());
    for url in [review_url.to_string(), app.at("/history")] {
        b.client.goto(&url).await.unwrap();
        let source = b.client.source().await.unwrap();
        assert!(!source.contains(&token), "{url} carries the token");
    }
    browser.close().await;

    // The same sheet sent again: the ledger knows both orders, so nothing is sent twice.
    let again = app.post(&format!("{}/send", review_url.path()), &[]).await;
    let run = again.location.expect("a send redirects to its run");
    let finished = wait_for_run(&app, &run).await;
    assert!(
        finished.contains(r#"<span id="total">0</span>"#)
            && finished.contains("Orders: 2 already created, 1 invalid"),
        "{finished}"
    );
    assert_eq!(sandbox_orders(&app).await, created, "sent twice");
}

/// The run page once its phase is done.
async fn wait_for_run(app: &WebApp, run: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let page = app.get(run).await.body;
        if page.contains(r#"<span id="phase">done</span>"#) {
            return page;
        }
        assert!(started.elapsed() < PATIENCE, "{run} is not done:\n{page}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A download link's file, fetched as a browser would.
async fn download(app: &WebApp, href: &str) -> Vec<u8> {
    let url = if href.starts_with("http") {
        href.to_string()
    } else {
        app.at(href)
    };
    let answer = app.http.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 200, "{url}");
    answer.bytes().await.unwrap().to_vec()
}

/// The orders the app's sandbox created: referenceNo → order id, each created once.
async fn sandbox_orders(app: &WebApp) -> std::collections::BTreeMap<String, String> {
    app.sandbox_orders()
        .await
        .iter()
        .map(|o| {
            assert_eq!(o["timesCreated"], 1, "{o}");
            (
                o["referenceNo"].as_str().unwrap().to_string(),
                o["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

//! `check` taking values from elsewhere than the sheet: `--set` for every order, a config file
//! that names a sheet's own headers and gives defaults (named with `--config` or found beside
//! the sheet), and what each says when its value breaks a rule or it cannot be read.

use crate::support::*;
use serde_json::json;

#[test]
fn set_gives_every_order_a_value_and_overrides_the_column() {
    let w = Workdir::new();
    let mut t = two_orders();
    t.headers.push("language".into());
    for row in &mut t.rows {
        row.push(String::new());
    }
    t.set(0, "language", "klingon");
    w.write_sheet(&t);

    let without = w.check("orders.csv", &[]);
    without
        .expect(1)
        .stderr_has(&["row 2: error: language \"klingon\": is not a language"]);

    let with = w.check(
        "orders.csv",
        &[
            "--set",
            "language=en",
            "--set",
            "callback_url=https://other.example.no/cb",
            "--payloads",
            "p.jsonl",
        ],
    );
    with.expect(0)
        .stderr_has(&["column language is ignored: --set language gives every order its value"]);
    let payloads = w.payloads("p.jsonl");
    assert_eq!(payloads.len(), 2);
    for p in &payloads {
        assert_eq!(p["payload"]["customerDetails"]["preferredLanguage"], "en");
        assert_eq!(
            p["payload"]["callback"]["callbackUrl"],
            "https://other.example.no/cb"
        );
        assert_eq!(
            p["payload"]["callback"]["success"],
            "https://shop.example.no/fpgo/success"
        );
    }

    // A --set value that breaks a rule is reported as coming from --set, on every order.
    let bad = w.check("orders.csv", &["--set", "country=Atlantis"]);
    bad.expect(1).stderr_has(&[
        "row 2: error: country (--set) \"Atlantis\": is not an ISO 3166-1 alpha-2 country code",
        "row 4: error: country (--set)",
    ]);

    // A --set that names no field stops the run before anything is read.
    let unknown = w.check("orders.csv", &["--set", "colour=red"]);
    unknown
        .expect(2)
        .has_one_fatal_error()
        .stderr_has(&["\"colour\" is not a field"]);
    let malformed = w.check("orders.csv", &["--set", "language"]);
    malformed
        .expect(2)
        .stderr_has(&["--set language: write it as FIELD=VALUE"]);
}

#[test]
fn config_names_custom_headers_and_gives_defaults() {
    let w = Workdir::new();
    std::fs::create_dir(w.join("conf")).unwrap();
    w.write(
        "conf/custom.toml",
        r#"
[defaults]
callback_url = "https://shop.example.no/cb"
success_url = "https://shop.example.no/ok"
failure_url = "https://shop.example.no/fail"
invoice_fee = true
invoice_maturity = 30
language = "sv"

[columns]
order_ref = "Bestilling"
name = "Kjøper"
"#,
    );
    let mut t = Table::new(&[
        "Bestilling",
        "Kjøper",
        "email",
        "phone",
        "personal_number",
        "street",
        "zip",
        "city",
        "country",
        "language",
        "product_name",
        "quantity",
        "unit_price",
        "vat_rate",
    ]);
    let customer: Vec<(&str, &str)> = vec![
        ("Kjøper", "Kari Nordmann"),
        ("email", "kari@example.no"),
        ("phone", "46567468"),
        ("personal_number", "28038712383"),
        ("street", "Klosterenget 144"),
        ("zip", "7030"),
        ("city", "Trondheim"),
        ("country", "NO"),
    ];
    let mut first = customer.clone();
    first.extend([
        ("Bestilling", "A-1"),
        ("product_name", "Router"),
        ("quantity", "1"),
        ("unit_price", "100"),
        ("vat_rate", "25"),
    ]);
    t.push(&first);
    // The second order writes its own language: a column wins over a default.
    let mut second = customer.clone();
    second.extend([
        ("Bestilling", "A-2"),
        ("language", "de"),
        ("product_name", "Modem"),
        ("quantity", "1"),
        ("unit_price", "50"),
        ("vat_rate", "25"),
    ]);
    t.push(&second);
    w.write_sheet(&t);

    // Without the config, the custom headers are unknown and required columns are missing.
    let plain = w.check("orders.csv", &[]);
    plain.expect(2).stderr_has(&["required columns are missing: order_ref, name, invoice_fee, callback_url, success_url, failure_url."]);

    let out = w.check(
        "orders.csv",
        &[
            "--config",
            "conf/custom.toml",
            "--payloads",
            "p.jsonl",
            "--json",
        ],
    );
    out.expect(0);
    assert_eq!(out.json()["config"], "conf/custom.toml");
    out.stderr_has(&["config: conf/custom.toml"]);
    let payloads = w.payloads("p.jsonl");
    assert_eq!(payloads.len(), 2);
    let (a, b) = (&payloads[0]["payload"], &payloads[1]["payload"]);
    assert_eq!(a["referenceNo"], "A-1");
    assert_eq!(a["customerDetails"]["name"], "Kari Nordmann");
    assert_eq!(a["invoiceFeeApplicable"], true);
    assert_eq!(a["invoiceMaturity"], 30);
    assert_eq!(
        a["callback"],
        json!({"callbackUrl": "https://shop.example.no/cb", "success": "https://shop.example.no/ok", "failure": "https://shop.example.no/fail"})
    );
    assert_eq!(a["customerDetails"]["preferredLanguage"], "sv");
    assert_eq!(b["customerDetails"]["preferredLanguage"], "de");

    // A default that breaks a rule is reported as coming from the config.
    Test::on(&w)
        .write(
            "conf/bad.toml",
            "[defaults]\ncallback_url = \"shop.example.no/cb\"\nsuccess_url = \"https://a.no/ok\"\nfailure_url = \"https://a.no/f\"\ninvoice_fee = true\n[columns]\norder_ref = \"Bestilling\"\nname = \"Kjøper\"\n",
        )
        .check("orders.csv", &["--config", "conf/bad.toml"])
        .status(1)
        .stderr_has(&["row 2: error: callback_url (config default) \"shop.example.no/cb\": is not a valid web address"])
        .run();
    // A config that is not TOML, or names no field, stops the run.
    for (config, text, message) in [
        (
            "conf/broken.toml",
            "[defaults\n",
            "conf/broken.toml: not a valid config",
        ),
        (
            "conf/field.toml",
            "[columns]\ncolour = \"Bestilling\"\n",
            "the config's [columns] names \"colour\", which is not a field",
        ),
    ] {
        Test::on(&w)
            .write(config, text)
            .check("orders.csv", &["--config", config])
            .status(2)
            .stderr_has(&[message])
            .run();
    }
}

#[test]
fn config_beside_the_sheet_is_found_without_config_flag() {
    let w = Workdir::new();
    std::fs::create_dir(w.join("in")).unwrap();
    let mut t = Table::new(&[
        "order_ref",
        "name",
        "email",
        "phone",
        "personal_number",
        "street",
        "zip",
        "city",
        "product_name",
        "quantity",
        "unit_price",
        "vat_rate",
    ]);
    t.push(&[
        ("order_ref", "1"),
        ("name", "Kari Nordmann"),
        ("email", "kari@example.no"),
        ("phone", "46567468"),
        ("personal_number", "28038712383"),
        ("street", "Klosterenget 144"),
        ("zip", "7030"),
        ("city", "Trondheim"),
        ("product_name", "Router"),
        ("quantity", "1"),
        ("unit_price", "100"),
        ("vat_rate", "25"),
    ]);
    w.write_csv("in/orders.csv", &t.csv(b','), Encoding::Utf8);
    w.write(
        "in/fpgo-export.toml",
        "[defaults]\ncountry = \"NO\"\ninvoice_fee = false\ncallback_url = \"https://a.no/cb\"\nsuccess_url = \"https://a.no/ok\"\nfailure_url = \"https://a.no/f\"\n",
    );
    let out = w.check("in/orders.csv", &["--json"]);
    out.expect(0);
    assert_eq!(out.json()["config"], "in/fpgo-export.toml");
    assert!(w.exists("in/orders.result.csv"));
}

/// `table` without the columns `gone`.
fn without(table: &Table, gone: &[&str]) -> Table {
    let keep: Vec<usize> = (0..table.headers.len())
        .filter(|&c| !gone.contains(&table.headers[c].as_str()))
        .collect();
    Table {
        headers: keep.iter().map(|&c| table.headers[c].clone()).collect(),
        rows: table
            .rows
            .iter()
            .map(|r| keep.iter().map(|&c| r[c].clone()).collect())
            .collect(),
    }
}

/// A config written by `init` with the examples of these keys made to count (their `# `
/// removed), or of every key when `keys` is empty.
fn filled(config: &str, keys: &[&str]) -> String {
    let mut out = String::new();
    for line in config.lines() {
        let example = line
            .strip_prefix("# ")
            .filter(|rest| match rest.split_once(" = ") {
                Some((key, _)) => {
                    key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                        && (keys.is_empty() || keys.contains(&key))
                }
                None => false,
            });
        out.push_str(example.unwrap_or(line));
        out.push('\n');
    }
    out
}

const ORDER_DEFAULTS: &[&str] = &[
    "country",
    "invoice_fee",
    "callback_url",
    "success_url",
    "failure_url",
];

#[test]
fn a_first_run_without_a_config_points_to_init_and_its_config_gets_the_sheet_through() {
    let w = Workdir::new();
    std::fs::create_dir(w.join("shop")).unwrap();
    w.write(
        "shop/orders.csv",
        without(&two_orders(), ORDER_DEFAULTS).csv(b','),
    );

    let first = w.check("shop/orders.csv", &[]);
    first.expect(2).fatal_errors_are(&["error: shop/orders.csv: required columns are missing: country, invoice_fee, callback_url, success_url, failure_url."]);
    first.stderr_has(&["  country, invoice_fee, callback_url, success_url, failure_url are usually the same for every order, not a column of the sheet: give them once in a config file's [defaults]: `fpgo-export init shop/orders.csv` writes a commented fpgo-export.toml beside the sheet to fill in."]);

    Test::on(&w)
        .args(&["init", "shop/orders.csv"])
        .stderr_has(&[
            "wrote shop/fpgo-export.toml",
            "fpgo-export check shop/orders.csv",
        ])
        .no_file("fpgo-export.toml")
        .run();
    let config = w.read("shop/fpgo-export.toml");
    for key in ORDER_DEFAULTS {
        assert!(
            config.contains(&format!("\n# {key} = ")),
            "{key}:\n{config}"
        );
    }

    // Found beside the sheet, but nothing in it counts yet: the message names the file.
    let commented = w.check("shop/orders.csv", &[]);
    commented
        .expect(2)
        .stderr_has(&["give them once in [defaults] of shop/fpgo-export.toml."]);

    w.write("shop/fpgo-export.toml", filled(&config, ORDER_DEFAULTS));
    w.check("shop/orders.csv", &[]).expect(0);
}

#[test]
fn every_example_of_the_init_config_is_a_value_the_config_accepts() {
    let w = Workdir::new();
    w.write_sheet(&two_orders());
    Test::on(&w)
        .args(&["init"])
        .stderr_has(&["wrote fpgo-export.toml"])
        .run();
    let config = w.read("fpgo-export.toml");
    w.write("fpgo-export.toml", filled(&config, &[]));
    let out = w.check("orders.csv", &[]);
    out.expect(0).stderr_has(&[
        "defaults and --set values not used by the invoice-session endpoint, ignored: credit_check, invoice_as_payment_option, send_by_email, send_by_invoice, send_by_sms, shipping_cost",
    ]);

    // For the other endpoint, the file names it; it loads as well.
    Test::on(&w)
        .args(&[
            "init",
            "--endpoint",
            "regular-invoice",
            "--output",
            "regular.toml",
        ])
        .run();
    let regular = w.read("regular.toml");
    assert!(
        regular.contains("\nendpoint = \"regular-invoice\"\n"),
        "{regular}"
    );
    w.write("regular.toml", filled(&regular, &[]));
    let out = w.check(
        "orders.csv",
        &["--config", "regular.toml", "--endpoint", "invoice-session"],
    );
    out.expect(0);
}

#[test]
fn init_refuses_to_overwrite_a_config_without_force() {
    let w = Workdir::new();
    w.write("fpgo-export.toml", "# mine\n");
    Test::on(&w)
        .args(&["init"])
        .status(2)
        .stderr_has(&["fpgo-export.toml exists already; add --force to replace it"])
        .file("fpgo-export.toml", "# mine\n")
        .run();
    Test::on(&w).args(&["init", "--force"]).run();
    assert!(w.read("fpgo-export.toml").contains("[defaults]"));
    // Nor over the sheet it is for.
    w.write_sheet(&two_orders());
    let sheet = w.read("orders.csv");
    Test::on(&w)
        .args(&["init", "orders.csv", "--output", "orders.csv", "--force"])
        .status(2)
        .stderr_has(&["orders.csv is the sheet"])
        .file("orders.csv", &sheet)
        .run();
}

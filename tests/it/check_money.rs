//! `check` pricing orders: the `--payloads` file of valid orders with money recomputed per VAT
//! rate, discounts, the provider's own example, and random sheets priced again here by the
//! rules of fpgo-api.md, independently of the tool's money code (proptest, fixed seed).

use crate::support::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::str::FromStr;

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))).unwrap()
}

/// Money on the wire: a string with exactly two decimals.
#[track_caller]
fn assert_money(v: &Value) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("money is not a string: {v}"));
    let (int, frac) = s
        .split_once('.')
        .unwrap_or_else(|| panic!("no decimals: {s}"));
    assert!(
        !int.is_empty()
            && int
                .trim_start_matches('-')
                .bytes()
                .all(|b| b.is_ascii_digit()),
        "{s}"
    );
    assert!(
        frac.len() == 2 && frac.bytes().all(|b| b.is_ascii_digit()),
        "not two decimals: {s}"
    );
}

#[test]
fn payloads_hold_one_line_per_valid_order() {
    let w = Workdir::new();
    let mut t = Table::standard();
    t.order(
        "P-1",
        PRIVATE,
        &[
            ("Router", "1", "4500", "12"),
            ("Lader", "3", "349.90", "25"),
            ("Bok", "2", "349", "0"),
        ],
    );
    t.order("P-2", CORPORATE, &[("Kaffe", "4", "229", "15")]);
    t.order("P-3", PRIVATE, &[("Lue", "1", "-5", "25")]);
    // A later line of P-1 far below, after another order.
    t.order("P-1", &[], &[("Termokopp", "1", "199", "25")]);
    w.write_sheet(&t);
    let out = w.check("orders.csv", &["--payloads", "payloads.jsonl", "--json"]);
    out.expect(1);
    let text = w.read("payloads.jsonl");
    assert!(text.ends_with('\n'));
    let payloads = w.payloads("payloads.jsonl");
    assert_eq!(payloads.len(), 2, "{text}");
    assert_eq!(
        payloads.len() as u64,
        out.json()["orders"]["valid"].as_u64().unwrap()
    );
    let keys: Vec<&Value> = payloads.iter().map(|p| &p["order_ref"]).collect();
    assert_eq!(keys, [&json!("P-1"), &json!("P-2")]);
    assert_eq!(payloads[0]["rows"], json!([2, 3, 4, 7]));
    assert_eq!(payloads[1]["rows"], json!([5]));
    for line in &payloads {
        let obj = line.as_object().unwrap();
        assert_eq!(
            obj.keys().collect::<Vec<_>>(),
            ["order_ref", "rows", "payload"]
        );
        let p = &line["payload"];
        assert_eq!(p["referenceNo"], line["order_ref"]);
        let s = &p["orderSummary"];
        for k in ["subTotal", "totalTax", "totalDiscount", "grandTotal"] {
            assert_money(&s[k]);
        }
        assert_eq!(
            dec(&s["grandTotal"]),
            dec(&s["subTotal"]) + dec(&s["totalTax"]),
            "{s}"
        );
        let products = p["products"].as_array().unwrap();
        let amounts: Decimal = products.iter().map(|l| dec(&l["amount"])).sum();
        assert_eq!(amounts, dec(&s["grandTotal"]));
        for l in products {
            assert_money(&l["amount"]);
            assert_money(&l["discount"]);
            assert_money(&l["rate"]);
            assert!(l["quantity"].is_string() && l["tax"].is_string(), "{l}");
        }
        assert!(p["invoiceFeeApplicable"].is_boolean());
    }
    // P-1 by hand, VAT per rate: 4500 at 12 % is 4017.86 + 482.14; 1049.70 + 199 = 1248.70 at
    // 25 % is 998.96 + 249.74; 698 at 0 % is 698 + 0.
    let s = &payloads[0]["payload"]["orderSummary"];
    assert_eq!(
        *s,
        json!({"subTotal": "5714.82", "totalTax": "731.88", "totalDiscount": "0.00", "grandTotal": "6446.70"})
    );
    assert_eq!(payloads[0]["payload"]["products"][1]["rate"], "349.90");
    assert_eq!(payloads[0]["payload"]["products"][3]["name"], "Termokopp");
    assert_eq!(
        payloads[1]["payload"]["customerDetails"]["organizationId"],
        "914286018"
    );
    assert_eq!(
        payloads[1]["payload"]["customerDetails"]["type"],
        "corporate"
    );
    assert!(payloads[1]["payload"]["customerDetails"]
        .get("personalNumber")
        .is_none());
}

#[test]
fn discounts_reach_the_payload() {
    let w = Workdir::new();
    let mut t = Table::standard();
    t.headers
        .extend(["Rabatt".to_string(), "Rabatt %".to_string()]);
    t.order(
        "D-1",
        PRIVATE,
        &[("Jakke", "2", "100", "25"), ("Knapper", "3", "0.75", "25")],
    );
    t.order("D-2", PRIVATE, &[("Lue", "1", "100", "25")]);
    t.set(0, "Rabatt", "50");
    // 10 % of 2.25 is 0.225: rounded half away from zero to 0.23, never to 0.22.
    t.set(1, "Rabatt %", "10");
    t.set(2, "Rabatt", "300");
    w.write_sheet(&t);
    let out = w.check(
        "orders.csv",
        &["--payloads", "p.jsonl", "--output", "result.json"],
    );
    out.expect(1);
    let payloads = w.payloads("p.jsonl");
    assert_eq!(payloads.len(), 1);
    let p = &payloads[0]["payload"];
    assert_eq!(p["products"][0]["discount"], "50.00");
    assert_eq!(p["products"][0]["amount"], "150.00");
    assert_eq!(p["products"][1]["rate"], "0.75");
    assert_eq!(p["products"][1]["discount"], "0.23");
    assert_eq!(p["products"][1]["amount"], "2.02");
    // 152.02 at 25 %: net round2(121.616) = 121.62.
    assert_eq!(
        p["orderSummary"],
        json!({"subTotal": "121.62", "totalTax": "30.40", "totalDiscount": "50.23", "grandTotal": "152.02"})
    );
    let result = w.result_json("result.json");
    assert_eq!(
        result["rows"][2]["messages"],
        json!([
            "error: Rabatt \"300\": the discount 300.00 is more than the line's 100.00 (quantity × unit price)"
        ])
    );
}

#[test]
fn the_providers_example_through_the_binary() {
    let w = Workdir::new();
    let mut t = Table::standard();
    t.order("EX-1", PRIVATE, &[("Router", "1", "4500", "12")]);
    t.set(0, "line_amount", "4500");
    w.write_csv("example.csv", &t.csv(b','), Encoding::Utf8);
    let out = w.check("example.csv", &["--payloads", "p.jsonl"]);
    out.expect(0);
    let payloads = w.payloads("p.jsonl");
    assert_eq!(payloads.len(), 1);
    assert_eq!(
        payloads[0]["payload"],
        json!({
            "products": [{"name": "Router", "quantity": "1", "rate": "4500.00", "discount": "0.00", "tax": "12", "amount": "4500.00"}],
            "orderSummary": {"subTotal": "4017.86", "totalTax": "482.14", "totalDiscount": "0.00", "grandTotal": "4500.00"},
            "orderDate": "1795258800",
            "customerDetails": {
                "type": "private",
                "countryCode": "+47",
                "msisdn": "46567468",
                "email": "kari.nordmann@example.no",
                "name": "Kari Nordmann",
                "personalNumber": "28038712383",
                "address": {"street": "Klosterenget 144", "zip": "7030", "city": "Trondheim", "country": "NO"}
            },
            "referenceNo": "EX-1",
            "invoiceFeeApplicable": true,
            "callback": {
                "callbackUrl": "https://shop.example.no/fpgo/callback",
                "success": "https://shop.example.no/fpgo/success",
                "failure": "https://shop.example.no/fpgo/failure"
            }
        })
    );
}

/// The money rules of fpgo-api.md, written again here from the document, independently of
/// `src/money.rs`: round half away from zero; VAT per rate on the gross sums.
mod by_the_book {
    use rust_decimal::{Decimal, RoundingStrategy};

    pub fn round2(d: Decimal) -> Decimal {
        d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
    }

    /// (amount, discount) of a line with a discount in percent.
    pub fn line(quantity: Decimal, rate: Decimal, percent: Decimal) -> (Decimal, Decimal) {
        let gross = round2(quantity * rate);
        let discount = round2(gross * percent / Decimal::ONE_HUNDRED);
        (gross - discount, discount)
    }

    /// (subTotal, totalTax, grandTotal) of (amount, VAT rate) lines.
    pub fn summary(lines: &[(Decimal, Decimal)]) -> (Decimal, Decimal, Decimal) {
        let mut rates: Vec<Decimal> = lines.iter().map(|l| l.1).collect();
        rates.sort();
        rates.dedup();
        let (mut net, mut gross_total) = (Decimal::ZERO, Decimal::ZERO);
        for r in rates {
            let gross: Decimal = lines.iter().filter(|l| l.1 == r).map(|l| l.0).sum();
            net += round2(gross * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + r));
            gross_total += gross;
        }
        (net, gross_total - net, gross_total)
    }
}

#[test]
fn random_sheets_price_by_the_book() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    // (order, quantity in quarters, unit price in øre, VAT rate, discount percent)
    let line = (
        0usize..6,
        1i64..40,
        100i64..500_000,
        prop::sample::select(vec![0u32, 12, 15, 25]),
        prop_oneof![Just(0i64), 1i64..=50],
    );
    let sheet = prop::collection::vec(line, 1..40);
    // A fixed seed: the same sheets on every run, so no test depends on chance.
    let config = Config {
        cases: 6,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    runner
        .run(&sheet, |lines| {
            let w = Workdir::new();
            let mut t = Table::standard();
            t.headers.push("discount_percent".into());
            let mut seen = BTreeSet::new();
            for (order, quarters, ore, vat, percent) in &lines {
                let key = format!("R-{order}");
                let customer = if seen.insert(key.clone()) {
                    PRIVATE
                } else {
                    &[]
                };
                let quantity = Decimal::new(*quarters * 25, 2).normalize().to_string();
                let price = Decimal::new(*ore, 2).to_string();
                t.order(
                    &key,
                    customer,
                    &[("Vare", &quantity, &price, &vat.to_string())],
                );
                let row = t.rows.len() - 1;
                t.set(row, "discount_percent", &percent.to_string());
            }
            w.write_csv("random.csv", &t.csv(b','), Encoding::Utf8);
            let out = w.check("random.csv", &["--payloads", "p.jsonl"]);
            out.expect(0);
            let payloads = w.payloads("p.jsonl");
            prop_assert_eq!(payloads.len(), seen.len());
            for p in &payloads {
                let key = p["order_ref"].as_str().unwrap();
                let rows: Vec<u64> = (0..lines.len())
                    .filter(|&i| format!("R-{}", lines[i].0) == key)
                    .map(|i| i as u64 + 2)
                    .collect();
                prop_assert_eq!(&p["rows"], &json!(rows));
                let mut priced = Vec::new();
                let mut total_discount = Decimal::ZERO;
                for (product, &row) in p["payload"]["products"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .zip(&rows)
                {
                    let (_, quarters, ore, vat, percent) = lines[row as usize - 2];
                    let (amount, discount) = by_the_book::line(
                        Decimal::new(quarters * 25, 2),
                        Decimal::new(ore, 2),
                        Decimal::from(percent),
                    );
                    prop_assert_eq!(dec(&product["amount"]), amount);
                    prop_assert_eq!(dec(&product["discount"]), discount);
                    assert_money(&product["amount"]);
                    total_discount += discount;
                    priced.push((amount, Decimal::from(vat)));
                }
                let (net, tax, gross) = by_the_book::summary(&priced);
                let s = &p["payload"]["orderSummary"];
                prop_assert_eq!(dec(&s["subTotal"]), net);
                prop_assert_eq!(dec(&s["totalTax"]), tax);
                prop_assert_eq!(dec(&s["grandTotal"]), gross);
                prop_assert_eq!(dec(&s["totalDiscount"]), total_discount);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn messages_of_a_decimal_comma_sheet_quoted_amounts_with_a_point() {
    // A Norwegian Excel's CSV: semicolons and decimal commas. The amounts the tool computes
    // and quotes in its messages are written the same way; the JSON summary keeps points.
    let w = Workdir::new();
    let mut t = Table::standard();
    t.headers
        .extend(["grand_total".to_string(), "Rabatt".to_string()]);
    t.order("N-1", PRIVATE, &[("Router", "1", "1798,00", "25")]);
    t.set(0, "line_amount", "1789,00");
    t.order("N-2", PRIVATE, &[("Lue", "2", "49,50", "25")]);
    t.set(1, "grand_total", "100,00");
    t.order("N-3", PRIVATE, &[("Vott", "1", "12,50", "25")]);
    t.set(2, "Rabatt", "20,5");
    t.order("N-4", PRIVATE, &[("Skjerf", "1", "0,50", "25")]);
    w.write_csv("orders.csv", &t.csv(b';'), Encoding::Windows1252);
    Test::on(&w)
        .check("orders.csv", &["--output", "result.json", "--json"])
        .status(1)
        .stderr_has(&[
            "row 2: error: line_amount \"1789,00\": the sheet says 1789,00 but quantity × unit price − discount is 1798,00; correct one of them",
            "row 3: error: grand_total \"100,00\": the sheet says 100,00 but the order's lines give 99,00",
            "row 4: error: Rabatt \"20,5\": the discount 20,50 is more than the line's 12,50 (quantity × unit price)",
        ])
        .stdout_json(|s| {
            assert_eq!(s["number_convention"], "decimal comma");
            assert_eq!(s["money"], json!({"grand_total": "0.50", "total_tax": "0.10"}));
        })
        .run();
    let rows = w.json_rows("result.json");
    assert_eq!(
        rows[0]["messages"][0],
        "error: line_amount \"1789,00\": the sheet says 1789,00 but quantity × unit price − discount is 1798,00; correct one of them"
    );
}

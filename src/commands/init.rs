//! `fpgo-export init`: writes a commented `fpgo-export.toml`, every order-level default and
//! section explained with an example commented out, so a first run can get past the columns
//! a sheet rarely has (the URLs, the invoice fee, the country). It is written beside the sheet
//! when one is named, where the check looks for it, and never over an existing file unless
//! `--force`.

use crate::cli::InitArgs;
use crate::error::Error;
use crate::model::Endpoint;
use crate::settings::CONFIG_NAME;
use crate::{exit, report};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes the config file and says where.
pub fn run(args: &InitArgs) -> Result<i32, Error> {
    let path = target(args);
    if let Some(sheet) = args.sheet.as_deref().filter(|s| crate::same_file(&path, s)) {
        return Err(Error::usage(format!(
            "{} is the sheet; writing the config there would replace it: choose another --output",
            sheet.display()
        )));
    }
    let text = config_text(args.endpoint);
    write(&path, &text, args.force)?;
    let then = match &args.sheet {
        Some(sheet) => format!("fpgo-export check {}", sheet.display()),
        None => "fpgo-export check SHEET".to_string(),
    };
    eprintln!(
        "wrote {}: remove the # before each value your orders share and fill it in (the three URLs first), then run {then}",
        path.display()
    );
    Ok(exit::OK)
}

/// `--output`, else `fpgo-export.toml` beside the sheet, else in the current directory.
fn target(args: &InitArgs) -> PathBuf {
    if let Some(output) = &args.output {
        return output.clone();
    }
    match args.sheet.as_deref().and_then(Path::parent) {
        Some(dir) => dir.join(CONFIG_NAME),
        None => PathBuf::from(CONFIG_NAME),
    }
}

/// Writes `text` to `path`; an existing file is replaced only with `force`.
fn write(path: &Path, text: &str, force: bool) -> Result<(), Error> {
    if force {
        return report::atomic_write(path, |out| out.write_all(text.as_bytes()));
    }
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::usage(format!(
                "{} exists already; add --force to replace it, or --output FILE to write elsewhere",
                path.display()
            )))
        }
        Err(e) => return Err(Error::file(path, e)),
    };
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::file(path, e))
}

/// The commented config: the endpoint set when one was asked for, every other value an example
/// commented out (removing its `#` makes it count).
fn config_text(endpoint: Option<Endpoint>) -> String {
    let endpoint_line = match endpoint {
        Some(endpoint) => format!("endpoint = \"{}\"", endpoint.name()),
        None => "# endpoint = \"invoice-session\"    # or \"regular-invoice\"".to_string(),
    };
    TEXT.replace("{endpoint}", &endpoint_line)
}

const TEXT: &str = r##"# fpgo-export.toml: the values your orders share, so the sheet need not repeat them.
# fpgo-export finds this file beside the sheet (else in the current directory), or takes
# --config FILE. A value counts once the "# " before it is removed. The precedence is
# --set FIELD=VALUE > a column of the sheet > this file. All of it: docs/config.md.

# The provider's endpoint: "invoice-session" (the default) or "regular-invoice" (shipping,
# SMS/email/paper, a personal number on every order; docs/regular-invoice.md).
{endpoint}

# How orderDate is sent: "unix" (the default) or "d M, Y" ("02 Aug, 2026").
# order_date_format = "unix"

[defaults]
# A value here fills a field the sheet leaves blank, and stands in for a column the sheet
# does not have. Keys are field names (docs/columns.md); an alias or the API name works too.
# Values are read like cells with a decimal point: write 12.5, not "12,5".

# Where the provider reports each order's status (invoice-session needs it).
# callback_url = "https://shop.example.no/fpgo/callback"
# Where the customer is sent after signing with BankID, and after a failure (both needed).
# success_url = "https://shop.example.no/fpgo/success"
# failure_url = "https://shop.example.no/fpgo/failure"
# Whether the invoice fee applies: true or false ("ja"/"nei" works too; invoice-session
# needs it).
# invoice_fee = true
# The customers' country, an ISO 3166-1 alpha-2 code (needed).
# country = "NO"
# The language of the customer's pages: en, no, sv, da or de (regular-invoice needs it).
# language = "no"
# Days until the invoice is due, 0 to 365.
# invoice_maturity = 14
# How often invoices are sent: 0 daily, 1 once a month, 2 twice a month (on
# regular-invoice, 0 needs a due_date column).
# invoice_interval = 1
# The prefix of phone numbers written without one.
# phone_country_code = "+47"
# Whether each order gets an invoice of its own, and secure details: true or false.
# separate_invoices = false
# secure_details = false
# A line-level field works too: this fills each blank VAT cell.
# vat_rate = 25

# regular-invoice only (the invoice-session endpoint ignores these, with a note):
# Shipping including VAT, added to the grand total; 0 for none.
# shipping_cost = 0
# How the invoice is sent: by SMS, by email, on paper/EHF (true or false).
# send_by_sms = true
# send_by_email = true
# send_by_invoice = false
# Whether the provider runs a credit check, and offers invoice as a way to pay.
# credit_check = false
# invoice_as_payment_option = true

[columns]
# Your own header names, for headers fpgo-export does not recognise, each written as
# field name = "the header as in your sheet" (case, spaces, _, - and . do not matter).
# order_ref = "Bestillingsnummer"
# unit_price = "Pris pr. stk"

[checks]
# "error" (the default) or "warning": warnings instead of errors for wrong check digits in
# personal and organisation numbers (for made-up test data).
# norway_checksums = "error"
# The VAT rates your orders may use (this is the default list).
# vat_rates = [0, 12, 15, 25]
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::{usually_a_default, Field};

    #[test]
    fn every_field_usually_a_default_has_an_example() {
        for field in Field::all().filter(|f| usually_a_default(*f)) {
            assert!(TEXT.contains(&format!("\n# {field} = ")), "{field}");
        }
    }
}

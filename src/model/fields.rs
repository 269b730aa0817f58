//! The fields of the order model, each listed once in [`FIELDS`]: its canonical name, its
//! level (order or line), the kind of value it holds, the API's own name for it and the aliases
//! people type (English and Norwegian); and which endpoint needs which field ([`required`],
//! [`used_by`]), the one source of that. Header matching ignores case, spaces, `_`, `-` and `.`.

use super::endpoint::Endpoint;
use std::fmt;

/// One field of the order model. The order of variants is the order of the template's columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    OrderRef,
    OrderDate,
    CustomerReference,
    CustomerType,
    Name,
    Email,
    Phone,
    PhoneCountryCode,
    PersonalNumber,
    OrganizationId,
    Language,
    Street,
    Zip,
    City,
    Country,
    InvoiceInterval,
    SeparateInvoices,
    InvoiceFee,
    InvoiceMaturity,
    SecureDetails,
    CallbackUrl,
    SuccessUrl,
    FailureUrl,
    FpgoUuid,
    DueDate,
    ShippingCost,
    SendBySms,
    SendByEmail,
    SendByInvoice,
    CreditCheck,
    InvoiceAsPaymentOption,
    ReceiptNo,
    CustomerNotes,
    Terms,
    InternalReference,
    InternalNotes,
    ProductName,
    ProductId,
    Quantity,
    UnitPrice,
    Discount,
    DiscountPercent,
    VatRate,
    LineAmount,
    SubTotal,
    TotalTax,
    TotalDiscount,
    GrandTotal,
}

/// Whether a field belongs to the order (same on every line, inherited when blank) or to a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Order,
    Line,
}

/// How a cell of the field is read (see `pipeline/values/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Free text, trimmed.
    Text,
    /// An identifier made of digits that Excel may have turned into a number.
    Digits,
    /// Money with at most two decimals.
    Money,
    /// A unit price: money with at most four decimals.
    Price,
    /// A plain decimal number (quantity, percentages).
    Number,
    /// A whole number.
    Integer,
    Date,
    Bool,
}

/// Everything the tool knows about one field.
pub struct FieldInfo {
    pub field: Field,
    pub name: &'static str,
    pub level: Level,
    pub kind: Kind,
    /// The field as the invoice-session API names it (`customerDetails.email`), if it maps to one.
    pub api: &'static str,
    pub aliases: &'static [&'static str],
    pub help: &'static str,
}

macro_rules! fields {
    ($( $field:ident $name:literal $level:ident $kind:ident $api:literal [$($alias:literal),*] $help:literal; )*) => {
        /// The field table: one line per field.
        pub const FIELDS: &[FieldInfo] = &[
            $( FieldInfo { field: Field::$field, name: $name, level: Level::$level, kind: Kind::$kind,
                           api: $api, aliases: &[$($alias),*], help: $help }, )*
        ];
    };
}

fields! {
    OrderRef "order_ref" Order Text "referenceNo" ["ordrenr", "ordrenummer", "fakturanr", "fakturanummer", "invoice no", "order no", "order number", "order id", "reference no"]
        "Your order number; lines with the same value form one order. Sent as referenceNo.";
    OrderDate "order_date" Order Date "orderDate" ["ordredato", "dato", "date", "order date", "fakturadato", "invoice date"]
        "Order date, today or later (blank means today).";
    CustomerReference "customer_reference" Order Text "customerReference" ["kundereferanse", "deres ref", "your ref", "customer ref"]
        "The customer's own reference.";
    CustomerType "customer_type" Order Text "customerDetails.type" ["kundetype", "type", "customer type"]
        "private or corporate (also privat, person, bedrift, firma, company).";
    Name "name" Order Text "customerDetails.name" ["customer name", "kundenavn", "navn", "customer", "kunde"]
        "Customer's full name or company name.";
    Email "email" Order Text "customerDetails.email" ["e-post", "epost", "e-mail", "mail", "email address"]
        "Customer's email address.";
    Phone "phone" Order Text "customerDetails.msisdn" ["telefon", "mobil", "mobile", "tlf", "phone number", "mobilnummer", "telefonnummer", "msisdn"]
        "Mobile number; +47 465 67 468 is split into country code and number.";
    PhoneCountryCode "phone_country_code" Order Text "customerDetails.countryCode" ["phone country code", "phone prefix", "calling code", "retningsnummer"]
        "Phone prefix such as +47 when the phone column has none.";
    PersonalNumber "personal_number" Order Digits "customerDetails.personalNumber" ["fødselsnummer", "fnr", "personnummer", "personal number", "national id", "ssn"]
        "11-digit Norwegian personal number (private customers).";
    OrganizationId "organization_id" Order Text "customerDetails.organizationId" ["organisasjonsnummer", "orgnr", "org.nr", "org nr", "organisation number", "organization number", "org number", "organisation id", "vat number"]
        "Organisation number (corporate customers); NO 914 286 018 MVA is accepted.";
    Language "language" Order Text "customerDetails.preferredLanguage" ["språk", "sprak", "preferred language", "lang"]
        "en, no, sv, da or de.";
    Street "street" Order Text "customerDetails.address.street" ["adresse", "gateadresse", "address", "street address", "postadresse"]
        "Street address.";
    Zip "zip" Order Digits "customerDetails.address.zip" ["postnummer", "postnr", "zip code", "postcode", "postal code", "post code"]
        "Postal code (4 digits in Norway).";
    City "city" Order Text "customerDetails.address.city" ["poststed", "sted", "by", "town"]
        "City.";
    Country "country" Order Text "customerDetails.address.country" ["land", "country code", "landkode", "landskode"]
        "ISO 3166-1 alpha-2 code such as NO (Norway/Norge are turned into NO).";
    InvoiceInterval "invoice_interval" Order Integer "invoiceInterval" ["fakturaintervall", "interval"]
        "0 (daily), 1 (once a month) or 2 (twice a month).";
    SeparateInvoices "separate_invoices" Order Bool "separateInvoices" ["separate fakturaer", "egne fakturaer"]
        "Whether invoices are separated (yes/no).";
    InvoiceFee "invoice_fee" Order Bool "invoiceFeeApplicable" ["fakturagebyr", "invoice fee applicable", "fee"]
        "Whether the invoice fee applies (yes/no).";
    InvoiceMaturity "invoice_maturity" Order Integer "invoiceMaturity" ["betalingsfrist", "maturity", "payment terms", "days to pay"]
        "Days until the invoice is due.";
    SecureDetails "secure_details" Order Bool "settings.secureDetails" ["sikre detaljer", "secure"]
        "Enable secure details (yes/no).";
    CallbackUrl "callback_url" Order Text "callback.callbackUrl" ["callback"]
        "URL the provider notifies of status changes.";
    SuccessUrl "success_url" Order Text "callback.success" ["success"]
        "URL the customer is sent to after success.";
    FailureUrl "failure_url" Order Text "callback.failure" ["failure"]
        "URL the customer is sent to after failure.";
    FpgoUuid "fpgo_uuid" Order Text "fpgoUuid" ["order uuid", "orderuuid", "fpgo id"]
        "The provider's order id (ODR…) to update instead of creating an order.";
    DueDate "due_date" Order Date "dueDateForPaymentLink" ["forfallsdato", "due date", "betalingsfrist dato", "payment due"]
        "regular-invoice: the payment link's due date; required when invoice_interval is 0.";
    ShippingCost "shipping_cost" Order Money "orderSummary.shippingCost" ["frakt", "fraktkostnad", "shipping", "shipping cost", "freight"]
        "regular-invoice: shipping including VAT, added to the grand total (a config default of 0 is common).";
    SendBySms "send_by_sms" Order Bool "sendOrderBy.sms" ["send sms", "send på sms", "sms"]
        "regular-invoice: send the invoice by SMS (yes/no).";
    SendByEmail "send_by_email" Order Bool "sendOrderBy.email" ["send email", "send e-post", "send epost", "send på e-post"]
        "regular-invoice: send the invoice by email (yes/no).";
    SendByInvoice "send_by_invoice" Order Bool "sendOrderBy.invoice" ["send invoice", "send faktura", "send som faktura"]
        "regular-invoice: send a paper/EHF invoice (yes/no).";
    CreditCheck "credit_check" Order Bool "isCreditCheckAvailable" ["kredittsjekk", "credit check available"]
        "regular-invoice: run a credit check (yes/no).";
    InvoiceAsPaymentOption "invoice_as_payment_option" Order Bool "invoiceAsPaymentOption" ["faktura som betalingsmåte", "invoice as payment"]
        "regular-invoice: offer invoice as a payment option (yes/no).";
    ReceiptNo "receipt_no" Order Text "invoiceReferences.receiptNo" ["kvitteringsnr", "kvitteringsnummer", "receipt number"]
        "regular-invoice: receipt number shown on the invoice.";
    CustomerNotes "customer_notes" Order Text "invoiceReferences.customerNotes" ["melding til kunde", "kundemerknad", "notes to customer"]
        "regular-invoice: a note to the customer on the invoice.";
    Terms "terms" Order Text "invoiceReferences.tnc" ["vilkår", "betingelser", "terms and conditions", "tnc"]
        "regular-invoice: terms and conditions on the invoice.";
    InternalReference "internal_reference" Order Text "internalReferences.referenceNo" ["intern referanse", "internal ref"]
        "regular-invoice: your internal reference (not shown to the customer).";
    InternalNotes "internal_notes" Order Text "internalReferences.notes" ["interne notater", "intern merknad", "internal note"]
        "regular-invoice: your internal notes (not shown to the customer).";
    ProductName "product_name" Line Text "products.*.name" ["varenavn", "produkt", "beskrivelse", "product", "description", "item", "vare", "produktnavn"]
        "What is sold.";
    ProductId "product_id" Line Text "products.*.productId" ["varenummer", "varenr", "artikkelnr", "artikkelnummer", "sku", "item no", "product no", "article no"]
        "Your product code (at most 25 characters).";
    Quantity "quantity" Line Number "products.*.quantity" ["antall", "qty", "quantity ordered", "ant"]
        "Quantity, greater than 0.";
    UnitPrice "unit_price" Line Price "products.*.rate" ["pris", "enhetspris", "price", "unit price", "rate", "pris inkl mva", "price incl vat"]
        "Price per unit including VAT, at most 4 decimals.";
    Discount "discount" Line Money "products.*.discount" ["rabatt", "discount amount", "rabattbeløp"]
        "Discount on the line as an amount including VAT.";
    DiscountPercent "discount_percent" Line Number "" ["rabatt %", "rabatt%", "rabattprosent", "discount %", "discount%", "discount pct"]
        "Discount on the line in percent (instead of discount).";
    VatRate "vat_rate" Line Number "products.*.tax" ["mva", "mva-sats", "mva %", "mvasats", "vat", "vat %", "vat rate", "tax", "tax rate"]
        "VAT rate in percent: 0, 12, 15 or 25.";
    LineAmount "line_amount" Line Money "products.*.amount" ["beløp", "linjesum", "line total", "amount", "line amount"]
        "Optional check: the line total including VAT, after discount.";
    SubTotal "sub_total" Order Money "orderSummary.subTotal" ["subtotal", "netto", "sum eks mva", "total excl vat"]
        "Optional check: the order's total excluding VAT.";
    TotalTax "total_tax" Order Money "orderSummary.totalTax" ["sum mva", "mva totalt", "total vat"]
        "Optional check: the order's VAT.";
    TotalDiscount "total_discount" Order Money "orderSummary.totalDiscount" ["sum rabatt", "rabatt totalt"]
        "Optional check: the order's total discount.";
    GrandTotal "grand_total" Order Money "orderSummary.grandTotal" ["totalt", "å betale", "total inkl mva", "total incl vat", "grandtotal"]
        "Optional check: the order's total including VAT.";
}

impl Field {
    pub fn info(self) -> &'static FieldInfo {
        &FIELDS[self as usize]
    }
    pub fn name(self) -> &'static str {
        self.info().name
    }
    pub fn level(self) -> Level {
        self.info().level
    }
    pub fn kind(self) -> Kind {
        self.info().kind
    }
    pub fn all() -> impl Iterator<Item = Field> {
        FIELDS.iter().map(|i| i.field)
    }
    /// The field a header or a `--set` name refers to, by canonical name, alias or API name.
    pub fn lookup(header: &str) -> Option<Field> {
        let key = normalize(header);
        if key.is_empty() {
            return None;
        }
        FIELDS
            .iter()
            .find(|i| {
                normalize(i.name) == key
                    || (!i.api.is_empty() && normalize(i.api) == key)
                    || i.aliases.iter().any(|a| normalize(a) == key)
            })
            .map(|i| i.field)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The matching key of a header: lower case, without spaces, `_`, `-`, `.`.
pub fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '\u{feff}'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The fields an order cannot do without, per endpoint: a column or a default must give them.
pub fn required(endpoint: Endpoint) -> &'static [Field] {
    use Field::*;
    match endpoint {
        Endpoint::InvoiceSession => &[
            OrderRef,
            Name,
            Email,
            Phone,
            Street,
            Zip,
            City,
            Country,
            InvoiceFee,
            CallbackUrl,
            SuccessUrl,
            FailureUrl,
            ProductName,
            Quantity,
            UnitPrice,
            VatRate,
        ],
        Endpoint::RegularInvoice => &[
            OrderRef,
            Name,
            Email,
            Phone,
            PersonalNumber,
            Language,
            Street,
            Zip,
            City,
            Country,
            ShippingCost,
            SendBySms,
            SendByEmail,
            SendByInvoice,
            CreditCheck,
            InvoiceAsPaymentOption,
            SuccessUrl,
            FailureUrl,
            ProductName,
            Quantity,
            UnitPrice,
            VatRate,
        ],
    }
}

/// Whether a field is usually the same for every order of a merchant (the URLs, the invoice
/// fee, the country, …): a value for the config's `[defaults]` rather than a column.
pub fn usually_a_default(field: Field) -> bool {
    use Field::*;
    matches!(
        field,
        Country
            | Language
            | PhoneCountryCode
            | InvoiceInterval
            | SeparateInvoices
            | InvoiceFee
            | InvoiceMaturity
            | SecureDetails
            | CallbackUrl
            | SuccessUrl
            | FailureUrl
            | ShippingCost
            | SendBySms
            | SendByEmail
            | SendByInvoice
            | CreditCheck
            | InvoiceAsPaymentOption
    )
}

/// Whether an order sent to `endpoint` cannot do without `field`: validation refuses a blank
/// one exactly where [`required`] demands the column.
pub fn required_on(field: Field, endpoint: Endpoint) -> bool {
    required(endpoint).contains(&field)
}

/// Whether an endpoint has a use for a field (the others are ignored, with a note).
pub fn used_by(field: Field, endpoint: Endpoint) -> bool {
    use Field::*;
    let regular_only = matches!(
        field,
        DueDate
            | ShippingCost
            | SendBySms
            | SendByEmail
            | SendByInvoice
            | CreditCheck
            | InvoiceAsPaymentOption
            | ReceiptNo
            | CustomerNotes
            | Terms
            | InternalReference
            | InternalNotes
    );
    endpoint == Endpoint::RegularInvoice || !regular_only
}

/// A field path as Laravel names it in messages: camelCase words split, underscores as spaces
/// (`customerDetails.email` → `customer details.email`).
pub fn humanise(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    let mut previous_lower = false;
    for c in path.chars() {
        if c.is_uppercase() {
            if previous_lower {
                out.push(' ');
            }
            out.extend(c.to_lowercase());
            previous_lower = false;
        } else {
            out.push(if c == '_' { ' ' } else { c });
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn table_is_in_variant_order() {
        for (i, info) in FIELDS.iter().enumerate() {
            assert_eq!(info.field as usize, i, "{}", info.name);
        }
    }

    #[test]
    fn aliases_are_unambiguous() {
        let mut keys: BTreeMap<String, &str> = BTreeMap::new();
        for info in FIELDS {
            let mut names = vec![info.name];
            names.extend(info.aliases);
            if !info.api.is_empty() {
                names.push(info.api);
            }
            for n in names {
                if let Some(other) = keys.insert(normalize(n), info.name) {
                    assert_eq!(other, info.name, "{n} is claimed twice");
                }
            }
        }
    }

    #[test]
    fn headers_match_ignoring_case_and_punctuation() {
        assert_eq!(Field::lookup("Order_Ref"), Some(Field::OrderRef));
        assert_eq!(Field::lookup("E-post"), Some(Field::Email));
        assert_eq!(Field::lookup("org.nr"), Some(Field::OrganizationId));
        assert_eq!(Field::lookup("Fødselsnummer"), Some(Field::PersonalNumber));
        assert_eq!(Field::lookup("MVA %"), Some(Field::VatRate));
        assert_eq!(Field::lookup("Rabatt %"), Some(Field::DiscountPercent));
        assert_eq!(Field::lookup("rabatt"), Some(Field::Discount));
        assert_eq!(Field::lookup("customerDetails.email"), Some(Field::Email));
        assert_eq!(Field::lookup("products.*.rate"), Some(Field::UnitPrice));
        assert_eq!(Field::lookup("Unit Price"), Some(Field::UnitPrice));
        assert_eq!(Field::lookup("colour"), None);
    }
}

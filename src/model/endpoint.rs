//! The provider's endpoints and how `orderDate` is written: fixed choices that the command
//! line, the config, the pipeline, the wire and the sandbox all name.

/// The provider's endpoints fpgo-export sends to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Endpoint {
    /// `POST /connect/orders/invoice/submit` (*Create Session for Invoice Order*).
    #[default]
    InvoiceSession,
    /// `POST /connect/orders/regular/invoice/submit` (the provider's regular-invoice page).
    RegularInvoice,
}

impl Endpoint {
    /// Its name in the config, on the command line and in the ledger.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::InvoiceSession => "invoice-session",
            Endpoint::RegularInvoice => "regular-invoice",
        }
    }

    /// Its path under the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::InvoiceSession => "/connect/orders/invoice/submit",
            Endpoint::RegularInvoice => "/connect/orders/regular/invoice/submit",
        }
    }

    pub const ALL: [Endpoint; 2] = [Endpoint::InvoiceSession, Endpoint::RegularInvoice];

    /// The endpoint of this name, or what to write instead.
    pub fn named(name: &str) -> Result<Endpoint, String> {
        Endpoint::ALL
            .into_iter()
            .find(|e| e.name() == name.trim())
            .ok_or_else(|| format!("endpoint \"{name}\": use invoice-session or regular-invoice"))
    }
}

/// How `orderDate` is written: Unix seconds, or PHP's `d M, Y` (`02 Aug, 2026`), which the
/// provider's demo server was seen to demand on sibling endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DateFormat {
    #[default]
    Unix,
    DayMonthYear,
}

impl DateFormat {
    pub const ALL: [DateFormat; 2] = [DateFormat::Unix, DateFormat::DayMonthYear];

    /// Its name in the config and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DateFormat::Unix => "unix",
            DateFormat::DayMonthYear => "d M, Y",
        }
    }

    /// The format of this name, or what to write instead.
    pub fn named(text: &str) -> Result<DateFormat, String> {
        DateFormat::ALL
            .into_iter()
            .find(|f| f.name() == text.trim())
            .ok_or_else(|| format!("order_date_format = \"{text}\": use \"unix\" or \"d M, Y\""))
    }
}

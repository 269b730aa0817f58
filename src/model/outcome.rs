//! What became of each row and order: checked (valid, invalid), then, when sent, what the
//! provider made of it, with its ids.

use super::problem::Problem;
use rust_decimal::Decimal;

/// The provider's ids for a created order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    pub order_uuid: String,
    pub customer_uuid: Option<String>,
    pub url: Option<String>,
}

/// What became of one row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowStatus {
    /// Checked: ready to send.
    Valid,
    /// Checked: not sendable; its problems say why.
    Invalid,
    /// Sent and created by this run.
    Created,
    /// Created by an earlier run (the ledger knows it).
    AlreadyCreated,
    /// The provider said no; its messages are on the rows.
    Rejected,
    /// Not created; the next run sends it again.
    Failed,
    /// The provider may have it: no answer came.
    Uncertain,
    /// Created earlier, and its content changed since (`--update` sends the change).
    Changed,
    /// Not sent: the run stopped first.
    Skipped,
    /// A dry run: a real run would send it as a new order.
    WouldCreate,
    /// A dry run: a real run would send it as an update of the provider's order.
    WouldUpdate,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Valid => "valid",
            RowStatus::Invalid => "invalid",
            RowStatus::Created => "created",
            RowStatus::AlreadyCreated => "already_created",
            RowStatus::Rejected => "rejected",
            RowStatus::Failed => "failed",
            RowStatus::Uncertain => "uncertain",
            RowStatus::Changed => "changed",
            RowStatus::Skipped => "skipped",
            RowStatus::WouldCreate => "would_create",
            RowStatus::WouldUpdate => "would_update",
        }
    }

    /// Whether the order is at the provider (this run's doing or an earlier one's).
    pub fn is_created(self) -> bool {
        matches!(self, RowStatus::Created | RowStatus::AlreadyCreated)
    }

    /// Whether the order is at the provider, or a dry run found it would be sent (the exit
    /// code's test: 0 when every order is).
    pub fn is_created_or_would_be(self) -> bool {
        self.is_created() || matches!(self, RowStatus::WouldCreate | RowStatus::WouldUpdate)
    }
}

/// One non-blank data row and its verdict.
#[derive(Clone, Debug)]
pub struct RowResult {
    pub number: u32,
    /// Index into [`Checked::orders`].
    pub order: u32,
    pub status: RowStatus,
    /// The problems found on this row, warnings included.
    pub problems: Vec<Problem>,
    /// Where the row's text lies in a CSV file (see `Sheet::raws`).
    pub span: Option<(usize, usize)>,
}

/// One order and its verdict.
#[derive(Clone, Debug)]
pub struct OrderResult {
    pub key: String,
    pub rows: Vec<u32>,
    pub valid: bool,
    /// After sending: what became of it, and the provider's ids.
    pub status: RowStatus,
    pub ids: Option<Box<Ids>>,
    /// grandTotal and totalTax of a valid order.
    pub totals: Option<(Decimal, Decimal)>,
}

/// How an order's sending ended in this run.
#[derive(Clone, Debug, PartialEq)]
pub enum Sent {
    Created(Ids),
    Rejected(Vec<String>),
    Failed(String),
    Uncertain(String),
    /// Never sent: the run stopped first.
    Skipped(String),
}

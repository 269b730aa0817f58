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
    pub problems: Problems,
    /// Where the row's text lies in a CSV file (see `Sheet::raws`).
    pub span: Span,
}

/// A row's problems: most rows have none, and a sheet has millions of rows, so no room is
/// taken for them until one comes (8 bytes a row instead of a `Vec`'s 24).
#[derive(Clone, Debug, Default)]
#[allow(clippy::box_collection)] // the box is the point: 8 bytes where there is no problem
pub struct Problems(Option<Box<Vec<Problem>>>);

impl Problems {
    pub fn push(&mut self, problem: Problem) {
        self.0.get_or_insert_default().push(problem);
    }
}

impl std::ops::Deref for Problems {
    type Target = [Problem];
    fn deref(&self) -> &[Problem] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl std::ops::DerefMut for Problems {
    fn deref_mut(&mut self) -> &mut [Problem] {
        self.0.as_deref_mut().map_or(&mut [], Vec::as_mut_slice)
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Where a CSV record's text lies, `start..end` of the text, in 12 bytes (a record is never
/// 4 GiB long, and the two fields are packed); none for a row whose text cannot be copied as
/// it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, packed(4))]
pub struct Span {
    start: u64,
    len: u32,
}

impl Span {
    const NONE: u32 = u32::MAX;

    pub fn new(span: Option<(usize, usize)>) -> Span {
        let len = span.and_then(|(start, end)| u32::try_from(end.checked_sub(start)?).ok());
        match (span, len) {
            (Some((start, _)), Some(len)) if len != Self::NONE => Span {
                start: start as u64,
                len,
            },
            _ => Span {
                start: 0,
                len: Self::NONE,
            },
        }
    }

    pub fn get(self) -> Option<(usize, usize)> {
        let start = usize::try_from(self.start).ok()?;
        (self.len != Self::NONE).then(|| (start, start + self.len as usize))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_s_result_is_small_and_its_span_round_trips() {
        // A sheet of 5,000,000 rows holds as many results: 32 bytes each, not 64.
        assert!(std::mem::size_of::<RowResult>() <= 32);
        for span in [
            Some((0, 0)),
            Some((7, 19)),
            Some((1 << 40, (1 << 40) + 5)),
            None,
        ] {
            assert_eq!(Span::new(span).get(), span);
        }
        // A record too long for the span has none: its row is then written from its cells.
        assert_eq!(Span::new(Some((0, 1 << 33))).get(), None);
        let mut problems = Problems::default();
        assert!(problems.is_empty());
        problems.push(Problem::warning(3, None, "x"));
        assert_eq!(problems.len(), 1);
    }
}

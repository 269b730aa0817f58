//! The exit codes of fpgo-export, in one place (docs/exit-codes.md explains them to users).

/// Every order valid (check), or created or already created (submit).
pub const OK: i32 = 0;
/// The run finished but some orders are invalid or were not created; see the result file.
pub const SOME_FAILED: i32 = 1;
/// The run could not start: arguments, unreadable file, missing columns, bad config.
pub const CANNOT_RUN: i32 = 2;
/// The provider refused the token (401/403); nothing more was sent.
pub const REFUSED: i32 = 3;
/// The ledger could not be written (a full disk, a lost file): sending stopped at once, and
/// every answer it could not record was printed on stderr.
pub const LEDGER_FAILED: i32 = 4;
/// A bug in fpgo-export (an internal failure, not the user's doing): the message says what to
/// report. 70 is `EX_SOFTWARE` of sysexits.h.
pub const BUG: i32 = 70;
/// Interrupted by Ctrl-C or SIGTERM, after the requests in flight were recorded.
pub const INTERRUPTED: i32 = 130;

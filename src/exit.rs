//! The exit codes of fpgo-export, in one place (docs/exit-codes.md explains them to users).

/// Every order valid (check) or created (submit).
pub const OK: i32 = 0;
/// The run finished but some orders are invalid or were not created; see the result file.
pub const SOME_FAILED: i32 = 1;
/// The run could not start: arguments, unreadable file, missing columns, bad config.
pub const CANNOT_RUN: i32 = 2;

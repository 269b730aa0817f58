//! What the provider said of each created order after it was created: the latest status read
//! (`statuses`) and every change of it (`status_history`), written by `status` and `cancel`.
//! A status is kept as the provider wrote it and compared case-insensitively.

use super::{now, sql, Ledger, Scope};
use crate::error::Error;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

/// A created order as the ledger knows it, with its latest status, if it was ever asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub key: String,
    pub order_uuid: String,
    pub customer_uuid: Option<String>,
    pub source_file: Option<String>,
    pub source_rows: Option<String>,
    /// The latest status read, as the provider wrote it.
    pub status: Option<String>,
    /// The status before the latest change.
    pub previous: Option<String>,
    /// When the status last changed (the first reading is a change from nothing).
    pub changed_at: Option<String>,
    /// When the provider was last asked.
    pub checked_at: Option<String>,
    /// The last ask was answered 404.
    pub not_found: bool,
    /// The order's amount, as the provider gave it; else the grand total of the body sent.
    pub amount: Option<String>,
}

/// What one ask said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Status {
        status: String,
        amount: Option<String>,
    },
    NotFound,
}

impl std::fmt::Display for Seen {
    /// As the user is told: `status PAID`, `not found (404)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Seen::Status { status, .. } => write!(f, "status {status}"),
            Seen::NotFound => f.write_str("not found (404)"),
        }
    }
}

/// Who learnt a status: the history says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeenBy {
    Status,
    Cancel,
    /// The provider's callback notification, received by the browser app.
    Callback,
}

impl SeenBy {
    fn as_str(self) -> &'static str {
        match self {
            SeenBy::Status => "status",
            SeenBy::Cancel => "cancel",
            SeenBy::Callback => "callback",
        }
    }
}

/// One change of an order's status, from the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub status: String,
    pub previous: Option<String>,
    pub seen_at: String,
    pub seen_by: String,
}

const KNOWN: &str =
    "SELECT o.order_key, o.order_uuid, o.customer_uuid, o.source_file, o.source_rows,
        s.status, s.previous, s.changed_at, s.checked_at, COALESCE(s.not_found, 0),
        COALESCE(s.amount, json_extract(o.payload, '$.orderSummary.grandTotal'))
    FROM orders o LEFT JOIN statuses s
        ON s.base_url = o.base_url AND s.endpoint = o.endpoint AND s.order_key = o.order_key
    WHERE o.base_url = ?1 AND o.endpoint = ?2 AND o.state = 'created' AND o.order_uuid IS NOT NULL";

fn known(r: &rusqlite::Row) -> rusqlite::Result<Known> {
    Ok(Known {
        key: r.get(0)?,
        order_uuid: r.get(1)?,
        customer_uuid: r.get(2)?,
        source_file: r.get(3)?,
        source_rows: r.get(4)?,
        status: r.get(5)?,
        previous: r.get(6)?,
        changed_at: r.get(7)?,
        checked_at: r.get(8)?,
        not_found: r.get::<_, i64>(9)? != 0,
        amount: r.get(10)?,
    })
}

impl Ledger {
    /// Every order of the scope the ledger holds as created, in the order first seen.
    pub fn created_orders(&self, scope: &Scope) -> Result<Vec<Known>, Error> {
        let sql_text = format!("{KNOWN} ORDER BY o.first_seen, o.order_key");
        self.connection
            .prepare(&sql_text)
            .and_then(|mut s| {
                s.query_map(params![scope.base_url, scope.endpoint], known)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| sql(&self.path, e))
    }

    /// The created order of the scope with this provider id.
    pub fn created_order(&self, scope: &Scope, order_uuid: &str) -> Result<Option<Known>, Error> {
        let sql_text = format!("{KNOWN} AND o.order_uuid = ?3");
        self.connection
            .query_row(
                &sql_text,
                params![scope.base_url, scope.endpoint, order_uuid],
                known,
            )
            .optional()
            .map_err(|e| sql(&self.path, e))
    }

    /// Records what an ask said of an order: a status that differs (case-insensitively) from
    /// the one known becomes the latest, with the one before it, and a row of the history; a
    /// 404 leaves the status as it was and marks the order not found. Returns whether the
    /// status changed.
    pub fn record_status(
        &mut self,
        scope: &Scope,
        key: &str,
        order_uuid: &str,
        seen: &Seen,
        by: SeenBy,
    ) -> Result<bool, Error> {
        let path = self.path.clone();
        let stamp = now();
        let mut run = || -> rusqlite::Result<bool> {
            let tx = self
                .connection
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let before: Option<Option<String>> = tx
                .query_row(
                    "SELECT status FROM statuses WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3",
                    params![scope.base_url, scope.endpoint, key],
                    |r| r.get(0),
                )
                .optional()?;
            let before = before.flatten();
            let changed = match seen {
                Seen::NotFound => {
                    tx.execute(
                        "INSERT INTO statuses (base_url, endpoint, order_key, order_uuid, checked_at, not_found)
                         VALUES (?1, ?2, ?3, ?4, ?5, 1)
                         ON CONFLICT (base_url, endpoint, order_key) DO UPDATE SET
                             order_uuid = ?4, checked_at = ?5, not_found = 1",
                        params![scope.base_url, scope.endpoint, key, order_uuid, stamp],
                    )?;
                    false
                }
                Seen::Status { status, amount } => {
                    let changed = !before
                        .as_deref()
                        .is_some_and(|b| b.eq_ignore_ascii_case(status));
                    if changed {
                        tx.execute(
                            "INSERT INTO status_history (base_url, endpoint, order_key, order_uuid,
                                 status, previous, seen_at, seen_by)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            params![
                                scope.base_url,
                                scope.endpoint,
                                key,
                                order_uuid,
                                status,
                                before,
                                stamp,
                                by.as_str()
                            ],
                        )?;
                        tx.execute(
                            "INSERT INTO statuses (base_url, endpoint, order_key, order_uuid, status,
                                 previous, changed_at, checked_at, not_found, amount)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, 0, ?8)
                             ON CONFLICT (base_url, endpoint, order_key) DO UPDATE SET
                                 order_uuid = ?4, status = ?5, previous = ?6, changed_at = ?7,
                                 checked_at = ?7, not_found = 0, amount = COALESCE(?8, amount)",
                            params![
                                scope.base_url,
                                scope.endpoint,
                                key,
                                order_uuid,
                                status,
                                before,
                                stamp,
                                amount
                            ],
                        )?;
                    } else {
                        tx.execute(
                            "UPDATE statuses SET checked_at = ?4, not_found = 0,
                                 amount = COALESCE(?5, amount)
                             WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3",
                            params![scope.base_url, scope.endpoint, key, stamp, amount],
                        )?;
                    }
                    changed
                }
            };
            tx.commit()?;
            Ok(changed)
        };
        run().map_err(|e| sql(&path, e))
    }

    /// Every change of an order's status, oldest first.
    pub fn status_changes(&self, scope: &Scope, key: &str) -> Result<Vec<Change>, Error> {
        self.connection
            .prepare(
                "SELECT status, previous, seen_at, seen_by FROM status_history
                 WHERE base_url = ?1 AND endpoint = ?2 AND order_key = ?3 ORDER BY id",
            )
            .and_then(|mut s| {
                s.query_map(params![scope.base_url, scope.endpoint, key], |r| {
                    Ok(Change {
                        status: r.get(0)?,
                        previous: r.get(1)?,
                        seen_at: r.get(2)?,
                        seen_by: r.get(3)?,
                    })
                })?
                .collect()
            })
            .map_err(|e| sql(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::outcome::Ids;
    use crate::send::ledger::State;

    #[test]
    fn a_change_is_recorded_with_the_status_before_and_a_404_keeps_the_status() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
        let scope = Scope {
            base_url: "https://demo".into(),
            endpoint: "invoice-session".into(),
        };
        ledger.sending(&scope, "A", "f", "s.csv", &[2]).unwrap();
        let ids = Ids {
            order_uuid: "ODR1".into(),
            customer_uuid: None,
            url: None,
        };
        ledger
            .settle(&scope, "A", State::Created, Some(&ids), None)
            .unwrap();
        let seen = |status: &str| Seen::Status {
            status: status.into(),
            amount: None,
        };
        let by = SeenBy::Status;
        assert!(ledger
            .record_status(&scope, "A", "ODR1", &seen("SENT"), by)
            .unwrap());
        assert!(!ledger
            .record_status(&scope, "A", "ODR1", &seen("sent"), by)
            .unwrap());
        assert!(ledger
            .record_status(&scope, "A", "ODR1", &seen("PAID"), by)
            .unwrap());
        assert!(!ledger
            .record_status(&scope, "A", "ODR1", &Seen::NotFound, by)
            .unwrap());
        let known = ledger.created_order(&scope, "ODR1").unwrap().unwrap();
        assert_eq!(
            (
                known.status.as_deref(),
                known.previous.as_deref(),
                known.not_found
            ),
            (Some("PAID"), Some("SENT"), true)
        );
        let history: Vec<_> = ledger
            .status_changes(&scope, "A")
            .unwrap()
            .into_iter()
            .map(|c| (c.status, c.previous))
            .collect();
        assert_eq!(
            history,
            [("SENT".into(), None), ("PAID".into(), Some("SENT".into()))]
        );
    }

    #[test]
    fn the_amount_is_the_body_sent_where_the_provider_gives_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
        let scope = Scope {
            base_url: "https://demo".into(),
            endpoint: "invoice-session".into(),
        };
        let sending = crate::send::ledger::Change::Sending {
            key: "A".into(),
            fingerprint: "f".into(),
            source_file: "s.csv".into(),
            rows: vec![2],
            update_of: None,
            payload: Some(r#"{"orderSummary":{"grandTotal":"458.00"}}"#.into()),
        };
        ledger.apply(&scope, &[sending]).unwrap();
        let ids = Ids {
            order_uuid: "ODR1".into(),
            customer_uuid: None,
            url: None,
        };
        ledger
            .settle(&scope, "A", State::Created, Some(&ids), None)
            .unwrap();
        let known = ledger.created_order(&scope, "ODR1").unwrap().unwrap();
        assert_eq!(known.amount.as_deref(), Some("458.00"));
        let seen = Seen::Status {
            status: "PAID".into(),
            amount: Some("500.00".into()),
        };
        ledger
            .record_status(&scope, "A", "ODR1", &seen, SeenBy::Status)
            .unwrap();
        let known = ledger.created_order(&scope, "ODR1").unwrap().unwrap();
        assert_eq!(
            known.amount.as_deref(),
            Some("500.00"),
            "the provider's word first"
        );
    }
}

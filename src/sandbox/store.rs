//! The sandbox's memory: stored orders and customers, the rate-limit windows, request counts and
//! the log of when each request arrived, the clock and the seeded dice of the faults. One mutex
//! each, held for a moment, never across an await.

use super::callbacks::{Change, Notifier};
use super::rules::Endpoint;
use super::{Clock, Config, Fault};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

/// An order the sandbox has created.
#[derive(Clone, Debug)]
pub struct StoredOrder {
    pub uuid: String,
    pub customer_uuid: String,
    pub reference_no: Option<String>,
    pub endpoint: Endpoint,
    pub status: &'static str,
    pub payload: Value,
    pub grand_total: Option<String>,
    pub created_at: i64,
    /// How many times it was updated through `fpgoUuid`.
    pub updates: u32,
}

#[derive(Default)]
struct Orders {
    list: Vec<StoredOrder>,
    by_uuid: HashMap<String, usize>,
    /// Customer id by personal or organisation number, and every customer id given out.
    customers: HashMap<String, String>,
    customer_ids: HashSet<String>,
    /// Orders created per referenceNo: more than one means a client sent an order twice.
    created: HashMap<String, u32>,
}

/// The statuses an order can have, as the provider writes them.
pub const STATUSES: [&str; 7] = [
    "SENT",
    "INVOICED",
    "PAID",
    "CANCELLED",
    "EXPIRED",
    "REFUNDED",
    "PARTIAL REFUNDED",
];

/// A fixed window of the rate limiter.
struct Window {
    start: i64,
    count: u32,
}

/// The rate limiter's verdict on one request.
pub struct Quota {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the window ends.
    pub reset: i64,
}

/// One API request as the log keeps it.
struct Logged {
    route: String,
    outcome: String,
    /// When it arrived, in milliseconds since the sandbox started (a monotonic clock, not the
    /// sandbox's [`Clock`], which tests stop).
    arrived_ms: u64,
}

/// The log keeps this many requests, the latest ones.
pub const LOGGED: usize = 10_000;

/// Everything the sandbox remembers, shared by all connections.
pub struct Store {
    pub config: Config,
    /// The faults in force: the config's, until [`Store::set_faults`] changes them.
    faults: Mutex<Vec<(Fault, f64)>>,
    /// Faults the next requests suffer, one each, before any is rolled.
    next_faults: Mutex<VecDeque<Fault>>,
    orders: Mutex<Orders>,
    windows: Mutex<HashMap<String, Window>>,
    stats: Mutex<BTreeMap<String, BTreeMap<String, u64>>>,
    started: Instant,
    log: Mutex<VecDeque<Logged>>,
    dice: Mutex<fastrand::Rng>,
    /// Sends the callbacks of status changes, when the config asks for them.
    notifier: Option<Notifier>,
}

/// The length of a rate-limit window.
pub const WINDOW_SECONDS: i64 = 60;

impl Store {
    pub fn new(config: Config) -> Self {
        let seed = config.seed;
        let notifier = config
            .callbacks
            .clone()
            .and_then(|c| Notifier::new(c, config.log));
        Store {
            notifier,
            faults: Mutex::new(config.faults.clone()),
            next_faults: Mutex::default(),
            config,
            orders: Mutex::default(),
            windows: Mutex::default(),
            stats: Mutex::default(),
            started: Instant::now(),
            log: Mutex::default(),
            dice: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.config.clock
    }

    /// A number from the seeded sequence (the tool's one generator, `fastrand`, seeded): the
    /// same seed replays the same faults and ids for the same sequence of requests.
    fn roll(&self) -> u64 {
        self.dice.lock().unwrap_or_else(|e| e.into_inner()).u64(..)
    }

    /// A uniform number in [0, 1).
    pub fn uniform(&self) -> f64 {
        self.dice.lock().unwrap_or_else(|e| e.into_inner()).f64()
    }

    /// The fault this request suffers, if any: the next one queued by [`Store::fault_next`],
    /// else one roll against the cumulative probabilities.
    pub fn fault(&self) -> Option<Fault> {
        let queued = self
            .next_faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front();
        if queued.is_some() {
            return queued;
        }
        let faults = self
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if faults.is_empty() {
            return None;
        }
        let roll = self.uniform();
        let mut edge = 0.0;
        for (fault, p) in &faults {
            edge += p;
            if roll < edge {
                return Some(*fault);
            }
        }
        None
    }

    /// Replaces the faults in force (already checked).
    pub fn set_faults(&self, faults: Vec<(Fault, f64)>) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// The next `n` requests suffer `fault`, after any queued before.
    pub fn fault_next(&self, fault: Fault, n: usize) {
        let mut queued = self.next_faults.lock().unwrap_or_else(|e| e.into_inner());
        queued.extend(std::iter::repeat_n(fault, n));
    }

    /// Counts a request in its token's window.
    pub fn quota(&self, token: &str) -> Quota {
        let now = self.clock().now();
        let limit = self.config.rate_limit;
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let window = windows.entry(token.to_string()).or_insert(Window {
            start: now,
            count: 0,
        });
        if now >= window.start + WINDOW_SECONDS {
            *window = Window {
                start: now,
                count: 0,
            };
        }
        let reset = window.start + WINDOW_SECONDS;
        if window.count >= limit {
            return Quota {
                allowed: false,
                limit,
                remaining: 0,
                reset,
            };
        }
        window.count += 1;
        Quota {
            allowed: true,
            limit,
            remaining: limit - window.count,
            reset,
        }
    }

    /// Counts an answer (or a dropped connection) for the stats.
    pub fn count(&self, route: &str, outcome: &str) {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        *stats
            .entry(route.to_string())
            .or_default()
            .entry(outcome.to_string())
            .or_default() += 1;
    }

    /// Logs a request that arrived at `arrived` with its answer (the latest [`LOGGED`] kept).
    pub fn log(&self, route: &str, outcome: &str, arrived: Instant) {
        let arrived_ms = arrived.saturating_duration_since(self.started).as_millis();
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if log.len() >= LOGGED {
            log.pop_front();
        }
        log.push_back(Logged {
            route: route.to_string(),
            outcome: outcome.to_string(),
            arrived_ms: u64::try_from(arrived_ms).unwrap_or(u64::MAX),
        });
    }

    /// The logged requests, oldest first: `{"requests": [{"route", "outcome", "arrived_ms"}]}`.
    pub fn requests(&self) -> Value {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let list: Vec<Value> = log
            .iter()
            .map(|r| json!({"route": r.route, "outcome": r.outcome, "arrived_ms": r.arrived_ms}))
            .collect();
        json!({"requests": list})
    }

    pub fn stats(&self) -> Value {
        let stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        let total: u64 = stats.values().flat_map(|m| m.values()).sum();
        json!({"total": total, "routes": *stats})
    }

    pub fn order_exists(&self, uuid: &str) -> bool {
        self.lock_orders().by_uuid.contains_key(uuid)
    }

    /// The orders, each moved on first where `auto_advance` says its time has come.
    fn lock_orders(&self) -> std::sync::MutexGuard<'_, Orders> {
        let mut orders = self.orders.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(step) = self.config.auto_advance {
            let now = self.clock().now();
            let step = step.as_secs().max(1) as i64;
            for order in &mut orders.list {
                let age = now - order.created_at;
                let before = order.status;
                order.status = match order.status {
                    "SENT" | "INVOICED" if age >= 2 * step => "PAID",
                    "SENT" if age >= step => "INVOICED",
                    status => status,
                };
                if order.status != before {
                    self.notify(order);
                }
            }
        }
        orders
    }

    /// Sends the callback of an order's new status, when callbacks are configured.
    fn notify(&self, order: &StoredOrder) {
        if let Some(notifier) = &self.notifier {
            let change = Change {
                uuid: order.uuid.clone(),
                status: order.status,
                amount: order.grand_total.clone(),
                created_at: order.created_at,
            };
            notifier.send(&change, self.clock().now());
        }
    }

    /// A fresh id: a prefix and ten digits that no stored order or customer has.
    fn fresh_id(&self, prefix: &str, taken: impl Fn(&str) -> bool) -> String {
        loop {
            let id = format!("{prefix}{:010}", self.roll() % 10_000_000_000);
            if !taken(&id) {
                return id;
            }
        }
    }

    /// Creates an order, or updates the one `fpgoUuid` names; returns it.
    pub fn save(&self, endpoint: Endpoint, payload: Value) -> StoredOrder {
        let now = self.clock().now();
        let text = |path: &[&str]| {
            path.iter()
                .try_fold(&payload, |v, k| v.get(*k))
                .and_then(Value::as_str)
                .map(str::to_string)
                .filter(|s| !s.trim().is_empty())
        };
        let reference_no = text(&["referenceNo"]);
        // A company is known by its organisation number, a person by the personal number: a
        // corporate order may carry a contact's personal number too (regular-invoice demands one).
        let identity = if text(&["customerDetails", "type"]).as_deref() == Some("corporate") {
            text(&["customerDetails", "organizationId"]).map(|o| format!("org:{o}"))
        } else {
            text(&["customerDetails", "personalNumber"]).map(|p| format!("person:{p}"))
        };
        let grand_total = payload
            .get("orderSummary")
            .and_then(|s| s.get("grandTotal"))
            .map(super::laravel::as_text);
        let update = text(&["fpgoUuid"]);
        let mut orders = self.lock_orders();
        if let Some(i) = update.and_then(|u| orders.by_uuid.get(&u).copied()) {
            let order = &mut orders.list[i];
            order.payload = payload;
            order.reference_no = reference_no;
            order.grand_total = grand_total;
            order.updates += 1;
            return order.clone();
        }
        let customer_uuid = match identity.as_ref().and_then(|id| orders.customers.get(id)) {
            Some(existing) => existing.clone(),
            None => {
                let id = self.fresh_id("CSRT", |id| orders.customer_ids.contains(id));
                orders.customer_ids.insert(id.clone());
                if let Some(identity) = identity {
                    orders.customers.insert(identity, id.clone());
                }
                id
            }
        };
        let uuid = self.fresh_id("ODR", |id| orders.by_uuid.contains_key(id));
        let order = StoredOrder {
            uuid: uuid.clone(),
            customer_uuid,
            reference_no: reference_no.clone(),
            endpoint,
            status: match endpoint {
                Endpoint::InvoiceSession => "SENT",
                Endpoint::RegularInvoice => "INVOICED",
            },
            payload,
            grand_total,
            created_at: now,
            updates: 0,
        };
        if let Some(reference) = reference_no {
            *orders.created.entry(reference).or_default() += 1;
        }
        let index = orders.list.len();
        orders.by_uuid.insert(uuid, index);
        orders.list.push(order.clone());
        order
    }

    pub fn order(&self, uuid: &str) -> Option<StoredOrder> {
        let orders = self.lock_orders();
        orders.by_uuid.get(uuid).map(|&i| orders.list[i].clone())
    }

    /// Cancels an order: its status before, or `None` when there is no such order. A paid or
    /// already cancelled order is left as it is.
    pub fn cancel(&self, uuid: &str) -> Option<&'static str> {
        let mut orders = self.lock_orders();
        let i = *orders.by_uuid.get(uuid)?;
        let order = &mut orders.list[i];
        let before = order.status;
        if !matches!(before, "PAID" | "CANCELLED") {
            order.status = "CANCELLED";
            self.notify(order);
        }
        Some(before)
    }

    /// Moves an order to another status (for tests and demos): its status before, `Err` with
    /// the reason when there is no such order or no such status.
    pub fn set_status(&self, uuid: &str, status: &str) -> Result<&'static str, String> {
        let status = STATUSES
            .iter()
            .copied()
            .find(|s| s.eq_ignore_ascii_case(status.trim()))
            .ok_or_else(|| {
                format!(
                    "\"{status}\" is not a status; the statuses are {}",
                    STATUSES.join(", ")
                )
            })?;
        let mut orders = self.lock_orders();
        let i = *orders
            .by_uuid
            .get(uuid)
            .ok_or_else(|| format!("there is no order {uuid}"))?;
        let order = &mut orders.list[i];
        let before = order.status;
        order.status = status;
        if before != status {
            self.notify(order);
        }
        Ok(before)
    }

    /// Every stored order, oldest first.
    pub fn orders(&self) -> Vec<StoredOrder> {
        self.lock_orders().list.clone()
    }

    /// How many orders were created with this referenceNo.
    pub fn created(&self, reference: &str) -> u32 {
        self.lock_orders()
            .created
            .get(reference)
            .copied()
            .unwrap_or(0)
    }

    /// Forgets everything: orders, customers, windows, counts and the log.
    pub fn reset(&self) {
        *self.lock_orders() = Orders::default();
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

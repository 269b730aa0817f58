//! The one integration-test binary: the tests run the built `fpgo-export` on fixtures written
//! into a temporary directory, talk to the sandbox over loopback HTTP, and run `submit`
//! against an in-process sandbox. `support/` is the harness they share; every other module is
//! one feature.

// `check`: CSV in any encoding and delimiter, XLSX cells, `--sheet`, missing and unknown columns.
mod check_reading;
// `check`: `--set`, the config file's columns and defaults, and their errors.
mod check_config;
// `check`: values that differ between an order's lines, line amounts, order dates.
mod check_rules;
// `check`: the payloads, money per VAT rate, discounts, random sheets priced by the book.
mod check_money;
// `check`: the XLSX, JSON and CSV result files, and never onto the sheet.
mod check_results;
// The templates and the sample sheets.
mod check_samples;
// Hostile files: empty, garbage, truncated, stray cells, huge lines, ragged rows, open quotes.
mod hostile_files;
// Hostile cells: non-numbers, formula errors, sign-led text, dates outside Excel's, huge cells.
mod hostile_cells;
// The sandbox's rules of both endpoints, in the provider's wording.
mod sandbox_rules;
// The sandbox reading whole bodies: all errors at once, numbers, not JSON, arithmetic.
mod sandbox_bodies;
// The sandbox's token check and rate-limit window.
mod sandbox_limits;
// The sandbox's faults, replayed by seed.
mod sandbox_faults;
// The sandbox's stored orders: updates, customer ids, status and introspection routes.
mod sandbox_orders;
// The sandbox's callback notifications of status changes.
mod sandbox_callbacks;
// The sandbox shutting down, and the `fpgo-export sandbox` binary.
mod sandbox_serving;
// `submit`: every order exactly once, through faults and kills.
mod submit_exactly_once;
// `submit`: answers that never come, uncertain orders and `--retry-uncertain`.
mod submit_uncertain;
// `submit`: 401, 429, and what is refused before anything is sent.
mod submit_refusals;
// `submit` again: updates, a ledger in use, the failed-rows file.
mod submit_reruns;
// `submit --dry-run`: the plan without sending or writing the ledger; the plan said up front.
mod submit_dry_run;
// `submit`: the token and personal numbers in nothing it prints or writes.
mod submit_secrets;
// `status` and `cancel`: what became of the orders sent, and cancelling them.
mod status;
// Regression tests: the holes that could invoice someone twice.
mod safety_twice;
// Regression tests: the holes that could hang a run or strand an order.
mod safety_stuck;
// The regular-invoice endpoint: orders created with shipping, config defaults.
mod regular_created;
// The regular-invoice endpoint: every seed-003 rule broken in turn, a missing column.
mod regular_rules;
// Both endpoints: unused columns, one sheet as two sets of orders, `d M, Y`, templates.
mod regular_endpoints;
// Command-line conventions: a closed stdout, the levels of -v.
mod conventions;
// The command line itself: the help's exit codes, shell completions, the manual page.
mod cli;
mod first_hour;
// Snapshots (insta) of a result file and the summaries a person reads.
mod snapshot;
// The harness: workdir, fixtures, runs and the `Test` builder, readers, providers.
mod support;
// The browser app (`serve`): its routes, its security, its callbacks.
mod web_routes;
// The browser app in headless Chromium: upload, problems by the ARIA contract, a fix in
// place, sending from the keyboard, progress, downloads, history; the docs' screenshots.
mod web_browser;

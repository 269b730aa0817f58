//! The harness: a [`Workdir`] on a temporary directory, fixture writers (CSV bytes in any
//! encoding, XLSX through rust_xlsxwriter), a runner for the built binary and readers for the
//! files it writes. Every `check` run goes through [`Workdir::check`], which pins the date with
//! `--today 2026-11-21`, so no test depends on the wall clock.

#![allow(dead_code)]

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The date every test runs on.
pub const TODAY: &str = "2026-11-21";

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_fpgo-export");

/// A run that takes longer than this is a hang: the test fails instead of waiting forever.
const WATCHDOG: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------------------------------------
// Sheets as tables of text

/// The headers of a complete invoice-session sheet, canonical names.
pub const HEADERS: &[&str] = &[
    "order_ref",
    "order_date",
    "customer_type",
    "name",
    "email",
    "phone",
    "personal_number",
    "organization_id",
    "street",
    "zip",
    "city",
    "country",
    "invoice_fee",
    "callback_url",
    "success_url",
    "failure_url",
    "product_name",
    "product_id",
    "quantity",
    "unit_price",
    "vat_rate",
    "line_amount",
];

/// The order-level cells of a valid private customer (the provider's example person).
pub const PRIVATE: &[(&str, &str)] = &[
    ("customer_type", "private"),
    ("name", "Kari Nordmann"),
    ("email", "kari.nordmann@example.no"),
    ("phone", "+47 465 67 468"),
    ("personal_number", "28038712383"),
    ("street", "Klosterenget 144"),
    ("zip", "7030"),
    ("city", "Trondheim"),
    ("country", "NO"),
    ("invoice_fee", "yes"),
    ("callback_url", "https://shop.example.no/fpgo/callback"),
    ("success_url", "https://shop.example.no/fpgo/success"),
    ("failure_url", "https://shop.example.no/fpgo/failure"),
];

/// The order-level cells of a valid corporate customer.
pub const CORPORATE: &[(&str, &str)] = &[
    ("customer_type", "bedrift"),
    ("name", "Fjordkraft Ålesund AS"),
    ("email", "faktura@fjordkraft.example.no"),
    ("phone", "40654912"),
    ("organization_id", "NO 914 286 018 MVA"),
    ("street", "Keiser Wilhelms gate 10"),
    ("zip", "6003"),
    ("city", "Ålesund"),
    ("country", "NO"),
    ("invoice_fee", "no"),
    ("callback_url", "https://shop.example.no/fpgo/callback"),
    ("success_url", "https://shop.example.no/fpgo/success"),
    ("failure_url", "https://shop.example.no/fpgo/failure"),
];

/// One product line: name, quantity, unit price, VAT rate (line_amount left blank).
pub type Item<'a> = (&'a str, &'a str, &'a str, &'a str);

/// A sheet as rows of text under a header row; rendered to CSV or XLSX by the writers below.
#[derive(Clone, Debug)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// A table with every column of [`HEADERS`].
    pub fn standard() -> Self {
        Table::new(HEADERS)
    }

    fn column(&self, header: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("the table has no column {header:?}"))
    }

    /// Appends a row with the given cells (by header); the rest blank. Returns its index.
    pub fn push(&mut self, cells: &[(&str, &str)]) -> usize {
        let mut row = vec![String::new(); self.headers.len()];
        for (h, v) in cells {
            row[self.column(h)] = v.to_string();
        }
        self.rows.push(row);
        self.rows.len() - 1
    }

    /// Appends an order: the customer's cells on its first line only (later lines inherit).
    pub fn order(
        &mut self,
        order_ref: &str,
        customer: &[(&str, &str)],
        items: &[Item],
    ) -> &mut Self {
        for (i, (product, qty, price, vat)) in items.iter().enumerate() {
            let mut cells: Vec<(&str, &str)> = vec![
                ("order_ref", order_ref),
                ("product_name", product),
                ("quantity", qty),
                ("unit_price", price),
                ("vat_rate", vat),
            ];
            if i == 0 {
                cells.extend_from_slice(customer);
            }
            self.push(&cells);
        }
        self
    }

    /// Sets one cell of an existing row (index into `rows`, not a sheet row number).
    pub fn set(&mut self, row: usize, header: &str, value: &str) -> &mut Self {
        let c = self.column(header);
        self.rows[row][c] = value.to_string();
        self
    }

    /// Appends a blank line (a row of empty cells).
    pub fn blank(&mut self) -> &mut Self {
        self.rows.push(vec![String::new(); self.headers.len()]);
        self
    }

    /// The table as CSV text with this delimiter (quoted where needed).
    pub fn csv(&self, delimiter: u8) -> String {
        let mut w = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(Vec::new());
        w.write_record(&self.headers).unwrap();
        for row in &self.rows {
            w.write_record(row).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    /// The table as a workbook with one sheet, "Orders" (see [`Table::write_to`]).
    pub fn xlsx(&self) -> Xlsx {
        let mut x = Xlsx::new("Orders");
        self.write_to(&mut x);
        x
    }

    /// Writes the table into the workbook's last sheet from its first row: numbers where the
    /// text is a plain number (as Excel stores what people type), text otherwise.
    pub fn write_to(&self, x: &mut Xlsx) {
        x.row(0, self.headers.iter().map(|h| X::text(h)).collect());
        for (i, row) in self.rows.iter().enumerate() {
            let cells = row
                .iter()
                .map(|v| match v.parse::<f64>() {
                    _ if v.is_empty() => X::Empty,
                    // Identifiers keep their zeros only as text.
                    Ok(n) if !v.starts_with('0') || v == "0" || v.starts_with("0.") => X::Num(n),
                    _ => X::text(v),
                })
                .collect();
            x.row(i as u32 + 1, cells);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// XLSX fixtures

/// One cell of an XLSX fixture.
#[derive(Clone, Debug)]
pub enum X {
    Empty,
    /// A blank cell that exists in the file (it has a format), as Excel keeps after a delete.
    Blank,
    Text(String),
    Num(f64),
    /// A date cell with a date format.
    Date(u16, u8, u8),
    /// A number with a date format: what Excel stores for a date, its serial day (any number,
    /// even one no calendar date matches).
    Serial(f64),
    Bool(bool),
    /// A formula with its cached result (`#N/A` is written as an error result).
    Formula(String, String),
}

impl X {
    pub fn text(s: &str) -> X {
        X::Text(s.to_string())
    }
}

/// A cell at zero-based (row, column).
type Placed = (u32, u16, X);

/// A workbook fixture: sheets of cells at explicit positions.
#[derive(Clone, Debug)]
pub struct Xlsx {
    /// Each sheet's name and its cells (zero-based row, column).
    sheets: Vec<(String, Vec<Placed>)>,
}

impl Xlsx {
    pub fn new(first_sheet: &str) -> Self {
        Xlsx {
            sheets: vec![(first_sheet.to_string(), Vec::new())],
        }
    }

    /// Starts another sheet; later cells go there.
    pub fn sheet(&mut self, name: &str) -> &mut Self {
        self.sheets.push((name.to_string(), Vec::new()));
        self
    }

    /// Writes a row at a zero-based row index (Excel row `row + 1`).
    pub fn row(&mut self, row: u32, cells: Vec<X>) -> &mut Self {
        for (c, cell) in cells.into_iter().enumerate() {
            self.cell(row, c as u16, cell);
        }
        self
    }

    /// Writes one cell at zero-based coordinates.
    pub fn cell(&mut self, row: u32, col: u16, cell: X) -> &mut Self {
        let sheet = self.sheets.last_mut().expect("a sheet");
        sheet.1.retain(|(r, c, _)| (*r, *c) != (row, col));
        sheet.1.push((row, col, cell));
        self
    }

    /// Replaces the cell of the last sheet at `row` under the header `header` (on row 0).
    pub fn set(&mut self, row: u32, header: &str, cell: X) -> &mut Self {
        let sheet = self.sheets.last().expect("a sheet");
        let col = sheet
            .1
            .iter()
            .find(|(r, _, x)| *r == 0 && matches!(x, X::Text(t) if t == header))
            .map(|(_, c, _)| *c)
            .unwrap_or_else(|| panic!("no header {header:?}"));
        self.cell(row, col, cell)
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut book = Workbook::new();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        let blank = Format::new().set_background_color(rust_xlsxwriter::Color::RGB(0xFFFFCC));
        for (name, cells) in &self.sheets {
            let sheet = book.add_worksheet();
            sheet.set_name(name).unwrap();
            for (r, c, cell) in cells {
                let (r, c) = (*r, *c);
                match cell {
                    X::Empty => {}
                    X::Blank => {
                        sheet.write_blank(r, c, &blank).unwrap();
                    }
                    X::Text(t) => {
                        sheet.write_string(r, c, t).unwrap();
                    }
                    X::Num(n) => {
                        sheet.write_number(r, c, *n).unwrap();
                    }
                    X::Date(y, m, d) => {
                        let dt = ExcelDateTime::from_ymd(*y, *m, *d).unwrap();
                        sheet.write_datetime_with_format(r, c, &dt, &date).unwrap();
                    }
                    X::Serial(n) => {
                        sheet.write_number_with_format(r, c, *n, &date).unwrap();
                    }
                    X::Bool(b) => {
                        sheet.write_boolean(r, c, *b).unwrap();
                    }
                    X::Formula(f, result) => {
                        sheet
                            .write_formula(r, c, Formula::new(f).set_result(result))
                            .unwrap();
                    }
                }
            }
        }
        book.save_to_buffer().unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Encodings

/// How a CSV fixture's text becomes bytes.
#[derive(Clone, Copy, Debug)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
}

pub fn encode(text: &str, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.as_bytes().to_vec(),
        Encoding::Utf8Bom => {
            let mut b = b"\xef\xbb\xbf".to_vec();
            b.extend_from_slice(text.as_bytes());
            b
        }
        Encoding::Windows1252 => {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
            assert!(!unmappable, "the fixture has characters Windows-1252 lacks");
            bytes.into_owned()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Running the binary

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The `--json` summary on stdout.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }

    /// Asserts the run ended normally (no panic, no signal) with this exit code.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        assert!(
            !self.stderr.contains("panicked"),
            "the binary panicked:\n{}",
            self.stderr
        );
        assert!(
            !self.stderr.contains("RUST_BACKTRACE"),
            "the binary panicked:\n{}",
            self.stderr
        );
        assert_eq!(
            self.code, code,
            "exit code\nstdout: {}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The lines of stderr that are errors stopping the run (`error: …` at the start).
    pub fn fatal_errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect()
    }
}

/// A temporary directory where fixtures are written and the binary runs.
pub struct Workdir {
    dir: tempfile::TempDir,
}

impl Default for Workdir {
    fn default() -> Self {
        Self::new()
    }
}

impl Workdir {
    pub fn new() -> Self {
        Workdir {
            dir: tempfile::Builder::new()
                .prefix("fpgo-it-")
                .tempdir()
                .unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes raw bytes; returns the path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Writes CSV text in an encoding.
    pub fn write_csv(&self, name: &str, text: &str, encoding: Encoding) -> PathBuf {
        self.write(name, encode(text, encoding))
    }

    /// Writes a workbook fixture.
    pub fn write_xlsx(&self, name: &str, book: &Xlsx) -> PathBuf {
        self.write(name, book.bytes())
    }

    /// Copies a file of the source tree (such as `samples/orders.xlsx`) into the workdir.
    pub fn copy_from_repo(&self, relative: &str) -> PathBuf {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
        let to = self.join(from.file_name().unwrap().to_str().unwrap());
        std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        to
    }

    pub fn read(&self, name: &str) -> String {
        let path = self.join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.join(name).exists()
    }

    /// Runs the binary with these arguments in the workdir.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_command(Command::new(BIN).args(args))
    }

    /// Runs the binary with these environment variables; `FPGO_TOKEN` is removed from the
    /// inherited environment first, so only what is given here reaches it.
    pub fn run_env(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut command = Command::new(BIN);
        command.args(args).env_remove("FPGO_TOKEN");
        for (name, value) in env {
            command.env(name, value);
        }
        self.run_command(&mut command)
    }

    /// Runs the binary under a limit on its address space (in MiB), so a run that tries to
    /// allocate gigabytes fails instead of succeeding slowly.
    pub fn run_limited(&self, mib: u64, args: &[&str]) -> Output {
        let script = format!("ulimit -v {} && exec \"$0\" \"$@\"", mib * 1024);
        self.run_command(Command::new("sh").arg("-c").arg(script).arg(BIN).args(args))
    }

    /// `fpgo-export check SHEET --today 2026-11-21 EXTRA…`.
    pub fn check(&self, sheet: &str, extra: &[&str]) -> Output {
        let mut args = vec!["check", sheet, "--today", TODAY];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    fn run_command(&self, command: &mut Command) -> Output {
        // Output goes to files, not pipes, so a run that writes a lot never blocks on a full
        // pipe while the watchdog polls.
        let out_path = self.join(".stdout");
        let err_path = self.join(".stderr");
        let mut child = command
            .current_dir(self.path())
            // The default ledger lives in the user's data directory: each test has its own.
            .env("XDG_DATA_HOME", self.join("data"))
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(File::create(&out_path).unwrap())
            .stderr(File::create(&err_path).unwrap())
            .spawn()
            .expect("the binary starts");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > WATCHDOG {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the run took more than {WATCHDOG:?}: {command:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
        let output = Output {
            code: status
                .code()
                .unwrap_or_else(|| panic!("killed by a signal: {status:?}\n{}", read(&err_path))),
            stdout: read(&out_path),
            stderr: read(&err_path),
        };
        let _ = std::fs::remove_file(out_path);
        let _ = std::fs::remove_file(err_path);
        output
    }

    /// Reads a CSV result file (UTF-8 with a BOM, as the tool writes it).
    pub fn result_csv(&self, name: &str) -> ResultCsv {
        let bytes = std::fs::read(self.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = bytes
            .strip_prefix(b"\xef\xbb\xbf")
            .unwrap_or_else(|| panic!("{name} does not start with a UTF-8 BOM"));
        let text = std::str::from_utf8(text).expect("the result is UTF-8");
        let delimiter = if text.lines().next().unwrap_or("").contains(';') {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        ResultCsv { headers, rows }
    }

    /// Reads a `--payloads` file: one JSON object per line.
    pub fn payloads(&self, name: &str) -> Vec<serde_json::Value> {
        self.read(name)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Replaces the workdir's path with `[DIR]` and durations (`12ms`, `1.5s`) with `[TIME]`,
    /// for snapshots.
    pub fn redact(&self, text: &str) -> String {
        let dir = self.path().to_str().unwrap();
        let canonical = self.path().canonicalize().unwrap();
        let text = text
            .replace(canonical.to_str().unwrap(), "[DIR]")
            .replace(dir, "[DIR]");
        redact_times(&text)
    }
}

/// Replaces every word that is a duration (`323.48µs`, `12ms`, `1.5s`) with `[TIME]`.
pub fn redact_times(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|piece| {
            let core = piece.trim_end().trim_end_matches([',', ';', ')']);
            let tail = &piece[core.len()..];
            let number = ["ns", "µs", "ms", "s"]
                .iter()
                .find_map(|unit| core.strip_suffix(unit))
                .filter(|n| n.starts_with(|c: char| c.is_ascii_digit()))
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
            match number {
                Some(_) => format!("[TIME]{tail}"),
                None => piece.to_string(),
            }
        })
        .collect()
}

/// A CSV result file read back.
#[derive(Debug)]
pub struct ResultCsv {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl ResultCsv {
    pub fn column(&self, header: &str) -> usize {
        self.headers
            .iter()
            .position(|h| h == header)
            .unwrap_or_else(|| panic!("the result has no column {header:?}: {:?}", self.headers))
    }

    /// The cell of result line `i` (0 = first data line) under `header`.
    pub fn get(&self, i: usize, header: &str) -> &str {
        &self.rows[i][self.column(header)]
    }

    pub fn statuses(&self) -> Vec<&str> {
        let c = self.column("status");
        self.rows.iter().map(|r| r[c].as_str()).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// A sandbox to send to

/// A sandbox started in the test's process, and a client for its introspection routes.
pub struct Provider {
    pub sandbox: fpgo_export::sandbox::Sandbox,
    pub http: reqwest::Client,
}

impl Provider {
    pub async fn start(config: fpgo_export::sandbox::Config) -> Provider {
        Provider {
            sandbox: fpgo_export::sandbox::Sandbox::start(config)
                .await
                .expect("the sandbox starts"),
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        }
    }

    pub fn base_url(&self) -> String {
        self.sandbox.base_url()
    }

    /// `GET /__sandbox/{what}` as JSON.
    pub async fn introspect(&self, what: &str) -> serde_json::Value {
        let url = format!("{}/__sandbox/{what}", self.sandbox.root_url());
        let response = self.http.get(url).send().await.unwrap();
        response.json().await.unwrap()
    }

    /// Every stored order, oldest first.
    pub async fn listed(&self) -> Vec<serde_json::Value> {
        self.introspect("orders").await["orders"]
            .as_array()
            .unwrap()
            .clone()
    }

    pub async fn stop(self) {
        self.sandbox.shutdown().await;
    }
}

// ---------------------------------------------------------------------------------------------
// A server that answers the same bytes to every request

/// A purpose-built server on loopback for what the sandbox will not do (redirect, answer 429
/// forever, send 50 MB): every request gets `answer`, written in 64 KiB pieces, and the
/// connection is closed. It counts the requests and the bytes the client took.
pub struct Canned {
    address: std::net::SocketAddr,
    requests: std::sync::Arc<std::sync::atomic::AtomicU64>,
    written: std::sync::Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Canned {
    pub async fn start(answer: Vec<u8>) -> Canned {
        use std::sync::atomic::Ordering::SeqCst;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let requests = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let written = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let answer = std::sync::Arc::new(answer);
        let (count, taken) = (requests.clone(), written.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (count, taken, answer) = (count.clone(), taken.clone(), answer.clone());
                tokio::spawn(async move {
                    // The request: its head, then as many bytes as its Content-Length says.
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 8192];
                    let head_end = loop {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                        if let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                            break at + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&request[..head_end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while request.len() < head_end + length {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    count.fetch_add(1, SeqCst);
                    for piece in answer.chunks(64 * 1024) {
                        if stream.write_all(piece).await.is_err() {
                            return;
                        }
                        taken.fetch_add(piece.len() as u64, SeqCst);
                    }
                    let _ = stream.shutdown().await;
                });
            }
        });
        Canned {
            address,
            requests,
            written,
            task,
        }
    }

    /// An HTTP/1.1 answer with this status line, extra headers and body.
    pub fn answer(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.address)
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Bytes of answers the clients took (written before a client closed the connection).
    pub fn written(&self) -> u64 {
        self.written.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.task.abort();
    }
}

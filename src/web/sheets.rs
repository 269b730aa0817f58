//! The sheets the page works on: an upload is kept in a private temporary folder of its own
//! (removed when the app stops), checked with the library's `check` as the command line
//! checks it, and checked again after every choice of the page (a column for a field, a value
//! for every order, a corrected cell). Corrections are written to a corrected copy in the
//! sheet's own format, and that copy is what is checked, sent and downloaded, so the user's
//! file and what was sent never drift apart.

use super::{pages, App};
use crate::cli::SheetArgs;
use crate::error::Error;
use crate::model::fields::Field;
use crate::model::Endpoint;
use crate::pipeline::map::{self, ColumnMap};
use crate::pipeline::read::{self, Cell, Sheet};
use crate::pipeline::{self, Checked, Settings};
use crate::send::ledger::{Scope, Snapshot, State};
use crate::send::plan::{self, Plan};
use crate::send::ready::Ready;
use crate::send::Planning;
use crate::settings::Choices;
use axum::extract::{Form, Multipart, Path, State as AppState};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Every sheet uploaded since the app started, by id.
pub struct Sheets {
    folder: tempfile::TempDir,
    next: AtomicU64,
    all: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Upload>>>>,
}

/// One uploaded sheet and what the page chose for it.
pub struct Upload {
    pub id: String,
    /// The file's name as the user's computer called it.
    pub name: String,
    /// The file as uploaded.
    pub original: PathBuf,
    /// The file checked and sent: the original, or its corrected copy once a cell was edited.
    pub current: PathBuf,
    pub endpoint: Endpoint,
    /// The sheet of a workbook to read; the names of all of them.
    pub sheet: Option<String>,
    pub sheet_names: Vec<String>,
    pub choices: Choices,
    /// Cells corrected on the page: (row, zero-based column) → text.
    pub edits: BTreeMap<(u32, usize), String>,
    pub view: View,
}

/// What the last check of an upload gave.
pub enum View {
    Checked(Box<Review>),
    /// Required fields have no column: the page asks for one (or a value for every order).
    Mapping(Box<Mapping>),
    /// The sheet cannot be read at all; why, and what to do.
    Unreadable(String),
}

/// A checked sheet, ready to be shown and sent.
pub struct Review {
    pub settings: Settings,
    pub checked: Checked,
    /// Each valid order's index and grand total (its body is made again when it is sent).
    pub valid: Vec<(usize, Decimal)>,
    /// The lines of the valid orders per VAT rate: their amount and how many.
    pub rates: Rates,
    /// What the ledger knows of each order key: its state and the provider's order id.
    pub known: Known,
    /// What a send would do now: the orders it would send.
    pub plan: Plan,
}

/// Per VAT rate (normalised: 25, not 25.00), the amount of the lines and how many there are.
pub type Rates = BTreeMap<Decimal, (Decimal, usize)>;

/// What the ledger knows of each order key: its state and the provider's order id.
pub type Known = HashMap<String, (State, Option<String>)>;

/// The mapping step: the headers found, the fields mapped, the required ones missing.
pub struct Mapping {
    pub map: ColumnMap,
    pub missing: Vec<Field>,
    pub message: String,
}

impl Sheets {
    pub fn new(folder: tempfile::TempDir) -> Sheets {
        Sheets {
            folder,
            next: AtomicU64::new(1),
            all: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<tokio::sync::Mutex<Upload>>> {
        self.all.lock().ok()?.get(id).cloned()
    }

    fn add(&self, upload: Upload) -> String {
        let id = upload.id.clone();
        if let Ok(mut all) = self.all.lock() {
            all.insert(id.clone(), Arc::new(tokio::sync::Mutex::new(upload)));
        }
        id
    }
}

/// `POST /sheets`: the file (and the endpoint, the workbook's sheet) from the form.
pub async fn upload(AppState(app): AppState<Arc<App>>, mut form: Multipart) -> Response {
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut endpoint = app.settings.endpoint;
    let mut sheet = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return too_large_or(&app, &e),
        };
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "sheet" => {
                let filename = field.file_name().unwrap_or("sheet.csv").to_string();
                match field.bytes().await {
                    Ok(bytes) => file = Some((filename, bytes.to_vec())),
                    Err(e) => return too_large_or(&app, &e),
                }
            }
            "endpoint" => {
                let text = field.text().await.unwrap_or_default();
                endpoint = Endpoint::named(&text).ok().or(endpoint);
            }
            "sheet_name" => {
                let text = field.text().await.unwrap_or_default();
                sheet = Some(text).filter(|t| !t.trim().is_empty());
            }
            _ => {}
        }
    }
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return pages::problem(
            &app,
            StatusCode::BAD_REQUEST,
            "No sheet was chosen, or the file is empty: choose a CSV or Excel file.",
        );
    };
    if bytes.len() > app.settings.max_upload {
        return too_large(&app);
    }
    let name = safe_name(&filename);
    let id = format!(
        "{}{}",
        app.sheets.next.fetch_add(1, Ordering::Relaxed),
        &super::guard::new_secret()[..8]
    );
    let dir = app.sheets.folder.path().join(&id);
    if let Err(e) = std::fs::create_dir(&dir).and_then(|()| std::fs::write(dir.join(&name), &bytes))
    {
        return pages::problem(
            &app,
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("The sheet could not be kept in {}: {e}", dir.display()),
        );
    }
    let original = dir.join(&name);
    tracing::info!("sheet {id} uploaded: {name}, {} bytes", bytes.len());
    let mut upload = Upload {
        id,
        name,
        sheet_names: read::sheet_names(&original),
        current: original.clone(),
        original,
        endpoint: endpoint.unwrap_or(Endpoint::InvoiceSession),
        sheet,
        choices: Choices::default(),
        edits: BTreeMap::new(),
        view: View::Unreadable(String::new()),
    };
    let checking = app.clone();
    match off_thread(&app, move || {
        recheck(&checking, &mut upload);
        upload
    })
    .await
    {
        Ok(upload) => Redirect::to(&format!("/sheets/{}", app.sheets.add(upload))).into_response(),
        Err(page) => page,
    }
}

/// Runs blocking work (a check, a file written) off the async threads; a panic in it is a
/// bug, and the page says so.
async fn off_thread<T: Send + 'static>(
    app: &App,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Response> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        pages::problem(
            app,
            StatusCode::INTERNAL_SERVER_ERROR,
            &Error::bug(format!(
                "checking the sheet or writing its file stopped: {e}"
            ))
            .to_string(),
        )
    })
}

/// A multipart body that could not be read: too large (the body limit), or why not.
fn too_large_or(app: &App, why: &axum::extract::multipart::MultipartError) -> Response {
    if why.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(app)
    } else {
        pages::problem(
            app,
            StatusCode::BAD_REQUEST,
            &format!("The upload could not be read: {why}"),
        )
    }
}

pub fn too_large(app: &App) -> Response {
    pages::problem(
        app,
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!(
            "The file is larger than this app takes ({} MB). Check it on the command line (fpgo-export check), or start the app with a larger --max-upload.",
            app.settings.max_upload / (1024 * 1024)
        ),
    )
}

/// A file name without any folder, safe to keep in the upload's folder.
fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .map(|c| if c.is_control() || c == ':' { '_' } else { c })
        .collect();
    match clean.trim().trim_start_matches('.') {
        "" => "sheet.csv".to_string(),
        name => name.to_string(),
    }
}

/// The arguments `check` would have for this upload, and the page's choices on top.
pub fn settings_args(app: &App, upload: &Upload) -> (SheetArgs, Choices) {
    (sheet_args(app, upload), upload.choices.clone())
}

fn sheet_args(app: &App, upload: &Upload) -> SheetArgs {
    SheetArgs {
        path: upload.current.clone(),
        // The corrected copy of a workbook holds the one sheet it was made of.
        sheet: upload
            .sheet
            .clone()
            .filter(|_| upload.current == upload.original),
        config: app
            .settings
            .config
            .exists()
            .then(|| app.settings.config.clone()),
        set: Vec::new(),
        output: Some(beside(upload, "result")),
        json: false,
        encoding: None,
        endpoint: Some(upload.endpoint),
        today: app.settings.today.clone(),
    }
}

/// A file beside the upload, named after it: `<stem>.<what>.<ext>`, the extension the
/// sheet's own kind of file (a workbook's files are workbooks).
fn beside(upload: &Upload, what: &str) -> PathBuf {
    let stem = std::path::Path::new(&upload.name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("sheet");
    let ext = if read::is_workbook(&upload.original) {
        "xlsx"
    } else {
        "csv"
    };
    upload
        .original
        .with_file_name(format!("{stem}.{what}.{ext}"))
}

/// Checks the upload again as it now stands (blocking: run it off the async threads).
pub fn recheck(app: &App, upload: &mut Upload) {
    upload.view = match check(app, upload) {
        Ok(view) => view,
        Err(e) => View::Unreadable(e.to_string()),
    };
}

fn check(app: &App, upload: &Upload) -> Result<View, Error> {
    let settings = Settings::for_page(&sheet_args(app, upload), &upload.choices)?;
    let planning = Planning::of(&settings, plan::Choices::default());
    let mut readying = planning.readying();
    let mut rates = Rates::new();
    let checked = match pipeline::check(&settings, |index, order| {
        for line in &order.lines {
            let entry = rates.entry(line.tax.normalize()).or_default();
            entry.0 += line.amount;
            entry.1 += 1;
        }
        readying.push((index, order))
    }) {
        Ok(checked) => checked,
        Err(Error::Columns { message, .. }) => {
            let sheet = Sheet::open(&settings.sheet, &settings.read)?;
            let map =
                ColumnMap::new(&sheet.headers, &settings.columns).map_err(|_| Error::Columns {
                    path: settings.sheet.clone(),
                    message: message.clone(),
                })?;
            let missing = map::missing(&map, &settings);
            return Ok(View::Mapping(Box::new(Mapping {
                map,
                missing,
                message,
            })));
        }
        Err(e) => return Err(e),
    };
    let mut checked = checked;
    let valid = readying.finish()?;
    let totals = valid.iter().map(|o| (o.index, o.grand_total)).collect();
    let (known, plan) = foresee(app, (&settings, planning), &mut checked, valid)?;
    Ok(View::Checked(Box::new(Review {
        settings,
        checked,
        valid: totals,
        rates,
        known,
        plan,
    })))
}

/// What the ledger knows of the sheet's orders and the plan a send would make of them, the
/// ledger only read (a check never writes it): held orders say why on their rows.
fn foresee(
    app: &App,
    (settings, planning): (&Settings, Planning),
    checked: &mut Checked,
    valid: Vec<Ready>,
) -> Result<(Known, Plan), Error> {
    let snapshot = Snapshot::open(&app.target.ledger)?;
    let scope = Scope {
        base_url: app.target.base_url.key.clone(),
        endpoint: settings.rules.endpoint.name().to_string(),
    };
    let known = checked
        .orders
        .iter()
        .filter_map(|o| {
            let record = snapshot.get(&scope, &o.key).ok().flatten()?;
            Some((o.key.clone(), (record.state, record.order_uuid)))
        })
        .collect();
    let plan = crate::send::foresee(&snapshot, &scope, (checked, valid), planning)?;
    Ok((known, plan))
}

/// The mapping form: for each missing field either a header or a value; `save` to keep the
/// choices in the config file.
pub async fn mapping(
    AppState(app): AppState<Arc<App>>,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let Some(upload) = app.sheets.get(&id) else {
        return pages::not_found(&app);
    };
    let mut upload = upload.lock_owned().await;
    let mut save = false;
    for (name, value) in form {
        let value = value.trim().to_string();
        if let Some(field) = name.strip_prefix("column.") {
            if !value.is_empty() {
                upload.choices.defaults.remove(field);
                upload.choices.columns.insert(field.to_string(), value);
            }
        } else if let Some(field) = name.strip_prefix("default.") {
            if !value.is_empty() {
                upload.choices.columns.remove(field);
                upload.choices.defaults.insert(field.to_string(), value);
            }
        } else if name == "endpoint" {
            if let Ok(endpoint) = Endpoint::named(&value) {
                upload.endpoint = endpoint;
            }
        } else if name == "sheet_name" && upload.sheet_names.contains(&value) {
            if upload.sheet.as_ref() != Some(&value) {
                // Corrections belong to the sheet they were made on.
                upload.edits.clear();
                upload.current = upload.original.clone();
            }
            upload.sheet = Some(value);
        } else if name == "save" {
            save = true;
        }
    }
    if save {
        if let Err(e) = crate::settings::save_choices(&app.settings.config, &upload.choices) {
            return pages::problem(&app, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
        }
        tracing::info!("column choices saved to {}", app.settings.config.display());
    }
    let checking = app.clone();
    match off_thread(&app, move || recheck(&checking, &mut upload)).await {
        Ok(()) => Redirect::to(&format!("/sheets/{id}")).into_response(),
        Err(page) => page,
    }
}

/// One corrected cell, from the grid's editor.
#[derive(serde::Deserialize)]
pub struct Edit {
    row: u32,
    /// 1-based, as `aria-colindex`.
    column: usize,
    value: String,
}

/// `POST /sheets/{id}/cells`: correct one cell, write the corrected copy, check it again.
pub async fn edit(
    AppState(app): AppState<Arc<App>>,
    Path(id): Path<String>,
    Form(edit): Form<Edit>,
) -> Response {
    let Some(upload) = app.sheets.get(&id) else {
        return pages::not_found(&app);
    };
    let mut upload = upload.lock_owned().await;
    if edit.column == 0 || edit.row == 0 {
        return pages::problem(&app, StatusCode::BAD_REQUEST, "no such cell");
    }
    upload.edits.insert((edit.row, edit.column - 1), edit.value);
    let checking = app.clone();
    let done = off_thread(&app, move || {
        let written = write_corrected(&mut upload);
        match &written {
            Err(e) => upload.view = View::Unreadable(e.to_string()),
            Ok(()) => recheck(&checking, &mut upload),
        }
        written
    })
    .await;
    match done {
        Ok(Ok(())) => Redirect::to(&format!("/sheets/{id}")).into_response(),
        Ok(Err(e)) => pages::problem(&app, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(page) => page,
    }
}

/// Writes the original sheet with every correction into the corrected copy (a CSV stays a
/// CSV in its delimiter, UTF-8; a workbook becomes the tool's own one-sheet workbook), rows at
/// their own numbers, and makes it the file checked from now on.
fn write_corrected(upload: &mut Upload) -> Result<(), Error> {
    let options = read::ReadOptions {
        sheet: upload.sheet.clone(),
        encoding: None,
    };
    let sheet = Sheet::open(&upload.original, &options)?;
    let corrected = beside(upload, "corrected");
    let edits = &upload.edits;
    crate::report::write_corrected(&sheet, &corrected, |row, column| {
        edits.get(&(row, column)).map(String::as_str)
    })?;
    upload.current = corrected;
    Ok(())
}

/// `GET /sheets/{id}/corrected`: the sheet as it now stands, corrections included.
pub async fn corrected(AppState(app): AppState<Arc<App>>, Path(id): Path<String>) -> Response {
    let Some(upload) = app.sheets.get(&id) else {
        return pages::not_found(&app);
    };
    let upload = upload.lock().await;
    let path = upload.current.clone();
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("sheet")
        .to_string();
    drop(upload);
    download(&app, &path, &name)
}

/// A file of the app's folder as a download.
pub fn download(app: &App, path: &std::path::Path, name: &str) -> Response {
    match std::fs::read(path) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type(name).to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"{}\"",
                        name.replace(['"', '\\'], "_")
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => pages::not_found(app),
    }
}

fn content_type(name: &str) -> &'static str {
    match read::extension(std::path::Path::new(name)).as_str() {
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

/// A cell's text as the grid shows it (and as its editor starts).
pub fn shown(cell: &Cell) -> String {
    cell.display()
}

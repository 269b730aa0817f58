//! Running the built binary: in a [`Workdir`], on a hermetic environment, under a watchdog,
//! its output captured as an [`Output`] whose checks print the whole run when they fail; runs
//! of `submit` against a provider; and [`Running`], a run in the background that a test can
//! signal, kill or wait for.

use super::provider::{config, Provider, TOKEN};
use super::sheets::sheet;
use super::{ledger_rows, Workdir, BIN, TODAY};
use fpgo_export::sandbox::Config;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A run that takes longer than this is a hang: the test fails instead of waiting forever.
pub const WATCHDOG: Duration = Duration::from_secs(120);

/// How much of a stream a failure report shows (a hostile test's stderr can be megabytes).
const SHOWN: usize = 16 * 1024;

// ---------------------------------------------------------------------------------------------
// What a run gave

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Output {
    /// The arguments it ran with, for the report of a failure.
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The `--json` summary on stdout.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| fail(&[format!("stdout is not JSON ({e})")], self))
    }

    /// Asserts the run ended normally (no panic, no signal) with this exit code.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        check(self, self.status_problems(code))
    }

    /// Asserts stderr holds each of these texts.
    #[track_caller]
    pub fn stderr_has(&self, texts: &[&str]) -> &Self {
        check(self, missing("stderr", &self.stderr, texts))
    }

    /// Asserts stderr holds none of these texts.
    #[track_caller]
    pub fn stderr_lacks(&self, texts: &[&str]) -> &Self {
        check(self, present("stderr", &self.stderr, texts))
    }

    /// The lines of stderr that are errors stopping the run (`error: …` at the start).
    pub fn fatal_errors(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect()
    }

    /// Asserts exactly one line of stderr is an error that stops the run.
    #[track_caller]
    pub fn has_one_fatal_error(&self) -> &Self {
        let found = self.fatal_errors().len();
        let problems = if found == 1 {
            Vec::new()
        } else {
            vec![format!("{found} errors stop the run, not one")]
        };
        check(self, problems)
    }

    /// Asserts stderr has exactly these lines of errors that stop the run.
    #[track_caller]
    pub fn fatal_errors_are(&self, expected: &[&str]) -> &Self {
        let found = self.fatal_errors();
        let problems = if found == expected {
            Vec::new()
        } else {
            vec![format!(
                "the errors that stop the run are {found:#?}, not {expected:#?}"
            )]
        };
        check(self, problems)
    }

    /// What went wrong with the exit: a panic, or another code than `code`.
    pub(super) fn status_problems(&self, code: i32) -> Vec<String> {
        let mut problems = Vec::new();
        if self.stderr.contains("panicked") || self.stderr.contains("RUST_BACKTRACE") {
            problems.push("the binary panicked".to_string());
        }
        if self.code != code {
            problems.push(format!("exit code {}, expected {code}", self.code));
        }
        problems
    }

    /// Everything about the run, for a failure message: arguments, status, stdout, stderr.
    pub fn report(&self) -> String {
        format!(
            "args: {:?}\nstatus: {}\n--- stdout\n{}\n--- stderr\n{}\n---",
            self.args,
            self.code,
            shown(&self.stdout),
            shown(&self.stderr)
        )
    }
}

/// The texts of `texts` that `text` (a stream called `what`) lacks, as problems.
pub(super) fn missing(what: &str, text: &str, texts: &[&str]) -> Vec<String> {
    texts
        .iter()
        .filter(|t| !text.contains(*t))
        .map(|t| format!("{what} lacks {t:?}"))
        .collect()
}

/// The texts of `texts` that `text` (a stream called `what`) holds, as problems.
fn present(what: &str, text: &str, texts: &[&str]) -> Vec<String> {
    texts
        .iter()
        .filter(|t| text.contains(*t))
        .map(|t| format!("{what} holds {t:?}"))
        .collect()
}

/// Passes when there are no problems; otherwise fails with them and the run's report.
#[track_caller]
fn check(output: &Output, problems: Vec<String>) -> &Output {
    if !problems.is_empty() {
        fail(&problems, output);
    }
    output
}

/// Fails the test with these problems and everything about the run.
#[track_caller]
pub(super) fn fail(problems: &[String], output: &Output) -> ! {
    panic!("{}\n{}", problems.join("\n"), output.report())
}

/// A stream for a report: the start of a long one, saying how much more there is.
fn shown(text: &str) -> String {
    if text.is_empty() {
        return "(nothing)".to_string();
    }
    if text.len() <= SHOWN {
        return text.to_string();
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes)", &text[..end], text.len() - end)
}

// ---------------------------------------------------------------------------------------------
// Running the binary in a workdir

impl Workdir {
    /// Runs the binary with these arguments in the workdir.
    pub fn run(&self, args: &[&str]) -> Output {
        self.execute(&owned(args), &[], None, WATCHDOG)
    }

    /// Runs the binary under a limit on its address space (in MiB), so a run that tries to
    /// allocate gigabytes fails instead of succeeding slowly.
    pub fn run_limited(&self, mib: u64, args: &[&str]) -> Output {
        self.execute(&owned(args), &[], Some(mib), WATCHDOG)
    }

    /// `fpgo-export check SHEET --today 2026-11-21 EXTRA…`.
    pub fn check(&self, sheet: &str, extra: &[&str]) -> Output {
        self.run(&check_args(sheet, extra))
    }

    /// The binary with these arguments, ready to run in the workdir on a hermetic
    /// environment: `FPGO_TOKEN`, `RUST_LOG` and `RUST_BACKTRACE` are removed from what the
    /// test inherits (only `env` sets them), and the default ledger lives in the workdir.
    pub fn command(&self, args: &[String], env: &[(String, String)]) -> Command {
        let mut command = Command::new(BIN);
        command.args(args);
        self.hermetic(&mut command, env);
        command
    }

    fn hermetic(&self, command: &mut Command, env: &[(String, String)]) {
        command
            .current_dir(self.path())
            // The default ledger lives in the user's data directory: each test has its own.
            .env("XDG_DATA_HOME", self.join("data"))
            .env_remove("FPGO_TOKEN")
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        for (name, value) in env {
            command.env(name, value);
        }
    }

    /// Runs the binary and waits for it (at most `watchdog`), under an address-space limit of
    /// `memory_mib` if given. On a multi-threaded runtime the wait leaves the worker, so an
    /// in-process sandbox keeps serving meanwhile.
    pub(super) fn execute(
        &self,
        args: &[String],
        env: &[(String, String)],
        memory_mib: Option<u64>,
        watchdog: Duration,
    ) -> Output {
        let mut command = match memory_mib {
            None => Command::new(BIN),
            Some(mib) => {
                let mut shell = Command::new("sh");
                let script = format!("ulimit -v {} && exec \"$0\" \"$@\"", mib * 1024);
                shell.arg("-c").arg(script).arg(BIN);
                shell
            }
        };
        command.args(args);
        self.hermetic(&mut command, env);
        // Output goes to files, not pipes, so a run that writes a lot never blocks on a full
        // pipe while the watchdog polls.
        let out_path = self.join(".stdout");
        let err_path = self.join(".stderr");
        command
            .stdout(File::create(&out_path).unwrap())
            .stderr(File::create(&err_path).unwrap());
        let status = off_the_runtime(|| {
            let mut child = command.spawn().expect("the binary starts");
            wait(&mut child, watchdog)
                .unwrap_or_else(|| panic!("the run took more than {watchdog:?}: {command:?}"))
        });
        let output = Output {
            args: args.to_vec(),
            code: status.code().unwrap_or_else(|| {
                panic!("killed by a signal: {status:?}\n{}", read_lossy(&err_path))
            }),
            stdout: read_lossy(&out_path),
            stderr: read_lossy(&err_path),
        };
        let _ = std::fs::remove_file(out_path);
        let _ = std::fs::remove_file(err_path);
        output
    }
}

/// `check SHEET --today 2026-11-21 EXTRA…`.
pub(super) fn check_args<'a>(sheet: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["check", sheet, "--today", TODAY];
    args.extend_from_slice(extra);
    args
}

fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

/// Waits at most `limit` for the child's exit; kills it (by its own id) when it runs longer.
fn wait(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs `f`, which blocks, off the worker of a multi-threaded runtime (so the tasks there,
/// such as an in-process sandbox, keep running); elsewhere simply runs it.
fn off_the_runtime<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

// ---------------------------------------------------------------------------------------------
// Runs of submit

/// The arguments of a submit run against `base_url` on the workdir's ledger; `--rate 6000`
/// and `--retry-base-ms 5` unless `extra` says otherwise.
pub fn submit_args(work: &Workdir, base_url: &str, sheet: &str, extra: &[&str]) -> Vec<String> {
    let ledger = work.join("ledger.sqlite");
    let mut args: Vec<String> = owned(&["submit", sheet, "--base-url", base_url]);
    // A run that names its ledger (or asks for the default one) gets no other.
    if !extra.contains(&"--ledger") && !extra.contains(&"--default-ledger") {
        args.extend(["--ledger".to_string(), ledger.display().to_string()]);
    }
    let extra: Vec<&str> = extra
        .iter()
        .copied()
        .filter(|a| *a != "--default-ledger")
        .collect();
    args.extend(owned(&["--today", TODAY, "--no-progress", "--json"]));
    for (flag, default) in [("--rate", "6000"), ("--retry-base-ms", "5")] {
        if !extra.contains(&flag) {
            args.extend(owned(&[flag, default]));
        }
    }
    args.extend(owned(&extra));
    args
}

/// Runs `submit` with this token in `FPGO_TOKEN` (none when `None`) and waits for it; the
/// sandbox keeps serving on the runtime's workers meanwhile.
pub fn submit_as(
    work: &Workdir,
    token: Option<&str>,
    base_url: &str,
    sheet: &str,
    extra: &[&str],
) -> Output {
    let args = submit_args(work, base_url, sheet, extra);
    let env: Vec<(String, String)> = token
        .map(|t| ("FPGO_TOKEN".to_string(), t.to_string()))
        .into_iter()
        .collect();
    work.execute(&args, &env, None, WATCHDOG)
}

/// Runs `submit orders.csv` against the provider with its token.
pub fn submit(work: &Workdir, provider: &Provider, extra: &[&str]) -> Output {
    submit_as(work, Some(TOKEN), &provider.base_url(), "orders.csv", extra)
}

/// Runs `status` or `cancel` (`command`) against `base_url` on the workdir's ledger with this
/// token in `FPGO_TOKEN` (none when `None`), `--rate 6000` unless `extra` says otherwise.
pub fn after_submit(
    work: &Workdir,
    command: &str,
    token: Option<&str>,
    base_url: &str,
    extra: &[&str],
) -> Output {
    let ledger = work.join("ledger.sqlite").display().to_string();
    let mut args = owned(&[command, "--base-url", base_url, "--ledger", &ledger]);
    if !extra.contains(&"--rate") {
        args.extend(owned(&["--rate", "6000"]));
    }
    args.extend(owned(extra));
    let env: Vec<(String, String)> = token
        .map(|t| ("FPGO_TOKEN".to_string(), t.to_string()))
        .into_iter()
        .collect();
    work.execute(&args, &env, None, WATCHDOG)
}

/// `status` against the provider with its token.
pub fn status(work: &Workdir, provider: &Provider, extra: &[&str]) -> Output {
    after_submit(work, "status", Some(TOKEN), &provider.base_url(), extra)
}

/// `cancel` against the provider with its token.
pub fn cancel(work: &Workdir, provider: &Provider, extra: &[&str]) -> Output {
    after_submit(work, "cancel", Some(TOKEN), &provider.base_url(), extra)
}

// ---------------------------------------------------------------------------------------------
// Runs in the background

/// A run of the binary in the background, its output in files of the workdir, killed (by its
/// own id) if the test ends first.
pub struct Running {
    child: Child,
    stderr: PathBuf,
}

impl Running {
    /// Starts the binary; its stdout and stderr go to `NAME.stdout` and `NAME.stderr`.
    pub fn start(work: &Workdir, args: &[String], env: &[(String, String)], name: &str) -> Running {
        let stderr = work.join(&format!("{name}.stderr"));
        let child = work
            .command(args, env)
            .stdout(File::create(work.join(&format!("{name}.stdout"))).unwrap())
            .stderr(File::create(&stderr).unwrap())
            .spawn()
            .expect("the binary starts");
        Running { child, stderr }
    }

    /// `submit orders.csv` against `base_url` with the sandbox's token, in the background.
    pub fn submit(work: &Workdir, base_url: &str, extra: &[&str], name: &str) -> Running {
        let args = submit_args(work, base_url, "orders.csv", extra);
        let env = [("FPGO_TOKEN".to_string(), TOKEN.to_string())];
        Running::start(work, &args, &env, name)
    }

    /// A provider that answers after 300 ms and a run of five orders to it, one a second,
    /// returned once it is sending (once the ledger holds an order).
    pub async fn in_progress(work: &Workdir) -> (Provider, Running) {
        let provider = Provider::start(Config {
            latency: (Duration::from_millis(300), Duration::from_millis(300)),
            ..config()
        })
        .await;
        work.write_sheet(&sheet(5));
        let run = Running::submit(work, &provider.base_url(), &["--rate", "60"], "first");
        let started = Instant::now();
        while ledger_rows(work) == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{}",
                run.stderr()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (provider, run)
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, at once.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
    }

    /// SIGTERM, then the exit status, which must come within `limit`.
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        self.wait(limit)
    }

    /// Everything on its stderr so far.
    pub fn stderr(&self) -> String {
        read_lossy(&self.stderr)
    }

    /// Waits at most `limit` for a whole line of stderr that starts with `prefix`; the line.
    pub fn stderr_line(&self, prefix: &str, limit: Duration) -> String {
        let started = Instant::now();
        loop {
            let stderr = self.stderr();
            // Only whole lines: a line being written may have only its start on disk yet.
            let whole = &stderr[..stderr.rfind('\n').map_or(0, |i| i + 1)];
            if let Some(line) = whole.lines().find(|l| l.starts_with(prefix)) {
                return line.to_string();
            }
            assert!(
                started.elapsed() < limit,
                "no line starting {prefix:?} after {limit:?}:\n{stderr}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits at most `limit` for the exit; its status.
    pub fn wait(&mut self, limit: Duration) -> ExitStatus {
        let stderr = &self.stderr;
        wait(&mut self.child, limit)
            .unwrap_or_else(|| panic!("still running after {limit:?}:\n{}", read_lossy(stderr)))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

//! A test as one declarative block, in the style of just's `Test`: the inputs (files,
//! arguments, environment), then the expectations (status, stdout, stderr, files), then
//! [`Test::run`], which compares them all and on a mismatch prints every problem at once, a
//! line diff where an exact text was expected, and the whole run. The status defaults to
//! success, so a test states only what matters.

use super::run::{check_args, fail, missing, Output, WATCHDOG};
use super::Workdir;
use serde_json::Value;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::Duration;

/// Where a test runs: a workdir of its own, or one the caller keeps using afterwards.
enum Dir<'a> {
    Own(Workdir),
    Shared(&'a Workdir),
}

/// One run of the binary and what it must give. See the module docs.
#[must_use = "a Test does nothing until run()"]
pub struct Test<'a> {
    dir: Dir<'a>,
    args: Vec<String>,
    env: Vec<(String, String)>,
    timeout: Duration,
    status: i32,
    stdout: Option<String>,
    stderr: Option<String>,
    stderr_has: Vec<String>,
    /// Files the run must leave: their exact contents, or `None` for "absent".
    files: Vec<(String, Option<String>)>,
    stdout_json: Option<JsonCheck<'a>>,
}

/// Assertions on the JSON a run printed.
type JsonCheck<'a> = Box<dyn FnOnce(&Value) + 'a>;

impl Default for Test<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Test<'a> {
    /// A test in a fresh workdir of its own.
    pub fn new() -> Self {
        Test::in_dir(Dir::Own(Workdir::new()))
    }

    /// A test in `work`, which the caller keeps (to read files, to run again).
    pub fn on(work: &'a Workdir) -> Self {
        Test::in_dir(Dir::Shared(work))
    }

    fn in_dir(dir: Dir<'a>) -> Self {
        Test {
            dir,
            args: Vec::new(),
            env: Vec::new(),
            timeout: WATCHDOG,
            status: 0,
            stdout: None,
            stderr: None,
            stderr_has: Vec::new(),
            files: Vec::new(),
            stdout_json: None,
        }
    }

    fn work(&self) -> &Workdir {
        match &self.dir {
            Dir::Own(work) => work,
            Dir::Shared(work) => work,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Inputs

    /// Writes a file into the workdir before the run.
    pub fn write(self, name: &str, bytes: impl AsRef<[u8]>) -> Self {
        self.work().write(name, bytes);
        self
    }

    /// Appends arguments.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// The arguments of `check SHEET --today 2026-11-21 EXTRA…`.
    pub fn check(self, sheet: &str, extra: &[&str]) -> Self {
        let args = check_args(sheet, extra);
        self.args(&args)
    }

    /// Sets an environment variable for the run.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    /// The run must end within this time (by default the harness's watchdog).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = limit;
        self
    }

    // -----------------------------------------------------------------------------------------
    // Expectations

    /// The exit code (0 unless said).
    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    /// Exactly this on stdout.
    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout = Some(text.to_string());
        self
    }

    /// Exactly this on stderr.
    pub fn stderr(mut self, text: &str) -> Self {
        self.stderr = Some(text.to_string());
        self
    }

    /// Each of these texts somewhere on stderr.
    pub fn stderr_has(mut self, texts: &[&str]) -> Self {
        self.stderr_has.extend(texts.iter().map(|t| t.to_string()));
        self
    }

    /// Stdout is JSON, and `check` asserts what it must hold.
    pub fn stdout_json(mut self, check: impl FnOnce(&Value) + 'a) -> Self {
        self.stdout_json = Some(Box::new(check));
        self
    }

    /// After the run the workdir holds this file with exactly this text.
    pub fn file(mut self, name: &str, text: &str) -> Self {
        self.files.push((name.to_string(), Some(text.to_string())));
        self
    }

    /// After the run the workdir holds no file of this name.
    pub fn no_file(mut self, name: &str) -> Self {
        self.files.push((name.to_string(), None));
        self
    }

    // -----------------------------------------------------------------------------------------
    // The run

    /// Runs the binary, compares every expectation, and fails with all the mismatches and the
    /// whole run if any; otherwise returns the run's output for more assertions.
    #[track_caller]
    pub fn run(self) -> Output {
        let work = self.work();
        let output = work.execute(&self.args, &self.env, None, self.timeout);
        let mut problems = output.status_problems(self.status);
        for (what, expected, actual) in [
            ("stdout", &self.stdout, &output.stdout),
            ("stderr", &self.stderr, &output.stderr),
        ] {
            if let Some(expected) = expected {
                problems.extend(differs(what, expected, actual));
            }
        }
        let has: Vec<&str> = self.stderr_has.iter().map(String::as_str).collect();
        problems.extend(missing("stderr", &output.stderr, &has));
        for (name, expected) in &self.files {
            let path = work.join(name);
            match (expected, std::fs::read_to_string(&path)) {
                (None, _) if !path.exists() => {}
                (None, _) => problems.push(format!("{name} exists")),
                (Some(expected), Ok(actual)) => {
                    problems.extend(differs(name, expected, &actual));
                }
                (Some(_), Err(e)) => problems.push(format!("{name}: {e}")),
            }
        }
        if let Some(check) = self.stdout_json {
            match serde_json::from_str::<Value>(&output.stdout) {
                Err(e) => problems.push(format!("stdout is not JSON ({e})")),
                // A failed assertion inside says its own message; the run is printed with it.
                Ok(json) if problems.is_empty() => {
                    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&json))) {
                        eprintln!(
                            "the stdout_json check failed on this run:\n{}",
                            output.report()
                        );
                        resume_unwind(panic);
                    }
                }
                Ok(_) => {}
            }
        }
        if !problems.is_empty() {
            fail(&problems, &output);
        }
        output
    }
}

/// A problem with a line diff when `actual` is not exactly `expected`.
fn differs(what: &str, expected: &str, actual: &str) -> Option<String> {
    if expected == actual {
        return None;
    }
    let diff = similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .header("expected", "actual")
        .to_string();
    Some(format!("{what} differs from what was expected:\n{diff}"))
}

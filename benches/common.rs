//! What the benchmarks share: their command-line options, the config every generated sheet
//! uses, and the resource use of the child processes they run.

#![allow(dead_code)] // each benchmark uses a part of it

/// The value of `--name VALUE` on the benchmark's command line.
pub fn option(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// A number option, or its default.
pub fn number(name: &str, default: usize) -> usize {
    option(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The defaults a merchant's config gives every order of a generated sheet.
pub const CONFIG: &str = r#"
[defaults]
callback_url = "https://shop.example.no/fpgo/callback"
success_url = "https://shop.example.no/fpgo/success"
failure_url = "https://shop.example.no/fpgo/failure"
invoice_fee = true
"#;

/// How a child process ran: its exit code, wall-clock seconds and its own peak resident memory.
pub struct Measured {
    pub code: Option<i32>,
    pub seconds: f64,
    pub peak_mib: f64,
}

/// Runs `command` to its end, stdout and stderr into `log`, and measures it: the peak memory is
/// the child's own (`wait4`), not the largest of all children so far.
#[allow(unsafe_code)]
#[allow(clippy::zombie_processes)] // reaped by wait4, which also gives its resource use
pub fn measure(command: &mut std::process::Command, log: &std::path::Path) -> Measured {
    let file = std::fs::File::create(log).expect("create log");
    let start = std::time::Instant::now();
    let child = command
        .stdout(file.try_clone().expect("log"))
        .stderr(file)
        .spawn()
        .expect("start child");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 writes only into the two values we pass; the child is ours and reaped once.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let seconds = start.elapsed().as_secs_f64();
    assert!(pid > 0, "wait4 failed");
    Measured {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        seconds,
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// Resource use of the children waited for so far.
#[allow(unsafe_code)]
fn children() -> libc::rusage {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct we pass.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage
}

/// CPU seconds (user + system) of all children waited for so far.
pub fn children_cpu() -> f64 {
    let usage = children();
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

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

/// Resource use of the children waited for so far.
#[allow(unsafe_code)]
fn children() -> libc::rusage {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct we pass.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage
}

/// Peak resident memory of the largest child waited for so far, in MiB.
pub fn peak_child_mib() -> f64 {
    children().ru_maxrss as f64 / 1024.0
}

/// CPU seconds (user + system) of all children waited for so far.
pub fn children_cpu() -> f64 {
    let usage = children();
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

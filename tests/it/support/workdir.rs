//! A temporary directory where fixtures are written and the binary runs (xsv's `Workdir`,
//! ripgrep's `Dir`): paths inside it, writers and readers of its files, and the redaction of
//! its path and of durations for snapshots. Running the binary in it is `run.rs`'s; reading
//! the result files it writes is `results.rs`'s.

use super::sheets::{encode, Encoding};
use super::xlsx::Xlsx;
use std::path::{Path, PathBuf};

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

    /// Copies a sample sheet of `samples/` and the config that sits beside it there
    /// (`fpgo-export.toml`) into the workdir, as a user would run them.
    pub fn copy_sample(&self, sheet: &str) {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        for name in [sheet, "fpgo-export.toml"] {
            let from = samples.join(name);
            std::fs::copy(&from, self.join(name))
                .unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        }
    }

    pub fn read(&self, name: &str) -> String {
        let path = self.join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.join(name).exists()
    }

    /// Every file under the workdir, recursively.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(self.path(), &mut out);
        out
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

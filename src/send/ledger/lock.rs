//! One run per ledger: the lock, taken on the database file itself, and the `holder` row that
//! names the run holding it, for the message a second run gets.

use crate::error::Error;
use rusqlite::Connection;
use std::fs::File;
use std::path::Path;

/// What a run's lock is taken on. On Unix, the database file itself: flock(2) and SQLite's
/// own fcntl(2) locks do not disturb each other, and every link to the file shares its lock.
#[cfg(unix)]
pub(super) fn lock_target(database: File, _path: &Path) -> Result<File, Error> {
    Ok(database)
}

/// Windows locks are mandatory (SQLite could not read a file locked so): there the lock is a
/// `.lock` file beside the ledger, which a second link to the ledger does not share.
#[cfg(not(unix))]
pub(super) fn lock_target(_database: File, path: &Path) -> Result<File, Error> {
    let lock = path.with_extension("lock");
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(|e| Error::file(&lock, e))
}

/// The run that holds a ledger, as its `holder` row says (`process N since T`). Read from the
/// database file alone (`immutable`): through a hard link, SQLite would look for a WAL of the
/// link's name, so the holder row is checkpointed into the file when it is written (a FULL
/// checkpoint, which waits for a reader to finish rather than leave the row in the WAL).
pub(super) fn holder(path: &Path) -> Option<String> {
    let mut uri = url::Url::from_file_path(path).ok()?;
    uri.set_query(Some("immutable=1"));
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let connection = Connection::open_with_flags(uri.as_str(), flags).ok()?;
    connection
        .query_row("SELECT pid, since FROM holder WHERE id = 1", [], |r| {
            Ok(format!(
                "process {} since {}",
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?
            ))
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::super::Ledger;

    #[test]
    fn one_run_per_ledger() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let first = Ledger::open(&path).unwrap();
        assert!(first.created());
        let second = Ledger::open(&path).err().unwrap().to_string();
        let holder = format!(
            "in use by another run (process {} since",
            std::process::id()
        );
        assert!(second.contains(&holder), "{second}");
        assert!(
            !second.contains("give this run its own"),
            "never suggests a second ledger: {second}"
        );
        drop(first);
        assert!(!Ledger::open(&path).unwrap().created());
    }

    #[cfg(unix)]
    #[test]
    fn the_ledger_lock_holds_through_a_symlink_a_hard_link_and_a_deleted_lock_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        let _first = Ledger::open(&path).unwrap();
        let symlink = dir.path().join("link.sqlite");
        std::os::unix::fs::symlink(&path, &symlink).unwrap();
        let hard = dir.path().join("hard.sqlite");
        std::fs::hard_link(&path, &hard).unwrap();
        for other in [&symlink, &hard] {
            let refused = Ledger::open(other).err().map(|e| e.to_string());
            assert!(
                refused.as_deref().is_some_and(|e| e.contains("in use")),
                "{}: {refused:?}",
                other.display()
            );
        }
        // There is no lock file to delete: whatever sits beside the ledger, it stays locked.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let entry = entry.unwrap().path();
            if entry.extension().is_some_and(|e| e == "lock") {
                std::fs::remove_file(entry).unwrap();
            }
        }
        assert!(Ledger::open(&path).is_err());
    }

    #[test]
    fn a_zero_byte_ledger_is_refused_not_started_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        std::fs::write(&path, b"").unwrap();
        let refused = Ledger::open(&path).err().unwrap().to_string();
        assert!(refused.contains("empty (0 bytes)"), "{refused}");
        assert!(refused.contains("Restore it from a backup"), "{refused}");
    }
}

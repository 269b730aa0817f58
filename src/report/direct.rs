//! An output file's bytes written straight to the disk, past the page cache (`O_DIRECT`), in
//! whole aligned blocks, where Linux and the file system allow it; the last partial block, and
//! every byte anywhere else, go through the page cache as usual. A big output (a million-line
//! sheet's result and payloads are 600 MB) then costs no copy into fresh cache pages, which is
//! most of the time of writing it on a virtual machine that backs its memory lazily. A direct
//! write waits for the disk, where the cache would not: a disk slower than [`MIN_RATE`] is
//! written through the cache instead.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// What direct writes are aligned to (their address, length and offset): 4 KiB, a multiple
/// of every common disk's logical block.
const ALIGN: usize = 4096;
/// How many bytes go to the disk at a time (a multiple of [`ALIGN`]).
const BLOCK: usize = 1 << 20;
/// Bytes a second the disk must take direct writes at, at least, to keep them (judged once
/// [`JUDGED_AFTER`] blocks are written, and on): slower, and a run that could hand its bytes
/// to the cache and go on would wait for the disk instead.
const MIN_RATE: f64 = 500e6;
const JUDGED_AFTER: u64 = 8;

/// A file written from its start, directly where it can be.
pub struct DiskFile {
    /// The file, as opened: writes that are not whole aligned blocks go through it.
    plain: File,
    /// The same file opened again with `O_DIRECT`, while its writes can be aligned blocks.
    direct: Option<File>,
    /// Room for one block at an aligned address: `staged[start..start + BLOCK]`.
    staged: Vec<u8>,
    start: usize,
    /// The bytes staged so far.
    len: usize,
    /// Where the staged bytes go in the file.
    offset: u64,
    /// The blocks written directly, and how long the disk took for them.
    blocks: u64,
    waited: Duration,
    /// The bytes a second below which direct writes stop ([`MIN_RATE`]).
    min_rate: f64,
}

impl DiskFile {
    /// Writes `plain` (a new, empty file at `path`) from its start.
    pub fn new(plain: File, path: &Path) -> DiskFile {
        let staged = vec![0; BLOCK + ALIGN];
        let start = staged.as_ptr().align_offset(ALIGN);
        DiskFile {
            direct: open_direct(&plain, path),
            plain,
            staged,
            start,
            len: 0,
            offset: 0,
            blocks: 0,
            waited: Duration::ZERO,
            min_rate: MIN_RATE,
        }
    }

    /// Whether the disk took the direct blocks written so far fast enough to go on.
    fn keeps_up(&self) -> bool {
        let rate = (self.blocks as f64 * BLOCK as f64) / self.waited.as_secs_f64().max(1e-9);
        self.blocks < JUDGED_AFTER || rate >= self.min_rate
    }

    /// Writes the staged bytes at their place: directly when they are a whole block and the
    /// file takes direct writes, else through the cache (and from then on, so: once a write is
    /// not a whole block, the offsets that follow are not aligned either).
    fn write_staged(&mut self) -> io::Result<()> {
        let bytes = &self.staged[self.start..self.start + self.len];
        let whole = self.len == BLOCK;
        if let (true, Some(direct)) = (whole, &self.direct) {
            let began = Instant::now();
            match write_at(direct, bytes, self.offset) {
                Ok(()) => {
                    (self.blocks, self.waited) = (self.blocks + 1, self.waited + began.elapsed());
                    if !self.keeps_up() {
                        self.direct = None;
                    }
                    self.offset += bytes.len() as u64;
                    self.len = 0;
                    return Ok(());
                }
                // A file system that opens a file for direct writes but refuses them (some
                // network and FUSE ones) is written through the cache instead.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EOPNOTSUPP)) => {}
                Err(e) => return Err(e),
            }
        }
        self.direct = None;
        write_at(&self.plain, bytes, self.offset)?;
        self.offset += bytes.len() as u64;
        self.len = 0;
        Ok(())
    }
}

impl Write for DiskFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let taken = bytes.len().min(BLOCK - self.len);
        let at = self.start + self.len;
        self.staged[at..at + taken].copy_from_slice(&bytes[..taken]);
        self.len += taken;
        if self.len == BLOCK {
            self.write_staged()?;
        }
        Ok(taken)
    }

    /// Writes what is staged, through the cache unless it is a whole block.
    fn flush(&mut self) -> io::Result<()> {
        if self.len > 0 {
            self.write_staged()?;
        }
        self.plain.flush()
    }
}

/// `bytes` written at `offset` of `file`, whatever the file's own position.
#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(not(unix))]
fn write_at(mut file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

/// `path` opened again for direct writes, if it is still the file `plain` is (on Linux only;
/// elsewhere, or where the file system refuses, `None`).
#[cfg(target_os = "linux")]
fn open_direct(plain: &File, path: &Path) -> Option<File> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let direct = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .ok()?;
    let (a, b) = (plain.metadata().ok()?, direct.metadata().ok()?);
    (a.dev() == b.dev() && a.ino() == b.ino()).then_some(direct)
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_: &File, _: &Path) -> Option<File> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` bytes, not repeating within a block.
    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    /// Writes `expected` to a new file in pieces of `piece` bytes; what the file then holds.
    fn written(expected: &[u8], piece: usize, direct: bool) -> (Vec<u8>, bool) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut file = DiskFile::new(File::create(&path).unwrap(), &path);
        if !direct {
            file.direct = None;
        }
        // However slow the disk the tests run on.
        file.min_rate = 0.0;
        let began_direct = file.direct.is_some();
        for part in expected.chunks(piece) {
            file.write_all(part).unwrap();
        }
        // Only whole blocks are written before the flush: none was refused.
        let stayed_direct = !began_direct || file.direct.is_some();
        file.flush().unwrap();
        (std::fs::read(&path).unwrap(), stayed_direct)
    }

    #[test]
    fn every_byte_lands_in_its_place_directly_or_not() {
        for len in [
            0,
            1,
            ALIGN - 1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            3 * BLOCK,
            2 * BLOCK + 12_345,
        ] {
            for piece in [1_000, 7_919, BLOCK, 3 * BLOCK] {
                let expected = bytes(len);
                for direct in [true, false] {
                    let (got, stayed_direct) = written(&expected, piece, direct);
                    assert!(
                        got == expected,
                        "{len} bytes in pieces of {piece}, direct {direct}"
                    );
                    assert!(
                        stayed_direct,
                        "{len} bytes in pieces of {piece}: a block refused"
                    );
                }
            }
        }
    }

    #[test]
    fn a_file_written_on_after_a_partial_block_is_whole() {
        // A flush in the middle writes a partial block; what follows is no longer aligned.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut file = DiskFile::new(File::create(&path).unwrap(), &path);
        let expected = bytes(3 * BLOCK + 5);
        file.write_all(&expected[..BLOCK + 5]).unwrap();
        file.flush().unwrap();
        file.write_all(&expected[BLOCK + 5..]).unwrap();
        file.flush().unwrap();
        assert!(std::fs::read(&path).unwrap() == expected);
    }

    #[test]
    fn a_disk_too_slow_for_direct_writes_is_written_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let mut file = DiskFile::new(File::create(&path).unwrap(), &path);
        let Some(_) = file.direct else {
            return; // this file system takes no direct writes at all
        };
        // No disk is this fast: judged, the direct writes stop, and the file is whole.
        file.min_rate = f64::INFINITY;
        let expected = bytes((JUDGED_AFTER as usize + 3) * BLOCK + 7);
        file.write_all(&expected[..(JUDGED_AFTER as usize - 1) * BLOCK])
            .unwrap();
        assert!(file.direct.is_some(), "judged before {JUDGED_AFTER} blocks");
        file.write_all(&expected[(JUDGED_AFTER as usize - 1) * BLOCK..])
            .unwrap();
        assert!(file.direct.is_none(), "direct writes kept on a slow disk");
        file.flush().unwrap();
        assert!(std::fs::read(&path).unwrap() == expected);
    }
}

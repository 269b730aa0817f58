//! A CSV's text read a stretch at a time: text decoded and kept, or a UTF-8 or Windows-1252
//! file left on disk ([`Disk`]) and read (and decoded) again for each walk of its rows, so that a million-line sheet is never
//! held whole. A file on disk is read through the descriptor opened first, and every chunk read
//! again must have the checksum it had when the file was first read: a file replaced while a
//! run goes on is not seen (the run keeps the one it opened), a file written over in place
//! makes the walk end there and [`Disk::unchanged`] say so. Every walk of a run, and the result
//! file that copies the rows, thus see the text that was checked, or the run stops.

use crate::error::Error;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use std::borrow::Cow;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// How much of a file is read, and checksummed, at a time.
const CHUNK: usize = 1 << 18;

/// A UTF-8 or Windows-1252 file read through once when opened; its text not kept.
#[derive(Debug)]
pub struct Disk {
    file: File,
    path: PathBuf,
    /// The length of its byte-order mark, which is not part of the text.
    skip: usize,
    /// The single-byte encoding its bytes are decoded from, each chunk on its own (a byte is a
    /// character); `None` for UTF-8.
    single: Option<&'static Encoding>,
    /// The CRC-32 of each chunk of the file (from its first byte) as first read.
    sums: Vec<u32>,
    /// Why a later read did not give the bytes of the first, once one did not.
    failure: OnceLock<String>,
}

/// What the first read of a UTF-8 file found.
pub struct Scan {
    pub disk: Disk,
    /// The text's length in bytes (the byte-order mark not counted).
    pub len: usize,
    /// Whether the text holds a quote.
    pub quote: bool,
    /// Whether some `\r` is not followed by `\n`.
    pub lone_cr: bool,
    /// The text up to its first line that is not blank, at least.
    pub first: String,
}

impl Disk {
    /// Reads a file through, validating it as UTF-8, or, when its bytes are not UTF-8 and it
    /// has no byte-order mark, as Windows-1252 (what a Norwegian Excel writes; every byte is a
    /// character), as [`super::encoding::decode`] would detect them. `None` for any other file
    /// (a NUL byte near its start, a byte-order mark of another encoding): `decode` then
    /// decides what it is.
    pub fn open(path: &Path) -> Result<Option<Scan>, Error> {
        let file = File::open(path).map_err(|e| Error::file(path, e))?;
        match Self::scan(path, file, None)? {
            Ok(scan) => Ok(Some(scan)),
            Err(Some(file)) => Ok(Self::scan(path, file, Some(WINDOWS_1252))?.ok()),
            Err(None) => Ok(None),
        }
    }

    /// The encoding its text was decoded from.
    pub fn encoding(&self) -> &'static Encoding {
        self.single.unwrap_or(UTF_8)
    }

    /// Reads the file through as UTF-8 (`single` `None`) or in a single-byte encoding. Not
    /// UTF-8: `Err` with the file back when it may be Windows-1252 (no mark, no NUL byte near
    /// its start), `Err(None)` otherwise.
    fn scan(
        path: &Path,
        file: File,
        single: Option<&'static Encoding>,
    ) -> Result<Result<Scan, Option<File>>, Error> {
        // A chunk, after the bytes of a character the previous chunk ended inside.
        let mut buf = vec![0; CHUNK + 4];
        let (mut carry, mut skip, mut sums) = (0, 0, Vec::new());
        let (mut len, mut quote, mut lone_cr, mut after_cr) = (0, false, false, false);
        let mut first = String::new();
        let mut found = false;
        loop {
            let k = sums.len();
            let n = read_chunk(&file, k, &mut buf[carry..carry + CHUNK])
                .map_err(|e| Error::file(path, e))?;
            sums.push(crc32fast::hash(&buf[carry..carry + n]));
            if k == 0 && single.is_none() {
                let start = &buf[..n.min(1 << 16)];
                skip = match Encoding::for_bom(start) {
                    Some((e, len)) if e == UTF_8 => len,
                    Some(_) => return Ok(Err(None)),
                    None if start.contains(&0) => return Ok(Err(None)),
                    None => 0,
                };
            }
            let (from, filled, last) = (if k == 0 { skip } else { 0 }, carry + n, n < CHUNK);
            let decoded;
            let (valid, rest) =
                match single.ok_or(&buf[from..filled]) {
                    Ok(encoding) => {
                        decoded = encoding.decode_without_bom_handling(&buf[..n]).0;
                        (&*decoded, filled)
                    }
                    Err(bytes) => match std::str::from_utf8(bytes) {
                        Ok(text) => (text, filled),
                        Err(e) if e.error_len().is_none() && !last => {
                            let upto = from + e.valid_up_to();
                            (std::str::from_utf8(&buf[from..upto]).unwrap_or(""), upto)
                        }
                        Err(_) if skip > 0 => return Err(Error::unusable(
                            path,
                            "the file starts with a UTF-8 byte-order mark but is not valid UTF-8",
                        )),
                        Err(_) => return Ok(Err(Some(file))),
                    },
                };
            len += valid.len();
            let bytes = valid.as_bytes();
            quote = quote || memchr::memchr(b'"', bytes).is_some();
            // A `\r` that ended the chunk before is lone unless this one starts with `\n`.
            lone_cr |= after_cr && bytes.first().is_some_and(|&b| b != b'\n');
            lone_cr |= memchr::memchr_iter(b'\r', bytes)
                .any(|at| bytes.get(at + 1).is_some_and(|&b| b != b'\n'));
            after_cr = bytes.last().map_or(after_cr, |&b| b == b'\r');
            if !found {
                first.push_str(valid);
                found = first
                    .split_inclusive('\n')
                    .any(|l| l.ends_with('\n') && !l.trim().is_empty());
            }
            if last {
                break;
            }
            buf.copy_within(rest..filled, 0);
            carry = filled - rest;
        }
        let disk = Disk {
            file,
            path: path.to_path_buf(),
            skip,
            single,
            sums,
            failure: OnceLock::new(),
        };
        Ok(Ok(Scan {
            disk,
            len,
            quote,
            lone_cr: lone_cr || after_cr,
            first,
        }))
    }

    /// Whether the file had a UTF-8 byte-order mark.
    pub fn bom(&self) -> bool {
        self.skip > 0
    }

    /// Adds the text of chunk `k` to `out`, checked against the first read; false at the end
    /// of the file, and false from the first chunk that is not as it was.
    fn append(&self, k: usize, out: &mut Vec<u8>) -> bool {
        let Some(&sum) = self.sums.get(k).filter(|_| self.failure.get().is_none()) else {
            return false;
        };
        let had = out.len();
        out.resize(had + CHUNK, 0);
        let read = read_chunk(&self.file, k, &mut out[had..]);
        let n = *read.as_ref().unwrap_or(&0);
        let failure = match read {
            Err(e) => Some(format!("could not be read again during the run ({e})")),
            Ok(n) if crc32fast::hash(&out[had..had + n]) != sum => Some(
                "changed while this run was reading it (another program wrote to it): its rows \
                 are no longer the ones checked; run again once that program is done"
                    .to_string(),
            ),
            Ok(_) => None,
        };
        out.truncate(had + n);
        if let Some(failure) = failure {
            out.truncate(had);
            let _ = self.failure.set(failure);
            return false;
        }
        if k == 0 {
            out.drain(had..had + self.skip.min(n));
        }
        if let Some(encoding) = self.single {
            if let Cow::Owned(text) = encoding.decode_without_bom_handling(&out[had..]).0 {
                out.truncate(had);
                out.extend_from_slice(text.as_bytes());
            }
        }
        out.len() > had
    }

    /// Whether every read so far gave the bytes of the first one; the message for the file
    /// otherwise.
    pub fn unchanged(&self) -> Result<(), Error> {
        match self.failure.get() {
            None => Ok(()),
            Some(failure) => Err(Error::unusable(&self.path, failure.clone())),
        }
    }
}

/// Reads chunk `k` of the file, as much of it as there is, into `out` (`CHUNK` bytes long).
fn read_chunk(file: &File, k: usize, out: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < out.len() {
        match read_at(file, &mut out[n..], (k * CHUNK + n) as u64) {
            Ok(0) => break,
            Ok(m) => n += m,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A read at an offset, which leaves the descriptor's own position alone (walks may overlap).
#[cfg(unix)]
fn read_at(file: &File, out: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, out, offset)
}

#[cfg(windows)]
fn read_at(file: &File, out: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, out, offset)
}

/// Where a window reads from.
enum Input<'t> {
    /// Kept text: the part not read yet.
    Text(&'t [u8]),
    /// A file on disk, and the next chunk to read.
    Disk(&'t Disk, usize),
}

/// A stretch of the text read from its start, from byte `start` of the text on, that serves
/// the bytes from `served` on to a reader and forgets the ones no longer needed.
pub struct Window<'t> {
    input: Input<'t>,
    pub buf: Vec<u8>,
    pub start: usize,
    pub served: usize,
}

impl<'t> Window<'t> {
    pub fn text(text: &'t str) -> Window<'t> {
        Self::new(Input::Text(text.as_bytes()))
    }
    pub fn disk(disk: &'t Disk) -> Window<'t> {
        Self::new(Input::Disk(disk, 0))
    }
    fn new(input: Input<'t>) -> Window<'t> {
        Window {
            input,
            buf: Vec::new(),
            start: 0,
            served: 0,
        }
    }

    /// The bytes `from..to` of the text (both read already).
    pub fn slice(&self, from: usize, to: usize) -> &[u8] {
        &self.buf[from - self.start..to - self.start]
    }
    pub fn get(&self, i: usize) -> Option<u8> {
        i.checked_sub(self.start)
            .and_then(|i| self.buf.get(i))
            .copied()
    }
    pub fn end(&self) -> usize {
        self.start + self.buf.len()
    }
    /// Reads more of the text; false at its end (for a file, also where it stopped being the
    /// file first read).
    pub fn more(&mut self) -> bool {
        match &mut self.input {
            Input::Text(rest) => {
                let (now, later) = rest.split_at(rest.len().min(CHUNK));
                self.buf.extend_from_slice(now);
                *rest = later;
                !now.is_empty()
            }
            Input::Disk(disk, next) => {
                *next += 1;
                disk.append(*next - 1, &mut self.buf)
            }
        }
    }
    /// Reads until the text up to `to` is here; false if it ends first.
    pub fn fill_to(&mut self, to: usize) -> bool {
        while self.end() < to {
            if !self.more() {
                return false;
            }
        }
        true
    }
    /// Forgets the bytes before `before`, when they are many.
    pub fn forget(&mut self, before: usize) {
        let n = before.saturating_sub(self.start).min(self.buf.len());
        if n >= CHUNK {
            self.buf.drain(..n);
            self.start += n;
        }
    }
}

impl std::io::Read for Window<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.served >= self.end() && !self.more() {
            return Ok(0);
        }
        let from = &self.buf[self.served - self.start..];
        let n = from.len().min(out.len());
        out[..n].copy_from_slice(&from[..n]);
        self.served += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom, Write};

    fn read_all(disk: &Disk) -> Vec<u8> {
        let mut text = Vec::new();
        Window::disk(disk).read_to_end(&mut text).unwrap();
        text
    }

    #[test]
    fn a_file_is_read_again_as_first_read_until_it_is_written_over() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        // A byte-order mark, characters cut by chunk ends, more than two chunks.
        let text: String = "a;bø;€\n".repeat(CHUNK / 4);
        file.write_all(b"\xef\xbb\xbf").unwrap();
        file.write_all(text.as_bytes()).unwrap();
        file.flush().unwrap();
        let scan = Disk::open(file.path()).unwrap().unwrap();
        assert_eq!(
            (scan.len, scan.quote, scan.lone_cr),
            (text.len(), false, false)
        );
        assert!(scan.disk.bom());
        assert_eq!(read_all(&scan.disk), text.as_bytes());
        assert!(scan.disk.unchanged().is_ok());

        // One byte of the second chunk written over: the walk ends before it, and says why.
        let f = file.as_file_mut();
        f.seek(SeekFrom::Start(CHUNK as u64 + 10)).unwrap();
        f.write_all(b"X").unwrap();
        f.flush().unwrap();
        let again = read_all(&scan.disk);
        assert_eq!(again, &text.as_bytes()[..CHUNK - 3]);
        let message = scan.disk.unchanged().unwrap_err().to_string();
        assert!(
            message.contains("changed while this run was reading it"),
            "{message}"
        );
        // And stays ended, even when put back.
        f.seek(SeekFrom::Start(CHUNK as u64 + 10)).unwrap();
        f.write_all(&text.as_bytes()[CHUNK + 7..CHUNK + 8]).unwrap();
        assert!(read_all(&scan.disk).is_empty());
    }

    #[test]
    fn quotes_and_lone_carriage_returns_are_found_across_chunk_ends() {
        // A `\r` as the first chunk's last byte, then what follows it in the second.
        let cases = [
            ("\n", None, false),
            ("x", None, true),
            ("\n", Some("\"q\""), false),
            ("\nend\r", None, true),
            ("\nend\r\n", None, false),
            ("\na\rb\n", None, true),
        ];
        for (after, quoted, lone) in cases {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            let mut text = "h,i\n".repeat(CHUNK / 4);
            text.truncate(CHUNK - 1);
            text.push('\r');
            text.push_str(after);
            text.push_str(quoted.unwrap_or(""));
            file.write_all(text.as_bytes()).unwrap();
            file.flush().unwrap();
            let scan = Disk::open(file.path()).unwrap().unwrap();
            assert_eq!(scan.lone_cr, lone, "{after:?}");
            assert_eq!(scan.quote, quoted.is_some(), "{after:?}");
            assert_eq!(scan.len, text.len());
        }
    }

    #[test]
    fn a_file_that_grows_or_shrinks_has_changed() {
        for change in [&b"more\n"[..], b""] {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(b"h1,h2\n1,2\n").unwrap();
            let scan = Disk::open(file.path()).unwrap().unwrap();
            if change.is_empty() {
                file.as_file().set_len(6).unwrap();
            } else {
                file.write_all(change).unwrap();
            }
            assert!(read_all(&scan.disk).is_empty());
            assert!(scan.disk.unchanged().is_err());
        }
    }

    #[test]
    fn a_file_replaced_under_its_name_is_still_read_as_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        std::fs::write(&path, "h1,h2\n1,2\n").unwrap();
        let scan = Disk::open(&path).unwrap().unwrap();
        let other = dir.path().join("new.csv");
        std::fs::write(&other, "h1,h2\n3,4\n").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(read_all(&scan.disk), b"h1,h2\n1,2\n");
        assert!(scan.disk.unchanged().is_ok());
    }

    #[test]
    fn a_windows_1252_file_is_decoded_as_it_is_read_again() {
        // Not UTF-8, no mark: Windows-1252, as decoding the whole file would find, over chunks.
        let line = "Kåre;Ærø;€ 12,50\r\n".repeat(CHUNK / 8);
        let (bytes, _, _) = WINDOWS_1252.encode(&line);
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(&bytes).unwrap();
        let scan = Disk::open(file.path()).unwrap().unwrap();
        assert_eq!(scan.disk.encoding(), WINDOWS_1252);
        assert_eq!(
            (scan.len, scan.quote, scan.disk.bom()),
            (line.len(), false, false)
        );
        assert_eq!(read_all(&scan.disk), line.as_bytes());
        let (decoded, _) =
            super::super::encoding::decode(file.path(), bytes.to_vec(), None).unwrap();
        assert_eq!(decoded, line);
    }

    #[test]
    fn other_encodings_are_left_to_decoding() {
        for bytes in [&b"\xff\xfea\0"[..], b"a\0b\n", b"\xef\xbb\xbfa\xff\n"] {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(bytes).unwrap();
            match Disk::open(file.path()) {
                // A UTF-8 mark before bytes that are not UTF-8 is said at once.
                Err(e) => assert!(e.to_string().contains("UTF-8 byte-order mark"), "{e}"),
                Ok(scan) => assert!(scan.is_none()),
            }
        }
    }
}

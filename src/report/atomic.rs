//! An output file being written: it appears under its name only when committed, and its bytes
//! go to disk on a thread of their own ([`Background`], a [`Worker`]), so the run that makes
//! them does not wait on the disk (a million-line sheet's result and payload files are 600 MB of writes).

use crate::error::Error;
use crate::pipeline::worker::Worker;
use crate::report::direct::DiskFile;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};

/// A file being written: it appears under its name only when committed; dropped, it is gone.
pub struct AtomicFile {
    path: PathBuf,
    temp: tempfile::NamedTempFile,
    /// Writes to the temporary file's own descriptor, so that an error names the output (the
    /// caller's path), not the temporary name.
    pub writer: Background<DiskFile>,
}

impl AtomicFile {
    pub fn create(path: &Path) -> Result<Self, Error> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".fpgo-export-");
        // A temporary file is private (0600); an output is an ordinary file, for colleagues and
        // a cron job's reader too: 0666 less the user's umask, as any program creates one.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let temp = builder.tempfile_in(dir).map_err(|e| Error::file(path, e))?;
        let file = temp
            .as_file()
            .try_clone()
            .map_err(|e| Error::file(path, e))?;
        let writer = Background::new(DiskFile::new(file, temp.path()));
        Ok(AtomicFile {
            path: path.to_path_buf(),
            temp,
            writer,
        })
    }

    /// Every byte written out, then the file renamed to its name; a write that failed (the
    /// disk full) is the error here if it was not one already.
    pub fn commit(self) -> Result<(), Error> {
        self.writer
            .finish()
            .map_err(|e| Error::file(&self.path, e))?;
        self.temp
            .persist(&self.path)
            .map_err(|e| Error::file(&self.path, e.error))?;
        Ok(())
    }
}

/// How many bytes go to the disk thread at a time.
const CHUNK: usize = 1 << 20;

/// A buffered writer whose full buffers are written by a thread of its own (a [`Worker`]): a
/// few wait for it at most, so memory stays a few chunks whatever the file's size, and the
/// chunks written come back to be filled again. A failed write is the error of a later
/// write, or of [`Background::finish`].
pub struct Background<W: Write + Send + 'static> {
    buffer: Vec<u8>,
    disk: Worker<Vec<u8>, W, io::Error>,
    /// The chunks written, for reuse.
    written: Receiver<Vec<u8>>,
}

impl<W: Write + Send + 'static> Background<W> {
    pub fn new(out: W) -> Self {
        let (back, written) = mpsc::channel();
        let disk = Worker::start(1, out, move |out: &mut W, mut chunk: Vec<u8>| {
            out.write_all(&chunk)?;
            chunk.clear();
            // The writer may be gone already; the chunk is then only freed.
            let _ = back.send(chunk);
            Ok(())
        });
        Background {
            buffer: Vec::with_capacity(CHUNK),
            disk,
            written,
        }
    }

    /// Hands the buffer to the disk thread and takes an empty one.
    fn hand_over(&mut self) -> io::Result<()> {
        let next = self
            .written
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        self.disk.push(std::mem::replace(&mut self.buffer, next))
    }

    /// Writes out what is left, waits for every byte to be written, and gives the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.buffer.is_empty() {
            self.hand_over()?;
        }
        let mut out = self.disk.finish()?;
        out.flush()?;
        Ok(out)
    }
}

impl<W: Write + Send + 'static> Write for Background<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buffer.len() + bytes.len() > CHUNK && !self.buffer.is_empty() {
            self.hand_over()?;
        }
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    /// The bytes are on their way; [`Background::finish`] is where they are all written.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_arrives_in_order() {
        let mut out = Background::new(Vec::new());
        let mut expected = Vec::new();
        for i in 0..300_000u32 {
            let line = format!("{i},{}\n", "x".repeat((i % 17) as usize));
            out.write_all(line.as_bytes()).unwrap();
            expected.extend_from_slice(line.as_bytes());
        }
        out.write_all(&vec![b'y'; 3 * CHUNK]).unwrap();
        expected.extend(std::iter::repeat_n(b'y', 3 * CHUNK));
        assert_eq!(out.finish().unwrap(), expected);
    }

    /// A writer that takes `room` bytes, then fails as a full disk does.
    struct Full {
        room: usize,
    }
    impl Write for Full {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            if bytes.len() > self.room {
                return Err(io::Error::other("no space left on device"));
            }
            self.room -= bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_is_the_error_of_a_later_write_or_of_the_finish() {
        // Fails within the writes: one of them says why.
        let mut out = Background::new(Full { room: CHUNK });
        let failed = (0..64).find_map(|_| out.write_all(&[b'z'; CHUNK / 2]).err());
        assert_eq!(failed.unwrap().to_string(), "no space left on device");
        // Fails with the last bytes: the finish says why.
        let mut out = Background::new(Full { room: 10 });
        out.write_all(b"more than ten bytes").unwrap();
        let error = out.finish().err().unwrap();
        assert_eq!(error.to_string(), "no space left on device");
    }

    #[test]
    fn an_output_dropped_unfinished_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("result.csv");
        let mut file = AtomicFile::create(&path).unwrap();
        file.writer.write_all(&[b'a'; 3 * CHUNK]).unwrap();
        drop(file);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut file = AtomicFile::create(&path).unwrap();
        file.writer.write_all(b"a,b\n").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n");
    }
}

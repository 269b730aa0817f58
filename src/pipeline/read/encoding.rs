//! Text encodings of CSV files: a byte-order mark wins, then UTF-8 when the bytes are valid
//! UTF-8, else Windows-1252 (what a Norwegian Excel writes), which maps every byte to a
//! character, so decoding is never lossy. `--encoding` overrides the detection.

use crate::error::Error;
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use std::fmt;
use std::path::Path;

/// The encoding a text file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextEncoding {
    pub encoding: &'static Encoding,
    pub bom: bool,
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encoding.name())?;
        if self.bom {
            f.write_str(" with BOM")?;
        }
        Ok(())
    }
}

/// Decodes a text file's bytes, detecting the encoding unless one is named.
pub fn decode(
    path: &Path,
    bytes: Vec<u8>,
    named: Option<&str>,
) -> Result<(String, TextEncoding), Error> {
    if let Some(label) = named {
        let encoding = Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
            Error::usage(format!(
                "unknown encoding \"{label}\"; use utf-8, windows-1252, iso-8859-1 or utf-16le"
            ))
        })?;
        let (text, bom) = match Encoding::for_bom(&bytes) {
            Some((enc, len)) if enc == encoding => (&bytes[len..], true),
            _ => (&bytes[..], false),
        };
        let (decoded, had_errors) = encoding.decode_without_bom_handling(text);
        if had_errors {
            return Err(Error::unusable(
                path,
                format!(
                    "the file is not valid {}; leave out --encoding to detect it",
                    encoding.name()
                ),
            ));
        }
        return Ok((decoded.into_owned(), TextEncoding { encoding, bom }));
    }
    if let Some((_, len)) = Encoding::for_bom(&bytes).filter(|(e, _)| *e == UTF_8) {
        // UTF-8 after its mark: the bytes become the text in place, without a copy.
        let mut bytes = bytes;
        bytes.drain(..len);
        if let Ok(text) = String::from_utf8(bytes) {
            let encoding = TextEncoding {
                encoding: UTF_8,
                bom: true,
            };
            return Ok((text, encoding));
        }
        return Err(Error::unusable(
            path,
            "the file starts with a UTF-8 byte-order mark but is not valid UTF-8",
        ));
    }
    if let Some((encoding, len)) = Encoding::for_bom(&bytes) {
        let (decoded, had_errors) = encoding.decode_without_bom_handling(&bytes[len..]);
        if had_errors {
            return Err(Error::unusable(
                path,
                format!(
                    "the file starts with a {} byte-order mark but is not valid {}",
                    encoding.name(),
                    encoding.name()
                ),
            ));
        }
        return Ok((
            decoded.into_owned(),
            TextEncoding {
                encoding,
                bom: true,
            },
        ));
    }
    if let Some(pos) = bytes.iter().take(1 << 16).position(|&b| b == 0) {
        // NUL bytes without a BOM: UTF-16 without a mark, or not text at all.
        let encoding = if pos % 2 == 1 { UTF_16LE } else { UTF_16BE };
        let (decoded, had_errors) = encoding.decode_without_bom_handling(&bytes);
        if had_errors
            || decoded
                .chars()
                .take(4096)
                .any(|c| c.is_control() && !c.is_whitespace())
        {
            return Err(Error::unusable(
                path,
                format!("this is not a text file (binary data at byte {pos}); save the sheet as CSV or XLSX"),
            ));
        }
        return Ok((
            decoded.into_owned(),
            TextEncoding {
                encoding,
                bom: false,
            },
        ));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok((
            text,
            TextEncoding {
                encoding: UTF_8,
                bom: false,
            },
        )),
        Err(e) => {
            let (decoded, _) = WINDOWS_1252.decode_without_bom_handling(e.as_bytes());
            Ok((
                decoded.into_owned(),
                TextEncoding {
                    encoding: WINDOWS_1252,
                    bom: false,
                },
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect(bytes: &[u8]) -> (String, String) {
        let (text, enc) = decode(Path::new("t.csv"), bytes.to_vec(), None).unwrap();
        (text, enc.to_string())
    }

    #[test]
    fn detection() {
        assert_eq!(detect(b"a;b\n"), ("a;b\n".into(), "UTF-8".into()));
        assert_eq!(
            detect(b"\xef\xbb\xbf\xc3\xa6"),
            ("æ".into(), "UTF-8 with BOM".into())
        );
        assert_eq!(
            detect(b"S\xe6ther"),
            ("Sæther".into(), "windows-1252".into())
        );
        assert_eq!(
            detect(b"\xff\xfea\x00"),
            ("a".into(), "UTF-16LE with BOM".into())
        );
        assert!(decode(
            Path::new("t.csv"),
            b"\x00\x01\x02\x03\x00\x05".to_vec(),
            None
        )
        .is_err());
    }

    #[test]
    fn named_encoding() {
        let (text, _) = decode(Path::new("t.csv"), b"S\xe6ther".to_vec(), Some("latin1")).unwrap();
        assert_eq!(text, "Sæther");
        assert!(decode(Path::new("t.csv"), b"S\xe6ther".to_vec(), Some("utf-8")).is_err());
        assert!(decode(Path::new("t.csv"), b"x".to_vec(), Some("klingon")).is_err());
    }
}

//! Request bodies written as JSON straight into a buffer: the bytes `serde_json` writes for
//! the same value (compact, the same escapes), made with less work a field (a body has some
//! seventy, and a million-line sheet two hundred thousand bodies). Only what the bodies hold
//! is written here (structs, maps with text keys, sequences, options, text, booleans and
//! integers); anything else is an error, and [`write`] then leaves the work to `serde_json`.

use serde::ser::{self, Impossible, Serialize};
use std::fmt;
use std::io::Write;

/// Appends `value` as JSON to `out`: the bytes `serde_json::to_writer` appends.
pub fn write<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    let from = out.len();
    if value.serialize(&mut Json { out }).is_err() {
        out.truncate(from);
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(out, value);
    }
}

/// A value [`write`] does not write itself.
#[derive(Debug)]
pub struct Unwritten;

impl fmt::Display for Unwritten {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value of a kind request bodies do not hold")
    }
}

impl std::error::Error for Unwritten {}

impl ser::Error for Unwritten {
    fn custom<M: fmt::Display>(_: M) -> Self {
        Unwritten
    }
}

struct Json<'a> {
    out: &'a mut Vec<u8>,
}

/// A struct, map or sequence being written: whether a member is written yet.
pub struct Members<'j, 'a> {
    json: &'j mut Json<'a>,
    first: bool,
}

impl Members<'_, '_> {
    fn comma(&mut self) {
        if !std::mem::take(&mut self.first) {
            self.json.out.push(b',');
        }
    }
}

/// Appends `text` as a JSON string, escaped as `serde_json` escapes it: `"`, `\` and the
/// control characters below U+0020, nothing else.
fn text(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if plain(bytes) {
        out.extend_from_slice(bytes);
    } else {
        let mut from = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let short = match b {
                b'"' => b'"',
                b'\\' => b'\\',
                0x08 => b'b',
                0x0c => b'f',
                b'\n' => b'n',
                b'\r' => b'r',
                b'\t' => b't',
                0x00..=0x1f => b'u',
                _ => continue,
            };
            out.extend_from_slice(&bytes[from..i]);
            from = i + 1;
            out.extend_from_slice(&[b'\\', short]);
            if short == b'u' {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'0',
                    b'0',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 0xf) as usize],
                ]);
            }
        }
        out.extend_from_slice(&bytes[from..]);
    }
    out.push(b'"');
}

/// Whether no byte of `bytes` needs an escape: most texts, so looked at sixteen bytes at a
/// time without a branch a byte, and then copied whole.
fn plain(bytes: &[u8]) -> bool {
    fn clean(chunk: &[u8; 16]) -> bool {
        let bad = chunk.iter().fold(0u8, |bad, &b| {
            bad | u8::from(b < 0x20 || b == b'"' || b == b'\\')
        });
        bad == 0
    }
    let (chunks, rest) = bytes.as_chunks::<16>();
    let mut last = [b' '; 16];
    last[..rest.len()].copy_from_slice(rest);
    chunks.iter().all(clean) && clean(&last)
}

impl<'j, 'a> ser::Serializer for &'j mut Json<'a> {
    type Ok = ();
    type Error = Unwritten;
    type SerializeSeq = Members<'j, 'a>;
    type SerializeTuple = Impossible<(), Unwritten>;
    type SerializeTupleStruct = Impossible<(), Unwritten>;
    type SerializeTupleVariant = Impossible<(), Unwritten>;
    type SerializeMap = Members<'j, 'a>;
    type SerializeStruct = Members<'j, 'a>;
    type SerializeStructVariant = Impossible<(), Unwritten>;

    fn serialize_bool(self, v: bool) -> Result<(), Unwritten> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unwritten> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unwritten> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unwritten> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unwritten> {
        let _ = write!(self.out, "{v}");
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unwritten> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unwritten> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unwritten> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unwritten> {
        let _ = write!(self.out, "{v}");
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Result<(), Unwritten> {
        Err(Unwritten)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Unwritten> {
        Err(Unwritten)
    }
    fn serialize_char(self, v: char) -> Result<(), Unwritten> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Unwritten> {
        text(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unwritten> {
        Err(Unwritten)
    }
    fn serialize_none(self) -> Result<(), Unwritten> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unwritten> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unwritten> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unwritten> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Unwritten> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unwritten> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unwritten> {
        Err(Unwritten)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Members<'j, 'a>, Unwritten> {
        self.out.push(b'[');
        Ok(Members {
            json: self,
            first: true,
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unwritten> {
        Err(Unwritten)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unwritten> {
        Err(Unwritten)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unwritten> {
        Err(Unwritten)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Members<'j, 'a>, Unwritten> {
        self.out.push(b'{');
        Ok(Members {
            json: self,
            first: true,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Members<'j, 'a>, Unwritten> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unwritten> {
        Err(Unwritten)
    }
}

impl ser::SerializeSeq for Members<'_, '_> {
    type Ok = ();
    type Error = Unwritten;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritten> {
        self.comma();
        value.serialize(&mut *self.json)
    }
    fn end(self) -> Result<(), Unwritten> {
        self.json.out.push(b']');
        Ok(())
    }
}

impl ser::SerializeStruct for Members<'_, '_> {
    type Ok = ();
    type Error = Unwritten;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unwritten> {
        self.comma();
        text(self.json.out, key);
        self.json.out.push(b':');
        value.serialize(&mut *self.json)
    }
    fn end(self) -> Result<(), Unwritten> {
        self.json.out.push(b'}');
        Ok(())
    }
}

impl ser::SerializeMap for Members<'_, '_> {
    type Ok = ();
    type Error = Unwritten;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unwritten> {
        self.comma();
        let at = self.json.out.len();
        key.serialize(&mut *self.json)?;
        // A key is text (`serde_json` would quote a number; the bodies have none).
        if self.json.out.get(at) != Some(&b'"') {
            return Err(Unwritten);
        }
        self.json.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unwritten> {
        value.serialize(&mut *self.json)
    }
    fn end(self) -> Result<(), Unwritten> {
        self.json.out.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Serialize;

    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Inner {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        maybe: Option<String>,
        count: u32,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Outer {
        items: Vec<Inner>,
        flag: bool,
        nothing: Option<u8>,
        #[serde(flatten)]
        flat: Inner,
    }

    #[derive(Serialize)]
    #[serde(untagged)]
    enum Either {
        Outer(Outer),
        Inner(Inner),
    }

    fn inner() -> impl Strategy<Value = Inner> {
        // Any character, the ones that are escaped often.
        let text = "(\\PC|[\"\\\\\\x00-\\x1f\\x7f])*";
        (text, prop::option::of(text), any::<u32>()).prop_map(|(text, maybe, count)| Inner {
            text,
            maybe,
            count,
        })
    }

    proptest! {
        #[test]
        fn the_bytes_are_those_serde_json_writes(
            items in prop::collection::vec(inner(), 0..4),
            flag in any::<bool>(),
            nothing in prop::option::of(any::<u8>()),
            flat in inner(),
            alone in inner(),
        ) {
            let outer = Either::Outer(Outer { items, flag, nothing, flat });
            for value in [outer, Either::Inner(alone)] {
                let mut out = b"before".to_vec();
                write(&value, &mut out);
                let mut expected = b"before".to_vec();
                serde_json::to_writer(&mut expected, &value).unwrap();
                prop_assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&expected));
            }
        }
    }

    #[test]
    fn what_it_does_not_write_serde_json_does() {
        #[derive(Serialize)]
        struct Odd {
            ratio: f64,
            pair: (u8, u8),
        }
        let mut out = b"[".to_vec();
        write(
            &Odd {
                ratio: 0.5,
                pair: (1, 2),
            },
            &mut out,
        );
        assert_eq!(out, br#"[{"ratio":0.5,"pair":[1,2]}"#);
    }
}

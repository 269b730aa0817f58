//! Which field an unrecognised header most likely means: `Antal` is `quantity` (`antall`),
//! `Fødselsnr` is `personal_number` (`fødselsnummer`). A header is compared, normalised as
//! [`normalize`] does and with æ, ø, å folded to ae, o, a, against every name of every field
//! in [`FIELDS`]; a header far from all of them gets no suggestion, so `Farge` or `Lagerplass`
//! is only ignored.

use crate::model::fields::{normalize, Field, FIELDS};

/// The least similarity (0 to 1) a name needs to be suggested: one typo in five letters.
const THRESHOLD: f64 = 0.8;

/// The longest header (in characters, normalised) compared at all: no field's name is longer,
/// and a sheet may have headers of a million characters.
const LONGEST: usize = 40;

/// The field a header probably means, and the name of it that the header resembles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Suggestion {
    pub field: Field,
    /// The field's canonical name, an alias or its API name, as [`FIELDS`] writes it.
    pub name: &'static str,
}

impl Suggestion {
    /// `quantity (antall)`, or `quantity` when the header resembles the canonical name.
    pub fn describe(&self) -> String {
        if self.name == self.field.name() {
            self.field.name().to_string()
        } else {
            format!("{} ({})", self.field, self.name)
        }
    }

    /// `quantity (or antall)` for "name it …", or the canonical name alone.
    pub fn rename(&self) -> String {
        if self.name == self.field.name() {
            self.field.name().to_string()
        } else {
            format!("{} (or {})", self.field, self.name)
        }
    }
}

/// The field `header` most likely means among those `candidate` accepts, or `None` when no
/// name of theirs is similar enough.
pub fn suggest(header: &str, candidate: impl Fn(Field) -> bool) -> Option<Suggestion> {
    let key = fold(&normalize(header));
    let length = key.chars().count();
    if !(3..=LONGEST).contains(&length) {
        return None;
    }
    let mut best: Option<(f64, Suggestion)> = None;
    for info in FIELDS.iter().filter(|i| candidate(i.field)) {
        let names = std::iter::once(info.name)
            .chain(info.aliases.iter().copied())
            .chain((!info.api.is_empty()).then_some(info.api));
        for name in names {
            let score = similarity(&key, &fold(&normalize(name)));
            if score >= THRESHOLD && best.is_none_or(|(b, _)| score > b) {
                let suggestion = Suggestion {
                    field: info.field,
                    name,
                };
                best = Some((score, suggestion));
            }
        }
    }
    best.map(|(_, s)| s)
}

/// A normalised key with the Nordic and a few other accented letters written plainly, so that
/// `belop` is as close to `beløp` as `beløp` itself.
fn fold(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        match c {
            'æ' | 'ä' => out.push_str("ae"),
            'ø' | 'ö' | 'ó' | 'ò' => out.push('o'),
            'å' | 'á' | 'à' => out.push('a'),
            'é' | 'è' | 'ê' => out.push('e'),
            'ü' | 'ú' => out.push('u'),
            c => out.push(c),
        }
    }
    out
}

/// How alike a header's key and a name's key are, from 0 to 1: the Damerau-Levenshtein
/// similarity (typos, a swapped pair), or 0.8 when the header is an abbreviation of the name
/// (its letters in order, the first three the same: `fodselsnr` of `fodselsnummer`) or the
/// name followed by more (`epostadresse` after `epost`).
fn similarity(key: &str, name: &str) -> f64 {
    if key == name {
        return 1.0;
    }
    let edits = strsim::normalized_damerau_levenshtein(key, name);
    let abbreviation = key.chars().count() >= 4 && same_start(key, name, 3) && within(key, name);
    let extension = name.chars().count() >= 4 && key.starts_with(name);
    if abbreviation || extension {
        edits.max(THRESHOLD)
    } else {
        edits
    }
}

/// Whether both texts begin with the same `n` characters.
fn same_start(a: &str, b: &str, n: usize) -> bool {
    let (mut a, mut b) = (a.chars(), b.chars());
    (0..n).all(|_| matches!((a.next(), b.next()), (Some(x), Some(y)) if x == y))
}

/// Whether every character of `short` appears in `long` in the same order.
fn within(short: &str, long: &str) -> bool {
    let mut rest = long.chars();
    short.chars().all(|c| rest.any(|l| l == c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(header: &str) -> Option<(&'static str, &'static str)> {
        suggest(header, |_| true).map(|s| (s.field.name(), s.name))
    }

    #[test]
    fn typos_and_abbreviations_find_their_field() {
        assert_eq!(field("Antal"), Some(("quantity", "antall")));
        assert_eq!(
            field("Fødselsnr"),
            Some(("personal_number", "fødselsnummer"))
        );
        assert_eq!(
            field("Fodselsnummer"),
            Some(("personal_number", "fødselsnummer"))
        );
        assert_eq!(field("belop"), Some(("line_amount", "beløp")));
        assert_eq!(field("Quantaty"), Some(("quantity", "quantity")));
        assert_eq!(field("Mobilnr").map(|(f, _)| f), Some("phone"));
        assert_eq!(field("Emial"), Some(("email", "email")));
        assert_eq!(field("Postnumer"), Some(("zip", "postnummer")));
    }

    #[test]
    fn unrelated_headers_get_no_suggestion() {
        for header in [
            "Farge",
            "colour",
            "Lagerplass",
            "Kommentar",
            "Notat",
            "Status",
            "Selger",
            "ab",
            "",
            &"H".repeat(1000),
        ] {
            assert_eq!(field(header), None, "{header}");
        }
    }

    #[test]
    fn only_candidates_are_suggested() {
        assert_eq!(suggest("Antal", |f| f != Field::Quantity), None);
    }
}

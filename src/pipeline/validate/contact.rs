//! How the customer is reached: the e-mail address and the mobile number, which is split
//! into the country calling code and the number the way the provider wants them (a Norwegian
//! number needs no prefix; any other needs one, in the number or its own column).

use super::{norway, Check, OrderView};
use crate::model::fields::Field;
use crate::pipeline::group::Sourced;

impl Check<'_> {
    pub(super) fn email<'v>(&mut self, v: Option<&'v Sourced>, row: u32) -> Option<&'v str> {
        let email = self.required_text(v, Field::Email, row, "write the customer's email address");
        if let (Some(e), Some(s)) = (email, v) {
            if !is_email(e) {
                self.bad(
                    Field::Email,
                    s,
                    "is not a valid email address (name@example.no)",
                );
            }
        }
        email
    }

    /// The phone split into country code and number.
    pub(super) fn phone(
        &mut self,
        d: &OrderView,
        row: u32,
        norway: bool,
    ) -> Option<(String, String)> {
        let v = d.get(Field::Phone);
        let Some((text, s)) = self.text(v) else {
            if !Self::invalid(v) {
                self.missing(row, Field::Phone, "write the customer's mobile number");
            }
            return None;
        };
        let compact: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '/' | '\u{a0}'))
            .collect();
        let international = compact
            .strip_prefix('+')
            .or_else(|| compact.strip_prefix("00"));
        let (code, number) = match international {
            Some(rest) => {
                if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
                    self.bad(Field::Phone, s, "is not a phone number");
                    return None;
                }
                let len = calling_code_length(rest);
                (format!("+{}", &rest[..len]), rest[len..].to_string())
            }
            None => (self.calling_code(d, s, norway)?, compact),
        };
        if !number.bytes().all(|b| b.is_ascii_digit()) || number.is_empty() {
            self.bad(Field::Phone, s, "is not a phone number");
            return None;
        }
        if code == "+47" {
            if let Err(why) = norway::mobile(&number) {
                self.bad(Field::Phone, s, why);
                return None;
            }
        } else if !(4..=14).contains(&number.len()) {
            self.bad(
                Field::Phone,
                s,
                "is not a phone number of a plausible length",
            );
            return None;
        }
        Some((code, number))
    }

    /// The calling code of a phone number written without one (`phone`): the
    /// `phone_country_code` column, else +47 for a customer in Norway.
    fn calling_code(&mut self, d: &OrderView, phone: &Sourced, norway: bool) -> Option<String> {
        match self.text(d.get(Field::PhoneCountryCode)) {
            Some((c, cs)) => {
                let digits = c.trim_start_matches('+').trim_start_matches("00");
                if digits.is_empty()
                    || digits.len() > 3
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    self.bad(
                        Field::PhoneCountryCode,
                        cs,
                        "is not a phone country code such as +47",
                    );
                    return None;
                }
                Some(format!("+{digits}"))
            }
            None if norway => Some("+47".to_string()),
            None => {
                self.bad(
                    Field::Phone,
                    phone,
                    "has no country code; write it as +46 70 123 45 67 or set phone_country_code",
                );
                None
            }
        }
    }
}

/// An email address the provider's validator would take: one `@`, a dotted domain, no spaces.
fn is_email(e: &str) -> bool {
    let Some((local, domain)) = e.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && e.chars().all(|c| !c.is_whitespace() && !c.is_control())
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
}

/// Length of the country calling code at the start of an international number (ITU E.164).
fn calling_code_length(digits: &str) -> usize {
    const TWO: &[&str] = &[
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    if digits.starts_with('1') || digits.starts_with('7') {
        1
    } else if TWO.iter().any(|c| digits.starts_with(c)) {
        2
    } else {
        3.min(digits.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("kari@example.no"));
        assert!(!is_email("ola.nordmann@"));
        assert!(!is_email("ola nordmann@example.no"));
        assert!(!is_email("ola@localhost"));
    }

    #[test]
    fn calling_codes() {
        assert_eq!(calling_code_length("4746567468"), 2);
        assert_eq!(calling_code_length("15551234567"), 1);
        assert_eq!(calling_code_length("3545551234"), 3);
    }
}

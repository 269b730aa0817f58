//! Norway's own checks: personal number (fødselsnummer, D-number, synthetic test numbers),
//! organisation number, postal code and mobile number. Each returns `Err` with a reason a
//! person can act on.

/// Weights of a personal number's first check digit (over digits 1–9).
pub const PERSONAL_K1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
/// Weights of its second check digit (over digits 1–10).
pub const PERSONAL_K2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
/// Weights of an organisation number's check digit (over digits 1–8).
pub const ORGANISATION: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

/// The digits of a text of exactly `N` ASCII digits.
fn digits<const N: usize>(s: &str) -> Option<[u32; N]> {
    let bytes: &[u8; N] = s.as_bytes().try_into().ok()?;
    bytes
        .iter()
        .all(u8::is_ascii_digit)
        .then(|| bytes.map(|b| u32::from(b - b'0')))
}

/// The mod-11 check digit for `digits` with `weights`; `None` when the sum gives 10 (unusable).
pub fn mod11(digits: &[u32], weights: &[u32]) -> Option<u32> {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

/// Whether a personal number's two check digits are right.
pub fn personal_number_checksum(number: &str) -> Result<(), String> {
    let d = digits::<11>(number)
        .ok_or_else(|| "a personal number has exactly 11 digits".to_string())?;
    let k1 = mod11(&d[..9], &PERSONAL_K1);
    let k2 = k1.and_then(|k1| {
        let mut first10 = d;
        first10[9] = k1;
        mod11(&first10[..10], &PERSONAL_K2)
    });
    if k1 != Some(d[9]) || k2 != Some(d[10]) {
        return Err("the check digits are wrong: check the number for a typing error".into());
    }
    Ok(())
}

/// Whether the birth date part is a possible date: D-numbers add 4 to the first digit,
/// synthetic test numbers add 40 or 80 to the month.
pub fn personal_number_date(number: &str) -> Result<(), String> {
    let d = digits::<11>(number)
        .ok_or_else(|| "a personal number has exactly 11 digits".to_string())?;
    let mut day = d[0] * 10 + d[1];
    let mut month = d[2] * 10 + d[3];
    if day > 40 {
        day -= 40;
    }
    if month > 80 {
        month -= 80;
    } else if month > 40 {
        month -= 40;
    }
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return Err("its first six digits are not a birth date (DDMMYY)".into());
    }
    Ok(())
}

/// Cleans an organisation number as people write it: spaces, dots and dashes go, and a
/// Norwegian `NO 914 286 018 MVA` becomes `914286018`.
pub fn clean_organisation_number(text: &str) -> String {
    let compact: String = text
        .trim()
        .to_uppercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}'))
        .collect();
    let core = compact.strip_prefix("NO").unwrap_or(&compact);
    let core = core.strip_suffix("MVA").unwrap_or(core);
    if core.len() == 9 && core.bytes().all(|b| b.is_ascii_digit()) {
        core.to_string()
    } else {
        compact
    }
}

/// Whether an organisation number has 9 digits and a right check digit.
pub fn organisation_number_format(number: &str) -> Result<(), String> {
    match digits::<9>(number) {
        Some(_) => Ok(()),
        None => Err("a Norwegian organisation number has 9 digits".into()),
    }
}

pub fn organisation_number_checksum(number: &str) -> Result<(), String> {
    let d = digits::<9>(number);
    if d.is_none_or(|d| mod11(&d[..8], &ORGANISATION) != Some(d[8])) {
        return Err("the check digit is wrong: check the number for a typing error".into());
    }
    Ok(())
}

/// A Norwegian postal code has 4 digits.
pub fn zip(zip: &str) -> Result<(), String> {
    if zip.len() == 4 && zip.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("a Norwegian postal code has 4 digits".into())
    }
}

/// A Norwegian mobile number has 8 digits after +47.
pub fn mobile(msisdn: &str) -> Result<(), String> {
    if msisdn.len() == 8 && msisdn.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("a Norwegian phone number has 8 digits after +47".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_numbers() {
        // The provider's example, a synthetic test number, and a D-number.
        for ok in ["28038712383", "15838512344"] {
            personal_number_date(ok).unwrap();
        }
        personal_number_checksum("28038712383").unwrap();
        assert!(personal_number_checksum("28038712384").is_err());
        assert!(personal_number_checksum("2803871238").is_err());
        assert!(personal_number_date("32138712383").is_err());
        personal_number_date("68038712345").unwrap();
    }

    #[test]
    fn organisation_numbers() {
        assert_eq!(clean_organisation_number("NO 914 286 018 MVA"), "914286018");
        assert_eq!(clean_organisation_number("914.286.018"), "914286018");
        assert_eq!(clean_organisation_number("SE5560000001"), "SE5560000001");
        assert_eq!(clean_organisation_number("556000-0001"), "5560000001");
        organisation_number_checksum("914286018").unwrap();
        assert!(organisation_number_checksum("914286019").is_err());
    }

    #[test]
    fn zip_and_mobile() {
        zip("0150").unwrap();
        assert!(zip("150").is_err());
        mobile("46567468").unwrap();
        assert!(mobile("4656746").is_err());
    }
}

//! Countries: the ISO 3166-1 alpha-2 codes and the names people write instead of them. Data,
//! shared by the tool's validator and the sandbox's (each applies its own rules to it).

/// ISO 3166-1 alpha-2 codes.
pub const ISO_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Country names people write instead of codes, in English and the Nordic languages.
pub const NAMES: &[(&str, &str)] = &[
    ("norway", "NO"),
    ("norge", "NO"),
    ("noreg", "NO"),
    ("sweden", "SE"),
    ("sverige", "SE"),
    ("denmark", "DK"),
    ("danmark", "DK"),
    ("finland", "FI"),
    ("suomi", "FI"),
    ("iceland", "IS"),
    ("island", "IS"),
    ("germany", "DE"),
    ("tyskland", "DE"),
    ("deutschland", "DE"),
    ("united kingdom", "GB"),
    ("storbritannia", "GB"),
    ("england", "GB"),
    ("netherlands", "NL"),
    ("nederland", "NL"),
    ("poland", "PL"),
    ("polen", "PL"),
    ("united states", "US"),
    ("usa", "US"),
    ("france", "FR"),
    ("frankrike", "FR"),
    ("spain", "ES"),
    ("spania", "ES"),
];

/// Whether a text is an ISO 3166-1 alpha-2 code (upper case): a binary search of
/// [`ISO_ALPHA2`], whose codes are sorted and three bytes apart.
pub fn is_iso_alpha2(code: &str) -> bool {
    let list = ISO_ALPHA2.as_bytes();
    let nth = |i: usize| &list[3 * i..3 * i + 2];
    let (mut low, mut high) = (0, list.len().div_ceil(3));
    while code.len() == 2 && low < high {
        let middle = (low + high) / 2;
        match nth(middle).cmp(code.as_bytes()) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_list_is_sane() {
        let codes: Vec<&str> = ISO_ALPHA2.split(' ').collect();
        assert_eq!(codes.len(), 249);
        assert!(codes.iter().all(|c| c.len() == 2 && c.to_uppercase() == *c));
        assert!(is_iso_alpha2("NO") && !is_iso_alpha2("XX") && !is_iso_alpha2("no"));
        assert!(NAMES.iter().all(|(_, code)| is_iso_alpha2(code)));
        assert!(
            codes.windows(2).all(|w| w[0] < w[1]),
            "sorted, for the binary search"
        );
        assert!(codes.iter().all(|c| is_iso_alpha2(c)));
        assert!(!is_iso_alpha2("A") && !is_iso_alpha2("AAA") && !is_iso_alpha2("ZZ"));
    }
}

//! The rules of an order's customer: private or corporate, the name, the personal and
//! organisation numbers (Norway's checks when the country is NO), the address, the country
//! and the preferred language. How to reach the customer (e-mail, phone) is `contact.rs`.

use super::{norway, Check, OrderView, Rules};
use crate::model::countries;
use crate::model::fields::Field;
use crate::model::order::{Customer, CustomerType};
use crate::pipeline::group::Sourced;

/// What the checks of a personal or organisation number know of its holder: the order's
/// row for a blank number, the customer's type (each type needs its own number) and whether
/// the customer is in Norway (only Norway's numbers can be checked further).
#[derive(Clone, Copy)]
struct Holder {
    row: u32,
    kind: Option<CustomerType>,
    norway: bool,
}

impl Check<'_> {
    pub(super) fn customer(&mut self, d: &OrderView, row: u32, rules: &Rules) -> Option<Customer> {
        let errors = self.errors;
        let get = |f: Field| d.get(f);
        let country = self.country(get(Field::Country), row);
        let norway = country.as_deref() == Some("NO");
        // The type may be left to the number given, so both are looked at first.
        let has_personal = self.text(get(Field::PersonalNumber)).is_some();
        let has_organisation = self.text(get(Field::OrganizationId)).is_some();
        let kind = self.customer_type(
            get(Field::CustomerType),
            row,
            has_personal,
            has_organisation,
        );
        let name = self.required_text(
            get(Field::Name),
            Field::Name,
            row,
            "write the customer's full name",
        );
        let email = self.email(get(Field::Email), row);
        let (country_code, msisdn) = self.phone(d, row, norway).unzip();
        let holder = Holder { row, kind, norway };
        let personal_number = self.personal_number(get(Field::PersonalNumber), &holder, rules);
        let organization_id = self.organisation_number(get(Field::OrganizationId), &holder, rules);
        let language = self.language(get(Field::Language), row, rules);
        let (street, zip, city) = self.address(d, row, norway);
        if self.errors > errors {
            return None;
        }
        Some(Customer {
            kind: kind?,
            name: name?.to_string(),
            email: email?.to_string(),
            country_code: country_code?,
            msisdn: msisdn?,
            personal_number,
            organization_id,
            language,
            street: street?.to_string(),
            zip: zip?.to_string(),
            city: city?.to_string(),
            country: country?,
        })
    }

    /// Private or corporate, as written in English or Norwegian; when the sheet does not say,
    /// the number given (personal or organisation) tells.
    fn customer_type(
        &mut self,
        v: Option<&Sourced>,
        row: u32,
        has_personal: bool,
        has_organisation: bool,
    ) -> Option<CustomerType> {
        match self.text(v) {
            Some((t, s)) => match t.to_lowercase().as_str() {
                "private" | "privat" | "person" | "privatperson" | "individual" | "consumer"
                | "p" => Some(CustomerType::Private),
                "corporate" | "bedrift" | "firma" | "company" | "business" | "organisation"
                | "organization" | "b" | "c" => Some(CustomerType::Corporate),
                _ => {
                    self.bad(
                        Field::CustomerType,
                        s,
                        "must be private or corporate (privat/bedrift)",
                    );
                    None
                }
            },
            None if Self::invalid(v) => None,
            None => match (has_personal, has_organisation) {
                (true, false) => Some(CustomerType::Private),
                (false, true) => Some(CustomerType::Corporate),
                _ => {
                    self.missing(row, Field::CustomerType, "write private or corporate");
                    None
                }
            },
        }
    }

    /// The personal number: 11 digits, and for a Norwegian customer a possible birth date and
    /// right check digits (their severity is the config's: test data has wrong ones).
    fn personal_number(
        &mut self,
        v: Option<&Sourced>,
        holder: &Holder,
        rules: &Rules,
    ) -> Option<String> {
        let Holder { row, kind, norway } = *holder;
        let personal = self.text(v);
        match (kind, personal) {
            (_, None) if rules.requires(Field::PersonalNumber) && !Self::invalid(v) => self.missing(
                row,
                Field::PersonalNumber,
                "regular invoices need the customer's (or the company contact's) 11-digit personal number",
            ),
            (Some(CustomerType::Private), None) if !Self::invalid(v) => self.missing(
                row,
                Field::PersonalNumber,
                "private customers need their 11-digit personal number",
            ),
            (_, Some((pn, s))) => {
                if pn.len() != 11 || !pn.bytes().all(|b| b.is_ascii_digit()) {
                    self.bad(Field::PersonalNumber, s, "must be exactly 11 digits");
                } else if norway {
                    if let Err(why) = norway::personal_number_date(pn)
                        .and_then(|_| norway::personal_number_checksum(pn))
                    {
                        self.about(
                            rules.checksums,
                            Field::PersonalNumber,
                            s,
                            format!("is not a valid Norwegian personal number: {why}"),
                        );
                    }
                }
            }
            _ => {}
        }
        personal.map(|(p, _)| p.to_string())
    }

    /// The organisation number, cleaned of spaces and `NO … MVA`: letters and digits, and for
    /// a Norwegian customer 9 digits with a right check digit.
    fn organisation_number(
        &mut self,
        v: Option<&Sourced>,
        holder: &Holder,
        rules: &Rules,
    ) -> Option<String> {
        let Holder { row, kind, norway } = *holder;
        let organisation = self
            .text(v)
            .map(|(t, s)| (norway::clean_organisation_number(t), s));
        match (kind, &organisation) {
            (Some(CustomerType::Corporate), None) if !Self::invalid(v) => self.missing(
                row,
                Field::OrganizationId,
                "corporate customers need their organisation number",
            ),
            (_, Some((org, s))) => {
                if !org.chars().all(|c| c.is_ascii_alphanumeric()) {
                    self.bad(Field::OrganizationId, s, "may hold only letters and digits");
                } else if norway {
                    if let Err(why) = norway::organisation_number_format(org) {
                        self.bad(Field::OrganizationId, s, why);
                    } else if let Err(why) = norway::organisation_number_checksum(org) {
                        self.about(
                            rules.checksums,
                            Field::OrganizationId,
                            s,
                            format!("is not a valid organisation number: {why}"),
                        );
                    }
                }
            }
            _ => {}
        }
        organisation.map(|(o, _)| o)
    }

    /// The preferred language as the provider's code; people write names in several languages.
    fn language(&mut self, v: Option<&Sourced>, row: u32, rules: &Rules) -> Option<String> {
        match self.text(v) {
            Some((t, s)) => match language_code(t) {
                Some(code) => Some(code.to_string()),
                None => {
                    self.bad(
                        Field::Language,
                        s,
                        "is not a language the provider offers; use en, no, sv, da or de",
                    );
                    None
                }
            },
            None if rules.requires(Field::Language) && !Self::invalid(v) => {
                self.missing(
                    row,
                    Field::Language,
                    "regular invoices need one of en, no, sv, da, de",
                );
                None
            }
            None => None,
        }
    }

    /// Street, postal code (4 digits in Norway) and city.
    fn address<'v>(
        &mut self,
        d: &'v OrderView,
        row: u32,
        norway: bool,
    ) -> (Option<&'v str>, Option<&'v str>, Option<&'v str>) {
        let get = |f: Field| d.get(f);
        let street = self.required_text(
            get(Field::Street),
            Field::Street,
            row,
            "write the customer's street address",
        );
        let zip = self.required_text(get(Field::Zip), Field::Zip, row, "write the postal code");
        if let (Some(z), Some(s), true) = (zip, get(Field::Zip), norway) {
            if let Err(why) = norway::zip(z) {
                self.bad(Field::Zip, s, why);
            }
        }
        let city = self.required_text(get(Field::City), Field::City, row, "write the city");
        (street, zip, city)
    }

    /// The ISO 3166-1 alpha-2 code; a country's name in English or a Scandinavian language is
    /// read as its code, with a warning.
    fn country(&mut self, v: Option<&Sourced>, row: u32) -> Option<String> {
        let Some((text, s)) = self.text(v) else {
            if !Self::invalid(v) {
                self.missing(
                    row,
                    Field::Country,
                    "write the ISO country code, such as NO",
                );
            }
            return None;
        };
        let upper = text.to_uppercase();
        if upper.len() == 2 && countries::is_iso_alpha2(&upper) {
            return Some(upper);
        }
        let lower = text.to_lowercase();
        if let Some((_, code)) = countries::NAMES.iter().find(|(name, _)| *name == lower) {
            let message = format!("read as the ISO code {code}; write {code} to silence this");
            self.warn(Field::Country, s, message);
            return Some(code.to_string());
        }
        self.bad(
            Field::Country,
            s,
            "is not an ISO 3166-1 alpha-2 country code; write NO, SE, DK, …",
        );
        None
    }
}

fn language_code(text: &str) -> Option<&'static str> {
    Some(match text.to_lowercase().as_str() {
        "en" | "eng" | "english" | "engelsk" => "en",
        "no" | "nb" | "nn" | "nor" | "norsk" | "norwegian" | "bokmål" | "nynorsk" => "no",
        "sv" | "se" | "swe" | "svenska" | "svensk" | "swedish" => "sv",
        "da" | "dk" | "dan" | "dansk" | "danish" => "da",
        "de" | "deu" | "ger" | "deutsch" | "german" | "tysk" => "de",
        _ => return None,
    })
}

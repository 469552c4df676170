//! Phone numbers in E.164, parsed with the `phonenumber` crate (libphonenumber metadata), never a regex.

use std::fmt;

use phonenumber::country;
use serde::{Serialize, Serializer};

/// Why a phone number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("{0:?} is not a phone number")]
    Unparseable(String),
    #[error("{0:?} is not a valid phone number for its country{hint}", hint = area_code_hint(.0))]
    Invalid(String),
    #[error("{0:?} is not a known country code (expected a two-letter code such as US)")]
    UnknownCountry(String),
}

/// "555-1234" is a local number without its area code: say so.
fn area_code_hint(text: &str) -> &'static str {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if (5..=8).contains(&digits) && !text.trim_start().starts_with('+') { " (include the area code)" } else { "" }
}

/// A region used to read numbers written without a `+` country prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(country::Id);

impl Region {
    /// Parses a two-letter ISO country code (`US`, `GB`, ...).
    pub fn parse(code: &str) -> Result<Self, PhoneError> {
        code.trim()
            .to_ascii_uppercase()
            .parse::<country::Id>()
            .map(Self)
            .map_err(|_| PhoneError::UnknownCountry(code.to_string()))
    }
}

/// A valid phone number, held in E.164 form (`+13125550100`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses what a person typed (`(312) 555-0100`, `+1 312 555 0100`), reading numbers without a
    /// country prefix in `region`.
    pub fn parse(text: &str, region: Region) -> Result<Self, PhoneError> {
        let parsed =
            phonenumber::parse(Some(region.0), text.trim()).map_err(|_| PhoneError::Unparseable(text.to_string()))?;
        if !parsed.is_valid() {
            return Err(PhoneError::Invalid(text.to_string()));
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        // Found by fuzzing: libphonenumber's metadata allows some national numbers (Germany's) so
        // long that the whole number exceeds E.164's 15 digits, which no carrier routes; and it
        // reads some punctuated spellings ("+(3-3-111x555123") as valid numbers whose E.164 form
        // is not. What we keep must be valid as it is written down.
        let valid_as_kept = e164.len() <= 16
            && phonenumber::parse(Some(region.0), &e164).is_ok_and(|again| {
                again.is_valid() && again.format().mode(phonenumber::Mode::E164).to_string() == e164
            });
        if !valid_as_kept {
            return Err(PhoneError::Invalid(text.to_string()));
        }
        Ok(Self(e164))
    }

    /// A number written in E.164 (`+` and 8 to 15 digits, first digit not 0), checked by shape
    /// only. Loading libphonenumber's metadata costs tens of milliseconds, which short CLI runs
    /// should not pay for the business's own numbers; `check` validates them fully.
    pub(crate) fn from_e164_shape(text: &str) -> Option<Self> {
        let digits = text.trim().strip_prefix('+')?;
        let ok =
            (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        ok.then(|| Self(format!("+{digits}")))
    }

    /// Wraps a number already stored in E.164 by this program (from our own database).
    pub(crate) fn from_stored(e164: String) -> Self {
        Self(e164)
    }

    /// The E.164 text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A form safe for logs: country code and area kept, the rest partly hidden (`+1312***0100`).
    pub(crate) fn masked(&self) -> String {
        let s = &self.0;
        if s.len() <= 8 {
            return format!("{}***", &s[..s.len().min(3)]);
        }
        format!("{}***{}", &s[..5], &s[s.len() - 4..])
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Region {
        Region::parse("US").unwrap()
    }

    #[test]
    fn local_and_international_spellings_normalize_to_e164() {
        for text in ["(312) 555-0100", "312.555.0100", "+1 312 555 0100", "1-312-555-0100"] {
            assert_eq!(PhoneNumber::parse(text, us()).unwrap().as_str(), "+13125550100", "{text}");
        }
        let gb = PhoneNumber::parse("020 7946 0958", Region::parse("gb").unwrap()).unwrap();
        assert_eq!(gb.as_str(), "+442079460958");
    }

    #[test]
    fn rejects_text_and_impossible_numbers() {
        assert!(matches!(PhoneNumber::parse("call me", us()), Err(PhoneError::Unparseable(_))));
        assert!(PhoneNumber::parse("123", us()).is_err());
        assert!(PhoneNumber::parse("+1 012 555 0100", us()).is_err());
        assert!(Region::parse("XX").is_err());
    }

    #[test]
    fn a_number_without_its_area_code_says_so() {
        let e = PhoneNumber::parse("555-1234", us()).unwrap_err();
        assert_eq!(e.to_string(), "\"555-1234\" is not a valid phone number for its country (include the area code)");
        let e = PhoneNumber::parse("+1 312 555", us()).unwrap_err();
        assert!(!e.to_string().contains("area code"), "{e}");
    }

    #[test]
    fn numbers_longer_than_e164_allows_are_refused() {
        // libphonenumber's German metadata accepts this; E.164 caps numbers at 15 digits (found
        // by fuzzing).
        let de = Region::parse("DE").unwrap();
        assert!(matches!(PhoneNumber::parse("(6666666666350 23", de), Err(PhoneError::Invalid(_))));
        assert_eq!(PhoneNumber::parse("030 901820", de).unwrap().as_str(), "+4930901820");
    }

    #[test]
    fn a_number_is_kept_only_if_its_e164_form_is_valid_too() {
        for region in ["US", "GB", "DE"] {
            let region = Region::parse(region).unwrap();
            if let Ok(number) = PhoneNumber::parse("+(3-3-111x555123 xx", region) {
                assert_eq!(PhoneNumber::parse(number.as_str(), region).as_ref(), Ok(&number));
            }
        }
    }

    #[test]
    fn e164_shape_accepts_only_plus_and_digits() {
        assert_eq!(PhoneNumber::from_e164_shape(" +13125550100 ").unwrap().as_str(), "+13125550100");
        for bad in ["13125550100", "+1 312 555 0100", "+0123456789", "+1234567", "+1234567890123456", "+1312555O100"] {
            assert!(PhoneNumber::from_e164_shape(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn masking_hides_the_middle_digits() {
        let p = PhoneNumber::parse("+13125550001", us()).unwrap();
        assert_eq!(p.masked(), "+1312***0001");
    }
}

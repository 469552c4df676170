//! What a customer tells us about themselves, cleaned before it is stored: a name (at most
//! [`MAX_NAME`] characters, control characters and runs of spaces folded into one space) and an
//! email address (checked by the `email_address` crate).

/// The longest name we keep, in characters.
pub const MAX_NAME: usize = 100;

/// The name as stored, or why it cannot be.
pub fn clean_name(text: &str) -> Result<String, String> {
    let spaced: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let name = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!("at most {MAX_NAME} characters, not {}", name.chars().count()));
    }
    Ok(name)
}

/// The email address as stored (`None` when none was given), or why it is not one.
pub fn clean_email(text: Option<&str>) -> Result<Option<String>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) if email_address::EmailAddress::is_valid(t) => Ok(Some(t.to_string())),
        Some(t) => Err(format!("{t:?} is not an email address")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_control_characters_and_extra_spaces_and_stay_short() {
        assert_eq!(clean_name("  Jane\t\u{7}Doe\n").as_deref(), Ok("Jane Doe"));
        assert_eq!(clean_name("Zoë   O'Brien-Núñez").as_deref(), Ok("Zoë O'Brien-Núñez"));
        assert!(clean_name(" \u{0} ").is_err());
        assert!(clean_name(&"a".repeat(MAX_NAME)).is_ok());
        assert_eq!(clean_name(&"é".repeat(MAX_NAME + 1)), Err("at most 100 characters, not 101".into()));
    }

    #[test]
    fn email_addresses_are_checked_and_blank_means_none() {
        assert_eq!(clean_email(Some(" jane@example.com ")), Ok(Some("jane@example.com".into())));
        assert_eq!(clean_email(Some("  ")), Ok(None));
        assert_eq!(clean_email(None), Ok(None));
        for bad in ["jane", "jane@", "@example.com", "jane doe@example.com", "jane@@example.com"] {
            assert!(clean_email(Some(bad)).is_err(), "{bad}");
        }
    }
}

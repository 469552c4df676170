//! Phone number parsing on any text: it never panics, and what it accepts is E.164 (`+`, at most
//! 15 digits) that parses again to itself.
#![no_main]

use appointment_setter::domain::PhoneNumber;
use appointment_setter::domain::phone::Region;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    for region in ["US", "GB", "DE"] {
        let region = Region::parse(region).unwrap();
        if let Ok(number) = PhoneNumber::parse(text, region) {
            let e164 = number.as_str();
            assert!(e164.starts_with('+'), "{text:?} → {e164}");
            let digits = &e164[1..];
            assert!(digits.chars().all(|c| c.is_ascii_digit()) && (2..=15).contains(&digits.len()), "{e164}");
            assert_eq!(PhoneNumber::parse(e164, region).as_ref(), Ok(&number), "{e164} does not parse to itself");
        }
    }
});

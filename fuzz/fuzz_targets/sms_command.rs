//! SMS command parsing on any text: it never panics, ignores case, and a carrier keyword is
//! always read as an opt-out or as cancelling the next appointment.
#![no_main]

use appointment_setter::messaging::command::{SmsCommand, is_carrier_keyword, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let command = parse(text);
    assert_eq!(parse(&text.to_ascii_uppercase()), command, "case changed the meaning of {text:?}");
    if let SmsCommand::Cancel(n) = command {
        assert!((1..=9).contains(&n), "cancel #{n} from {text:?}");
    }
    if is_carrier_keyword(text) {
        assert!(matches!(command, SmsCommand::OptOut | SmsCommand::Cancel(1)), "{text:?} → {command:?}");
    }
});

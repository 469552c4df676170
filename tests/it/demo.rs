//! `demo` as an integration test: the real server, the guided dialog (no LLM), a caller who books
//! and then texts C; the transcript is pinned with a fixed clock.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_appointment-setter");

/// Runs the binary's `demo` with `args` (after the example config) without an LLM or a database
/// from the environment; returns the transcript, asserting success.
fn demo(args: &[&std::ffi::OsStr]) -> String {
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml");
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&config)
        .args(args)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn os<'a>(args: &[&'a str]) -> Vec<&'a std::ffi::OsStr> {
    args.iter().map(|a| std::ffi::OsStr::new(*a)).collect()
}

#[test]
fn the_demo_books_by_phone_cancels_by_text_and_prints_the_transcript() {
    let transcript = demo(&os(&["--now", "2026-12-07T14:00:00Z", "demo"]));
    insta::assert_snapshot!("demo_transcript", transcript);
}

#[test]
fn the_demo_plays_another_script() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.txt");
    std::fs::write(&script, "# a caller who wants to talk to a person\nCan I speak to someone?\nsms: HELP\n").unwrap();
    let mut args = os(&["--now", "2026-12-07T14:00:00Z", "demo", "--script"]);
    args.push(script.as_os_str());
    let text = demo(&args);
    assert!(text.contains("caller:       Can I speak to someone?"), "{text}");
    assert!(text.contains("transfer_to_human() → ok"), "{text}");
    assert!(text.contains("sms ← +13125550123: HELP"), "{text}");
    assert!(text.contains("Reply C to cancel your next appointment"), "{text}");
    assert!(text.contains("appointments:\n  (none)"), "{text}");
    assert!(!dir.path().join("appointment-setter.db").exists());
}

#[test]
fn without_a_fixed_clock_the_demo_tells_the_whole_story_on_its_own_clock() {
    let transcript = demo(&os(&["demo"]));
    assert!(transcript.contains("now: "), "{transcript}");
    assert!(transcript.contains("booked for"), "booked by phone:\n{transcript}");
    assert!(transcript.contains("is cancelled"), "cancelled by text within the policy:\n{transcript}");
}

#[test]
fn the_reminder_call_demo_dials_the_customer_who_confirms_in_words() {
    let text = demo(&os(&["--now", "2026-12-07T14:00:00Z", "demo", "--reminder-call"]));
    assert!(text.contains("now: Mon, Dec 7 at 9:00 AM CST (the reminder is due)"), "48 h ahead, in the window: {text}");
    assert!(text.contains("☎  dialing +13125550123 (answering-machine detection: detect_beep)"), "{text}");
    assert!(text.contains("Press 1 to confirm. Press 2 to cancel."), "cancelling is still allowed: {text}");
    assert!(text.contains("receptionist: Thank you, you're confirmed"), "{text}");
    assert!(text.contains("reminder call: attempt 1 confirmed"), "{text}");
    assert!(text.contains("confirmed by the customer: Mon, Dec 7 at 9:00 AM CST"), "{text}");
}

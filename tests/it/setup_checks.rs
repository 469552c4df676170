//! The set-up checks (`check` and the console's set-up page): what is missing is a warning with
//! what to do, what is broken a failure with what to do; the page shows the same table, to owners.

use std::sync::Arc;

use crate::support;

use appointment_setter::config::Config;
use appointment_setter::setup::Verdict;
use support::TestDb;
use support::console_server::{setup_of, start};

#[tokio::test]
async fn a_broken_llm_or_webhook_key_fails_with_what_to_do() {
    let db = TestDb::sqlite().await;
    let config = Arc::new(
        Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml")).unwrap(),
    );
    let mut setup = setup_of(&config, &db, db.store().await);
    let fine = setup.run(chrono::Utc::now()).await;
    let verdict = |checks: &[appointment_setter::setup::Check], area: &str, needle: &str| {
        checks.iter().find(|c| c.area == area && c.what.contains(needle)).map(|c| (c.verdict, c.fix.clone()))
    };
    assert_eq!(verdict(&fine, "database", "writable").map(|v| v.0), Some(Verdict::Ok));
    assert_eq!(verdict(&fine, "telnyx", "TELNYX_PUBLIC_KEY is a valid").map(|v| v.0), Some(Verdict::Ok));
    let (v, fix) = verdict(&fine, "telnyx", "TELNYX_API_KEY is not set").unwrap();
    assert_eq!(v, Verdict::Warn);
    assert!(fix.unwrap().contains("Telnyx portal"));

    // Nothing listens on port 9 of 127.0.0.1; the key is not a key.
    setup.llm = Some(("http://127.0.0.1:9/v1".into(), Some("sk-test".into())));
    setup.telnyx_public_key = Some("not-a-key".into());
    let broken = setup.run(chrono::Utc::now()).await;
    let (v, fix) = verdict(&broken, "llm", "cannot connect").expect("the LLM check fails");
    assert_eq!(v, Verdict::Fail);
    assert!(fix.unwrap().contains("OPENAI_BASE_URL"));
    let (v, _) = verdict(&broken, "telnyx", "TELNYX_PUBLIC_KEY").unwrap();
    assert_eq!(v, Verdict::Fail);
}

#[tokio::test]
async fn the_set_up_page_shows_the_checks_to_owners() {
    let console = start(false).await;
    let owner = console.login("owner@example.com").await;
    let page = console.get("/admin/check", Some(&owner)).await;
    assert_eq!(page.status, 200);
    for part in [
        "3 services, 3 staff",
        "migrations applied, writable",
        "TELNYX_API_KEY is not set",
        "→ set TELNYX_API_KEY",
        "could be better",
    ] {
        assert!(page.body.contains(part), "{part:?} in {}", page.body);
    }
    let staff = console.login("sarah@example.com").await;
    assert_eq!(console.get("/admin/check", Some(&staff)).await.status, 404, "owners only");
}

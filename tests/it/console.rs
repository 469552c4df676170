//! The owner's console over HTTP: the one-time set-up link, signing in and out, sessions that
//! renew while used and die when revoked or expired, CSRF on every form, lockout after repeated
//! failures, security headers, and staff seeing only their own day. (Browser tests drive the
//! same pages in Chromium.)

use crate::support;

use appointment_setter::domain::Actor;
use support::console_server::{PASSWORD, csrf, start};
use support::{chicago, phone, request_with};

#[tokio::test]
async fn the_first_start_offers_a_set_up_link_that_creates_the_owner_once() {
    let console = start(true).await;
    let token = console.accounts.setup_token().await.unwrap().expect("no account yet: a link");
    let path = format!("/admin/setup/{token}");
    assert_eq!(console.get(&path, None).await.status, 200);
    // Input is checked before the link is spent.
    let weak =
        console.post(&path, None, &[("email", "owner@example.com"), ("password", "short"), ("again", "short")]).await;
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("at least 10 characters"), "{}", weak.body);
    let fields = [("email", "Owner@Example.com"), ("password", PASSWORD), ("again", PASSWORD)];
    let made = console.post(&path, None, &fields).await;
    assert_eq!((made.status, made.location.as_deref()), (303, Some("/admin")));
    let today = console.get("/admin", made.cookie.as_deref()).await;
    assert!(today.body.contains("owner@example.com · owner"), "{}", today.body);
    // Once only, and no new link once someone has an account.
    assert_eq!(console.post(&path, None, &fields).await.status, 404);
    assert!(console.get(&path, None).await.body.contains("This link has expired"));
    assert!(console.accounts.setup_token().await.unwrap().is_none());
    assert_eq!(console.get("/admin/setup/made-up-token", None).await.status, 404);
}

#[tokio::test]
async fn without_a_good_session_every_page_sends_you_to_sign_in() {
    let console = start(false).await;
    let real = console.login("owner@example.com").await;
    // A token signed with another key, one for another algorithm, garbage, and an expired one.
    let other_key = {
        let other = appointment_setter::accounts::SessionSecret::from_bytes(&[1u8; 32]);
        let accounts = appointment_setter::accounts::Accounts::new(
            console.store.clone(),
            console.clock.clone(),
            other,
            std::num::NonZeroU32::new(10).unwrap(),
        );
        let signed = accounts.login("owner@example.com", PASSWORD, "127.0.0.1".parse().unwrap()).await.unwrap();
        signed.token
    };
    let unsigned = {
        let parts: Vec<&str> = real.split('.').collect();
        format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1])
    };
    for cookie in [None, Some(other_key.as_str()), Some(unsigned.as_str()), Some("not-a-token")] {
        let pages = [
            "/admin",
            "/admin/",
            "/admin?date=2026-12-08",
            "/admin/conversations",
            "/admin/conversations/chat-x",
            "/admin/texts",
            "/admin/customers",
            "/admin/customers/%2B13125550123",
            "/admin/appointments/0f8fad5b-d9cb-469f-a165-70867728950e",
        ];
        for path in pages {
            let page = console.get(path, cookie).await;
            assert_eq!((page.status, page.location.as_deref()), (303, Some("/admin/login")), "{path} with {cookie:?}");
        }
        for action in ["/admin/logout", "/admin/appointments/0f8fad5b-d9cb-469f-a165-70867728950e/cancel"] {
            let out = console.post(action, cookie, &[("csrf", "x")]).await;
            assert_eq!(out.location.as_deref(), Some("/admin/login"), "{action}");
        }
    }
    assert_eq!(console.get("/admin", Some(&real)).await.status, 200);
    console.clock.advance(chrono::Duration::minutes(31));
    let expired = console.get("/admin", Some(&real)).await;
    assert_eq!(expired.location.as_deref(), Some("/admin/login"), "30 minutes unused: expired");
}

#[tokio::test]
async fn a_session_in_use_is_renewed_and_signing_out_ends_it() {
    let console = start(false).await;
    let cookie = console.login("owner@example.com").await;
    let fresh = console.get("/admin", Some(&cookie)).await;
    assert!(fresh.cookie.is_none(), "a young token is not renewed");
    console.clock.advance(chrono::Duration::minutes(20));
    let renewed = console.get("/admin", Some(&cookie)).await.cookie.expect("renewed in its second half");
    console.clock.advance(chrono::Duration::minutes(20));
    assert_eq!(console.get("/admin", Some(&renewed)).await.status, 200, "the renewed token lives on");

    let page = console.get("/admin", Some(&renewed)).await;
    let forged = console.post("/admin/logout", Some(&renewed), &[("csrf", "not-the-token")]).await;
    assert_eq!(forged.status, 403, "no sign-out without the form's CSRF token");
    let missing = console.post("/admin/logout", Some(&renewed), &[]).await;
    assert_eq!(missing.status, 403);
    let out = console.post("/admin/logout", Some(&renewed), &[("csrf", &csrf(&page.body))]).await;
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/admin/login")));
    assert_eq!(out.cookie.as_deref(), Some(""), "the cookie is cleared");
    for token in [&cookie, &renewed] {
        assert_eq!(console.get("/admin", Some(token)).await.location.as_deref(), Some("/admin/login"), "revoked");
    }
}

#[tokio::test]
async fn wrong_addresses_and_passwords_look_alike_and_repeated_failures_lock_the_account() {
    let console = start(false).await;
    // The sign-in form needs its CSRF token and cookie (no session yet: double submit).
    let forged = console.post("/admin/login", None, &[("email", "owner@example.com"), ("password", PASSWORD)]).await;
    assert_eq!((forged.status, forged.cookie), (403, None), "a sign-in posted from elsewhere is refused");
    let nobody = console.sign_in("nobody@example.com", PASSWORD).await;
    let wrong = console.sign_in("owner@example.com", "wrong-password").await;
    assert_eq!((nobody.status, wrong.status), (401, 401));
    assert!(nobody.body.contains("That email address and password do not match."));
    // The same page for both, but for each form's own CSRF token.
    let plain = |body: &str| body.replace(&csrf(body), "").replace("nobody@", "owner@");
    assert_eq!(plain(&nobody.body), plain(&wrong.body), "the same page for both");

    let mut statuses = Vec::new();
    for _ in 0..19 {
        let page = console.sign_in("owner@example.com", "guess").await;
        statuses.push(page.status);
    }
    assert_eq!(statuses[..8], [401; 8], "ten failures in a row (one above) lock");
    assert!(statuses[8..].iter().all(|s| *s == 423), "{statuses:?}");
    let locked = console.sign_in("owner@example.com", PASSWORD).await;
    assert_eq!(locked.status, 423, "locked even with the right password");
    assert!(
        locked.body.contains("This account is locked after 10 failed sign-ins in a row. Try again after"),
        "{}",
        locked.body
    );
    console.clock.advance(chrono::Duration::minutes(16));
    console.login("owner@example.com").await;
}

#[tokio::test]
async fn console_pages_carry_the_security_headers() {
    let console = start(false).await;
    let cookie = console.login("owner@example.com").await;
    for page in [console.get("/admin/login", None).await, console.get("/admin", Some(&cookie)).await] {
        let h = |name: &str| page.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert!(h("content-security-policy").contains("default-src 'none'"), "{:?}", page.headers);
        assert!(!h("content-security-policy").contains("unsafe-inline"));
        assert_eq!((h("x-frame-options"), h("referrer-policy")), ("DENY".into(), "same-origin".into()));
        assert_eq!(h("x-content-type-options"), "nosniff");
    }
    let set = console.sign_in("owner@example.com", PASSWORD).await;
    let raw = set.headers.get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(raw.contains("HttpOnly") && raw.contains("SameSite=Lax") && raw.contains("Path=/"), "{raw}");
    assert_eq!(console.get("/admin/nothing-here", Some(&cookie)).await.status, 404);
}

#[tokio::test]
async fn the_day_shows_everyone_to_the_owner_and_only_their_own_to_staff() {
    let console = start(false).await;
    for (staff, name, number, hour) in
        [("sarah", "Jane Doe", "+13125550123", 9), ("miguel", "Bob Stone", "+13125550124", 10)]
    {
        let req = appointment_setter::booking::BookRequest {
            customer_name: name.into(),
            customer_phone: phone(number),
            actor: Actor::Staff { force: true },
            ..request_with("consultation", staff, chicago(2026, 12, 8, hour, 0))
        };
        console.booking.book(req).await.unwrap();
    }
    let owner = console.login("owner@example.com").await;
    let day = console.get("/admin?date=2026-12-08", Some(&owner)).await.body;
    assert!(day.contains("Tuesday, December 8, 2026"), "{day}");
    assert!(day.contains("Consultation · Jane Doe") && day.contains("Consultation · Bob Stone"), "{day}");
    assert!(day.contains("9:00 AM – 9:30 AM") && day.contains("Free"), "{day}");
    assert!(day.contains("+1312***0123") && !day.contains("+13125550123"), "numbers are masked");
    let sarah = console.login("sarah@example.com").await;
    let mine = console.get("/admin?date=2026-12-08", Some(&sarah)).await.body;
    assert!(mine.contains("Jane Doe") && !mine.contains("Bob Stone"), "{mine}");
    assert!(mine.contains("Sarah Chen") && !mine.contains("Miguel Alvarez"), "{mine}");
}

#[test]
fn users_add_makes_accounts_from_the_command_line_and_refuses_bad_ones_clearly() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("appointment-setter.toml");
    std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml"), &config).unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_appointment-setter"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("ADMIN_JWT_SECRET")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let add =
        ["users", "add", "--email", "Sarah@Example.com", "--role", "staff", "--staff", "sarah", "--password-stdin"];
    let (code, out, err) = run(&add, &format!("{PASSWORD}\n"));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.trim(), "added sarah@example.com (staff)");
    let (code, _, err) = run(&add, &format!("{PASSWORD}\n"));
    assert_eq!((code, err.trim()), (Some(2), "error: there is already an account for sarah@example.com"));
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["users", "add", "--email", "x@example.com", "--role", "staff", "--password-stdin"],
            PASSWORD,
            "a staff account needs --staff <id>",
        ),
        (
            &["users", "add", "--email", "x@example.com", "--role", "staff", "--staff", "nobody", "--password-stdin"],
            PASSWORD,
            "--staff nobody: no such staff member in the config",
        ),
        (
            &["users", "add", "--email", "not-an-address", "--role", "owner", "--password-stdin"],
            PASSWORD,
            "\"not-an-address\" is not an email address",
        ),
        (
            &["users", "add", "--email", "x@example.com", "--role", "owner", "--password-stdin"],
            "short",
            "the password must be at least 10 characters",
        ),
    ];
    for (args, password, message) in cases {
        let (code, _, err) = run(args, &format!("{password}\n"));
        assert_eq!((code, err.trim().trim_start_matches("error: ")), (Some(2), message), "{args:?}");
    }
    let (code, out, _) = run(&["users", "list"], "");
    assert_eq!((code, out.trim()), (Some(0), "sarah@example.com  staff (sarah)"));
    let key = dir.path().join("admin-session.key");
    #[cfg(unix)]
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions()) & 0o777, 0o600);
}

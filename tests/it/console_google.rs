//! Connecting Google calendars from the console (issue #16): over HTTP, the consent round trip is
//! bound to the session that started it and works once, staff connect only themselves; in real
//! Chromium, the owner connects Sarah's account, picks her work calendar, and bookings and the
//! set-up check use it.

use crate::support;

use appointment_setter::calendar::google::event_id;
use support::browser::Browser;
use support::console_server::{Console, PASSWORD, csrf, start_google};
use support::{chicago, request_with};

const SARAH: &str = "sarah@gmail.test";

/// Follows Google's consent redirect (the emulator answers at once) and returns the callback path.
async fn consent(location: &str) -> String {
    let (state, code) = support::google_oauth::consent(location).await;
    format!("/admin/google/callback?state={}&code={}", support::url_encode(&state), support::url_encode(&code.unwrap()))
}

async fn press_connect(c: &Console, cookie: &str, staff: &str) -> support::console_server::Page {
    let form = csrf(&c.get("/admin/google", Some(cookie)).await.body);
    c.post("/admin/google/connect", Some(cookie), &[("csrf", &form), ("staff", staff)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_consent_round_trip_belongs_to_the_session_that_started_it_and_works_once() {
    let c = start_google(false).await;
    let (emu, _) = c.google.as_ref().unwrap();
    emu.consent_as(Some(SARAH));
    let first = c.login("owner@example.com").await;
    let second = c.login("owner@example.com").await;

    let started = press_connect(&c, &first, "sarah").await;
    assert_eq!(started.status, 303);
    let to_google = started.location.unwrap();
    assert!(to_google.starts_with(&emu.origin) && to_google.contains("code_challenge_method=S256"), "{to_google}");
    let callback = consent(&to_google).await;

    // Another session of the same owner cannot use it, and after that it is gone.
    let other = c.get(&callback, Some(&second)).await;
    assert!(other.body.contains("not valid any more"), "{}", other.body);
    let replay = c.get(&callback, Some(&first)).await;
    assert!(replay.body.contains("not valid any more"), "{}", replay.body);
    assert!(c.store.google().accounts().await.unwrap().is_empty(), "nothing stored");
    // Not signed in: to the sign-in page, nothing done.
    assert_eq!(c.get(&callback, None).await.location.as_deref(), Some("/admin/login"));

    // Done properly: connected, and on to the pick page.
    let started = press_connect(&c, &first, "sarah").await;
    let done = c.get(&consent(&started.location.unwrap()).await, Some(&first)).await;
    assert_eq!(done.location.as_deref(), Some("/admin/google/pick?account=sarah@gmail.test&staff=sarah&connected=1"));
    let pick = c.get(done.location.as_deref().unwrap(), Some(&first)).await;
    assert!(pick.body.contains("sarah@gmail.test (primary)"), "{}", pick.body);
    assert_eq!(c.store.google().calendar_of("sarah").await.unwrap().unwrap().account.email, SARAH);

    // Refused on Google's page: said, nothing changed.
    emu.consent_as(None);
    let started = press_connect(&c, &first, "miguel").await;
    let (state, refused) = support::google_oauth::consent(&started.location.unwrap()).await;
    let page =
        c.get(&format!("/admin/google/callback?state={state}&error={}", refused.unwrap_err()), Some(&first)).await;
    assert!(page.body.contains("Google did not give access"), "{}", page.body);
    assert!(c.store.google().calendar_of("miguel").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_connect_and_disconnect_only_their_own_calendar() {
    let c = start_google(false).await;
    let (emu, _) = c.google.as_ref().unwrap();
    c.connect_google("miguel").await;
    let sarah = c.login("sarah@example.com").await;
    assert_eq!(press_connect(&c, &sarah, "miguel").await.status, 404, "not Miguel's");
    assert_eq!(press_connect(&c, &sarah, "").await.status, 404, "the whole-account button is the owner's");
    let page = c.get("/admin/google", Some(&sarah)).await;
    assert!(page.body.contains("Sarah") && !page.body.contains("miguel@gmail.test"), "{}", page.body);
    let form = csrf(&page.body);
    let out = c.post("/admin/google/disconnect", Some(&sarah), &[("csrf", &form), ("staff", "miguel")]).await;
    assert_eq!(out.status, 404);
    assert!(c.store.google().calendar_of("miguel").await.unwrap().is_some(), "Miguel's stays");
    let pick = c.get("/admin/google/pick?account=miguel%40gmail.test", Some(&sarah)).await;
    assert_eq!(pick.status, 404, "staff pick only in their own account");
    let forged = c.post("/admin/google/disconnect", Some(&sarah), &[("csrf", "forged"), ("staff", "sarah")]).await;
    assert_eq!(forged.status, 403);

    emu.consent_as(Some(SARAH));
    let started = press_connect(&c, &sarah, "sarah").await;
    let done = c.get(&consent(&started.location.unwrap()).await, Some(&sarah)).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(c.store.google().calendar_of("sarah").await.unwrap().is_some());
    let out = c.post("/admin/google/disconnect", Some(&sarah), &[("csrf", &form), ("staff", "sarah")]).await;
    assert!(out.body.contains("revoked at Google"), "{}", out.body);
    assert_eq!(emu.revoked().len(), 1);
    assert!(c.store.google().calendar_of("sarah").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_connects_a_staff_calendar_in_a_real_browser_and_bookings_land_in_it() {
    let c = start_google(false).await;
    let (emu, _) = c.google.as_ref().unwrap();
    const WORK: &str = "sarah-work@group.calendar.test";
    emu.add_user(SARAH, &[(WORK, "Sarah at work", "owner")]);
    emu.consent_as(Some(SARAH));
    let browser = Browser::start(1280).await;
    let b = &browser;
    b.client.goto(&format!("{}/admin/login", c.url)).await.unwrap();
    b.fill("email", "owner@example.com").await;
    b.fill("password", PASSWORD).await;
    b.click_to("button[type=submit]", "/admin").await;

    b.client.goto(&format!("{}/admin/check", c.url)).await.unwrap();
    let before = b.text().await;
    assert!(before.contains("Google Calendar") && before.contains("not connected"), "{before}");
    b.screenshot("google-setup").await;
    b.click_to("#connect-sarah button", "/admin/google/pick?account=sarah@gmail.test&staff=sarah&connected=1").await;
    let pick = b.text().await;
    assert!(pick.contains("Connected sarah@gmail.test.") && pick.contains("Sarah at work"), "{pick}");
    b.screenshot("google-pick").await;
    let select = b.client.find(fantoccini::Locator::Css("select[name=cal_sarah]")).await.unwrap();
    select.select_by_value(WORK).await.unwrap();
    b.click_to("form[action='/admin/google/pick'] button", "/admin/google?done=1").await;
    let page = b.text().await;
    assert!(page.contains("sarah@gmail.test · Sarah at work"), "{page}");
    b.screenshot("google-connected").await;

    // Slot search and booking go through her connected calendar; the event lands there.
    emu.staff_add(WORK, "standup01", chicago(2026, 12, 8, 9, 0), chicago(2026, 12, 8, 10, 0));
    b.client.goto(&format!("{}/admin/book?date=2026-12-08&staff=sarah", c.url)).await.unwrap();
    let free = b.text().await;
    assert!(free.contains("Free times on 2026-12-08"), "{free}");
    let booked = c.booking.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 14, 0))).await.unwrap();
    assert!(emu.event(WORK, &event_id(&booked.appointment)).is_some(), "the event is in the picked calendar");
    let busy = c.booking.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0))).await;
    assert!(busy.is_err(), "Google's busy time is respected");

    // The set-up check says Sarah's calendar works.
    b.client.goto(&format!("{}/admin/check", c.url)).await.unwrap();
    let check = b.text().await;
    assert!(check.contains(&format!("Sarah Chen can read and write {WORK} (Google account {SARAH})")), "{check}");
    b.screenshot("google-check").await;
    browser.quit().await;
}

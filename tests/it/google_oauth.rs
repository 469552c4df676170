//! Staff members' own Google calendars connected through OAuth (issue #16), against the emulator:
//! the authorization is bound to its session and works once, codes and verifiers are checked, the
//! refresh token is sealed at rest, a revoked grant withholds that staff member's slots only and
//! tells the owner once, disconnecting revokes, and one refresh serves many concurrent calls.

use crate::support;

use std::sync::Arc;

use appointment_setter::booking::BookingService;
use appointment_setter::booking::google::ConnectError;
use appointment_setter::calendar::Calendar;
use appointment_setter::calendar::google::event_id;
use appointment_setter::calendar::google::oauth::OAuthError;
use appointment_setter::clock::{Clock, ManualClock};
use appointment_setter::domain::Business;
use support::google_emulator::{GoogleEmulator, OAuthFault};
use support::google_oauth::{self, OAuthBackend, REDIRECT, SESSION, consent};
use support::{TestDb, chicago, request_with};

const SARAH: &str = "sarah.chen@gmail.test";
const MIGUEL: &str = "miguel@gmail.test";
const OWNER_PHONE: &str = "+13125550100";

struct World {
    emu: GoogleEmulator,
    db: TestDb,
    business: Arc<Business>,
    clock: Arc<ManualClock>,
    google: OAuthBackend,
}

/// The seed business with no service account: Sarah and Miguel each have a Google account.
async fn world() -> World {
    let emu = GoogleEmulator::start(&[]).await;
    emu.add_user(
        SARAH,
        &[("team@group.calendar.test", "Team", "writer"), ("holidays@group.test", "Holidays", "reader")],
    );
    emu.add_user(MIGUEL, &[]);
    let db = TestDb::sqlite().await;
    let mut business = support::seed_business(
        "[[staff]]\nid = \"sarah\"\nname = \"Sarah\"\n[[staff]]\nid = \"miguel\"\nname = \"Miguel\"\n",
    );
    for s in &mut business.staff {
        s.calendar_id = None;
    }
    let business = Arc::new(business);
    let clock = Arc::new(ManualClock::new(chicago(2026, 12, 7, 8, 0)));
    let dir = db.dir().to_path_buf();
    let as_clock: Arc<dyn Clock> = clock.clone();
    let google = google_oauth::backend(&emu, &dir, &db.store().await, business.clone(), as_clock, Some(OWNER_PHONE));
    World { emu, db, business, clock, google }
}

impl World {
    async fn booking(&self) -> BookingService {
        let calendar: Arc<dyn Calendar> = self.google.calendar.clone();
        let clock: Arc<dyn Clock> = self.clock.clone();
        BookingService::new(self.business.clone(), self.db.store().await, calendar, clock)
    }

    async fn slots(&self, staff: &str) -> Result<Vec<chrono::DateTime<chrono::Utc>>, String> {
        let found = self
            .booking()
            .await
            .find_slots(&"consultation".parse().unwrap(), Some(&staff.parse().unwrap()), support::date(2026, 12, 8), 1)
            .await;
        found.map(|s| s.iter().map(|s| s.start).collect()).map_err(|e| e.to_string())
    }

    async fn accounts(&self) -> usize {
        self.db.store().await.google().accounts().await.unwrap().len()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_calendar_is_used_for_busy_time_and_bookings_and_the_consent_asks_for_offline_pkce() {
    let w = world().await;
    google_oauth::connect(&w.emu, &w.google.connector, "sarah", SARAH).await;

    let asked = &w.emu.authorizations()[0];
    assert_eq!(asked["code_challenge_method"], "S256");
    assert_eq!(asked["access_type"], "offline");
    assert_eq!(asked["prompt"], "consent");
    assert_eq!(asked["include_granted_scopes"], "true");
    assert_eq!(asked["redirect_uri"], REDIRECT);
    assert!(asked["scope"].contains("calendar.events") && asked["scope"].contains("calendar.freebusy"));

    // Busy time in Sarah's own calendar keeps 10:00 free of bookings.
    assert!(w.slots("sarah").await.unwrap().contains(&chicago(2026, 12, 8, 10, 0)));
    w.emu.staff_add(SARAH, "dentist01", chicago(2026, 12, 8, 10, 0), chicago(2026, 12, 8, 11, 0));
    assert!(!w.slots("sarah").await.unwrap().contains(&chicago(2026, 12, 8, 10, 0)));

    // The booking lands in her calendar.
    let booked =
        w.booking().await.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0))).await.unwrap();
    let event = w.emu.event(SARAH, &event_id(&booked.appointment)).expect("the event is in Sarah's calendar");
    assert_eq!(event["extendedProperties"]["private"]["appointment_id"], booked.appointment.id.to_string());
    assert_eq!(w.emu.refreshes(), 0, "the code exchange's access token served the first calls");

    // The picker lists only calendars she can write; another one can be picked, a read-only one not.
    let listed: Vec<String> = w.google.connector.calendars(SARAH).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(listed, [SARAH, "team@group.calendar.test"], "primary first, no read-only calendar");
    let refused = w.google.connector.pick("sarah", SARAH, "holidays@group.test").await.unwrap_err();
    assert!(matches!(refused, ConnectError::NotWritable { .. }), "{refused}");
    w.google.connector.pick("sarah", SARAH, "team@group.calendar.test").await.unwrap();
    let again =
        w.booking().await.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 14, 0))).await.unwrap();
    assert!(w.emu.event("team@group.calendar.test", &event_id(&again.appointment)).is_some());

    // Miguel is not connected: his calendar is not reachable, and says what to do.
    let miguel = w.slots("miguel").await;
    assert!(miguel.as_ref().is_ok_and(Vec::is_empty) || miguel.is_err(), "{miguel:?}");
    let check = w.google.calendar.check_write(&w.business.staff[1]).await.unwrap_err();
    assert!(check.to_string().contains("connect Google Calendar"), "{check}");
    assert!(w.google.calendar.check_write(&w.business.staff[0]).await.is_ok(), "Sarah's calendar passes check");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_replayed_state_a_reused_code_and_a_wrong_verifier_are_refused_and_nothing_is_stored() {
    let w = world().await;
    let c = &w.google.connector;
    w.emu.consent_as(Some(SARAH));

    // Another session cannot finish this session's authorization (and burns it).
    let url = c.start(SESSION, "owner-1", Some("sarah"), REDIRECT).await.unwrap();
    let (state, code) = consent(&url).await;
    let code = code.unwrap();
    assert!(matches!(c.finish("someone-else", &state, &code).await, Err(ConnectError::BadState)));
    assert!(
        matches!(c.finish(SESSION, &state, &code).await, Err(ConnectError::BadState)),
        "one use, even after a wrong try"
    );
    assert!(matches!(c.finish(SESSION, "made-up-state", &code).await, Err(ConnectError::BadState)));
    assert_eq!(w.accounts().await, 0);

    // A code used once is refused the second time.
    let url = c.start(SESSION, "owner-1", Some("sarah"), REDIRECT).await.unwrap();
    let (state, code) = consent(&url).await;
    let code = code.unwrap();
    c.finish(SESSION, &state, &code).await.unwrap();
    let url = c.start(SESSION, "owner-1", Some("sarah"), REDIRECT).await.unwrap();
    let (state2, _) = consent(&url).await;
    let reused = c.finish(SESSION, &state2, &code).await.unwrap_err();
    assert!(matches!(reused, ConnectError::Google(OAuthError::InvalidGrant(_))), "{reused}");

    // A verifier that does not match the challenge is refused by the token endpoint.
    let url = c.start(SESSION, "owner-1", Some("sarah"), REDIRECT).await.unwrap();
    let (_, code) = consent(&url).await;
    let wrong =
        c.client().exchange(&code.unwrap(), "a-verifier-that-does-not-match-the-challenge-at-all", REDIRECT).await;
    assert!(matches!(wrong, Err(OAuthError::InvalidGrant(_))));

    // Refusing on Google's page gives no code at all.
    w.emu.consent_as(None);
    let url = c.start(SESSION, "owner-1", Some("sarah"), REDIRECT).await.unwrap();
    assert_eq!(consent(&url).await.1, Err("access_denied".to_string()));
    assert_eq!(w.accounts().await, 1, "only the one good connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_token_is_sealed_in_the_database_file() {
    let w = world().await;
    google_oauth::connect(&w.emu, &w.google.connector, "sarah", SARAH).await;
    let token = w.emu.live_refresh_tokens().pop().expect("Google issued a refresh token");
    let store = w.db.store().await;
    let stored = store.google().account(SARAH).await.unwrap().unwrap();
    assert!(stored.sealed_refresh_token.starts_with("v1."));
    assert_ne!(stored.sealed_refresh_token, token);
    drop(store);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(w.db.dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("test.db") {
            bytes.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(!bytes.is_empty());
    let found = bytes.windows(token.len()).any(|w| w == token.as_bytes());
    assert!(!found, "the refresh token must not be readable in the database file");
    assert!(bytes.windows(SARAH.len()).any(|w| w == SARAH.as_bytes()), "the grep does read the file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_grant_withholds_only_that_staff_members_slots_and_tells_the_owner_once() {
    let w = world().await;
    google_oauth::connect(&w.emu, &w.google.connector, "sarah", SARAH).await;
    google_oauth::connect(&w.emu, &w.google.connector, "miguel", MIGUEL).await;
    assert!(!w.slots("sarah").await.unwrap().is_empty());

    w.emu.user_revokes(SARAH);
    // Within one request: Sarah's slots are withheld, Miguel's are not.
    assert!(w.slots("sarah").await.map_or(true, |s| s.is_empty()), "never offer unchecked times");
    assert!(!w.slots("miguel").await.unwrap().is_empty());
    let store = w.db.store().await;
    assert!(store.google().account(SARAH).await.unwrap().unwrap().lost_at.is_some(), "marked needs reconnect");
    assert!(store.google().account(MIGUEL).await.unwrap().unwrap().lost_at.is_none());
    let refreshes = w.emu.refreshes();
    for _ in 0..3 {
        assert!(w.slots("sarah").await.map_or(true, |s| s.is_empty()));
    }
    assert_eq!(w.emu.refreshes(), refreshes, "a refused grant is not asked for again");
    let check = w.google.calendar.check_write(&w.business.staff[0]).await.unwrap_err();
    assert!(check.to_string().contains("connect Google Calendar again"), "{check}");
    let booked = w.booking().await.book(request_with("consultation", "sarah", chicago(2026, 12, 8, 9, 0))).await;
    assert!(booked.is_err(), "no booking on an unchecked calendar");

    let notices = store.outbox().messages_to(OWNER_PHONE).await.unwrap();
    assert_eq!(notices.len(), 1, "one notice, not one per request: {notices:?}");
    assert!(notices[0].body.contains(SARAH));

    // Connecting again works at once.
    google_oauth::connect(&w.emu, &w.google.connector, "sarah", SARAH).await;
    assert!(!w.slots("sarah").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_first_found_refused_on_the_pick_page_also_tells_the_owner_once() {
    let w = world().await;
    google_oauth::connect(&w.emu, &w.google.connector, "sarah", SARAH).await;
    w.emu.user_revokes(SARAH);
    let listed = w.google.connector.calendars(SARAH).await;
    assert!(matches!(listed, Err(ConnectError::Google(OAuthError::InvalidGrant(_)))), "{listed:?}");
    let store = w.db.store().await;
    assert!(store.google().account(SARAH).await.unwrap().unwrap().lost_at.is_some(), "marked needs reconnect");
    // The backend then finds it already lost: still one notice.
    assert!(w.slots("sarah").await.map_or(true, |s| s.is_empty()));
    let notices = store.outbox().messages_to(OWNER_PHONE).await.unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnecting_revokes_the_token_at_google_and_deletes_it_here() {
    let w = world().await;
    google_oauth::connect(&w.emu, &w.google.connector, "sarah", SARAH).await;
    let token = w.emu.live_refresh_tokens().pop().unwrap();
    assert!(w.google.connector.disconnect("sarah").await.unwrap());
    assert_eq!(w.emu.revoked(), [token], "the refresh token was sent to the revocation endpoint");
    assert!(w.emu.live_refresh_tokens().is_empty());
    assert_eq!(w.accounts().await, 0);
    assert!(w.db.store().await.google().calendar_of("sarah").await.unwrap().is_none());
    assert!(!w.google.connector.disconnect("sarah").await.unwrap(), "nothing left to disconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_searches_after_the_token_expired_cause_one_refresh() {
    let w = world().await;
    google_oauth::connect(&w.emu, &w.google.connector, "sarah", SARAH).await;
    assert!(w.slots("sarah").await.is_ok());
    for expire in ["Google stops accepting it (401)", "its lifetime is over"] {
        if expire.contains("401") {
            w.emu.expire_tokens();
        } else {
            // An hour and a minute later (business stays on the same day for the search).
            w.clock.advance(chrono::Duration::minutes(61));
        }
        let before = w.emu.refreshes();
        let booking = w.booking().await;
        let searches = (0..50).map(|_| {
            let b = booking.clone();
            async move {
                b.find_slots(
                    &"consultation".parse().unwrap(),
                    Some(&"sarah".parse().unwrap()),
                    support::date(2026, 12, 8),
                    1,
                )
                .await
                .unwrap()
            }
        });
        let found = futures::future::join_all(searches).await;
        assert!(found.iter().all(|s| !s.is_empty()), "{expire}: every search answered");
        assert_eq!(w.emu.refreshes() - before, 1, "{expire}: exactly one refresh");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_outages_are_retried_and_a_refused_client_is_not_taken_for_a_lost_grant() {
    let w = world().await;
    google_oauth::connect(&w.emu, &w.google.connector, "sarah", SARAH).await;
    w.emu.expire_tokens();
    w.emu.fail_next_grants([OAuthFault::Status(503)]);
    assert!(!w.slots("sarah").await.unwrap().is_empty(), "a 503 from the token endpoint is retried");
    w.emu.expire_tokens();
    w.emu.fail_next_grants([OAuthFault::InvalidClient; 4]);
    assert!(w.slots("sarah").await.map_or(true, |s| s.is_empty()));
    let store = w.db.store().await;
    assert!(store.google().account(SARAH).await.unwrap().unwrap().lost_at.is_none(), "the grant itself is fine");
    assert!(store.outbox().messages_to(OWNER_PHONE).await.unwrap().is_empty());
    w.emu.clear_grant_faults();
    assert!(!w.slots("sarah").await.unwrap().is_empty(), "works again once the client is fixed");
}

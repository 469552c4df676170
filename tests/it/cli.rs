//! The real binary: output shapes, exit codes (0/1/2/3) and no double booking across processes.

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use support::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_appointment-setter");
/// Monday 2026-12-07 08:00 in Chicago.
const NOW: &str = "2026-12-07T14:00:00Z";

/// A working directory with a copy of the example config.
struct Workdir {
    dir: tempfile::TempDir,
    database_url: Option<String>,
    env: Vec<(&'static str, String)>,
}

impl Workdir {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("appointment-setter.toml"),
            dir.path().join("appointment-setter.toml"),
        )
        .unwrap();
        Workdir { dir, database_url: None, env: Vec::new() }
    }

    fn with_db(db: &TestDb) -> Self {
        Workdir { database_url: Some(db.url.clone()), ..Self::new() }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("appointment-setter.toml")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--config").arg(self.config()).arg("--now").arg(NOW).args(args);
        cmd.env_remove("APPOINTMENT_SETTER_CONFIG").env_remove("RUST_LOG").envs(self.env.iter().cloned());
        match &self.database_url {
            Some(url) => cmd.env("DATABASE_URL", url),
            None => cmd.env_remove("DATABASE_URL"),
        };
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_example_config_passes_check() {
    let w = Workdir::new();
    let out = w.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("3 services, 3 staff"), "{text}");
    assert!(text.contains("All checks passed"), "{text}");
    assert!(text.contains("(migrations applied, writable)"), "check proves it can write: {text}");
    assert!(w.dir.path().join("appointment-setter.db").exists(), "the database sits next to the config");
}

#[test]
fn settings_that_work_against_each_other_load_with_a_warning_that_check_lists_once() {
    let w = Workdir::new();
    let text = std::fs::read_to_string(w.config()).unwrap();
    std::fs::write(w.config(), text.replace("hours_before = 48", "hours_before = 24")).unwrap();
    let out = w.run(&["slots", "--service", "consultation"]);
    assert_eq!(out.status.code(), Some(0), "a warning is not a failure: {}", stderr(&out));
    assert!(stderr(&out).contains("warning:") && stderr(&out).contains("reminders.hours_before"), "{}", stderr(&out));
    let out = w.run(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("reminders.hours_before"), "in the table, not twice: {}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    let line = table.lines().find(|l| l.starts_with("warn  config")).unwrap_or_else(|| panic!("{table}"));
    assert!(line.contains("24-hour cancellation notice"), "{line}");
}

#[test]
fn slots_json_carries_the_business_offset_and_staff() {
    let w = Workdir::new();
    let slots = w.json(&["slots", "--service", "consultation", "--days", "2", "--json"]);
    let slots = slots.as_array().unwrap();
    // Now is 08:00 local; 120 minutes' notice → 10:00, for Sarah then Miguel (Priya is off Mondays).
    assert_eq!(slots[0]["start"], "2026-12-07T10:00:00-06:00");
    assert_eq!(slots[0]["end"], "2026-12-07T10:30:00-06:00");
    assert_eq!(slots[0]["staff_id"], "sarah");
    assert_eq!(slots[1]["staff_id"], "miguel");
    assert!(slots.iter().any(|s| s["staff_id"] == "priya"), "Priya works Tuesdays");
}

#[test]
fn slots_human_output_groups_by_day_in_local_time() {
    let w = Workdir::new();
    let out = w.run(&["slots", "--service", "extended", "--from", "2026-12-08", "--days", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Tue, Dec 8, 2026"), "{text}");
    assert!(text.contains("9:00 AM  Sarah Chen\n"), "Miguel does not offer it; Priya starts at 10: {text}");
    assert!(text.contains("America/Chicago"), "{text}");
}

#[test]
fn book_list_reschedule_and_cancel_from_the_command_line() {
    let w = Workdir::new();
    let booked = w.json(&[
        "appointments",
        "book",
        "--service",
        "standard",
        "--start",
        "2026-12-08T09:00:00-06:00",
        "--phone",
        "(312) 555-0123",
        "--name",
        "Jane Doe",
        "--staff",
        "sarah",
        "--json",
    ]);
    assert_eq!(booked["customer_phone"], "+13125550123");
    assert_eq!(booked["created"], true);
    let id = booked["id"].as_str().unwrap().to_string();

    let listed = w.json(&["appointments", "list", "--phone", "312-555-0123", "--json"]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["start"], "2026-12-08T09:00:00-06:00");

    let moved = w.json(&["appointments", "reschedule", &id, "--start", "2026-12-08T14:00", "--json"]);
    assert_eq!(moved["start"], "2026-12-08T14:00:00-06:00");
    assert_eq!(moved["end"], "2026-12-08T15:00:00-06:00");

    let cancelled = w.json(&["appointments", "cancel", &id, "--json"]);
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(w.json(&["appointments", "list", "--json"]).as_array().unwrap().len(), 0);
    assert_eq!(w.json(&["appointments", "list", "--include-cancelled", "--json"]).as_array().unwrap().len(), 1);
}

#[test]
fn one_idempotency_key_books_once_across_processes() {
    let w = Workdir::new();
    let args = [
        "appointments",
        "book",
        "--service",
        "consultation",
        "--start",
        "2026-12-08T09:00",
        "--phone",
        "3125550123",
        "--name",
        "Jane",
        "--idempotency-key",
        "evt-1",
        "--json",
    ];
    let first = w.json(&args);
    let second = w.json(&args);
    assert_eq!(first["id"], second["id"]);
    assert_eq!(second["created"], false);
}

/// A name one character over the limit.
const LONG_NAME: &str =
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

#[test]
fn bad_input_exits_2_or_3_with_a_clear_message() {
    let w = Workdir::new();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["slots", "--service", "massage"], 2, "there is no service \"massage\"; known services: consultation"),
        (&["slots", "--service", "consultation", "--staff", "bob"], 2, "there is no staff member \"bob\"; known staff"),
        (&["slots", "--service", "consultation", "--from", "12/08/2026"], 2, "YYYY-MM-DD"),
        (&["slots", "--service", "Consultation!"], 2, "--service"),
        (
            &[
                "appointments",
                "book",
                "--service",
                "consultation",
                "--start",
                "tomorrow",
                "--phone",
                "3125550123",
                "--name",
                "J",
            ],
            2,
            "--start",
        ),
        (
            &[
                "appointments",
                "book",
                "--service",
                "consultation",
                "--start",
                "2026-12-08T09:00",
                "--phone",
                "12",
                "--name",
                "J",
            ],
            2,
            "--phone",
        ),
        (
            &[
                "appointments",
                "book",
                "--service",
                "consultation",
                "--start",
                "2026-12-08T09:00",
                "--phone",
                "3125550123",
                "--name",
                " ",
            ],
            2,
            "--name",
        ),
        (
            &[
                "appointments",
                "book",
                "--service",
                "consultation",
                "--start",
                "2026-12-25T09:00",
                "--phone",
                "3125550123",
                "--name",
                "J",
            ],
            3,
            "closed",
        ),
        (
            &[
                "appointments",
                "book",
                "--service",
                "consultation",
                "--start",
                "2026-12-07T07:30",
                "--phone",
                "3125550123",
                "--name",
                "J",
            ],
            3,
            "in_the_past",
        ),
        (
            &[
                "appointments",
                "book",
                "--service",
                "consultation",
                "--start",
                "2026-12-07T08:30",
                "--phone",
                "3125550123",
                "--name",
                "J",
            ],
            3,
            "too_soon",
        ),
        (
            &[
                "appointments",
                "book",
                "--service",
                "consultation",
                "--start",
                "2026-12-08T09:00",
                "--phone",
                "3125550123",
                "--name",
                LONG_NAME,
            ],
            2,
            "--name: at most 100 characters",
        ),
        (
            &[
                "appointments",
                "book",
                "--service",
                "consultation",
                "--start",
                "2026-12-08T09:00",
                "--phone",
                "3125550123",
                "--name",
                "J",
                "--email",
                "jane-at-example.com",
            ],
            2,
            "--email: \"jane-at-example.com\" is not an email address",
        ),
        (&["appointments", "cancel", "nope"], 2, "not an appointment id"),
        (&["appointments", "cancel", "0f8fad5b-d9cb-469f-a165-70867728950e"], 3, "not_found"),
        (&["appointments", "frobnicate"], 2, "unrecognized subcommand"),
    ];
    for (args, code, needle) in cases {
        let out = w.run(args);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("Id(\""), "{args:?}: no Rust type names: {}", stderr(&out));
        assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    }
    assert_eq!(w.json(&["appointments", "list", "--json"]).as_array().unwrap().len(), 0, "nothing written");
}

#[test]
fn a_malformed_now_is_a_usage_error() {
    let w = Workdir::new();
    let out = Command::new(BIN).arg("--config").arg(w.config()).args(["--now", "yesterday", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("RFC 3339"), "{}", stderr(&out));
}

#[test]
fn an_invalid_config_exits_2_naming_the_key_and_writes_nothing() {
    let w = Workdir::new();
    let text = std::fs::read_to_string(w.config())
        .unwrap()
        .replace(r#"monday    = ["09:00-12:00", "13:00-17:00"]"#, r#"monday    = ["09:00-12:00", "13:00-12:00"]"#);
    std::fs::write(w.config(), text).unwrap();
    let out = w.run(&["slots", "--service", "consultation"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(r#"hours.monday[1]: "13:00-12:00" ends before it starts"#), "{}", stderr(&out));
    assert!(!w.dir.path().join("appointment-setter.db").exists(), "no database created");

    let missing = Command::new(BIN)
        .args(["--config", "/nonexistent/x.toml", "check"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/nonexistent/x.toml"), "{}", stderr(&missing));
}

/// Eight processes book overlapping times for one staff member at once: exactly one wins.
fn eight_processes_race(w: &Workdir) {
    assert_eq!(w.run(&["check"]).status.code(), Some(0), "database created and migrated first");
    let children: Vec<_> = (0..8)
        .map(|i| {
            let start = format!("2026-12-08T09:{:02}", (i % 3) * 15);
            w.command(&[
                "appointments",
                "book",
                "--service",
                "consultation",
                "--staff",
                "sarah",
                "--start",
                &start,
                "--phone",
                "3125550123",
                "--name",
                "Racer",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let winners = outputs.iter().filter(|o| o.status.code() == Some(0)).count();
    assert_eq!(winners, 1, "{:?}", outputs.iter().map(stderr).collect::<Vec<_>>());
    for o in outputs.iter().filter(|o| o.status.code() != Some(0)) {
        assert_eq!(o.status.code(), Some(3), "{}", stderr(o));
        assert!(stderr(o).contains("slot_unavailable"), "{}", stderr(o));
    }
    assert_eq!(w.json(&["appointments", "list", "--json"]).as_array().unwrap().len(), 1);
}

#[test]
fn eight_processes_cannot_double_book_on_sqlite() {
    eight_processes_race(&Workdir::new());
}

#[tokio::test]
async fn eight_processes_cannot_double_book_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL variant not run");
        return;
    };
    let w = Workdir::with_db(&db);
    tokio::task::spawn_blocking(move || eight_processes_race(&w)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_cannot_double_book_through_google() {
    let sarah = "sarah@accuthink.example";
    let emu = support::google_emulator::GoogleEmulator::start(&[
        sarah,
        "miguel@accuthink.example",
        "priya@accuthink.example",
    ])
    .await;
    let mut w = Workdir::new();
    let config = std::fs::read_to_string(w.config()).unwrap().replace(r#"backend = "local""#, r#"backend = "google""#);
    std::fs::write(w.config(), config).unwrap();
    w.env = vec![
        ("GOOGLE_SERVICE_ACCOUNT_FILE", emu.key_file(w.dir.path()).display().to_string()),
        ("GOOGLE_API_BASE", emu.api_base()),
    ];
    tokio::task::spawn_blocking(move || eight_processes_race(&w)).await.unwrap();
    assert_eq!(emu.live_events(sarah).len(), 1, "exactly one event in Sarah's calendar");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_talks_to_the_receptionist_through_the_configured_llm() {
    use std::io::Write as _;
    use support::fake_llm::{FakeLlm, Script, Step};
    let llm = FakeLlm::start().await;
    llm.script([Script::Stream(vec![Step::Text("Hello! "), Step::Text("What can I book for you?")])]);
    let w = Workdir::new();
    let mut child = w
        .command(&["chat", "--phone", "(312) 555-0123"])
        .env("OPENAI_BASE_URL", &llm.base)
        .env("OPENAI_API_KEY", "test")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Hi, I need an appointment\n").unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("receptionist: Thanks for calling Accuthink Clinic"), "{text}");
    assert!(text.contains("receptionist: Hello!\nreceptionist: What can I book for you?"), "{text}");
    let request = &llm.requests()[0];
    assert!(request["messages"][0]["content"].as_str().unwrap().contains("+13125550123"));
    assert_eq!(request["messages"][1]["content"], "Hi, I need an appointment");
}

#[test]
fn chat_without_an_llm_uses_the_guided_dialog() {
    use std::io::Write as _;
    let w = Workdir::new();
    // `--live`: the booking is real, so the listing below sees it.
    let mut child = w
        .command(&["chat", "--live"])
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"I'd like a consultation tomorrow at 9 am, I'm Jane Doe\nyes\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("guided dialog"), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "receptionist: To confirm: a Consultation on Tuesday, December 8 at 9:00 AM for Jane Doe. Shall I book it?"
        ),
        "{text}"
    );
    assert!(text.contains("receptionist: You're all set!"), "{text}");
    let listed = w.json(&["appointments", "list", "--json"]);
    assert_eq!(listed[0]["customer_name"], "Jane Doe");
}

#[test]
fn chat_uses_a_throwaway_database_unless_live_and_echoes_piped_lines() {
    use std::io::Write as _;
    let w = Workdir::new();
    let lines = "I'd like a consultation tomorrow morning\nthe 9 am one\nJane Doe\nyes\n";
    let chat = |extra: &[&str]| {
        let mut cmd = w.command(&[&["chat"][..], extra].concat());
        cmd.env_remove("OPENAI_BASE_URL").env_remove("OPENAI_API_KEY");
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(lines.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        (String::from_utf8_lossy(&out.stdout).into_owned(), stderr(&out))
    };
    let (transcript, note) = chat(&[]);
    assert!(note.contains("throwaway database"), "{note}");
    assert!(
        transcript.contains("caller: I'd like a consultation tomorrow morning"),
        "piped lines echoed:\n{transcript}"
    );
    assert!(transcript.contains("You're all set"), "{transcript}");
    assert!(!w.dir.path().join("appointment-setter.db").exists(), "nothing written next to the config");

    let (transcript, note) = chat(&["--live"]);
    assert!(note.contains("LIVE"), "{note}");
    assert!(transcript.contains("You're all set"), "{transcript}");
    assert_eq!(w.json(&["appointments", "list", "--json"]).as_array().unwrap().len(), 1, "--live books for real");
}

#[test]
fn a_database_that_cannot_be_used_is_one_line_saying_what_to_fix_and_exit_2() {
    let w = Workdir::new();
    std::fs::write(w.dir.path().join("notes.db"), "shopping list, not a database").unwrap();
    // A server that accepts the connection and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("postgres://postgres@127.0.0.1:{}/x", silent.local_addr().unwrap().port());
    let missing = format!("sqlite://{}/no/such/folder/x.db", w.dir.path().display());
    let not_sqlite = format!("sqlite://{}/notes.db", w.dir.path().display());
    for (url, says) in [
        (missing.as_str(), "does not exist: create it"),
        (not_sqlite.as_str(), "is not a SQLite database"),
        ("postgres://postgres@127.0.0.1:1/x", "cannot reach the database server"),
        (silent_url.as_str(), "no answer within 5 s"),
    ] {
        let out = w.command(&["slots", "--service", "consultation"]).env("DATABASE_URL", url).output().unwrap();
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{url}: {text}");
        assert!(text.contains(says) && text.lines().count() == 1, "{url}: {text}");
    }
    drop(silent);
}

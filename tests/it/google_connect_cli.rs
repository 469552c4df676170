//! `appointment-setter connect google` on a server without a browser (issue #16): the real binary
//! prints Google's consent URL, receives the redirect on a loopback port (or a pasted code), stores
//! the sealed token beside the config's 0600 secrets key, and `check` then passes for that staff
//! member next to others still on the service account.

use crate::support;

use std::process::Stdio;

use support::google_emulator::GoogleEmulator;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const SARAH: &str = "sarah@gmail.test";
const WORK: &str = "sarah-work@group.calendar.test";

struct Server {
    emu: GoogleEmulator,
    dir: tempfile::TempDir,
}

/// Miguel and Priya on the service account; Sarah has her own Google account.
async fn server() -> Server {
    let emu = GoogleEmulator::start(&["miguel@accuthink.example", "priya@accuthink.example"]).await;
    emu.add_user(SARAH, &[(WORK, "Sarah at work", "owner")]);
    emu.consent_as(Some(SARAH));
    let dir = support::google_config_dir();
    Server { emu, dir }
}

impl Server {
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_appointment-setter"));
        cmd.arg("--config").arg(self.dir.path().join("appointment-setter.toml")).args(args);
        cmd.env("GOOGLE_SERVICE_ACCOUNT_FILE", self.emu.key_file(self.dir.path()))
            .env("GOOGLE_OAUTH_CLIENT_FILE", self.emu.oauth_client_file(self.dir.path(), "installed"))
            .env("GOOGLE_API_BASE", self.emu.api_base())
            .env_remove("DATABASE_URL")
            .env_remove("SECRETS_KEY")
            .env_remove("SECRETS_KEY_PREVIOUS")
            .env_remove("RUST_LOG");
        cmd
    }

    /// Runs `connect google` with `args`; `answer` gets the consent URL and may write to stdin.
    async fn connect<F, Fut>(&self, args: &[&str], answer: F) -> (Option<i32>, String, String)
    where
        F: FnOnce(String, tokio::process::ChildStdin) -> Fut,
        Fut: std::future::Future<Output = tokio::process::ChildStdin>,
    {
        let mut all = vec!["connect", "google"];
        all.extend_from_slice(args);
        let mut child = self
            .command(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = String::new();
        let url = loop {
            let line = lines.next_line().await.unwrap().expect("the command prints the consent URL");
            printed.push_str(&line);
            printed.push('\n');
            if line.starts_with("http") {
                break line;
            }
        };
        let _stdin = answer(url, stdin).await;
        while let Some(line) = lines.next_line().await.unwrap() {
            printed.push_str(&line);
            printed.push('\n');
        }
        let out = child.wait_with_output().await.unwrap();
        (out.status.code(), printed, String::from_utf8_lossy(&out.stderr).to_string())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_google_receives_the_redirect_on_a_loopback_port_and_check_then_passes() {
    let s = server().await;
    let (code, printed, stderr) = s
        .connect(&["--staff", "sarah"], |url, stdin| async move {
            assert!(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"), "a loopback redirect: {url}");
            // The browser follows Google's redirect to the command's loopback port.
            let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
            assert!(page.contains("You can close this tab"), "{page}");
            stdin
        })
        .await;
    assert_eq!(code, Some(0), "{printed}\n{stderr}");
    assert!(printed.contains(&format!("Connected: sarah's appointments go to \"{SARAH}\"")), "{printed}");
    assert!(printed.contains(WORK), "lists the other calendars it can write: {printed}");

    let key = s.dir.path().join("secrets.key");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600, "the secrets key is private");

    let out = s.command(&["check"]).output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("Sarah Chen can read and write {SARAH} (Google account {SARAH})")), "{text}");
    assert!(text.contains("Miguel Alvarez can read and write miguel@accuthink.example"), "{text}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pasted_code_connects_too_and_a_wrong_staff_member_is_named() {
    let s = server().await;
    let (code, printed, stderr) = s
        .connect(&["--staff", "sarah", "--calendar", WORK], |url, mut stdin| async move {
            // On another machine the loopback page does not load: the person pastes the code.
            let (_, code) = support::google_oauth::consent(&url).await;
            stdin.write_all(format!("{}\n", code.unwrap()).as_bytes()).await.unwrap();
            stdin
        })
        .await;
    assert_eq!(code, Some(0), "{printed}\n{stderr}");
    assert!(printed.contains(&format!("\"Sarah at work\" ({WORK})")), "{printed}");

    let out = s.command(&["connect", "google", "--staff", "nobody"]).output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no staff member \"nobody\"") && stderr.contains("sarah"), "{stderr}");
}

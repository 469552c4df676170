//! The Google backend as the environment configures it (`GOOGLE_SERVICE_ACCOUNT_FILE`,
//! `GOOGLE_OAUTH_CLIENT_FILE`, `GOOGLE_API_BASE`, `GOOGLE_MAX_PER_SECOND`, `SECRETS_KEY`), and
//! `connect google`: a staff member's own Google calendar connected from a terminal, the redirect
//! received on a loopback port (as desktop apps do) or the code pasted.

use std::path::Path;
use std::sync::Arc;

use super::CliError;
use super::context::{Context, env};
use crate::booking::google::{ConnectorParts, GoogleConnector, StoreConnections};
use crate::calendar::Calendar;
use crate::calendar::google::oauth::OAuthClient;
use crate::calendar::google::{Connections, GoogleCalendar};
use crate::clock::Clock;
use crate::config::Config;
use crate::secrets::SecretBox;
use crate::store::Store;

/// Where the secrets key lives when `SECRETS_KEY` is not set: beside the config (and the default
/// SQLite database).
const SECRETS_KEY_FILE: &str = "secrets.key";

/// Google's API base unless `GOOGLE_API_BASE` says otherwise.
const DEFAULT_API_BASE: &str = "https://www.googleapis.com/calendar/v3/";

/// The key that seals secrets at rest.
pub(crate) fn secrets(config_path: &Path) -> Result<SecretBox, CliError> {
    let file = config_path.parent().unwrap_or(Path::new(".")).join(SECRETS_KEY_FILE);
    let (current, previous) = (env("SECRETS_KEY"), env("SECRETS_KEY_PREVIOUS"));
    SecretBox::load(current.as_deref(), previous.as_deref(), &file).map_err(|e| CliError::Usage(e.to_string()))
}

/// The `google` backend: the service account, connected accounts, or both.
pub(super) async fn backend(
    config: &Config,
    config_path: &Path,
    store: &Store,
    clock: Arc<dyn Clock>,
) -> Result<(Arc<dyn Calendar>, Option<GoogleConnector>), CliError> {
    let key = env("GOOGLE_SERVICE_ACCOUNT_FILE");
    let client_file = env("GOOGLE_OAUTH_CLIENT_FILE");
    if key.is_none() && client_file.is_none() {
        return Err(CliError::Usage(
            "calendar.backend = \"google\" needs GOOGLE_SERVICE_ACCOUNT_FILE (the service account's JSON key) or \
             GOOGLE_OAUTH_CLIENT_FILE (the OAuth client's JSON, to connect staff members' own calendars)"
                .into(),
        ));
    }
    let base = env("GOOGLE_API_BASE");
    let business = Arc::new(config.business.clone());
    let usage = |e: &dyn std::fmt::Display| CliError::Usage(e.to_string());
    let mut google = GoogleCalendar::new(base.as_deref(), business.clone()).map_err(|e| usage(&e))?;
    if let Some(key) = &key {
        google = google.with_service_account(Path::new(key)).await.map_err(|e| usage(&e))?;
    }
    if let Some(rate) = env("GOOGLE_MAX_PER_SECOND") {
        let rate: u32 = rate.parse().ok().filter(|r| *r > 0).ok_or_else(|| {
            CliError::Usage(format!("GOOGLE_MAX_PER_SECOND must be a whole number above 0, not {rate:?}"))
        })?;
        google = google.with_rate_limit(rate);
    }
    let Some(client_file) = client_file else { return Ok((Arc::new(google), None)) };
    let client = Arc::new(OAuthClient::load(Path::new(&client_file)).map_err(|e| usage(&e))?);
    let secrets = Arc::new(secrets(config_path)?);
    let email_from = env("SMTP_URL").and(env("SMTP_FROM"));
    let owner_phone = config.business.transfer_number.as_ref().map(|p| p.to_string());
    let connections: Arc<dyn Connections> =
        Arc::new(StoreConnections::new(store.clone(), clock.clone()).telling_owners(email_from, owner_phone));
    let google = Arc::new(google.with_oauth(client.clone(), secrets.clone(), connections.clone()));
    let api_base = base.unwrap_or_else(|| DEFAULT_API_BASE.to_string());
    let parts = ConnectorParts { client, secrets, api_base, calendar: google.clone(), connections };
    let connector = GoogleConnector::new(store.clone(), parts, business, clock);
    Ok((google, Some(connector)))
}

/// `connect google --staff ID`: prints Google's consent URL, waits for the redirect on a
/// loopback port (or a pasted code or redirect URL), connects, exits 0.
pub(super) async fn connect(ctx: &Context, staff: &str, calendar: Option<&str>) -> Result<(), CliError> {
    let Some(google) = &ctx.google else {
        return Err(CliError::Usage(
            "connecting a Google calendar needs calendar.backend = \"google\" and GOOGLE_OAUTH_CLIENT_FILE (the OAuth \
             client's JSON from Google's console; a \"Desktop app\" client for this command)"
                .into(),
        ));
    };
    let Some(member) = ctx.config.business.staff.iter().find(|m| m.id.as_str() == staff) else {
        let known: Vec<&str> = ctx.config.business.staff.iter().map(|m| m.id.as_str()).collect();
        return Err(CliError::Usage(format!(
            "--staff: no staff member {staff:?} (the config has {})",
            known.join(", ")
        )));
    };
    if google.client().kind() == crate::calendar::google::oauth::ClientKind::Web {
        eprintln!(
            "note: GOOGLE_OAUTH_CLIENT_FILE is a \"Web application\" client; Google sends it back to a loopback port \
             only if that is a registered redirect URI. A \"Desktop app\" client works as it is."
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| CliError::Failed(anyhow::anyhow!("cannot listen on a loopback port: {e}")))?;
    let port = listener.local_addr().map_err(|e| CliError::Failed(e.into()))?.port();
    let redirect = format!("http://127.0.0.1:{port}/");
    let session = uuid::Uuid::new_v4().to_string();
    let url =
        google.start(&session, "cli", Some(staff), &redirect).await.map_err(|e| CliError::Usage(e.to_string()))?;
    println!(
        "Open this address in a browser signed in to {}'s Google account and allow access:\n\n{url}\n",
        member.name
    );
    println!(
        "Waiting for Google to send the browser back to {redirect} (on another machine: paste the address the \
         browser ends on, or its code=… value, here)."
    );
    let own_state = reqwest::Url::parse(&url)
        .ok()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()))
        .unwrap_or_default();
    let (state, code) = loopback::receive(listener, &own_state).await?;
    let connected = google.finish(&session, &state, &code).await.map_err(|e| CliError::Usage(e.to_string()))?;
    let chosen = match calendar {
        Some(id) => google.pick(staff, &connected.email, id).await.map_err(|e| CliError::Usage(e.to_string()))?,
        None => connected.calendars.iter().find(|c| c.primary).cloned().expect("finish found the primary calendar"),
    };
    println!("Connected: {staff}'s appointments go to {:?} ({}) of {}.", chosen.summary, chosen.id, connected.email);
    let others: Vec<String> = connected
        .calendars
        .iter()
        .filter(|c| c.id != chosen.id)
        .map(|c| format!("  {} ({})", c.id, c.summary))
        .collect();
    if !others.is_empty() {
        println!("Other calendars it can write (use one with --calendar ID):\n{}", others.join("\n"));
    }
    Ok(())
}

mod loopback {
    //! The redirect back from Google: one GET on the loopback port, or a line on stdin.

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::CliError;

    /// Google's answer in a redirect target or URL (`?state=…&code=…` or `?error=…`).
    pub(super) fn redirect(text: &str) -> Option<(Option<String>, Result<String, String>)> {
        let (_, query) = text.trim().split_once('?')?;
        let query = query.split(['#', ' ']).next().unwrap_or_default();
        let pairs: Vec<(String, String)> =
            reqwest::Url::parse(&format!("http://x/?{query}")).ok()?.query_pairs().into_owned().collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        match (get("code"), get("error")) {
            (Some(code), _) => Some((get("state"), Ok(code))),
            (None, Some(error)) => Some((get("state"), Err(error))),
            (None, None) => None,
        }
    }

    /// A pasted line: the address the browser ended on, or the bare code.
    pub(super) fn pasted(line: &str) -> Option<(Option<String>, Result<String, String>)> {
        let line = line.trim();
        match redirect(line) {
            Some(found) => Some(found),
            None if !line.is_empty() && !line.contains(['/', ' ', '?']) || line.starts_with("4/") => {
                Some((None, Ok(line.to_string())))
            }
            None => None,
        }
    }

    const DONE: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n\
                        appointment-setter received Google's answer. You can close this tab.\n";

    /// Waits for the redirect (or a pasted answer); returns `(state, code)`.
    pub(super) async fn receive(
        listener: tokio::net::TcpListener,
        own_state: &str,
    ) -> Result<(String, String), CliError> {
        // Pasted lines come from a plain thread: a read blocked on the terminal must not keep the
        // process (or the runtime's shutdown) waiting once the answer came through the port.
        let (lines, mut pasted_lines) = tokio::sync::mpsc::unbounded_channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stdin_open = true;
        loop {
            let answer = tokio::select! {
                accepted = listener.accept() => {
                    let Ok((mut socket, _)) = accepted else { continue };
                    let mut buf = vec![0u8; 8192];
                    let n = socket.read(&mut buf).await.unwrap_or(0);
                    let head = String::from_utf8_lossy(&buf[..n]).to_string();
                    let target = head.split_whitespace().nth(1).unwrap_or_default().to_string();
                    let parsed = redirect(&target);
                    let _ = socket.write_all(DONE.as_bytes()).await;
                    parsed
                }
                line = pasted_lines.recv(), if stdin_open => match line {
                    Some(line) => pasted(&line),
                    None => { stdin_open = false; None }
                },
            };
            match answer {
                Some((state, Ok(code))) => {
                    // A bare pasted code answers the one authorization this command started.
                    return Ok((state.unwrap_or_else(|| own_state.to_string()), code));
                }
                Some((_, Err(error))) => {
                    return Err(CliError::Usage(format!(
                        "Google did not give access ({error}): run the command again and allow access"
                    )));
                }
                None => continue,
            }
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn the_answer_is_read_from_a_redirect_or_a_pasted_line() {
            use super::{pasted, redirect};
            let full = redirect("http://127.0.0.1:5/?state=s1&code=4%2F0Ab&scope=x").unwrap();
            assert_eq!(full, (Some("s1".to_string()), Ok("4/0Ab".to_string())));
            assert_eq!(redirect("/?error=access_denied&state=s").unwrap().1, Err("access_denied".to_string()));
            assert_eq!(redirect("/favicon.ico"), None, "the browser's other requests are not answers");
            assert_eq!(pasted("4/0Ab-bare").unwrap(), (None, Ok("4/0Ab-bare".to_string())));
            assert_eq!(pasted("  "), None);
            assert_eq!(pasted("what do I do"), None);
        }
    }
}

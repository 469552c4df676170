//! Opening the database fails fast and says what is wrong: before the pool is built, one
//! connection is tried (5 s at most) and made to read the database, and what went wrong is put in
//! words an owner can act on — a missing folder, a file that is not SQLite, a read-only file, a
//! PostgreSQL server that does not answer — instead of a pool timing out after 30 s.

use std::path::Path;
use std::time::Duration;

use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};

use super::{Backend, StoreError, redact_url};

/// How long the first connection may take.
pub(super) const CONNECT_WITHIN: Duration = Duration::from_secs(5);

/// The file a SQLite URL names, if it names one.
fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then(|| Path::new(path))
}

fn unavailable(url: &str, problem: impl Into<String>) -> StoreError {
    StoreError::Unavailable { url: redact_url(url), problem: problem.into() }
}

/// A driver error as an owner reads it.
fn explain(url: &str, e: &sqlx::Error) -> String {
    let code = e.as_database_error().and_then(|d| d.code()).map(|c| c.into_owned());
    let file = sqlite_path(url).map(|p| p.display().to_string()).unwrap_or_default();
    match code.as_deref() {
        Some("26") => {
            format!("{file} is not a SQLite database (another program's file?): move it away or set DATABASE_URL")
        }
        Some("8") => format!("{file} is read-only: this program writes to it (check its permissions and its folder's)"),
        Some("14") => format!("cannot open {file}: check that its folder exists and is writable"),
        _ => match e {
            sqlx::Error::Io(io) => {
                format!("cannot reach the database server: {io} (is it running, and does DATABASE_URL name it?)")
            }
            sqlx::Error::Tls(tls) => format!("TLS with the database server failed: {tls}"),
            other => other.to_string(),
        },
    }
}

/// Tries one connection and one read (SQLite: the settings the pool applies, which write to the
/// file), so every later failure of the pool is an outage, not a set-up mistake.
pub(super) async fn probe(url: &str, backend: Backend, options: &AnyConnectOptions) -> Result<(), StoreError> {
    if backend == Backend::Sqlite
        && let Some(dir) = sqlite_path(url).and_then(Path::parent).filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(unavailable(
            url,
            format!("the folder {} does not exist: create it or set DATABASE_URL", dir.display()),
        ));
    }
    let attempt = async {
        let mut conn = options.connect().await?;
        if backend == Backend::Sqlite {
            conn.execute("PRAGMA journal_mode = WAL").await?;
            conn.execute("SELECT count(*) FROM sqlite_master").await?;
        } else {
            conn.execute("SELECT 1").await?;
        }
        conn.close().await
    };
    match tokio::time::timeout(CONNECT_WITHIN, attempt).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(unavailable(url, explain(url, &e))),
        Err(_) => Err(unavailable(
            url,
            format!(
                "no answer within {} s (is the server running, and does DATABASE_URL name it?)",
                CONNECT_WITHIN.as_secs()
            ),
        )),
    }
}

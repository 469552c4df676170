//! Store errors.

/// A database failure. Messages never contain passwords.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names a database we don't support.
    #[error("DATABASE_URL {0:?} is not supported: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    /// Could not open the database.
    #[error("cannot open database {url}: {source}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// The driver error.
        source: sqlx::Error,
    },
    /// The database cannot be used as configured: what is wrong, in words an owner can act on.
    #[error("cannot open the database {url}: {problem}")]
    Unavailable {
        /// The URL, password removed.
        url: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// Migrations failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A batched write failed (the message of the underlying error).
    #[error("database error: {0}")]
    Batch(String),
    /// The store's writer task has stopped (shutting down).
    #[error("the store is shutting down")]
    Closed,
    /// A row holds a value this program did not write.
    #[error("corrupt row in {table}: {problem}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// What is wrong.
        problem: String,
    },
}

impl StoreError {
    pub(super) fn connect(url: &str, source: sqlx::Error) -> Self {
        StoreError::Connect { url: super::redact_url(url), source }
    }

    /// True when the error is a unique-constraint violation.
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Query(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// A stored word (a status, a channel) read back as its enum; anything else means the row is corrupt.
pub(super) fn parse_text<T: std::str::FromStr<Err = String>>(table: &'static str, text: &str) -> Result<T, StoreError> {
    text.parse().map_err(|problem| StoreError::Corrupt { table, problem })
}

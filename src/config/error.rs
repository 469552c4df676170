//! Config errors: each names the file, the key and the problem.

use std::fmt;
use std::path::PathBuf;

/// One problem at one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path, e.g. `hours.monday[1]`.
    pub key: String,
    /// What is wrong, e.g. `"13:00-12:00" ends before it starts`.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML is malformed or has keys of the wrong type or unknown keys.
    #[error("{}{message}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Syntax {
        /// The file, when known.
        path: Option<PathBuf>,
        /// The parser's message (names the line and the key).
        message: String,
    },
    /// The values break a rule.
    #[error("{}invalid configuration:\n{}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default(), problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file, when known.
        path: Option<PathBuf>,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    pub(super) fn in_file(self, file: &std::path::Path) -> Self {
        match self {
            ConfigError::Syntax { message, .. } => ConfigError::Syntax { path: Some(file.to_path_buf()), message },
            ConfigError::Invalid { problems, .. } => ConfigError::Invalid { path: Some(file.to_path_buf()), problems },
            other => other,
        }
    }
}

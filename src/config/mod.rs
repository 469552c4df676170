//! Configuration (SPEC §3): one TOML file, parsed into typed settings and validated at load.
//! Every problem names its key (`hours.monday[1]: "13:00-12:00" ends before it starts`), and all
//! problems are reported at once so an owner fixes the file in one pass. Secrets never live here.

mod error;
mod raw;
mod reminders;
mod validate;

use std::path::{Path, PathBuf};

pub(crate) use error::{ConfigError, Problem};
use serde::Deserialize;

pub use reminders::{MachineDetection, ReminderSettings};

use crate::domain::Business;

/// Environment variable naming the config file.
pub(crate) const CONFIG_ENV: &str = "APPOINTMENT_SETTER_CONFIG";
/// Config file used when none is named.
pub(crate) const DEFAULT_CONFIG_FILE: &str = "appointment-setter.toml";

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Services, staff, hours and policy.
    pub business: Business,
    /// `[calendar]`.
    pub calendar: CalendarSettings,
    /// `[voice]`.
    pub voice: VoiceSettings,
    /// `[sms]`.
    pub sms: SmsSettings,
    /// `[reminders]`.
    pub reminders: ReminderSettings,
    /// What loaded but deserves a second look (an old key, settings that work against each
    /// other): shown at start-up and by `check`.
    pub warnings: Vec<Problem>,
}

/// Which calendar backend holds appointments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CalendarBackend {
    /// The store is the calendar (default, zero setup).
    #[default]
    Local,
    /// Google Calendar through a service account, one calendar per staff member.
    Google,
}

/// `[calendar]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSettings {
    /// Backend (`local` or `google`).
    #[serde(default)]
    pub backend: CalendarBackend,
}

/// `[voice]`: how the receptionist sounds on the phone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VoiceSettings {
    /// Telnyx voice name.
    pub voice: String,
    /// First words of every call; `{business}` is replaced by the business name.
    pub greeting: String,
    /// Telnyx transcription engine.
    pub transcription_engine: String,
    /// Hard cap on call length.
    pub max_call_minutes: u32,
}

impl Default for VoiceSettings {
    fn default() -> Self {
        Self {
            voice: "AWS.Polly.Joanna-Neural".into(),
            greeting: "Thanks for calling {business}. How can I help you today?".into(),
            transcription_engine: "Google".into(),
            max_call_minutes: 15,
        }
    }
}

/// `[sms]`: confirmations (reminders are `[reminders]`).
#[derive(Debug, Clone)]
pub struct SmsSettings {
    /// Send a confirmation after every change.
    pub confirmations: bool,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self { confirmations: true }
    }
}

impl Config {
    /// Reads and validates the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text).map_err(|e| e.in_file(path))
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let raw: raw::RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Syntax { path: None, message: e.to_string() })?;
        validate::validate(raw)
    }
}

/// The config path to use: `--config`, else `APPOINTMENT_SETTER_CONFIG` (handled by clap), else
/// `appointment-setter.toml` in the working directory.
pub(crate) fn resolve_path(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE))
}

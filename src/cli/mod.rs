//! The command line (SPEC §11): argument parsing, wiring, output and exit codes.
//!
//! Exit codes: 0 success · 1 unexpected failure · 2 usage or config error · 3 refused by a
//! business rule or conflict. Refusals print the reason code and a sentence on stderr; `--json`
//! output goes to stdout only.

mod appointments;
mod chat;
mod check;
mod console;
mod context;
mod google;
mod output;
mod replay;
mod serve;
mod slots;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

pub(crate) use context::Context;

use crate::booking::BookingError;
use crate::config::ConfigError;
use crate::domain::Refusal;

/// appointment-setter: an AI receptionist that books real appointments.
#[derive(Debug, Parser)]
#[command(name = "appointment-setter", version, about, propagate_version = true)]
pub(crate) struct Cli {
    /// Config file [default: appointment-setter.toml]
    #[arg(long, global = true, env = crate::config::CONFIG_ENV, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Pretend the current time is this instant (RFC 3339), for scripts and tests; `serve` starts
    /// its business clock (rules, reminders, texts, call windows) there and runs on in real time
    #[arg(long, global = true, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<DateTime<Utc>>,
    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List free slots customers could book
    Slots(slots::SlotsArgs),
    /// List, book, cancel and reschedule appointments (as staff)
    #[command(subcommand)]
    Appointments(appointments::AppointmentsCommand),
    /// Validate the config and check that the database and calendar are reachable
    Check,
    /// Run the webhook server (BIND, TELNYX_PUBLIC_KEY)
    Serve,
    /// Sign webhook samples with a local test key and post them to a server
    Replay(replay::ReplayArgs),
    /// Print a new Ed25519 test key pair for local use with `replay`
    Keygen(replay::KeygenArgs),
    /// Talk to the receptionist by typing (the LLM if configured, else the guided dialog)
    Chat(chat::ChatArgs),
    /// A complete simulated call and text exchange on a throwaway database, printed as a transcript
    Demo(DemoArgs),
    /// Add and list the owner's console accounts
    #[command(subcommand)]
    Users(console::UsersCommand),
    /// Connect a staff member's own Google calendar from a terminal (OAuth, GOOGLE_OAUTH_CLIENT_FILE)
    #[command(subcommand)]
    Connect(ConnectCommand),
}

/// What `connect` connects.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ConnectCommand {
    /// Print Google's consent address, wait for its answer on a loopback port (or a pasted code)
    Google {
        /// The staff member (their id in the config)
        #[arg(long)]
        staff: String,
        /// The calendar to use (default: the account's primary calendar)
        #[arg(long)]
        calendar: Option<String>,
    },
}

/// Arguments of `demo`.
#[derive(Debug, clap::Args)]
pub(crate) struct DemoArgs {
    /// Caller lines to play instead of the default (one per line; `sms:` lines are texts)
    #[arg(long, value_name = "FILE", conflicts_with = "reminder_call")]
    script: Option<PathBuf>,
    /// Play a reminder call instead: we dial the customer, a person answers and confirms
    #[arg(long)]
    reminder_call: bool,
}

async fn demo(config: Option<PathBuf>, now: Option<DateTime<Utc>>, args: DemoArgs) -> Result<(), CliError> {
    let config = crate::config::Config::load(&crate::config::resolve_path(config))?;
    // The story runs on its own clock (printed in the transcript) unless `--now` pins it.
    use crate::clock::Clock as _;
    let at = now.unwrap_or_else(|| crate::demo::story_time(&config.business, crate::clock::SystemClock.now()));
    if args.reminder_call {
        print!("{}", crate::demo::reminder_call::run(config, at).await?);
        return Ok(());
    }
    let clock: std::sync::Arc<dyn crate::clock::Clock> = std::sync::Arc::new(crate::clock::FixedClock(at));
    let script = match &args.script {
        Some(path) => crate::demo::parse_script(
            &std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("--script {}: {e}", path.display())))?,
        ),
        None => crate::demo::default_script(),
    };
    let transcript = crate::demo::run(config, clock, script).await?;
    print!("{transcript}");
    Ok(())
}

fn parse_now(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{s:?} is not an RFC 3339 instant like 2026-03-09T09:00:00-05:00 ({e})"))
}

/// A failure of a command, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Bad arguments (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Bad config (exit 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A business rule said no (exit 3).
    #[error("refused: {reason}: {message}")]
    Refused {
        /// The reason code.
        reason: Refusal,
        /// A sentence for people.
        message: String,
    },
    /// Anything else (exit 1).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl CliError {
    /// The process exit code.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            // Naming a service or staff member the config does not have is a usage mistake.
            CliError::Refused { reason: Refusal::UnknownService | Refusal::UnknownStaff, .. } => 2,
            CliError::Refused { .. } => 3,
            CliError::Failed(_) => 1,
        }
    }
}

impl From<BookingError> for CliError {
    fn from(e: BookingError) -> Self {
        match e {
            BookingError::Refused { reason, message } => CliError::Refused { reason, message },
            BookingError::Invalid { field, problem } => CliError::Usage(format!("--{field}: {problem}")),
            other => CliError::Failed(other.into()),
        }
    }
}

/// Parses the process arguments and runs the command; the whole program.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let server = matches!(cli.command, Command::Serve);
    crate::observability::init_tracing(if server { "info" } else { "warn" });
    let runtime = if server {
        tokio::runtime::Builder::new_multi_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs one parsed command.
pub(crate) async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Keygen(args) => return replay::keygen(args),
        Command::Replay(args) => return replay::replay(args).await,
        Command::Demo(args) => return demo(cli.config, cli.now, args).await,
        _ => {}
    }
    let database = match &cli.command {
        Command::Chat(args) if !args.live => context::Database::Throwaway,
        _ => context::Database::Configured,
    };
    let now = cli.now.map(|t| match &cli.command {
        Command::Serve => context::BusinessTime::RunningFrom(t),
        _ => context::BusinessTime::Fixed(t),
    });
    let ctx = Context::open(cli.config, now, database).await?;
    // `check` lists the config's warnings in its own table.
    if !matches!(cli.command, Command::Check) {
        for warning in &ctx.config.warnings {
            eprintln!("warning: {}: {warning}", ctx.config_path.display());
        }
    }
    let result = match cli.command {
        Command::Slots(args) => slots::run(&ctx, args).await,
        Command::Appointments(cmd) => appointments::run(&ctx, cmd).await,
        Command::Check => check::run(&ctx).await,
        Command::Serve => serve::run(&ctx).await,
        Command::Chat(args) => chat::run(&ctx, args).await,
        Command::Users(cmd) => console::run(&ctx, cmd).await,
        Command::Connect(ConnectCommand::Google { staff, calendar }) => {
            google::connect(&ctx, &staff, calendar.as_deref()).await
        }
        Command::Keygen(_) | Command::Replay(_) | Command::Demo(_) => unreachable!("handled above"),
    };
    ctx.close().await;
    result
}

//! The owner's console for `serve` and the `users` command: accounts over the store, the
//! session key (`ADMIN_JWT_SECRET`, else a 0600 file beside the config), and the one-time set-up
//! link printed when nobody has an account yet.

use std::io::{BufRead as _, IsTerminal as _};
use std::num::NonZeroU32;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};

use super::{CliError, Context};
use crate::accounts::{AccountError, Accounts, NewUser};
use crate::booking::BookingService;
use crate::clock::{Clock, SystemClock};
use crate::http::AdminConsole;
use crate::store::Role;

/// The `users` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Add a console account (the password from --password-stdin, else a prompt)
    Add(AddArgs),
    /// List the console accounts
    List,
    /// Personal API tokens for the admin API (`Authorization: Bearer ast_…`)
    #[command(subcommand)]
    Token(TokenCommand),
}

/// The `users token` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Make a token for an account; it is printed once (only its digest is kept)
    Create {
        /// The account's email address
        #[arg(long)]
        email: String,
        /// What the token is for (e.g. "bookkeeping export")
        #[arg(long)]
        name: String,
    },
    /// List an account's tokens (ids, names, when made, whether revoked)
    List {
        /// The account's email address
        #[arg(long)]
        email: String,
    },
    /// Revoke a token by its id (from `users token list`)
    Revoke {
        /// The token's id
        id: String,
    },
}

/// Account roles on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RoleArg {
    /// Sees and changes everything
    Owner,
    /// Sees and changes their own schedule (give --staff)
    Staff,
}

/// Arguments of `users add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// Their email address (they sign in with it)
    #[arg(long)]
    email: String,
    /// owner or staff
    #[arg(long, value_enum)]
    role: RoleArg,
    /// For staff: the staff id from the config (e.g. sarah)
    #[arg(long)]
    staff: Option<String>,
    /// Read the password from the first line of stdin instead of prompting
    #[arg(long)]
    password_stdin: bool,
}

/// Accounts for this deployment.
pub(crate) fn accounts(ctx: &Context, clock: Arc<dyn Clock>) -> Result<Accounts, CliError> {
    let secret = super::context::session_secret(&ctx.config_path)?;
    let per_minute = NonZeroU32::new(30).expect("not zero");
    Ok(Accounts::new(ctx.store.clone(), clock, secret, per_minute))
}

/// The console `serve` runs; prints the set-up link when there is no account yet.
pub(crate) async fn admin_console(
    ctx: &Context,
    booking: &BookingService,
    public_url: &str,
) -> Result<AdminConsole, CliError> {
    let accounts = accounts(ctx, Arc::new(SystemClock))?;
    if let Some(token) = accounts.setup_token().await.map_err(|e| CliError::Failed(e.into()))? {
        // The link is a secret: printed for the person starting the server, never logged.
        eprintln!(
            "No console account yet. Create the owner's account (this link works once, for 24 hours):\n  {}/admin/setup/{token}",
            public_url.trim_end_matches('/')
        );
    }
    let configured = super::context::public_url();
    Ok(AdminConsole::new(accounts, booking.clone(), ctx.store.clone(), configured.as_deref())
        .with_setup(super::check::setup(ctx))
        .with_google(ctx.google.clone()))
}

pub(super) async fn run(ctx: &Context, cmd: UsersCommand) -> Result<(), CliError> {
    let accounts = accounts(ctx, Arc::new(SystemClock))?;
    match cmd {
        UsersCommand::Token(cmd) => token(&accounts, cmd).await,
        UsersCommand::List => {
            let users = ctx.store.users().all().await.map_err(|e| CliError::Failed(e.into()))?;
            if users.is_empty() {
                println!(
                    "No accounts. `serve` prints a set-up link for the owner; or: users add --email … --role owner"
                );
            }
            for u in users {
                let staff = u.staff.map(|s| format!(" ({s})")).unwrap_or_default();
                println!("{}  {}{staff}", u.email, u.role.as_str());
            }
            Ok(())
        }
        UsersCommand::Add(args) => {
            let staff = match &args.staff {
                Some(id) => {
                    let id = id.parse().map_err(|e| CliError::Usage(format!("--staff: {e}")))?;
                    if ctx.config.business.staff_member(&id).is_none() {
                        return Err(CliError::Usage(format!("--staff {id}: no such staff member in the config")));
                    }
                    Some(id)
                }
                None => None,
            };
            let password = read_password(args.password_stdin)?;
            let role = match args.role {
                RoleArg::Owner => Role::Owner,
                RoleArg::Staff => Role::Staff,
            };
            let user =
                accounts.add_user(NewUser { email: args.email, password, role, staff }).await.map_err(|e| match e {
                    AccountError::Store(e) => CliError::Failed(e.into()),
                    e => CliError::Usage(e.to_string()),
                })?;
            println!("added {} ({})", user.email, user.role.as_str());
            Ok(())
        }
    }
}

async fn token(accounts: &Accounts, cmd: TokenCommand) -> Result<(), CliError> {
    let failed = |e: crate::store::StoreError| CliError::Failed(e.into());
    match cmd {
        TokenCommand::Create { email, name } => {
            let (record, secret) = accounts.create_api_token(&email, &name).await.map_err(|e| match e {
                AccountError::Store(e) => CliError::Failed(e.into()),
                e => CliError::Usage(e.to_string()),
            })?;
            eprintln!("Token {} made; it is shown only now. Send it as `Authorization: Bearer …`.", record.id);
            println!("{secret}");
        }
        TokenCommand::List { email } => {
            let Some(tokens) = accounts.api_tokens_of(&email).await.map_err(failed)? else {
                return Err(CliError::Usage(format!("there is no account for {email}; see `users list`")));
            };
            if tokens.is_empty() {
                println!("No tokens. Make one: users token create --email {email} --name …");
            }
            for t in tokens {
                let state = t.revoked_at.map_or("live".to_string(), |at| format!("revoked {}", at.format("%Y-%m-%d")));
                println!("{}  {}  made {}  {state}", t.id, t.name, t.created_at.format("%Y-%m-%d"));
            }
        }
        TokenCommand::Revoke { id } => {
            if !accounts.revoke_api_token(&id).await.map_err(failed)? {
                return Err(CliError::Usage(format!("no live token {id}; see `users token list --email …`")));
            }
            println!("revoked {id}");
        }
    }
    Ok(())
}

fn read_password(from_stdin: bool) -> Result<String, CliError> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError::Failed(e.into()))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| CliError::Failed(e.into()))?;
    let again = rpassword::prompt_password("Password again: ").map_err(|e| CliError::Failed(e.into()))?;
    if first != again {
        return Err(CliError::Usage("the two passwords differ".into()));
    }
    Ok(first)
}

//! `chat`: talk to the receptionist by typing, as a given phone number — the same agent, tools and
//! booking service as a call, with stdin/stdout instead of Telnyx. On a throwaway database unless
//! `--live` (then bookings are real). Piped input is echoed, so a transcript reads as a dialogue.

use async_trait::async_trait;
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};

use super::{CliError, Context};
use crate::conversation::{Conversation, Speaker, Turn};
use crate::domain::Channel;

/// Arguments of `chat`.
#[derive(Debug, Args)]
pub(crate) struct ChatArgs {
    /// The phone number to chat as (the caller's number on a call)
    #[arg(long, default_value = "+13125550123")]
    phone: String,
    /// Book, cancel and move for real, in the configured database and calendars (default: a
    /// throwaway database that is gone when chat ends)
    #[arg(long)]
    pub(super) live: bool,
}

struct Stdout;

#[async_trait]
impl Speaker for Stdout {
    async fn say(&self, sentence: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "receptionist: {sentence}");
        let _ = out.flush();
    }
}

pub(super) async fn run(ctx: &Context, args: ChatArgs) -> Result<(), CliError> {
    let caller = ctx.phone(&args.phone)?;
    let agent = super::serve::receptionist(ctx.booking.clone())?;
    let database = if args.live {
        format!("LIVE: bookings go into {}", crate::store::redact_url(&ctx.database_url))
    } else {
        "on a throwaway database, nothing is kept; --live books for real".to_string()
    };
    eprintln!("(chatting with {} {database}; type your lines, Ctrl-D to end)", agent.describe());
    let echo = !std::io::stdin().is_terminal();
    let mut conversation = Conversation::default();
    let session = uuid::Uuid::new_v4().simple().to_string();
    let conversation_id = format!("cli-{session}");
    let greeting = ctx.config.voice.greeting.replace("{business}", &ctx.config.business.name);
    Stdout.say(&greeting).await;
    let stdin = std::io::stdin();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| CliError::Failed(e.into()))?;
        let words = line.trim();
        if words.is_empty() {
            continue;
        }
        if echo {
            println!("caller: {words}");
        }
        let cause = format!("chat:{session}:{n}");
        if let Err(e) = agent
            .turn(
                &mut conversation,
                Turn {
                    caller: Some(&caller),
                    words,
                    cause: &cause,
                    conversation: &conversation_id,
                    channel: Channel::Cli,
                    speaker: &Stdout,
                },
            )
            .await
        {
            Stdout.say(&format!("Sorry, I'm having trouble right now ({e}).")).await;
        }
    }
    Ok(())
}

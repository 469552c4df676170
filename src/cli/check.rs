//! `check`: is the config valid and is everything it needs reachable? Prints the table of
//! [`crate::setup`] (the console's set-up page shows the same), with what to do under each
//! problem; exits 1 when a check failed (warnings alone pass). Config errors never get here: they
//! stop [`super::Context::open`] with exit code 2.

use super::{CliError, Context};
use crate::setup::{Setup, Verdict};

/// The checks for this command's context.
pub(crate) fn setup(ctx: &Context) -> Setup {
    Setup::from_env(
        ctx.config_path.display().to_string(),
        ctx.config.clone(),
        ctx.database_url.clone(),
        ctx.store.clone(),
        ctx.calendar.clone(),
    )
}

pub(super) async fn run(ctx: &Context) -> Result<(), CliError> {
    let checks = setup(ctx).run(ctx.booking.now()).await;
    for c in &checks {
        println!("{:<5} {:<9} {}", c.verdict.label(), c.area, c.what);
        if let Some(fix) = &c.fix {
            println!("{:16}→ {fix}", "");
        }
    }
    let failed: Vec<&str> = checks.iter().filter(|c| c.verdict == Verdict::Fail).map(|c| c.area).collect();
    let warned = checks.iter().filter(|c| c.verdict == Verdict::Warn).count();
    if failed.is_empty() {
        let note = if warned > 0 { format!(" ({warned} warnings above)") } else { String::new() };
        println!("\nAll checks passed{note}.");
        Ok(())
    } else {
        Err(CliError::Failed(anyhow::anyhow!("failed checks: {}", failed.join(", "))))
    }
}

//! Texts and emails (`/admin/texts`, owners only): the latest messages we sent with their status
//! (pending, sent, delivered or failed as the carrier reported, blocked by an opt-out) and what
//! they were, the texts customers sent, and the numbers that opted out (and how). Numbers are
//! masked.

use actix_web::{HttpRequest, HttpResponse};

use super::views::{Line, Texts};
use super::{DATABASE_DOWN, nav, owner_signed_in, render_page};
use crate::domain::PhoneNumber;

/// Messages on the page.
const LISTED: i64 = 200;

/// A recipient as the page shows it: a number masked, an email address as it is.
fn masked(recipient: &str) -> String {
    if recipient.starts_with('+') {
        PhoneNumber::from_stored(recipient.to_string()).masked()
    } else {
        recipient.to_string()
    }
}

pub(super) async fn page(req: HttpRequest) -> HttpResponse {
    let (console, auth) = match owner_signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let tz = console.booking.business().timezone;
    let (messages, opted_out, inbound) = match (
        console.store.outbox().recent(LISTED).await,
        console.store.opt_outs().all().await,
        console.store.outbox().inbound(LISTED).await,
    ) {
        (Ok(m), Ok(o), Ok(i)) => (m, o, i),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            tracing::error!(error = %e, "the texts page could not read the store");
            return HttpResponse::ServiceUnavailable().body(DATABASE_DOWN);
        }
    };
    let kind = |cause: &str| {
        if cause.starts_with("reminder:") {
            "reminder".to_string()
        } else if cause.starts_with("reply:") {
            "reply".to_string()
        } else {
            cause.rsplit(':').next().unwrap_or("message").replace('_', " ")
        }
    };
    let view = Texts {
        nav: nav(&console, &auth.principal),
        messages: messages
            .iter()
            .map(|m| Line {
                when: crate::domain::time::human(tz, m.created_at),
                what: format!(
                    "{} to {} · {} · {}: {}",
                    m.channel.as_str(),
                    masked(&m.recipient),
                    m.state(),
                    kind(&m.cause),
                    m.body
                ),
            })
            .collect(),
        inbound: inbound
            .iter()
            .map(|(at, from, body)| Line {
                when: crate::domain::time::human(tz, *at),
                what: format!("from {}: {body}", from.masked()),
            })
            .collect(),
        opted_out: opted_out
            .iter()
            .map(|(phone, source, at)| Line {
                when: crate::domain::time::human(tz, *at),
                what: format!("{} ({source})", phone.masked()),
            })
            .collect(),
    };
    render_page(&console, &auth, view)
}

//! Calls and chats (`/admin/conversations`): the latest first, with when, the caller (masked),
//! how long, and how it went (booked, cancelled, transferred, hung up, answered by the guided
//! dialog); each one's transcript with the receptionist's tool calls said readably. Owners see
//! all; staff see the conversations that booked one of their appointments.

use actix_web::{HttpRequest, HttpResponse, web};

use super::views::{ConversationPage, ConversationRow, Conversations, Said};
use super::{AdminConsole, DATABASE_DOWN, nav, not_found, render_page, signed_in};
use crate::accounts::Principal;
use crate::conversation::{Conversation, Message, describe_tool, result_of};
use crate::domain::Appointment;
use crate::store::{AppointmentFilter, Role, StoredConversation};

/// Conversations on the list page.
const LISTED: i64 = 100;

pub(crate) async fn booked_by(console: &AdminConsole, id: &str) -> Vec<Appointment> {
    let filter = AppointmentFilter { include_cancelled: true, ..Default::default() };
    // Few conversations book anything; the store answers this from its index.
    console.store.appointments().by_conversation(id, &filter).await.unwrap_or_default()
}

/// A conversation's lines for people: who (`caller`, `receptionist`, `tool`) and what, with the
/// receptionist's tool calls said readably.
pub(crate) fn transcript(state: &Conversation) -> Vec<(&'static str, String)> {
    let mut lines = Vec::new();
    for (i, m) in state.history.iter().enumerate() {
        match m {
            Message::User { text } => lines.push(("caller", text.clone())),
            Message::Assistant { text, tool_calls } => {
                if !text.trim().is_empty() {
                    lines.push(("receptionist", text.clone()));
                }
                for call in tool_calls {
                    lines.push(("tool", describe_tool(call, result_of(&state.history[i..], &call.id))));
                }
            }
            Message::Tool { .. } => {}
        }
    }
    lines
}

pub(crate) fn may_see(p: &Principal, booked: &[Appointment]) -> bool {
    p.role == Role::Owner || booked.iter().any(|a| p.staff.as_ref() == Some(&a.staff_id))
}

/// How a conversation went, in a word or two.
pub(crate) fn outcome(c: &StoredConversation, state: &Conversation, booked: &[Appointment]) -> String {
    let mut parts = Vec::new();
    if !booked.is_empty() {
        parts.push(if booked.len() == 1 { "booked".to_string() } else { format!("booked {}", booked.len()) });
    }
    match c.outcome.as_deref() {
        Some("transferred") => parts.push("transferred".into()),
        Some("goodbye") | None if c.channel == crate::domain::Channel::Chat => {}
        Some(cause) => parts.push(format!("hung up ({})", cause.replace('_', " "))),
        None => parts.push("in progress".into()),
    }
    if state.guided.active {
        parts.push("guided dialog".into());
    }
    if parts.is_empty() { "talked".into() } else { parts.join(" · ") }
}

fn row(console: &AdminConsole, c: &StoredConversation, booked: &[Appointment]) -> ConversationRow {
    let tz = console.booking.business().timezone;
    let state: Conversation = serde_json::from_str(&c.state).unwrap_or_default();
    let seconds = (c.updated_at - c.started_at).num_seconds().max(0);
    ConversationRow {
        id: c.id.clone(),
        when: crate::domain::time::human(tz, c.started_at),
        channel: c.channel.as_str(),
        caller: c.caller.as_ref().map_or("(no number given)".into(), |p| p.masked()),
        duration: format!("{}:{:02}", seconds / 60, seconds % 60),
        outcome: outcome(c, &state, booked),
    }
}

pub(super) async fn list(req: HttpRequest) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let all = match console.store.conversations().recent(None, LISTED).await {
        Ok(all) => all,
        Err(e) => {
            tracing::error!(error = %e, "the conversations page could not read the store");
            return HttpResponse::ServiceUnavailable().body(DATABASE_DOWN);
        }
    };
    let mut rows = Vec::new();
    for c in &all {
        let booked = booked_by(&console, &c.id).await;
        if may_see(&auth.principal, &booked) {
            rows.push(row(&console, c, &booked));
        }
    }
    let view = Conversations { nav: nav(&console, &auth.principal), rows };
    render_page(&console, &auth, view)
}

pub(super) async fn page(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Ok(Some(c)) = console.store.conversations().get(&id).await else { return not_found(req).await };
    let booked = booked_by(&console, &c.id).await;
    if !may_see(&auth.principal, &booked) {
        return not_found(req).await;
    }
    let state: Conversation = serde_json::from_str(&c.state).unwrap_or_default();
    let said = transcript(&state).into_iter().map(|(who, text)| Said { who, text }).collect();
    let view = ConversationPage {
        nav: nav(&console, &auth.principal),
        row: row(&console, &c, &booked),
        said,
        appointments: booked
            .iter()
            .map(|a| (a.id.to_string(), crate::domain::time::human(console.booking.business().timezone, a.start)))
            .collect(),
    };
    render_page(&console, &auth, view)
}

//! Try it (`/admin/try`): a chat box that talks to the receptionist — the chat endpoint's service,
//! the same receptionist (LLM or guided dialog) and tools — on a throwaway database, so nothing
//! said here books anything real. Plain forms, no script: the transcript so far travels in the
//! form (it is only the visitor's own words and the receptionist's replies).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::views::Nav;
use super::{csrf_ok, csrf_refused, nav, render_page, signed_in};
use crate::chat::{ChatMessage, ChatRequest, Role};
use crate::conversation::Speaker;

/// Lines kept in one try (then it starts over).
const MAX_LINES: usize = 40;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Line {
    /// `you` or `receptionist`.
    pub who: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "admin/try.html")]
pub(crate) struct TryPage {
    pub nav: Nav,
    pub lines: Vec<Line>,
    /// The lines as JSON, for the next form.
    pub transcript: String,
    pub error: Option<String>,
    pub available: bool,
}

#[derive(Deserialize)]
pub(super) struct TryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    transcript: String,
    #[serde(default)]
    message: String,
}

struct Quiet;

#[async_trait]
impl Speaker for Quiet {
    async fn say(&self, _: &str) {}
}

fn view(nav: Nav, lines: Vec<Line>, error: Option<String>, available: bool) -> TryPage {
    let transcript = serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into());
    TryPage { nav, lines, transcript, error, available }
}

pub(super) async fn page(req: HttpRequest) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let available = console.try_it.is_some();
    render_page(&console, &auth, view(nav(&console, &auth.principal), Vec::new(), None, available))
}

pub(super) async fn say(req: HttpRequest, form: web::Form<TryForm>) -> HttpResponse {
    let (console, auth) = match signed_in(&req).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !csrf_ok(&auth.principal, &form.csrf) {
        return csrf_refused();
    }
    let nav = nav(&console, &auth.principal);
    let Some(chat) = console.try_it.clone() else {
        return render_page(&console, &auth, view(nav, Vec::new(), None, false));
    };
    let mut lines: Vec<Line> = serde_json::from_str(&form.transcript).unwrap_or_default();
    if lines.len() >= MAX_LINES {
        lines.clear();
    }
    let message = form.message.trim();
    if message.is_empty() {
        return render_page(&console, &auth, view(nav, lines, Some("Type something to say.".into()), true));
    }
    lines.push(Line { who: "you".into(), text: message.to_string() });
    let messages = lines
        .iter()
        .map(|l| ChatMessage { role: if l.who == "you" { Role::User } else { Role::Assistant }, text: l.text.clone() })
        .collect();
    // Each signed-in person's tries are their own conversations.
    let request =
        ChatRequest { messages, caller_hint: None, client: format!("console-try:{}", auth.principal.user_id) };
    match chat.answer(&request, &Quiet).await {
        Ok(answer) => {
            lines.push(Line { who: "receptionist".into(), text: answer.reply });
            render_page(&console, &auth, view(nav, lines, None, true))
        }
        Err(e) => {
            lines.pop();
            tracing::warn!(error = %e, "a console try got no answer");
            render_page(&console, &auth, view(nav, lines, Some(format!("No answer: {e}. Try again.")), true))
        }
    }
}

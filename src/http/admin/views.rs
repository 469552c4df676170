//! The console's templates (`templates/admin/`), one struct per page; askama escapes every value.

use askama::Template;

/// The navigation bar of a signed-in page.
pub(crate) struct Nav {
    /// Business name.
    pub business: String,
    /// Who is signed in.
    pub email: String,
    /// Owner or staff, for people.
    pub role: &'static str,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "admin/login.html")]
pub(crate) struct Login<'a> {
    pub business: &'a str,
    /// The sign-in form's CSRF token (also in the `as_login` cookie).
    pub csrf: &'a str,
    pub email: &'a str,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/setup.html")]
pub(crate) struct Setup<'a> {
    pub business: &'a str,
    pub token: &'a str,
    pub email: &'a str,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/expired.html")]
pub(crate) struct Expired<'a> {
    pub business: &'a str,
}

#[derive(Template)]
#[template(path = "admin/not_found.html")]
struct NotFound;

/// One block on a staff member's day: an appointment or free time.
pub(crate) struct Block {
    /// Quarter-hour row it starts at (from the grid's first hour).
    pub row: usize,
    /// Quarter-hours it lasts (at least 1).
    pub rows: usize,
    /// "9:00 AM – 9:30 AM".
    pub time: String,
    /// The appointment's service and customer, or "Free".
    pub title: String,
    /// Masked customer number and how it was booked; empty for free time.
    pub detail: String,
    /// Free time (not an appointment).
    pub free: bool,
    /// The appointment's page; empty for free time.
    pub link: String,
}

/// One staff member's column.
pub(crate) struct Column {
    pub name: String,
    pub blocks: Vec<Block>,
    /// Appointments that day.
    pub booked: usize,
}

#[derive(Template)]
#[template(path = "admin/today.html")]
pub(crate) struct Today {
    pub nav: Nav,
    /// "Monday, December 7, 2026".
    pub day: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub previous: String,
    pub next: String,
    /// Hour labels, one per hour row ("9 AM").
    pub hours: Vec<(usize, String)>,
    pub columns: Vec<Column>,
}

/// A dated line (a message, a history entry).
pub(crate) struct Line {
    pub when: String,
    pub what: String,
}

/// A free time to move to.
pub(crate) struct Choice {
    /// RFC 3339 start.
    pub value: String,
    /// As people read it.
    pub label: String,
}

#[derive(Template)]
#[template(path = "admin/appointment.html")]
pub(crate) struct AppointmentPage {
    pub nav: Nav,
    pub id: String,
    pub service: String,
    pub staff: String,
    pub customer: String,
    pub phone: String,
    pub email: String,
    pub when: String,
    pub status: &'static str,
    /// When the customer confirmed they will come ("" until then).
    pub customer_confirmed: String,
    pub booked_via: &'static str,
    pub conversation: String,
    pub notes: String,
    pub messages: Vec<Line>,
    pub history: Vec<Line>,
    pub choices: Vec<Choice>,
    /// Confirmed and still ahead: it can be cancelled or moved.
    pub upcoming: bool,
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// The page for anything that is not there.
pub(crate) fn not_found() -> String {
    NotFound.render().unwrap_or_else(|_| "Not found".into())
}

/// One conversation in the list.
pub(crate) struct ConversationRow {
    pub id: String,
    pub when: String,
    pub channel: &'static str,
    /// Masked.
    pub caller: String,
    /// m:ss.
    pub duration: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "admin/conversations.html")]
pub(crate) struct Conversations {
    pub nav: Nav,
    pub rows: Vec<ConversationRow>,
}

/// One line of a transcript: who ("caller", "receptionist", "tool") and what.
pub(crate) struct Said {
    pub who: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "admin/conversation.html")]
pub(crate) struct ConversationPage {
    pub nav: Nav,
    pub row: ConversationRow,
    pub said: Vec<Said>,
    /// (id, when) of the appointments it booked.
    pub appointments: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin/texts.html")]
pub(crate) struct Texts {
    pub nav: Nav,
    pub messages: Vec<Line>,
    /// Texts customers sent.
    pub inbound: Vec<Line>,
    pub opted_out: Vec<Line>,
}

#[derive(Template)]
#[template(path = "admin/customers.html")]
pub(crate) struct Customers {
    pub nav: Nav,
    /// (number, name, masked number, appointments).
    pub rows: Vec<(String, String, String, i64)>,
}

#[derive(Template)]
#[template(path = "admin/customer.html")]
pub(crate) struct CustomerPage {
    pub nav: Nav,
    pub name: String,
    pub phone: String,
    pub opted_out: bool,
    /// "said on a reminder call, Mon, Dec 7 …" when they asked for texts instead of calls ("" else).
    pub texts_only: String,
    /// (appointment id, line).
    pub upcoming: Vec<(String, Line)>,
    pub past: Vec<(String, Line)>,
    pub conversations: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/book.html")]
pub(crate) struct BookPage {
    pub nav: Nav,
    /// This form's idempotency key.
    pub key: String,
    /// (id, name).
    pub services: Vec<(String, String)>,
    pub staff: Vec<(String, String)>,
    pub service: String,
    pub member: String,
    pub date: String,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
}

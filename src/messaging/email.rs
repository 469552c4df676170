//! Email through SMTP (`SMTP_URL`, e.g. `smtps://user:pass@mail.example.com` or, for local tests,
//! `smtp://127.0.0.1:2525`), with the appointment's `.ics` invite attached.

use std::time::Duration;

use async_trait::async_trait;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::ics::Method;

/// Why an email was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Try again later (4xx reply, connection trouble).
    #[error("email temporarily failed: {0}")]
    Transient(String),
    /// Will never work (bad address, 5xx reply, bad configuration).
    #[error("email failed: {0}")]
    Permanent(String),
}

/// Sends one email.
#[async_trait]
pub trait EmailSender: Send + Sync {
    /// Sends `body` to `to`, with `ics` attached as an invite when given.
    async fn send(&self, to: &str, subject: &str, body: &str, ics: Option<&str>) -> Result<(), EmailError>;
}

/// The real sender (lettre over SMTP).
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    /// A sender for `url` with envelope and header sender `from`.
    pub fn new(url: &str, from: &str) -> Result<Self, EmailError> {
        let from: Mailbox = from.parse().map_err(|e| EmailError::Permanent(format!("SMTP_FROM {from:?}: {e}")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| EmailError::Permanent(format!("SMTP_URL: {e}")))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        Ok(Self { transport, from })
    }
}

/// Builds the MIME message.
pub fn message(from: &Mailbox, to: &str, subject: &str, body: &str, ics: Option<&str>) -> Result<Message, EmailError> {
    let to: Mailbox = to.parse().map_err(|e| EmailError::Permanent(format!("recipient {to:?}: {e}")))?;
    let builder = Message::builder().from(from.clone()).to(to).subject(subject).message_id(None);
    let built = match ics {
        None => builder.singlepart(SinglePart::plain(body.to_string())),
        Some(ics) => {
            // Gmail and Outlook show an invitation from a `text/calendar; method=…` alternative
            // to the text; the same invite attached as a file serves every other client.
            let kind = format!("text/calendar; method={}; charset=UTF-8", Method::of(ics).as_str());
            let kind = ContentType::parse(&kind).map_err(|e| EmailError::Permanent(e.to_string()))?;
            let alternative = MultiPart::alternative()
                .singlepart(SinglePart::plain(body.to_string()))
                .singlepart(SinglePart::builder().header(kind.clone()).body(ics.to_string()));
            let attachment = Attachment::new("invite.ics".into()).body(ics.to_string(), kind);
            builder.multipart(MultiPart::mixed().multipart(alternative).singlepart(attachment))
        }
    };
    built.map_err(|e| EmailError::Permanent(e.to_string()))
}

#[async_trait]
impl EmailSender for SmtpSender {
    async fn send(&self, to: &str, subject: &str, body: &str, ics: Option<&str>) -> Result<(), EmailError> {
        let email = message(&self.from, to, subject, body, ics)?;
        self.transport.send(email).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() { EmailError::Permanent(e.to_string()) } else { EmailError::Transient(e.to_string()) }
        })
    }
}

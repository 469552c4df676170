//! A person's answer on a reminder call, by key or in words: confirm, cancel (within the policy),
//! talk to someone, reminders by text from now on, or — for anything else — the receptionist.

use super::ReminderCallFlow;
use crate::booking::Tell;
use crate::conversation::{Conversation, Message};
use crate::domain::{Actor, Appointment, Refusal};
use crate::store::{CallStatus, ReminderCall, StoreError};
use crate::telnyx::events::GatherStatus;
use crate::telnyx::{CallAction, CallControlId};
use crate::voice::reminder_words::{self as words, Answer};

/// What the person chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Confirm,
    Cancel,
    Talk,
}

impl ReminderCallFlow {
    /// A person pressed `digits` (or nothing).
    pub(super) async fn key(
        &self,
        call: &CallControlId,
        attempt: &ReminderCall,
        a: &Appointment,
        digits: &str,
        status: GatherStatus,
        cause: &str,
    ) -> Result<(), StoreError> {
        let human = [CallStatus::Human];
        // Only a person still being asked presses keys (a redelivered answer, or a key after
        // an answer in words, finds it answered).
        if attempt.status != CallStatus::Human {
            return Ok(());
        }
        match (status, digits) {
            (GatherStatus::Valid, "1") => self.choose(call, attempt, a, Choice::Confirm, cause).await,
            (GatherStatus::Valid, "2") => self.choose(call, attempt, a, Choice::Cancel, cause).await,
            (GatherStatus::Valid, "3") => self.choose(call, attempt, a, Choice::Talk, cause).await,
            (GatherStatus::Ended, _) => {}
            // No key, or one not offered: once more, then goodbye (each webhook counted once).
            _ => match self.inner.store.reminder_calls().asked(&attempt.id, cause, self.inner.clock.now()).await? {
                // Telnyx has already said `INVALID` after a wrong key.
                Some(2) => {
                    let before = (status == GatherStatus::Timeout).then_some(words::NO_KEY);
                    self.ask(call, a, cause, before).await;
                }
                Some(_) if self.advance(attempt, &human, CallStatus::Handled, Some("no key pressed")).await => {
                    self.say(call, words::NO_ANSWER_GOODBYE.to_string(), cause).await;
                    self.text_instead(attempt).await?;
                }
                _ => {}
            },
        }
        Ok(())
    }

    /// A person answered in words (a final transcription) while being asked.
    pub(super) async fn said(
        &self,
        call: &CallControlId,
        attempt: &ReminderCall,
        a: &Appointment,
        text: &str,
        cause: &str,
    ) -> Result<(), StoreError> {
        if attempt.status != CallStatus::Human {
            return Ok(());
        }
        let answer = words::understand(text);
        if answer == Answer::Unclear {
            return Ok(());
        }
        // The key prompt stops: what comes next is said in answer to the words.
        self.command(call, CallAction::GatherStop, cause, "gather_stop").await;
        match answer {
            Answer::Confirm => self.choose(call, attempt, a, Choice::Confirm, cause).await,
            Answer::Cancel => self.choose(call, attempt, a, Choice::Cancel, cause).await,
            Answer::Talk => self.choose(call, attempt, a, Choice::Talk, cause).await,
            Answer::TextsOnly => {
                let human = [CallStatus::Human];
                if self.advance(attempt, &human, CallStatus::Handled, Some("asked for texts instead of calls")).await {
                    let now = self.inner.clock.now();
                    self.inner.store.preferences().texts_only(&a.customer_phone, "reminder call", now).await?;
                    metrics::counter!("reminder_calls_refused_total").increment(1);
                    self.say(call, words::TEXTS_FROM_NOW_ON.to_string(), cause).await;
                    self.text_instead(attempt).await?;
                }
            }
            Answer::Receptionist => self.hand_over(call, attempt, a, text, cause).await,
            Answer::Unclear => {}
        }
        Ok(())
    }

    /// The receptionist takes the call over with the customer's words (else: as 3).
    async fn hand_over(&self, call: &CallControlId, attempt: &ReminderCall, a: &Appointment, text: &str, cause: &str) {
        let Some(voice) = &self.inner.receptionist else {
            return self.choose(call, attempt, a, Choice::Talk, cause).await;
        };
        if !self.advance(attempt, &[CallStatus::Human], CallStatus::Receptionist, None).await {
            return;
        }
        // What the customer heard, so the receptionist knows what "it" is.
        let biz = &self.inner.business;
        let reminder = words::prompt(biz, a, self.may_cancel(a), biz.transfer_number.is_some());
        let conversation = Conversation {
            history: vec![Message::Assistant { text: reminder, tool_calls: Vec::new() }],
            ..Conversation::default()
        };
        voice.adopt(call, a.customer_phone.clone(), conversation, text, cause).await;
    }

    /// Carries out a choice once (the attempt's status moves from `human` first).
    async fn choose(&self, call: &CallControlId, attempt: &ReminderCall, a: &Appointment, choice: Choice, cause: &str) {
        let human = [CallStatus::Human];
        let biz = &self.inner.business;
        let actor = Actor::Customer { phone: a.customer_phone.clone() };
        match choice {
            Choice::Confirm => {
                if self.advance(attempt, &human, CallStatus::Confirmed, None).await {
                    if let Err(e) = self.inner.booking.confirm_by_customer(a.id, &actor).await {
                        tracing::warn!(error = %e, "could not mark the appointment confirmed by the customer");
                    }
                    self.say(call, words::confirmed(biz, a), cause).await;
                }
            }
            Choice::Cancel => match self.inner.booking.cancel(a.id, &actor, Tell::Confirmation).await {
                Ok(_) => {
                    if self.advance(attempt, &human, CallStatus::Cancelled, None).await {
                        self.say(call, words::cancelled(biz, a), cause).await;
                    }
                }
                Err(e) if e.refusal() == Some(Refusal::TooLateToCancel) => {
                    self.advance(attempt, &human, CallStatus::Handled, Some("too late to cancel")).await;
                    self.say(call, words::too_late(biz), cause).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "a reminder call could not cancel");
                    self.advance(attempt, &human, CallStatus::Handled, Some("cancelling failed")).await;
                    self.say(call, words::call_us(biz), cause).await;
                }
            },
            Choice::Talk => match &biz.transfer_number {
                // No words first: a goodbye's end would hang up the call being put through.
                Some(to) if self.advance(attempt, &human, CallStatus::Transferred, None).await => {
                    self.command(call, CallAction::Transfer { to: to.to_string() }, cause, "transfer").await;
                }
                _ => {
                    if self.advance(attempt, &human, CallStatus::Handled, Some("asked to talk")).await {
                        self.say(call, words::call_us(biz), cause).await;
                    }
                }
            },
        }
    }
}

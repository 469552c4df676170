//! The LLM agent (SPEC §9): one turn streams a completion, speaks each complete sentence as it
//! arrives, assembles tool calls from the stream, runs them inline (with one filler if a tool is
//! slow), appends the results and continues until the model answers in text. Bounded: at most 8
//! tool calls and a deadline per turn. Cancelling the future (barge-in) stops the stream and any
//! further speech.

use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt as _;
use tracing::Instrument as _;

use super::assemble::ToolCallAssembler;
use super::history::{Message, ToolCall};
use super::llm::{Delta, Llm};
use super::prompt::system_prompt;
use super::speech::{SentenceSplitter, speakable};
use super::tools::{self, FailureKind, ToolContext, ToolFailure, ToolOutcome, ToolRequest, wire};
use super::{Conversation, Receptionist, Speaker, Turn, TurnError, TurnOutcome};
use crate::booking::BookingService;

/// What the agent says to fill a slow tool call.
pub(crate) const FILLER: &str = "One moment while I check that.";

/// Turn limits.
#[derive(Debug, Clone, Copy)]
pub struct TurnSettings {
    /// Tool calls per turn, at most.
    pub max_tool_calls: usize,
    /// The whole turn's deadline.
    pub deadline: Duration,
    /// Say the filler when a tool takes longer than this.
    pub filler_after: Duration,
}

impl Default for TurnSettings {
    fn default() -> Self {
        Self { max_tool_calls: 8, deadline: Duration::from_secs(25), filler_after: Duration::from_millis(700) }
    }
}

/// The agent: the model, the tools and the booking service.
#[derive(Clone)]
pub struct Agent {
    llm: std::sync::Arc<dyn Llm>,
    booking: BookingService,
    settings: TurnSettings,
}

impl Agent {
    /// An agent over `llm` booking through `booking`.
    pub fn new(llm: std::sync::Arc<dyn Llm>, booking: BookingService, settings: TurnSettings) -> Self {
        Self { llm, booking, settings }
    }

    async fn run(&self, conversation: &mut Conversation, turn: Turn<'_>) -> Result<TurnOutcome, TurnError> {
        let biz = self.booking.business();
        let system = system_prompt(biz, turn.caller, self.booking.now());
        let specs = wire::specs();
        let speaker = turn.speaker;
        let mut outcome = TurnOutcome::default();
        let mut tool_budget = self.settings.max_tool_calls;
        let mut filler_said = false;
        loop {
            let mut stream = self.llm.stream(&system, &conversation.history, &specs).await?;
            let mut splitter = SentenceSplitter::default();
            let mut text = String::new();
            let mut calls = ToolCallAssembler::default();
            while let Some(delta) = stream.next().await {
                match delta? {
                    Delta::Text(t) => {
                        text.push_str(&t);
                        for sentence in splitter.push(&t) {
                            outcome.sentences += say(speaker, &sentence, biz.timezone).await;
                        }
                    }
                    Delta::ToolCall { index, id, name, arguments } => calls.push(index, id, name, arguments),
                }
            }
            if let Some(rest) = splitter.finish() {
                outcome.sentences += say(speaker, &rest, biz.timezone).await;
            }
            let calls = calls.finish();
            conversation.history.push(Message::Assistant { text: text.trim().to_string(), tool_calls: calls.clone() });
            if calls.is_empty() {
                return Ok(outcome);
            }
            for call in calls {
                let result = if tool_budget == 0 {
                    ToolOutcome::Failed(ToolFailure::new(FailureKind::TooManyToolCalls, "answer the caller now"))
                } else {
                    tool_budget -= 1;
                    match wire::parse(&call, biz) {
                        Err(failure) => ToolOutcome::Failed(failure),
                        Ok(request) => {
                            self.run_tool(request, &call, conversation, turn, &mut outcome, &mut filler_said).await
                        }
                    }
                };
                let content = wire::to_json(&result).to_string();
                conversation.history.push(Message::Tool { call_id: call.id.clone(), content });
            }
        }
    }
}

impl Agent {
    /// Runs one tool call, saying the filler once per turn if it is still running after
    /// `filler_after`; a call action it asks for goes into `outcome`.
    async fn run_tool(
        &self,
        request: ToolRequest,
        call: &ToolCall,
        conversation: &mut Conversation,
        turn: Turn<'_>,
        outcome: &mut TurnOutcome,
        filler_said: &mut bool,
    ) -> ToolOutcome {
        let tz = self.booking.business().timezone;
        let mut action = None;
        let result = {
            let mut cx = ToolContext::for_turn(&self.booking, &turn, &mut conversation.slots, &mut action);
            let running = tools::run(request, &mut cx).instrument(tracing::info_span!("tool", name = %call.name));
            tokio::pin!(running);
            // The timer is checked first, so a tool still running at the limit always gets the
            // filler (at most once per turn).
            tokio::select! {
                biased;
                _ = tokio::time::sleep(self.settings.filler_after), if !*filler_said => {
                    *filler_said = true;
                    outcome.sentences += say(turn.speaker, FILLER, tz).await;
                    running.await
                }
                r = &mut running => r,
            }
        };
        if action.is_some() {
            outcome.action = action;
        }
        result
    }
}

#[async_trait]
impl Receptionist for Agent {
    /// Runs one turn; `turn.cause` (the triggering event id) makes bookings idempotent. On error the
    /// history keeps what happened so far.
    async fn turn(&self, conversation: &mut Conversation, turn: Turn<'_>) -> Result<TurnOutcome, TurnError> {
        conversation.history.push(Message::User { text: turn.words.to_string() });
        tokio::time::timeout(self.settings.deadline, self.run(conversation, turn))
            .await
            .map_err(|_| TurnError::Deadline)?
    }

    fn describe(&self) -> &'static str {
        "the LLM agent"
    }
}

async fn say(speaker: &dyn Speaker, sentence: &str, tz: chrono_tz::Tz) -> usize {
    let clean = speakable(sentence, tz);
    if clean.is_empty() {
        return 0;
    }
    speaker.say(&clean).await;
    1
}

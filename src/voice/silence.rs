//! Ending a call well: the goodbye that hangs up once spoken, and the silence timer (10 s after we
//! stop speaking → "Are you still there?", another 10 s → goodbye).

use std::sync::Arc;

use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use super::session::Call;
use super::{SILENT_GOODBYE, STILL_THERE, VoiceHandler};
use crate::conversation::Speaker as _;
use crate::telnyx::CallControlId;

impl VoiceHandler {
    /// Says `text` and hangs up once it has been spoken.
    pub(super) async fn goodbye(&self, id: &CallControlId, session: &Arc<Mutex<Call>>, text: &str, cause: &str) {
        let pending = {
            let mut s = session.lock().await;
            if s.ended {
                return;
            }
            s.hangup_after_speech = true;
            if let Some((token, _)) = s.turn.take() {
                token.cancel();
            }
            s.pending_speech.clone()
        };
        self.speaker(id, cause, pending).say(text).await;
    }

    /// Starts the silence timer (after we finished speaking).
    pub(super) fn arm_silence(&self, id: &CallControlId, session: &Arc<Mutex<Call>>, call: &mut Call) {
        if let Some(old) = call.silence.take() {
            old.cancel();
        }
        let token = CancellationToken::new();
        call.silence = Some(token.clone());
        let (this, id, session, wait) = (self.clone(), id.clone(), session.clone(), self.inner.timeouts.silence);
        tokio::spawn(async move {
            tokio::select! {
                _ = token.cancelled() => {}
                _ = tokio::time::sleep(wait) => {
                    let prompted = {
                        let mut s = session.lock().await;
                        if s.ended || s.turn.is_some() || token.is_cancelled() {
                            return;
                        }
                        std::mem::replace(&mut s.prompted, true)
                    };
                    let cause = format!("{id}:silence:{}", prompted as u8);
                    if prompted {
                        this.goodbye(&id, &session, SILENT_GOODBYE, &cause).await;
                    } else {
                        let pending = session.lock().await.pending_speech.clone();
                        this.speaker(&id, &cause, pending).say(STILL_THERE).await;
                    }
                }
            }
        });
    }
}

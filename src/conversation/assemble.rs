//! Tool calls put together from a streamed completion. OpenAI-compatible servers stream them in
//! several dialects, and the agent must understand all of them:
//!
//! - OpenAI: the id and name in the first delta of a call, the arguments split over many deltas.
//! - Ollama: each call whole in one chunk, and parallel calls all at `index: 0`.
//! - vLLM, DashScope: `id: ""` or `arguments: null` on the deltas after the first.
//! - LM Studio: later deltas with an empty function name.
//! - Groq: `tool_calls: []` on every content delta, a last chunk with no `choices`.
//! - Some servers start at `index: 1`, or end a tool turn with `finish_reason: "stop"`.
//!
//! So calls are keyed by index, a different non-empty id at an occupied index starts a new call,
//! empty ids and names are ignored, the first id a call gets is kept (some chat templates check
//! it when it is sent back), and whether the model asked for tools is decided by the calls
//! received, never by `finish_reason`.

use std::collections::HashMap;

use super::history::ToolCall;

/// Tool calls assembled from deltas, in the order they started.
#[derive(Debug, Default)]
pub(crate) struct ToolCallAssembler {
    calls: Vec<ToolCall>,
    /// The call each index is currently filling, by position in `calls`.
    open: HashMap<u32, usize>,
}

impl ToolCallAssembler {
    /// Adds one delta of the call at `index`.
    pub(crate) fn push(&mut self, index: u32, id: Option<String>, name: Option<String>, arguments: Option<String>) {
        let id = id.filter(|i| !i.is_empty());
        let name = name.filter(|n| !n.is_empty());
        let same_call = |call: &ToolCall| id.as_ref().is_none_or(|id| call.id.is_empty() || call.id == *id);
        let position = match self.open.get(&index) {
            Some(&p) if same_call(&self.calls[p]) => p,
            _ => {
                self.calls.push(ToolCall { id: String::new(), name: String::new(), arguments: String::new() });
                self.open.insert(index, self.calls.len() - 1);
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[position];
        if let Some(id) = id
            && call.id.is_empty()
        {
            call.id = id;
        }
        // A name comes once, or in pieces; a server that repeats it whole does not double it.
        if let Some(name) = name
            && call.name != name
        {
            call.name.push_str(&name);
        }
        if let Some(arguments) = arguments {
            call.arguments.push_str(&arguments);
        }
    }

    /// The calls, each with an id (`call_N` where the server gave none).
    pub(crate) fn finish(self) -> Vec<ToolCall> {
        self.calls
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                if c.id.is_empty() {
                    c.id = format!("call_{i}");
                }
                c
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One delta: index, id, name, arguments.
    type Piece<'a> = (u32, Option<&'a str>, Option<&'a str>, Option<&'a str>);

    fn calls(deltas: &[Piece<'_>]) -> Vec<(String, String, String)> {
        let mut a = ToolCallAssembler::default();
        for (index, id, name, args) in deltas {
            a.push(*index, id.map(String::from), name.map(String::from), args.map(String::from));
        }
        a.finish().into_iter().map(|c| (c.id, c.name, c.arguments)).collect()
    }

    fn call(id: &str, name: &str, args: &str) -> (String, String, String) {
        (id.into(), name.into(), args.into())
    }

    #[test]
    fn openai_ids_and_names_come_first_and_arguments_in_pieces() {
        let got = calls(&[
            (0, Some("call_a"), Some("find_available_slots"), Some("")),
            (0, None, None, Some(r#"{"service":"#)),
            (0, None, None, Some(r#""x"}"#)),
            (1, Some("call_b"), Some("end_call"), Some("{}")),
        ]);
        assert_eq!(
            got,
            [call("call_a", "find_available_slots", r#"{"service":"x"}"#), call("call_b", "end_call", "{}")]
        );
    }

    #[test]
    fn ollama_parallel_calls_all_at_index_zero_stay_apart() {
        let got = calls(&[
            (0, Some("call_1"), Some("find_my_appointments"), Some("{}")),
            (0, Some("call_2"), Some("end_call"), Some(r#"{"reason":"done"}"#)),
        ]);
        assert_eq!(
            got,
            [call("call_1", "find_my_appointments", "{}"), call("call_2", "end_call", r#"{"reason":"done"}"#)]
        );
    }

    #[test]
    fn vllm_empty_ids_and_null_arguments_keep_the_first_id() {
        let got = calls(&[
            (0, Some("chatcmpl-tool-9f"), Some("cancel_appointment"), None),
            (0, Some(""), None, Some(r#"{"appointment_id":"#)),
            (0, Some(""), None, None),
            (0, Some(""), None, Some(r#""a1"}"#)),
        ]);
        assert_eq!(got, [call("chatcmpl-tool-9f", "cancel_appointment", r#"{"appointment_id":"a1"}"#)]);
    }

    #[test]
    fn lm_studio_empty_names_later_and_repeated_names_do_not_change_the_name() {
        let got = calls(&[
            (0, Some("1"), Some("end_call"), Some("{")),
            (0, None, Some(""), Some("}")),
            (0, Some("1"), Some("end_call"), None),
        ]);
        assert_eq!(got, [call("1", "end_call", "{}")]);
    }

    #[test]
    fn a_first_call_at_index_one_and_calls_without_ids_are_numbered() {
        let got = calls(&[(1, None, Some("find_my_appointments"), Some("{}"))]);
        assert_eq!(got, [call("call_0", "find_my_appointments", "{}")]);
        assert!(calls(&[]).is_empty(), "no deltas, no tool turn");
    }
}

//! An engine event in wire form, serialized once: the JSON text is written in one pass and the
//! few fields the pump routes and observes by are read back from it by borrowing, without
//! building a `serde_json::Value` tree for every event (most are text deltas).

use std::borrow::Cow;

use codex_vendor::codex_app_server_protocol::ServerNotification;
use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde_json::value::RawValue;

/// One event as the pump hands it on.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WireEvent {
    pub(crate) method: String,
    /// The JSON-RPC id (JSON text) of a server request.
    pub(crate) id: Option<String>,
    /// The params as JSON text (`null` when absent).
    pub(crate) params: String,
    /// The first of `threadId`, `thread.id`, `conversationId` present in the params, if a string.
    pub(crate) thread_id: Option<String>,
    /// `turn.id` of the params (what `turn/started` carries).
    pub(crate) turn_id: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
}

/// The params' fields routing reads; everything else is skipped unparsed.
/// A member that is present counts, even when it is `null` (which then routes nowhere rather
/// than letting the next candidate decide, as a lookup in a `Value` tree did).
#[derive(Deserialize, Default)]
struct Routing<'a> {
    #[serde(rename = "threadId", borrow, default, deserialize_with = "present")]
    thread_id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    thread: Option<&'a RawValue>,
    #[serde(
        rename = "conversationId",
        borrow,
        default,
        deserialize_with = "present"
    )]
    conversation_id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    turn: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WithId<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// The `id` member of an object (absent, or not an object: none).
fn member_id(object: &RawValue) -> Option<&RawValue> {
    serde_json::from_str::<WithId<'_>>(object.get())
        .ok()
        .and_then(|with| with.id)
}

fn as_string(raw: Option<&RawValue>) -> Option<String> {
    raw.and_then(|raw| serde_json::from_str::<Cow<'_, str>>(raw.get()).ok())
        .map(Cow::into_owned)
}

/// Serializes `event` (an app-server notification or request) and reads its routing fields.
pub(crate) fn to_wire(event: &impl Serialize) -> Result<WireEvent, String> {
    let text = serde_json::to_string(event).map_err(|err| err.to_string())?;
    let envelope: Envelope<'_> =
        serde_json::from_str(&text).map_err(|err| format!("unexpected shape: {err}"))?;
    let routing: Routing<'_> = envelope
        .params
        .and_then(|params| serde_json::from_str(params.get()).ok())
        .unwrap_or_default();
    let thread_id = routing
        .thread_id
        .or_else(|| routing.thread.and_then(member_id))
        .or(routing.conversation_id);
    Ok(WireEvent {
        method: envelope.method.into_owned(),
        id: envelope.id.map(|id| id.get().to_owned()),
        params: envelope
            .params
            .map_or_else(|| "null".to_owned(), |params| params.get().to_owned()),
        thread_id: as_string(thread_id),
        turn_id: as_string(routing.turn.and_then(member_id)),
    })
}

/// [`to_wire`] for a notification. The streamed deltas (nearly every event of a turn) are
/// written straight from their fields, with nothing to read back: their routing fields are
/// known (`threadId`; no `turn` object), and their params are what the tagged enum writes.
pub(crate) fn notification_to_wire(notification: &ServerNotification) -> Result<WireEvent, String> {
    macro_rules! delta {
        ($delta:expr) => {
            Ok(WireEvent {
                method: notification.to_string(),
                id: None,
                params: serde_json::to_string($delta).map_err(|err| err.to_string())?,
                thread_id: Some($delta.thread_id.clone()),
                turn_id: None,
            })
        };
    }
    match notification {
        ServerNotification::AgentMessageDelta(delta) => delta!(delta),
        ServerNotification::PlanDelta(delta) => delta!(delta),
        ServerNotification::ReasoningSummaryTextDelta(delta) => delta!(delta),
        ServerNotification::ReasoningTextDelta(delta) => delta!(delta),
        ServerNotification::CommandExecutionOutputDelta(delta) => delta!(delta),
        other => to_wire(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use serde_json::json;

    use super::*;

    /// What the pump computed before, through a `Value` tree.
    fn through_value(event: &Value) -> WireEvent {
        let mut wire = event.as_object().expect("object").clone();
        let method = match wire.remove("method") {
            Some(Value::String(method)) => method,
            _ => String::new(),
        };
        let id = wire.remove("id").map(|id| id.to_string());
        let params = wire.remove("params").unwrap_or(Value::Null);
        let thread_id = params
            .get("threadId")
            .or_else(|| params.get("thread").and_then(|thread| thread.get("id")))
            .or_else(|| params.get("conversationId"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        let turn_id = params
            .get("turn")
            .and_then(|turn| turn.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        WireEvent {
            method,
            id,
            params: params.to_string(),
            thread_id,
            turn_id,
        }
    }

    #[test]
    fn reads_what_the_value_tree_read() {
        let events = [
            json!({"method": "item/agentMessage/delta", "params": {"threadId": "t1", "turnId": "u", "itemId": "i", "delta": "h\"i\\n\u{e9}"}}),
            json!({"method": "turn/started", "params": {"threadId": "t2", "turn": {"id": "turn-9", "items": [], "status": "inProgress"}}}),
            json!({"method": "thread/started", "params": {"thread": {"preview": "x", "id": "t3", "turns": [{"id": "nested"}]}}}),
            json!({"method": "legacy", "params": {"conversationId": "c4", "n": 1.5e300}}),
            json!({"method": "item/tool/call", "id": 17, "params": {"threadId": "t5", "arguments": {"threadId": "inner"}}}),
            json!({"method": "execCommandApproval", "id": "req-1", "params": {"conversationId": "c6"}}),
            json!({"method": "account/login/completed", "params": {"loginId": null, "success": true}}),
            json!({"method": "odd", "params": {"threadId": null, "thread": {"id": "ignored"}}}),
            json!({"method": "odd2", "params": {"thread": "not an object", "conversationId": "c7"}}),
            json!({"method": "odd3", "params": {"turn": {"id": 5}, "threadId": 3}}),
            json!({"method": "odd4", "params": {"thread": {"id": null}, "conversationId": "c8"}}),
            json!({"method": "no/params"}),
            json!({"method": "list/params", "params": [1, 2]}),
        ];
        for event in events {
            assert_eq!(
                to_wire(&event).expect("wire"),
                through_value(&event),
                "{event}"
            );
        }
    }

    #[test]
    fn deltas_written_from_their_fields_match_the_generic_path() {
        let fields =
            json!({"threadId": "t1", "turnId": "u", "itemId": "i", "delta": "h\"i\\n\u{e9}\u{1}"});
        let mut indexed = fields.clone();
        indexed["summaryIndex"] = json!(2);
        indexed["contentIndex"] = json!(3);
        let notifications = [
            ("item/agentMessage/delta", &fields),
            ("item/plan/delta", &fields),
            ("item/reasoning/summaryTextDelta", &indexed),
            ("item/reasoning/textDelta", &indexed),
            ("item/commandExecution/outputDelta", &fields),
            // Not a delta: the generic path.
            ("thread/closed", &json!({"threadId": "t2"})),
        ];
        for (method, params) in notifications {
            let notification: ServerNotification =
                serde_json::from_value(json!({"method": method, "params": params})).expect(method);
            let fast = notification_to_wire(&notification).expect("wire");
            assert_eq!(fast, to_wire(&notification).expect("wire"), "{method}");
            assert_eq!(fast.method, method);
        }
    }

    #[test]
    fn an_event_without_a_method_is_refused() {
        assert!(to_wire(&json!({"params": {}})).is_err());
        assert!(to_wire(&json!([1])).is_err());
    }
}

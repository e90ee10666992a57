//! The codex-core patch skips rollout persistence for streamed deltas (`is_streamed_delta` in
//! `patches/engine-version/typeduck-codex-execpolicy-0.6.0.patch`) because the rollout
//! policy never keeps them. Should an engine update start keeping one of them, this fails
//! before a thread's history silently loses it.

use codex_vendor::codex_protocol::protocol::AgentMessageContentDeltaEvent;
use codex_vendor::codex_protocol::protocol::EventMsg;
use codex_vendor::codex_protocol::protocol::ExecCommandOutputDeltaEvent;
use codex_vendor::codex_protocol::protocol::ExecOutputStream;
use codex_vendor::codex_protocol::protocol::PlanDeltaEvent;
use codex_vendor::codex_protocol::protocol::ReasoningContentDeltaEvent;
use codex_vendor::codex_protocol::protocol::ReasoningRawContentDeltaEvent;
use codex_vendor::codex_protocol::protocol::RolloutItem;
use codex_vendor::codex_protocol::protocol::ThreadHistoryMode;
use codex_vendor::codex_rollout::is_persisted_rollout_item;

fn streamed_deltas() -> Vec<EventMsg> {
    let (thread_id, turn_id, item_id, delta) = (
        "t".to_string(),
        "u".to_string(),
        "i".to_string(),
        "d".to_string(),
    );
    vec![
        EventMsg::AgentMessageContentDelta(AgentMessageContentDeltaEvent {
            thread_id: thread_id.clone(),
            turn_id: turn_id.clone(),
            item_id: item_id.clone(),
            delta: delta.clone(),
        }),
        EventMsg::PlanDelta(PlanDeltaEvent {
            thread_id: thread_id.clone(),
            turn_id: turn_id.clone(),
            item_id: item_id.clone(),
            delta: delta.clone(),
        }),
        EventMsg::ReasoningContentDelta(ReasoningContentDeltaEvent {
            thread_id: thread_id.clone(),
            turn_id: turn_id.clone(),
            item_id: item_id.clone(),
            delta: delta.clone(),
            summary_index: 0,
        }),
        EventMsg::ReasoningRawContentDelta(ReasoningRawContentDeltaEvent {
            thread_id,
            turn_id,
            item_id,
            delta,
            content_index: 0,
        }),
        EventMsg::ExecCommandOutputDelta(ExecCommandOutputDeltaEvent {
            call_id: "c".to_string(),
            stream: ExecOutputStream::Stdout,
            chunk: b"out".to_vec(),
        }),
    ]
}

#[test]
fn no_history_mode_keeps_a_streamed_delta() {
    for mode in [ThreadHistoryMode::Legacy, ThreadHistoryMode::Paginated] {
        for delta in streamed_deltas() {
            let item = RolloutItem::EventMsg(delta);
            assert!(
                !is_persisted_rollout_item(&item, mode),
                "the rollout policy now keeps {item:?} in {mode:?} history: drop it from is_streamed_delta"
            );
        }
    }
}

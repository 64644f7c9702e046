#include "server/core/moderation_sink.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "common/log.hpp"
#include "server/core/server_context.hpp"
#include "server/room/host_action_names.hpp"

namespace vc::core {

room::ModerationState to_room_state(const store::MeetingModeration& stored) {
  room::ModerationState state;
  state.settings.set_waiting_room(stored.waiting_room);
  state.settings.set_locked(stored.locked);
  state.settings.set_e2ee_required(stored.e2ee_required);
  state.settings.set_max_participants(stored.max_participants);
  state.host_subject = stored.host_subject;
  state.co_host_subjects = stored.co_host_subjects;
  state.ended = stored.ended;
  return state;
}

store::MeetingModeration to_store_state(const room::ModerationState& state) {
  store::MeetingModeration stored;
  stored.waiting_room = state.settings.waiting_room();
  stored.locked = state.settings.locked();
  stored.e2ee_required = state.settings.e2ee_required();
  stored.max_participants = state.settings.max_participants();
  stored.host_subject = state.host_subject;
  stored.co_host_subjects = state.co_host_subjects;
  stored.ended = state.ended;
  return stored;
}

std::string settings_audit_detail(const v1::MeetingSettings& s) {
  return "waiting_room=" + std::to_string(s.waiting_room()) +
         " locked=" + std::to_string(s.locked()) +
         " e2ee_required=" + std::to_string(s.e2ee_required()) +
         " max_participants=" + std::to_string(s.max_participants());
}

v1::ParticipantRole join_role(const store::JoinOutcome& outcome) {
  if (outcome.is_host) return v1::PARTICIPANT_ROLE_HOST;
  if (outcome.is_co_host) return v1::PARTICIPANT_ROLE_CO_HOST;
  if (outcome.moderation.waiting_room || outcome.moderation.locked) {
    return v1::PARTICIPANT_ROLE_WAITING;
  }
  return v1::PARTICIPANT_ROLE_PARTICIPANT;
}

namespace {

class StoreModerationSink final : public room::ModerationObserver {
 public:
  explicit StoreModerationSink(ServerContext& ctx)
      : ctx_(ctx), writes_(boost::asio::make_strand(ctx.store_pool)) {}

  void on_host_action(const room::Room& room, const room::HostActionRecord& record) override {
    const std::string& meeting_id = room.meeting_id();
    ctx_.rooms.remember_moderation(meeting_id, record.state);
    const v1::HostActionEvent& event = record.event;
    store::AuditEntry entry;
    entry.meeting_id = meeting_id;
    entry.at_ms = static_cast<int64_t>(event.at_ms());
    entry.actor_participant_id = event.actor_participant_id();
    entry.actor_subject = record.actor_subject;
    entry.actor_name = event.actor_display_name();
    entry.action = std::string(room::host_action_name(event.action()));
    entry.target_participant_id = event.target_participant_id();
    entry.target_subject = record.target_subject;
    entry.target_name = event.target_display_name();
    if (event.bar()) entry.detail = "barred";
    if (event.action() == v1::HOST_ACTION_UPDATE_SETTINGS) {
      entry.detail = settings_audit_detail(record.state.settings);
    }
    const bool bar = event.bar() && !record.target_subject.empty();
    // One at a time, in the order of the actions: a later state must never be overwritten by an
    // earlier one, and the audit trail keeps the actions' order.
    boost::asio::post(writes_, [&store = ctx_.store, meeting_id, entry = std::move(entry),
                                state = to_store_state(record.state), bar]() {
      try {
        store.save_moderation(meeting_id, state);
        if (bar)
          store.bar(meeting_id, entry.target_subject, entry.actor_subject, entry.at_ms / 1000);
        store.record_audit(entry);
      } catch (const std::exception& error) {
        // The room already enforces the action; only its persistence failed.
        VC_LOG_ERROR("event=moderation_store_failed meeting=\"{}\" action={} error=\"{}\"",
                     log::escaped(meeting_id), entry.action, log::escaped(error.what()));
      }
    });
  }

 private:
  ServerContext& ctx_;
  boost::asio::strand<boost::asio::thread_pool::executor_type> writes_;
};

}  // namespace

std::unique_ptr<room::ModerationObserver> make_store_moderation_sink(ServerContext& ctx) {
  return std::make_unique<StoreModerationSink>(ctx);
}

}  // namespace vc::core

#include "server/room/moderation_cluster_event.hpp"

namespace vc::room {

v1::HostClusterEvent to_cluster_event(const ModerationState& state,
                                      const v1::HostActionEvent& event) {
  v1::HostClusterEvent cluster_event;
  *cluster_event.mutable_event() = event;
  *cluster_event.mutable_settings() = state.settings;
  cluster_event.set_host_subject(state.host_subject);
  for (const std::string& subject : state.co_host_subjects) {
    cluster_event.add_co_host_subjects(subject);
  }
  cluster_event.set_ended(state.ended);
  return cluster_event;
}

ModerationState moderation_state_of(const v1::HostClusterEvent& event) {
  ModerationState state;
  state.settings = event.settings();
  state.host_subject = event.host_subject();
  state.co_host_subjects.assign(event.co_host_subjects().begin(), event.co_host_subjects().end());
  state.ended = event.ended();
  return state;
}

}  // namespace vc::room

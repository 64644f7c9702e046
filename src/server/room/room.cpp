#include "server/room/room.hpp"

#include <algorithm>

#include "common/limits.hpp"
#include "protocol/close_codes.hpp"
#include "server/room/permissions.hpp"

namespace vc::room {

namespace {

v1::Control participant_left(uint64_t participant_id, v1::LeaveReason reason) {
  v1::Control control;
  auto* left = control.mutable_participant_left();
  left->set_participant_id(participant_id);
  left->set_reason(reason);
  return control;
}

v1::Control participant_updated(const v1::Participant& participant) {
  v1::Control control;
  *control.mutable_participant_updated()->mutable_participant() = participant;
  return control;
}

uint64_t wall_clock_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Room::Room(std::string meeting_id, NowFn now, RoomObserver* observer)
    : meeting_id_(std::move(meeting_id)), now_(std::move(now)), observer_(observer) {}

Room::Member* Room::find(uint64_t participant_id) {
  for (auto& member : members_) {
    if (member->info.participant_id() == participant_id) return member.get();
  }
  return nullptr;
}

bool Room::receives_media(const Member& member) const {
  // Waiting-room participants and those not granted subscribe never receive media bytes.
  return member.endpoint != nullptr && may_subscribe(member.info);
}

std::vector<v1::Participant> Room::roster() const {
  std::vector<v1::Participant> result;
  result.reserve(members_.size());
  for (const auto& member : members_) {
    if (!is_waiting(member->info)) result.push_back(member->info);
  }
  return result;
}

void Room::remember_flood_close(uint64_t participant_id, TimePoint now) {
  const TimePoint until = now + limits::kControlFloodWindow;
  if (flood_closed_.size() >= limits::kMaxParticipantsPerRoom) {
    std::erase_if(flood_closed_, [&](const auto& entry) { return entry.second <= now; });
  }
  if (flood_closed_.size() >= limits::kMaxParticipantsPerRoom)
    flood_closed_.erase(flood_closed_.begin());
  flood_closed_[participant_id] = until;
}

bool Room::in_flood_cooldown(uint64_t participant_id, TimePoint now) {
  const auto it = flood_closed_.find(participant_id);
  if (it == flood_closed_.end()) return false;
  if (it->second > now) return true;
  flood_closed_.erase(it);
  return false;
}

JoinResult Room::join(Endpoint& endpoint, const JoinRequest& request) {
  const uint64_t id = request.identity.participant_id;
  // Closed for a control flood: reconnecting must not hand it a full control budget at once.
  if (in_flood_cooldown(id, now_())) return JoinResult::kFloodCooldown;
  if (moderation_state_.ended) return JoinResult::kMeetingEnded;
  const std::string& subject = request.identity.subject;
  if (!subject.empty() && std::find(barred_subjects_.begin(), barred_subjects_.end(), subject) !=
                              barred_subjects_.end()) {
    return JoinResult::kBarred;
  }
  // Required by the operator (--e2ee-required-meeting) or by the meeting's settings (§14.1, §15.6).
  if ((request.e2ee_required || moderation_state_.settings.e2ee_required()) &&
      !request.e2ee_capable) {
    return JoinResult::kE2eeRequired;
  }
  e2ee_required_ = request.e2ee_required;
  if (Member* existing = find(id)) {
    // Resume: a reconnect within grace, or a new connection replacing a live one.
    if (existing->endpoint != nullptr && existing->endpoint != &endpoint) {
      existing->endpoint->close_with_error(close_code::kReplaced, "replaced by a newer connection");
    }
    claim_locally(*existing);
    existing->endpoint = &endpoint;
    existing->session_id = request.session_id;
    existing->grace_deadline.reset();
    // The new connection's token may carry other grants (a backend re-minted it).
    *existing->info.mutable_grants() = request.identity.grants;
    existing->refused_sources = 0;
    existing->info.set_connection_state(v1::CONNECTION_STATE_CONNECTED);
    existing->info.set_e2ee_capable(request.e2ee_capable);
    existing->info.set_e2ee_public_key(request.e2ee_public_key);
    existing->forget_keyframe_coalescing();
    // The new connection starts every video track afresh, as its new decoders need.
    existing->forwarders.clear();
    existing->bandwidth = BandwidthEstimator{};
    existing->subscriptions = request.subscriptions && request.identity.grants.subscribe()
                                  ? Subscriptions(*request.subscriptions)
                                  : Subscriptions{};
    existing->allocation_dirty = true;
    send_join_accepted(*existing, true);
    announce_member(*existing, participant_updated(existing->info), id);
    local_member_changed(*existing);
    roster_changed();
    close_pending_slow_receivers();
    return JoinResult::kResumed;
  }

  if (participant_count() >= limits::kMaxParticipantsPerRoom) return JoinResult::kRoomFull;
  const v1::ParticipantRole standing = standing_role(request.identity);
  const bool waits = must_wait(request.identity, standing);
  const uint32_t max = moderation_state_.settings.max_participants();
  if (!waits && max != 0 && !is_host_or_co_host(standing) && admitted_count() >= max) {
    return JoinResult::kRoomFull;
  }

  auto member = std::make_unique<Member>();
  member->endpoint = &endpoint;
  member->session_id = request.session_id;
  member->claim_us = wall_clock_us();
  member->control_budget = TokenBucket(control_rate_.burst, control_rate_.per_second);
  v1::Participant& info = member->info;
  info.set_participant_id(id);
  info.set_display_name(request.identity.display_name);
  info.set_role(waits ? v1::PARTICIPANT_ROLE_WAITING : standing);
  member->subject = subject;
  member->admitted_role = standing;
  info.set_mic_on(request.media_state.mic_on());
  info.set_camera_on(request.media_state.camera_on());
  info.set_screen_on(request.media_state.screen_on());
  apply_grants(*member, request.identity.grants, request.receive_only);
  info.set_connection_state(v1::CONNECTION_STATE_CONNECTED);
  info.set_e2ee_capable(request.e2ee_capable);
  info.set_e2ee_public_key(request.e2ee_public_key);
  if (request.subscriptions && request.identity.grants.subscribe()) {
    v1::UpdateSubscriptions defaults;
    *defaults.mutable_defaults() = *request.subscriptions;
    member->subscriptions.apply(defaults);
  }
  members_.push_back(std::move(member));
  Member& joined = *members_.back();

  send_join_accepted(joined, false);
  v1::Control joined_control;
  *joined_control.mutable_participant_joined()->mutable_participant() = joined.info;
  announce_member(joined, joined_control, id);
  if (sees_waiting_list(joined.info) && !waiting_list().empty()) send_waiting_list();
  local_member_changed(joined);
  roster_changed();
  close_pending_slow_receivers();
  return JoinResult::kJoined;
}

void Room::send_join_accepted(Member& member, bool resumed) {
  v1::Control control;
  auto* accepted = control.mutable_join_accepted();
  accepted->set_protocol_version(v1::PROTOCOL_VERSION_1);
  accepted->set_participant_id(member.info.participant_id());
  accepted->set_session_id(member.session_id);
  accepted->set_meeting_id(meeting_id_);
  accepted->set_max_envelope_bytes(static_cast<uint32_t>(limits::kMaxEnvelopeBytes));
  accepted->set_resumed(resumed);
  accepted->set_e2ee_required(e2ee_required_ || moderation_state_.settings.e2ee_required());
  *accepted->mutable_self() = member.info;
  *accepted->mutable_settings() = moderation_state_.settings;
  // A waiting participant learns nothing about who is in the meeting.
  for (const auto& other : members_) {
    if (is_waiting(member.info)) break;
    if (other.get() != &member && !is_waiting(other->info)) *accepted->add_roster() = other->info;
  }
  send(member, encode_control(control));
  send_chat_history(member);
}

void Room::disconnect(uint64_t participant_id, const Endpoint& endpoint) {
  Member* member = find(participant_id);
  if (member == nullptr || member->endpoint != &endpoint) return;
  member->endpoint = nullptr;
  member->grace_deadline = now_() + limits::kReconnectGrace;
  member->info.set_connection_state(v1::CONNECTION_STATE_RECONNECTING);
  announce_member(*member, participant_updated(member->info), participant_id);
  local_member_changed(*member);
  roster_changed();
  close_pending_slow_receivers();
}

void Room::leave(uint64_t participant_id, v1::LeaveReason reason) {
  if (find(participant_id) == nullptr) return;
  remove(participant_id, reason);
  close_pending_slow_receivers();
}

void Room::remove(uint64_t participant_id, v1::LeaveReason reason) {
  auto it = std::find_if(members_.begin(), members_.end(),
                         [&](const auto& m) { return m->info.participant_id() == participant_id; });
  if (it == members_.end()) return;
  const bool was_remote = is_remote(**it);
  const bool was_waiting = is_waiting((*it)->info);
  members_.erase(it);
  if (was_remote) --remote_count_;
  speakers_.remove(participant_id);
  forget_forwarders_of(participant_id, std::nullopt);
  if (was_waiting) {
    send_waiting_list();  // the others never saw it
  } else {
    broadcast_control(participant_left(participant_id, reason), participant_id);
  }
  if (!was_remote) {
    if (observer_ != nullptr) observer_->on_local_member_left(*this, participant_id, reason);
    forget_remote_members_if_alone();
  }
  roster_changed();
}

void Room::on_media(uint64_t participant_id, v1::MediaHeader& header,
                    std::span<const uint8_t> payload) {
  Member* sender = find(participant_id);
  if (sender == nullptr || sender->endpoint == nullptr) return;
  // Waiting participants publish nothing; their media is discarded.
  if (sender->info.role() == v1::PARTICIPANT_ROLE_WAITING) return;
  PublishedTrack* track = sender->track(header.track_id());
  if (!media_granted(*sender, header.kind(), track)) return;
  if (sender->info.receive_only()) return;  // a recorder that joined receive-only
  ++stats_.media_in;
  if (track == nullptr) {
    ++stats_.media_unknown_track;  // media only after PublishTrack (docs/PROTOCOL.md §11.1)
    return;
  }

  // Identity comes from the server's own session state, never from the client.
  header.set_sender_participant_id(participant_id);
  header.set_sender_session_id(sender->session_id);
  FrameRef frame = encode_media(header, payload);
  if (!track->accepts(frame->meta())) {
    ++stats_.media_unknown_track;
    return;
  }
  if (forced_off(*sender, *track)) {
    ++stats_.media_forced_off;  // a host muted or stopped it; the member has not turned it on
    return;
  }
  if (drop_if_oversized_audio(frame)) return;
  route(frame, *sender, *track);
  if (observer_ != nullptr && remote_count_ > 0) observer_->on_local_media(*this, frame);
  close_pending_slow_receivers();
}

bool Room::drop_if_oversized_audio(const FrameRef& frame) {
  if (frame->meta().lane != Lane::kAudio || frame->size() <= limits::kMaxAudioEnvelopeBytes) {
    return false;
  }
  // No audio codec needs this much per frame; it would only crowd out real audio. The sender
  // stays connected: its oversized frames hurt nobody once dropped (docs/PROTOCOL.md §5).
  ++stats_.oversized_audio_dropped;
  return true;
}

void Room::close_pending_slow_receivers() {
  // Closing removes members (and notifies the rest), so it never runs inside a fan-out loop.
  while (!pending_slow_.empty()) {
    const uint64_t slow_id = pending_slow_.back();
    pending_slow_.pop_back();
    if (Member* slow = find(slow_id)) close_slow_receiver(*slow);
  }
}

void Room::close_slow_receiver(Member& member) {
  ++stats_.slow_receivers_closed;
  Endpoint* endpoint = member.endpoint;
  const uint64_t id = member.info.participant_id();
  remove(id, v1::LEAVE_REASON_ERROR);
  if (endpoint != nullptr) {
    // Nothing queued will be sent after the error: give the memory back now, not at teardown.
    endpoint->queue().clear();
    endpoint->close_with_error(close_code::kTooSlow, "receiver too slow");
  }
}

void Room::route_keyframe_needs(Member& receiver) {
  const TimePoint now = now_();
  for (const KeyframeNeed& need : receiver.endpoint->queue().take_keyframe_needs()) {
    if (!receiver.keyframe_retry.admit(need, now)) {
      ++stats_.keyframe_requests_backed_off;
      continue;
    }
    const auto it = receiver.forwarders.find(TrackKey{need.publisher_id, need.track_id});
    const uint8_t spatial = it == receiver.forwarders.end()
                                ? 0
                                : it->second.current().value_or(it->second.target().spatial);
    request_keyframe(need.publisher_id, need.track_id, spatial, receiver.info.participant_id());
  }
}

void Room::retry_deferred_keyframe_needs(TimePoint now) {
  for (auto& member : members_) {
    for (const KeyframeNeed& need : member->keyframe_retry.take_due(now)) {
      // Only if the receiver still lacks it: a keyframe may have arrived meanwhile.
      if (member->endpoint == nullptr || !member->endpoint->queue().awaiting_keyframe(need)) {
        continue;
      }
      const auto it = member->forwarders.find(TrackKey{need.publisher_id, need.track_id});
      const uint8_t spatial = it == member->forwarders.end()
                                  ? 0
                                  : it->second.current().value_or(it->second.target().spatial);
      request_keyframe(need.publisher_id, need.track_id, spatial, member->info.participant_id());
    }
  }
}

void Room::request_keyframe(uint64_t publisher_id, uint32_t track_id, uint8_t spatial,
                            uint64_t requester_id) {
  Member* publisher = find(publisher_id);
  if (publisher == nullptr) return;
  // A local publisher in reconnect grace cannot answer; a remote one's node forwards the request.
  if (!is_remote(*publisher) && publisher->endpoint == nullptr) return;
  PublishedTrack* track = publisher->track(track_id);
  if (track == nullptr || !track->is_video() || !track->offers_spatial(spatial)) {
    // Only video encodings on offer exist: anything else would reach the publisher as noise.
    ++stats_.keyframe_requests_unknown_track;
    return;
  }
  const TimePoint now = now_();
  auto& last = track->last_keyframe_request[spatial];
  if (last && now - *last < limits::kKeyframeRequestCoalesceWindow) {
    // One keyframe answers every receiver that asked within the window.
    ++stats_.keyframe_requests_coalesced;
    return;
  }
  last = now;
  ++stats_.keyframe_requests_sent;
  v1::Control control;
  auto* request = control.mutable_keyframe_request();
  request->set_publisher_participant_id(publisher_id);
  request->set_kind(track->info.kind());
  request->set_track_id(track_id);
  request->set_spatial_layer(spatial);
  request->set_requester_participant_id(requester_id);
  if (is_remote(*publisher)) {
    ++stats_.remote_keyframe_requests_sent;
    if (observer_ != nullptr) {
      observer_->on_remote_keyframe_request(*this, publisher->node_id, *request);
    }
    return;
  }
  send(*publisher, encode_control(control));
}

bool Room::within_control_rate(Member& member) {
  const TimePoint now = now_();
  if (member.control_budget.allow(now)) return true;
  ++stats_.control_messages_dropped;
  if (now - member.flood_window_start >= limits::kControlFloodWindow) {
    member.flood_window_start = now;
    member.flood_window_drops = 0;
  }
  if (++member.flood_window_drops > limits::kControlFloodDrops) {
    // Sustained abuse, not a burst: the client ignores the rate altogether.
    ++stats_.control_flood_closes;
    Endpoint* endpoint = member.endpoint;
    const uint64_t id = member.info.participant_id();
    remember_flood_close(id, now);
    remove(id, v1::LEAVE_REASON_ERROR);
    if (endpoint != nullptr) {
      endpoint->queue().clear();  // release its queued bytes now, like a slow receiver's
      endpoint->close_with_error(close_code::kTooSlow, "control flood");
    }
  }
  return false;
}

void Room::on_control(uint64_t participant_id, const v1::Control& control) {
  handle_control(participant_id, control);
  close_pending_slow_receivers();
}

void Room::handle_control(uint64_t participant_id, const v1::Control& control) {
  Member* member = find(participant_id);
  if (member == nullptr || member->endpoint == nullptr) return;
  // Sealed E2EE keys have their own budget: a rotation addresses every participant at once.
  if (control.has_e2ee_key_message())
    return handle_e2ee_key_message(*member, control.e2ee_key_message());
  // Leave ends the cost; everything else spends the per-connection control budget.
  if (!control.has_leave() && !within_control_rate(*member)) return;
  switch (control.message_case()) {
    case v1::Control::kMediaState: {
      if (member->info.receive_only()) return;
      // A source that is not granted is never shown as on.
      const v1::Grants& grants = member->info.grants();
      const bool mic = control.media_state().mic_on() && grants.publish_microphone();
      const bool camera = control.media_state().camera_on() && grants.publish_camera();
      const bool screen = control.media_state().screen_on() && grants.publish_screen();
      if (mic == member->info.mic_on() && camera == member->info.camera_on() &&
          screen == member->info.screen_on()) {
        return;  // nothing changed: no broadcast to every receiver
      }
      clear_forced_on_unmute(*member, control.media_state());
      member->info.set_mic_on(mic);
      member->info.set_camera_on(camera);
      member->info.set_screen_on(screen);
      announce_member(*member, participant_updated(member->info), participant_id);
      local_member_changed(*member);
      roster_changed();
      return;
    }
    case v1::Control::kKeyframeRequest: {
      const v1::KeyframeRequest& request = control.keyframe_request();
      if (request.publisher_participant_id() == participant_id) return;
      // The encoding is the one this receiver is being sent (a client cannot pick another).
      const TrackKey key{request.publisher_participant_id(), request.track_id()};
      const auto it = member->forwarders.find(key);
      const uint8_t spatial = it == member->forwarders.end()
                                  ? 0
                                  : it->second.current().value_or(it->second.target().spatial);
      request_keyframe(key.publisher_id, key.track_id, spatial, participant_id);
      return;
    }
    case v1::Control::kPublishTrack:
      publish_track(*member, control.publish_track().track());
      return;
    case v1::Control::kUnpublishTrack:
      unpublish_track(*member, control.unpublish_track().track_id());
      return;
    case v1::Control::kUpdateSubscriptions:
      update_subscriptions(*member, control.update_subscriptions());
      return;
    case v1::Control::kReceiverReport:
      member->bandwidth.on_receiver_report(control.receiver_report().max_bitrate_bps(),
                                           control.receiver_report().loss_permille());
      member->allocation_dirty = true;
      return;
    case v1::Control::kLeave:
      remove(participant_id, v1::LEAVE_REASON_LEFT);
      return;
    case v1::Control::kSendChat:
      handle_chat(*member, control.send_chat());
      return;
    case v1::Control::kSendReaction:
      handle_reaction(*member, control.send_reaction());
      return;
    case v1::Control::kRaiseHand:
      handle_raise_hand(*member, control.raise_hand().raised());
      return;
    case v1::Control::kHostRequest:
    case v1::Control::kHostUpdateSettings:
      handle_host_control(*member, control);
      return;
    case v1::Control::kE2EeKeyAnnounce:
      handle_e2ee_key_announce(*member, control.e2ee_key_announce());
      return;
    case v1::Control::kPing: {
      v1::Control reply;
      auto* pong = reply.mutable_pong();
      pong->set_nonce(control.ping().nonce());
      pong->set_client_time_us(control.ping().client_time_us());
      pong->set_server_time_us(
          static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()));
      send(*member, encode_control(reply));
      return;
    }
    case v1::Control::kHello:
      member->endpoint->close_with_error(close_code::kProtocolViolation, "hello sent twice");
      return;
    default:
      // Server-to-client messages and unknown future messages from clients are ignored.
      return;
  }
}

void Room::on_timer() {
  const TimePoint now = now_();
  std::vector<uint64_t> expired;
  for (const auto& member : members_) {
    if (member->grace_deadline && *member->grace_deadline <= now) {
      expired.push_back(member->info.participant_id());
    }
  }
  for (uint64_t id : expired) remove(id, v1::LEAVE_REASON_TIMED_OUT);
  if (now >= next_periodic_) {
    next_periodic_ = now + limits::kBweSampleInterval;
    sample_bandwidth(now);
    update_speakers(now);
  }
  retry_deferred_keyframe_needs(now);
  close_pending_slow_receivers();
}

std::optional<TimePoint> Room::next_deadline() const {
  // Bandwidth samples and speaker ranking run periodically while anyone is here.
  std::optional<TimePoint> next =
      members_.empty() ? std::nullopt : std::optional<TimePoint>(next_periodic_);
  for (const auto& member : members_) {
    if (member->grace_deadline && (!next || *member->grace_deadline < *next)) {
      next = member->grace_deadline;
    }
    const auto retry = member->keyframe_retry.next_due();
    if (retry && (!next || *retry < *next)) next = retry;
  }
  return next;
}

void Room::send(Member& member, const FrameRef& frame) {
  if (member.endpoint == nullptr) return;
  if (member.endpoint->queue().push(frame) == PushResult::kReceiverTooSlow) {
    pending_slow_.push_back(member.info.participant_id());
    return;
  }
  member.endpoint->on_queue_ready();
}

void Room::broadcast_control(const v1::Control& control, uint64_t except_participant_id) {
  FrameRef frame = encode_control(control);
  for (auto& member : members_) {
    if (member->info.participant_id() == except_participant_id) continue;
    if (is_waiting(member->info)) continue;  // no roster, no events until admitted
    send(*member, frame);
  }
}

void Room::roster_changed() {
  if (observer_ != nullptr) observer_->on_roster_changed(meeting_id_);
}

}  // namespace vc::room

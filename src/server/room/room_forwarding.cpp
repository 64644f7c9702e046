// Room: tracks and selective forwarding (docs/PROTOCOL.md §11). A frame goes to a receiver only
// if the receiver wants its track; video passes the receiver's VideoForwarder for that track,
// whose target (encoding, temporal cap) comes from the receiver's subscriptions and bandwidth.
#include <algorithm>

#include "server/room/room.hpp"

namespace vc::room {

namespace {

v1::Control participant_updated_control(const v1::Participant& participant) {
  v1::Control control;
  *control.mutable_participant_updated()->mutable_participant() = participant;
  return control;
}

// Screen share first, then the largest tiles; a height of 0 asks for the highest layer.
uint32_t allocation_priority(const PublishedTrack& track, const Want& want) {
  const uint32_t height = want.max_height == 0 ? limits::kMaxVideoDimension : want.max_height;
  return (track.info.kind() == v1::MEDIA_KIND_SCREEN ? (1u << 20) : 0u) + height;
}

}  // namespace

void Room::publish_track(Member& publisher, const v1::Track& track) {
  if (publisher.info.role() == v1::PARTICIPANT_ROLE_WAITING) {
    ++stats_.tracks_refused;
    return;
  }
  if (!track_granted(publisher, track)) return;
  if (publisher.info.receive_only()) {
    ++stats_.tracks_refused;
    return;
  }
  PublishedTrack* existing = publisher.track(track.track_id());
  if (!validate_track(track, existing != nullptr ? &existing->info : nullptr).empty()) {
    ++stats_.tracks_refused;
    return;
  }
  if (existing != nullptr) {
    if (existing->info.SerializeAsString() == track.SerializeAsString()) return;  // no change
    const bool layers_changed = existing->info.layers_size() != track.layers_size() ||
                                existing->info.temporal_layers() != track.temporal_layers();
    existing->info = track;
    if (layers_changed) {
      // Encodings may have gone: every receiver starts this track again at a keyframe.
      for (auto& gop : existing->gop) gop.clear();
      forget_forwarders_of(publisher.info.participant_id(), track.track_id());
    }
  } else {
    if (publisher.tracks.size() >= limits::kMaxTracksPerPublisher) {
      ++stats_.tracks_refused;
      return;
    }
    publisher.tracks.emplace_back().info = track;
  }
  tracks_changed(publisher);
}

void Room::unpublish_track(Member& publisher, uint32_t track_id) {
  auto it = std::find_if(publisher.tracks.begin(), publisher.tracks.end(),
                         [&](const PublishedTrack& t) { return t.id() == track_id; });
  if (it == publisher.tracks.end()) {
    ++stats_.tracks_refused;
    return;
  }
  publisher.tracks.erase(it);
  forget_forwarders_of(publisher.info.participant_id(), track_id);
  tracks_changed(publisher);
}

void Room::tracks_changed(Member& publisher) {
  publisher.info.clear_tracks();
  for (const PublishedTrack& track : publisher.tracks) *publisher.info.add_tracks() = track.info;
  announce_member(publisher, participant_updated_control(publisher.info),
                  publisher.info.participant_id());
  local_member_changed(publisher);
  roster_changed();
  mark_allocation_dirty();
}

void Room::sync_remote_tracks(Member& member) {
  // A remote node's announcement is checked like a local PublishTrack; what fails is left out.
  std::vector<PublishedTrack> kept;
  for (const v1::Track& announced : member.info.tracks()) {
    if (kept.size() >= limits::kMaxTracksPerPublisher) break;
    const bool duplicate = std::any_of(kept.begin(), kept.end(), [&](const PublishedTrack& t) {
      return t.id() == announced.track_id();
    });
    if (duplicate || !validate_track(announced, nullptr).empty()) {
      ++stats_.tracks_refused;
      continue;
    }
    // The owning node should have refused it; never trust that it did.
    if (!track_granted(member, announced)) continue;
    PublishedTrack* existing = member.track(announced.track_id());
    if (existing != nullptr && existing->info.kind() == announced.kind() &&
        existing->info.layers_size() == announced.layers_size()) {
      kept.push_back(std::move(*existing));  // keeps its caches and rates
    } else {
      kept.emplace_back();
    }
    kept.back().info = announced;
  }
  for (const PublishedTrack& old : member.tracks) {
    const bool still = std::any_of(kept.begin(), kept.end(),
                                   [&](const PublishedTrack& t) { return t.id() == old.id(); });
    if (!still) forget_forwarders_of(member.info.participant_id(), old.id());
  }
  member.tracks = std::move(kept);
  mark_allocation_dirty();
}

void Room::update_subscriptions(Member& receiver, const v1::UpdateSubscriptions& update) {
  if (!may_subscribe(receiver.info)) {
    ++stats_.subscriptions_not_granted;
    constexpr uint32_t kRequest = 14;  // Control.update_subscriptions
    return refuse(receiver, close_code::kNotGrantedSubscribe, "subscribe not granted", kRequest);
  }
  ++stats_.subscription_updates;
  receiver.subscriptions.apply(update);
  receiver.allocation_dirty = true;
}

void Room::mark_allocation_dirty() {
  for (auto& member : members_) member->allocation_dirty = true;
}

void Room::forget_forwarders_of(uint64_t publisher_id, std::optional<uint32_t> track_id) {
  for (auto& member : members_) {
    if (track_id) {
      member->forwarders.erase(TrackKey{publisher_id, *track_id});
      member->subscriptions.forget(TrackKey{publisher_id, *track_id});
    } else {
      std::erase_if(member->forwarders,
                    [&](const auto& entry) { return entry.first.publisher_id == publisher_id; });
      member->subscriptions.forget_publisher(publisher_id);
    }
    member->allocation_dirty = true;
  }
}

bool Room::in_last_n(const Member& receiver, uint64_t publisher_id) const {
  std::size_t wanted = receiver.subscriptions.last_n();
  for (uint64_t speaker : speakers_.recent()) {
    if (wanted == 0) break;
    if (speaker == receiver.info.participant_id()) continue;
    if (speaker == publisher_id) return true;
    --wanted;
  }
  return false;
}

void Room::reallocate(Member& receiver) {
  receiver.allocation_dirty = false;
  allocation_requests_.clear();
  allocation_keys_.clear();
  for (auto& publisher : members_) {
    if (publisher.get() == &receiver) continue;
    const uint64_t publisher_id = publisher->info.participant_id();
    const bool recent = in_last_n(receiver, publisher_id);
    for (const PublishedTrack& track : publisher->tracks) {
      if (!track.is_video()) continue;
      const TrackKey key{publisher_id, track.id()};
      const Want want =
          receiver.subscriptions.resolve(key, track.info.kind(), track.info.source(), recent);
      if (want.paused) {
        if (auto it = receiver.forwarders.find(key); it != receiver.forwarders.end()) {
          it->second.set_target(LayerTarget{true, 0, 0});
        }
        continue;
      }
      AllocationRequest& request = allocation_requests_.emplace_back();
      request.priority = allocation_priority(track, want);
      request.max_spatial = track.spatial_for_height(want.max_height);
      request.rates = track.rates.rates(track.info);
      allocation_keys_.push_back(key);
    }
  }
  allocation_targets_.resize(allocation_requests_.size());
  // Audio has priority on the wire; a tenth of the estimate is left for it and control.
  const uint64_t video_budget = receiver.bandwidth.estimate_bps() / 10 * 9;
  allocate_layers(video_budget, allocation_requests_, allocation_targets_);
  for (std::size_t i = 0; i < allocation_keys_.size(); ++i) {
    receiver.forwarders[allocation_keys_[i]].set_target(allocation_targets_[i]);
  }
}

void Room::route(const FrameRef& frame, const Member& sender, PublishedTrack& track) {
  const TimePoint now = now_();
  track.on_frame(frame, now);
  const FrameMeta& meta = frame->meta();
  if (track.info.source() == v1::TRACK_SOURCE_MICROPHONE) {
    speakers_.on_audio_level(sender.info.participant_id(), meta.audio_level, now);
  }
  for (auto& member : members_) {
    if (member.get() == &sender || !receives_media(*member)) continue;
    const bool queued = track.is_video() ? route_video(*member, sender, track, frame)
                                         : route_audio(*member, sender, track);
    if (!queued) continue;
    if (!push_media(*member, frame)) continue;
    if (member->endpoint->queue().has_keyframe_needs()) route_keyframe_needs(*member);
    member->endpoint->on_queue_ready();
  }
}

bool Room::push_media(Member& receiver, const FrameRef& frame) {
  const PushResult result = receiver.endpoint->queue().push(frame);
  if (result == PushResult::kQueued) {
    ++stats_.frames_forwarded;
    stats_.bytes_forwarded += frame->size();
  } else if (result == PushResult::kReceiverTooSlow) {
    pending_slow_.push_back(receiver.info.participant_id());
    return false;
  }
  return true;
}

bool Room::audible(uint64_t publisher_id) const {
  if (participant_count() <= forwarding_.large_room_threshold) return true;
  // No choice to make while K or fewer publish audio, nor before the first ranking (a room that
  // just grew large would otherwise go silent until the next periodic run).
  if (!audio_ranked_ || speakers_.audio_publishers() <= forwarding_.audio_top_k) return true;
  return std::find(audible_.begin(), audible_.end(), publisher_id) != audible_.end();
}

bool Room::route_audio(Member& receiver, const Member& sender, const PublishedTrack& track) {
  const uint64_t publisher_id = sender.info.participant_id();
  if (!audible(publisher_id)) {
    ++stats_.audio_not_top_k;
    return false;
  }
  const Want want = receiver.subscriptions.resolve(TrackKey{publisher_id, track.id()},
                                                   track.info.kind(), track.info.source(), false);
  if (want.paused) {
    ++stats_.frames_not_subscribed;
    return false;
  }
  return true;
}

bool Room::route_video(Member& receiver, const Member& sender, PublishedTrack& track,
                       const FrameRef& frame) {
  if (receiver.allocation_dirty) reallocate(receiver);
  const uint64_t publisher_id = sender.info.participant_id();
  const auto it = receiver.forwarders.find(TrackKey{publisher_id, track.id()});
  if (it == receiver.forwarders.end() || it->second.target().paused) {
    ++stats_.frames_not_subscribed;
    return false;
  }
  VideoForwarder& forwarder = it->second;
  const FrameMeta& meta = frame->meta();
  if (!forwarder.started()) {
    // A new subscriber starts from the cached frames since the target encoding's last keyframe
    // (this frame included when it belongs to it), so its first picture needs no round trip. The
    // replay is the base temporal layer only: the burst a new decoder must chew through is short.
    const GopCache& cache = track.gop[forwarder.target().spatial];
    if (cache.has_keyframe()) {
      ++stats_.gop_cache_starts;
      const auto& frames = cache.frames();
      forwarder.start_from_cache(std::any_of(frames.begin(), frames.end(), [](const FrameRef& f) {
        return !VideoForwarder::replays(f->meta().temporal_layer);
      }));
      for (const FrameRef& cached : frames) {
        if (!VideoForwarder::replays(cached->meta().temporal_layer)) continue;
        if (!push_media(receiver, cached)) return false;
      }
      if (receiver.endpoint->queue().has_keyframe_needs()) route_keyframe_needs(receiver);
      receiver.endpoint->on_queue_ready();
      return false;  // already queued (or not this encoding's frame)
    }
  }
  const uint64_t switches_before = forwarder.spatial_switches();
  const bool forward = forwarder.on_frame(meta.spatial_layer, meta.temporal_layer, meta.keyframe) ==
                       ForwardDecision::kForward;
  stats_.layer_switches += forwarder.spatial_switches() - switches_before;
  if (const auto needed = forwarder.keyframe_needed()) {
    request_keyframe(publisher_id, track.id(), *needed, receiver.info.participant_id());
  }
  if (!forward) ++stats_.frames_layer_filtered;
  return forward;
}

void Room::sample_bandwidth(TimePoint now) {
  for (auto& member : members_) {
    if (member->endpoint == nullptr) continue;
    const SendQueue& queue = member->endpoint->queue();
    const uint64_t before = member->bandwidth.estimate_bps();
    member->bandwidth.on_sample(BandwidthSample{now, queue.drained_bytes(),
                                                queue.queued_media_bytes(),
                                                member->endpoint->transport_bandwidth_bps()});
    if (member->bandwidth.estimate_bps() != before) member->allocation_dirty = true;
  }
}

void Room::update_speakers(TimePoint now) {
  if (speakers_.update(now)) {
    ++stats_.dominant_speaker_changes;
    v1::Control control;
    auto* active = control.mutable_active_speakers();
    active->set_dominant_participant_id(speakers_.dominant());
    for (uint64_t id : speakers_.recent()) active->add_recent_participant_ids(id);
    broadcast_control(control, 0);
    // Receivers following the last speakers get other cameras now.
    for (auto& member : members_) {
      if (member->subscriptions.last_n() > 0) member->allocation_dirty = true;
    }
  }
  if (participant_count() > forwarding_.large_room_threshold) {
    speakers_.loudest(forwarding_.audio_top_k, now, audible_);
    audio_ranked_ = true;
  } else {
    audible_.clear();
    audio_ranked_ = false;
  }
}

}  // namespace vc::room

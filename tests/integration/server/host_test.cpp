// videocall-server end to end, host powers and the waiting room (docs/PROTOCOL.md §14): a waiting
// participant receives zero media bytes (counted at its WebSocket) and no roster until admitted;
// only a host or co-host can act (4403 otherwise, over the control channel and REST); a removed
// and barred participant cannot rejoin with a new token; ending the meeting closes everyone with
// 4433. Every wait is for a message or a close, never a sleep.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server_harness.hpp"

namespace vc::test {
namespace {

constexpr uint32_t kForbidden = 4403;
constexpr uint16_t kRemoved = 4431;
constexpr uint16_t kBarred = 4432;
constexpr uint16_t kMeetingEnded = 4433;

struct Joined {
  std::string token;
  uint64_t participant_id = 0;
  std::string role;
  std::string identity_key;
};

// Joins through the REST API with this browser's identity key (empty: the server makes one).
Joined join(uint16_t port, const std::string& meeting, const std::string& name,
            const std::string& identity_key = {}) {
  nlohmann::json body{{"display_name", name}};
  if (!identity_key.empty()) body["identity_key"] = identity_key;
  const auto res = http_request(port, "POST", "/api/v1/meetings/" + meeting + "/join", body.dump());
  if (res.status != 200) throw std::runtime_error("join failed: " + res.body);
  const auto j = res.json();
  return {j.at("token").get<std::string>(), j.at("participant_id").get<uint64_t>(),
          j.at("role").get<std::string>(), j.at("identity_key").get<std::string>()};
}

HttpResult moderate(uint16_t port, const std::string& meeting, const std::string& token,
                    const nlohmann::json& body, const std::string& resource = "moderation") {
  return http_request(port, "POST", "/api/v1/meetings/" + meeting + "/" + resource, body.dump(),
                      "Bearer " + token);
}

v1::Envelope host_request(v1::HostActionKind action, uint64_t target, bool bar = false) {
  v1::Envelope envelope;
  auto* request = envelope.mutable_control()->mutable_host_request();
  request->set_action(action);
  request->set_target_participant_id(target);
  request->set_bar(bar);
  return envelope;
}

v1::Envelope waiting_room_on() {
  v1::Envelope envelope;
  envelope.mutable_control()->mutable_host_update_settings()->set_waiting_room(true);
  return envelope;
}

TEST(ServerHost, WaitingParticipantGetsZeroMediaBytesAndNoRosterUntilAdmitted) {
  ServerProcess server;
  const uint16_t port = server.port();
  const Joined host = join(port, "lobby", "Hana");
  ASSERT_EQ(host.role, "host") << "the first joiner hosts";
  WsClient h(port, "/ws?token=" + host.token);
  h.join();
  h.send(waiting_room_on());
  ASSERT_TRUE(h.read_control_until([](const v1::Control& c) {
    return c.has_meeting_settings() && c.meeting_settings().waiting_room();
  }));
  // Pia waits too; the host lets her in.
  // (The join API's role may predate the settings write; the room decides on connect.)
  const Joined pia = join(port, "lobby", "Pia");
  WsClient p(port, "/ws?token=" + pia.token);
  EXPECT_EQ(p.join().self().role(), v1::PARTICIPANT_ROLE_WAITING);
  h.send(host_request(v1::HOST_ACTION_ADMIT, pia.participant_id));
  ASSERT_TRUE(p.read_control_until([](const v1::Control& c) {
    return c.has_join_accepted() &&
           c.join_accepted().self().role() == v1::PARTICIPANT_ROLE_PARTICIPANT;
  }));

  const Joined wim = join(port, "lobby", "Wim");
  WsClient w(port, "/ws?token=" + wim.token);
  const v1::JoinAccepted waiting = w.join();
  EXPECT_EQ(waiting.self().role(), v1::PARTICIPANT_ROLE_WAITING);
  EXPECT_EQ(waiting.roster_size(), 0) << "no roster in the waiting room";
  EXPECT_TRUE(waiting.settings().waiting_room());
  const auto list = h.read_control_until([&](const v1::Control& c) {
    return c.has_waiting_list() && c.waiting_list().waiting_size() == 1 &&
           c.waiting_list().waiting(0).participant_id() == wim.participant_id;
  });
  ASSERT_TRUE(list) << "the host sees who waits";

  // Pia talks and shows video; the host receives it, so it was forwarded to whoever may have it.
  p.publish(v1::MEDIA_KIND_AUDIO);
  p.publish(v1::MEDIA_KIND_VIDEO);
  for (uint32_t i = 1; i <= 5; ++i) {
    p.send_media(v1::MEDIA_KIND_AUDIO, std::string(200, 'a'), 0, i);
    p.send_media(v1::MEDIA_KIND_VIDEO, std::string(900, 'v'), 0, i);
  }
  int host_media = 0;
  while (host_media < 10) {
    auto media = h.read_media();
    ASSERT_TRUE(media) << "the host must get Pia's media";
    ++host_media;
  }
  // Everything sent to Wim before the admit precedes its second JoinAccepted on the wire.
  h.send(host_request(v1::HOST_ACTION_ADMIT, wim.participant_id));
  std::size_t media_bytes_while_waiting = 0;
  int roster_events_while_waiting = 0;
  std::optional<v1::JoinAccepted> admitted;
  while (!admitted) {
    auto message = w.read();
    ASSERT_TRUE(message) << "Wim must be admitted";
    if (message->envelope.has_media()) {
      media_bytes_while_waiting += message->raw.size();
      continue;
    }
    const v1::Control& c = message->envelope.control();
    if (c.has_join_accepted()) {
      admitted = c.join_accepted();
    } else if (c.has_participant_joined() || c.has_participant_updated() ||
               c.has_participant_left() || c.has_chat_message() || c.has_host_action_event()) {
      ++roster_events_while_waiting;
    }
  }
  EXPECT_EQ(media_bytes_while_waiting, 0u) << "a waiting participant receives no media";
  EXPECT_EQ(roster_events_while_waiting, 0) << "nor anything about the meeting";
  EXPECT_EQ(admitted->self().role(), v1::PARTICIPANT_ROLE_PARTICIPANT);
  EXPECT_EQ(admitted->roster_size(), 2) << "admitted: the normal roster (Hana, Pia)";
  // Now Pia's media reaches Wim.
  p.send_media(v1::MEDIA_KIND_AUDIO, std::string(200, 'a'), 0, 6);
  ASSERT_TRUE(w.read_media()) << "media flows after the admit";
}

TEST(ServerHost, OnlyAHostOrCoHostCanActOthersGet4403) {
  ServerProcess server;
  const uint16_t port = server.port();
  const Joined host = join(port, "rules", "Hana");
  const Joined pia = join(port, "rules", "Pia");
  ASSERT_EQ(pia.role, "participant");
  WsClient h(port, "/ws?token=" + host.token);
  h.join();
  WsClient p(port, "/ws?token=" + pia.token);
  p.join();
  p.send(host_request(v1::HOST_ACTION_MUTE_MIC, host.participant_id));
  const auto refused = p.read_control_until([](const v1::Control& c) { return c.has_refused(); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->refused().code(), kForbidden);
  EXPECT_EQ(refused->refused().request(), static_cast<uint32_t>(v1::Control::kHostRequest));
  // REST with a participant's token: 403 with the same code; the meeting is unchanged.
  const auto rest = moderate(port, "rules", pia.token, {{"action", "lock"}});
  EXPECT_EQ(rest.status, 403u) << rest.body;
  EXPECT_EQ(rest.json().value("code", 0u), kForbidden);
  const auto settings = moderate(port, "rules", pia.token, {{"locked", true}}, "settings");
  EXPECT_EQ(settings.status, 403u);
  const auto audit =
      http_request(port, "GET", "/api/v1/meetings/rules/audit", {}, "Bearer " + pia.token);
  EXPECT_EQ(audit.status, 403u);
  // Made co-host by the host (REST with the host's token), Pia may lock the meeting.
  ASSERT_EQ(moderate(port, "rules", host.token,
                     {{"action", "make_co_host"}, {"participant_id", pia.participant_id}})
                .status,
            200u);
  ASSERT_TRUE(p.read_control_until([](const v1::Control& c) {
    return c.has_participant_updated() &&
           c.participant_updated().participant().role() == v1::PARTICIPANT_ROLE_CO_HOST;
  }));
  const auto locked = moderate(port, "rules", pia.token, {{"action", "lock"}});
  EXPECT_EQ(locked.status, 200u) << locked.body;
  EXPECT_TRUE(locked.json()["settings"]["locked"].get<bool>());
  // ... but not end it for everyone.
  const auto end = moderate(port, "rules", pia.token, {{"action", "end_meeting"}});
  EXPECT_EQ(end.status, 403u);
  // Locked: a new joiner waits, even without the waiting room (the room decides on connect).
  const Joined late = join(port, "rules", "Late");
  WsClient l(port, "/ws?token=" + late.token);
  const v1::JoinAccepted late_accepted = l.join();
  EXPECT_EQ(late_accepted.self().role(), v1::PARTICIPANT_ROLE_WAITING);
  EXPECT_TRUE(late_accepted.settings().locked());
  // Every action is in the audit trail (written on the store pool: wait for it).
  nlohmann::json entries;
  for (int attempt = 0; attempt < 100; ++attempt) {
    entries = http_request(port, "GET", "/api/v1/meetings/rules/audit", {}, "Bearer " + host.token)
                  .json()["entries"];
    if (entries.size() >= 2) break;
    p.send(host_request(v1::HOST_ACTION_UNSPECIFIED, 0));  // a round trip on the relay thread
    p.read_control_until([](const v1::Control& c) { return c.has_refused(); });
  }
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["action"], "make_co_host");
  EXPECT_EQ(entries[0]["actor_name"], "Hana");
  EXPECT_EQ(entries[0]["target_name"], "Pia");
  EXPECT_EQ(entries[1]["action"], "lock");
}

TEST(ServerHost, RemovedAndBarredParticipantCannotRejoinWithANewToken) {
  ServerProcess server;
  const uint16_t port = server.port();
  const Joined host = join(port, "bar", "Hana");
  const std::string key = "pia-browser-identity-key-0001";
  const Joined pia = join(port, "bar", "Pia", key);
  EXPECT_EQ(pia.identity_key, key);
  WsClient h(port, "/ws?token=" + host.token);
  h.join();
  WsClient p(port, "/ws?token=" + pia.token);
  p.join();
  const auto removed =
      moderate(port, "bar", host.token,
               {{"action", "remove"}, {"participant_id", pia.participant_id}, {"bar", true}});
  EXPECT_EQ(removed.status, 200u) << removed.body;
  EXPECT_EQ(p.wait_close(), kBarred);
  ASSERT_TRUE(h.read_control_until([&](const v1::Control& c) {
    return c.has_host_action_event() && c.host_action_event().action() == v1::HOST_ACTION_REMOVE &&
           c.host_action_event().target_participant_id() == pia.participant_id &&
           c.host_action_event().bar();
  }));
  // A new token for the same browser is refused by the join API...
  const auto again =
      http_request(port, "POST", "/api/v1/meetings/bar/join",
                   nlohmann::json{{"display_name", "Pia"}, {"identity_key", key}}.dump());
  EXPECT_EQ(again.status, 403u);
  EXPECT_EQ(again.json()["error"]["code"], "barred");
  // ... and her old token cannot bring her back either.
  WsClient old(port, "/ws?token=" + pia.token);
  old.send_hello();
  EXPECT_EQ(old.wait_close(), kBarred);
  // Removal without a bar: 4431, and the person may ask to come back.
  const Joined ole = join(port, "bar", "Ole");
  WsClient o(port, "/ws?token=" + ole.token);
  o.join();
  h.send(host_request(v1::HOST_ACTION_REMOVE, ole.participant_id));
  EXPECT_EQ(o.wait_close(), kRemoved);
  EXPECT_EQ(join(port, "bar", "Ole", ole.identity_key).role, "participant");
}

TEST(ServerHost, EndingTheMeetingClosesEveryoneWith4433AndTheHostStaysHost) {
  ServerProcess server;
  const uint16_t port = server.port();
  const Joined host = join(port, "finale", "Hana");
  const Joined pia = join(port, "finale", "Pia");
  // Rejoining with the host's identity key gives the host role back.
  const Joined host_again = join(port, "finale", "Hana", host.identity_key);
  EXPECT_EQ(host_again.role, "host");
  WsClient h(port, "/ws?token=" + host_again.token);
  h.join();
  WsClient p(port, "/ws?token=" + pia.token);
  p.join();
  h.send(host_request(v1::HOST_ACTION_END_MEETING, 0));
  const auto event = p.read_control_until([](const v1::Control& c) {
    return c.has_host_action_event() &&
           c.host_action_event().action() == v1::HOST_ACTION_END_MEETING;
  });
  ASSERT_TRUE(event);
  EXPECT_EQ(event->host_action_event().actor_display_name(), "Hana");
  EXPECT_EQ(p.wait_close(), kMeetingEnded);
  EXPECT_EQ(h.wait_close(), kMeetingEnded);
  ASSERT_TRUE(p.last_error());
  // Old tokens cannot reopen it.
  WsClient late(port, "/ws?token=" + pia.token);
  late.send_hello();
  EXPECT_EQ(late.wait_close(), kMeetingEnded);
}

// A site's backend moderates with the server API key (Basic key:secret, §13.3, §14.5): it acts
// with a host's powers as "Server API"; a wrong secret gets 401 and changes nothing.
TEST(ServerHost, ServerApiKeyModeratesWithAHostsPowers) {
  const auto key_file =
      std::filesystem::temp_directory_path() / ("vc-host-api-key-" + std::to_string(::getpid()));
  std::ofstream(key_file) << "mod1: moderation-test-api-secret-0123456789\n";
  ::chmod(key_file.c_str(), 0600);
  ServerProcess server({"--api-key-file", key_file.string()});
  const uint16_t port = server.port();
  const Joined host = join(port, "backend", "Hana");
  const Joined pia = join(port, "backend", "Pia");
  WsClient h(port, "/ws?token=" + host.token);
  h.join();
  WsClient p(port, "/ws?token=" + pia.token);
  p.join();
  const nlohmann::json mute{{"action", "mute_mic"}, {"participant_id", pia.participant_id}};
  const auto wrong =
      http_request(port, "POST", "/api/v1/meetings/backend/moderation", mute.dump(),
                   "Basic bW9kMTptb2RlcmF0aW9uLXRlc3QtYXBpLXNlY3JldC1XUk9ORy01Njc4OQ==");
  EXPECT_EQ(wrong.status, 401u) << wrong.body;
  const auto right = http_request(port, "POST", "/api/v1/meetings/backend/moderation", mute.dump(),
                                  "Basic bW9kMTptb2RlcmF0aW9uLXRlc3QtYXBpLXNlY3JldC0wMTIzNDU2Nzg5");
  EXPECT_EQ(right.status, 200u) << right.body;
  const auto event = p.read_control_until([](const v1::Control& c) {
    return c.has_host_action_event() && c.host_action_event().action() == v1::HOST_ACTION_MUTE_MIC;
  });
  ASSERT_TRUE(event);
  EXPECT_EQ(event->host_action_event().actor_participant_id(), 0u);
  EXPECT_EQ(event->host_action_event().actor_display_name(), "Server API");
  EXPECT_EQ(event->host_action_event().target_participant_id(), pia.participant_id);
  std::filesystem::remove(key_file);
}

TEST(ServerHost, SettingsCanBeSetInTheStoreBeforeAnyoneJoins) {
  const auto key_file = std::filesystem::temp_directory_path() /
                        ("vc-host-settings-key-" + std::to_string(::getpid()));
  std::ofstream(key_file) << "mod1: moderation-test-api-secret-0123456789\n";
  ::chmod(key_file.c_str(), 0600);
  ServerProcess server({"--api-key-file", key_file.string()});
  const uint16_t port = server.port();
  const std::string api_key = "Basic bW9kMTptb2RlcmF0aW9uLXRlc3QtYXBpLXNlY3JldC0wMTIzNDU2Nzg5";
  // An id the site chose, never used before: setting it up creates it.
  const std::string id = "planned-standup";
  const std::string base = "/api/v1/meetings/" + id;
  EXPECT_EQ(http_request(port, "GET", base + "/settings", {}, api_key).status, 404u);

  // Nobody is connected: settings go to the store, with the live room's rule and audit.
  const auto too_big = http_request(port, "POST", base + "/settings",
                                    nlohmann::json{{"max_participants", 1u << 30}}.dump(), api_key);
  EXPECT_EQ(too_big.status, 400u) << too_big.body;
  const auto set = http_request(port, "POST", base + "/settings",
                                nlohmann::json{{"waiting_room", true}}.dump(), api_key);
  ASSERT_EQ(set.status, 200u) << set.body;
  EXPECT_EQ(set.json()["settings"]["waiting_room"], true);
  const auto read = http_request(port, "GET", base + "/settings", {}, api_key);
  ASSERT_EQ(read.status, 200u) << read.body;
  EXPECT_EQ(read.json()["settings"]["waiting_room"], true);
  EXPECT_EQ(
      http_request(port, "GET", "/api/v1/meetings/nosuchmeeting/settings", {}, api_key).status,
      404u);
  EXPECT_EQ(http_request(port, "POST", base + "/settings", "{}", "").status, 401u);
  const nlohmann::json mute{{"action", "mute_mic"}, {"participant_id", 1}};
  EXPECT_EQ(http_request(port, "POST", base + "/moderation", mute.dump(), api_key).status, 409u)
      << "actions on people need them connected";
  const auto audit = http_request(port, "GET", base + "/audit", {}, api_key);
  ASSERT_EQ(audit.status, 200u) << audit.body;
  ASSERT_EQ(audit.json()["entries"].size(), 1u);
  EXPECT_EQ(audit.json()["entries"][0]["action"], "update_settings");
  EXPECT_EQ(audit.json()["entries"][0]["actor_name"], "Server API");

  // The meeting opens with them: its first joiner is the host, the next one waits.
  EXPECT_EQ(join(port, id, "Hana").role, "host");
  EXPECT_EQ(join(port, id, "Wim").role, "waiting");
  std::filesystem::remove(key_file);
}

}  // namespace
}  // namespace vc::test

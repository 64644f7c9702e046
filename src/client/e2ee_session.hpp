// ClientE2ee: libvideocall's end-to-end encryption (docs/PROTOCOL.md §15). It turns roster events
// and key messages into the control messages to send (sealed keys, a key announce), encrypts
// outgoing payloads and decrypts incoming ones. Roster calls run on the client's strand; encrypt
// may run on any thread (send_media), so all state is behind one mutex.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "e2ee/key_ring.hpp"
#include "videocall/client.hpp"

namespace vc::client {

class ClientE2ee {
 public:
  explicit ClientE2ee(E2eeConfig config);

  // Fills Hello: we can do E2EE, and our public key when key agreement is already on.
  void fill_hello(v1::Hello& hello);
  // JoinAccepted (also after a reconnect): starts encryption when configured or required, and
  // returns what to send (a key announce, our key sealed for everyone in the roster).
  std::vector<v1::Control> on_joined(const v1::JoinAccepted& accepted);
  // ParticipantJoined / ParticipantUpdated: a new or changed public key gets our next key.
  std::vector<v1::Control> on_participant(const v1::Participant& participant);
  // ParticipantLeft: key agreement rotates our key for everyone left.
  std::vector<v1::Control> on_left(uint64_t participant_id);
  // A sealed key for us. Returns the (kind, track) pairs of that sender whose frames we dropped
  // for lack of a key, so the caller can ask for keyframes.
  std::vector<std::pair<uint32_t, uint32_t>> on_key_message(const v1::E2eeKeyMessage& message);

  bool active() const;
  E2eeStatus status() const;
  // Encrypts a payload; `header` gets our participant id (the AAD covers it). Empty when
  // encryption is on but not ready (before the first JoinAccepted): drop the frame.
  std::optional<e2ee::Bytes> encrypt(v1::MediaHeader& header, std::span<const uint8_t> payload);
  e2ee::DecryptResult decrypt(const v1::MediaHeader& header, std::span<const uint8_t> payload,
                              e2ee::Bytes& plaintext);
  e2ee::Stats stats() const;

 private:
  std::vector<v1::Control> seal_all(std::vector<e2ee::KeyMessage> messages) const;
  e2ee::ReceiverKeys* receiver();

  E2eeConfig config_;
  mutable std::mutex mutex_;
  E2eeMode mode_ = E2eeMode::kOff;
  std::string meeting_id_;
  std::optional<e2ee::PassphraseKeys> passphrase_;
  std::optional<e2ee::GroupKeys> group_;  // created up front so Hello can carry its key
  std::map<uint64_t, e2ee::PublicKey> known_keys_;
  std::set<std::tuple<uint64_t, uint32_t, uint32_t>> awaiting_key_;  // (sender, kind, track)
  uint64_t self_id_ = 0;
  e2ee::Stats stats_;  // across rejoins (a key ring restarts with each join)
};

}  // namespace vc::client

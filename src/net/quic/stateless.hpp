// Stateless server mechanisms, all keyed by one random per-process secret (RFC 9000):
//  - address validation: a Retry packet carries an encrypted token binding the client's address
//    and original destination connection id; the client's next Initial must echo it (§8.1.2);
//  - stateless reset: the token for each connection id we issue is derived from the id, so a
//    packet for an id we no longer know can be answered with a Stateless Reset (§10.3) without
//    any per-connection state.
// Like quic_connection.cpp, stateless.cpp is where ngtcp2 is used; callers see only these types.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/quic/quic_connection.hpp"

namespace vc::quic {

inline constexpr std::size_t kStatelessResetTokenBytes = 16;
// The shortest Stateless Reset we send: 5 unpredictable bytes then the 16-byte token (§10.3).
inline constexpr std::size_t kMinStatelessResetBytes = 21;

// The parts of a client Initial that address validation needs; `token` points into the packet.
struct ClientInitial {
  uint32_t version = 0;
  ConnectionId dcid;
  ConnectionId scid;
  ByteView token;
};
// False if `packet` cannot start a connection (not a client Initial of a supported version).
bool parse_client_initial(ByteView packet, ClientInitial& out);

enum class TokenCheck : uint8_t {
  kAbsent,   // no Retry token (none, or a token of another kind: treated as absent, §8.1.3)
  kValid,    // our Retry token, for this address and connection id, not expired
  kInvalid,  // looks like our Retry token but does not verify
};

class StatelessKeys {
 public:
  StatelessKeys();  // a fresh random secret
  explicit StatelessKeys(const std::array<uint8_t, 32>& secret) : secret_(secret) {}

  // A Retry packet answering `initial` from `remote`; its size, 0 on failure.
  std::size_t write_retry(std::span<uint8_t> out, const ClientInitial& initial,
                          const SocketAddress& remote, Timestamp now) const;
  // Checks the token of `initial`; on kValid, `original_dcid` is the id the client first used.
  TokenCheck check_retry_token(const ClientInitial& initial, const SocketAddress& remote,
                               Timestamp now, ConnectionId& original_dcid) const;
  // An Initial with CONNECTION_CLOSE(INVALID_TOKEN) answering `initial`; its size, 0 on failure.
  std::size_t write_invalid_token_close(std::span<uint8_t> out, const ClientInitial& initial) const;

  // The stateless reset token of connection id `id`.
  bool reset_token(const ConnectionId& id, uint8_t (&token)[kStatelessResetTokenBytes]) const;
  // A Stateless Reset for a short-header packet of `received_size` bytes to unknown id `dcid`:
  // shorter than what triggered it (so two endpoints cannot loop), 0 if that is too short.
  std::size_t write_stateless_reset(std::span<uint8_t> out, const ConnectionId& dcid,
                                    std::size_t received_size) const;

 private:
  std::array<uint8_t, 32> secret_;
};

}  // namespace vc::quic

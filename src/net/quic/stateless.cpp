#include "net/quic/stateless.hpp"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

#include <algorithm>
#include <cstring>

#include "common/limits.hpp"

namespace vc::quic {

namespace {

ngtcp2_cid to_ngtcp2(const ConnectionId& id) {
  ngtcp2_cid cid{};
  cid.datalen = id.size;
  std::memcpy(cid.data, id.bytes, id.size);
  return cid;
}

constexpr ngtcp2_duration kRetryTokenLifetime = static_cast<ngtcp2_duration>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(limits::kQuicRetryTokenLifetime).count());

}  // namespace

bool parse_client_initial(ByteView packet, ClientInitial& out) {
  ngtcp2_pkt_hd header;
  if (ngtcp2_accept(&header, packet.data(), packet.size()) != 0) return false;
  out.version = header.version;
  out.dcid = ConnectionId::from({header.dcid.data, header.dcid.datalen});
  out.scid = ConnectionId::from({header.scid.data, header.scid.datalen});
  out.token = {header.token.base, header.token.len};
  return true;
}

StatelessKeys::StatelessKeys() {
  (void)gnutls_rnd(GNUTLS_RND_KEY, secret_.data(), secret_.size());
}

std::size_t StatelessKeys::write_retry(std::span<uint8_t> out, const ClientInitial& initial,
                                       const SocketAddress& remote, Timestamp now) const {
  ngtcp2_cid retry_scid{};
  retry_scid.datalen = kServerConnectionIdBytes;
  (void)gnutls_rnd(GNUTLS_RND_NONCE, retry_scid.data, retry_scid.datalen);
  const ngtcp2_cid original_dcid = to_ngtcp2(initial.dcid);
  const ngtcp2_cid client_scid = to_ngtcp2(initial.scid);
  uint8_t token[NGTCP2_CRYPTO_MAX_RETRY_TOKENLEN];
  const ngtcp2_ssize token_size = ngtcp2_crypto_generate_retry_token(
      token, secret_.data(), secret_.size(), initial.version, const_cast<sockaddr*>(remote.get()),
      remote.size, &retry_scid, &original_dcid, now);
  if (token_size < 0) return 0;
  const ngtcp2_ssize written =
      ngtcp2_crypto_write_retry(out.data(), out.size(), initial.version, &client_scid, &retry_scid,
                                &original_dcid, token, static_cast<std::size_t>(token_size));
  return written > 0 ? static_cast<std::size_t>(written) : 0;
}

TokenCheck StatelessKeys::check_retry_token(const ClientInitial& initial,
                                            const SocketAddress& remote, Timestamp now,
                                            ConnectionId& original_dcid) const {
  if (initial.token.empty() || initial.token[0] != NGTCP2_CRYPTO_TOKEN_MAGIC_RETRY) {
    return TokenCheck::kAbsent;
  }
  const ngtcp2_cid dcid = to_ngtcp2(initial.dcid);
  ngtcp2_cid original{};
  if (ngtcp2_crypto_verify_retry_token(&original, initial.token.data(), initial.token.size(),
                                       secret_.data(), secret_.size(), initial.version,
                                       const_cast<sockaddr*>(remote.get()), remote.size, &dcid,
                                       kRetryTokenLifetime, now) != 0) {
    return TokenCheck::kInvalid;
  }
  original_dcid = ConnectionId::from({original.data, original.datalen});
  return TokenCheck::kValid;
}

std::size_t StatelessKeys::write_invalid_token_close(std::span<uint8_t> out,
                                                     const ClientInitial& initial) const {
  // Ids swapped: the reply's DCID is the client's SCID; keys derive from the client's DCID.
  const ngtcp2_cid dcid = to_ngtcp2(initial.scid);
  const ngtcp2_cid scid = to_ngtcp2(initial.dcid);
  const ngtcp2_ssize written = ngtcp2_crypto_write_connection_close(
      out.data(), out.size(), initial.version, &dcid, &scid, NGTCP2_INVALID_TOKEN, nullptr, 0);
  return written > 0 ? static_cast<std::size_t>(written) : 0;
}

bool StatelessKeys::reset_token(const ConnectionId& id,
                                uint8_t (&token)[kStatelessResetTokenBytes]) const {
  const ngtcp2_cid cid = to_ngtcp2(id);
  return ngtcp2_crypto_generate_stateless_reset_token(token, secret_.data(), secret_.size(),
                                                      &cid) == 0;
}

std::size_t StatelessKeys::write_stateless_reset(std::span<uint8_t> out, const ConnectionId& dcid,
                                                 std::size_t received_size) const {
  // One byte shorter than the trigger, and no longer than a short packet needs to look.
  const std::size_t size = std::min(
      {received_size > 0 ? received_size - 1 : 0, limits::kQuicStatelessResetBytes, out.size()});
  if (size < kMinStatelessResetBytes) return 0;
  uint8_t token[kStatelessResetTokenBytes];
  if (!reset_token(dcid, token)) return 0;
  uint8_t unpredictable[limits::kQuicStatelessResetBytes];
  const std::size_t random_size = size - kStatelessResetTokenBytes;
  (void)gnutls_rnd(GNUTLS_RND_NONCE, unpredictable, random_size);
  const ngtcp2_ssize written =
      ngtcp2_pkt_write_stateless_reset(out.data(), size, token, unpredictable, random_size);
  return written > 0 ? static_cast<std::size_t>(written) : 0;
}

}  // namespace vc::quic

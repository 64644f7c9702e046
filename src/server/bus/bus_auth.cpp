#include "server/bus/bus_auth.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>

namespace vc::bus {

namespace {

constexpr std::size_t kKeyBytes = 32;
constexpr std::size_t kHeaderBytes = 11;  // bus_codec: magic, version, type, node id
constexpr std::size_t kNodeIdOffset = 3;
// Domain separation: this key is used for nothing but bus messages.
constexpr std::string_view kKdfSalt = "videocall bus";
constexpr std::string_view kKdfInfo = "videocall bus message authentication v1";

constexpr int64_t kMaxAgeMs =
    std::chrono::duration_cast<std::chrono::milliseconds>(limits::kBusMessageMaxAge).count();

uint64_t read_u64(const uint8_t* p) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= static_cast<uint64_t>(p[i]) << (8 * i);
  return value;
}

void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

std::vector<uint8_t> derive_key(std::span<const uint8_t> secret) {
  if (secret.empty()) throw std::invalid_argument("bus authentication needs a secret");
  std::vector<uint8_t> key(kKeyBytes);
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = kdf != nullptr ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);
  if (ctx == nullptr) throw std::runtime_error("bus authentication: HKDF unavailable");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(secret.data()),
                                        secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(kKdfSalt.data()),
                                        kKdfSalt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(kKdfInfo.data()),
                                        kKdfInfo.size()),
      OSSL_PARAM_construct_end()};
  const int ok = EVP_KDF_derive(ctx, key.data(), key.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) throw std::runtime_error("bus authentication: key derivation failed");
  return key;
}

}  // namespace

BusAuthenticator::BusAuthenticator(std::span<const uint8_t> secret) {
  std::vector<uint8_t> key = derive_key(secret);
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  mac_ = mac != nullptr ? EVP_MAC_CTX_new(mac) : nullptr;
  EVP_MAC_free(mac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  const bool ok = mac_ != nullptr && EVP_MAC_init(mac_, key.data(), key.size(), params) == 1;
  OPENSSL_cleanse(key.data(), key.size());
  if (!ok) {
    EVP_MAC_CTX_free(mac_);
    throw std::runtime_error("bus authentication: HMAC-SHA256 unavailable");
  }
}

BusAuthenticator::~BusAuthenticator() {
  EVP_MAC_CTX_free(mac_);
}

bool BusAuthenticator::compute_tag(std::string_view subject, std::span<const uint8_t> message,
                                   std::span<const uint8_t> sequence_and_time,
                                   uint8_t (&tag)[kAuthTagBytes]) {
  // A null key re-initialises with the key set in the constructor.
  if (EVP_MAC_init(mac_, nullptr, 0, nullptr) != 1) return false;
  const uint8_t subject_size[2] = {static_cast<uint8_t>(subject.size()),
                                   static_cast<uint8_t>(subject.size() >> 8)};
  uint8_t full[EVP_MAX_MD_SIZE];
  std::size_t full_size = 0;
  const bool ok =
      EVP_MAC_update(mac_, subject_size, sizeof subject_size) == 1 &&
      EVP_MAC_update(mac_, reinterpret_cast<const uint8_t*>(subject.data()), subject.size()) == 1 &&
      EVP_MAC_update(mac_, message.data(), message.size()) == 1 &&
      EVP_MAC_update(mac_, sequence_and_time.data(), sequence_and_time.size()) == 1 &&
      EVP_MAC_final(mac_, full, &full_size, sizeof full) == 1 && full_size >= kAuthTagBytes;
  if (ok) std::memcpy(tag, full, kAuthTagBytes);
  return ok;
}

void BusAuthenticator::seal(std::string_view subject, std::vector<uint8_t>& message,
                            int64_t now_ms) {
  const std::size_t message_size = message.size();
  put_u64(message, next_sequence_++);
  put_u64(message, static_cast<uint64_t>(now_ms));
  uint8_t tag[kAuthTagBytes] = {};
  const std::span<const uint8_t> all(message);
  // On an OpenSSL failure the zero tag is refused by every receiver: the message is lost, which
  // the bus already tolerates.
  compute_tag(subject, all.first(message_size), all.subspan(message_size), tag);
  message.insert(message.end(), tag, tag + kAuthTagBytes);
}

AuthResult BusAuthenticator::open(std::string_view subject, std::span<const uint8_t> data,
                                  int64_t now_ms, std::span<const uint8_t>& message) {
  if (data.size() < kHeaderBytes + kAuthTrailerBytes || subject.size() > 0xFFFF) {
    return AuthResult::kUnauthenticated;
  }
  const std::size_t message_size = data.size() - kAuthTrailerBytes;
  const std::span<const uint8_t> inner = data.first(message_size);
  const std::span<const uint8_t> sequence_and_time = data.subspan(message_size, 16);
  uint8_t expected[kAuthTagBytes];
  if (!compute_tag(subject, inner, sequence_and_time, expected) ||
      CRYPTO_memcmp(expected, data.data() + message_size + 16, kAuthTagBytes) != 0) {
    return AuthResult::kUnauthenticated;
  }
  const uint64_t sequence = read_u64(sequence_and_time.data());
  const auto sent_at_ms = static_cast<int64_t>(read_u64(sequence_and_time.data() + 8));
  if (sent_at_ms < now_ms - kMaxAgeMs || sent_at_ms > now_ms + kMaxAgeMs) return AuthResult::kStale;
  if (!accept_sequence(read_u64(inner.data() + kNodeIdOffset), sequence, now_ms)) {
    return AuthResult::kReplayed;
  }
  message = inner;
  return AuthResult::kOk;
}

bool BusAuthenticator::accept_sequence(uint64_t sender, uint64_t sequence, int64_t now_ms) {
  if (sequence == 0) return false;  // never sent
  ReplayWindow& window = senders_[sender];
  window.last_heard_ms = now_ms;
  if (sequence > window.highest) {
    const uint64_t advance = sequence - window.highest;
    window.seen = advance >= window.seen.size() ? decltype(window.seen){} : window.seen << advance;
    window.seen.set(0);
    window.highest = sequence;
    return true;
  }
  const uint64_t behind = window.highest - sequence;
  if (behind >= window.seen.size() || window.seen.test(behind)) return false;
  window.seen.set(behind);
  return true;
}

void BusAuthenticator::forget_silent_senders(int64_t now_ms) {
  std::erase_if(senders_, [now_ms](const auto& entry) {
    return now_ms - entry.second.last_heard_ms > 2 * kMaxAgeMs;
  });
}

}  // namespace vc::bus

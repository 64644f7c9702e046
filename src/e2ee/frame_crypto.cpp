#include "e2ee/frame_crypto.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace vc::e2ee {
namespace {

constexpr std::string_view kKeyLabel = "videocall e2ee v1 frame key";
constexpr std::string_view kSaltLabel = "videocall e2ee v1 frame salt";

std::span<const uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

Bytes associated_data(std::span<const uint8_t> routing, std::span<const uint8_t> e2ee_header) {
  Bytes aad;
  aad.reserve(routing.size() + e2ee_header.size());
  put_bytes(aad, routing);
  put_bytes(aad, e2ee_header);
  return aad;
}

}  // namespace

struct FrameKey::Contexts {
  EVP_CIPHER_CTX* encrypt = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* decrypt = EVP_CIPHER_CTX_new();
  ~Contexts() {
    EVP_CIPHER_CTX_free(encrypt);
    EVP_CIPHER_CTX_free(decrypt);
  }
};

std::optional<FrameHeader> parse_frame_header(std::span<const uint8_t> payload) {
  if (payload.size() < kFrameOverheadBytes || payload[0] != kFrameVersion) return std::nullopt;
  FrameHeader header;
  header.key_id = get_u32(payload.subspan<1, 4>());
  header.counter = get_u64(payload.subspan<5, 8>());
  return header;
}

void write_frame_header(const FrameHeader& header, std::span<uint8_t, kFrameHeaderBytes> out) {
  Bytes bytes;
  bytes.push_back(kFrameVersion);
  put_u32(bytes, header.key_id);
  put_u64(bytes, header.counter);
  std::copy(bytes.begin(), bytes.end(), out.begin());
}

Bytes routing_aad(const ::videocall::v1::MediaHeader& header) {
  Bytes out;
  out.reserve(kRoutingAadBytes);
  put_u32(out, static_cast<uint32_t>(header.kind()));
  put_u32(out, header.track_id());
  put_u32(out, header.sequence());
  put_u64(out, header.capture_time_us());
  out.push_back(header.keyframe() ? 1 : 0);
  put_u32(out, header.temporal_layer());
  put_u32(out, header.spatial_layer());
  put_u32(out, header.audio_level());
  put_u32(out, static_cast<uint32_t>(header.codec()));
  put_u32(out, header.width());
  put_u32(out, header.height());
  put_u64(out, header.sender_participant_id());
  return out;
}

FrameKey::FrameKey() : contexts_(std::make_unique<Contexts>()) {}
FrameKey::FrameKey(FrameKey&&) noexcept = default;
FrameKey& FrameKey::operator=(FrameKey&&) noexcept = default;
FrameKey::~FrameKey() = default;

std::optional<FrameKey> FrameKey::derive(const Secret& base_secret) {
  std::array<uint8_t, kFrameKeyBytes> key{};
  FrameKey frame_key;
  if (!frame_key.contexts_->encrypt || !frame_key.contexts_->decrypt) return std::nullopt;
  if (!hkdf_sha256(base_secret, {}, as_bytes(kKeyLabel), key) ||
      !hkdf_sha256(base_secret, {}, as_bytes(kSaltLabel), frame_key.salt_))
    return std::nullopt;
  // The key is set once; each frame only sets its nonce.
  if (EVP_EncryptInit_ex(frame_key.contexts_->encrypt, EVP_aes_128_gcm(), nullptr, key.data(),
                         nullptr) != 1 ||
      EVP_DecryptInit_ex(frame_key.contexts_->decrypt, EVP_aes_128_gcm(), nullptr, key.data(),
                         nullptr) != 1)
    return std::nullopt;
  std::fill(key.begin(), key.end(), 0);
  return frame_key;
}

std::array<uint8_t, kNonceBytes> FrameKey::nonce(uint64_t counter) const {
  std::array<uint8_t, kNonceBytes> nonce = salt_;
  for (int i = 0; i < 8; ++i)
    nonce[kNonceBytes - 1 - i] ^= static_cast<uint8_t>(counter >> (8 * i));
  return nonce;
}

std::optional<Bytes> FrameKey::encrypt(const FrameHeader& header, std::span<const uint8_t> routing,
                                       std::span<const uint8_t> plaintext) {
  Bytes out(kFrameHeaderBytes + plaintext.size() + kTagBytes);
  auto e2ee_header = std::span<uint8_t, kFrameHeaderBytes>(out.data(), kFrameHeaderBytes);
  write_frame_header(header, e2ee_header);
  const Bytes aad = associated_data(routing, e2ee_header);
  const auto iv = nonce(header.counter);
  EVP_CIPHER_CTX* ctx = contexts_->encrypt;
  int length = 0;
  uint8_t* text = out.data() + kFrameHeaderBytes;
  if (EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx, nullptr, &length, aad.data(), static_cast<int>(aad.size())) != 1)
    return std::nullopt;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx, text, &length, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1)
    return std::nullopt;
  if (EVP_EncryptFinal_ex(ctx, text + plaintext.size(), &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, text + plaintext.size()) != 1)
    return std::nullopt;
  return out;
}

std::optional<Bytes> FrameKey::decrypt(const FrameHeader& header, std::span<const uint8_t> routing,
                                       std::span<const uint8_t> payload) {
  if (payload.size() < kFrameOverheadBytes) return std::nullopt;
  const Bytes aad = associated_data(routing, payload.first(kFrameHeaderBytes));
  const auto iv = nonce(header.counter);
  const std::size_t text_bytes = payload.size() - kFrameOverheadBytes;
  const uint8_t* text = payload.data() + kFrameHeaderBytes;
  std::array<uint8_t, kTagBytes> tag{};
  std::copy_n(text + text_bytes, kTagBytes, tag.begin());
  EVP_CIPHER_CTX* ctx = contexts_->decrypt;
  Bytes out(text_bytes);
  int length = 0;
  if (EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_DecryptUpdate(ctx, nullptr, &length, aad.data(), static_cast<int>(aad.size())) != 1)
    return std::nullopt;
  if (text_bytes > 0 &&
      EVP_DecryptUpdate(ctx, out.data(), &length, text, static_cast<int>(text_bytes)) != 1)
    return std::nullopt;
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx, out.data() + text_bytes, &length) != 1)
    return std::nullopt;
  return out;
}

}  // namespace vc::e2ee

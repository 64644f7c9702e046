#include "e2ee/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>

namespace vc::e2ee {
namespace {

struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const EVP_CIPHER* gcm_for(std::size_t key_bytes) {
  if (key_bytes == 16) return EVP_aes_128_gcm();
  if (key_bytes == 32) return EVP_aes_256_gcm();
  return nullptr;
}

}  // namespace

bool random_bytes(std::span<uint8_t> out) {
  return out.empty() || RAND_bytes(out.data(), static_cast<int>(out.size())) == 1;
}

bool hkdf_sha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                 std::span<const uint8_t> info, std::span<uint8_t> out) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0) return false;
  static const uint8_t kEmpty = 0;
  if (EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0) return false;
  if (EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt.empty() ? &kEmpty : salt.data(),
                                  static_cast<int>(salt.size())) <= 0)
    return false;
  if (EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), ikm.data(), static_cast<int>(ikm.size())) <= 0)
    return false;
  if (!info.empty() &&
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), info.data(), static_cast<int>(info.size())) <= 0)
    return false;
  std::size_t length = out.size();
  return EVP_PKEY_derive(ctx.get(), out.data(), &length) > 0 && length == out.size();
}

bool pbkdf2_sha256(std::string_view password, std::span<const uint8_t> salt, uint32_t iterations,
                   std::span<uint8_t> out) {
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                           static_cast<int>(salt.size()), static_cast<int>(iterations),
                           EVP_sha256(), static_cast<int>(out.size()), out.data()) == 1;
}

std::array<uint8_t, 32> sha256(std::span<const uint8_t> data) {
  std::array<uint8_t, 32> digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}

std::optional<Bytes> aes_gcm_seal(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                                  std::span<const uint8_t> aad,
                                  std::span<const uint8_t> plaintext) {
  const EVP_CIPHER* cipher = gcm_for(key.size());
  if (!cipher || nonce.size() != kNonceBytes) return std::nullopt;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key.data(), nonce.data()) != 1)
    return std::nullopt;
  Bytes out(plaintext.size() + kTagBytes);
  int length = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &length, aad.data(), static_cast<int>(aad.size())) != 1)
    return std::nullopt;
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), out.data(), &length, plaintext.data(),
                                              static_cast<int>(plaintext.size())) != 1)
    return std::nullopt;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + plaintext.size(), &length) != 1)
    return std::nullopt;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          out.data() + plaintext.size()) != 1)
    return std::nullopt;
  return out;
}

std::optional<Bytes> aes_gcm_open(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                                  std::span<const uint8_t> aad, std::span<const uint8_t> sealed) {
  const EVP_CIPHER* cipher = gcm_for(key.size());
  if (!cipher || nonce.size() != kNonceBytes || sealed.size() < kTagBytes) return std::nullopt;
  const std::size_t text_bytes = sealed.size() - kTagBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, key.data(), nonce.data()) != 1)
    return std::nullopt;
  Bytes out(text_bytes);
  int length = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &length, aad.data(), static_cast<int>(aad.size())) != 1)
    return std::nullopt;
  if (text_bytes > 0 && EVP_DecryptUpdate(ctx.get(), out.data(), &length, sealed.data(),
                                          static_cast<int>(text_bytes)) != 1)
    return std::nullopt;
  Bytes tag(sealed.begin() + static_cast<std::ptrdiff_t>(text_bytes), sealed.end());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1)
    return std::nullopt;
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + text_bytes, &length) != 1) return std::nullopt;
  return out;
}

std::optional<X25519KeyPair> X25519KeyPair::generate() {
  Secret private_key{};
  if (!random_bytes(private_key)) return std::nullopt;
  return from_private(std::span<const uint8_t, 32>(private_key));
}

std::optional<X25519KeyPair> X25519KeyPair::from_private(std::span<const uint8_t, 32> private_key) {
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), 32));
  if (!key) return std::nullopt;
  X25519KeyPair pair;
  std::copy(private_key.begin(), private_key.end(), pair.private_.begin());
  std::size_t length = pair.public_.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pair.public_.data(), &length) != 1 || length != 32)
    return std::nullopt;
  return pair;
}

std::optional<Secret> X25519KeyPair::agree(std::span<const uint8_t> peer_public) const {
  if (peer_public.size() != kPublicKeyBytes) return std::nullopt;
  Pkey mine(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_.data(), 32));
  Pkey theirs(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(), 32));
  if (!mine || !theirs) return std::nullopt;
  PkeyCtx ctx(EVP_PKEY_CTX_new(mine.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_derive_set_peer(ctx.get(), theirs.get()) <= 0)
    return std::nullopt;
  Secret shared{};
  std::size_t length = shared.size();
  // OpenSSL refuses an all-zero shared secret (a low-order peer key) here.
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &length) <= 0 || length != shared.size())
    return std::nullopt;
  return shared;
}

void put_u32(Bytes& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

void put_u64(Bytes& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

uint32_t get_u32(std::span<const uint8_t, 4> in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) | in[3];
}

uint64_t get_u64(std::span<const uint8_t, 8> in) {
  return (uint64_t{get_u32(in.first<4>())} << 32) | get_u32(in.last<4>());
}

}  // namespace vc::e2ee

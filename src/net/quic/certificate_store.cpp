#include "net/quic/certificate_store.hpp"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <chrono>

#include "common/limits.hpp"

namespace vc::quic {

namespace {

constexpr int64_t kMaxHashCertificateSeconds = 14 * 24 * 3600;  // serverCertificateHashes rule

int64_t seconds(std::chrono::seconds duration) {
  return duration.count();
}

TlsCredentials make_credentials() {
  gnutls_certificate_credentials_t raw = nullptr;
  if (gnutls_certificate_allocate_credentials(&raw) != 0) return nullptr;
  return TlsCredentials(raw, gnutls_certificate_free_credentials);
}

bool hash_der(const gnutls_datum_t& der, std::array<uint8_t, 32>& out) {
  return gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, out.data()) == 0;
}

// Fills hash and validity from a parsed certificate.
bool describe(gnutls_x509_crt_t crt, Certificate& out) {
  gnutls_datum_t der{};
  if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) != 0) return false;
  const bool hashed = hash_der(der, out.sha256);
  gnutls_free(der.data);
  out.not_before = gnutls_x509_crt_get_activation_time(crt);
  out.not_after = gnutls_x509_crt_get_expiration_time(crt);
  unsigned bits = 0;
  const int algorithm = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
  out.hash_usable = hashed && algorithm == GNUTLS_PK_ECDSA &&
                    out.not_after - out.not_before <= kMaxHashCertificateSeconds;
  return hashed;
}

}  // namespace

std::string base64_encode(const uint8_t* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  for (std::size_t i = 0; i < size; i += 3) {
    const uint32_t chunk = (uint32_t{data[i]} << 16) |
                           (i + 1 < size ? uint32_t{data[i + 1]} << 8 : 0) |
                           (i + 2 < size ? uint32_t{data[i + 2]} : 0);
    out.push_back(kAlphabet[(chunk >> 18) & 63]);
    out.push_back(kAlphabet[(chunk >> 12) & 63]);
    out.push_back(i + 1 < size ? kAlphabet[(chunk >> 6) & 63] : '=');
    out.push_back(i + 2 < size ? kAlphabet[chunk & 63] : '=');
  }
  return out;
}

bool mint_certificate(int64_t now, Certificate& out, std::string& error) {
  gnutls_x509_privkey_t key = nullptr;
  gnutls_x509_crt_t crt = nullptr;
  const auto cleanup = [&] {
    if (crt != nullptr) gnutls_x509_crt_deinit(crt);
    if (key != nullptr) gnutls_x509_privkey_deinit(key);
  };
  const auto fail = [&](const char* what, int rv) {
    error = std::string(what) + ": " + gnutls_strerror(rv);
    cleanup();
    return false;
  };
  int rv = gnutls_x509_privkey_init(&key);
  if (rv != 0) return fail("privkey_init", rv);
  rv = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
  if (rv != 0) return fail("privkey_generate", rv);
  rv = gnutls_x509_crt_init(&crt);
  if (rv != 0) return fail("crt_init", rv);
  uint8_t serial[16];
  (void)gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
  serial[0] &= 0x7f;  // positive
  const int64_t not_before = now - seconds(limits::kDevCertificateBackdate);
  const int64_t not_after = now + seconds(limits::kDevCertificateValidity);
  if ((rv = gnutls_x509_crt_set_version(crt, 3)) != 0 ||
      (rv = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) != 0 ||
      (rv = gnutls_x509_crt_set_activation_time(crt, static_cast<time_t>(not_before))) != 0 ||
      (rv = gnutls_x509_crt_set_expiration_time(crt, static_cast<time_t>(not_after))) != 0 ||
      (rv = gnutls_x509_crt_set_dn(crt, "CN=videocall-webtransport", nullptr)) != 0 ||
      (rv = gnutls_x509_crt_set_key(crt, key)) != 0 ||
      (rv = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) != 0 ||
      (rv = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) != 0 ||
      (rv = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) != 0) {
    return fail("certificate", rv);
  }
  out.credentials = make_credentials();
  if (!out.credentials) return fail("allocate_credentials", GNUTLS_E_MEMORY_ERROR);
  rv = gnutls_certificate_set_x509_key(out.credentials.get(), &crt, 1, key);  // copies both
  if (rv < 0) return fail("set_x509_key", rv);
  if (!describe(crt, out)) return fail("hash", GNUTLS_E_INTERNAL_ERROR);
  cleanup();
  return true;
}

std::unique_ptr<CertificateStore> CertificateStore::self_signed(UnixClock clock,
                                                                std::string& error) {
  std::unique_ptr<CertificateStore> store(new CertificateStore(std::move(clock)));
  store->self_signed_ = true;
  const int64_t now = store->clock_();
  if (!mint_certificate(now, store->current_, error) ||
      !mint_certificate(now, store->next_, error)) {
    return nullptr;
  }
  store->rotate_at_ = now + seconds(limits::kDevCertificateRotation);
  return store;
}

std::unique_ptr<CertificateStore> CertificateStore::from_files(const std::string& cert_file,
                                                               const std::string& key_file,
                                                               UnixClock clock,
                                                               std::string& error) {
  std::unique_ptr<CertificateStore> store(new CertificateStore(std::move(clock)));
  Certificate& certificate = store->current_;
  certificate.credentials = make_credentials();
  if (!certificate.credentials) {
    error = "cannot allocate credentials";
    return nullptr;
  }
  int rv = gnutls_certificate_set_x509_key_file(certificate.credentials.get(), cert_file.c_str(),
                                                key_file.c_str(), GNUTLS_X509_FMT_PEM);
  if (rv < 0) {
    error = std::string("loading ") + cert_file + ": " + gnutls_strerror(rv);
    return nullptr;
  }
  // Describe the leaf for hash publication.
  gnutls_datum_t pem{};
  if (gnutls_load_file(cert_file.c_str(), &pem) == 0) {
    gnutls_x509_crt_t crt = nullptr;
    if (gnutls_x509_crt_init(&crt) == 0) {
      if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) == 0) describe(crt, certificate);
      gnutls_x509_crt_deinit(crt);
    }
    gnutls_free(pem.data);
  }
  return store;
}

std::vector<std::string> CertificateStore::published_hashes() const {
  std::vector<std::string> hashes;
  for (const Certificate* certificate : {&current_, &next_}) {
    if (certificate->credentials && certificate->hash_usable) {
      hashes.push_back(base64_encode(certificate->sha256.data(), certificate->sha256.size()));
    }
  }
  return hashes;
}

bool CertificateStore::rotate_if_due() {
  if (!self_signed_) return false;
  const int64_t now = clock_();
  if (now < rotate_at_) return false;
  Certificate minted;
  std::string error;
  if (!mint_certificate(now, minted, error)) return false;  // keep serving; retry next check
  current_ = std::move(next_);
  next_ = std::move(minted);
  rotate_at_ = now + seconds(limits::kDevCertificateRotation);
  return true;
}

}  // namespace vc::quic

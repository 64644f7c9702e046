// TLS certificates for the QUIC endpoint.
//
// Development (no --cert): mints an ECDSA P-256 certificate in-process with GnuTLS, valid for less
// than 14 days (notBefore backdated a few minutes), which browsers accept through
// WebTransport's serverCertificateHashes. It keeps a "next" certificate minted ahead of time and
// publishes both hashes, so a client that fetched the hashes just before a rotation still
// connects. Rotation swaps the credentials for new connections only; live connections keep the
// credentials they were created with (shared ownership).
// Production (--cert/--key): loads the PEM files (the same as TCP TLS). Their hash is published
// only when the certificate qualifies for serverCertificateHashes (ECDSA, at most 14 days).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/quic/quic_connection.hpp"

namespace vc::quic {

using UnixClock = std::function<int64_t()>;  // seconds since the epoch

struct Certificate {
  TlsCredentials credentials;
  std::array<uint8_t, 32> sha256 = {};
  int64_t not_before = 0;
  int64_t not_after = 0;
  bool hash_usable = false;  // qualifies for serverCertificateHashes
};

class CertificateStore {
 public:
  // Dev mode. Returns nullptr (and sets `error`) if GnuTLS cannot mint a certificate.
  static std::unique_ptr<CertificateStore> self_signed(UnixClock clock, std::string& error);
  static std::unique_ptr<CertificateStore> from_files(const std::string& cert_file,
                                                      const std::string& key_file, UnixClock clock,
                                                      std::string& error);

  // Credentials for new connections.
  TlsCredentials credentials() const { return current_.credentials; }
  // Base64 SHA-256 hashes to publish: current then next (dev), or the loaded one if usable.
  std::vector<std::string> published_hashes() const;
  // Dev mode: when the current certificate has served its rotation interval, the next one takes
  // over and a new next is minted. Returns true if it rotated.
  bool rotate_if_due();
  int64_t next_rotation_at() const { return rotate_at_; }
  const Certificate& current() const { return current_; }

 private:
  explicit CertificateStore(UnixClock clock) : clock_(std::move(clock)) {}

  UnixClock clock_;
  bool self_signed_ = false;
  Certificate current_;
  Certificate next_;
  int64_t rotate_at_ = INT64_MAX;
};

// Mints one self-signed ECDSA P-256 certificate valid [now - backdate, now + validity].
bool mint_certificate(int64_t now, Certificate& out, std::string& error);
std::string base64_encode(const uint8_t* data, std::size_t size);

}  // namespace vc::quic

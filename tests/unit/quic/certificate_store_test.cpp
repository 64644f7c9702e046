#include "net/quic/certificate_store.hpp"

#include <gtest/gtest.h>

#include "common/limits.hpp"

namespace vc::quic {
namespace {

constexpr int64_t kDay = 24 * 3600;

TEST(Certificates, MintedCertificateQualifiesForServerCertificateHashes) {
  Certificate certificate;
  std::string error;
  const int64_t now = 1'800'000'000;
  ASSERT_TRUE(mint_certificate(now, certificate, error)) << error;
  EXPECT_TRUE(certificate.hash_usable);
  EXPECT_LT(certificate.not_before, now);  // backdated for clock skew
  EXPECT_LE(certificate.not_after - certificate.not_before, 14 * kDay);
  EXPECT_GT(certificate.not_after, now + 12 * kDay);
  EXPECT_TRUE(certificate.credentials != nullptr);
}

TEST(Certificates, RotationPromotesTheNextCertificateAndKeepsOldCredentialsAlive) {
  int64_t now = 1'800'000'000;
  std::string error;
  auto store = CertificateStore::self_signed([&] { return now; }, error);
  ASSERT_TRUE(store) << error;
  const std::vector<std::string> before = store->published_hashes();
  ASSERT_EQ(before.size(), 2u);  // current and next
  EXPECT_NE(before[0], before[1]);
  const TlsCredentials in_use = store->credentials();  // held by a live connection

  now += kDay;
  EXPECT_FALSE(store->rotate_if_due());
  EXPECT_EQ(store->published_hashes(), before);

  now += std::chrono::duration_cast<std::chrono::seconds>(limits::kDevCertificateRotation).count();
  ASSERT_TRUE(store->rotate_if_due());
  const std::vector<std::string> after = store->published_hashes();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0], before[1]);  // the published "next" is now served
  EXPECT_NE(after[1], before[0]);
  EXPECT_NE(store->credentials().get(), in_use.get());
  EXPECT_EQ(in_use.use_count(), 1);  // only the connection holds the old one, and it still works
  // The certificate being served is still valid now.
  EXPECT_LT(store->current().not_before, now);
  EXPECT_GT(store->current().not_after, now);
}

TEST(Certificates, Base64MatchesRfc4648Vectors) {
  const auto encode = [](std::string_view text) {
    return base64_encode(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  };
  EXPECT_EQ(encode(""), "");
  EXPECT_EQ(encode("f"), "Zg==");
  EXPECT_EQ(encode("fo"), "Zm8=");
  EXPECT_EQ(encode("foo"), "Zm9v");
  EXPECT_EQ(encode("foobar"), "Zm9vYmFy");
}

}  // namespace
}  // namespace vc::quic

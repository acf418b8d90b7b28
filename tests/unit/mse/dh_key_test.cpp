#include "core/mse/dh_key.hpp"

#include <doctest/doctest.h>

#include <string>

#include "core/util/hex.hpp"

using namespace btd;
using namespace btd::mse;

namespace {

const std::string kPrimeHex =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a08798e3404dd"
    "ef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a63a36210000000000090563";

std::array<std::uint8_t, kPrivateKeySize> private_key(std::uint8_t seed) {
  std::array<std::uint8_t, kPrivateKeySize> k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed * 31 + i * 17 + 1);
  return k;
}

std::string bytes_from_hex(const std::string& hex) {
  auto raw = from_hex(hex);
  REQUIRE(raw.has_value());
  return *raw;
}

}  // namespace

TEST_CASE("DH public key: 2^x mod P, 96 bytes big-endian, zero-padded") {
  std::array<std::uint8_t, kPrivateKeySize> one{};
  one.back() = 1;
  DhBytes expected{};
  expected.back() = 2;
  CHECK(DhKey(one).public_key() == expected);

  std::array<std::uint8_t, kPrivateKeySize> ten{};
  ten.back() = 10;
  expected.back() = 0;
  expected[kDhKeySize - 2] = 0x04;  // 2^10 = 0x0400
  CHECK(DhKey(ten).public_key() == expected);
}

TEST_CASE("both sides of a DH exchange reach the same 96-byte secret") {
  const DhKey a(private_key(1));
  const DhKey b(private_key(2));
  auto sa = a.shared_secret(as_view(b.public_key()));
  auto sb = b.shared_secret(as_view(a.public_key()));
  REQUIRE(sa.ok());
  REQUIRE(sb.ok());
  CHECK(*sa == *sb);
  CHECK(a.public_key() != b.public_key());
  const DhKey c(private_key(3));
  CHECK(*c.shared_secret(as_view(a.public_key())) != *sa);
}

TEST_CASE("DH refuses public keys that make the secret predictable or are not 96 bytes") {
  const DhKey a(private_key(1));
  const std::string prime = bytes_from_hex(kPrimeHex);
  REQUIRE(prime.size() == kDhKeySize);
  std::string zero(kDhKeySize, '\0');
  std::string one = zero;
  one.back() = 1;
  std::string prime_minus_one = prime;
  prime_minus_one.back() = static_cast<char>(0x62);
  std::string all_ones(kDhKeySize, '\xff');
  for (const std::string& bad : {zero, one, prime_minus_one, prime, all_ones}) {
    auto s = a.shared_secret(bad);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().is(Errc::protocol_error));
  }
  CHECK_FALSE(a.shared_secret(std::string(95, '\x01')).ok());
  CHECK_FALSE(a.shared_secret(std::string(97, '\x01')).ok());
  std::string two = zero;
  two.back() = 2;
  CHECK(a.shared_secret(two).ok());
  std::string prime_minus_two = prime;
  prime_minus_two.back() = static_cast<char>(0x61);
  CHECK(a.shared_secret(prime_minus_two).ok());
}

#include "core/metadata/metadata_assembler.hpp"

#include <doctest/doctest.h>

#include <string>

#include "core/wire/ut_metadata.hpp"

using namespace btd;

namespace {

// Metadata of `size` bytes that is not just one repeated byte, so a piece copied to the wrong
// offset breaks the hash.
std::string metadata(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>(i * 7 + i / 16384);
  return out;
}

std::string_view piece_of(const std::string& m, std::uint32_t piece) {
  return std::string_view(m).substr(std::size_t{piece} * 16384, wire::metadata_piece_size(m.size(), piece));
}

const PeerKey kA{1};
const PeerKey kB{2};
const PeerKey kC{3};

}  // namespace

TEST_CASE("metadata assembler refuses sizes of 0 and above 30 MiB") {
  auto zero = MetadataAssembler::create(sha1("x"), 0);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.error().is(Errc::limit_exceeded));
  auto big = MetadataAssembler::create(sha1("x"), 30 * 1024 * 1024 + 1);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message.find("metadata_size 31457281 exceeds") != std::string::npos);
  auto max = MetadataAssembler::create(sha1("x"), 30 * 1024 * 1024);
  REQUIRE(max.ok());
  CHECK(max->piece_count() == 1920);
}

TEST_CASE("metadata assembler collects pieces from several peers and checks the info-hash") {
  const std::string m = metadata(40000);  // 3 pieces, the last 7232 bytes
  auto a = MetadataAssembler::create(sha1(m), m.size());
  REQUIRE(a.ok());
  CHECK(a->piece_count() == 3);
  // Each peer gets a piece nobody else was asked for.
  CHECK(a->next_request(kA) == 0u);
  CHECK(a->next_request(kB) == 1u);
  CHECK(a->next_request(kA) == 2u);
  CHECK(a->outstanding(kA) == 2);
  CHECK(a->outstanding(kB) == 1);
  // Arrival order does not matter.
  auto r2 = a->on_data(kA, 2, piece_of(m, 2));
  REQUIRE(r2.ok());
  CHECK(r2->status == MetadataPieceStatus::stored);
  auto r0 = a->on_data(kA, 0, piece_of(m, 0));
  REQUIRE(r0.ok());
  CHECK(r0->status == MetadataPieceStatus::stored);
  CHECK_FALSE(a->complete());
  CHECK(a->take_metadata().empty());  // nothing before it is verified
  auto r1 = a->on_data(kB, 1, piece_of(m, 1));
  REQUIRE(r1.ok());
  CHECK(r1->status == MetadataPieceStatus::complete);
  CHECK(a->complete());
  CHECK_FALSE(a->next_request(kC).has_value());
  CHECK(a->take_metadata() == m);
}

TEST_CASE("metadata assembler hands a piece to a second peer only when every piece is asked for") {
  const std::string m = metadata(20000);  // 2 pieces
  auto a = MetadataAssembler::create(sha1(m), m.size());
  REQUIRE(a.ok());
  CHECK(a->next_request(kA) == 0u);
  CHECK(a->next_request(kB) == 1u);
  // All asked: C doubles up, on the first piece asked of fewest peers, then on the other one.
  CHECK(a->next_request(kC) == 0u);
  CHECK(a->next_request(kC) == 1u);
  CHECK_FALSE(a->next_request(kC).has_value());  // never the same piece twice to one peer
}

TEST_CASE("a rejected or abandoned request frees the piece for the next peer") {
  const std::string m = metadata(20000);
  auto a = MetadataAssembler::create(sha1(m), m.size());
  REQUIRE(a.ok());
  CHECK(a->next_request(kA) == 0u);
  CHECK(a->next_request(kA) == 1u);
  a->on_reject(kA, 1);
  a->on_reject(kA, 99);  // out of range: nothing to free, no crash
  CHECK(a->outstanding(kA) == 1);
  CHECK(a->next_request(kB) == 1u);  // free again, so no double-up on piece 0
  a->on_peer_gone(kA);
  CHECK(a->outstanding(kA) == 0);
  CHECK(a->next_request(kC) == 0u);
  // A's answer after it was given up on is not taken.
  auto late = a->on_data(kA, 0, piece_of(m, 0));
  REQUIRE(late.ok());
  CHECK(late->status == MetadataPieceStatus::ignored);
  CHECK(a->pieces_received() == 0);
}

TEST_CASE("metadata pieces out of range, of the wrong length, unasked or repeated are not stored") {
  const std::string m = metadata(20000);
  auto a = MetadataAssembler::create(sha1(m), m.size());
  REQUIRE(a.ok());
  REQUIRE(a->next_request(kA) == 0u);
  auto out_of_range = a->on_data(kA, 2, "x");
  REQUIRE_FALSE(out_of_range.ok());
  CHECK(out_of_range.error().is(Errc::protocol_error));
  CHECK(out_of_range.error().message.find("piece 2, but 20000 bytes of metadata have 2 pieces") != std::string::npos);
  auto short_piece = a->on_data(kA, 0, piece_of(m, 0).substr(1));
  REQUIRE_FALSE(short_piece.ok());
  CHECK(short_piece.error().message.find("16383 bytes, expected 16384") != std::string::npos);
  auto long_last = a->on_data(kA, 1, std::string(20000 - 16384 + 1, 'x'));
  REQUIRE_FALSE(long_last.ok());
  CHECK(long_last.error().message.find("expected 3616") != std::string::npos);
  auto unasked = a->on_data(kB, 1, piece_of(m, 1));
  REQUIRE(unasked.ok());
  CHECK(unasked->status == MetadataPieceStatus::ignored);
  REQUIRE(a->on_data(kA, 0, piece_of(m, 0))->status == MetadataPieceStatus::stored);
  auto again = a->on_data(kA, 0, piece_of(m, 0));
  REQUIRE(again.ok());
  CHECK(again->status == MetadataPieceStatus::ignored);
  CHECK(a->pieces_received() == 1);
}

TEST_CASE("metadata that fails the info-hash is discarded and its senders named, then fetched again") {
  const std::string m = metadata(40000);
  auto a = MetadataAssembler::create(sha1(m), m.size());
  REQUIRE(a.ok());
  std::string bad(piece_of(m, 1));
  bad[100] ^= 1;
  REQUIRE(a->next_request(kA) == 0u);
  REQUIRE(a->next_request(kB) == 1u);
  REQUIRE(a->next_request(kA) == 2u);
  REQUIRE(a->next_request(kC) == 0u);  // asked twice; only A's answer is used
  REQUIRE(a->on_data(kA, 0, piece_of(m, 0))->status == MetadataPieceStatus::stored);
  REQUIRE(a->on_data(kB, 1, bad)->status == MetadataPieceStatus::stored);
  auto r = a->on_data(kA, 2, piece_of(m, 2));
  REQUIRE(r.ok());
  CHECK(r->status == MetadataPieceStatus::hash_failed);
  CHECK(r->senders == std::vector<PeerKey>{kA, kB});
  CHECK_FALSE(a->complete());
  CHECK(a->pieces_received() == 0);
  CHECK(a->outstanding(kC) == 0);  // every request is forgotten with the data
  // Start over with C alone.
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto next = a->next_request(kC);
    REQUIRE(next == i);
    auto got = a->on_data(kC, i, piece_of(m, i));
    REQUIRE(got.ok());
    CHECK(got->status == (i < 2 ? MetadataPieceStatus::stored : MetadataPieceStatus::complete));
  }
  CHECK(a->take_metadata() == m);
}

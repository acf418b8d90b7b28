#pragma once
// Builders for .torrent fixtures in the metainfo tests: small, literal and easy to break on purpose.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/bencode/value.hpp"

namespace btd::fixture {

inline constexpr std::int64_t kPiece = 16384;

// n distinct 20-byte "hashes": piece i is 20 bytes of value i % 251 + 1.
inline std::string hashes(std::size_t n) {
  std::string s;
  s.reserve(n * 20);
  for (std::size_t i = 0; i < n; ++i) s.append(20, static_cast<char>(i % 251 + 1));
  return s;
}

inline std::size_t pieces_for(std::int64_t total, std::int64_t piece_length = kPiece) {
  return total == 0 ? 0 : static_cast<std::size_t>((total - 1) / piece_length + 1);
}

inline bencode::List path(std::initializer_list<std::string_view> parts) {
  bencode::List l;
  for (std::string_view p : parts) l.emplace_back(p);
  return l;
}

inline bencode::Dict file(std::int64_t length, bencode::List p, std::string_view attr = {}) {
  bencode::Dict d{{"length", length}, {"path", std::move(p)}};
  if (!attr.empty()) d["attr"] = attr;
  return d;
}

inline bencode::Dict single_info(std::int64_t length = 100, std::string_view name = "file.bin",
                                 std::int64_t piece_length = kPiece) {
  return {{"length", length},
          {"name", name},
          {"piece length", piece_length},
          {"pieces", hashes(pieces_for(length, piece_length))}};
}

// A multi-file info dict whose pieces match the files' total length.
inline bencode::Dict multi_info(bencode::List files, std::string_view name = "dir",
                                std::int64_t piece_length = kPiece) {
  std::int64_t total = 0;
  for (const auto& f : files) {
    const auto& d = std::get<bencode::Dict>(f.variant());
    total += std::get<std::int64_t>(d.at("length").variant());
  }
  return {{"files", std::move(files)},
          {"name", name},
          {"piece length", piece_length},
          {"pieces", hashes(pieces_for(total, piece_length))}};
}

inline std::string torrent(bencode::Dict info, bencode::Dict root = {}) {
  root["info"] = std::move(info);
  if (root.find("announce") == root.end()) root["announce"] = "http://tracker.example/announce";
  return bencode::encode(root);
}

inline bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

}  // namespace btd::fixture

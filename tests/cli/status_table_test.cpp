#include "cli/status_table.hpp"

#include <sstream>
#include <vector>

#include <doctest/doctest.h>

using namespace btd::cli;
using nlohmann::json;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A torrent.status result as RPC.md describes it, written out as the daemon would send it.
const char* const kTwoTorrents = R"({"torrents":[
  {"id":"0123456789abcdef0123456789abcdef01234567","name":"debian-12.5.0-amd64-netinst.iso",
   "state":"downloading","progress":0.452,"size":659554304,"piece_length":262144,"pieces":2516,
   "pieces_have":1137,"downloaded":298000000,"uploaded":1000,"download_rate":1572864,
   "upload_rate":0,"peers":12,"seeds":9,"eta_s":230,"download_dir":"/srv/dl","error":null,
   "added_at":1700000000,"trackers":[]},
  {"id":"fedcba9876543210fedcba9876543210fedcba98","name":"archive",
   "state":"fetching_metadata","progress":0.0,"size":0,"peers":0,"seeds":0,"eta_s":null,
   "download_rate":0,"upload_rate":0,"error":null}
]})";

}  // namespace

TEST_CASE("status table has every column and a row per torrent") {
  const auto lines = lines_of(render_status_table(json::parse(kTwoTorrents), 200));
  REQUIRE(lines.size() == 3);
  for (const char* header : {"ID", "NAME", "STATE", "PROGRESS", "SIZE", "DOWN", "UP", "PEERS", "ETA"})
    CHECK(lines[0].find(header) != std::string::npos);
  const std::string& row = lines[1];
  CHECK(row.rfind("01234567  debian-12.5.0-amd64-netinst.iso", 0) == 0);
  CHECK(row.find("downloading") != std::string::npos);
  CHECK(row.find("[#########...........]  45.2%") != std::string::npos);
  CHECK(row.find("629.00 MiB") != std::string::npos);
  CHECK(row.find("1.50 MiB/s") != std::string::npos);
  CHECK(row.find("0 B/s") != std::string::npos);
  CHECK(row.find(" 12 ") != std::string::npos);
  CHECK(row.find("3m 50s") != std::string::npos);
  // Columns line up: the header's PROGRESS starts where the bars do.
  CHECK(lines[0].find("PROGRESS") == row.find('['));
  CHECK(lines[0].find("PROGRESS") == lines[2].find('['));
}

TEST_CASE("status table: unknown ETA and unknown size are '-'") {
  const auto lines = lines_of(render_status_table(json::parse(kTwoTorrents), 200));
  REQUIRE(lines.size() == 3);
  const std::string& row = lines[2];
  CHECK(row.find("metadata") != std::string::npos);
  CHECK(row.size() >= 1);
  CHECK(row.back() == '-');  // ETA, the last column, right-aligned
  CHECK(row.find("  -  ") != std::string::npos);  // SIZE
}

TEST_CASE("status table: a long name is truncated so lines fit the width") {
  json result = json::parse(kTwoTorrents);
  result["torrents"][0]["name"] = std::string(300, 'n');
  for (std::size_t width : {120u, 100u, 90u}) {
    const auto lines = lines_of(render_status_table(result, width));
    REQUIRE(lines.size() == 3);
    for (const auto& line : lines) CHECK(display_width(line) <= width);
    CHECK(lines[1].find("nnn...") != std::string::npos);
  }
  // A name that must be cut anyway gets a short bar; on a very narrow terminal, none.
  CHECK(lines_of(render_status_table(result, 120))[1].find(" [####......]  45.2%") != std::string::npos);
  CHECK(lines_of(render_status_table(result, 100))[1].find(" [####......]  45.2%") != std::string::npos);
  const auto narrow = lines_of(render_status_table(result, 90));
  CHECK(narrow[1].find('[') == std::string::npos);
  CHECK(narrow[1].find(" 45.2%") != std::string::npos);
  // When everything fits, nothing is cut.
  const auto wide = lines_of(render_status_table(json::parse(kTwoTorrents), 400));
  CHECK(wide[1].find("debian-12.5.0-amd64-netinst.iso  downloading") != std::string::npos);
}

TEST_CASE("status table: the bar shrinks so that a name can show in full") {
  const json result = json::parse(kTwoTorrents);
  const std::string name = "debian-12.5.0-amd64-netinst.iso";
  const auto wide = lines_of(render_status_table(result, 200));
  CHECK(wide[1].find("[#########...........]") != std::string::npos);
  CHECK(display_width(wide[1]) > 130);
  const auto normal = lines_of(render_status_table(result, 130));
  CHECK(normal[1].find(name + "  downloading") != std::string::npos);
  CHECK(normal[1].find("[####......]") != std::string::npos);
  for (const auto& line : normal) CHECK(display_width(line) <= 130);
}

TEST_CASE("status table: the name keeps a floor even on a very narrow terminal") {
  json result = json::parse(kTwoTorrents);
  result["torrents"][0]["name"] = std::string(300, 'n');
  const auto lines = lines_of(render_status_table(result, 20));
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].find("nnnnn...") != std::string::npos);
  CHECK(lines[1].find("nnnnnn") == std::string::npos);
}

TEST_CASE("status table: torrents in error get a line with their message") {
  json result = json::parse(kTwoTorrents);
  result["torrents"][1]["state"] = "error";
  result["torrents"][1]["error"] = "cannot write /srv/dl/archive: No space left on device";
  const auto lines = lines_of(render_status_table(result, 200));
  REQUIRE(lines.size() == 4);
  CHECK(lines[3] == "fedcba98: error: cannot write /srv/dl/archive: No space left on device");
  // A long message is printed whole and does not squeeze the table.
  result["torrents"][1]["error"] = std::string(500, 'e');
  const auto long_lines = lines_of(render_status_table(result, 200));
  REQUIRE(long_lines.size() == 4);
  CHECK(long_lines[1].find("[#########...........]") != std::string::npos);
  CHECK(long_lines[3].size() == 8 + 9 + 500);
}

TEST_CASE("status table: empty list, missing and mistyped fields do not throw") {
  CHECK(render_status_table(json::parse(R"({"torrents":[]})"), 120) == "no torrents\n");
  CHECK(render_status_table(json::parse(R"({})"), 120) == "no torrents\n");
  CHECK(render_status_table(json::parse(R"([1,2])"), 120) == "no torrents\n");
  const json odd = json::parse(R"({"torrents":[{"name":7,"progress":"half","size":-1,
      "peers":1e300,"eta_s":"soon"}, 5]})");
  std::string text;
  CHECK_NOTHROW(text = render_status_table(odd, 120));
  CHECK(lines_of(text).size() == 3);
}

TEST_CASE("names cannot smuggle terminal escapes") {
  json result = json::parse(kTwoTorrents);
  result["torrents"][0]["name"] = "evil\x1b]0;pwned\x07\xc2\x9b" "31m\xff";
  const std::string text = render_status_table(result, 200);
  CHECK(text.find('\x1b') == std::string::npos);
  CHECK(text.find('\x07') == std::string::npos);
  CHECK(text.find("evil?]0;pwned??31m?") != std::string::npos);
}

TEST_CASE("sanitize keeps valid UTF-8 and counts code points") {
  CHECK(sanitize_for_terminal("Gr\xc3\xbc\xc3\x9f\x65 \xe6\x97\xa5\xf0\x9f\x98\x80") ==
        "Gr\xc3\xbc\xc3\x9f\x65 \xe6\x97\xa5\xf0\x9f\x98\x80");
  CHECK(display_width("Gr\xc3\xbc\xc3\x9f\x65") == 5);
  CHECK(sanitize_for_terminal("a\tb\nc\x7f") == "a?b?c?");
  CHECK(sanitize_for_terminal("\xc0\xaf") == "??");          // overlong '/'
  CHECK(sanitize_for_terminal("\xed\xa0\x80") == "???");     // surrogate
  CHECK(sanitize_for_terminal("\xe6\x97") == "??");          // cut sequence
  CHECK(sanitize_for_terminal("\xf4\x90\x80\x80") == "????");  // past U+10FFFF
}

TEST_CASE("truncation cuts at code point boundaries") {
  CHECK(truncate_to_width("abcdefghij", 10) == "abcdefghij");
  CHECK(truncate_to_width("abcdefghij", 9) == "abcdef...");
  CHECK(truncate_to_width("\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc", 4) == "\xc3\xbc...");
  CHECK(truncate_to_width("abcdef", 3) == "...");
  CHECK(truncate_to_width("abcdef", 0) == "");
}

TEST_CASE("all_complete: seeding or progress 1.0 for every shown torrent") {
  CHECK_FALSE(all_complete(json::parse(kTwoTorrents)));
  CHECK(all_complete(json::parse(R"({"torrents":[{"state":"seeding","progress":1.0},
      {"state":"paused","progress":1.0}]})")));
  CHECK_FALSE(all_complete(json::parse(R"({"torrents":[{"state":"seeding","progress":1.0},
      {"state":"checking","progress":0.99}]})")));
  CHECK(all_complete(json::parse(R"({"torrents":[]})")));
}

TEST_CASE("peers table") {
  const json result = json::parse(R"({"peers":[
      {"address":"192.0.2.7:6881","client":"qBittorrent 4.6.2","progress":1.0,
       "download_rate":2048,"upload_rate":0,"flags":"D E"},
      {"address":"[2001:db8::1]:51413","client":"","progress":0.25,
       "download_rate":0,"upload_rate":512,"flags":"u"}]})");
  const auto lines = lines_of(render_peers_table(result, 120));
  REQUIRE(lines.size() == 3);
  for (const char* header : {"ADDRESS", "CLIENT", "PROGRESS", "DOWN", "UP", "FLAGS"})
    CHECK(lines[0].find(header) != std::string::npos);
  CHECK(lines[1].find("192.0.2.7:6881") == 0);
  CHECK(lines[1].find("qBittorrent 4.6.2") == lines[0].find("CLIENT"));
  CHECK(lines[1].find("100.0%") != std::string::npos);
  CHECK(lines[1].find("2.00 KiB/s") != std::string::npos);
  CHECK(lines[2].find(" 25.0%") != std::string::npos);
  CHECK(lines[2].find("512 B/s") != std::string::npos);
  CHECK(render_peers_table(json::parse(R"({"peers":[]})"), 120) == "no peers\n");
}

TEST_CASE("files table") {
  const json result = json::parse(R"({"files":[
      {"index":0,"path":"album/01 - intro.flac","size":31457280,"progress":0.5,"priority":"high","wanted":true},
      {"index":2,"path":"album/cover.jpg","size":1000,"progress":1.0,"priority":"skip","wanted":false}]})");
  const auto lines = lines_of(render_files_table(result, 120));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].rfind("#", 0) == 0);
  CHECK(lines[0].find("PATH") != std::string::npos);
  CHECK(lines[0].find("PRIORITY") != std::string::npos);
  CHECK(lines[1].rfind("0", 0) == 0);
  CHECK(lines[1].find("album/01 - intro.flac") != std::string::npos);
  CHECK(lines[1].find("high") != std::string::npos);
  CHECK(lines[2].rfind("2", 0) == 0);
  CHECK(lines[2].find("skip") != std::string::npos);
  CHECK(lines[1].find("30.00 MiB") != std::string::npos);
  CHECK(lines[1].find("[##########..........]  50.0%") != std::string::npos);
  CHECK(lines[2].find("[####################] 100.0%") != std::string::npos);
  CHECK(render_files_table(json::parse(R"({"files":[]})"), 120) == "no files\n");
}

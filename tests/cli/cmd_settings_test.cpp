#include "cli/cmd_settings.hpp"

#include <doctest/doctest.h>

using namespace btd::cli;

namespace {

RpcRequest request(const std::vector<std::string>& words) {
  auto r = build_set_request(words);
  REQUIRE_MESSAGE(std::holds_alternative<RpcRequest>(r), std::get<std::string>(r));
  return std::get<RpcRequest>(r);
}

std::string refusal(const std::vector<std::string>& words) {
  auto r = build_set_request(words);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("btctl set without an ID changes the daemon's settings") {
  auto r = request({"--down-limit", "10M", "--up-limit=512K", "--max-peers", "200", "--max-peers-per-torrent", "30",
                    "--log-level", "debug"});
  CHECK(r.method == "session.set");
  CHECK(r.params == nlohmann::json{{"download_rate_limit", 10485760},
                                   {"upload_rate_limit", 524288},
                                   {"max_connections", 200},
                                   {"max_connections_per_torrent", 30},
                                   {"log_level", "debug"}});
  CHECK(request({"--down-limit", "unlimited"}).params == nlohmann::json{{"download_rate_limit", 0}});
  CHECK(request({"--up-limit", "0"}).params == nlohmann::json{{"upload_rate_limit", 0}});
}

TEST_CASE("btctl set ID changes one torrent") {
  auto r = request({"abcdef12", "--down-limit", "1M", "--max-peers", "0"});
  CHECK(r.method == "torrent.set");
  CHECK(r.params == nlohmann::json{{"id", "abcdef12"}, {"download_rate_limit", 1048576}, {"max_connections", 0}});
}

TEST_CASE("btctl set refuses what it cannot send, naming it") {
  CHECK(refusal({}) == "set needs at least one setting to change");
  CHECK(refusal({"abcdef12"}) == "set needs at least one setting to change");
  CHECK(refusal({"--down-limit", "fast"}).find("--down-limit \"fast\"") != std::string::npos);
  CHECK(refusal({"--up-limit", "-5"}).find("--up-limit \"-5\"") != std::string::npos);
  CHECK(refusal({"--max-peers", "0"}).find("--max-peers \"0\"") != std::string::npos);
  CHECK(refusal({"--max-peers", "ten"}).find("--max-peers \"ten\"") != std::string::npos);
  CHECK(refusal({"id1", "--log-level", "debug"}).find("--log-level is a daemon setting") != std::string::npos);
  CHECK(refusal({"id1", "--max-peers-per-torrent", "5"}).find("daemon setting") != std::string::npos);
  CHECK(refusal({"a", "b", "--max-peers", "5"}) == "set takes at most one torrent ID");
  CHECK_FALSE(refusal({"--colour", "red"}).empty());
}

TEST_CASE("settings print for people") {
  const std::string text = format_settings({{"download_rate_limit", 1048576}, {"upload_rate_limit", 0},
                                            {"max_connections", 500}, {"max_connections_per_torrent", 50},
                                            {"log_level", "info"}});
  CHECK(text.find("Download limit:         1 MiB/s\n") != std::string::npos);
  CHECK(text.find("Upload limit:           unlimited\n") != std::string::npos);
  CHECK(text.find("Max peers per torrent:  50\n") != std::string::npos);
  CHECK(text.find("Log level:              info\n") != std::string::npos);
  const std::string t = format_torrent_limits({{"id", "ab"}, {"download_rate_limit", 524288},
                                               {"upload_rate_limit", 0}, {"max_connections", nullptr}});
  CHECK(t == "ab\nDownload limit:  512 KiB/s\nUpload limit:    unlimited\nMax peers:       daemon default\n");
}

TEST_CASE("set --dht on|off is a daemon setting; settings show it") {
  auto r = build_set_request({"--dht", "off"});
  REQUIRE(std::holds_alternative<RpcRequest>(r));
  CHECK(std::get<RpcRequest>(r).method == "session.set");
  CHECK(std::get<RpcRequest>(r).params == nlohmann::json{{"dht", false}});
  auto on = build_set_request({"--dht", "on"});
  REQUIRE(std::holds_alternative<RpcRequest>(on));
  CHECK(std::get<RpcRequest>(on).params == nlohmann::json{{"dht", true}});
  auto bad = build_set_request({"--dht", "yes"});
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK(std::get<std::string>(bad).find("not on or off") != std::string::npos);
  auto per_torrent = build_set_request({"abcdef", "--dht", "off"});
  REQUIRE(std::holds_alternative<std::string>(per_torrent));
  CHECK(std::get<std::string>(per_torrent).find("daemon setting") != std::string::npos);

  CHECK(format_settings({{"dht", true}, {"dht_bootstrap_nodes", {"a:1", "b:2"}}}).find(
            "DHT:                    on (2 bootstrap nodes)\n") != std::string::npos);
  CHECK(format_settings({{"dht", false}, {"dht_bootstrap_nodes", {"a:1"}}}).find("DHT:                    off\n") !=
        std::string::npos);
}

TEST_CASE("set --pex on|off is a daemon setting; settings show it") {
  auto off = build_set_request({"--pex", "off"});
  REQUIRE(std::holds_alternative<RpcRequest>(off));
  CHECK(std::get<RpcRequest>(off).method == "session.set");
  CHECK(std::get<RpcRequest>(off).params == nlohmann::json{{"pex", false}});
  auto on = build_set_request({"--pex", "on"});
  REQUIRE(std::holds_alternative<RpcRequest>(on));
  CHECK(std::get<RpcRequest>(on).params == nlohmann::json{{"pex", true}});
  auto bad = build_set_request({"--pex", "1"});
  REQUIRE(std::holds_alternative<std::string>(bad));
  CHECK(std::get<std::string>(bad) == "--pex \"1\" is not on or off");
  auto per_torrent = build_set_request({"abcdef", "--pex", "off"});
  REQUIRE(std::holds_alternative<std::string>(per_torrent));
  CHECK(std::get<std::string>(per_torrent).find("daemon setting") != std::string::npos);

  CHECK(format_settings({{"pex", true}}).find("PEX:                    on\n") != std::string::npos);
  CHECK(format_settings({{"pex", false}}).find("PEX:                    off\n") != std::string::npos);
  CHECK(format_settings(nlohmann::json::object()).find("PEX:                    -\n") != std::string::npos);
}

TEST_CASE("set --encryption MODE is a daemon setting; settings show it") {
  auto r = build_set_request({"--encryption", "required"});
  REQUIRE(std::holds_alternative<RpcRequest>(r));
  CHECK(std::get<RpcRequest>(r).method == "session.set");
  CHECK(std::get<RpcRequest>(r).params == nlohmann::json{{"encryption", "required"}});
  auto per_torrent = build_set_request({"abcdef", "--encryption", "required"});
  REQUIRE(std::holds_alternative<std::string>(per_torrent));
  CHECK(std::get<std::string>(per_torrent).find("daemon setting") != std::string::npos);
  CHECK(format_settings({{"encryption", "prefer_plaintext"}}).find("Encryption:             prefer_plaintext\n") !=
        std::string::npos);
  CHECK(format_settings(nlohmann::json::object()).find("Encryption:             -\n") != std::string::npos);
}

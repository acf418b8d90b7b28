#include "cli/args.hpp"

#include <doctest/doctest.h>

using btd::cli::Args;

TEST_CASE("options before, between and after positionals") {
  Args a({"dir", "-o", "out.torrent", "--tracker", "t1", "--tracker=t2", "--private"},
         {{"output", true, false, 'o'}, {"tracker", true, true, 't'}, {"private", false, false, 'p'}});
  REQUIRE(a.ok());
  CHECK(a.positional() == std::vector<std::string>{"dir"});
  CHECK(a.value("output") == "out.torrent");
  CHECK(a.values("tracker") == std::vector<std::string>{"t1", "t2"});
  CHECK(a.flag("private"));
}

TEST_CASE("usage errors name the option") {
  CHECK(Args({"--nope"}, {}).error() == "unknown option --nope");
  CHECK(Args({"--out"}, {{"out", true}}).error() == "option --out needs a value");
  CHECK(Args({"--out=a", "--out=b"}, {{"out", true}}).error() == "option --out given more than once");
  CHECK(Args({"--flag=1"}, {{"flag", false}}).error() == "option --flag takes no value");
}

TEST_CASE("a double dash ends options and a lone dash is positional") {
  Args a({"--", "--private", "-"}, {{"private", false}});
  REQUIRE(a.ok());
  CHECK(a.positional() == std::vector<std::string>{"--private", "-"});
  CHECK_FALSE(a.flag("private"));
}

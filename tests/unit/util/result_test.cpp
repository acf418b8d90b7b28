#include "core/util/result.hpp"

#include <doctest/doctest.h>

using namespace btd;

TEST_CASE("result carries a value or an error with its category") {
  Result<int> good = 7;
  CHECK(good.ok());
  CHECK(*good == 7);
  Result<int> bad = Error(Errc::invalid_metainfo, "no info dict");
  CHECK_FALSE(bad.ok());
  CHECK(bad.error().is(Errc::invalid_metainfo));
  CHECK(bad.error().code.category().name() == std::string("btd"));
  CHECK(bad.error().message == "no info dict");
  Result<void> nothing;
  CHECK(nothing.ok());
}

#include "cli/progress_bar.hpp"

#include <cmath>
#include <limits>

#include <doctest/doctest.h>

using namespace btd::cli;

TEST_CASE("progress bar at 0, one half and done") {
  CHECK(render_progress_bar(0.0, 10) == "[..........]");
  CHECK(render_progress_bar(0.5, 10) == "[#####.....]");
  CHECK(render_progress_bar(1.0, 10) == "[##########]");
  CHECK(render_progress_bar(0.452, 20) == "[#########...........]");
  CHECK(render_progress_bar(0.5, 0) == "[]");
}

TEST_CASE("progress bar rounds down: full only when complete") {
  CHECK(render_progress_bar(0.99, 10) == "[#########.]");
  CHECK(render_progress_bar(0.09, 10) == "[..........]");
  CHECK(format_percent(0.9999) == " 99.9%");
  CHECK(format_percent(0.452) == " 45.2%");
  CHECK(format_percent(0.0) == "  0.0%");
  CHECK(format_percent(1.0) == "100.0%");
}

TEST_CASE("out-of-range, NaN and infinite progress are clamped") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(render_progress_bar(-0.5, 4) == "[....]");
  CHECK(render_progress_bar(7.0, 4) == "[####]");
  CHECK(render_progress_bar(nan, 4) == "[....]");
  CHECK(render_progress_bar(inf, 4) == "[####]");
  CHECK(render_progress_bar(-inf, 4) == "[....]");
  CHECK(format_percent(nan) == "  0.0%");
  CHECK(format_percent(2.5) == "100.0%");
  CHECK(format_percent(-1.0) == "  0.0%");
  CHECK(clamp_progress(nan) == 0.0);
}

TEST_CASE("bar and percentage together have a fixed width") {
  CHECK(render_progress(0.5, 10) == "[#####.....]  50.0%");
  CHECK(render_progress(0.0, 10).size() == 19);
  CHECK(render_progress(1.0, 10).size() == 19);
}

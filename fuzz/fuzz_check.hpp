#pragma once
// Invariant checks for the fuzz targets. Unlike assert() they stay on in every build type, and
// they abort so that libFuzzer records the input as a crash and saves the reproducer.
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);   \
      std::abort();                                                                       \
    }                                                                                     \
  } while (false)

namespace btd::fuzz {

inline std::string_view as_view(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace btd::fuzz

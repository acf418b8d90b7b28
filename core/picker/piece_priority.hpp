#pragma once
// How much a piece is wanted. `now` is what get-piece asks for: such pieces go before all
// others and are requested from every peer that has them.
#include <cstdint>

namespace btd {

enum class Priority : std::uint8_t { skip, normal, high, now };

}  // namespace btd

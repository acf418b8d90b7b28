#pragma once
// PeerKey: the caller's handle for one peer connection, as the picker and choker see it. It is
// not the 20-byte wire peer id (two connections may claim the same one); the session layer
// hands out a fresh key per connection.
#include "core/util/strong_index.hpp"

namespace btd {

using PeerKey = StrongIndex<struct PeerKeyTag>;

}  // namespace btd

#pragma once
// What a stream client asked for in its request (/v1/stream, /v1/events).
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tickerd {

struct stream_request {
    std::vector<std::size_t> symbols;  // empty: all
    std::uint64_t since = 0;
    unsigned max_hz = 0;               // 0: no cap
};

}  // namespace tickerd

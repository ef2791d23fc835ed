#pragma once
// The two ways a page can follow the stream, as counted in the metrics and the hub.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tickerd {

enum class stream_transport : std::uint8_t { websocket, sse };
inline constexpr std::size_t stream_transport_count = 2;
constexpr std::string_view to_string(stream_transport t) { return t == stream_transport::websocket ? "websocket" : "sse"; }

}  // namespace tickerd

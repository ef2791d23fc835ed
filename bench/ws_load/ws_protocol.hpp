#pragma once
// The client side of RFC 6455 that the load client needs, as pure functions on
// bytes: the upgrade request, the check of the answer, frame parsing and masked
// control frames. No sockets here.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ws_load {

enum class opcode : std::uint8_t { continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10 };

std::string upgrade_request(std::string_view host, std::uint16_t port, std::string_view path);

enum class upgrade_status { incomplete, accepted, refused };
// Looks at the start of the server's answer; on accepted or refused,
// header_bytes is the length of the status line and headers (through the blank line).
upgrade_status check_upgrade_response(std::string_view data, std::size_t& header_bytes);

struct frame {
    opcode op = opcode::text;
    bool fin = true;
    std::string_view payload;  // points into the parsed buffer
};

enum class frame_status { complete, incomplete, bad };
// One frame from the start of data; on complete, consumed is its total size.
// A masked frame (servers must not mask) or one over max_payload is bad.
frame_status parse_frame(std::string_view data, std::size_t max_payload, frame& out, std::size_t& consumed);

// A client frame (FIN set, masked with mask_key) carrying payload (at most 125 bytes: control frames).
std::string masked_control_frame(opcode op, std::string_view payload, std::uint32_t mask_key);

}  // namespace ws_load

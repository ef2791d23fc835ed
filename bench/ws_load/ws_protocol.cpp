#include "ws_protocol.hpp"

namespace ws_load {

std::string upgrade_request(std::string_view host, std::uint16_t port, std::string_view path) {
    std::string req;
    req.reserve(256);
    req.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host).append(":");
    req.append(std::to_string(port));
    // A fixed key (16 bytes in base64, as RFC 6455 requires): the load client does not check Sec-WebSocket-Accept, only the 101.
    req.append(
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    return req;
}

upgrade_status check_upgrade_response(std::string_view data, std::size_t& header_bytes) {
    const auto end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) return upgrade_status::incomplete;
    header_bytes = end + 4;
    const std::string_view status_line = data.substr(0, data.find("\r\n"));
    // "HTTP/1.1 101 Switching Protocols"
    const auto sp = status_line.find(' ');
    if (sp == std::string_view::npos || status_line.substr(sp + 1, 3) != "101") return upgrade_status::refused;
    return upgrade_status::accepted;
}

frame_status parse_frame(std::string_view data, std::size_t max_payload, frame& out, std::size_t& consumed) {
    if (data.size() < 2) return frame_status::incomplete;
    const auto b0 = static_cast<std::uint8_t>(data[0]);
    const auto b1 = static_cast<std::uint8_t>(data[1]);
    if (b1 & 0x80) return frame_status::bad;
    std::size_t header = 2;
    std::uint64_t len = b1 & 0x7f;
    if (len == 126) {
        if (data.size() < 4) return frame_status::incomplete;
        len = (std::uint64_t{static_cast<std::uint8_t>(data[2])} << 8) | static_cast<std::uint8_t>(data[3]);
        header = 4;
    } else if (len == 127) {
        if (data.size() < 10) return frame_status::incomplete;
        len = 0;
        for (std::size_t i = 2; i < 10; ++i) len = (len << 8) | static_cast<std::uint8_t>(data[i]);
        header = 10;
    }
    if (len > max_payload) return frame_status::bad;
    if (data.size() - header < len) return frame_status::incomplete;
    out.fin = (b0 & 0x80) != 0;
    out.op = static_cast<opcode>(b0 & 0x0f);
    out.payload = data.substr(header, static_cast<std::size_t>(len));
    consumed = header + static_cast<std::size_t>(len);
    return frame_status::complete;
}

std::string masked_control_frame(opcode op, std::string_view payload, std::uint32_t mask_key) {
    if (payload.size() > 125) payload = payload.substr(0, 125);
    std::string f;
    f.reserve(6 + payload.size());
    f.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(op)));
    f.push_back(static_cast<char>(0x80 | payload.size()));
    const char key[4] = {static_cast<char>(mask_key >> 24), static_cast<char>(mask_key >> 16),
                         static_cast<char>(mask_key >> 8), static_cast<char>(mask_key)};
    f.append(key, 4);
    for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
    return f;
}

}  // namespace ws_load

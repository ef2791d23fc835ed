#pragma once
// A deliberately crude WebSocket client on a plain POSIX socket, for hostile
// tests: it sends whatever frames it is told (binary, fragmented, oversized,
// bad UTF-8), never answers pings, and can stop reading altogether. Every
// wait is bounded.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tickerd::test {

struct raw_frame {
    unsigned opcode = 0;  // 1 text, 2 binary, 8 close, 9 ping, 10 pong
    bool fin = true;
    std::string payload;
    // For a close frame: the code (0 when it carries none).
    unsigned close_code() const;
};

class raw_socket {
public:
    raw_socket() = default;
    ~raw_socket();
    raw_socket(raw_socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)), in_(std::move(o.in_)) {}
    raw_socket(const raw_socket&) = delete;
    raw_socket& operator=(const raw_socket&) = delete;

    // Connects to 127.0.0.1:port; `rcvbuf` > 0 sets SO_RCVBUF before connecting. Throws on failure.
    void connect(std::uint16_t port, int rcvbuf = 0);
    void send_all(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(2));
    // Reads up to `max` bytes that arrive within `timeout`; empty on timeout; nullopt on EOF or error.
    std::optional<std::string> read_some(std::chrono::milliseconds timeout, std::size_t max = 65536);
    // Reads until the peer closes (EOF or reset) or `timeout`; true when it closed.
    bool wait_eof(std::chrono::milliseconds timeout);
    // The HTTP response head and body read until the peer closes (for refused or malformed requests).
    std::string read_to_eof(std::chrono::milliseconds timeout);
    // The kernel says the connection is gone (RST received or FIN after everything), without reading data.
    bool peer_gone() const;
    int fd() const { return fd_; }
    void close();

    // WebSocket: sends an upgrade for `target` with `extra` header lines ("Name: value\r\n"),
    // reads exactly the response head; returns the status code (101 when upgraded).
    unsigned ws_upgrade(std::string_view target, std::string_view extra = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // One masked client frame.
    void send_frame(unsigned opcode, std::string_view payload, bool fin = true);
    // The next frame from the server; nullopt on timeout, EOF or error.
    std::optional<raw_frame> read_frame(std::chrono::milliseconds timeout);
    // Reads frames until a close frame (its code), or EOF without one (0); nullopt on timeout.
    // Text frames read meanwhile are appended to `texts` when given.
    std::optional<unsigned> wait_close(std::chrono::milliseconds timeout, std::vector<std::string>* texts = nullptr);

private:
    bool fill(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string in_;  // bytes read but not consumed
    bool eof_ = false;
};

}  // namespace tickerd::test

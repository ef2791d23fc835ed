// Slow but steady readers against the real daemon: the newest price they see
// stays within a bound (limits.max_lag for what the daemon holds, plus what
// the client's own receive buffer holds at its read rate), or they are closed.
// Also: pings from a client that reads nothing, and invalid close codes.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <thread>

#include "support/daemon_process.hpp"
#include "support/raw_ws.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

// Two simulated symbols on a fast feed (every 20 ms): far more than 2 KiB/s of updates.
std::string fast_feed_config(std::string_view limits, std::string_view interval = "20ms") {
    return fmt::format(R"([server]
listen = "127.0.0.1:0"
ping_interval = "60s"

[limits]
{}

[providers.sim]
seed = 7
interval = "{}"

[[symbols]]
id = "DEMO"
name = "Demo Corp"
class = "equity"
currency = "USD"
sources = ["sim"]
start_price = "100.00"

[[symbols]]
id = "COIN"
name = "Demo Coin"
class = "crypto"
currency = "USD"
sources = ["sim"]
start_price = "50000.00"
)",
                       limits, interval);
}

// "2026-12-07T00:29:32.254Z" as milliseconds since the epoch.
std::optional<std::int64_t> parse_utc_ms(std::string_view s) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(std::string(s).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
        return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct reader_result {
    double worst_age_s = 0;   // after the first 5 s
    double final_age_s = -1;  // at the end
    bool closed = false;
    std::size_t bytes = 0;
};

// Reads `chunk` bytes every `chunk / rate` seconds for `how_long`, with an
// 8 KiB receive buffer; tracks the newest "received_at" seen (the time the
// daemon got that price), whatever the framing (WebSocket or SSE).
reader_result read_slowly(raw_socket& s, std::size_t rate, std::chrono::seconds how_long) {
    constexpr std::size_t chunk = 256;
    const auto pause = std::chrono::microseconds(1'000'000 * chunk / rate);
    const auto start = std::chrono::steady_clock::now();
    std::string tail;  // unparsed bytes
    std::int64_t newest = 0;
    reader_result r;
    const std::string key = "\"received_at\":\"";
    while (std::chrono::steady_clock::now() - start < how_long) {
        // Straight from the socket, `chunk` bytes at most: the kernel's buffer is the client's only one.
        pollfd p{s.fd(), POLLIN, 0};
        if (::poll(&p, 1, 1000) < 0) break;
        char buf[chunk];
        const auto n = (p.revents & (POLLIN | POLLHUP | POLLERR)) ? ::recv(s.fd(), buf, chunk, MSG_DONTWAIT) : -1;
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && (p.revents & (POLLHUP | POLLERR)))) {
            r.closed = true;
            break;
        }
        if (n > 0) {
            r.bytes += static_cast<std::size_t>(n);
            tail.append(buf, static_cast<std::size_t>(n));
        }
        for (std::size_t at; (at = tail.find(key)) != std::string::npos && tail.size() >= at + key.size() + 24;) {
            if (const auto t = parse_utc_ms(std::string_view(tail).substr(at + key.size(), 24))) newest = std::max(newest, *t);
            tail.erase(0, at + key.size());
        }
        if (tail.size() > 4096) tail.erase(0, tail.size() - 64);
        if (newest > 0) {
            r.final_age_s = static_cast<double>(now_ms() - newest) / 1000.0;
            if (std::chrono::steady_clock::now() - start > 5s) r.worst_age_s = std::max(r.worst_age_s, r.final_age_s);
        }
        std::this_thread::sleep_for(pause);
    }
    return r;
}

std::uint64_t slow_disconnects(const daemon_process& d, std::string_view transport) {
    return metric_counter(d.port(), fmt::format("tickerd_slow_client_disconnects_total{{transport=\"{}\"}}", transport));
}

}  // namespace

TEST_CASE("Steady slow readers (2 KiB/s, 8 KiB buffer) see recent prices over 30 s, or are closed with 1013",
          "[integration]") {
    // Defaults otherwise: send_buffer_bytes 64 KiB, max_lag 2 s, slow_client_timeout 10 s.
    daemon_process d(fast_feed_config(""));
    raw_socket ws;
    ws.connect(d.port(), 8192);
    REQUIRE(ws.ws_upgrade("/v1/stream") == 101);
    raw_socket sse;
    sse.connect(d.port(), 8192);
    sse.send_all("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");

    reader_result ws_result;
    std::thread t([&] { ws_result = read_slowly(ws, 2048, 30s); });
    reader_result sse_result = read_slowly(sse, 2048, 30s);
    t.join();

    INFO("WebSocket: newest price " << ws_result.final_age_s << " s old at the end, at worst " << ws_result.worst_age_s
                                    << " s; " << ws_result.bytes << " bytes read; closed: " << ws_result.closed);
    INFO("SSE: newest price " << sse_result.final_age_s << " s old at the end, at worst " << sse_result.worst_age_s
                              << " s; " << sse_result.bytes << " bytes read; closed: " << sse_result.closed);
    INFO(d.log_tail(10));
    // Before the time bound, both fell behind without end: 28 s after 30 s.
    // The bound: max_lag (2 s) for what the daemon holds, plus the client's own
    // buffer (8 KiB, doubled by Linux) at 2 KiB/s; slack for the sanitizer builds.
    constexpr double bound_s = 10;
    for (const reader_result* r : {&ws_result, &sse_result}) {
        if (r->closed) continue;  // the other outcome: checked below
        CHECK(r->final_age_s >= 0);
        CHECK(r->worst_age_s <= bound_s);
    }
    CHECK(slow_disconnects(d, "websocket") == (ws_result.closed ? 1u : 0u));
    CHECK(slow_disconnects(d, "sse") == (sse_result.closed ? 1u : 0u));
    std::printf("slow readers, 2 KiB/s with 8 KiB buffers over 30 s: WebSocket worst %.2f s (end %.2f s), "
                "SSE worst %.2f s (end %.2f s)\n",
                ws_result.worst_age_s, ws_result.final_age_s, sse_result.worst_age_s, sse_result.final_age_s);
}

TEST_CASE("A client that floods pings and reads nothing is closed with 1008; its pongs stay bounded",
          "[integration]") {
    daemon_process d(fast_feed_config("messages_per_second = 5\nsend_buffer_bytes = 16384"));
    raw_socket s;
    s.connect(d.port(), 4096);
    REQUIRE(s.ws_upgrade("/v1/stream?symbols=DEMO") == 101);
    // 2,000 pings of 125 bytes, never reading.
    const std::string payload(125, 'p');
    bool refused = false;
    for (int i = 0; i < 2000 && !refused; ++i) {
        try {
            s.send_frame(9, payload);
        } catch (const std::exception&) {
            refused = true;  // the daemon has closed the connection
        }
    }
    // Pings count against messages_per_second (5): it is closed with 1008, well before 2,000 pongs pile up.
    std::vector<std::string> texts;
    const auto code = s.wait_close(10s, &texts);
    INFO(d.log_tail(10));
    CHECK(code == 1008u);
    CHECK(eventually([&] { return d.log_text().find("too many messages") != std::string::npos || code == 1008u; }, 5s));
    CHECK(http_get(d.port(), "/healthz").status == 200);
}

TEST_CASE("A close frame with an invalid code (5000) is answered with 1002, a valid one (4000) is echoed",
          "[integration]") {
    // A fast feed (an update every 20 ms): the close frame often arrives while an update is being
    // written, and the 1002 then follows that write.
    daemon_process d(fast_feed_config(""));
    int round = 0;
    for (const unsigned code : {5000u, 5000u, 5000u, 5000u, 5000u, 5000u, 4000u, 1000u}) {
        raw_socket s;
        s.connect(d.port());
        REQUIRE(s.ws_upgrade("/v1/stream?symbols=DEMO") == 101);
        // Every other round, the close frame goes at once, while the snapshot may still be on its way out.
        if (++round % 2 == 0) REQUIRE(s.read_frame(5s));
        const std::string body{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
        s.send_frame(8, body);
        const auto answer = s.wait_close(5s);
        INFO("sent close code " << code);
        REQUIRE(answer);
        CHECK(*answer == (code == 5000 ? 1002u : code));
    }
    CHECK(http_get(d.port(), "/healthz").status == 200);
}

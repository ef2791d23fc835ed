// Hostile clients against the real daemon: every case of the issue's Clients list.
// Each one checks how the daemon answers (close code, status, error message) and
// that a well-behaved WebSocket client connected meanwhile keeps getting updates.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/raw_ws.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

// Two simulated symbols changing every 100 ms; short timeouts so the slow cases stay quick.
std::string hostile_config() {
    return R"([server]
listen = "127.0.0.1:0"
ping_interval = "500ms"

[limits]
idle_timeout = "1s"
handshake_timeout = "1s"
messages_per_second = 5
max_message_bytes = 4096

[providers.sim]
seed = 7
interval = "100ms"

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
)";
}

// A client that behaves: it must keep receiving updates whatever the others do.
struct bystander {
    ws_client ws;
    explicit bystander(std::uint16_t port) {
        ws.connect(port, "/v1/stream");
        REQUIRE(json_doc(ws.read_json(5s)).str("/type") == "snapshot");
    }
    void still_served() {
        const auto deadline = std::chrono::steady_clock::now() + 3s;
        bool got = false;
        while (!got && std::chrono::steady_clock::now() < deadline) {
            auto m = ws.try_read(500ms);
            if (m && json_doc(*m).str("/type") == "update") got = true;
        }
        CHECK_FALSE(ws.closed());
        CHECK(got);
    }
};

// Reads nothing until the bytes waiting on our side stop growing (the daemon
// sends no more); returns them, or 0 if they never settle within 10 s.
int wait_until_unread_steady(const raw_socket& s) {
    int last = -1;
    const bool steady = eventually(
        [&] {
            int n = 0;
            ioctl(s.fd(), FIONREAD, &n);
            const bool same = n > 0 && n == last;
            last = n;
            return same;
        },
        10s, 500ms);
    return steady ? last : 0;
}

// Upgrades a raw client and reads its snapshot.
void open_stream(raw_socket& s, std::uint16_t port) {
    s.connect(port);
    REQUIRE(s.ws_upgrade("/v1/stream?symbols=DEMO") == 101);
    auto f = s.read_frame(5s);
    REQUIRE(f);
    REQUIRE(f->opcode == 1);
    REQUIRE(json_doc(f->payload).str("/type") == "snapshot");
}

// The next text frame that is not an update or heartbeat.
std::optional<json_doc> next_reply(raw_socket& s, std::chrono::milliseconds timeout = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        auto f = s.read_frame(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
        if (!f) return std::nullopt;
        if (f->opcode != 1) continue;
        json_doc j(f->payload);
        const auto type = j.str("/type");
        if (type != "update" && type != "heartbeat") return j;
    }
    return std::nullopt;
}

std::uint64_t coalesced(const daemon_process& d) { return metric_counter(d.port(), "tickerd_updates_coalesced_total"); }

// Waits until `n` more quote changes have been replaced unsent (a client that reads nothing, only
// one here, gets no more writes: its changes are conflated).
bool wait_conflating(const daemon_process& d, std::uint64_t n = 4) {
    const auto before = coalesced(d);
    return eventually([&] { return coalesced(d) >= before + n; }, 10s, 50ms);
}

bool healthy(const daemon_process& d) { return http_get(d.port(), "/healthz").status == 200; }

}  // namespace

TEST_CASE("Hostile WebSocket messages: invalid JSON and unknown ops get errors, the link stays up", "[integration]") {
    daemon_process d(hostile_config());
    bystander good(d.port());
    raw_socket s;
    open_stream(s, d.port());
    for (const char* bad : {"{not json", "[]", R"({"op":"explode","symbols":["DEMO"]})", R"({"op":"subscribe"})",
                            R"({"op":"subscribe","symbols":["DEMO"],"max_hz":-1})"}) {
        INFO(bad);
        s.send_frame(1, bad);
        auto reply = next_reply(s);
        REQUIRE(reply);
        CHECK(reply->str("/type") == "error");
        CHECK(reply->str("/code") == "bad_request");
    }
    // Still usable afterwards. (Six messages at once: within the burst of messages_per_second = 5, 2 s worth.)
    s.send_frame(1, R"({"op":"subscribe","symbols":["COIN"]})");
    auto snap = next_reply(s);
    REQUIRE(snap);
    CHECK(snap->str("/type") == "snapshot");
    CHECK(snap->symbols() == std::vector<std::string>{"COIN"});
    good.still_served();
}

TEST_CASE("Hostile WebSocket frames: binary 1003, oversized 1009, bad UTF-8 1007, fragments reassembled",
          "[integration]") {
    daemon_process d(hostile_config());
    bystander good(d.port());

    SECTION("a binary frame is closed with 1003") {
        raw_socket s;
        open_stream(s, d.port());
        s.send_frame(2, std::string("\x00\x01\x02", 3));
        CHECK(s.wait_close(3s) == 1003u);
    }
    SECTION("a message over max_message_bytes is closed with 1009") {
        raw_socket s;
        open_stream(s, d.port());
        s.send_frame(1, std::string(5000, ' '));
        CHECK(s.wait_close(3s) == 1009u);
    }
    SECTION("a fragmented message growing over max_message_bytes is closed with 1009") {
        raw_socket s;
        open_stream(s, d.port());
        s.send_frame(1, std::string(1000, ' '), false);
        for (int i = 0; i < 5; ++i) s.send_frame(0, std::string(1000, ' '), false);
        CHECK(s.wait_close(3s) == 1009u);
    }
    SECTION("a fragmented valid message is reassembled and answered") {
        raw_socket s;
        open_stream(s, d.port());
        s.send_frame(1, R"({"op":"subscr)", false);
        s.send_frame(0, R"(ibe","symbols")", false);
        s.send_frame(0, R"(:["COIN"]})", true);
        auto snap = next_reply(s);
        REQUIRE(snap);
        CHECK(snap->str("/type") == "snapshot");
    }
    SECTION("invalid UTF-8 in a text frame is closed with 1007") {
        raw_socket s;
        open_stream(s, d.port());
        s.send_frame(1, std::string("{\"op\":\"\xff\xfe\"}"));
        CHECK(s.wait_close(3s) == 1007u);
    }
    SECTION("a stray continuation frame is a protocol error (1002)") {
        raw_socket s;
        open_stream(s, d.port());
        s.send_frame(0, "x", true);
        CHECK(s.wait_close(3s) == 1002u);
    }
    good.still_served();
    CHECK(healthy(d));
}

TEST_CASE("A subscribe flood is warned with rate_limited, then closed with 1008", "[integration]") {
    daemon_process d(hostile_config());
    bystander good(d.port());
    raw_socket s;
    open_stream(s, d.port());
    for (int i = 0; i < 20; ++i) s.send_frame(1, R"({"op":"subscribe","symbols":["DEMO"]})");
    std::vector<std::string> texts;
    CHECK(s.wait_close(5s, &texts) == 1008u);
    bool warned = false;
    for (const auto& t : texts) warned = warned || t.find(R"("code":"rate_limited")") != std::string::npos;
    CHECK(warned);
    good.still_served();
}

TEST_CASE("Half-open connections are dropped: a silent TCP peer after idle_timeout, a pong-less WebSocket",
          "[integration]") {
    daemon_process d(hostile_config());
    bystander good(d.port());
    raw_socket silent;
    silent.connect(d.port());  // sends no request at all
    raw_socket partial;
    partial.connect(d.port());
    partial.send_all("GET /v1/snapshot HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
    raw_socket mute;
    open_stream(mute, d.port());  // reads, but never answers pings (ping_interval 500ms: closed after ~1s)
    const auto start = std::chrono::steady_clock::now();
    CHECK(silent.wait_eof(5s));
    CHECK(partial.wait_eof(5s));
    CHECK(mute.wait_close(5s) == 1013u);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    good.still_served();
}

TEST_CASE("Malformed HTTP requests get 400 or 431 and the daemon stays healthy", "[integration]") {
    daemon_process d(hostile_config());
    bystander good(d.port());
    struct probe {
        std::string request;
        std::string status;
    };
    const std::vector<probe> probes{
        {"GARBAGE\r\n\r\n", "400"},
        {"GET / HTTP/x.y\r\n\r\n", "400"},
        {"GET /v1/snapshot HTTP/1.1\r\nBad Header\r\n\r\n", "400"},
        {"GET /v1/snapshot HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n", "431"},
        {std::string("GET /\x01\x02 HTTP/1.1\r\n\r\n"), "400"},
        {"GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", ""},  // no key
        // Framing (RFC 9112 §6): the length must be known, or the rest would be read as a second request.
        {"GET /v1/snapshot HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef", "400"},
        {"GET /v1/snapshot HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n"
         "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
        {"GET /v1/snapshot HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", "400"},
        {"GET /v1/snapshot HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
         "0\r\n\r\n", "400"},
        // No body to continue with: 417 at once, not silence until the idle timeout.
        {"GET /v1/snapshot HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n", "417"},
    };
    for (const auto& p : probes) {
        INFO(p.request.substr(0, 60));
        raw_socket s;
        s.connect(d.port());
        s.send_all(p.request);
        const std::string reply = s.read_to_eof(5s);
        if (!p.status.empty()) CHECK(reply.substr(0, 12) == "HTTP/1.1 " + p.status);
        // One answer, then the connection is closed: nothing after the bad request is served.
        CHECK(reply.find("HTTP/1.1", 1) == std::string::npos);
        CHECK(healthy(d));
    }
    good.still_served();
}

TEST_CASE("Path traversal on static paths never leaves the web root", "[integration]") {
    daemon_process d(hostile_config());
    bystander good(d.port());
    for (const char* target : {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2f..%2fetc/passwd",
                               "/static/../../README.md", "//etc/passwd", "/%00/etc/passwd"}) {
        INFO(target);
        auto r = http_get(d.port(), target);
        CHECK((r.status == 404 || r.status == 400));
        CHECK(r.body.find("root:") == std::string::npos);
    }
    good.still_served();
}

TEST_CASE("A slow reader over its queue budget is closed with 1013, and so is a reader of nothing", "[integration]") {
    std::string cfg = hostile_config();
    cfg.replace(cfg.find("[limits]\n"), 9, "[limits]\nsend_buffer_bytes = 4096\nslow_client_timeout = \"10s\"\n");
    // Pings every 500 ms would drop a client that reads nothing for a second; here it must stay until the budget speaks.
    cfg.replace(cfg.find("ping_interval = \"500ms\""), 24, "max_queued_messages = 1\nping_interval = \"30s\"");
    daemon_process d(cfg);
    bystander good(d.port());

    raw_socket slow;
    slow.connect(d.port(), 4096);
    REQUIRE(slow.ws_upgrade("/v1/stream") == 101);
    // Stop reading until the daemon can write no more.
    const int waiting = wait_until_unread_steady(slow);
    REQUIRE(waiting > 0);
    INFO("bytes waiting unread: " << waiting);
    // Our window is closed; the daemon's send buffer (send_buffer_bytes) fills next, at about 5 KB/s, until
    // the daemon writes no more and conflates instead. slow_client_timeout (10 s) leaves ample margin.
    REQUIRE(wait_conflating(d));
    // Each subscribe is answered with a snapshot; with the socket full they queue, and the second is over budget.
    for (int i = 0; i < 3; ++i) slow.send_frame(1, R"({"op":"subscribe","symbols":[]})");
    REQUIRE(eventually([&] { return d.log_text().find("bytes queued): closing with 1013") != std::string::npos; }, 5s));
    // Reading again: the write in flight completes, then the close frame arrives.
    std::vector<std::string> texts;
    const auto code = slow.wait_close(5s, &texts);
    INFO("messages read before the close: " << texts.size() << "\n" << d.log_tail(10));
    CHECK(code == 1013u);

    raw_socket mute;
    mute.connect(d.port(), 4096);
    REQUIRE(mute.ws_upgrade("/v1/stream") == 101);
    // Never reads: the daemon soon writes no more (its first few KiB fill our buffer), and after
    // slow_client_timeout (10 s) of taking nothing it closes the connection with 1013.
    CHECK(eventually(
        [&] {
            const auto log = d.log_text();
            return log.find("bytes unacknowledged for 10") != std::string::npos ||
                   log.find("bytes behind at") != std::string::npos;
        },
        30s, 200ms));
    // Reading at last: the updates it missed, then the close frame; then the end of the stream.
    std::vector<std::string> missed;
    CHECK(mute.wait_close(5s, &missed) == 1013u);
    INFO("updates read before the close: " << missed.size());
    CHECK(!missed.empty());
    CHECK(mute.wait_eof(5s));
    good.still_served();
}

TEST_CASE("A client that stops reading for less than slow_client_timeout catches up with the latest prices",
          "[integration]") {
    std::string cfg = hostile_config();
    cfg.replace(cfg.find("[limits]\n"), 9, "[limits]\nsend_buffer_bytes = 4096\nslow_client_timeout = \"10s\"\n");
    cfg.replace(cfg.find("ping_interval = \"500ms\""), 24, "ping_interval = \"30s\"");
    daemon_process d(cfg);
    raw_socket paused;
    paused.connect(d.port(), 4096);
    REQUIRE(paused.ws_upgrade("/v1/stream") == 101);
    // Not reading until the daemon has stopped sending.
    REQUIRE(wait_until_unread_steady(paused) > 0);
    REQUIRE(wait_conflating(d, 20));  // prices move on meanwhile (every 100 ms): 20 changes replaced unsent
    const json_doc snap(http_get(d.port(), "/v1/snapshot").body);
    std::map<std::string, std::uint64_t> want;
    for (std::size_t i = 0; i < snap.size("/quotes"); ++i) {
        want[snap.str(fmt::format("/quotes/{}/symbol", i))] = snap.u64(fmt::format("/quotes/{}/seq", i));
    }
    REQUIRE(want.size() == 2);
    // Reading again: what was waiting, then the latest price of each symbol, and no close.
    std::map<std::string, std::uint64_t> seen;
    bool caught_up = false;
    bool closed = false;
    std::size_t frames = 0;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!caught_up && !closed && std::chrono::steady_clock::now() < deadline) {
        const auto f = paused.read_frame(1s);
        if (!f) continue;
        ++frames;
        if (f->opcode == 8) closed = true;
        if (f->opcode != 1) continue;
        const json_doc m(f->payload);
        if (!m.has("/quotes")) continue;
        for (std::size_t i = 0; i < m.size("/quotes"); ++i) {
            auto& s = seen[m.str(fmt::format("/quotes/{}/symbol", i))];
            s = std::max(s, m.u64(fmt::format("/quotes/{}/seq", i)));
        }
        caught_up = std::all_of(want.begin(), want.end(), [&](const auto& w) { return seen[w.first] >= w.second; });
    }
    INFO("frames read: " << frames << "\n" << d.log_tail(10));
    CHECK(caught_up);
    CHECK_FALSE(closed);
    CHECK(d.log_text().find("too slow") == std::string::npos);
}

namespace {

std::uint64_t slow_disconnects(const daemon_process& d, std::string_view transport) {
    return metric_counter(d.port(), fmt::format("tickerd_slow_client_disconnects_total{{transport=\"{}\"}}", transport));
}

}  // namespace

TEST_CASE("SSE clients that read nothing are closed after slow_client_timeout and counted", "[integration]") {
    std::string cfg = hostile_config();
    cfg.replace(cfg.find("[limits]\n"), 9, "[limits]\nslow_client_timeout = \"2s\"\nmax_connections_per_ip = 200\n");
    cfg.replace(cfg.find("interval = \"100ms\""), 18, "interval = \"20ms\"");  // a fast feed
    daemon_process d(cfg);
    bystander good(d.port());
    constexpr int n = 100;
    std::vector<raw_socket> mute(n);
    for (auto& s : mute) {
        s.connect(d.port(), 4096);
        s.send_all("GET /v1/events HTTP/1.1\r\nHost: x\r\n\r\n");
    }
    const auto started = std::chrono::steady_clock::now();
    // Never read: each is written no more than a quarter of its send buffer ahead,
    // then closed once slow_client_timeout (2 s) has passed with nothing taken.
    CHECK(eventually(
        [&] {
            while (good.ws.try_read(1ms)) {}  // the bystander keeps reading meanwhile
            return slow_disconnects(d, "sse") >= n;
        },
        30s, 200ms));
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    INFO("all " << n << " closed after " << took.count() << " ms");
    // 2 s, plus the time to fill each buffer up to the gate (about 40 KB at some 15 KB/s); slack for sanitizers.
    CHECK(took < 15s);
    CHECK(slow_disconnects(d, "sse") == n);
    CHECK(slow_disconnects(d, "websocket") == 0);  // the bystander reads
    for (auto& s : mute) CHECK(s.peer_gone());
    good.still_served();
    CHECK(healthy(d));
}

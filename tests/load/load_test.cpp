// Load test (loopback only, bounded in time): 2,000 WebSocket clients read a
// fast simulated feed while 200 more connect and never read a byte (a 4 KiB
// SO_RCVBUF and no reads at all). It asserts that
//  - the daemon's RSS (VmRSS from /proc/PID/status, sampled every 100 ms) stays under rss_bound_mb,
//  - every reading client ends up with every symbol's latest price (the seq of
//    each symbol in a /v1/snapshot taken after the non-readers were dealt with),
//  - every non-reader is closed with 1013: the daemon stops writing to a client
//    whose unread bytes pass a quarter of its send buffer, closes it after
//    limits.slow_client_timeout (seen without reading: /healthz "clients" falls
//    back to the number of readers, and the slow-client counter in /metrics
//    counts every non-reader), and each non-reader, reading at last, finds the
//    close frame with code 1013 behind the updates it had not read.
// Figures (RSS, fan-out time, clients) are printed. In a sanitizer build the
// RSS is printed but not bounded (shadow memory and quarantine are the sanitizer's).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/resource.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "support/daemon_process.hpp"
#include "support/raw_ws.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

// In a sanitizer build (10-20x slower) the same test runs a fifth of the clients:
// there it looks for memory and thread errors, not capacity.
constexpr std::size_t scale = TICKERD_SANITIZED ? 5 : 1;
constexpr std::size_t readers = 2000 / scale;
constexpr std::size_t non_readers = 200 / scale;
constexpr std::size_t symbols = 10;
constexpr std::size_t rss_bound_mb = 128;  // measured peak: about 40 MB

std::string load_config() {
    std::string cfg = R"([server]
listen = "127.0.0.1:0"
threads = 2

[limits]
max_connections = 5000
max_connections_per_ip = 0
slow_client_timeout = "2s"
handshake_timeout = "2s"
send_buffer_bytes = 16384

[providers.sim]
seed = 11
interval = "200ms"
)";
    for (std::size_t i = 0; i < symbols; ++i) {
        cfg += fmt::format(R"(
[[symbols]]
id = "S{0}"
name = "Symbol {0}"
class = "crypto"
currency = "USD"
sources = ["sim"]
start_price = "{1}.00"
)",
                           i, 100 + i * 10);
    }
    return cfg;
}

std::size_t rss_kb(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
    }
    return 0;
}

void raise_fd_limit() {
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
}

// The highest seq seen per symbol index ("S3" -> 3), from the quote objects of a message.
void take_seqs(std::string_view msg, std::vector<std::uint64_t>& seen) {
    std::size_t pos = 0;
    static constexpr std::string_view sym_key = "\"symbol\":\"S";
    static constexpr std::string_view seq_key = "\"seq\":";
    while ((pos = msg.find(sym_key, pos)) != std::string_view::npos) {
        pos += sym_key.size();
        std::size_t idx = 0;
        while (pos < msg.size() && msg[pos] >= '0' && msg[pos] <= '9') idx = idx * 10 + static_cast<std::size_t>(msg[pos++] - '0');
        const auto s = msg.find(seq_key, pos);
        if (s == std::string_view::npos) return;
        std::uint64_t seq = 0;
        for (std::size_t p = s + seq_key.size(); p < msg.size() && msg[p] >= '0' && msg[p] <= '9'; ++p)
            seq = seq * 10 + static_cast<std::uint64_t>(msg[p] - '0');
        if (idx < seen.size()) seen[idx] = std::max(seen[idx], seq);
        pos = s;
    }
}

struct reader : std::enable_shared_from_this<reader> {
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buf;
    std::vector<std::uint64_t> seen = std::vector<std::uint64_t>(symbols, 0);
    std::atomic<bool> up{false};
    std::atomic<bool> failed{false};
    std::size_t messages = 0;
    std::mutex mu;

    explicit reader(net::io_context& ioc) : ws(ioc) {}

    void start(std::uint16_t port) {
        const net::ip::tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
        beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(30));
        beast::get_lowest_layer(ws).async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->fail();
            beast::get_lowest_layer(self->ws).expires_never();
            self->ws.async_handshake("127.0.0.1", "/v1/stream", [self](beast::error_code ec2) {
                if (ec2) return self->fail();
                self->up = true;
                self->read();
            });
        });
    }
    void read() {
        ws.async_read(buf, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->fail();
            {
                const std::scoped_lock lk(self->mu);
                take_seqs(std::string_view(static_cast<const char*>(self->buf.data().data()), self->buf.size()),
                          self->seen);
                ++self->messages;
            }
            self->buf.consume(self->buf.size());
            self->read();
        });
    }
    void fail() { failed = true; }
    bool has_all(const std::vector<std::uint64_t>& want) {
        const std::scoped_lock lk(mu);
        for (std::size_t i = 0; i < symbols; ++i) {
            if (seen[i] < want[i]) return false;
        }
        return true;
    }
};

// Runs `f` when leaving the scope, however it is left.
struct at_exit {
    std::function<void()> f;
    explicit at_exit(std::function<void()> fn) : f(std::move(fn)) {}
    at_exit(const at_exit&) = delete;
    at_exit& operator=(const at_exit&) = delete;
    ~at_exit() { f(); }
};

std::size_t health_clients(std::uint16_t port) {
    return static_cast<std::size_t>(json_doc(http_get(port, "/healthz").body).u64("/clients"));
}

}  // namespace

TEST_CASE("Load: 2000 reading WebSocket clients and 200 that never read", "[load]") {
    raise_fd_limit();
    const auto t_start = std::chrono::steady_clock::now();
    daemon_process d(load_config());
    const pid_t pid = d.pid();

    std::atomic<bool> sampling{true};
    std::atomic<std::size_t> peak_kb{0};
    std::thread sampler([&] {
        while (sampling) {
            const std::size_t kb = rss_kb(pid);
            if (kb > peak_kb) peak_kb = kb;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    const at_exit stop_sampler([&] {
        sampling = false;
        if (sampler.joinable()) sampler.join();
    });
    const std::size_t idle_kb = rss_kb(pid);

    net::io_context ioc;
    auto work = net::make_work_guard(ioc);
    std::thread io([&] { ioc.run(); });
    std::vector<std::shared_ptr<reader>> rs;
    rs.reserve(readers);
    // Also when a REQUIRE fails: the clients are closed on their own thread, which then stops.
    const at_exit stop_clients([&] {
        for (auto& r : rs) {
            net::post(ioc, [r] {
                beast::error_code ignored;
                beast::get_lowest_layer(r->ws).socket().close(ignored);
            });
        }
        work.reset();
        ioc.stop();
        if (io.joinable()) io.join();
    });
    const auto t_connect = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < readers; ++i) {
        auto r = std::make_shared<reader>(ioc);
        rs.push_back(r);
        net::post(ioc, [r, port = d.port()] { r->start(port); });
    }
    const bool all_up = eventually(
        [&] {
            std::size_t n = 0;
            for (auto& r : rs) n += r->up ? 1 : 0;
            return n == readers;
        },
        60s, 100ms);
    std::size_t failed = 0;
    for (auto& r : rs) failed += r->failed ? 1 : 0;
    INFO("readers failed: " << failed);
    REQUIRE(all_up);
    const auto connect_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_connect).count();

    // The non-readers: tiny receive buffer, upgrade, then not one byte read.
    std::vector<raw_socket> mute(non_readers);
    for (auto& s : mute) {
        s.connect(d.port(), 4096);
        REQUIRE(s.ws_upgrade("/v1/stream") == 101);
    }
    const auto t_mute = std::chrono::steady_clock::now();
    CHECK(health_clients(d.port()) >= readers);

    // Each non-reader is closed once it has been backlogged for slow_client_timeout, and
    // leaves the count when its closing handshake times out (handshake_timeout).
    std::size_t clients_after = 0;
    const bool all_gone = eventually([&] { return (clients_after = health_clients(d.port())) == readers; }, 40s, 200ms);
    const auto drop_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_mute).count();
    const std::string metrics = http_get(d.port(), "/metrics").body;
    const std::string slow_line = R"(tickerd_slow_client_disconnects_total{transport="websocket"} )";
    const auto at = metrics.find(slow_line);
    const std::size_t slow_closed = at == std::string::npos ? 0 : std::stoul(metrics.substr(at + slow_line.size()));
    INFO("clients after: " << clients_after << ", slow-client closes: " << slow_closed << "\n" << d.log_tail(10));
    CHECK(all_gone);
    CHECK(slow_closed == non_readers);
    // Reading at last, each finds the updates it had not read, then the close frame.
    std::size_t closed_1013 = 0;
    std::map<unsigned, std::size_t> other_codes;
    for (auto& s : mute) {
        const auto code = s.wait_close(10s);
        if (code == 1013u) {
            ++closed_1013;
        } else {
            ++other_codes[code.value_or(9999)];
        }
    }
    for (const auto& [code, n] : other_codes) UNSCOPED_INFO("non-readers with close code " << code << " (0: none, 9999: timeout): " << n);
    CHECK(closed_1013 == non_readers);
    const std::size_t gone = closed_1013;

    // Every reader gets every symbol's latest price as of this snapshot.
    const json_doc snap(http_get(d.port(), "/v1/snapshot").body);
    REQUIRE(snap.size("/quotes") == symbols);
    std::vector<std::uint64_t> want(symbols, 0);
    for (std::size_t i = 0; i < symbols; ++i) {
        const std::string at = fmt::format("/quotes/{}", i);
        want[std::stoul(snap.str(at + "/symbol").substr(1))] = snap.u64(at + "/seq");
    }
    const auto t_fan = std::chrono::steady_clock::now();
    const bool converged = eventually(
        [&] {
            for (auto& r : rs) {
                if (!r->has_all(want)) return false;
            }
            return true;
        },
        20s, 20ms);
    const auto fan_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_fan).count();
    std::size_t behind = 0, broken = 0, messages = 0;
    for (auto& r : rs) {
        behind += r->has_all(want) ? 0 : 1;
        broken += r->failed ? 1 : 0;
        const std::scoped_lock lk(r->mu);
        messages += r->messages;
    }
    CHECK(converged);
    CHECK(broken == 0);

    sampling = false;
    sampler.join();
    const std::size_t end_kb = rss_kb(pid);
    fmt::print("load: {} readers connected in {:.1f} s; {} non-readers all closed {:.1f} s after connecting "
               "({} of {} found code 1013 when they read); /healthz clients after: {}\n",
               readers, connect_s, non_readers, drop_s, gone, non_readers, clients_after);
    fmt::print("load: every reader had every symbol's latest price {:.0f} ms after the snapshot ({} behind, {} broken); "
               "{} messages read in all\n",
               fan_ms, behind, broken, messages);
    fmt::print("load: daemon RSS idle {} MB, peak {} MB, end {} MB (bound {} MB); test ran {:.1f} s\n", idle_kb / 1024,
               peak_kb.load() / 1024, end_kb / 1024, rss_bound_mb,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count());
#if !TICKERD_SANITIZED
    CHECK(peak_kb.load() / 1024 < rss_bound_mb);
#endif

    CHECK(d.stop() == 0);
}

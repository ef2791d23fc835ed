// The real tickerd binary against a fake Yahoo/Coinbase on loopback: SIGHUP
// re-reads the config file while stream clients stay connected.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <signal.h>

#include <fstream>
#include <string>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

using market = yahoo_coinbase_market;

const char* const nvda_table = R"(
[[symbols]]
id = "NVDA"
name = "NVIDIA"
class = "equity"
currency = "USD"
sources = ["{nvda_source}"]
)";

const char* const btc_table = R"(
[[symbols]]
id = "BTC"
name = "Bitcoin"
class = "crypto"
currency = "USD"
sources = ["coinbase:BTC-USD"]
)";

const char* const amd_table = R"(
[[symbols]]
id = "AMD"
name = "AMD"
class = "equity"
currency = "USD"
sources = ["yahoo:AMD"]
)";

struct layout {
    std::string listen = "127.0.0.1:0";
    std::string nvda_source = "yahoo:NVDA";
    std::string yahoo_interval = "200ms";
    bool nvda = true;
    bool btc = true;
    bool amd = false;
    std::string extra;  // appended as is
};

std::string config(const fake_upstream& up, const layout& l) {
    std::string out = fmt::format("[server]\nlisten = \"{}\"\n", l.listen);
    if (l.nvda) out += fmt::format(fmt::runtime(nvda_table), fmt::arg("nvda_source", l.nvda_source));
    if (l.btc) out += btc_table;
    if (l.amd) out += amd_table;
    out += fmt::format(R"(
[providers.yahoo]
base_url = "{0}"
interval = "{1}"
timeout = "2s"

[providers.coinbase]
base_url = "{0}"
interval = "200ms"
timeout = "2s"
)",
                       up.base_url(), l.yahoo_interval);
    return out + l.extra;
}

std::size_t count_of(const std::string& text, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// Rewrites the daemon's config file, sends SIGHUP and waits for the outcome's log line
// (`done_marker`, counted so that an earlier reload's line does not count).
void reload(daemon_process& d, const std::string& toml, std::string_view done_marker = "reloaded ") {
    const std::size_t before = count_of(d.log_text(), done_marker);
    {
        std::ofstream out(d.config_path(), std::ios::trunc);
        out << toml;
    }
    d.signal(SIGHUP);
    const bool done = eventually([&] { return count_of(d.log_text(), done_marker) > before; }, 10s);
    INFO(d.log_tail());
    REQUIRE(done);
    REQUIRE(d.running());
}

std::vector<std::string> snapshot_symbols(const daemon_process& d) {
    return json_doc(http_get(d.port(), "/v1/snapshot").body).symbols();
}

void wait_symbols(const daemon_process& d, const std::vector<std::string>& ids) {
    std::vector<std::string> last;
    const bool ok = eventually(
        [&] {
            last = snapshot_symbols(d);
            return last == ids;
        },
        10s);
    INFO("last /v1/snapshot symbols: " << fmt::format("{}", fmt::join(last, ",")) << "\n" << d.log_tail());
    REQUIRE(ok);
}

// Reads messages until one satisfies `pred` (heartbeats and others are skipped); throws on timeout or close.
json_doc read_until(ws_client& ws, const std::function<bool(const json_doc&)>& pred, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("no matching stream message in time");
        json_doc m(ws.read_json(left));
        if (pred(m)) return m;
    }
}

bool update_for(const json_doc& m, std::string_view id) {
    return m.str("/type") == "update" && m.find("/quotes", "symbol", id).has_value();
}

void market_with_amd(market& m) {
    m.yahoo("NVDA", "120.50", "118.00");
    m.yahoo("AMD", "160.25", "158.00");
    m.coinbase("65000.00", "64000.00");
}

}  // namespace

TEST_CASE("SIGHUP adds a symbol: a connected client gets its quotes without reconnecting", "[integration][reload]") {
    market m;
    market_with_amd(m);
    daemon_process d(config(m.up, {}));
    wait_symbols(d, {"NVDA", "BTC"});
    ws_client ws;
    ws.connect(d.port(), "/v1/stream");
    json_doc snap(ws.read_json(5s));
    REQUIRE(snap.str("/type") == "snapshot");
    CHECK(snap.symbols() == std::vector<std::string>{"NVDA", "BTC"});
    ws_client only_btc;
    only_btc.connect(d.port(), "/v1/stream?symbols=BTC");
    REQUIRE(json_doc(only_btc.read_json(5s)).str("/type") == "snapshot");

    layout l;
    l.amd = true;
    reload(d, config(m.up, l));
    CHECK(d.log_text().find("added [AMD], removed []") != std::string::npos);

    // The client that follows all symbols gets AMD's first quote on the same connection.
    const json_doc amd = read_until(ws, [](const json_doc& j) { return update_for(j, "AMD"); });
    CHECK(amd.raw(*amd.find("/quotes", "symbol", "AMD") + "/price") == "160.25");
    CHECK_FALSE(ws.closed());
    wait_symbols(d, {"NVDA", "BTC", "AMD"});
    CHECK(http_get(d.port(), "/v1/quotes/AMD").status == 200);
    // The kept symbols kept their quotes: NVDA is still there.
    CHECK(json_doc(http_get(d.port(), "/v1/quotes/NVDA").body).raw("/price") == "120.50");

    // A client that asked for BTC only is not subscribed to AMD, but may subscribe to it by name.
    only_btc.send_text(R"({"op":"subscribe","symbols":["AMD"]})");
    const json_doc added = read_until(only_btc, [](const json_doc& j) { return j.str("/type") == "snapshot"; });
    CHECK(added.symbols() == std::vector<std::string>{"AMD"});
    m.yahoo("NVDA", "121.00", "118.00");
    m.yahoo("AMD", "161.00", "158.00");
    const json_doc next = read_until(only_btc, [](const json_doc& j) { return j.str("/type") == "update"; });
    CHECK(next.symbols() == std::vector<std::string>{"AMD"});
}

TEST_CASE("SIGHUP removes a symbol: its subscribers are told, the snapshot drops it, clients stay connected",
          "[integration][reload]") {
    market m;
    market_with_amd(m);
    daemon_process d(config(m.up, {}));
    wait_symbols(d, {"NVDA", "BTC"});
    ws_client all;
    all.connect(d.port(), "/v1/stream");
    REQUIRE(json_doc(all.read_json(5s)).str("/type") == "snapshot");
    ws_client nvda_only;
    nvda_only.connect(d.port(), "/v1/stream?symbols=NVDA");
    REQUIRE(json_doc(nvda_only.read_json(5s)).str("/type") == "snapshot");
    sse_client sse;
    REQUIRE(sse.connect(d.port(), "/v1/events") == 200);
    REQUIRE(sse.next(5s).event == "snapshot");
    const std::string etag_before = http_get(d.port(), "/v1/snapshot").header("ETag");

    layout l;
    l.btc = false;
    reload(d, config(m.up, l));

    const json_doc removed = read_until(all, [](const json_doc& j) { return j.str("/type") != "heartbeat" && j.str("/type") != "update"; });
    INFO(removed.text());
    CHECK(removed.str("/type") == "removed");
    CHECK(removed.strings("/symbols") == std::vector<std::string>{"BTC"});
    CHECK(removed.u64("/seq") > 0);
    // SSE clients get the same message as a "removed" event.
    sse_event ev = sse.next(5s);
    while (ev.event == "update" || ev.event == "heartbeat") ev = sse.next(5s);
    CHECK(ev.event == "removed");
    CHECK(json_doc(ev.data).strings("/symbols") == std::vector<std::string>{"BTC"});

    wait_symbols(d, {"NVDA"});
    CHECK(http_get(d.port(), "/v1/snapshot").header("ETag") != etag_before);
    CHECK(http_get(d.port(), "/v1/quotes/BTC").status == 404);
    ws_client late;
    CHECK(late.try_connect(d.port(), "/v1/stream?symbols=BTC") == 400);

    // Still connected: the next NVDA change reaches both WebSocket clients; the NVDA-only one never heard of BTC.
    m.yahoo("NVDA", "125.00", "118.00");
    const json_doc u = read_until(all, [](const json_doc& j) { return update_for(j, "NVDA"); });
    CHECK(u.symbols() == std::vector<std::string>{"NVDA"});
    const json_doc u2 = read_until(nvda_only, [](const json_doc& j) { return j.str("/type") != "heartbeat"; });
    CHECK(u2.str("/type") == "update");
    CHECK(u2.symbols() == std::vector<std::string>{"NVDA"});
    CHECK_FALSE(all.closed());
    CHECK_FALSE(nvda_only.closed());
}

TEST_CASE("SIGHUP applies a new source and a new poll interval", "[integration][reload]") {
    market m;
    market_with_amd(m);
    m.yahoo("NVDX", "130.00", "118.00");
    layout slow;
    slow.yahoo_interval = "1h";  // one poll at start, then none
    daemon_process d(config(m.up, slow));
    wait_symbols(d, {"NVDA", "BTC"});
    CHECK(json_doc(http_get(d.port(), "/v1/quotes/NVDA").body).raw("/price") == "120.50");
    CHECK(m.up.request_count(yahoo_path("NVDX")) == 0);

    layout fast;
    fast.nvda_source = "yahoo:NVDX";
    fast.yahoo_interval = "100ms";
    reload(d, config(m.up, fast));
    // The new upstream symbol is polled, every 100 ms, and its price is published.
    CHECK(m.up.wait_for_requests(yahoo_path("NVDX"), 5, 5s));
    wait_quote(d, "NVDA", [](const json_doc& q) { return q.raw("/price") == "130.00"; });
    // The old source is no longer polled.
    const std::size_t old_polls = m.up.request_count(yahoo_path("NVDA"));
    CHECK(m.up.wait_for_requests(yahoo_path("NVDX"), m.up.request_count(yahoo_path("NVDX")) + 3, 5s));
    CHECK(m.up.request_count(yahoo_path("NVDA")) == old_polls);
}

TEST_CASE("SIGHUP with an invalid config is refused with one log line and the old config keeps running",
          "[integration][reload]") {
    market m;
    market_with_amd(m);
    daemon_process d(config(m.up, {}));
    wait_symbols(d, {"NVDA", "BTC"});
    ws_client ws;
    ws.connect(d.port(), "/v1/stream");
    REQUIRE(json_doc(ws.read_json(5s)).str("/type") == "snapshot");

    layout bad;
    bad.amd = true;
    std::string toml = config(m.up, bad);
    toml.replace(toml.find("interval = \"200ms\""), 18, "interval = \"soon\"");  // providers.yahoo.interval
    reload(d, toml, "reload refused");
    const std::string log = d.log_text();
    INFO(log);
    CHECK(count_of(log, "reload refused") == 1);
    CHECK(log.find(d.config_path() + ": providers.yahoo.interval: ") != std::string::npos);
    CHECK(d.running());
    CHECK(snapshot_symbols(d) == std::vector<std::string>{"NVDA", "BTC"});
    CHECK(http_get(d.port(), "/v1/quotes/AMD").status == 404);
    // The old feeds still run: a change upstream still reaches the client.
    m.yahoo("NVDA", "122.00", "118.00");
    read_until(ws, [](const json_doc& j) { return update_for(j, "NVDA"); });

    // Fixed, it applies.
    reload(d, config(m.up, bad));
    wait_symbols(d, {"NVDA", "BTC", "AMD"});
    CHECK_FALSE(ws.closed());
}

TEST_CASE("SIGHUP with a changed listen address warns that a restart is needed and keeps serving",
          "[integration][reload]") {
    market m;
    market_with_amd(m);
    daemon_process d(config(m.up, {}));
    wait_symbols(d, {"NVDA", "BTC"});
    layout moved;
    moved.listen = "127.0.0.1:1";
    moved.amd = true;
    reload(d, config(m.up, moved));
    const std::string log = d.log_text();
    INFO(log);
    CHECK(log.find(d.config_path() + ": server.listen: changed, but only a restart applies it") != std::string::npos);
    // The old port still serves, and the rest of the new config applied.
    wait_symbols(d, {"NVDA", "BTC", "AMD"});
    CHECK(http_get(d.port(), "/healthz").status == 200);
}

TEST_CASE("A burst of SIGHUPs ends with the last file applied and the daemon serving", "[integration][reload]") {
    market m;
    market_with_amd(m);
    daemon_process d(config(m.up, {}));
    wait_symbols(d, {"NVDA", "BTC"});
    ws_client ws;
    ws.connect(d.port(), "/v1/stream");
    REQUIRE(json_doc(ws.read_json(5s)).str("/type") == "snapshot");
    layout no_btc;
    no_btc.btc = false;
    layout with_amd;
    with_amd.amd = true;
    for (const layout* l : {&no_btc, &with_amd, &no_btc, &with_amd}) {
        std::ofstream(d.config_path(), std::ios::trunc) << config(m.up, *l);
        d.signal(SIGHUP);
    }
    // A SIGHUP that arrives while a file is being read makes another read once that one is applied.
    wait_symbols(d, {"NVDA", "BTC", "AMD"});
    REQUIRE(d.running());
    CHECK_FALSE(ws.closed());
    CHECK(http_get(d.port(), "/healthz").status == 200);
}

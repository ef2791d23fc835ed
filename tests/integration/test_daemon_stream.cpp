// The real tickerd binary against a fake Yahoo/Coinbase on loopback: the WebSocket stream.
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <signal.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

using market = yahoo_coinbase_market;

// NVDA (Yahoo) and BTC (Coinbase). `server_extra` goes into [server], `nvda_extra` into NVDA's table.
std::string config(const fake_upstream& up, std::string_view server_extra = "", std::string_view nvda_extra = "") {
    return yahoo_coinbase_config(up, server_extra, nvda_extra);
}

// Waits until the snapshot holds every configured symbol.
void wait_ready(const daemon_process& d, std::size_t n = 2) {
    std::string last;
    bool ok = eventually(
        [&] {
            auto r = http_get(d.port(), "/v1/snapshot");
            last = r.body;
            return r.status == 200 && json_doc(r.body).size("/quotes") == n;
        },
        10s);
    INFO("last /v1/snapshot: " << last);
    REQUIRE(ok);
}

// The next message that is not a heartbeat; throws when none comes in time.
json_doc next_message(ws_client& ws, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("no non-heartbeat message in time");
        json_doc m(ws.read_json(left));
        if (m.str("/type") != "heartbeat") return m;
    }
}

// Connects and reads the first message, which must be the snapshot.
json_doc connect_snapshot(ws_client& ws, std::uint16_t port, std::string_view target = "/v1/stream") {
    ws.connect(port, target);
    json_doc snap(ws.read_json(5s));
    INFO(snap.text());
    REQUIRE(snap.str("/type") == "snapshot");
    return snap;
}

std::string nvda_price_at(const daemon_process& d) { return json_doc(http_get(d.port(), "/v1/quotes/NVDA").body).raw("/price"); }

}  // namespace

TEST_CASE("A price change upstream reaches WebSocket clients as an update and shows in /v1/snapshot",
          "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    const auto test_start = unix_now();
    daemon_process d(config(m.up));
    wait_ready(d);

    ws_client ws;
    json_doc snap = connect_snapshot(ws, d.port());
    INFO(snap.text());
    CHECK_FALSE(snap.has("/since"));
    CHECK(snap.symbols() == std::vector<std::string>{"NVDA", "BTC"});
    const std::uint64_t seq0 = snap.u64("/seq");
    CHECK(seq0 >= static_cast<std::uint64_t>(test_start - 1) * 1'000'000u);
    CHECK(snap.raw("/quotes/0/price") == "1284.30");
    CHECK(snap.raw("/quotes/1/price") == "71420.00");
    CHECK(snap.u64("/quotes/0/seq") <= seq0);
    CHECK(snap.u64("/quotes/1/seq") <= seq0);

    m.yahoo("NVDA", "1290.55", "1266.32");
    json_doc up = next_message(ws);
    INFO(up.text());
    REQUIRE(up.str("/type") == "update");
    const std::uint64_t seq1 = up.u64("/seq");
    CHECK(seq1 > seq0);
    REQUIRE(up.symbols() == std::vector<std::string>{"NVDA"});
    CHECK(up.raw("/quotes/0/price") == "1290.55");
    CHECK(up.raw("/quotes/0/ref_price") == "1266.32");
    CHECK(up.raw("/quotes/0/change") == "24.23");
    CHECK(up.raw("/quotes/0/change_pct") == "1.91");
    CHECK(up.str("/quotes/0/direction") == "up");
    CHECK(up.str("/quotes/0/display/change_pct") == "▲ 1.91%");
    CHECK(up.u64("/quotes/0/seq") > seq0);
    CHECK(up.u64("/quotes/0/seq") <= seq1);

    json_doc http_snap(http_get(d.port(), "/v1/snapshot").body);
    CHECK(http_snap.u64("/seq") >= seq1);
    auto at = http_snap.find("/quotes", "symbol", "NVDA");
    REQUIRE(at);
    CHECK(http_snap.raw(*at + "/price") == "1290.55");
    CHECK(http_snap.u64(*at + "/seq") == up.u64("/quotes/0/seq"));

    // A fall below the reference: down, and a second, higher seq.
    m.yahoo("NVDA", "1250.00", "1266.32");
    json_doc down = next_message(ws);
    INFO(down.text());
    REQUIRE(down.str("/type") == "update");
    CHECK(down.u64("/seq") > seq1);
    REQUIRE(down.symbols() == std::vector<std::string>{"NVDA"});
    CHECK(down.raw("/quotes/0/change") == "-16.32");
    CHECK(down.raw("/quotes/0/change_pct") == "-1.29");
    CHECK(down.str("/quotes/0/direction") == "down");
    CHECK(down.str("/quotes/0/display/change") == "-16.32");
    CHECK(down.str("/quotes/0/display/change_pct") == "▼ 1.29%");

    // Coinbase: the ticker price moves, the 24 h open stays.
    m.coinbase("71999.99", "70825.07");
    json_doc b = next_message(ws);
    INFO(b.text());
    REQUIRE(b.str("/type") == "update");
    CHECK(b.u64("/seq") > down.u64("/seq"));
    REQUIRE(b.symbols() == std::vector<std::string>{"BTC"});
    CHECK(b.raw("/quotes/0/price") == "71999.99");
    CHECK(b.raw("/quotes/0/change") == "1174.92");
    CHECK(b.raw("/quotes/0/change_pct") == "1.66");
}

TEST_CASE("An identical re-poll sends nothing to WebSocket clients", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(config(m.up, "heartbeat_interval = \"30s\""));
    wait_ready(d);

    ws_client ws;
    json_doc snap = connect_snapshot(ws, d.port());
    const std::uint64_t seq0 = snap.u64("/seq");

    const auto n = m.up.request_count("/v8/finance/chart/NVDA");
    const auto c = m.up.request_count("/products/BTC-USD/ticker");
    REQUIRE(m.up.wait_for_requests("/v8/finance/chart/NVDA", n + 5, 10s));
    REQUIRE(m.up.wait_for_requests("/products/BTC-USD/ticker", c + 5, 10s));
    CHECK(ws.try_read(500ms).value_or("<nothing>") == "<nothing>");
    CHECK(json_doc(http_get(d.port(), "/v1/snapshot").body).u64("/seq") == seq0);
}

TEST_CASE("A quiet stream gets heartbeats every heartbeat_interval", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(config(m.up, "heartbeat_interval = \"300ms\""));
    wait_ready(d);

    ws_client ws;
    json_doc snap = connect_snapshot(ws, d.port());
    const std::uint64_t seq0 = snap.u64("/seq");

    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i) {
        json_doc hb(ws.read_json(2s));
        INFO(hb.text());
        CHECK(hb.str("/type") == "heartbeat");
        CHECK(hb.u64("/seq") == seq0);  // nothing changed
    }
    // Three beats 300 ms apart: at least two intervals (the first may come early
    // if beats follow a shared clock), and not much more than three.
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 500ms);
    CHECK(took <= 3s);
}

TEST_CASE("Stream subscribe, unsubscribe and error replies", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(config(m.up));
    wait_ready(d);

    ws_client ws;
    json_doc snap = connect_snapshot(ws, d.port(), "/v1/stream?symbols=NVDA");
    CHECK(snap.symbols() == std::vector<std::string>{"NVDA"});
    std::uint64_t last_seq = snap.u64("/seq");

    // Subscribe: answered by a snapshot of just the new symbol.
    ws.send_text(R"({"op":"subscribe","symbols":["BTC"]})");
    json_doc added = next_message(ws);
    INFO(added.text());
    REQUIRE(added.str("/type") == "snapshot");
    CHECK(added.symbols() == std::vector<std::string>{"BTC"});
    CHECK(added.raw("/quotes/0/price") == "71420.00");
    CHECK(added.u64("/seq") >= last_seq);
    last_seq = added.u64("/seq");

    m.coinbase("71999.99", "70825.07");
    json_doc b1 = next_message(ws);
    INFO(b1.text());
    REQUIRE(b1.str("/type") == "update");
    CHECK(b1.symbols() == std::vector<std::string>{"BTC"});
    CHECK(b1.u64("/seq") > last_seq);
    last_seq = b1.u64("/seq");

    // Unsubscribe has no reply; the error to the following message shows it was handled.
    ws.send_text(R"({"op":"unsubscribe","symbols":["NVDA"]})");
    ws.send_text(R"({"op":"subscribe","symbols":["NOPE"]})");
    json_doc err = next_message(ws);
    INFO(err.text());
    REQUIRE(err.str("/type") == "error");
    CHECK(err.str("/code") == "unknown_symbol");
    CHECK_FALSE(err.str("/message").empty());

    // NVDA changes, but this client no longer hears about it.
    m.yahoo("NVDA", "1300.00", "1266.32");
    REQUIRE(eventually([&] { return nvda_price_at(d) == "1300.00"; }, 10s));
    m.coinbase("72100.00", "70825.07");
    json_doc b2 = next_message(ws);
    INFO(b2.text());
    REQUIRE(b2.str("/type") == "update");
    CHECK(b2.symbols() == std::vector<std::string>{"BTC"});
    CHECK(b2.raw("/quotes/0/price") == "72100.00");
    CHECK(b2.u64("/seq") > last_seq);

    for (const char* bad : {"this is not json", R"({"op":"dance","symbols":["NVDA"]})", R"({"op":"subscribe"})",
                            R"({"op":"subscribe","symbols":"NVDA"})", "[]"}) {
        INFO("sent: " << bad);
        ws.send_text(bad);
        json_doc e = next_message(ws);
        INFO(e.text());
        CHECK(e.str("/type") == "error");
        CHECK(e.str("/code") == "bad_request");
        CHECK_FALSE(e.str("/message").empty());
    }

    // Still open and usable after errors: re-subscribing gets the current NVDA.
    ws.send_text(R"({"op":"subscribe","symbols":["NVDA"]})");
    json_doc again = next_message(ws);
    INFO(again.text());
    REQUIRE(again.str("/type") == "snapshot");
    CHECK(again.symbols() == std::vector<std::string>{"NVDA"});
    CHECK(again.raw("/quotes/0/price") == "1300.00");
    CHECK_FALSE(ws.closed());
}

TEST_CASE("An unknown symbol in /v1/stream?symbols= refuses the upgrade with HTTP 400", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(config(m.up));

    ws_client ws;
    std::string body;
    CHECK(ws.try_connect(d.port(), "/v1/stream?symbols=NVDA,NOPE", &body) == 400);
    INFO(body);
    CHECK_FALSE(json_doc(body).str("/error").empty());

    ws_client ok;
    CHECK(ok.try_connect(d.port(), "/v1/stream?symbols=NVDA,BTC") == 101);
}

TEST_CASE("?since=N resumes with only the quotes changed after N", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(config(m.up));
    wait_ready(d);

    std::uint64_t seq0 = 0, seq1 = 0;
    {
        ws_client ws;
        json_doc snap = connect_snapshot(ws, d.port());
        seq0 = snap.u64("/seq");
        m.yahoo("NVDA", "1290.55", "1266.32");
        json_doc up = next_message(ws);
        REQUIRE(up.str("/type") == "update");
        seq1 = up.u64("/seq");
        REQUIRE(seq1 > seq0);
    }

    SECTION("since before the change: just the changed quote") {
        ws_client ws;
        json_doc snap = connect_snapshot(ws, d.port(), fmt::format("/v1/stream?since={}", seq0));
        INFO(snap.text());
        CHECK(snap.u64("/since") == seq0);
        CHECK(snap.u64("/seq") >= seq1);
        CHECK(snap.symbols() == std::vector<std::string>{"NVDA"});
        CHECK(snap.raw("/quotes/0/price") == "1290.55");
        CHECK(snap.u64("/quotes/0/seq") > seq0);

        // And the stream goes on from there.
        m.coinbase("71999.99", "70825.07");
        json_doc b = next_message(ws);
        INFO(b.text());
        CHECK(b.str("/type") == "update");
        CHECK(b.symbols() == std::vector<std::string>{"BTC"});
        CHECK(b.u64("/seq") > seq1);
    }
    SECTION("since the latest change: nothing to resend") {
        ws_client ws;
        json_doc snap = connect_snapshot(ws, d.port(), fmt::format("/v1/stream?since={}", seq1));
        INFO(snap.text());
        CHECK(snap.u64("/since") == seq1);
        CHECK(snap.size("/quotes") == 0);
    }
    SECTION("since combined with a symbol filter") {
        ws_client ws;
        json_doc snap = connect_snapshot(ws, d.port(), fmt::format("/v1/stream?symbols=BTC&since={}", seq0));
        INFO(snap.text());
        CHECK(snap.u64("/since") == seq0);
        CHECK(snap.size("/quotes") == 0);  // BTC has not changed since seq0
    }
}

TEST_CASE("A quote the upstream stops confirming turns stale, pushed as an update", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(config(m.up, "", "max_age = \"1s\""));
    wait_ready(d);

    ws_client ws;
    json_doc snap = connect_snapshot(ws, d.port());
    REQUIRE(snap.boolean("/quotes/0/stale") == false);
    const std::uint64_t seq0 = snap.u64("/seq");

    SECTION("503 with a plain-text body") {
        m.up.set_route(yahoo_path("NVDA"), with_status(503, "Service Unavailable", "text/plain"));
    }
    SECTION("the connection closes without a reply") { m.up.set_route(yahoo_path("NVDA"), closing()); }
    SECTION("no reply until the request times out") { m.up.set_route(yahoo_path("NVDA"), hanging()); }
    SECTION("429 Too Many Requests") {
        m.up.set_route(yahoo_path("NVDA"), with_status(429, "Too Many Requests\n", "text/plain"));
    }

    json_doc st = next_message(ws, 8s);
    INFO(st.text());
    REQUIRE(st.str("/type") == "update");
    CHECK(st.u64("/seq") > seq0);
    REQUIRE(st.symbols() == std::vector<std::string>{"NVDA"});
    CHECK(st.boolean("/quotes/0/stale") == true);
    CHECK(st.raw("/quotes/0/price") == "1284.30");  // the last good price, flagged

    json_doc http_q(http_get(d.port(), "/v1/quotes/NVDA").body);
    CHECK(http_q.boolean("/stale") == true);
    auto rz = http_get(d.port(), "/readyz");
    INFO(rz.body);
    CHECK(rz.status == 503);
    json_doc rzj(rz.body);
    CHECK(rzj.strings("/stale") == std::vector<std::string>{"NVDA"});
    CHECK(rzj.strings("/missing").empty());

    // BTC (default max_age) stays fresh.
    CHECK(json_doc(http_get(d.port(), "/v1/quotes/BTC").body).boolean("/stale") == false);
}

TEST_CASE("A stale quote turns fresh again, pushed as an update, once the upstream heals", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(config(m.up, "", "max_age = \"1s\""));
    wait_ready(d);

    ws_client ws;
    connect_snapshot(ws, d.port());
    m.up.set_route(yahoo_path("NVDA"), with_status(503, "Service Unavailable", "text/plain"));
    json_doc st = next_message(ws, 8s);
    INFO(st.text());
    REQUIRE(st.str("/type") == "update");
    REQUIRE(st.boolean("/quotes/0/stale") == true);

    m.yahoo("NVDA", "1284.3", "1266.32");
    json_doc fresh = next_message(ws, 20s);  // allows for the poller's backoff
    INFO(fresh.text());
    REQUIRE(fresh.str("/type") == "update");
    CHECK(fresh.u64("/seq") > st.u64("/seq"));
    CHECK(fresh.symbols() == std::vector<std::string>{"NVDA"});
    CHECK(fresh.boolean("/quotes/0/stale") == false);
    CHECK(fresh.raw("/quotes/0/price") == "1284.30");
    CHECK(http_get(d.port(), "/readyz").status == 200);
}

TEST_CASE("SIGTERM closes WebSocket clients with 1001 and exits 0", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(config(m.up));
    wait_ready(d);

    ws_client a, b;
    connect_snapshot(a, d.port());
    connect_snapshot(b, d.port(), "/v1/stream?symbols=BTC");

    d.signal(SIGTERM);
    REQUIRE(a.wait_closed(5s));
    REQUIRE(b.wait_closed(5s));
    CHECK(a.close_code().value_or(0) == 1001);
    CHECK(b.close_code().value_or(0) == 1001);
    auto status = d.wait_exit(5s);
    REQUIRE(status.has_value());
    CHECK(*status == 0);
}

TEST_CASE("The sim demo source streams changing prices with source \"sim\"", "[integration]") {
    daemon_process d(sim_demo_config(42, "100ms"));
    wait_ready(d, 1);
    json_doc h = json_doc(http_get(d.port(), "/v1/quotes/DEMO").body);
    CHECK(h.str("/source") == "sim");

    ws_client ws;
    json_doc snap = connect_snapshot(ws, d.port());
    std::set<std::string> prices;
    std::uint64_t last_seq = snap.u64("/seq");
    auto take = [&](const json_doc& j) {
        INFO(j.text());
        for (std::size_t i = 0; i < j.size("/quotes"); ++i) {
            const std::string at = fmt::format("/quotes/{}", i);
            CHECK(j.str(at + "/symbol") == "DEMO");
            CHECK(j.str(at + "/source") == "sim");
            const std::string p = j.raw(at + "/price");
            auto dot = p.find('.');
            CHECK(dot != std::string::npos);
            if (dot != std::string::npos) CHECK(p.size() - dot - 1 == 2);  // precision 2
            const double v = j.num(at + "/price");
            CHECK(v > 1284.30 / 2);
            CHECK(v < 1284.30 * 2);
            prices.insert(p);
        }
    };
    take(snap);
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (prices.size() < 3 && std::chrono::steady_clock::now() < deadline) {
        auto msg = ws.try_read(1s);
        if (!msg) continue;
        json_doc j(*msg);
        if (j.str("/type") != "update") continue;
        CHECK(j.u64("/seq") > last_seq);
        last_seq = j.u64("/seq");
        take(j);
    }
    CHECK(prices.size() >= 3);
}

TEST_CASE("The shipped config/demo.toml serves every symbol from the simulator", "[integration]") {
    std::string toml = read_file_text(std::filesystem::path(TICKERD_SOURCE_DIR) / "config" / "demo.toml");
    REQUIRE_FALSE(toml.empty());
    const std::string shipped_listen = "listen = \"127.0.0.1:8080\"";
    const auto at = toml.find(shipped_listen);
    REQUIRE(at != std::string::npos);  // the test rewrites it to an ephemeral port
    toml.replace(at, shipped_listen.size(), "listen = \"127.0.0.1:0\"");
    daemon_process d(toml);

    const std::vector<std::string> ids{"NVDA", "TSM", "9988.HK", "BTC", "USD/VND"};
    wait_ready(d, ids.size());
    REQUIRE(eventually([&] { return http_get(d.port(), "/readyz").status == 200; }, 5s));

    ws_client ws;
    json_doc snap = connect_snapshot(ws, d.port());
    INFO(snap.text());
    CHECK(snap.symbols() == ids);
    for (std::size_t i = 0; i < ids.size(); ++i) CHECK(snap.str(fmt::format("/quotes/{}/source", i)) == "sim");

    // The walk moves: some update arrives with a price different from the snapshot's.
    bool moved = false;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!moved && std::chrono::steady_clock::now() < deadline) {
        auto msg = ws.try_read(1s);
        if (!msg) continue;
        json_doc j(*msg);
        if (j.str("/type") != "update") continue;
        for (std::size_t i = 0; i < j.size("/quotes"); ++i) {
            const std::string q = fmt::format("/quotes/{}", i);
            auto before = snap.find("/quotes", "symbol", j.str(q + "/symbol"));
            REQUIRE(before);
            CHECK(j.str(q + "/source") == "sim");
            if (j.raw(q + "/price") != snap.raw(*before + "/price")) moved = true;
        }
    }
    CHECK(moved);
}

// The real tickerd against a fake Coinbase Exchange WebSocket feed on loopback:
// pushed tickers reach clients at once, old sequences are dropped, a silent or
// refusing upstream is reconnected to, and REST takes over while it is down.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iterator>
#include <string>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/fake_ws_upstream.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

// BTC from `sources`; coinbase_ws at `ws`, REST coinbase at `rest` (may be unused).
std::string config(const fake_ws_upstream& ws, const fake_upstream& rest, std::string_view sources,
                   std::string_view idle_timeout = "1s") {
    return fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "BTC"
name = "Bitcoin"
class = "crypto"
currency = "USD"
precision = 2
sources = [{2}]
max_age = "30s"
failover_after = 2
failback_after = 2

[providers.coinbase_ws]
base_url = "{0}"
timeout = "1s"
idle_timeout = "{3}"
max_backoff = "500ms"

[providers.coinbase]
base_url = "{1}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"
)",
                       ws.base_url(), rest.base_url(), sources, idle_timeout);
}

// Reads stream messages until an update whose first quote satisfies `pred`; returns it.
json_doc read_update(ws_client& c, const std::function<bool(const json_doc&)>& pred,
                     std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) throw std::runtime_error("no matching update in time");
        auto text = c.try_read(left);
        if (!text) throw std::runtime_error("no matching update in time (or the stream closed)");
        json_doc doc(*text);
        if (doc.str("/type") == "update" && doc.size("/quotes") > 0 && pred(doc)) return doc;
    }
}

json_doc wait_btc(const daemon_process& d, const std::function<bool(const json_doc&)>& pred,
                  std::chrono::milliseconds timeout = 10s) {
    return wait_quote(d, "BTC", pred, timeout);
}

}  // namespace

TEST_CASE("A ticker pushed by Coinbase reaches stream clients at once", "[integration][push]") {
    fake_ws_upstream ws;
    fake_upstream rest;
    daemon_process d(config(ws, rest, R"("coinbase_ws:BTC-USD")"));
    REQUIRE(ws.wait_for_subscribed(1, 5s));
    auto subs = ws.subscribes();
    REQUIRE(subs.size() == 1);
    CHECK(subs[0] == R"({"type":"subscribe","product_ids":["BTC-USD"],"channels":["ticker","heartbeat"]})");

    ws_client c;
    c.connect(d.port(), "/v1/stream?symbols=BTC");
    CHECK(json_doc(c.read_json(5s)).str("/type") == "snapshot");

    const char* prices[] = {"71420.00", "71421.50", "71419.25", "71430.00", "71425.75"};
    std::uint64_t seq = 137512619516;
    long long worst_us = 0;
    for (const char* price : prices) {
        const auto sent = std::chrono::steady_clock::now();
        ws.send_ticker("BTC-USD", ++seq, price, "70825.07");
        auto u = read_update(c, [&](const json_doc& q) { return q.raw("/quotes/0/price") == price; });
        const auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - sent).count();
        worst_us = std::max<long long>(worst_us, us);
        std::printf("push latency coinbase_ws -> stream client: %.3f ms (price %s)\n", us / 1000.0, price);
        CHECK(u.str("/quotes/0/source") == "coinbase_ws");
        CHECK(u.raw("/quotes/0/ref_price") == "70825.07");
        CHECK(u.str("/quotes/0/market") == "always");
    }
    std::printf("push latency, worst of %zu: %.3f ms\n", std::size(prices), worst_us / 1000.0);
    CHECK(worst_us < 200'000);
}

TEST_CASE("A ticker whose sequence is not above the highest seen is dropped", "[integration][push]") {
    fake_ws_upstream ws;
    fake_upstream rest;
    daemon_process d(config(ws, rest, R"("coinbase_ws:BTC-USD")"));
    REQUIRE(ws.wait_for_subscribed(1, 5s));
    ws_client c;
    c.connect(d.port(), "/v1/stream?symbols=BTC");
    c.read_json(5s);  // snapshot

    ws.send_ticker("BTC-USD", 500, "71420.00", "70825.07");
    read_update(c, [](const json_doc& q) { return q.raw("/quotes/0/price") == "71420.00"; });
    ws.send_ticker("BTC-USD", 499, "60000.00", "70825.07");  // older
    ws.send_ticker("BTC-USD", 500, "61000.00", "70825.07");  // duplicate
    ws.send_ticker("BTC-USD", 501, "71422.00", "70825.07");
    // The next update is the newer ticker: the old and the duplicate one changed nothing.
    auto u = read_update(c, [](const json_doc&) { return true; });
    CHECK(u.raw("/quotes/0/price") == "71422.00");
    CHECK(json_doc(http_get(d.port(), "/v1/quotes/BTC").body).raw("/price") == "71422.00");
}

TEST_CASE("A silent Coinbase feed is reconnected to and subscribed again", "[integration][push]") {
    fake_ws_upstream ws;
    fake_upstream rest;
    daemon_process d(config(ws, rest, R"("coinbase_ws:BTC-USD")", "700ms"));
    REQUIRE(ws.wait_for_subscribed(1, 5s));
    ws.send_ticker("BTC-USD", 1000, "71420.00", "70825.07");
    wait_btc(d, [](const json_doc& q) { return q.raw("/price") == "71420.00"; });

    // Heartbeats (every 200 ms) keep it connected: no second subscribe while 11 of them go out (3 idle timeouts).
    const auto beats = ws.heartbeats_sent();
    REQUIRE(eventually([&] { return ws.heartbeats_sent() >= beats + 11; }, 10s));
    CHECK(ws.subscribe_count() == 1);

    ws.set_mode(ws_mode::silent);
    INFO(d.log_tail());
    REQUIRE(ws.wait_for_subscribes(2, 5s));
    CHECK(d.log_text().find("coinbase_ws:BTC-USD") != std::string::npos);
    CHECK(d.log_text().find("no message for 700 ms") != std::string::npos);
    ws.set_mode(ws_mode::normal);
    REQUIRE(ws.wait_for_subscribed(1, 5s));
    ws.send_ticker("BTC-USD", 1001, "71430.00", "70825.07");
    wait_btc(d, [](const json_doc& q) { return q.raw("/price") == "71430.00"; });
}

TEST_CASE("An error message from Coinbase is logged and the feed reconnects", "[integration][push]") {
    fake_ws_upstream ws;
    ws.set_mode(ws_mode::reject_subscribe);
    fake_upstream rest;
    daemon_process d(config(ws, rest, R"("coinbase_ws:BTC-USD")"));
    REQUIRE(ws.wait_for_subscribes(2, 5s));
    CHECK(eventually([&] { return d.log_text().find("Failed to subscribe") != std::string::npos; }, 2s));
    ws.set_mode(ws_mode::normal);
    REQUIRE(ws.wait_for_subscribed(1, 5s));
    ws.send_ticker("BTC-USD", 7, "71420.00", "70825.07");
    wait_btc(d, [](const json_doc& q) { return q.raw("/price") == "71420.00" && q.str("/source") == "coinbase_ws"; });
}

TEST_CASE("REST Coinbase takes over while the WebSocket feed is down, and hands back", "[integration][push][failover]") {
    fake_ws_upstream ws;
    fake_upstream rest;
    rest.set_route(coinbase_ticker_path("BTC-USD"),
                   json_ok(coinbase_ticker_body("71500.00", utc_text_ms(unix_now() - 1))));
    rest.set_route(coinbase_stats_path("BTC-USD"), json_ok(coinbase_stats_body("70825.07")));
    daemon_process d(config(ws, rest, R"("coinbase_ws:BTC-USD", "coinbase:BTC-USD")"));
    REQUIRE(ws.wait_for_subscribed(1, 5s));

    std::uint64_t seq = 10;
    ws.send_ticker("BTC-USD", ++seq, "71420.00", "70825.07");
    auto first = wait_btc(d, [](const json_doc& q) { return q.str("/source") == "coinbase_ws"; });
    CHECK(first.raw("/price") == "71420.00");
    // The REST backup is polled meanwhile but not published.
    REQUIRE(rest.wait_for_requests(coinbase_ticker_path("BTC-USD"), 3, 5s));
    CHECK(json_doc(http_get(d.port(), "/v1/quotes/BTC").body).str("/source") == "coinbase_ws");

    // The feed drops and refuses new connections: REST takes over.
    ws.set_mode(ws_mode::closed);
    auto backup = wait_btc(d, [](const json_doc& q) { return q.str("/source") == "coinbase"; });
    CHECK(backup.raw("/price") == "71500.00");
    CHECK(d.log_text().find("BTC: switching source from coinbase_ws:BTC-USD to coinbase:BTC-USD") != std::string::npos);

    // The feed comes back: after failback_after good tickers it is published again.
    ws.set_mode(ws_mode::normal);
    REQUIRE(ws.wait_for_subscribed(1, 10s));
    std::string last;
    const bool back = eventually(
        [&] {
            ws.send_ticker("BTC-USD", ++seq, "71440.00", "70825.07");
            last = http_get(d.port(), "/v1/quotes/BTC").body;
            const json_doc q(last);
            return q.str("/source") == "coinbase_ws" && q.raw("/price") == "71440.00";
        },
        10s, 100ms);
    INFO(last << "\n" << d.log_tail());
    REQUIRE(back);
    CHECK(d.log_text().find("BTC: switching source from coinbase:BTC-USD to coinbase_ws:BTC-USD") != std::string::npos);
}

TEST_CASE("A silent WebSocket feed also hands over to REST", "[integration][push][failover]") {
    fake_ws_upstream ws;
    fake_upstream rest;
    rest.set_route(coinbase_ticker_path("BTC-USD"),
                   json_ok(coinbase_ticker_body("71500.00", utc_text_ms(unix_now() - 1))));
    rest.set_route(coinbase_stats_path("BTC-USD"), json_ok(coinbase_stats_body("70825.07")));
    daemon_process d(config(ws, rest, R"("coinbase_ws:BTC-USD", "coinbase:BTC-USD")", "300ms"));
    REQUIRE(ws.wait_for_subscribed(1, 5s));
    ws.send_ticker("BTC-USD", 1, "71420.00", "70825.07");
    wait_btc(d, [](const json_doc& q) { return q.str("/source") == "coinbase_ws"; });

    ws.set_mode(ws_mode::silent);
    auto backup = wait_btc(d, [](const json_doc& q) { return q.str("/source") == "coinbase"; });
    CHECK(backup.raw("/price") == "71500.00");
    CHECK(ws.subscribe_count() >= 2);
}

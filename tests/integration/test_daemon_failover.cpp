// The real tickerd against fake Coinbase, Binance and Kraken on loopback: a
// symbol's sources fail over in order, come back, and keep change_pct steady.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

std::string binance_body(std::string_view last, std::string_view open) {
    return fmt::format(
        R"({{"symbol":"BTCUSDT","priceChange":"0","priceChangePercent":"0","weightedAvgPrice":"{0}","prevClosePrice":"1.0",)"
        R"("lastPrice":"{0}","lastQty":"0.1","bidPrice":"{0}","bidQty":"1","askPrice":"{0}","askQty":"1","openPrice":"{1}",)"
        R"("highPrice":"{0}","lowPrice":"{1}","volume":"10","quoteVolume":"10","openTime":{2},"closeTime":{3},)"
        R"("firstId":1,"lastId":100,"count":100}})",
        last, open, (unix_now() - 86400) * 1000, unix_now() * 1000);
}

std::string kraken_body(std::string_view last, std::string_view utc_open) {
    return fmt::format(
        R"({{"error":[],"result":{{"XXBTZUSD":{{"a":["{0}","1","1.000"],"b":["{0}","1","1.000"],"c":["{0}","0.1"],)"
        R"("v":["1","2"],"p":["{0}","{0}"],"t":[10,20],"l":["{0}","{0}"],"h":["{0}","{0}"],"o":"{1}"}}}}}})",
        last, utc_open);
}

std::string config(const fake_upstream& up, std::string_view sources) {
    return fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "BTC"
name = "Bitcoin"
class = "crypto"
currency = "USD"
precision = 2
sources = [{1}]
max_age = "30s"
failover_after = 2
failback_after = 2

[providers.coinbase]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"

[providers.binance]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"

[providers.kraken]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"
)",
                       up.base_url(), sources);
}

void coinbase(fake_upstream& up, std::string_view price, std::string_view open) {
    up.set_route(coinbase_ticker_path("BTC-USD"), json_ok(coinbase_ticker_body(price, utc_text_ms(unix_now() - 1))));
    up.set_route(coinbase_stats_path("BTC-USD"), json_ok(coinbase_stats_body(open)));
}

json_doc wait_btc(const daemon_process& d, const std::function<bool(const json_doc&)>& pred,
                  std::chrono::milliseconds timeout = 10s) {
    return wait_quote(d, "BTC", pred, timeout);
}

}  // namespace

TEST_CASE("A failing source hands over to the next one and takes over again when healthy", "[integration][failover]") {
    fake_upstream up;
    coinbase(up, "71420.00", "70825.07");
    up.set_route("/api/v3/ticker/24hr", json_ok(binance_body("71500.00000000", "70900.00000000")));
    daemon_process d(config(up, R"("coinbase:BTC-USD", "binance:BTCUSDT")"));

    auto first = wait_btc(d, [](const json_doc& q) { return q.str("/source") == "coinbase"; });
    CHECK(first.raw("/price") == "71420.00");
    CHECK(first.raw("/ref_price") == "70825.07");
    // The backup is polled too (kept warm) but not published.
    REQUIRE(up.wait_for_requests("/api/v3/ticker/24hr", 3, 5s));
    CHECK(http_get(d.port(), "/v1/quotes/BTC").body.find("\"source\":\"coinbase\"") != std::string::npos);

    // Coinbase goes down: Binance takes over, with its own 24 h open.
    up.set_route(coinbase_ticker_path("BTC-USD"), with_status(503, R"({"message":"Service Unavailable"})"));
    auto backup = wait_btc(d, [](const json_doc& q) { return q.str("/source") == "binance"; });
    CHECK(backup.raw("/price") == "71500.00");
    CHECK(backup.raw("/ref_price") == "70900.00");
    CHECK_FALSE(backup.boolean("/stale"));
    CHECK(d.log_text().find("BTC: switching source from coinbase:BTC-USD to binance:BTCUSDT") != std::string::npos);

    // Coinbase heals: after failback_after good polls it is the source again.
    coinbase(up, "71430.00", "70825.07");
    auto back = wait_btc(d, [](const json_doc& q) { return q.str("/source") == "coinbase"; });
    CHECK(back.raw("/price") == "71430.00");
    CHECK(d.log_text().find("BTC: switching source from binance:BTCUSDT to coinbase:BTC-USD") != std::string::npos);
}

TEST_CASE("A backup with another kind of reference keeps the symbol's reference", "[integration][failover]") {
    fake_upstream up;
    coinbase(up, "71420.00", "70825.07");
    // Kraken's "o" is the 00:00 UTC open, not the 24 h open a crypto symbol shows.
    up.set_route("/0/public/Ticker", json_ok(kraken_body("71440.00000", "71012.60000")));
    daemon_process d(config(up, R"("coinbase:BTC-USD", "kraken:XBTUSD")"));

    auto first = wait_btc(d, [](const json_doc& q) { return q.str("/source") == "coinbase"; });
    CHECK(first.raw("/change_pct") == "0.84");

    up.set_route(coinbase_ticker_path("BTC-USD"), closing());
    auto backup = wait_btc(d, [](const json_doc& q) { return q.str("/source") == "kraken"; });
    CHECK(backup.raw("/price") == "71440.00");
    CHECK(backup.raw("/ref_price") == "70825.07");  // not Kraken's 71012.60
    CHECK(backup.raw("/change_pct") == "0.87");
}

TEST_CASE("When every source fails the last good quote stays and turns stale", "[integration][failover]") {
    fake_upstream up;
    coinbase(up, "71420.00", "70825.07");
    up.set_route("/api/v3/ticker/24hr", json_ok(binance_body("71500.00000000", "70900.00000000")));
    std::string cfg = config(up, R"("coinbase:BTC-USD", "binance:BTCUSDT")");
    cfg.replace(cfg.find("max_age = \"30s\""), 15, "max_age = \"1s\"");
    daemon_process d(cfg);
    wait_btc(d, [](const json_doc& q) { return q.str("/source") == "coinbase"; });

    up.set_route(coinbase_ticker_path("BTC-USD"), with_status(500, "oops", "text/plain"));
    up.set_route("/api/v3/ticker/24hr", with_status(429, R"({"code":-1003,"msg":"Too many requests"})"));
    auto stale = wait_btc(d, [](const json_doc& q) { return q.boolean("/stale"); });
    CHECK(stale.str("/source") == "coinbase");
    CHECK(stale.raw("/price") == "71420.00");
}

namespace {

std::string nvda_config(const fake_upstream& up, std::string_view finnhub_extra) {
    return fmt::format(R"(
[server]
listen = "127.0.0.1:0"
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA", "finnhub:NVDA"]
failover_after = 2
failback_after = 2
[providers.yahoo]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"
[providers.finnhub]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"
{1}
)",
                       up.base_url(), finnhub_extra);
}

constexpr std::string_view finnhub_nvda =
    R"({"c":1284.3,"d":17.98,"dp":1.4199,"h":1291.5,"l":1262.11,"o":1268.4,"pc":1266.32,"t":1791400198})";

}  // namespace

TEST_CASE("Finnhub takes over with its API key in a header, and the key never reaches the log",
          "[integration][failover][finnhub]") {
    fake_upstream up;
    const auto now = unix_now();
    up.set_route(yahoo_path("NVDA"), with_status(503, "Service Unavailable", "text/plain"));
    up.set_route("/api/v1/quote", json_ok(std::string(finnhub_nvda)));
    const std::string secret = "s3cr3t-finnhub-key";
    const auto key_file = std::filesystem::temp_directory_path() / ("tickerd-finnhub-key-" + std::to_string(now));
    { std::ofstream(key_file) << secret << "\n"; }
    daemon_process d(nvda_config(up, fmt::format("api_key_file = \"{}\"", key_file.string())));

    std::string last;
    REQUIRE(eventually(
        [&] {
            auto r = http_get(d.port(), "/v1/quotes/NVDA");
            last = r.body;
            return r.status == 200 && json_doc(r.body).str("/source") == "finnhub";
        },
        10s));
    json_doc q(last);
    CHECK(q.raw("/price") == "1284.30");
    CHECK(q.raw("/ref_price") == "1266.32");
    bool sent_key = false;
    for (const auto& req : up.requests()) {
        if (!req.target.starts_with("/api/v1/quote")) continue;
        CHECK(req.target.find(secret) == std::string::npos);  // never in the URL
        for (const auto& [name, value] : req.headers) {
            if (name == "X-Finnhub-Token" && value == secret) sent_key = true;
        }
    }
    CHECK(sent_key);
    CHECK(d.log_text().find(secret) == std::string::npos);
    std::filesystem::remove(key_file);
}

TEST_CASE("Without an API key Finnhub is skipped with one warning and never polled", "[integration][finnhub]") {
    fake_upstream up;
    const auto now = unix_now();
    up.set_route(yahoo_path("NVDA"),
                 json_ok(yahoo_chart_body("NVDA", "1284.3", "1266.32", "USD", now - 5, now - 3600, now + 3600)));
    up.set_route("/api/v1/quote", json_ok(std::string(finnhub_nvda)));
    daemon_process d(nvda_config(up, ""));
    REQUIRE(up.wait_for_requests(yahoo_path("NVDA"), 5, 5s));
    CHECK(up.request_count("/api/v1/quote") == 0);
    const std::string log = d.log_text();
    const std::string warning = "finnhub: no API key (set TICKERD_FINNHUB_API_KEY or providers.finnhub.api_key_file)";
    REQUIRE(log.find(warning) != std::string::npos);
    CHECK(log.find(warning, log.find(warning) + 1) == std::string::npos);  // once
}

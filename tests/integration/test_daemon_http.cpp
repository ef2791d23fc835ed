// The real tickerd binary against a fake Yahoo/Coinbase on loopback: the HTTP API.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <set>
#include <string>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

// A Yahoo/Coinbase stand-in with realistic replies for NVDA, 9988.HK, USD/VND and BTC.
struct market {
    fake_upstream up;
    std::int64_t now = unix_now();
    std::int64_t market_time = now - 5;            // regularMarketTime of every Yahoo reply
    std::string btc_time_text = utc_text_ms(now - 2).replace(20, 4, "482013077Z");  // nanoseconds, as Coinbase sends

    void yahoo(std::string_view symbol, std::string_view price, std::string_view prev, std::string_view currency) {
        up.set_route(yahoo_path(symbol),
                     json_ok(yahoo_chart_body(symbol, price, prev, currency, market_time, now - 3 * 3600, now + 3 * 3600)));
    }
    void coinbase(std::string_view price, std::string_view open) {
        up.set_route(coinbase_ticker_path("BTC-USD"), json_ok(coinbase_ticker_body(price, btc_time_text)));
        up.set_route(coinbase_stats_path("BTC-USD"), json_ok(coinbase_stats_body(open)));
    }
    void defaults() {
        yahoo("NVDA", "1284.3", "1266.32", "USD");
        yahoo("9988.HK", "142.8", "145.88", "HKD");
        yahoo("VND=X", "25412.0", "25419.6", "VND");
        coinbase("71420.00", "70825.07");
    }
};

std::string providers_toml(const fake_upstream& up) {
    return fmt::format(R"(
[providers.yahoo]
base_url = "{0}"
interval = "200ms"
timeout = "2s"

[providers.coinbase]
base_url = "{0}"
interval = "200ms"
timeout = "2s"
)",
                       up.base_url());
}

std::string symbol_toml(std::string_view id, std::string_view name, std::string_view cls, std::string_view currency,
                        int precision, std::string_view source, std::string_view extra = "") {
    return fmt::format(R"(
[[symbols]]
id = "{}"
name = "{}"
class = "{}"
currency = "{}"
precision = {}
sources = ["{}"]
{}
)",
                       id, name, cls, currency, precision, source, extra);
}

// NVDA, 9988.HK, BTC, USD/VND in that (config) order.
std::string four_symbol_config(const fake_upstream& up) {
    return "[server]\nlisten = \"127.0.0.1:0\"\n" + providers_toml(up) +
           symbol_toml("NVDA", "NVIDIA", "equity", "USD", 2, "yahoo:NVDA") +
           symbol_toml("9988.HK", "Alibaba", "equity", "HKD", 2, "yahoo:9988.HK") +
           symbol_toml("BTC", "Bitcoin", "crypto", "USD", 2, "coinbase:BTC-USD") +
           symbol_toml("USD/VND", "US dollar / dong", "fx", "VND", 0, "yahoo:VND=X");
}

json_doc get_json(std::uint16_t port, std::string_view target, unsigned expected_status = 200) {
    auto r = http_get(port, target);
    INFO("GET " << target << " -> " << r.status << " " << r.body);
    REQUIRE(r.status == expected_status);
    CHECK(r.header("Content-Type").starts_with("application/json"));
    return json_doc(r.body);
}

// Waits until /v1/snapshot holds `n` quotes.
json_doc wait_for_quotes(const daemon_process& d, std::size_t n, std::chrono::milliseconds timeout = 10s) {
    std::string last;
    bool ok = eventually(
        [&] {
            auto r = http_get(d.port(), "/v1/snapshot");
            last = r.body;
            return r.status == 200 && json_doc(r.body).size("/quotes") == n;
        },
        timeout);
    INFO("last /v1/snapshot: " << last);
    REQUIRE(ok);
    return json_doc(last);
}

struct expected_quote {
    std::string symbol, name, cls, currency;
    std::string price, ref_price, change, change_pct, direction;
    std::string d_price, d_change, d_change_pct;
    std::string source;
    std::string as_of;  // empty: not checked
};

void check_quote(const json_doc& j, const std::string& at, const expected_quote& e, std::int64_t test_start) {
    INFO("quote " << e.symbol << " at '" << at << "' in " << j.text());
    CHECK(j.str(at + "/symbol") == e.symbol);
    CHECK(j.str(at + "/name") == e.name);
    CHECK(j.str(at + "/class") == e.cls);
    CHECK(j.str(at + "/currency") == e.currency);
    // Numbers as sent: exactly `precision` decimals, change_pct with 2.
    CHECK(j.raw(at + "/price") == e.price);
    CHECK(j.raw(at + "/ref_price") == e.ref_price);
    CHECK(j.raw(at + "/change") == e.change);
    CHECK(j.raw(at + "/change_pct") == e.change_pct);
    CHECK(j.str(at + "/direction") == e.direction);
    CHECK(j.str(at + "/display/price") == e.d_price);
    CHECK(j.str(at + "/display/change") == e.d_change);
    CHECK(j.str(at + "/display/change_pct") == e.d_change_pct);
    CHECK(j.str(at + "/source") == e.source);
    CHECK(j.boolean(at + "/stale") == false);
    if (!e.as_of.empty()) CHECK(j.str(at + "/as_of") == e.as_of);
    const std::string received = j.str(at + "/received_at");
    CHECK(received.size() == 24);
    CHECK(received >= utc_text_ms(test_start - 1));
    CHECK(received <= utc_text_ms(unix_now() + 1));
    const std::set<std::string> states = e.cls == "crypto"
                                             ? std::set<std::string>{"open", "always"}
                                             : std::set<std::string>{"open", "pre", "post", "break", "closed", "unknown"};
    CHECK(states.count(j.str(at + "/market")) == 1);
    // seq starts from the daemon's start time in microseconds.
    CHECK(j.u64(at + "/seq") >= static_cast<std::uint64_t>(test_start - 1) * 1'000'000u);
}

const expected_quote nvda{"NVDA", "NVIDIA", "equity", "USD", "1284.30", "1266.32", "17.98", "1.42", "up",
                          "1,284.30", "+17.98", "▲ 1.42%", "yahoo", ""};
const expected_quote baba{"9988.HK", "Alibaba", "equity", "HKD", "142.80", "145.88", "-3.08", "-2.11", "down",
                          "142.80", "-3.08", "▼ 2.11%", "yahoo", ""};
// ref = stats.open (24 h), price = ticker.price.
const expected_quote btc{"BTC", "Bitcoin", "crypto", "USD", "71420.00", "70825.07", "594.93", "0.84", "up",
                         "71,420.00", "+594.93", "▲ 0.84%", "coinbase", ""};
// precision 0: 25419.6 -> 25420, change -7.6 -> -8; change_pct -0.0299 -> -0.03.
const expected_quote vnd{"USD/VND", "US dollar / dong", "fx", "VND", "25412", "25420", "-8", "-0.03", "down",
                         "25,412", "-8", "▼ 0.03%", "yahoo", ""};

}  // namespace

TEST_CASE("GET /v1/snapshot after the first polls holds normalised Yahoo and Coinbase quotes", "[integration]") {
    market m;
    m.defaults();
    const auto test_start = unix_now();
    daemon_process d(four_symbol_config(m.up));

    json_doc snap = wait_for_quotes(d, 4);
    auto r = http_get(d.port(), "/v1/snapshot");
    REQUIRE(r.status == 200);
    CHECK(r.header("Content-Type").starts_with("application/json"));
    CHECK(r.header("Cache-Control") == "no-cache");
    const std::string etag = r.header("ETag");
    CHECK(etag.size() >= 3);
    CHECK(etag.front() == '"');
    CHECK(etag.back() == '"');

    snap = json_doc(r.body);
    INFO(snap.text());
    // Config order.
    CHECK(snap.symbols() == std::vector<std::string>{"NVDA", "9988.HK", "BTC", "USD/VND"});
    const std::uint64_t seq = snap.u64("/seq");
    CHECK(seq >= static_cast<std::uint64_t>(test_start - 1) * 1'000'000u);
    const std::string generated = snap.str("/generated_at");
    CHECK(generated.size() == 24);
    CHECK(generated.back() == 'Z');
    CHECK(generated >= utc_text_ms(test_start - 1));

    auto with_as_of = [](expected_quote e, std::string as_of) {
        e.as_of = std::move(as_of);
        return e;
    };
    check_quote(snap, "/quotes/0", with_as_of(nvda, utc_text_ms(m.market_time)), test_start);
    check_quote(snap, "/quotes/1", with_as_of(baba, utc_text_ms(m.market_time)), test_start);
    check_quote(snap, "/quotes/2", with_as_of(btc, utc_text_ms(m.now - 2, 482)), test_start);
    check_quote(snap, "/quotes/3", with_as_of(vnd, utc_text_ms(m.market_time)), test_start);
    for (std::size_t i = 0; i < 4; ++i) CHECK(snap.u64(fmt::format("/quotes/{}/seq", i)) <= seq);

    // What went over the wire to the upstreams.
    const std::string q(yahoo_query);
    CHECK(m.up.request_count("/v8/finance/chart/NVDA" + q) >= 1);
    CHECK(m.up.request_count("/v8/finance/chart/9988.HK" + q) >= 1);
    CHECK(m.up.request_count("/v8/finance/chart/VND%3DX" + q) >= 1);
    CHECK(m.up.request_count("/products/BTC-USD/ticker") >= 1);
    CHECK(m.up.request_count("/products/BTC-USD/stats") >= 1);
    for (const auto& req : m.up.requests()) {
        INFO(req.target);
        CHECK(req.method == "GET");
        CHECK_FALSE(req.user_agent.empty());  // Coinbase answers 400 without one, Yahoo 429s bare clients
    }
}

TEST_CASE("GET /v1/snapshot answers 304 to If-None-Match until something changes", "[integration]") {
    market m;
    m.defaults();
    daemon_process d(four_symbol_config(m.up));
    wait_for_quotes(d, 4);

    auto first = http_get(d.port(), "/v1/snapshot");
    REQUIRE(first.status == 200);
    const std::string etag1 = first.header("ETag");
    REQUIRE_FALSE(etag1.empty());
    const std::uint64_t seq1 = json_doc(first.body).u64("/seq");

    auto not_modified = http_get(d.port(), "/v1/snapshot", {{"If-None-Match", etag1}});
    CHECK(not_modified.status == 304);
    CHECK(not_modified.body.empty());
    CHECK(not_modified.header("ETag") == etag1);

    // Identical re-polls change nothing.
    const auto n = m.up.request_count("/v8/finance/chart/NVDA");
    REQUIRE(m.up.wait_for_requests("/v8/finance/chart/NVDA", n + 3, 5s));
    CHECK(http_get(d.port(), "/v1/snapshot", {{"If-None-Match", etag1}}).status == 304);

    m.yahoo("NVDA", "1300.00", "1266.32", "USD");
    http_result changed;
    bool ok = eventually(
        [&] {
            changed = http_get(d.port(), "/v1/snapshot", {{"If-None-Match", etag1}});
            return changed.status != 304;
        },
        10s);
    INFO(changed.status << " " << changed.body);
    REQUIRE(ok);
    CHECK(changed.status == 200);
    const std::string etag2 = changed.header("ETag");
    CHECK_FALSE(etag2.empty());
    CHECK(etag2 != etag1);
    json_doc snap(changed.body);
    CHECK(snap.u64("/seq") > seq1);
    auto at = snap.find("/quotes", "symbol", "NVDA");
    REQUIRE(at);
    CHECK(snap.raw(*at + "/price") == "1300.00");
    CHECK(snap.raw(*at + "/change") == "33.68");
    CHECK(snap.raw(*at + "/change_pct") == "2.66");
    CHECK(snap.u64(*at + "/seq") > seq1);

    CHECK(http_get(d.port(), "/v1/snapshot", {{"If-None-Match", etag2}}).status == 304);
}

TEST_CASE("GET /v1/snapshot?symbols= filters, and rejects unknown symbols with 400", "[integration]") {
    market m;
    m.defaults();
    daemon_process d(four_symbol_config(m.up));
    wait_for_quotes(d, 4);

    SECTION("a subset, returned in config order") {
        json_doc j = get_json(d.port(), "/v1/snapshot?symbols=BTC,NVDA");
        CHECK(j.symbols() == std::vector<std::string>{"NVDA", "BTC"});
        CHECK(j.raw("/quotes/0/price") == "1284.30");
        CHECK(j.raw("/quotes/1/price") == "71420.00");
    }
    SECTION("an id with '/' percent-encoded in the query") {
        json_doc j = get_json(d.port(), "/v1/snapshot?symbols=USD%2FVND");
        CHECK(j.symbols() == std::vector<std::string>{"USD/VND"});
    }
    SECTION("one unknown symbol fails the whole request") {
        json_doc j = get_json(d.port(), "/v1/snapshot?symbols=NVDA,NOPE", 400);
        CHECK_FALSE(j.str("/error").empty());
    }
}

TEST_CASE("GET /v1/quotes/{id} returns one quote, 404 for unknown ids, ids may contain '/'", "[integration]") {
    market m;
    m.defaults();
    const auto test_start = unix_now();
    daemon_process d(four_symbol_config(m.up));
    wait_for_quotes(d, 4);

    SECTION("a Yahoo equity") {
        json_doc j = get_json(d.port(), "/v1/quotes/NVDA");
        check_quote(j, "", nvda, test_start);
    }
    SECTION("the Coinbase BTC") {
        json_doc j = get_json(d.port(), "/v1/quotes/BTC");
        check_quote(j, "", btc, test_start);
    }
    SECTION("USD/VND with a raw '/'") {
        json_doc j = get_json(d.port(), "/v1/quotes/USD/VND");
        check_quote(j, "", vnd, test_start);
    }
    SECTION("USD/VND with '/' percent-encoded") {
        json_doc j = get_json(d.port(), "/v1/quotes/USD%2FVND");
        check_quote(j, "", vnd, test_start);
    }
    SECTION("an unknown id") {
        json_doc j = get_json(d.port(), "/v1/quotes/NOPE", 404);
        CHECK_FALSE(j.str("/error").empty());
    }
}

TEST_CASE("/healthz is 200, /readyz is 503 listing a symbol without data until it has a quote", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32", "USD");
    m.up.set_route(yahoo_path("TSM"), with_status(503, "Service Unavailable", "text/plain"));
    daemon_process d("[server]\nlisten = \"127.0.0.1:0\"\n" + providers_toml(m.up) +
                     symbol_toml("NVDA", "NVIDIA", "equity", "USD", 2, "yahoo:NVDA") +
                     symbol_toml("TSM", "TSMC", "equity", "USD", 2, "yahoo:TSM"));

    CHECK(http_get(d.port(), "/healthz").status == 200);

    json_doc snap = wait_for_quotes(d, 1);
    CHECK(snap.symbols() == std::vector<std::string>{"NVDA"});
    REQUIRE(m.up.wait_for_requests("/v8/finance/chart/TSM", 2, 5s));

    auto not_ready = http_get(d.port(), "/readyz");
    INFO(not_ready.body);
    CHECK(not_ready.status == 503);
    json_doc nr(not_ready.body);
    CHECK(nr.boolean("/ready") == false);
    CHECK(nr.strings("/missing") == std::vector<std::string>{"TSM"});
    CHECK(nr.strings("/stale").empty());
    CHECK(http_get(d.port(), "/healthz").status == 200);  // alive while not ready

    // The upstream heals.
    m.yahoo("TSM", "248.72", "247.04", "USD");
    http_result ready;
    bool ok = eventually(
        [&] {
            ready = http_get(d.port(), "/readyz");
            return ready.status == 200;
        },
        15s);
    INFO(ready.status << " " << ready.body);
    CHECK(ok);
    json_doc j = get_json(d.port(), "/v1/quotes/TSM");
    CHECK(j.raw("/price") == "248.72");
    CHECK(j.raw("/change_pct") == "0.68");
    CHECK(http_get(d.port(), "/healthz").status == 200);
}

TEST_CASE("A reply slower than the poll interval but within the timeout is accepted", "[integration]") {
    market m;
    auto slow = json_ok(yahoo_chart_body("NVDA", "1284.3", "1266.32", "USD", m.market_time, m.now - 3600, m.now + 3600));
    slow.delay = 700ms;  // interval 200ms, timeout 2s
    m.up.set_route(yahoo_path("NVDA"), slow);
    daemon_process d("[server]\nlisten = \"127.0.0.1:0\"\n" + providers_toml(m.up) +
                     symbol_toml("NVDA", "NVIDIA", "equity", "USD", 2, "yahoo:NVDA"));
    json_doc snap = wait_for_quotes(d, 1);
    CHECK(snap.raw("/quotes/0/price") == "1284.30");
}

TEST_CASE("A bad upstream reply is rejected and the last good quote stays", "[integration]") {
    market m;
    m.yahoo("NVDA", "1284.3", "1266.32", "USD");
    daemon_process d("[server]\nlisten = \"127.0.0.1:0\"\n" + providers_toml(m.up) +
                     symbol_toml("NVDA", "NVIDIA", "equity", "USD", 2, "yahoo:NVDA"));
    json_doc before = wait_for_quotes(d, 1);
    REQUIRE(before.raw("/quotes/0/price") == "1284.30");
    const std::uint64_t seq_before = before.u64("/seq");

    const std::string good = yahoo_chart_body("NVDA", "1284.3", "1266.32", "USD", m.market_time, m.now - 3600,
                                              m.now + 3600);
    SECTION("an HTML page with status 200") { m.up.set_route(yahoo_path("NVDA"), html_page(200)); }
    SECTION("JSON cut short") { m.up.set_route(yahoo_path("NVDA"), json_ok(good.substr(0, good.size() / 2))); }
    SECTION("a zero price") {
        m.up.set_route(yahoo_path("NVDA"), json_ok(yahoo_chart_body("NVDA", "0.0", "1266.32", "USD", m.market_time,
                                                                    m.now - 3600, m.now + 3600)));
    }
    SECTION("a negative price") {
        m.up.set_route(yahoo_path("NVDA"), json_ok(yahoo_chart_body("NVDA", "-5.25", "1266.32", "USD", m.market_time,
                                                                    m.now - 3600, m.now + 3600)));
    }
    SECTION("Yahoo's unknown-symbol error") { m.up.set_route(yahoo_path("NVDA"), with_status(404, yahoo_unknown_symbol_body())); }

    // Several polls of the bad reply.
    const auto n = m.up.request_count("/v8/finance/chart/NVDA");
    REQUIRE(m.up.wait_for_requests("/v8/finance/chart/NVDA", n + 4, 10s));
    json_doc after = get_json(d.port(), "/v1/snapshot");
    INFO(after.text());
    REQUIRE(after.size("/quotes") == 1);
    CHECK(after.raw("/quotes/0/price") == "1284.30");
    CHECK(after.raw("/quotes/0/ref_price") == "1266.32");
    CHECK(after.boolean("/quotes/0/stale") == false);  // max_age is the default 5 min
    CHECK(after.u64("/seq") == seq_before);
    CHECK(http_get(d.port(), "/healthz").status == 200);

    // Polling goes on: a good reply is taken again.
    m.yahoo("NVDA", "1290.55", "1266.32", "USD");
    std::string last;
    bool ok = eventually(
        [&] {
            last = http_get(d.port(), "/v1/quotes/NVDA").body;
            return json_doc(last).raw("/price") == "1290.55";
        },
        15s);
    INFO(last);
    CHECK(ok);
}

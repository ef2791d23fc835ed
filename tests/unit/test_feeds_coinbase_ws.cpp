#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "feed_test_support.hpp"
#include "tickerd/decimal.hpp"
#include "tickerd/feeds/registry.hpp"
#include "tickerd/feeds/coinbase_ws.hpp"

using namespace tickerd;
using namespace tickerd::feeds;

using tickerd::feed_tests::fixture;
using tickerd::feed_tests::dec;
using tickerd::feed_tests::replace_once;

namespace {

std::string trimmed_fixture(const std::string& name) {
    std::string s = fixture(name);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

std::int64_t ms_since_epoch(const std::optional<time_point>& t) {
    REQUIRE(t.has_value());
    return t->time_since_epoch().count();
}

template <class T>
T expect(const coinbase_ws_event& e) {
    if (!e.ok()) FAIL("error: " << e.error().message);
    const T* v = std::get_if<T>(&e.value());
    REQUIRE(v != nullptr);
    return *v;
}

feed_error expect_error(const coinbase_ws_event& e) {
    REQUIRE_FALSE(e.ok());
    const feed_error& err = e.error();
    INFO("message: " << err.message);
    CHECK(!err.message.empty());
    CHECK(err.message.size() <= 200);
    CHECK(err.message.find('\n') == std::string::npos);
    return err;
}

const std::string ticker_file = "coinbase_ws_ticker.json";
const std::string price_field = "\"price\":\"71420.00\"";
const std::string sequence_field = "\"sequence\":137512619516";

std::string ticker_with(std::string_view from, std::string_view to) { return replace_once(fixture(ticker_file), from, to); }

// 2026-10-07T19:10:01Z
constexpr std::int64_t sample_second = 1791400201;

}  // namespace

TEST_CASE("coinbase ws subscribe message", "[coinbase_ws]") {
    // Byte for byte the documented request.
    CHECK(coinbase_ws_subscribe_message({"BTC-USD"}) == trimmed_fixture("coinbase_ws_subscribe_request.json"));
    CHECK(coinbase_ws_subscribe_message({"BTC-USD", "ETH-EUR"}) ==
          R"({"type":"subscribe","product_ids":["BTC-USD","ETH-EUR"],"channels":["ticker","heartbeat"]})");
    CHECK(coinbase_ws_subscribe_message({}) == R"({"type":"subscribe","product_ids":[],"channels":["ticker","heartbeat"]})");
    // Whatever the ids hold, the message stays valid JSON.
    CHECK(coinbase_ws_subscribe_message({"A\"B\\C\nD\x01"}) ==
          R"({"type":"subscribe","product_ids":["A\"B\\C\u000aD\u0001"],"channels":["ticker","heartbeat"]})");
}

TEST_CASE("coinbase ws ticker sample", "[coinbase_ws]") {
    const auto t = expect<coinbase_ws_ticker>(parse_coinbase_ws_message(fixture(ticker_file)));
    CHECK(t.product_id == "BTC-USD");
    CHECK(t.sequence == 137'512'619'516ULL);  // beyond decimal's range: read as an integer
    CHECK(t.quote.price.units() == 7'142'000'000'000);
    REQUIRE(t.quote.reference.has_value());
    CHECK(*t.quote.reference == dec("70825.07"));
    CHECK(ms_since_epoch(t.quote.as_of) == sample_second * 1000 + 482);
    CHECK(t.quote.market == market_state::always);
    CHECK(t.quote.currency.empty());
    CHECK(percent_change(t.quote.price, *t.quote.reference).to_string(2) == "0.84");
}

TEST_CASE("coinbase ws ticker variants", "[coinbase_ws]") {
    SECTION("numbers for prices, BOM, whitespace, reordered keys") {
        const std::string text = "\xEF\xBB\xBF {\n \"price\": 0.00021692, \"open_24h\" : 0.0002, \"product_id\":\"DOGE-BTC\","
                                 " \"sequence\": 0, \"x\": [null, {}], \"type\" : \"ticker\" }\n";
        const auto t = expect<coinbase_ws_ticker>(parse_coinbase_ws_message(text));
        CHECK(t.product_id == "DOGE-BTC");
        CHECK(t.sequence == 0);
        CHECK(t.quote.price == dec("0.00021692"));
        CHECK(*t.quote.reference == dec("0.0002"));
        CHECK_FALSE(t.quote.as_of.has_value());
    }
    SECTION("open_24h optional") {
        for (const char* open : {"\"0\"", "null", "\"abc\"", "\"-1\"", "[]"}) {
            INFO("open_24h " << open);
            const auto t = expect<coinbase_ws_ticker>(
                parse_coinbase_ws_message(ticker_with("\"open_24h\":\"70825.07\"", std::string("\"open_24h\":") + open)));
            CHECK_FALSE(t.quote.reference.has_value());
        }
        const auto t = expect<coinbase_ws_ticker>(parse_coinbase_ws_message(ticker_with("\"open_24h\":\"70825.07\",", "")));
        CHECK_FALSE(t.quote.reference.has_value());
    }
    SECTION("time optional") {
        for (const char* time : {"null", "\"yesterday\"", "1791400201", "\"2026-10-07T19:10:01\""}) {
            INFO("time " << time);
            const auto t = expect<coinbase_ws_ticker>(
                parse_coinbase_ws_message(ticker_with("\"time\":\"2026-10-07T19:10:01.482913Z\"", std::string("\"time\":") + time)));
            CHECK_FALSE(t.quote.as_of.has_value());
            CHECK(t.quote.price == dec("71420"));
        }
    }
    SECTION("the largest sequences") {
        CHECK(expect<coinbase_ws_ticker>(parse_coinbase_ws_message(ticker_with(sequence_field, "\"sequence\":9999999999999999999")))
                  .sequence == 9'999'999'999'999'999'999ULL);
    }
}

TEST_CASE("coinbase ws ticker errors", "[coinbase_ws]") {
    const auto with_price = [](std::string_view value) {
        return parse_coinbase_ws_message(ticker_with(price_field, "\"price\":" + std::string(value)));
    };
    for (const char* p : {"\"0\"", "\"0.00\"", "\"-71420.00\"", "-1", "0", "null", "\"abc\"", "\"\"", "\"NaN\"", "\"Infinity\"",
                          "\"1e400\"", "1e400", "\"99999999999\"", "\" 71420\""}) {
        INFO("price " << p);
        CHECK(expect_error(with_price(p)).kind == feed_error_kind::bad_price);
    }
    for (const char* p : {"true", "{}", "[\"71420\"]"}) {
        INFO("price " << p);
        CHECK(expect_error(with_price(p)).kind == feed_error_kind::malformed);
    }
    const auto garbage = expect_error(with_price("\"12abc34\""));
    CHECK(garbage.message.find("ticker") != std::string::npos);
    CHECK(garbage.message.find("12abc34") != std::string::npos);

    const auto no_price = expect_error(parse_coinbase_ws_message(ticker_with(price_field + ",", "")));
    CHECK(no_price.kind == feed_error_kind::malformed);
    CHECK(no_price.message.find("price missing") != std::string::npos);

    // product_id and sequence are needed to keep the highest sequence per product.
    CHECK(expect_error(parse_coinbase_ws_message(ticker_with("\"product_id\":\"BTC-USD\",", ""))).kind == feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message(ticker_with("\"product_id\":\"BTC-USD\"", "\"product_id\":\"\""))).kind ==
          feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message(ticker_with("\"product_id\":\"BTC-USD\"", "\"product_id\":7"))).kind ==
          feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message(ticker_with(sequence_field + ",", ""))).kind == feed_error_kind::malformed);
    for (const char* seq : {"\"137512619516\"", "-1", "1.5", "1.37512619516e11", "null", "18446744073709551616", "[]"}) {
        INFO("sequence " << seq);
        const auto e = expect_error(parse_coinbase_ws_message(ticker_with(sequence_field, std::string("\"sequence\":") + seq)));
        CHECK(e.kind == feed_error_kind::malformed);
        CHECK(e.message.find("sequence") != std::string::npos);
    }
}

TEST_CASE("coinbase ws heartbeat", "[coinbase_ws]") {
    const auto h = expect<coinbase_ws_heartbeat>(parse_coinbase_ws_message(fixture("coinbase_ws_heartbeat.json")));
    CHECK(h.product_id == "BTC-USD");
    CHECK(h.sequence == 137'512'619'530ULL);
    CHECK(ms_since_epoch(h.time) == (sample_second + 1) * 1000);

    const auto no_time = expect<coinbase_ws_heartbeat>(
        parse_coinbase_ws_message(R"({"type":"heartbeat","last_trade_id":0,"product_id":"BTC-USD","sequence":5})"));
    CHECK(no_time.sequence == 5);
    CHECK_FALSE(no_time.time.has_value());

    CHECK(expect_error(parse_coinbase_ws_message(R"({"type":"heartbeat","sequence":5})")).kind == feed_error_kind::malformed);
    const auto e = expect_error(parse_coinbase_ws_message(R"({"type":"heartbeat","product_id":"BTC-USD","sequence":"5"})"));
    CHECK(e.kind == feed_error_kind::malformed);
    CHECK(e.message.find("heartbeat") != std::string::npos);
}

TEST_CASE("coinbase ws subscriptions acknowledgement", "[coinbase_ws]") {
    const auto s = expect<coinbase_ws_subscriptions>(parse_coinbase_ws_message(fixture("coinbase_ws_subscriptions.json")));
    REQUIRE(s.channels.size() == 2);
    CHECK(s.channels[0].name == "ticker");
    CHECK(s.channels[0].product_ids == std::vector<std::string>{"BTC-USD"});
    CHECK(s.channels[1].name == "heartbeat");
    CHECK(s.channels[1].product_ids == std::vector<std::string>{"BTC-USD"});

    // Bare channel names, odd entries skipped, no channels at all.
    const auto odd = expect<coinbase_ws_subscriptions>(parse_coinbase_ws_message(
        R"({"type":"subscriptions","channels":["ticker",1,{"product_ids":["X"]},{"name":"heartbeat","product_ids":["A",2,"B"]}]})"));
    REQUIRE(odd.channels.size() == 2);
    CHECK(odd.channels[0].name == "ticker");
    CHECK(odd.channels[0].product_ids.empty());
    CHECK(odd.channels[1].name == "heartbeat");
    CHECK(odd.channels[1].product_ids == std::vector<std::string>{"A", "B"});
    CHECK(expect<coinbase_ws_subscriptions>(parse_coinbase_ws_message(R"({"type":"subscriptions"})")).channels.empty());
}

TEST_CASE("coinbase ws error message", "[coinbase_ws]") {
    const auto e = expect<coinbase_ws_error>(parse_coinbase_ws_message(fixture("coinbase_ws_error.json")));
    CHECK(e.message == "Failed to subscribe");
    CHECK(e.reason == "BTC-USDX is not a valid product");

    const auto bare = expect<coinbase_ws_error>(parse_coinbase_ws_message(R"({"type":"error"})"));
    CHECK(bare.message.empty());
    CHECK(bare.reason.empty());
    const auto messy = expect<coinbase_ws_error>(
        parse_coinbase_ws_message(R"({"type":"error","message":"line\none\u0007","reason":")" + std::string(1000, 'r') + "\"}"));
    CHECK(messy.message == "line one");
    CHECK(messy.reason.size() <= 160);
}

TEST_CASE("coinbase ws unknown types are reported for ignoring", "[coinbase_ws]") {
    CHECK(expect<coinbase_ws_unknown>(parse_coinbase_ws_message(R"({"type":"l2update","product_id":"BTC-USD","changes":[]})")).type ==
          "l2update");
    CHECK(expect<coinbase_ws_unknown>(parse_coinbase_ws_message(R"({"type":"status","products":[]})")).type == "status");
    CHECK(expect<coinbase_ws_unknown>(parse_coinbase_ws_message(R"({"type":"Ticker","price":"1"})")).type == "Ticker");
    CHECK(expect<coinbase_ws_unknown>(parse_coinbase_ws_message(R"({"type":""})")).type.empty());
    CHECK(expect<coinbase_ws_unknown>(parse_coinbase_ws_message(R"({"type":")" + std::string(500, 't') + "\"}")).type.size() <= 40);
}

TEST_CASE("coinbase ws malformed messages", "[coinbase_ws]") {
    CHECK(expect_error(parse_coinbase_ws_message("")).kind == feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message("\xEF\xBB\xBF")).kind == feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message("ping")).kind == feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message("[]")).kind == feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message("<html><body>502 Bad Gateway</body></html>")).kind == feed_error_kind::malformed);
    const auto no_type = expect_error(parse_coinbase_ws_message(R"({"product_id":"BTC-USD","price":"1"})"));
    CHECK(no_type.kind == feed_error_kind::malformed);
    CHECK(no_type.message.find("type") != std::string::npos);
    CHECK(expect_error(parse_coinbase_ws_message(R"({"type":1})")).kind == feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message(R"({"type":null})")).kind == feed_error_kind::malformed);

    const std::string full = trimmed_fixture(ticker_file);
    REQUIRE(parse_coinbase_ws_message(full).ok());
    for (std::size_t len = 0; len < full.size(); ++len) {
        INFO("prefix length " << len);
        CHECK(expect_error(parse_coinbase_ws_message(full.substr(0, len))).kind == feed_error_kind::malformed);
    }
    CHECK(expect_error(parse_coinbase_ws_message(full + full)).kind == feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message(full + "x")).kind == feed_error_kind::malformed);
    CHECK(expect_error(parse_coinbase_ws_message(ticker_with(price_field, "\"price\":NaN"))).kind == feed_error_kind::malformed);
    // A broken value anywhere, even in a field nobody reads, rejects the message.
    CHECK(expect_error(parse_coinbase_ws_message(ticker_with("\"trade_id\":1104412345", "\"trade_id\":01104412345"))).kind ==
          feed_error_kind::malformed);
}

TEST_CASE("coinbase ws keep-highest sequence helper", "[coinbase_ws]") {
    CHECK(coinbase_ws_is_newer(std::nullopt, 0));
    CHECK(coinbase_ws_is_newer(std::nullopt, 137'512'619'516ULL));
    CHECK(coinbase_ws_is_newer(137'512'619'516ULL, 137'512'619'517ULL));
    CHECK_FALSE(coinbase_ws_is_newer(137'512'619'516ULL, 137'512'619'516ULL));  // duplicate
    CHECK_FALSE(coinbase_ws_is_newer(137'512'619'516ULL, 137'512'619'515ULL));  // stale
    static_assert(coinbase_ws_is_newer(std::nullopt, 1));
}

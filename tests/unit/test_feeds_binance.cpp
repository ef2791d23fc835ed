#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "feed_test_support.hpp"
#include "tickerd/decimal.hpp"
#include "tickerd/feeds/registry.hpp"
#include "tickerd/feeds/binance.hpp"

using namespace tickerd;
using tickerd::feeds::binance_ticker_target;
using tickerd::feeds::parse_binance_ticker;

using tickerd::feed_tests::fixture;
using tickerd::feed_tests::dec;
using tickerd::feed_tests::replace_once;
using tickerd::feed_tests::expect_error;

namespace {

feed_result<raw_quote> parse(unsigned status, const std::string& body, std::string_view content_type = "application/json;charset=UTF-8") {
    return parse_binance_ticker(http_reply{status, content_type, body});
}

const std::string ticker_file = "binance_ticker24hr_BTCUSDT.json";
const std::string last_field = "\"lastPrice\":\"71420.00000000\"";
const std::string open_field = "\"openPrice\":\"70825.07000000\"";

std::string with_last(std::string_view json_value) {
    return replace_once(fixture(ticker_file), last_field, "\"lastPrice\":" + std::string(json_value));
}

}  // namespace

TEST_CASE("binance ticker target", "[binance]") {
    CHECK(binance_ticker_target("BTCUSDT") == "/api/v3/ticker/24hr?symbol=BTCUSDT");
    CHECK(binance_ticker_target("ETHBTC") == "/api/v3/ticker/24hr?symbol=ETHBTC");
    CHECK(binance_ticker_target("BTC USDT&x=1") == "/api/v3/ticker/24hr?symbol=BTC%20USDT%26x%3D1");
}

TEST_CASE("binance BTCUSDT sample: last price, rolling 24 h open, close time", "[binance]") {
    const auto r = parse(200, fixture(ticker_file));
    REQUIRE(r.ok());
    CHECK(r->price.units() == 7'142'000'000'000);
    CHECK(r->price.to_string(2) == "71420.00");
    REQUIRE(r->reference.has_value());
    CHECK(*r->reference == dec("70825.07"));
    // prevClosePrice (70825.06 in the sample) is never the reference.
    CHECK(*r->reference != dec("70825.06"));
    REQUIRE(r->as_of.has_value());
    CHECK(r->as_of->time_since_epoch().count() == 1'791'400'201'834);
    CHECK(r->market == market_state::always);
    // USDT is not labelled: the config decides whether it stands for USD.
    CHECK(r->currency.empty());
    // Agrees with the upstream's own priceChange / priceChangePercent.
    CHECK(r->price - *r->reference == dec("594.93"));
    CHECK(percent_change(r->price, *r->reference).to_string(2) == "0.84");
}

TEST_CASE("binance reference is openPrice only", "[binance]") {
    const std::string body = fixture(ticker_file);
    SECTION("no openPrice: no reference, even with prevClosePrice present") {
        const auto r = parse(200, replace_once(body, open_field + ",", ""));
        REQUIRE(r.ok());
        CHECK_FALSE(r->reference.has_value());
        CHECK(r->price == dec("71420"));
    }
    SECTION("a different prevClosePrice changes nothing") {
        const auto r = parse(200, replace_once(body, "\"prevClosePrice\":\"70825.06000000\"", "\"prevClosePrice\":\"0.00000000\""));
        REQUIRE(r.ok());
        CHECK(*r->reference == dec("70825.07"));
    }
    SECTION("zero, negative, null or garbage openPrice") {
        for (const char* open : {"\"0.00000000\"", "\"-1\"", "null", "\"abc\"", "\"NaN\"", "true", "[]"}) {
            INFO("openPrice " << open);
            const auto r = parse(200, replace_once(body, open_field, std::string("\"openPrice\":") + open));
            REQUIRE(r.ok());
            CHECK_FALSE(r->reference.has_value());
        }
    }
    SECTION("openPrice as a number") {
        const auto r = parse(200, replace_once(body, open_field, "\"openPrice\":70825.07"));
        REQUIRE(r.ok());
        CHECK(*r->reference == dec("70825.07"));
    }
}

TEST_CASE("binance tolerates numbers, a BOM, whitespace, key order and type=MINI", "[binance]") {
    SECTION("lastPrice as a number") {
        const auto r = parse(200, with_last("71420.00"));
        REQUIRE(r.ok());
        CHECK(r->price == dec("71420"));
        CHECK(parse(200, with_last("7.142e4"))->price == dec("71420"));
    }
    SECTION("BOM and surrounding whitespace") {
        const auto r = parse(200, "\xEF\xBB\xBF\r\n " + fixture(ticker_file) + "\n\n");
        REQUIRE(r.ok());
        CHECK(r->price == dec("71420"));
    }
    SECTION("reduced (type=MINI) object, reordered, pretty-printed") {
        const std::string mini =
            "{\n  \"closeTime\" : 1791400201834,\n  \"lastPrice\" : \"0.00021692\",\n  \"openPrice\": \"0.0002\",\n"
            "  \"symbol\": \"XBTC\", \"count\": 3, \"future\": {\"a\": [1, null]}\n}\n";
        const auto r = parse(200, mini);
        REQUIRE(r.ok());
        CHECK(r->price == dec("0.00021692"));
        CHECK(*r->reference == dec("0.0002"));
        CHECK(r->as_of->time_since_epoch().count() == 1'791'400'201'834);
    }
    SECTION("more than 8 decimals are rounded") {
        CHECK(parse(200, with_last("\"71420.123456785\""))->price == dec("71420.12345679"));
    }
    SECTION("the content type is not trusted") {
        CHECK(parse(200, fixture(ticker_file), "text/plain").ok());
    }
}

TEST_CASE("binance closeTime is optional", "[binance]") {
    const std::string body = fixture(ticker_file);
    const std::string close = "\"closeTime\":1791400201834";
    for (const char* value : {"\"1791400201834\"", "null", "-1", "0", "1791400201834.5", "1.791400201834e12",
                              "99999999999999999999", "253402300800000"}) {
        INFO("closeTime " << value);
        const auto r = parse(200, replace_once(body, close, std::string("\"closeTime\":") + value));
        REQUIRE(r.ok());
        CHECK_FALSE(r->as_of.has_value());
        CHECK(r->price == dec("71420"));
    }
    const auto none = parse(200, replace_once(body, close + ",", ""));
    REQUIRE(none.ok());
    CHECK_FALSE(none->as_of.has_value());
    CHECK(parse(200, replace_once(body, close, "\"closeTime\":1"))->as_of->time_since_epoch().count() == 1);
}

TEST_CASE("binance no trades in the window is no_data", "[binance]") {
    SECTION("count 0 with zero prices, as public mocks show") {
        const std::string idle =
            R"({"symbol":"ABCUSDT","priceChange":"0.00000000","priceChangePercent":"0.000","weightedAvgPrice":"0.00000000",)"
            R"("prevClosePrice":"0.00000000","lastPrice":"0.00000000","lastQty":"0.00000000","bidPrice":"0.00000000",)"
            R"("bidQty":"0.00000000","askPrice":"0.00000000","askQty":"0.00000000","openPrice":"0.00000000",)"
            R"("highPrice":"0.00000000","lowPrice":"0.00000000","volume":"0.00000000","quoteVolume":"0.00000000",)"
            R"("openTime":1791313801834,"closeTime":1791400201834,"firstId":-1,"lastId":-1,"count":0})";
        const auto e = expect_error(parse(200, idle));
        CHECK(e.kind == feed_error_kind::no_data);
        CHECK(e.message.find("count 0") != std::string::npos);
    }
    SECTION("count 0 decides even with a price") {
        const auto body = replace_once(fixture(ticker_file), "\"count\":2650000", "\"count\":0");
        CHECK(expect_error(parse(200, body)).kind == feed_error_kind::no_data);
    }
    SECTION("zero lastPrice") {
        for (const char* zero : {"\"0.00000000\"", "\"0\"", "0", "\"-0.0\"", "\"0.000000001\""}) {
            INFO("lastPrice " << zero);
            CHECK(expect_error(parse(200, with_last(zero))).kind == feed_error_kind::no_data);
        }
    }
    SECTION("an unreadable count is ignored; the price decides") {
        const auto body = replace_once(fixture(ticker_file), "\"count\":2650000", "\"count\":\"many\"");
        CHECK(parse(200, body).ok());
    }
}

TEST_CASE("binance bad prices", "[binance]") {
    CHECK(expect_error(parse(200, with_last("\"-71420.00\""))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_last("-1"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_last("null"))).kind == feed_error_kind::bad_price);
    for (const char* text : {"\"abc\"", "\"\"", "\"NaN\"", "\"nan\"", "\"Infinity\"", "\"-Infinity\"", "\"1e400\"",
                             "\"99999999999\"", "1e400", "123456789012345678901234567890", "\" 71420\"", "\"71,420.00\"",
                             "\"0x1170C\"", "\"71420.00 USDT\""}) {
        INFO("lastPrice " << text);
        CHECK(expect_error(parse(200, with_last(text))).kind == feed_error_kind::bad_price);
    }
    for (const char* text : {"true", "[\"71420\"]", "{}"}) {
        INFO("lastPrice " << text);
        CHECK(expect_error(parse(200, with_last(text))).kind == feed_error_kind::malformed);
    }
    const auto garbage = expect_error(parse(200, with_last("\"12abc34\"")));
    CHECK(garbage.message.find("12abc34") != std::string::npos);
    CHECK(garbage.message.find("lastPrice") != std::string::npos);

    const auto missing = expect_error(parse(200, replace_once(fixture(ticker_file), last_field + ",", "")));
    CHECK(missing.kind == feed_error_kind::malformed);
    CHECK(missing.message.find("lastPrice") != std::string::npos);
}

TEST_CASE("binance error replies", "[binance]") {
    SECTION("400 -1121 invalid symbol is no_data") {
        const auto e = expect_error(parse(400, fixture("binance_error_invalid_symbol.json")));
        CHECK(e.kind == feed_error_kind::no_data);
        CHECK(e.message.find("-1121") != std::string::npos);
        CHECK(e.message.find("Invalid symbol.") != std::string::npos);
        CHECK(e.message.find("400") != std::string::npos);
    }
    SECTION("the same body with 200 is still no_data") {
        CHECK(expect_error(parse(200, fixture("binance_error_invalid_symbol.json"))).kind == feed_error_kind::no_data);
    }
    SECTION("429 -1003 is rate_limited") {
        const auto e = expect_error(parse(429, fixture("binance_error_too_many_requests.json")));
        CHECK(e.kind == feed_error_kind::rate_limited);
        CHECK(e.message.find("-1003") != std::string::npos);
        CHECK(e.message.find("Too much request weight used") != std::string::npos);
        // -1003 alone is enough.
        CHECK(expect_error(parse(200, fixture("binance_error_too_many_requests.json"))).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(400, fixture("binance_error_too_many_requests.json"))).kind == feed_error_kind::rate_limited);
    }
    SECTION("418 IP ban is rate_limited") {
        const auto e = expect_error(parse(418, R"({"code":-1003,"msg":"Way too much request weight used; IP banned until 1791400500000."})"));
        CHECK(e.kind == feed_error_kind::rate_limited);
        CHECK(e.message.find("418") != std::string::npos);
        CHECK(expect_error(parse(418, "")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(418, R"({"code":-9999})")).kind == feed_error_kind::rate_limited);
    }
    SECTION("429 whatever the body") {
        CHECK(expect_error(parse(429, "")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, "<html><body>Too many</body></html>")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, "{\"code\":")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, fixture(ticker_file))).kind == feed_error_kind::rate_limited);
    }
    SECTION("451 restricted location is upstream_error with the message") {
        const auto e = expect_error(parse(451, fixture("binance_error_restricted_location.json")));
        CHECK(e.kind == feed_error_kind::upstream_error);
        CHECK(e.message.find("451") != std::string::npos);
        CHECK(e.message.find("restricted location") != std::string::npos);
        // An HTML page with 451 says the same.
        const auto html = expect_error(parse(451, "<html><body><h1>Unavailable For Legal Reasons</h1></body></html>", "text/html"));
        CHECK(html.kind == feed_error_kind::upstream_error);
        CHECK(html.message.find("Unavailable For Legal Reasons") != std::string::npos);
    }
    SECTION("other codes and statuses are upstream_error") {
        const auto illegal = expect_error(parse(400, R"({"code":-1100,"msg":"Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'."})"));
        CHECK(illegal.kind == feed_error_kind::upstream_error);
        CHECK(illegal.message.find("-1100") != std::string::npos);
        CHECK(expect_error(parse(503, R"({"code":-1001,"msg":"Internal error; unable to process your request. Please try again."})")).kind ==
              feed_error_kind::upstream_error);
        CHECK(expect_error(parse(500, "{}")).kind == feed_error_kind::upstream_error);
        CHECK(expect_error(parse(404, R"({"oops":1})")).kind == feed_error_kind::upstream_error);
        // An error shape with 200 and an unknown code.
        CHECK(expect_error(parse(200, R"({"code":-1000,"msg":"An unknown error occurred."})")).kind == feed_error_kind::upstream_error);
        CHECK(expect_error(parse(200, R"({"msg":"something"})")).kind == feed_error_kind::upstream_error);
    }
    SECTION("a very long msg is cut") {
        const auto e = expect_error(parse(400, R"({"code":-1121,"msg":")" + std::string(5000, 'x') + "\"}"));
        CHECK(e.kind == feed_error_kind::no_data);
    }
}

TEST_CASE("binance non-JSON and broken JSON are malformed", "[binance]") {
    SECTION("403 WAF HTML page") {
        std::string page = "<!DOCTYPE html><html><head><title>ERROR: The request could not be satisfied</title>"
                           "<style>body{color:red}</style></head><body><h1>403 ERROR</h1>";
        for (int i = 0; i < 100; ++i) page += "<p>Request blocked. " + std::to_string(i) + "</p>";
        page += "</body></html>";
        const auto e = expect_error(parse(403, page, "text/html"), 100);
        CHECK(e.kind == feed_error_kind::malformed);
        CHECK(e.message.find("403") != std::string::npos);
        CHECK(e.message.find('<') == std::string::npos);
        CHECK(e.message.find("color:red") == std::string::npos);
    }
    SECTION("plain text, empty, BOM only, JSON that is not an object") {
        CHECK(expect_error(parse(502, "Bad Gateway", "text/plain")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "\xEF\xBB\xBF")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "null")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "[" + fixture(ticker_file) + "]")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "\"71420.00\"")).kind == feed_error_kind::malformed);
    }
    SECTION("every truncation of the sample") {
        std::string full = fixture(ticker_file);
        while (!full.empty() && (full.back() == '\n' || full.back() == '\r')) full.pop_back();
        REQUIRE(parse(200, full).ok());
        for (std::size_t len = 0; len < full.size(); ++len) {
            INFO("prefix length " << len);
            CHECK(expect_error(parse(200, full.substr(0, len))).kind == feed_error_kind::malformed);
        }
    }
    SECTION("trailing garbage and invalid tokens") {
        const std::string body = fixture(ticker_file);
        CHECK(expect_error(parse(200, body + "x")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, body + "}")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, body + body)).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, with_last("NaN"))).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, with_last("Infinity"))).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, with_last("071420"))).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, with_last("'71420'"))).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, replace_once(body, "\"count\":2650000", "\"count\":2650000,"))).kind ==
              feed_error_kind::malformed);
    }
}

TEST_CASE("poll feed registry: binance", "[binance][registry]") {
    const poll_feed* f = find_poll_feed("binance");
    REQUIRE(f != nullptr);
    CHECK(f->name == "binance");
    CHECK(is_known_provider("binance"));
    const auto targets = f->targets("BTCUSDT");
    REQUIRE(targets.size() == 1);
    CHECK(targets[0] == "/api/v3/ticker/24hr?symbol=BTCUSDT");

    const std::string body = fixture(ticker_file);
    const std::vector<http_reply> replies{http_reply{200, "application/json", body}};
    const auto r = f->parse(replies, "BTCUSDT", time_point{});
    REQUIRE(r.ok());
    CHECK(r->price == dec("71420.00"));
    CHECK(*r->reference == dec("70825.07"));
    CHECK(r->market == market_state::always);

    const auto none = f->parse({}, "BTCUSDT", time_point{});
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().kind == feed_error_kind::malformed);
}

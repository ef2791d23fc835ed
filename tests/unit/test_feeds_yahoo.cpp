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
#include "tickerd/feeds/yahoo.hpp"

using namespace tickerd;
using tickerd::feeds::parse_yahoo_chart;
using tickerd::feeds::yahoo_chart_target;

using tickerd::feed_tests::fixture;
using tickerd::feed_tests::dec;
using tickerd::feed_tests::replace_once;

namespace {

time_point at(std::int64_t unix_seconds) { return time_point{std::chrono::seconds{unix_seconds}}; }

// Wednesday 2026-10-07 19:10:00 UTC, when the samples were "taken".
const time_point sample_now = at(1791400200);

feed_result<raw_quote> parse(unsigned status, const std::string& body, time_point now = sample_now,
                             std::string_view content_type = "application/json;charset=utf-8") {
    return parse_yahoo_chart(http_reply{status, content_type, body}, now);
}

// Replaces exactly one occurrence, so that a fixture edit cannot silently miss.
// Removes [start of `from`, start of `to`).
std::string erase_from_to(std::string s, std::string_view from, std::string_view to) {
    const auto a = s.find(from);
    REQUIRE(a != std::string::npos);
    const auto b = s.find(to, a);
    REQUIRE(b != std::string::npos);
    s.erase(a, b - a);
    return s;
}

feed_error_kind error_kind(const feed_result<raw_quote>& r) {
    REQUIRE_FALSE(r.ok());
    return r.error().kind;
}

void check_short_single_line(const feed_error& e, std::size_t max = 200) {
    INFO("message: " << e.message);
    CHECK(!e.message.empty());
    CHECK(e.message.size() <= max);
    CHECK(e.message.find('\n') == std::string::npos);
    CHECK(e.message.find('\r') == std::string::npos);
}

const std::string nvda_file = "yahoo_chart_NVDA.json";

}  // namespace

TEST_CASE("yahoo chart target", "[yahoo]") {
    CHECK(yahoo_chart_target("NVDA") == "/v8/finance/chart/NVDA?range=1d&interval=5m&includePrePost=false");
    CHECK(yahoo_chart_target("9988.HK") == "/v8/finance/chart/9988.HK?range=1d&interval=5m&includePrePost=false");
    CHECK(yahoo_chart_target("VND=X") == "/v8/finance/chart/VND%3DX?range=1d&interval=5m&includePrePost=false");
    CHECK(yahoo_chart_target("^HSI") == "/v8/finance/chart/%5EHSI?range=1d&interval=5m&includePrePost=false");
    CHECK(yahoo_chart_target("BTC-USD") == "/v8/finance/chart/BTC-USD?range=1d&interval=5m&includePrePost=false");
}

TEST_CASE("yahoo NVDA sample: price, previous close, time, currency, open market", "[yahoo]") {
    const auto r = parse(200, fixture(nvda_file));
    REQUIRE(r.ok());
    CHECK(r->price.units() == 128'430'000'000);
    CHECK(r->price.to_string(2) == "1284.30");
    REQUIRE(r->reference.has_value());
    CHECK(*r->reference == dec("1266.32"));
    REQUIRE(r->as_of.has_value());
    CHECK(*r->as_of == at(1791400198));
    CHECK(r->currency == "USD");
    CHECK(r->market == market_state::open);
    CHECK(percent_change(r->price, *r->reference).to_string() == "1.41986228");
    CHECK(percent_change(r->price, *r->reference).to_string(2) == "1.42");
}

TEST_CASE("yahoo TSM sample", "[yahoo]") {
    const auto r = parse(200, fixture("yahoo_chart_TSM.json"));
    REQUIRE(r.ok());
    CHECK(r->price == dec("248.72"));
    REQUIRE(r->reference.has_value());
    CHECK(*r->reference == dec("247.04"));
    CHECK(r->currency == "USD");
    CHECK(*r->as_of == at(1791400195));
    CHECK(r->market == market_state::open);
    CHECK(percent_change(r->price, *r->reference).to_string(2) == "0.68");
}

TEST_CASE("yahoo 9988.HK sample: HKD, closed after the auction", "[yahoo]") {
    const std::string body = fixture("yahoo_chart_9988.HK.json");
    const auto r = parse(200, body);
    REQUIRE(r.ok());
    CHECK(r->price == dec("142.80"));
    CHECK(r->price.to_string(2) == "142.80");
    REQUIRE(r->reference.has_value());
    CHECK(*r->reference == dec("145.88"));
    CHECK(r->currency == "HKD");
    CHECK(*r->as_of == at(1791360491));
    // 19:10 UTC is 03:10 HKT the next morning; pre/post are zero-length for HKEX.
    CHECK(r->market == market_state::closed);
    CHECK(percent_change(r->price, *r->reference).to_string(2) == "-2.11");

    // Inside 09:30-16:00 HKT it is open (lunch is not represented upstream).
    CHECK(parse(200, body, at(1791336600))->market == market_state::open);
    CHECK(parse(200, body, at(1791350000))->market == market_state::open);
    CHECK(parse(200, body, at(1791336599))->market == market_state::closed);
    CHECK(parse(200, body, at(1791360000))->market == market_state::closed);  // closing auction
}

TEST_CASE("yahoo VND=X sample: whole-day FX session", "[yahoo]") {
    const std::string body = fixture("yahoo_chart_VND_X.json");
    const auto r = parse(200, body);
    REQUIRE(r.ok());
    CHECK(r->price == dec("25412"));
    CHECK(r->price.to_string(0) == "25412");
    REQUIRE(r->reference.has_value());
    CHECK(*r->reference == dec("25419.6"));
    CHECK(r->currency == "VND");
    CHECK(*r->as_of == at(1791400080));
    CHECK(r->market == market_state::open);
    CHECK(percent_change(r->price, *r->reference).to_string(2) == "-0.03");
    // "regular" ends at 23:59 London; the last minute of the day is still open.
    CHECK(parse(200, body, at(1791413970))->market == market_state::open);
    CHECK(parse(200, body, at(1791327600 + 86'400))->market == market_state::closed);
}

TEST_CASE("yahoo BTC-USD sample: previousClose is the reference", "[yahoo]") {
    const auto r = parse(200, fixture("yahoo_chart_BTC-USD.json"));
    REQUIRE(r.ok());
    CHECK(r->price == dec("71420.00"));
    REQUIRE(r->reference.has_value());
    CHECK(*r->reference == dec("71012.55"));
    CHECK(r->currency == "USD");
    CHECK(r->market == market_state::open);
}

TEST_CASE("yahoo market state from currentTradingPeriod and now", "[yahoo]") {
    const std::string body = fixture(nvda_file);
    // pre 1791360000-1791379800, regular -1791403200, post -1791417600 (04:00/09:30/16:00/20:00 EDT).
    CHECK(parse(200, body, at(1791359999))->market == market_state::closed);
    CHECK(parse(200, body, at(1791360000))->market == market_state::pre);
    CHECK(parse(200, body, at(1791379799))->market == market_state::pre);
    CHECK(parse(200, body, at(1791379800))->market == market_state::open);
    CHECK(parse(200, body, at(1791403199))->market == market_state::open);
    CHECK(parse(200, body, at(1791403200))->market == market_state::post);
    CHECK(parse(200, body, at(1791417599))->market == market_state::post);
    CHECK(parse(200, body, at(1791417600))->market == market_state::closed);
    CHECK(parse(200, body, at(1791500000))->market == market_state::closed);
    // Millisecond resolution of `now` is respected at the boundary.
    CHECK(parse(200, body, at(1791379800) - std::chrono::milliseconds{1})->market == market_state::pre);
}

TEST_CASE("yahoo market state: a period describing another day is not open", "[yahoo]") {
    const std::string body = fixture(nvda_file);
    const std::string regular_time = "\"regularMarketTime\":1791400198";
    // The regular session starts at 1791379800. The previous day's 16:00 close is
    // 17.5 h earlier: normal before the first trade of the day.
    const auto prev_close = replace_once(body, regular_time, "\"regularMarketTime\":1791316800");
    CHECK(parse(200, prev_close, at(1791379900))->market == market_state::open);
    const auto h19 = replace_once(body, regular_time, "\"regularMarketTime\":1791311400");
    CHECK(parse(200, h19, at(1791379900))->market == market_state::open);
    // More than 20 h older (a holiday, or the period already being the next day's).
    const auto h21 = replace_once(body, regular_time, "\"regularMarketTime\":1791304200");
    CHECK(parse(200, h21, at(1791379900))->market == market_state::closed);
    const auto weekend = replace_once(body, regular_time, "\"regularMarketTime\":1791144000");
    CHECK(parse(200, weekend, sample_now)->market == market_state::closed);
    CHECK(parse(200, weekend, at(1791405000))->market == market_state::closed);  // would be post
    // Pre-market always follows an earlier day's close (after a weekend by > 60 h).
    CHECK(parse(200, weekend, at(1791370000))->market == market_state::pre);
    // Without a regularMarketTime the period alone decides.
    const auto no_time = replace_once(body, regular_time + ",", "");
    const auto r = parse(200, no_time);
    REQUIRE(r.ok());
    CHECK_FALSE(r->as_of.has_value());
    CHECK(r->market == market_state::open);
}

TEST_CASE("yahoo market state unknown without a usable currentTradingPeriod", "[yahoo]") {
    const std::string body = fixture(nvda_file);
    const auto no_ctp = erase_from_to(body, "\"currentTradingPeriod\":", "\"tradingPeriods\":");
    REQUIRE(no_ctp.find("currentTradingPeriod") == std::string::npos);
    auto r = parse(200, no_ctp);
    REQUIRE(r.ok());
    CHECK(r->price == dec("1284.30"));
    CHECK(r->market == market_state::unknown);

    const auto null_ctp = replace_once(no_ctp, "\"tradingPeriods\":", "\"currentTradingPeriod\":null,\"tradingPeriods\":");
    r = parse(200, null_ctp);
    REQUIRE(r.ok());
    CHECK(r->market == market_state::unknown);

    const auto no_regular = replace_once(body, "\"regular\":{\"timezone\":\"EDT\",\"start\":1791379800",
                                         "\"other\":{\"timezone\":\"EDT\",\"start\":1791379800");
    r = parse(200, no_regular);
    REQUIRE(r.ok());
    CHECK(r->market == market_state::unknown);

    const auto regular_no_end = replace_once(body, "\"regular\":{\"timezone\":\"EDT\",\"start\":1791379800,\"end\":1791403200",
                                             "\"regular\":{\"timezone\":\"EDT\",\"start\":1791379800");
    r = parse(200, regular_no_end);
    REQUIRE(r.ok());
    CHECK(r->market == market_state::unknown);
}

TEST_CASE("yahoo currentTradingPeriod key order does not matter", "[yahoo]") {
    std::string body = fixture(nvda_file);
    body = replace_once(body, "\"regular\":{\"timezone\":\"EDT\",\"start\":1791379800,\"end\":1791403200",
                        "\"regular\":{\"end\":1791403200,\"timezone\":\"EDT\",\"start\":1791379800");
    body = replace_once(body, "\"start\":1791360000,\"end\":1791379800", "\"end\":1791379800,\"gmtoffset\":-14400,\"start\":1791360000,\"x\":[]");
    CHECK(parse(200, body, at(1791380000))->market == market_state::open);
    CHECK(parse(200, body, at(1791370000))->market == market_state::pre);
    CHECK(parse(200, body, at(1791410000))->market == market_state::post);
}

TEST_CASE("yahoo reference falls back to chartPreviousClose", "[yahoo]") {
    const std::string body = fixture(nvda_file);
    const auto other_chart_prev = replace_once(body, "\"chartPreviousClose\":1266.32", "\"chartPreviousClose\":1250.5");
    // previousClose wins when present.
    CHECK(*parse(200, other_chart_prev)->reference == dec("1266.32"));

    const auto no_prev = replace_once(other_chart_prev, "\"previousClose\":1266.32,", "");
    auto r = parse(200, no_prev);
    REQUIRE(r.ok());
    REQUIRE(r->reference.has_value());
    CHECK(*r->reference == dec("1250.5"));

    const auto null_prev = replace_once(other_chart_prev, "\"previousClose\":1266.32", "\"previousClose\":null");
    CHECK(*parse(200, null_prev)->reference == dec("1250.5"));
    const auto zero_prev = replace_once(other_chart_prev, "\"previousClose\":1266.32", "\"previousClose\":0");
    CHECK(*parse(200, zero_prev)->reference == dec("1250.5"));

    // chartPreviousClose is the previous close only over a one-day range, as the reply declares it:
    // over five days it is the close before the whole window, so no reference rather than a wrong one.
    for (const char* range : {"5d", "1mo", "ytd"}) {
        const auto longer = replace_once(no_prev, "\"range\":\"1d\"", std::string("\"range\":\"") + range + "\"");
        r = parse(200, longer);
        REQUIRE(r.ok());
        CHECK_FALSE(r->reference.has_value());
        CHECK(r->price == dec("1284.3"));
    }
    // A reply that does not say its range proves nothing either.
    CHECK_FALSE(parse(200, replace_once(no_prev, "\"range\":\"1d\",", ""))->reference.has_value());
    // previousClose needs no range: it is the previous close whatever the window.
    CHECK(*parse(200, replace_once(other_chart_prev, "\"range\":\"1d\"", "\"range\":\"5d\""))->reference ==
          dec("1266.32"));

    const auto neither = replace_once(no_prev, "\"chartPreviousClose\":1250.5,", "");
    r = parse(200, neither);
    REQUIRE(r.ok());
    CHECK_FALSE(r->reference.has_value());
    CHECK(r->price == dec("1284.3"));
}

TEST_CASE("yahoo tolerates a BOM, whitespace, extra fields and reordered keys", "[yahoo]") {
    const std::string body = fixture(nvda_file);
    SECTION("UTF-8 BOM") {
        const auto r = parse(200, "\xEF\xBB\xBF" + body);
        REQUIRE(r.ok());
        CHECK(r->price == dec("1284.30"));
    }
    SECTION("pretty-printed numbers with whitespace around them") {
        auto spaced = replace_once(body, "\"regularMarketPrice\":1284.3,", "\"regularMarketPrice\" :\n\t 1284.3 \r\n , ");
        spaced = replace_once(spaced, "\"previousClose\":1266.32,", "\"previousClose\": 1266.32\n,");
        const auto r = parse(200, "\n  " + spaced + "\n\n");
        REQUIRE(r.ok());
        CHECK(r->price == dec("1284.30"));
        CHECK(*r->reference == dec("1266.32"));
    }
    SECTION("unknown fields") {
        auto extra = replace_once(body, "{\"meta\":{", "{\"future\":{\"a\":[1,null,{\"b\":\"c\"}]},\"meta\":{\"newThing\":[null],\"x\":-0.5e-3,");
        extra = replace_once(extra, "\"error\":null", "\"error\":null,\"extra\":true");
        const auto r = parse(200, extra);
        REQUIRE(r.ok());
        CHECK(r->price == dec("1284.30"));
    }
    SECTION("different key order, error before result") {
        const std::string reordered =
            R"({"chart":{"error":null,"result":[{"indicators":{"quote":[{}]},"meta":{)"
            R"("previousClose":145.88,"currentTradingPeriod":{"post":{"end":1791360000,"start":1791360000},)"
            R"("regular":{"end":1791360000,"start":1791336600},"pre":{"start":1791336600,"end":1791336600}},)"
            R"("regularMarketPrice":142.8,"currency":"HKD","regularMarketTime":1791360491}}]}})";
        const auto r = parse(200, reordered, at(1791340000));
        REQUIRE(r.ok());
        CHECK(r->price == dec("142.80"));
        CHECK(*r->reference == dec("145.88"));
        CHECK(r->currency == "HKD");
        CHECK(*r->as_of == at(1791360491));
        CHECK(r->market == market_state::open);
    }
    SECTION("no timestamp, no indicators") {
        auto bare = erase_from_to(body, ",\"timestamp\":", "}],\"error\"");
        REQUIRE(bare.find("indicators") == std::string::npos);
        const auto r = parse(200, bare);
        REQUIRE(r.ok());
        CHECK(r->price == dec("1284.30"));
        CHECK(*r->reference == dec("1266.32"));
    }
    SECTION("nulls in the indicator arrays, and arrays of different lengths") {
        auto nulls = replace_once(body, "\"close\":[1270.550048828125,", "\"close\":[null,null,");
        nulls = replace_once(nulls, "\"timestamp\":[1791379800,", "\"timestamp\":[1791379700,1791379800,");
        nulls = replace_once(nulls, "1284.300048828125]}]", "null]}]");
        const auto r = parse(200, nulls);
        REQUIRE(r.ok());
        CHECK(r->price == dec("1284.30"));
    }
    SECTION("the price is taken from meta, not from the float32 bars") {
        const auto r = parse(200, body);
        REQUIRE(r.ok());
        CHECK(r->price != dec("1284.300048828125"));
        CHECK(r->price.units() % 1'000'000 == 0);
    }
    SECTION("the content type is not trusted") {
        const auto r = parse(200, body, sample_now, "text/html");
        REQUIRE(r.ok());
        CHECK(r->price == dec("1284.30"));
    }
}

TEST_CASE("yahoo prices are read from the JSON text exactly", "[yahoo]") {
    const std::string body = fixture(nvda_file);
    const auto with_price = [&](std::string_view text) {
        return replace_once(body, "\"regularMarketPrice\":1284.3,", "\"regularMarketPrice\":" + std::string(text) + ",");
    };
    CHECK(parse(200, with_price("0.1"))->price.units() == 10'000'000);
    CHECK(parse(200, with_price("1.2843E3"))->price == dec("1284.3"));
    CHECK(parse(200, with_price("0.000123456789"))->price.units() == 12'346);
    CHECK(parse(200, with_price("71420.0"))->price == dec("71420"));
    CHECK(parse(200, with_price("25412"))->price == dec("25412"));
    CHECK(parse(200, with_price("336.0736083984375"))->price.units() == 33'607'360'840);
}

TEST_CASE("yahoo bad prices", "[yahoo]") {
    const std::string body = fixture(nvda_file);
    const auto with_price = [&](std::string_view text) {
        return replace_once(body, "\"regularMarketPrice\":1284.3,", "\"regularMarketPrice\":" + std::string(text) + ",");
    };
    CHECK(error_kind(parse(200, with_price("0"))) == feed_error_kind::bad_price);
    CHECK(error_kind(parse(200, with_price("0.0"))) == feed_error_kind::bad_price);
    CHECK(error_kind(parse(200, with_price("-0.0"))) == feed_error_kind::bad_price);
    CHECK(error_kind(parse(200, with_price("-1284.3"))) == feed_error_kind::bad_price);
    CHECK(error_kind(parse(200, with_price("0.000000001"))) == feed_error_kind::bad_price);  // rounds to 0
    CHECK(error_kind(parse(200, with_price("1e400"))) == feed_error_kind::bad_price);
    CHECK(error_kind(parse(200, with_price("null"))) == feed_error_kind::bad_price);
    // A string where a number belongs is a shape change, not a price.
    CHECK(error_kind(parse(200, with_price("\"1284.30\""))) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, with_price("true"))) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, with_price("{}"))) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, with_price("[1284.3]"))) == feed_error_kind::malformed);
    // Not JSON numbers at all.
    CHECK(error_kind(parse(200, with_price("NaN"))) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, with_price("Infinity"))) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, with_price("01284.3"))) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, with_price("1284."))) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, with_price(".5"))) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, with_price("0x10"))) == feed_error_kind::malformed);

    const auto missing = replace_once(body, "\"regularMarketPrice\":1284.3,", "");
    const auto r = parse(200, missing);
    CHECK(error_kind(r) == feed_error_kind::malformed);
    CHECK(r.error().message.find("regularMarketPrice") != std::string::npos);
    check_short_single_line(r.error());

    const auto neg = parse(200, with_price("-5"));
    CHECK(neg.error().message.find("-5") != std::string::npos);
}

TEST_CASE("yahoo chart.error replies", "[yahoo]") {
    SECTION("404 unknown symbol is no_data") {
        const auto r = parse(404, fixture("yahoo_chart_error_unknown.json"));
        CHECK(error_kind(r) == feed_error_kind::no_data);
        CHECK(r.error().message.find("Not Found") != std::string::npos);
        CHECK(r.error().message.find("No data found, symbol may be delisted") != std::string::npos);
        check_short_single_line(r.error());
    }
    SECTION("the same error object with status 200 is still no data") {
        CHECK(error_kind(parse(200, fixture("yahoo_chart_error_unknown.json"))) == feed_error_kind::no_data);
    }
    SECTION("422 range error is upstream_error with code and description") {
        const auto r = parse(422, fixture("yahoo_chart_error_range.json"));
        CHECK(error_kind(r) == feed_error_kind::upstream_error);
        CHECK(r.error().message.find("Unprocessable Entity") != std::string::npos);
        CHECK(r.error().message.find("422") != std::string::npos);
        CHECK(r.error().message.find("1m data not available") != std::string::npos);
        check_short_single_line(r.error());
    }
    SECTION("v7 401 Unauthorized") {
        const auto r = parse(401, fixture("yahoo_v7_quote_unauthorized.json"));
        CHECK(error_kind(r) == feed_error_kind::upstream_error);
        CHECK(r.error().message.find("Unauthorized") != std::string::npos);
        CHECK(r.error().message.find("401") != std::string::npos);
        check_short_single_line(r.error());
    }
    SECTION("500 with an error object") {
        const auto r = parse(500, R"({"chart":{"result":null,"error":{"code":"Internal Server Error","description":"boom\nline two"}}})");
        CHECK(error_kind(r) == feed_error_kind::upstream_error);
        CHECK(r.error().message.find("Internal Server Error: boom line two") != std::string::npos);
        check_short_single_line(r.error());
    }
    SECTION("a very long description is cut") {
        const std::string body = R"({"chart":{"result":null,"error":{"code":"Bad Request","description":")" +
                                 std::string(5000, 'x') + R"("}}})";
        const auto r = parse(400, body);
        CHECK(error_kind(r) == feed_error_kind::upstream_error);
        check_short_single_line(r.error(), 200);
    }
    SECTION("non-2xx JSON without an error object") {
        CHECK(error_kind(parse(503, R"({"chart":{"result":null,"error":null}})")) == feed_error_kind::upstream_error);
        CHECK(error_kind(parse(502, R"({"oops":1})")) == feed_error_kind::upstream_error);
        CHECK(error_kind(parse(404, R"({"chart":{"result":null,"error":null}})")) == feed_error_kind::no_data);
    }
    SECTION("in-band too many requests") {
        CHECK(error_kind(parse(200, R"({"finance":{"result":null,"error":{"code":"Too Many Requests","description":"Rate limited"}}})")) ==
              feed_error_kind::rate_limited);
    }
}

TEST_CASE("yahoo empty results are no_data", "[yahoo]") {
    CHECK(error_kind(parse(200, R"({"chart":{"result":null,"error":null}})")) == feed_error_kind::no_data);
    CHECK(error_kind(parse(200, R"({"chart":{"result":[],"error":null}})")) == feed_error_kind::no_data);
    CHECK(error_kind(parse(200, R"({"chart":{"result":[ ],"error":null}})")) == feed_error_kind::no_data);
}

TEST_CASE("yahoo wrong shapes are malformed", "[yahoo]") {
    CHECK(error_kind(parse(200, R"({"chart":{"error":null}})")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, R"({"chart":{"result":{},"error":null}})")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, R"({"chart":{"result":[1],"error":null}})")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, R"({"chart":{"result":[{}],"error":null}})")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, R"({"chart":{"result":[{"meta":[]}],"error":null}})")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, R"({"chart":{"result":[{"meta":{}}],"error":null}})")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, R"({"chart":[]})")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, R"({"something":"else"})")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, R"({})")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, R"([{"chart":{}}])")) == feed_error_kind::malformed);
}

TEST_CASE("yahoo 429 is rate_limited whatever the body", "[yahoo]") {
    const auto plain = parse(429, "Too Many Requests\r\n", sample_now, "text/plain");
    CHECK(error_kind(plain) == feed_error_kind::rate_limited);
    CHECK(plain.error().message.find("Too Many Requests") != std::string::npos);
    check_short_single_line(plain.error());
    CHECK(error_kind(parse(429, "Edge: Too Many Requests", sample_now, "text/plain")) == feed_error_kind::rate_limited);
    CHECK(error_kind(parse(429, "", sample_now, "")) == feed_error_kind::rate_limited);
    CHECK(error_kind(parse(429, fixture(nvda_file))) == feed_error_kind::rate_limited);
    CHECK(error_kind(parse(429, "<html><body>slow down</body></html>", sample_now, "text/html")) ==
          feed_error_kind::rate_limited);
    // Plain-text "Too Many Requests" with another status.
    CHECK(error_kind(parse(200, "Too Many Requests", sample_now, "text/plain")) == feed_error_kind::rate_limited);
    CHECK(error_kind(parse(503, "Edge: Too Many Requests", sample_now, "text/plain")) == feed_error_kind::rate_limited);
}

TEST_CASE("yahoo HTML and other non-JSON bodies are malformed with a short message", "[yahoo]") {
    std::string page =
        "<!DOCTYPE html>\n<html lang=\"en-us\"><head>\n<meta charset=\"utf-8\">\n<title>Yahoo</title>\n"
        "<style>body{font-family:Helvetica;margin:0}\n.logo{width:100px}</style>\n"
        "<script>var x = '<b>not text</b>';</script></head>\n<body>\n  <div class=\"msg\">\n"
        "    <h1>Will be right back...</h1>\n    <p>Thank you for your patience.</p>\n"
        "    <p>Our engineers are working quickly to resolve the issue.</p>\n";
    for (int i = 0; i < 200; ++i) page += "<p>filler paragraph number " + std::to_string(i) + "</p>\n";
    page += "</div></body></html>\n";

    for (unsigned status : {200u, 503u}) {
        INFO("status " << status);
        const auto r = parse(status, page, sample_now, "text/html; charset=utf-8");
        CHECK(error_kind(r) == feed_error_kind::malformed);
        const auto& msg = r.error().message;
        check_short_single_line(r.error(), 100);
        CHECK(msg.find("Will be right back") != std::string::npos);
        CHECK(msg.find(std::to_string(status)) != std::string::npos);
        CHECK(msg.find('<') == std::string::npos);
        CHECK(msg.find("font-family") == std::string::npos);
        CHECK(msg.find("not text") == std::string::npos);
    }

    const std::string junk(10'000, 'A');
    const auto big = parse(200, junk, sample_now, "text/plain");
    CHECK(error_kind(big) == feed_error_kind::malformed);
    check_short_single_line(big.error(), 100);

    const auto binary = parse(200, std::string("\x01\x02\xff\xfe garbage \x7f\n\tbytes"), sample_now, "");
    CHECK(error_kind(binary) == feed_error_kind::malformed);
    check_short_single_line(binary.error(), 100);
    CHECK(binary.error().message.find("garbage bytes") != std::string::npos);

    CHECK(error_kind(parse(200, "")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, "   \n")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, "\xEF\xBB\xBF")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, "null")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, "1284.3")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(502, "Bad Gateway", sample_now, "text/plain")) == feed_error_kind::malformed);
}

TEST_CASE("yahoo truncated or invalid JSON is malformed", "[yahoo]") {
    const std::string body = fixture(nvda_file);
    std::string trimmed = body;
    while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == ' ' || trimmed.back() == '\r'))
        trimmed.pop_back();
    REQUIRE(parse(200, trimmed).ok());

    // Every proper prefix is rejected, including ones that still hold the whole meta.
    const auto meta_end = trimmed.find(",\"timestamp\"");
    REQUIRE(meta_end != std::string::npos);
    int checked = 0;
    for (std::size_t len = 1; len < trimmed.size(); len += (len > meta_end - 20 ? 1 : 7)) {
        const auto r = parse(200, trimmed.substr(0, len));
        INFO("prefix length " << len);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == feed_error_kind::malformed);
        ++checked;
    }
    CHECK(checked > 100);

    CHECK(error_kind(parse(200, trimmed + "x")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, trimmed + "}")) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, trimmed + trimmed)) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, replace_once(trimmed, "\"error\":null", "\"error\":nul"))) == feed_error_kind::malformed);
    CHECK(error_kind(parse(200, replace_once(trimmed, "\"open\":[1268.4000244140625,", "\"open\":[1268.4000244140625,,"))) ==
          feed_error_kind::malformed);
    CHECK(error_kind(parse(200, replace_once(trimmed, "\"symbol\":\"NVDA\"", "\"symbol\":\"NV\\qDA\""))) ==
          feed_error_kind::malformed);
    CHECK(error_kind(parse(200, replace_once(trimmed, "\"currency\":\"USD\",", "\"currency\":\"USD\",,"))) ==
          feed_error_kind::malformed);
    const auto r = parse(200, trimmed.substr(0, 500));
    REQUIRE_FALSE(r.ok());
    check_short_single_line(r.error(), 100);
}

TEST_CASE("yahoo optional meta fields", "[yahoo]") {
    const std::string body = fixture(nvda_file);
    const auto no_currency = replace_once(body, "\"currency\":\"USD\",", "");
    auto r = parse(200, no_currency);
    REQUIRE(r.ok());
    CHECK(r->currency.empty());

    const auto pence = replace_once(body, "\"currency\":\"USD\",", "\"currency\":\"GBp\",");
    CHECK(parse(200, pence)->currency == "GBp");

    const auto float_time = replace_once(body, "\"regularMarketTime\":1791400198", "\"regularMarketTime\":1791400198.0");
    r = parse(200, float_time);
    REQUIRE(r.ok());
    CHECK(*r->as_of == at(1791400198));

    const auto string_time = replace_once(body, "\"regularMarketTime\":1791400198", "\"regularMarketTime\":\"1791400198\"");
    r = parse(200, string_time);
    REQUIRE(r.ok());
    CHECK_FALSE(r->as_of.has_value());

    const auto null_time = replace_once(body, "\"regularMarketTime\":1791400198", "\"regularMarketTime\":null");
    r = parse(200, null_time);
    REQUIRE(r.ok());
    CHECK_FALSE(r->as_of.has_value());
}

// ---------------------------------------------------------------------------
// The provider registry and shared helpers (feeds/registry.cpp).

TEST_CASE("url_encode keeps only RFC 3986 unreserved characters", "[yahoo][registry]") {
    CHECK(url_encode("NVDA") == "NVDA");
    CHECK(url_encode("9988.HK") == "9988.HK");
    CHECK(url_encode("BTC-USD") == "BTC-USD");
    CHECK(url_encode("a_b~c") == "a_b~c");
    CHECK(url_encode("VND=X") == "VND%3DX");
    CHECK(url_encode("^HSI") == "%5EHSI");
    CHECK(url_encode("a b+c/d?e&f#g%") == "a%20b%2Bc%2Fd%3Fe%26f%23g%25");
    CHECK(url_encode("\xC3\xA9") == "%C3%A9");
    CHECK(url_encode(std::string_view("\0\x7f", 2)) == "%00%7F");
    CHECK(url_encode("") == "");
}

TEST_CASE("poll feed registry: yahoo", "[yahoo][registry]") {
    const poll_feed* f = find_poll_feed("yahoo");
    REQUIRE(f != nullptr);
    CHECK(f->name == "yahoo");
    const auto targets = f->targets("VND=X");
    REQUIRE(targets.size() == 1);
    CHECK(targets[0] == "/v8/finance/chart/VND%3DX?range=1d&interval=5m&includePrePost=false");

    const std::string body = fixture(nvda_file);
    const std::vector<http_reply> replies{http_reply{200, "application/json", body}};
    const auto r = f->parse(replies, "VND=X", sample_now);
    REQUIRE(r.ok());
    CHECK(r->price == dec("1284.30"));
    CHECK(r->market == market_state::open);

    const auto none = f->parse({}, "VND=X", sample_now);
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().kind == feed_error_kind::malformed);

    CHECK(find_poll_feed("sim") == nullptr);
    CHECK(find_poll_feed("Yahoo") == nullptr);
    CHECK(find_poll_feed("bitstamp") == nullptr);
    CHECK(find_poll_feed("") == nullptr);
}

TEST_CASE("known providers and error kind names", "[yahoo][registry]") {
    CHECK(is_known_provider("yahoo"));
    CHECK(is_known_provider("coinbase"));
    CHECK(is_known_provider("sim"));
    CHECK_FALSE(is_known_provider(""));
    CHECK_FALSE(is_known_provider("bitstamp"));
    CHECK_FALSE(is_known_provider("YAHOO"));
    CHECK_FALSE(is_known_provider("yahoo "));

    CHECK(to_string(feed_error_kind::malformed) == "malformed");
    CHECK(to_string(feed_error_kind::upstream_error) == "upstream_error");
    CHECK(to_string(feed_error_kind::rate_limited) == "rate_limited");
    CHECK(to_string(feed_error_kind::no_data) == "no_data");
    CHECK(to_string(feed_error_kind::bad_price) == "bad_price");
}

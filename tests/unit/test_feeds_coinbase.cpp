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
#include "tickerd/feeds/coinbase.hpp"

using namespace tickerd;
using tickerd::feeds::coinbase_stats_target;
using tickerd::feeds::coinbase_ticker_target;
using tickerd::feeds::parse_coinbase;
using tickerd::feeds::parse_rfc3339;

using tickerd::feed_tests::fixture;
using tickerd::feed_tests::dec;
using tickerd::feed_tests::replace_once;

namespace {

std::int64_t ms_since_epoch(const std::optional<time_point>& t) {
    REQUIRE(t.has_value());
    return t->time_since_epoch().count();
}

struct bodies {
    unsigned ticker_status = 200;
    std::string ticker;
    unsigned stats_status = 200;
    std::string stats;
};

bodies samples() {
    return {200, fixture("coinbase_ticker_BTC-USD.json"), 200, fixture("coinbase_stats_BTC-USD.json")};
}

feed_result<raw_quote> parse(const bodies& b) {
    return parse_coinbase(http_reply{b.ticker_status, "application/json; charset=utf-8", b.ticker},
                          http_reply{b.stats_status, "application/json; charset=utf-8", b.stats});
}

feed_error expect_error(const feed_result<raw_quote>& r) {
    REQUIRE_FALSE(r.ok());
    const feed_error& e = r.error();
    INFO("message: " << e.message);
    CHECK(!e.message.empty());
    CHECK(e.message.size() <= 200);
    CHECK(e.message.find('\n') == std::string::npos);
    return e;
}

// 2026-10-07T19:10:01Z
constexpr std::int64_t sample_second = 1791400201;

}  // namespace

TEST_CASE("coinbase targets", "[coinbase]") {
    CHECK(coinbase_ticker_target("BTC-USD") == "/products/BTC-USD/ticker");
    CHECK(coinbase_stats_target("BTC-USD") == "/products/BTC-USD/stats");
    CHECK(coinbase_ticker_target("ETH-EUR") == "/products/ETH-EUR/ticker");
    CHECK(coinbase_stats_target("A/B") == "/products/A%2FB/stats");
}

TEST_CASE("coinbase BTC-USD samples: price, 24 h open, time", "[coinbase]") {
    const auto r = parse(samples());
    REQUIRE(r.ok());
    CHECK(r->price.units() == 7'142'000'000'000);
    CHECK(r->price.to_string(2) == "71420.00");
    REQUIRE(r->reference.has_value());
    CHECK(*r->reference == dec("70825.07"));
    CHECK(ms_since_epoch(r->as_of) == sample_second * 1000 + 482);
    CHECK(r->currency.empty());
    CHECK(r->market == market_state::always);
    CHECK(r->price - *r->reference == dec("594.93"));
    CHECK(percent_change(r->price, *r->reference).to_string() == "0.83999917");
    CHECK(percent_change(r->price, *r->reference).to_string(2) == "0.84");
}

TEST_CASE("coinbase tolerates numbers, a BOM, whitespace and key order", "[coinbase]") {
    auto b = samples();
    SECTION("numbers instead of strings") {
        b.ticker = replace_once(b.ticker, "\"price\":\"71420.00\"", "\"price\":71420.00");
        b.stats = replace_once(b.stats, "\"open\":\"70825.07\"", "\"open\":70825.07");
        const auto r = parse(b);
        REQUIRE(r.ok());
        CHECK(r->price == dec("71420"));
        CHECK(*r->reference == dec("70825.07"));
    }
    SECTION("exponent in a number") {
        b.ticker = replace_once(b.ticker, "\"price\":\"71420.00\"", "\"price\":7.142e4");
        CHECK(parse(b)->price == dec("71420"));
    }
    SECTION("BOM on both") {
        b.ticker = "\xEF\xBB\xBF" + b.ticker;
        b.stats = "\xEF\xBB\xBF" + b.stats;
        const auto r = parse(b);
        REQUIRE(r.ok());
        CHECK(r->price == dec("71420"));
        CHECK(*r->reference == dec("70825.07"));
    }
    SECTION("hand-written, reordered, extra fields") {
        b.ticker = R"({ "time" : "2026-10-07T19:10:01Z", "extra": [null, {"x": 1}], "price" : "0.00021692" })";
        b.stats = "{\n  \"last\": \"1\",\n  \"open\": \"0.0002\"\n}\n";
        const auto r = parse(b);
        REQUIRE(r.ok());
        CHECK(r->price == dec("0.00021692"));
        CHECK(*r->reference == dec("0.0002"));
        CHECK(ms_since_epoch(r->as_of) == sample_second * 1000);
    }
    SECTION("prices with more than 8 decimals are rounded") {
        b.ticker = replace_once(b.ticker, "\"price\":\"71420.00\"", "\"price\":\"71420.123456785\"");
        CHECK(parse(b)->price == dec("71420.12345679"));
    }
}

TEST_CASE("coinbase reference and time are optional", "[coinbase]") {
    auto b = samples();
    SECTION("no open") {
        b.stats = R"({"high":"71980.55","low":"70412.3"})";
        const auto r = parse(b);
        REQUIRE(r.ok());
        CHECK(r->price == dec("71420"));
        CHECK_FALSE(r->reference.has_value());
    }
    SECTION("zero, null or garbage open") {
        for (const char* open : {"\"0\"", "\"0.00\"", "null", "\"abc\"", "\"-5\"", "\"\"", "true"}) {
            INFO("open " << open);
            b.stats = std::string(R"({"open":)") + open + R"(,"last":"71420"})";
            const auto r = parse(b);
            REQUIRE(r.ok());
            CHECK_FALSE(r->reference.has_value());
        }
    }
    SECTION("no time") {
        b.ticker = R"({"price":"71420.00"})";
        const auto r = parse(b);
        REQUIRE(r.ok());
        CHECK_FALSE(r->as_of.has_value());
    }
    SECTION("unparsable time") {
        b.ticker = replace_once(b.ticker, "\"2026-10-07T19:10:01.482913077Z\"", "\"yesterday\"");
        const auto r = parse(b);
        REQUIRE(r.ok());
        CHECK_FALSE(r->as_of.has_value());
        CHECK(r->price == dec("71420"));
    }
}

TEST_CASE("coinbase bad prices", "[coinbase]") {
    auto b = samples();
    const auto with_price = [&](std::string_view json) {
        bodies c = b;
        c.ticker = replace_once(c.ticker, "\"price\":\"71420.00\"", "\"price\":" + std::string(json));
        return parse(c);
    };
    CHECK(expect_error(with_price("\"0\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("\"0.00000000\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("\"-71420.00\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("-1")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("0")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("\"abc\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("\"\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("\"NaN\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("\"Infinity\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("\" 71420\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("\"1e400\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("\"71,420.00\"")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("null")).kind == feed_error_kind::bad_price);
    CHECK(expect_error(with_price("true")).kind == feed_error_kind::malformed);
    CHECK(expect_error(with_price("[\"71420\"]")).kind == feed_error_kind::malformed);
    CHECK(expect_error(with_price("{}")).kind == feed_error_kind::malformed);

    const auto garbage = expect_error(with_price("\"12abc34\""));
    CHECK(garbage.message.find("12abc34") != std::string::npos);
    CHECK(garbage.message.find("ticker") != std::string::npos);

    b.ticker = R"({"bid":"1","ask":"2","time":"2026-10-07T19:10:01Z"})";
    const auto missing = expect_error(parse(b));
    CHECK(missing.kind == feed_error_kind::malformed);
    CHECK(missing.message.find("price") != std::string::npos);
}

TEST_CASE("coinbase error replies", "[coinbase]") {
    auto b = samples();
    SECTION("404 NotFound is no_data") {
        b.ticker_status = 404;
        b.ticker = fixture("coinbase_error_notfound.json");
        const auto e = expect_error(parse(b));
        CHECK(e.kind == feed_error_kind::no_data);
        CHECK(e.message.find("NotFound") != std::string::npos);
        CHECK(e.message.find("404") != std::string::npos);
    }
    SECTION("429 is rate_limited") {
        b.ticker_status = 429;
        b.ticker = fixture("coinbase_error_rate_limited.json");
        const auto e = expect_error(parse(b));
        CHECK(e.kind == feed_error_kind::rate_limited);
        CHECK(e.message.find("Public rate limit exceeded") != std::string::npos);
    }
    SECTION("429 with a plain-text or empty body") {
        b.ticker_status = 429;
        b.ticker = "Too Many Requests";
        CHECK(expect_error(parse(b)).kind == feed_error_kind::rate_limited);
        b.ticker = "";
        CHECK(expect_error(parse(b)).kind == feed_error_kind::rate_limited);
        b.ticker = "{\"message\":";
        CHECK(expect_error(parse(b)).kind == feed_error_kind::rate_limited);
    }
    SECTION("400 User-Agent required is upstream_error") {
        b.ticker_status = 400;
        b.ticker = fixture("coinbase_error_user_agent_required.json");
        const auto e = expect_error(parse(b));
        CHECK(e.kind == feed_error_kind::upstream_error);
        CHECK(e.message.find("User-Agent header is required.") != std::string::npos);
        CHECK(e.message.find("400") != std::string::npos);
    }
    SECTION("5xx JSON without a message") {
        b.ticker_status = 503;
        b.ticker = "{}";
        CHECK(expect_error(parse(b)).kind == feed_error_kind::upstream_error);
    }
    SECTION("an error message with a 2xx status") {
        b.ticker = R"({"message":"Internal error"})";
        const auto e = expect_error(parse(b));
        CHECK(e.kind == feed_error_kind::upstream_error);
        CHECK(e.message.find("Internal error") != std::string::npos);
    }
    SECTION("errors on the stats request") {
        b.stats_status = 404;
        b.stats = fixture("coinbase_error_notfound.json");
        auto e = expect_error(parse(b));
        CHECK(e.kind == feed_error_kind::no_data);
        CHECK(e.message.find("stats") != std::string::npos);

        b.stats_status = 429;
        b.stats = fixture("coinbase_error_rate_limited.json");
        e = expect_error(parse(b));
        CHECK(e.kind == feed_error_kind::rate_limited);
        CHECK(e.message.find("stats") != std::string::npos);

        b.stats_status = 500;
        b.stats = R"({"message":"Internal server error"})";
        CHECK(expect_error(parse(b)).kind == feed_error_kind::upstream_error);
    }
    SECTION("the ticker's error is reported first") {
        b.ticker_status = 404;
        b.ticker = fixture("coinbase_error_notfound.json");
        b.stats_status = 429;
        b.stats = fixture("coinbase_error_rate_limited.json");
        const auto e = expect_error(parse(b));
        CHECK(e.kind == feed_error_kind::no_data);
        CHECK(e.message.find("ticker") != std::string::npos);
    }
}

TEST_CASE("coinbase non-JSON and broken JSON are malformed", "[coinbase]") {
    auto b = samples();
    SECTION("HTML error page") {
        b.ticker_status = 502;
        b.ticker = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway</h1></center>\n" +
                   std::string(5000, ' ') + "<hr><center>cloudflare</center>\n</body>\n</html>\n";
        const auto e = expect_error(parse(b));
        CHECK(e.kind == feed_error_kind::malformed);
        CHECK(e.message.size() <= 100);
        CHECK(e.message.find("Bad Gateway") != std::string::npos);
        CHECK(e.message.find('<') == std::string::npos);
    }
    SECTION("truncated ticker") {
        const std::string full = b.ticker;
        for (std::size_t len = 0; len + 1 < full.size(); ++len) {
            b.ticker = full.substr(0, len);
            INFO("prefix length " << len);
            CHECK(expect_error(parse(b)).kind == feed_error_kind::malformed);
        }
    }
    SECTION("truncated stats") {
        b.stats = b.stats.substr(0, b.stats.size() / 2);
        const auto e = expect_error(parse(b));
        CHECK(e.kind == feed_error_kind::malformed);
        CHECK(e.message.find("stats") != std::string::npos);
    }
    SECTION("trailing garbage") {
        b.ticker += "garbage";
        CHECK(expect_error(parse(b)).kind == feed_error_kind::malformed);
    }
    SECTION("a JSON array") {
        b.ticker = R"([{"price":"71420.00"}])";
        CHECK(expect_error(parse(b)).kind == feed_error_kind::malformed);
    }
    SECTION("plain text with 200") {
        b.stats = "OK";
        CHECK(expect_error(parse(b)).kind == feed_error_kind::malformed);
    }
}

TEST_CASE("RFC 3339 timestamps", "[coinbase]") {
    const std::int64_t base_ms = sample_second * 1000;
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01.482913077Z")) == base_ms + 482);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01Z")) == base_ms);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01.4Z")) == base_ms + 400);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01.48Z")) == base_ms + 480);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01.482Z")) == base_ms + 482);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01.999999999Z")) == base_ms + 999);  // truncated
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01.000000000001Z")) == base_ms);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01+00:00")) == base_ms);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01.5+00:00")) == base_ms + 500);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T19:10:01-00:00")) == base_ms);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07t19:10:01z")) == base_ms);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T21:10:01+02:00")) == base_ms);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-07T14:40:01-04:30")) == base_ms);
    CHECK(ms_since_epoch(parse_rfc3339("2026-10-08T03:10:01+08:00")) == base_ms);  // across midnight
    CHECK(ms_since_epoch(parse_rfc3339("1970-01-01T00:00:00Z")) == 0);
    CHECK(ms_since_epoch(parse_rfc3339("2000-03-01T00:00:00Z")) == 951'868'800'000);
    CHECK(ms_since_epoch(parse_rfc3339("2024-02-29T12:00:00Z")) == 1'709'208'000'000);
    CHECK(ms_since_epoch(parse_rfc3339("2016-12-31T23:59:60Z")) == 1'483'228'800'000);  // leap second

    const char* bad[] = {"",
                         "garbage",
                         "1791400201",
                         "2026-10-07",
                         "2026-10-07T19:10:01",
                         "2026-10-07T19:10:01.123",
                         "2026-10-07 19:10:01Z",
                         "2026-10-07T19:10Z",
                         "2026-10-07T19:10:01.Z",
                         "2026-10-07T19:10:01ZZ",
                         "2026-10-07T19:10:01Z ",
                         " 2026-10-07T19:10:01Z",
                         "2026-10-07T19:10:01+0000",
                         "2026-10-07T19:10:01+00",
                         "2026-10-07T19:10:01+24:00",
                         "2026-10-07T19:10:01+05:60",
                         "2026-10-07T19:10:01UTC",
                         "2026-1-07T19:10:01Z",
                         "20261007T191001Z",
                         "2026-13-01T00:00:00Z",
                         "2026-00-01T00:00:00Z",
                         "2026-10-00T00:00:00Z",
                         "2026-04-31T00:00:00Z",
                         "2026-02-29T00:00:00Z",
                         "1900-02-29T00:00:00Z",
                         "2026-10-07T24:00:00Z",
                         "2026-10-07T19:60:00Z",
                         "2026-10-07T19:10:61Z",
                         "2026-10-07T-1:10:01Z",
                         "2026-10-07T19:10:01,5Z",
                         "2026/10/07T19:10:01Z",
                         "+2026-10-07T19:10:01Z"};
    for (const char* text : bad) {
        INFO("parse_rfc3339(\"" << text << "\")");
        CHECK_FALSE(parse_rfc3339(text).has_value());
    }
}

TEST_CASE("poll feed registry: coinbase", "[coinbase][registry]") {
    const poll_feed* f = find_poll_feed("coinbase");
    REQUIRE(f != nullptr);
    CHECK(f->name == "coinbase");
    const auto targets = f->targets("BTC-USD");
    REQUIRE(targets.size() == 2);
    CHECK(targets[0] == "/products/BTC-USD/ticker");
    CHECK(targets[1] == "/products/BTC-USD/stats");

    const auto b = samples();
    const std::vector<http_reply> replies{http_reply{200, "application/json", b.ticker},
                                          http_reply{200, "application/json", b.stats}};
    const auto r = f->parse(replies, "BTC-USD", time_point{});
    REQUIRE(r.ok());
    CHECK(r->price == dec("71420.00"));
    CHECK(*r->reference == dec("70825.07"));
    CHECK(r->market == market_state::always);

    const auto one = f->parse(std::span<const http_reply>(replies.data(), 1), "BTC-USD", time_point{});
    REQUIRE_FALSE(one.ok());
    CHECK(one.error().kind == feed_error_kind::malformed);
}

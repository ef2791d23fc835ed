#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "feed_test_support.hpp"
#include "tickerd/decimal.hpp"
#include "tickerd/feeds/registry.hpp"
#include "tickerd/feeds/kraken.hpp"

using namespace tickerd;
using tickerd::feeds::kraken_ticker_target;
using tickerd::feeds::parse_kraken_ticker;

using tickerd::feed_tests::fixture;
using tickerd::feed_tests::dec;
using tickerd::feed_tests::replace_once;
using tickerd::feed_tests::expect_error;

namespace {

feed_result<raw_quote> parse(unsigned status, const std::string& body, std::string_view content_type = "application/json; charset=utf-8") {
    return parse_kraken_ticker(http_reply{status, content_type, body});
}

const std::string ticker_file = "kraken_ticker_XBTUSD.json";
const std::string last_field = "\"c\":[\"71420.00000\",\"0.00150000\"]";

std::string with_c(std::string_view json_value) {
    return replace_once(fixture(ticker_file), last_field, "\"c\":" + std::string(json_value));
}

// A hand-written reply for one pair object.
std::string reply_for(std::string_view pair_json) {
    return R"({"error":[],"result":{"XXBTZUSD":)" + std::string(pair_json) + "}}";
}

}  // namespace

TEST_CASE("kraken ticker target", "[kraken]") {
    CHECK(kraken_ticker_target("XBTUSD") == "/0/public/Ticker?pair=XBTUSD");
    CHECK(kraken_ticker_target("XXBTZUSD") == "/0/public/Ticker?pair=XXBTZUSD");
    CHECK(kraken_ticker_target("XBT/USD") == "/0/public/Ticker?pair=XBT%2FUSD");
}

TEST_CASE("kraken XBTUSD sample: last trade, 00:00 UTC open, no time", "[kraken]") {
    const auto r = parse(200, fixture(ticker_file));
    REQUIRE(r.ok());
    CHECK(r->price.units() == 7'142'000'000'000);
    CHECK(r->price.to_string(2) == "71420.00");
    REQUIRE(r->reference.has_value());
    // `o`, today's open at 00:00 UTC: not the rolling 24 h open (70825.07 at
    // Coinbase and Binance in the same samples).
    CHECK(*r->reference == dec("71012.6"));
    CHECK(*r->reference != dec("70825.07"));
    CHECK_FALSE(r->as_of.has_value());
    CHECK(r->market == market_state::always);
    CHECK(r->currency.empty());
    CHECK(percent_change(r->price, *r->reference).to_string(2) == "0.57");
}

TEST_CASE("kraken takes the single result entry whatever its name", "[kraken]") {
    const std::string pair = R"({"a":["1.1","1","1.000"],"c":["1.25","3"],"o":"1.2"})";
    for (const char* name : {"XXBTZUSD", "XBTUSD", "XETHZEUR", "anything", ""}) {
        INFO("key " << name);
        const auto r = parse(200, std::string(R"({"error":[],"result":{")") + name + "\":" + pair + "}}");
        REQUIRE(r.ok());
        CHECK(r->price == dec("1.25"));
        CHECK(*r->reference == dec("1.2"));
    }
}

TEST_CASE("kraken tolerates numbers, a BOM, whitespace, key order and a missing error array", "[kraken]") {
    SECTION("numbers instead of strings") {
        const auto r = parse(200, reply_for(R"({"c":[71420.0,0.0015],"o":71012.6})"));
        REQUIRE(r.ok());
        CHECK(r->price == dec("71420"));
        CHECK(*r->reference == dec("71012.6"));
    }
    SECTION("BOM and whitespace") {
        const auto r = parse(200, "\xEF\xBB\xBF \n" + fixture(ticker_file) + "\r\n");
        REQUIRE(r.ok());
        CHECK(r->price == dec("71420"));
    }
    SECTION("result before error, pretty-printed, extra fields") {
        const std::string body =
            "{\n  \"result\" : {\n    \"XXBTZUSD\" : {\n      \"o\" : \"0.00020000\",\n      \"x\" : {\"y\": [1, null]},\n"
            "      \"c\" : [ \"0.00021692\" , \"1.0\" ]\n    }\n  },\n  \"error\" : [ ]\n}\n";
        const auto r = parse(200, body);
        REQUIRE(r.ok());
        CHECK(r->price == dec("0.00021692"));
        CHECK(*r->reference == dec("0.0002"));
    }
    SECTION("no error key at all") {
        const auto r = parse(200, R"({"result":{"XXBTZUSD":{"c":["71420.00000","0.0015"],"o":"71012.60000"}}})");
        REQUIRE(r.ok());
        CHECK(r->price == dec("71420"));
    }
    SECTION("c with the price alone") {
        CHECK(parse(200, with_c("[\"71420.00000\"]"))->price == dec("71420"));
    }
}

TEST_CASE("kraken reference is optional", "[kraken]") {
    const std::string body = fixture(ticker_file);
    const auto none = parse(200, replace_once(body, ",\"o\":\"71012.60000\"", ""));
    REQUIRE(none.ok());
    CHECK_FALSE(none->reference.has_value());
    for (const char* o : {"\"0.00000\"", "\"-1\"", "null", "\"abc\"", "[\"71012.6\"]", "\"\""}) {
        INFO("o " << o);
        const auto r = parse(200, replace_once(body, "\"o\":\"71012.60000\"", std::string("\"o\":") + o));
        REQUIRE(r.ok());
        CHECK_FALSE(r->reference.has_value());
        CHECK(r->price == dec("71420"));
    }
}

TEST_CASE("kraken in-band errors with HTTP 200", "[kraken]") {
    SECTION("unknown pair, no result key") {
        const auto e = expect_error(parse(200, fixture("kraken_error.json")));
        CHECK(e.kind == feed_error_kind::no_data);
        CHECK(e.message.find("EQuery:Unknown asset pair") != std::string::npos);
    }
    SECTION("unknown pair with an empty result") {
        CHECK(expect_error(parse(200, R"({"error":["EQuery:Unknown asset pair"],"result":{}})")).kind == feed_error_kind::no_data);
    }
    SECTION("too many requests is rate_limited") {
        const auto e = expect_error(parse(200, fixture("kraken_error_rate_limited.json")));
        CHECK(e.kind == feed_error_kind::rate_limited);
        CHECK(e.message.find("EGeneral:Too many requests") != std::string::npos);
        CHECK(expect_error(parse(200, R"({"error":["EAPI:Rate limit exceeded"]})")).kind == feed_error_kind::rate_limited);
    }
    SECTION("other errors are upstream_error") {
        const auto e = expect_error(parse(200, R"({"error":["EService:Unavailable"],"result":{}})"));
        CHECK(e.kind == feed_error_kind::upstream_error);
        CHECK(e.message.find("EService:Unavailable") != std::string::npos);
        CHECK(expect_error(parse(200, R"({"error":["EGeneral:Invalid arguments"]})")).kind == feed_error_kind::upstream_error);
    }
    SECTION("an error wins over a result that looks fine") {
        const std::string body = replace_once(fixture(ticker_file), "\"error\":[]", "\"error\":[\"EService:Busy\"]");
        CHECK(expect_error(parse(200, body)).kind == feed_error_kind::upstream_error);
    }
    SECTION("several errors: all are reported, rate limiting first") {
        const auto e = expect_error(parse(200, R"({"error":["EQuery:Unknown asset pair","EGeneral:Too many requests"]})"));
        CHECK(e.kind == feed_error_kind::rate_limited);
        CHECK(e.message.find("Unknown asset pair; EGeneral:Too many requests") != std::string::npos);
    }
    SECTION("many long errors are cut") {
        std::string body = R"({"error":[)";
        for (int i = 0; i < 50; ++i) body += (i ? "," : "") + ("\"EGeneral:" + std::string(100, 'x') + "\"");
        body += "]}";
        CHECK(expect_error(parse(200, body)).kind == feed_error_kind::upstream_error);
    }
    SECTION("error entries that are not strings, error that is not an array") {
        CHECK(expect_error(parse(200, R"({"error":[1]})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"error":[null],"result":{}})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"error":"EQuery:Unknown asset pair"})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"error":{},"result":{}})")).kind == feed_error_kind::malformed);
    }
}

TEST_CASE("kraken result shapes", "[kraken]") {
    SECTION("empty result without errors is no_data") {
        CHECK(expect_error(parse(200, R"({"error":[],"result":{}})")).kind == feed_error_kind::no_data);
    }
    SECTION("neither result nor error") {
        CHECK(expect_error(parse(200, R"({"error":[]})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({})")).kind == feed_error_kind::malformed);
    }
    SECTION("result of the wrong type") {
        CHECK(expect_error(parse(200, R"({"error":[],"result":[]})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"error":[],"result":null})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"error":[],"result":"XXBTZUSD"})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"error":[],"result":{"XXBTZUSD":["71420"]}})")).kind == feed_error_kind::malformed);
    }
    SECTION("more than one pair") {
        const std::string pair = R"({"c":["71420.0","1"],"o":"71012.6"})";
        const auto e = expect_error(parse(200, R"({"error":[],"result":{"XXBTZUSD":)" + pair + R"(,"XETHZUSD":)" + pair + "}}"));
        CHECK(e.kind == feed_error_kind::malformed);
        CHECK(e.message.find("2 pairs") != std::string::npos);
        // Even when the first is broken, the count is reported.
        CHECK(expect_error(parse(200, R"({"error":[],"result":{"A":{},"B":{},"C":{}}})")).message.find("3 pairs") !=
              std::string::npos);
    }
}

TEST_CASE("kraken bad prices", "[kraken]") {
    CHECK(expect_error(parse(200, with_c("[\"0.00000\",\"1\"]"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_c("[\"-71420.00000\",\"1\"]"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_c("[0,1]"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_c("[null,\"1\"]"))).kind == feed_error_kind::bad_price);
    for (const char* text : {"\"abc\"", "\"\"", "\"NaN\"", "\"Infinity\"", "\"1e400\"", "\"92233720368.54775808\"", "1e400",
                             "99999999999999999999", "\"71,420.0\"", "\"0.000000001\""}) {
        INFO("c[0] " << text);
        CHECK(expect_error(parse(200, with_c(std::string("[") + text + ",\"1\"]"))).kind == feed_error_kind::bad_price);
    }
    for (const char* c : {"\"71420.00000\"", "{}", "null", "71420", "[]", "[[\"71420\"]]", "[true]", "[{}]"}) {
        INFO("c " << c);
        CHECK(expect_error(parse(200, with_c(c))).kind == feed_error_kind::malformed);
    }
    const auto missing = expect_error(parse(200, replace_once(fixture(ticker_file), last_field + ",", "")));
    CHECK(missing.kind == feed_error_kind::malformed);
    CHECK(missing.message.find("c[0] missing") != std::string::npos);
    CHECK(missing.message.find("XXBTZUSD") != std::string::npos);

    const auto garbage = expect_error(parse(200, with_c("[\"12abc34\",\"1\"]")));
    CHECK(garbage.message.find("12abc34") != std::string::npos);
}

TEST_CASE("kraken HTTP errors, non-JSON and broken JSON", "[kraken]") {
    SECTION("429 whatever the body") {
        CHECK(expect_error(parse(429, "")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, "{}")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, "{\"error\":[")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, fixture(ticker_file))).kind == feed_error_kind::rate_limited);
    }
    SECTION("5xx with an error array is classified by it") {
        CHECK(expect_error(parse(503, R"({"error":["EService:Unavailable"]})")).kind == feed_error_kind::upstream_error);
        CHECK(expect_error(parse(520, R"({"error":["EGeneral:Too many requests"]})")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(502, R"({"error":[]})")).kind == feed_error_kind::upstream_error);
        CHECK(expect_error(parse(500, fixture(ticker_file))).kind == feed_error_kind::upstream_error);
    }
    SECTION("Cloudflare HTML page") {
        std::string page = "<!DOCTYPE html>\n<html><head><title>api.kraken.com | 520: Web server is returning an unknown error</title>"
                           "<script>window.x = '<p>hidden</p>';</script></head><body>";
        for (int i = 0; i < 100; ++i) page += "<div>Cloudflare Ray ID " + std::to_string(i) + "</div>";
        page += "</body></html>";
        const auto e = expect_error(parse(520, page, "text/html"), 100);
        CHECK(e.kind == feed_error_kind::malformed);
        CHECK(e.message.find("520") != std::string::npos);
        CHECK(e.message.find("520: Web server") != std::string::npos);
        CHECK(e.message.find("hidden") == std::string::npos);
    }
    SECTION("plain-text too many requests") {
        CHECK(expect_error(parse(200, "Too Many Requests", "text/plain")).kind == feed_error_kind::rate_limited);
    }
    SECTION("plain text, empty, not an object") {
        CHECK(expect_error(parse(200, "")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "\xEF\xBB\xBF")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "OK", "text/plain")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "[]")).kind == feed_error_kind::malformed);
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
        CHECK(expect_error(parse(200, body + "{}")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, with_c("[NaN,\"1\"]"))).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, with_c("[\"71420.0\",]"))).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, replace_once(body, "\"t\":[28411,61233]", "\"t\":[28411,061233]"))).kind ==
              feed_error_kind::malformed);
    }
}

TEST_CASE("poll feed registry: kraken", "[kraken][registry]") {
    const poll_feed* f = find_poll_feed("kraken");
    REQUIRE(f != nullptr);
    CHECK(f->name == "kraken");
    CHECK(is_known_provider("kraken"));
    const auto targets = f->targets("XBTUSD");
    REQUIRE(targets.size() == 1);
    CHECK(targets[0] == "/0/public/Ticker?pair=XBTUSD");

    const std::string body = fixture(ticker_file);
    const std::vector<http_reply> replies{http_reply{200, "application/json", body}};
    const auto r = f->parse(replies, "XBTUSD", time_point{});
    REQUIRE(r.ok());
    CHECK(r->price == dec("71420.00"));
    CHECK(*r->reference == dec("71012.60"));
    CHECK_FALSE(r->as_of.has_value());

    const auto none = f->parse({}, "XBTUSD", time_point{});
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().kind == feed_error_kind::malformed);
}

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
#include "tickerd/feeds/finnhub.hpp"

using namespace tickerd;
using tickerd::feeds::finnhub_quote_target;
using tickerd::feeds::parse_finnhub_quote;

using tickerd::feed_tests::fixture;
using tickerd::feed_tests::dec;
using tickerd::feed_tests::replace_once;
using tickerd::feed_tests::expect_error;

namespace {

time_point at(std::int64_t unix_seconds) { return time_point{std::chrono::seconds{unix_seconds}}; }

feed_result<raw_quote> parse(unsigned status, const std::string& body, std::string_view content_type = "application/json; charset=utf-8") {
    return parse_finnhub_quote(http_reply{status, content_type, body});
}

const std::string nvda_file = "finnhub_quote_NVDA.json";

std::string with_c(std::string_view json_value) {
    return replace_once(fixture(nvda_file), "\"c\":1284.3,", "\"c\":" + std::string(json_value) + ",");
}

}  // namespace

TEST_CASE("finnhub quote target carries no API key", "[finnhub]") {
    CHECK(finnhub_quote_target("NVDA") == "/api/v1/quote?symbol=NVDA");
    CHECK(finnhub_quote_target("BRK.B") == "/api/v1/quote?symbol=BRK.B");
    CHECK(finnhub_quote_target("9988.HK") == "/api/v1/quote?symbol=9988.HK");
    CHECK(finnhub_quote_target("A&token=x") == "/api/v1/quote?symbol=A%26token%3Dx");
    CHECK(finnhub_quote_target("NVDA").find("token") == std::string::npos);
    CHECK(feeds::finnhub_token_header == "X-Finnhub-Token");
}

TEST_CASE("finnhub NVDA sample: current, previous close, time", "[finnhub]") {
    const auto r = parse(200, fixture(nvda_file));
    REQUIRE(r.ok());
    CHECK(r->price.units() == 128'430'000'000);
    CHECK(r->price.to_string(2) == "1284.30");
    REQUIRE(r->reference.has_value());
    CHECK(*r->reference == dec("1266.32"));
    REQUIRE(r->as_of.has_value());
    CHECK(*r->as_of == at(1791400198));
    CHECK(r->currency.empty());
    CHECK(r->market == market_state::unknown);
    // Agrees with the upstream's own d and dp.
    CHECK(r->price - *r->reference == dec("17.98"));
    CHECK(percent_change(r->price, *r->reference).to_string(2) == "1.42");
}

TEST_CASE("finnhub prices are read from the JSON text exactly", "[finnhub]") {
    CHECK(parse(200, with_c("0.1"))->price.units() == 10'000'000);
    CHECK(parse(200, with_c("1.2843E3"))->price == dec("1284.3"));
    CHECK(parse(200, with_c("0.000123456789"))->price.units() == 12'346);
    CHECK(parse(200, with_c("336.0736083984375"))->price.units() == 33'607'360'840);
}

TEST_CASE("finnhub unknown symbol or no data", "[finnhub]") {
    SECTION("the sample: zeros, d and dp null") {
        const auto e = expect_error(parse(200, fixture("finnhub_quote_unknown.json")));
        CHECK(e.kind == feed_error_kind::no_data);
        CHECK(e.message.find("unknown symbol or no data") != std::string::npos);
    }
    SECTION("the pre-2021 shape without d and dp") {
        CHECK(expect_error(parse(200, R"({"c":0,"h":0,"l":0,"o":0,"pc":0,"t":0})")).kind == feed_error_kind::no_data);
    }
    SECTION("other spellings of zero, d/dp zero, pc absent or null") {
        CHECK(expect_error(parse(200, R"({"c":0.0,"d":0,"dp":0,"pc":0.00,"t":1791400198})")).kind == feed_error_kind::no_data);
        CHECK(expect_error(parse(200, R"({"c":0})")).kind == feed_error_kind::no_data);
        CHECK(expect_error(parse(200, R"({"c":0,"pc":null})")).kind == feed_error_kind::no_data);
        CHECK(expect_error(parse(200, R"({"c":-0,"pc":0})")).kind == feed_error_kind::no_data);
    }
    SECTION("c zero with a real previous close is a bad price, not no data") {
        const auto e = expect_error(parse(200, R"({"c":0,"d":null,"dp":null,"pc":1266.32,"t":1791400198})"));
        CHECK(e.kind == feed_error_kind::bad_price);
    }
}

TEST_CASE("finnhub reference and time are optional", "[finnhub]") {
    const std::string body = fixture(nvda_file);
    for (const char* pc : {"0", "null", "-1266.32", "\"1266.32\"", "[]"}) {
        INFO("pc " << pc);
        const auto r = parse(200, replace_once(body, "\"pc\":1266.32", std::string("\"pc\":") + pc));
        REQUIRE(r.ok());
        CHECK_FALSE(r->reference.has_value());
        CHECK(r->price == dec("1284.30"));
    }
    const auto no_pc = parse(200, replace_once(body, "\"pc\":1266.32,", ""));
    REQUIRE(no_pc.ok());
    CHECK_FALSE(no_pc->reference.has_value());

    for (const char* t : {"0", "null", "-5", "\"1791400198\"", "1e400"}) {
        INFO("t " << t);
        const auto r = parse(200, replace_once(body, "\"t\":1791400198", std::string("\"t\":") + t));
        REQUIRE(r.ok());
        CHECK_FALSE(r->as_of.has_value());
    }
    const auto no_t = parse(200, replace_once(body, ",\"t\":1791400198", ""));
    REQUIRE(no_t.ok());
    CHECK_FALSE(no_t->as_of.has_value());
    CHECK(*parse(200, replace_once(body, "\"t\":1791400198", "\"t\":1791400198.9"))->as_of == at(1791400198));
}

TEST_CASE("finnhub tolerates a BOM, whitespace and key order", "[finnhub]") {
    const auto bom = parse(200, "\xEF\xBB\xBF" + fixture(nvda_file));
    REQUIRE(bom.ok());
    CHECK(bom->price == dec("1284.3"));
    const auto spaced = parse(200, "\n{ \"t\" : 1791400198 ,\n \"pc\" : 1266.32, \"x\": {\"y\": [null]}, \"c\" :\t1284.3 }\n");
    REQUIRE(spaced.ok());
    CHECK(spaced->price == dec("1284.3"));
    CHECK(*spaced->reference == dec("1266.32"));
    CHECK(*spaced->as_of == at(1791400198));
    CHECK(parse(200, fixture(nvda_file), "text/html").ok());
}

TEST_CASE("finnhub bad prices", "[finnhub]") {
    CHECK(expect_error(parse(200, with_c("-1284.3"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_c("null"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_c("1e400"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_c("123456789012345678901234567890"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_c("92233720368.54775808"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_c("0.000000001"))).kind == feed_error_kind::bad_price);  // rounds to 0, pc is set
    // Numbers only: a string is a change of shape.
    for (const char* c : {"\"1284.30\"", "\"NaN\"", "true", "{}", "[1284.3]"}) {
        INFO("c " << c);
        CHECK(expect_error(parse(200, with_c(c))).kind == feed_error_kind::malformed);
    }
    const auto missing = expect_error(parse(200, replace_once(fixture(nvda_file), "\"c\":1284.3,", "")));
    CHECK(missing.kind == feed_error_kind::malformed);
    CHECK(missing.message.find("c missing") != std::string::npos);
    CHECK(expect_error(parse(200, "{}")).kind == feed_error_kind::malformed);
    const auto neg = expect_error(parse(200, with_c("-5")));
    CHECK(neg.message.find("-5") != std::string::npos);
}

TEST_CASE("finnhub error replies", "[finnhub]") {
    SECTION("403 no access is upstream_error with the message") {
        const auto e = expect_error(parse(403, fixture("finnhub_error_no_access.json")));
        CHECK(e.kind == feed_error_kind::upstream_error);
        CHECK(e.message.find("You don't have access to this resource.") != std::string::npos);
        CHECK(e.message.find("403") != std::string::npos);
    }
    SECTION("401 and 200 with the same body") {
        CHECK(expect_error(parse(401, fixture("finnhub_error_no_access.json"))).kind == feed_error_kind::upstream_error);
        CHECK(expect_error(parse(200, fixture("finnhub_error_no_access.json"))).kind == feed_error_kind::upstream_error);
        CHECK(expect_error(parse(401, R"({"error":"Invalid API key."})")).kind == feed_error_kind::upstream_error);
    }
    SECTION("429 is rate_limited whatever the body") {
        const auto e = expect_error(parse(429, R"({"error":"API limit reached. Please try again later. Remaining Limit: 0"})"));
        CHECK(e.kind == feed_error_kind::rate_limited);
        CHECK(e.message.find("API limit reached") != std::string::npos);
        CHECK(expect_error(parse(429, "")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, "Too Many Requests", "text/plain")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, "{\"error\":")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, fixture(nvda_file))).kind == feed_error_kind::rate_limited);
    }
    SECTION("an in-band limit message with 200") {
        CHECK(expect_error(parse(200, R"({"error":"API limit reached. Please try again later."})")).kind ==
              feed_error_kind::rate_limited);
    }
    SECTION("non-2xx JSON without an error") {
        CHECK(expect_error(parse(500, "{}")).kind == feed_error_kind::upstream_error);
        CHECK(expect_error(parse(502, fixture(nvda_file))).kind == feed_error_kind::upstream_error);
    }
    SECTION("a long error is cut") {
        const auto e = expect_error(parse(403, R"({"error":")" + std::string(3000, 'y') + "\\n" + std::string(3000, 'z') + "\"}"));
        CHECK(e.kind == feed_error_kind::upstream_error);
    }
    SECTION("an error field that is not a string is not an error message") {
        CHECK(parse(200, replace_once(fixture(nvda_file), "{", "{\"error\":null,")).ok());
    }
}

TEST_CASE("finnhub non-JSON and broken JSON are malformed", "[finnhub]") {
    SECTION("HTML page") {
        std::string page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>";
        page += std::string(3000, ' ') + "<hr><center>nginx</center></body></html>";
        const auto e = expect_error(parse(502, page, "text/html"), 100);
        CHECK(e.kind == feed_error_kind::malformed);
        CHECK(e.message.find("Bad Gateway") != std::string::npos);
        CHECK(e.message.find('<') == std::string::npos);
    }
    SECTION("plain text, empty, not an object") {
        CHECK(expect_error(parse(200, "")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "  \r\n")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "\xEF\xBB\xBF")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "1284.3")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "[" + fixture(nvda_file) + "]")).kind == feed_error_kind::malformed);
    }
    SECTION("every truncation of the sample") {
        std::string full = fixture(nvda_file);
        while (!full.empty() && (full.back() == '\n' || full.back() == '\r')) full.pop_back();
        REQUIRE(parse(200, full).ok());
        for (std::size_t len = 0; len < full.size(); ++len) {
            INFO("prefix length " << len);
            CHECK(expect_error(parse(200, full.substr(0, len))).kind == feed_error_kind::malformed);
        }
    }
    SECTION("trailing garbage and invalid tokens") {
        const std::string body = fixture(nvda_file);
        CHECK(expect_error(parse(200, body + "x")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, body + "}")).kind == feed_error_kind::malformed);
        for (const char* c : {"NaN", "Infinity", "-Infinity", "01284.3", "1284.", ".5", "0x504", "+1284.3"}) {
            INFO("c " << c);
            CHECK(expect_error(parse(200, with_c(c))).kind == feed_error_kind::malformed);
        }
    }
}

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
#include "tickerd/feeds/openerapi.hpp"

using namespace tickerd;
using tickerd::feeds::openerapi_latest_target;
using tickerd::feeds::parse_openerapi_latest;
using tickerd::feeds::split_openerapi_symbol;

using tickerd::feed_tests::fixture;
using tickerd::feed_tests::dec;
using tickerd::feed_tests::replace_once;
using tickerd::feed_tests::expect_error;

namespace {

time_point at(std::int64_t unix_seconds) { return time_point{std::chrono::seconds{unix_seconds}}; }

feed_result<raw_quote> parse(unsigned status, const std::string& body, std::string_view symbol = "USD/VND",
                             std::string_view content_type = "application/json") {
    return parse_openerapi_latest(http_reply{status, content_type, body}, symbol);
}

const std::string latest_file = "open_er_api_latest_USD.json";
const std::string vnd_field = "\"VND\":25412.115923";

std::string with_vnd(std::string_view json_value) {
    return replace_once(fixture(latest_file), vnd_field, "\"VND\":" + std::string(json_value));
}

}  // namespace

TEST_CASE("openerapi symbols are BASE/QUOTE", "[openerapi]") {
    const auto p = split_openerapi_symbol("USD/VND");
    REQUIRE(p.has_value());
    CHECK(p->base == "USD");
    CHECK(p->quote == "VND");
    CHECK(split_openerapi_symbol("EUR/USD")->base == "EUR");
    CHECK(split_openerapi_symbol("USD/USD")->quote == "USD");
    for (const char* bad : {"", "USD", "USDVND", "USD/", "/VND", "/", "usd/vnd", "USD/vnd", "USD/VND/X", "USD//VND", "US/VND",
                            "USDT/VND", "USD/VN1", "USD /VND", "USD/VND ", "USD-VND", "VND=X"}) {
        INFO("symbol \"" << bad << "\"");
        CHECK_FALSE(split_openerapi_symbol(bad).has_value());
    }
}

TEST_CASE("openerapi latest target", "[openerapi]") {
    CHECK(openerapi_latest_target("USD/VND") == "/v6/latest/USD");
    CHECK(openerapi_latest_target("EUR/JPY") == "/v6/latest/EUR");
    // Not BASE/QUOTE: still a harmless path; the parser refuses the symbol.
    CHECK(openerapi_latest_target("USD") == "/v6/latest/USD");
    CHECK(openerapi_latest_target("U D/X") == "/v6/latest/U%20D");
}

TEST_CASE("openerapi USD/VND sample: daily rate, update time, no reference", "[openerapi]") {
    const auto r = parse(200, fixture(latest_file));
    REQUIRE(r.ok());
    // Exactly the JSON text, no binary floating point on the way.
    CHECK(r->price.units() == 2'541'211'592'300);
    CHECK(r->price == dec("25412.115923"));
    CHECK(r->price.to_string(0) == "25412");
    CHECK(r->price.to_grouped(0) == "25,412");
    CHECK_FALSE(r->reference.has_value());
    REQUIRE(r->as_of.has_value());
    CHECK(*r->as_of == at(1791331351));
    // The daemon derives the day of the rate from as_of: 2026-10-07 UTC.
    const auto day = std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(*r->as_of)};
    CHECK(day == std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::October, std::chrono::day{7}});
    CHECK(r->currency == "VND");
    CHECK(r->market == market_state::unknown);
}

TEST_CASE("openerapi other quotes from the same reply", "[openerapi]") {
    const std::string body = fixture(latest_file);
    CHECK(parse(200, body, "USD/EUR")->price == dec("0.857211"));
    CHECK(parse(200, body, "USD/EUR")->currency == "EUR");
    CHECK(parse(200, body, "USD/USD")->price == dec("1"));
    CHECK(parse(200, body, "USD/IDR")->price == dec("16402.118374"));
}

TEST_CASE("openerapi rate values", "[openerapi]") {
    CHECK(parse(200, with_vnd("25412"))->price == dec("25412"));
    CHECK(parse(200, with_vnd("2.5412115923e4"))->price == dec("25412.115923"));
    CHECK(parse(200, with_vnd("0.000000125"))->price.units() == 13);  // rounded to 8 decimals
    CHECK(expect_error(parse(200, with_vnd("0"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_vnd("0.0"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_vnd("-25412.1"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_vnd("0.000000001"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_vnd("null"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_vnd("1e400"))).kind == feed_error_kind::bad_price);
    CHECK(expect_error(parse(200, with_vnd("100000000000"))).kind == feed_error_kind::bad_price);
    // A JSON number is what the API sends; anything else is a change of shape.
    for (const char* v : {"\"25412.115923\"", "\"NaN\"", "true", "{}", "[25412]"}) {
        INFO("VND " << v);
        CHECK(expect_error(parse(200, with_vnd(v))).kind == feed_error_kind::malformed);
    }
    const auto neg = expect_error(parse(200, with_vnd("-7")));
    CHECK(neg.message.find("rates.VND") != std::string::npos);
    CHECK(neg.message.find("-7") != std::string::npos);
}

TEST_CASE("openerapi missing pieces", "[openerapi]") {
    const std::string body = fixture(latest_file);
    SECTION("no rate for the quote currency is no_data") {
        const auto e = expect_error(parse(200, body, "USD/XYZ"));
        CHECK(e.kind == feed_error_kind::no_data);
        CHECK(e.message.find("XYZ") != std::string::npos);
        CHECK(expect_error(parse(200, replace_once(body, vnd_field + ",", ""))).kind == feed_error_kind::no_data);
    }
    SECTION("rates missing or not an object") {
        const auto rates_at = body.find(",\"rates\":");
        REQUIRE(rates_at != std::string::npos);
        CHECK(expect_error(parse(200, body.substr(0, rates_at) + "}")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"result":"success","rates":[]})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"result":"success","rates":null})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"result":"success","rates":{}})")).kind == feed_error_kind::no_data);
    }
    SECTION("a bare success reply without the optional fields") {
        const auto r = parse(200, R"({"rates":{"VND":25412.115923},"result":"success"})");
        REQUIRE(r.ok());
        CHECK(r->price == dec("25412.115923"));
        CHECK_FALSE(r->as_of.has_value());
    }
    SECTION("unusable update times leave as_of empty") {
        for (const char* t : {"0", "null", "-1", "\"1791331351\""}) {
            INFO("time_last_update_unix " << t);
            const auto r = parse(200, replace_once(body, "\"time_last_update_unix\":1791331351",
                                                   std::string("\"time_last_update_unix\":") + t));
            REQUIRE(r.ok());
            CHECK_FALSE(r->as_of.has_value());
        }
    }
    SECTION("the reply must be for the base asked for") {
        const auto e = expect_error(parse(200, body, "EUR/VND"));
        CHECK(e.kind == feed_error_kind::malformed);
        CHECK(e.message.find("base_code USD") != std::string::npos);
        CHECK(e.message.find("EUR") != std::string::npos);
        // Without base_code the reply is trusted.
        CHECK(parse(200, replace_once(body, "\"base_code\":\"USD\",", ""), "EUR/VND").ok());
    }
}

TEST_CASE("openerapi result decides, not the status", "[openerapi]") {
    SECTION("unsupported-code is no_data") {
        for (unsigned status : {200u, 400u, 404u}) {
            INFO("status " << status);
            const auto e = expect_error(parse(status, fixture("open_er_api_error_unsupported_code.json")));
            CHECK(e.kind == feed_error_kind::no_data);
            CHECK(e.message.find("unsupported-code") != std::string::npos);
        }
    }
    SECTION("quota-reached is rate_limited") {
        CHECK(expect_error(parse(200, R"({"result":"error","error-type":"quota-reached"})")).kind == feed_error_kind::rate_limited);
    }
    SECTION("other error types are upstream_error with the type") {
        for (const char* type : {"malformed-request", "invalid-key", "inactive-account", "something-new"}) {
            INFO("error-type " << type);
            const auto e = expect_error(parse(200, std::string(R"({"result":"error","error-type":")") + type + "\"}"));
            CHECK(e.kind == feed_error_kind::upstream_error);
            CHECK(e.message.find(type) != std::string::npos);
        }
    }
    SECTION("result other than success, with or without an error-type") {
        CHECK(expect_error(parse(200, R"({"result":"error"})")).kind == feed_error_kind::upstream_error);
        const auto e = expect_error(parse(200, R"({"result":"failure","rates":{"VND":25412}})"));
        CHECK(e.kind == feed_error_kind::upstream_error);
        CHECK(e.message.find("failure") != std::string::npos);
        CHECK(expect_error(parse(200, replace_once(fixture(latest_file), "\"result\":\"success\"", "\"result\":\"Success\""))).kind ==
              feed_error_kind::upstream_error);
    }
    SECTION("a success body is read whatever the status") {
        CHECK(parse(203, fixture(latest_file)).ok());
    }
    SECTION("no result") {
        CHECK(expect_error(parse(200, R"({"rates":{"VND":25412}})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, R"({"result":true})")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "{}")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(500, "{}")).kind == feed_error_kind::upstream_error);
        CHECK(expect_error(parse(503, R"({"message":"down"})")).kind == feed_error_kind::upstream_error);
    }
    SECTION("429 is rate_limited whatever the body") {
        CHECK(expect_error(parse(429, "")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, "<html><body>Too many</body></html>")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, "{\"result\":")).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, fixture(latest_file))).kind == feed_error_kind::rate_limited);
        CHECK(expect_error(parse(429, fixture("open_er_api_error_unsupported_code.json"))).kind == feed_error_kind::rate_limited);
    }
}

TEST_CASE("openerapi refuses a symbol that is not BASE/QUOTE", "[openerapi]") {
    for (const char* bad : {"USD", "VND=X", "usd/vnd", ""}) {
        INFO("symbol \"" << bad << "\"");
        const auto e = expect_error(parse(200, fixture(latest_file), bad));
        CHECK(e.kind == feed_error_kind::no_data);
        CHECK(e.message.find("BASE/QUOTE") != std::string::npos);
    }
}

TEST_CASE("openerapi non-JSON and broken JSON are malformed", "[openerapi]") {
    SECTION("HTML page") {
        std::string page = "<!DOCTYPE html><html><head><title>Just a moment...</title><script>var a='<b>x</b>';</script></head>"
                           "<body><h1>Checking your browser</h1>";
        page += std::string(4000, '\n') + "</body></html>";
        const auto e = expect_error(parse(200, page, "USD/VND", "text/html"), 100);
        CHECK(e.kind == feed_error_kind::malformed);
        CHECK(e.message.find("Just a moment") != std::string::npos);
        CHECK(e.message.find('<') == std::string::npos);
    }
    SECTION("plain text, empty, not an object") {
        CHECK(expect_error(parse(200, "")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "\xEF\xBB\xBF")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(502, "Bad Gateway", "USD/VND", "text/plain")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "25412.115923")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, "[]")).kind == feed_error_kind::malformed);
    }
    SECTION("BOM and whitespace are fine") {
        const auto r = parse(200, "\xEF\xBB\xBF\n\t" + fixture(latest_file) + "\n");
        REQUIRE(r.ok());
        CHECK(r->price == dec("25412.115923"));
    }
    SECTION("every truncation of the sample") {
        std::string full = fixture(latest_file);
        while (!full.empty() && (full.back() == '\n' || full.back() == '\r')) full.pop_back();
        REQUIRE(parse(200, full).ok());
        for (std::size_t len = 0; len < full.size(); ++len) {
            INFO("prefix length " << len);
            CHECK(expect_error(parse(200, full.substr(0, len))).kind == feed_error_kind::malformed);
        }
    }
    SECTION("trailing garbage and invalid tokens") {
        const std::string body = fixture(latest_file);
        CHECK(expect_error(parse(200, body + "x")).kind == feed_error_kind::malformed);
        CHECK(expect_error(parse(200, body + "]")).kind == feed_error_kind::malformed);
        for (const char* v : {"NaN", "Infinity", "025412", "25412.", ".5", "1e", "0x6344"}) {
            INFO("VND " << v);
            CHECK(expect_error(parse(200, with_vnd(v))).kind == feed_error_kind::malformed);
        }
        // A broken rate elsewhere in the document is caught too.
        CHECK(expect_error(parse(200, replace_once(body, "\"ZAR\":17.402588", "\"ZAR\":17.402588.1"))).kind ==
              feed_error_kind::malformed);
    }
}

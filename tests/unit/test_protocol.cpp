#include <catch2/catch.hpp>

#include <simdjson.h>

#include "tickerd/protocol.hpp"
#include "tickerd/snapshot_store.hpp"

using namespace tickerd;

namespace {

symbol_config nvda() {
    symbol_config s;
    s.id = "NVDA";
    s.name = "NVIDIA \"Corp\"";
    s.cls = asset_class::equity;
    s.currency = "USD";
    s.precision = 2;
    return s;
}

quote sample(const char* price, const char* ref) {
    quote q;
    q.symbol = "NVDA";
    q.price = *decimal::parse(price);
    q.ref_price = *decimal::parse(ref);
    q.change = q.price - q.ref_price;
    q.change_pct = percent_change(q.price, q.ref_price);
    q.dir = q.change.is_positive() ? direction::up : q.change.is_negative() ? direction::down : direction::flat;
    q.market = market_state::open;
    q.source = "yahoo";
    q.as_of = time_point(std::chrono::milliseconds(1791400198000));
    q.received_at = time_point(std::chrono::milliseconds(1791400199120));
    q.seq = 1234;
    return q;
}

}  // namespace

TEST_CASE("a quote encodes with exact numbers and display strings", "[protocol]") {
    const std::string json = encode_quote(nvda(), sample("1284.3", "1266.32"));
    CHECK(json ==
          R"({"symbol":"NVDA","name":"NVIDIA \"Corp\"","class":"equity","currency":"USD","price":1284.30,)"
          R"("ref_price":1266.32,"change":17.98,"change_pct":1.42,"direction":"up",)"
          R"("display":{"price":"1,284.30","change":"+17.98","change_pct":"▲ 1.42%"},"market":"open",)"
          R"("stale":false,"max_age":300,"source":"yahoo","as_of":"2026-10-07T19:09:58.000Z",)"
          R"("received_at":"2026-10-07T19:09:59.120Z","seq":1234})");
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    REQUIRE(p.parse(json).get(doc) == simdjson::SUCCESS);
}

TEST_CASE("a quote carries its symbol's max_age in whole seconds, rounded up", "[protocol]") {
    auto sym = nvda();
    sym.max_age = std::chrono::minutes(15);
    CHECK(encode_quote(sym, sample("100", "99")).find(R"("max_age":900,)") != std::string::npos);
    sym.max_age = std::chrono::milliseconds(1500);
    CHECK(encode_quote(sym, sample("100", "99")).find(R"("max_age":2,)") != std::string::npos);
}

TEST_CASE("a falling quote shows a down arrow and a minus sign", "[protocol]") {
    auto sym = nvda();
    sym.precision = 0;
    const std::string json = encode_quote(sym, sample("25404.38", "25412"));
    CHECK(json.find(R"("price":25404,)") != std::string::npos);
    CHECK(json.find(R"("change":-8,)") != std::string::npos);
    CHECK(json.find(R"("change_pct":-0.03,)") != std::string::npos);
    CHECK(json.find(R"("direction":"down")") != std::string::npos);
    CHECK(json.find(R"("change":"-8","change_pct":"▼ 0.03%")") != std::string::npos);
}

TEST_CASE("an unchanged quote is flat without an arrow", "[protocol]") {
    const std::string json = encode_quote(nvda(), sample("100", "100"));
    CHECK(json.find(R"("direction":"flat")") != std::string::npos);
    CHECK(json.find(R"("change":"0.00","change_pct":"0.00%")") != std::string::npos);
}

TEST_CASE("json_string escapes quotes, backslashes and control characters", "[protocol]") {
    CHECK(json_string("a\"b\\c\n\x01") == R"("a\"b\\c\n\u0001")");
}

TEST_CASE("stream messages carry seq, since and the shared quote text", "[protocol]") {
    auto pub = std::make_shared<published_quote>();
    pub->json = std::make_shared<const std::string>(R"({"symbol":"X"})");
    const quote_list quotes{pub};
    CHECK(encode_update(7, 1796626260000123, quotes) ==
          R"({"type":"update","seq":7,"ts":1796626260000123,"quotes":[{"symbol":"X"}]})");
    CHECK(encode_stream_snapshot(9, 0, quotes) == R"({"type":"snapshot","seq":9,"quotes":[{"symbol":"X"}]})");
    CHECK(encode_stream_snapshot(9, 5, {}) == R"({"type":"snapshot","seq":9,"since":5,"quotes":[]})");
    CHECK(encode_heartbeat(3) == R"({"type":"heartbeat","seq":3})");
    CHECK(encode_removed(7, {"NVDA", "A\"B"}) == R"({"type":"removed","seq":7,"symbols":["NVDA","A\"B"]})");
    CHECK(encode_stream_error("bad_request", "x\"y") == R"({"type":"error","code":"bad_request","message":"x\"y"})");
    CHECK(encode_http_snapshot(4, time_point(std::chrono::milliseconds(0)), quotes) ==
          R"({"seq":4,"generated_at":"1970-01-01T00:00:00.000Z","quotes":[{"symbol":"X"}]})");
}

TEST_CASE("client messages: subscribe and unsubscribe", "[protocol]") {
    auto m = parse_client_message(R"({"op":"subscribe","symbols":["NVDA","USD/VND"],"max_hz":2})");
    REQUIRE(m);
    CHECK(m->op == client_message::kind::subscribe);
    CHECK(m->symbols == std::vector<std::string>{"NVDA", "USD/VND"});
    auto u = parse_client_message(R"({"symbols":[],"op":"unsubscribe"})");
    REQUIRE(u);
    CHECK(u->op == client_message::kind::unsubscribe);
    CHECK(u->symbols.empty());
}

TEST_CASE("client messages: every malformed shape is an error", "[protocol]") {
    for (const char* bad : {"", "nope", "[]", "{}", R"({"op":"subscribe"})", R"({"symbols":["A"]})",
                            R"({"op":"buy","symbols":["A"]})", R"({"op":1,"symbols":["A"]})",
                            R"({"op":"subscribe","symbols":"A"})", R"({"op":"subscribe","symbols":[1]})",
                            R"({"op":"subscribe","symbols":["A"]} trailing)", R"({"op":"subscribe","symbols":["A"])"}) {
        INFO(bad);
        CHECK_FALSE(parse_client_message(bad));
    }
}

TEST_CASE("symbol lists and URL decoding", "[protocol]") {
    CHECK(split_symbol_list("NVDA, BTC,,USD/VND") == std::vector<std::string>{"NVDA", "BTC", "USD/VND"});
    CHECK(split_symbol_list("").empty());
    CHECK(url_decode("USD%2FVND") == std::optional<std::string>("USD/VND"));
    CHECK(url_decode("VND%3dX") == std::optional<std::string>("VND=X"));
    CHECK_FALSE(url_decode("bad%2"));
    CHECK_FALSE(url_decode("bad%zz"));
}

TEST_CASE("parse_client_message reads max_hz on subscribe only", "[protocol]") {
    auto m = parse_client_message(R"({"op":"subscribe","symbols":["A"],"max_hz":2})");
    REQUIRE(m);
    CHECK(m->max_hz == 2u);
    CHECK_FALSE(parse_client_message(R"({"op":"subscribe","symbols":["A"]})")->max_hz);
    CHECK(parse_client_message(R"({"op":"subscribe","symbols":[],"max_hz":0})")->max_hz == 0u);
    CHECK_FALSE(parse_client_message(R"({"op":"subscribe","symbols":["A"],"max_hz":-1})"));
    CHECK_FALSE(parse_client_message(R"({"op":"subscribe","symbols":["A"],"max_hz":1001})"));
    CHECK_FALSE(parse_client_message(R"({"op":"subscribe","symbols":["A"],"max_hz":"2"})"));
    CHECK_FALSE(parse_client_message(R"({"op":"subscribe","symbols":["A"],"max_hz":1.5})"));
    CHECK_FALSE(parse_client_message(R"({"op":"unsubscribe","symbols":["A"],"max_hz":1})"));
}

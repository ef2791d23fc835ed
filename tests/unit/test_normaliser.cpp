#include <catch2/catch.hpp>

#include "tickerd/normaliser.hpp"

using namespace tickerd;

namespace {

symbol_config sym(asset_class cls = asset_class::equity, const char* currency = "USD") {
    symbol_config s;
    s.id = "NVDA";
    s.name = "NVIDIA";
    s.cls = cls;
    s.currency = currency;
    return s;
}

raw_quote raw(const char* price, std::optional<const char*> ref) {
    raw_quote r;
    r.price = *decimal::parse(price);
    if (ref) r.reference = *decimal::parse(*ref);
    r.as_of = time_point(std::chrono::milliseconds(1000));
    r.market = market_state::open;
    r.currency = "USD";
    return r;
}

const time_point now{std::chrono::milliseconds(5000)};

}  // namespace

TEST_CASE("change and change_pct are exact", "[normaliser]") {
    auto q = normalise(raw("1284.3", "1266.32"), sym(), "yahoo", reference_kind::previous_close, std::nullopt, now);
    REQUIRE(q);
    CHECK(q->change == *decimal::parse("17.98"));
    CHECK(q->change_pct == *decimal::parse("1.41986228"));
    CHECK(q->dir == direction::up);
    CHECK(q->source == "yahoo");
    CHECK(q->as_of == time_point(std::chrono::milliseconds(1000)));
    CHECK(q->received_at == now);
    CHECK(q->market == market_state::open);
}

TEST_CASE("zero and negative prices are rejected", "[normaliser]") {
    CHECK(normalise(raw("0", "10"), sym(), "yahoo", reference_kind::previous_close, std::nullopt, now).error().kind == feed_error_kind::bad_price);
    CHECK(normalise(raw("-1", "10"), sym(), "yahoo", reference_kind::previous_close, std::nullopt, now).error().kind == feed_error_kind::bad_price);
    CHECK(normalise(raw("5", "0"), sym(), "yahoo", reference_kind::previous_close, std::nullopt, now).error().kind == feed_error_kind::bad_price);
}

TEST_CASE("a missing reference falls back to the previous one, else rejects", "[normaliser]") {
    CHECK_FALSE(normalise(raw("10", std::nullopt), sym(), "yahoo", reference_kind::previous_close, std::nullopt, now));
    auto q = normalise(raw("10", std::nullopt), sym(), "yahoo", reference_kind::previous_close, decimal::from_int(8), now);
    REQUIRE(q);
    CHECK(q->change_pct == decimal::from_int(25));
}

TEST_CASE("a currency other than the configured one is rejected", "[normaliser]") {
    auto r = raw("142.8", "145.88");
    r.currency = "HKD";
    auto q = normalise(r, sym(), "yahoo", reference_kind::previous_close, std::nullopt, now);
    REQUIRE_FALSE(q);
    CHECK(q.error().message.find("HKD") != std::string::npos);
    r.currency = "GBp";
    CHECK_FALSE(normalise(r, sym(asset_class::equity, "GBP"), "yahoo", reference_kind::previous_close, std::nullopt, now));
}

TEST_CASE("crypto is always open, a missing or future upstream time becomes now", "[normaliser]") {
    auto r = raw("71420", "70825.07");
    r.market = market_state::unknown;
    r.as_of.reset();
    auto q = normalise(r, sym(asset_class::crypto), "coinbase", reference_kind::open_24h, std::nullopt, now);
    REQUIRE(q);
    CHECK(q->market == market_state::always);
    CHECK(q->as_of == now);
    r.as_of = now + std::chrono::hours(48);
    CHECK(normalise(r, sym(asset_class::crypto), "coinbase", reference_kind::open_24h, std::nullopt, now)->as_of == now);
}

TEST_CASE("a source with another kind of reference borrows the symbol's current one", "[normaliser]") {
    // Kraken's reference is the 00:00 UTC open; a crypto symbol wants the 24 h open.
    auto r = raw("71420", "71012.6");
    r.currency.clear();
    const auto btc = sym(asset_class::crypto);
    auto borrowed = normalise(r, btc, "kraken", reference_kind::utc_day_open, *decimal::parse("70825.07"), now);
    REQUIRE(borrowed);
    CHECK(borrowed->ref_price == *decimal::parse("70825.07"));
    CHECK(borrowed->change_pct == *decimal::parse("0.83999917"));
    // Nothing to borrow: its own reference is better than none.
    auto own = normalise(r, btc, "kraken", reference_kind::utc_day_open, std::nullopt, now);
    REQUIRE(own);
    CHECK(own->ref_price == *decimal::parse("71012.6"));
    // A source of the wanted kind keeps its own reference.
    auto coinbase = normalise(r, btc, "coinbase", reference_kind::open_24h, *decimal::parse("70825.07"), now);
    CHECK(coinbase->ref_price == *decimal::parse("71012.6"));
}

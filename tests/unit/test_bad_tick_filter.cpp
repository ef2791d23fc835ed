#include <catch2/catch.hpp>

#include "tickerd/bad_tick_filter.hpp"

using namespace tickerd;

namespace {
config two_symbols() {
    config c;
    symbol_config nvda;
    nvda.id = "NVDA";
    nvda.cls = asset_class::equity;
    symbol_config btc;
    btc.id = "BTC";
    btc.cls = asset_class::crypto;
    c.symbols = {nvda, btc};
    c.bad_tick.equity = decimal::from_int(20);
    c.bad_tick.crypto = decimal::from_int(0);  // off
    return c;
}
decimal d(const char* s) { return *decimal::parse(s); }
using v = bad_tick_filter::verdict;
}  // namespace

TEST_CASE("moves within the limit pass, the first price always passes", "[bad_tick]") {
    bad_tick_filter f(two_symbols());
    CHECK(f.check(0, d("100"), std::nullopt) == v::pass);
    CHECK(f.check(0, d("119.99"), d("100")) == v::pass);
    CHECK(f.check(0, d("80.01"), d("100")) == v::pass);
}

TEST_CASE("a jump is held until a second observation near it confirms it", "[bad_tick]") {
    bad_tick_filter f(two_symbols());
    CHECK(f.check(0, d("1284.30"), d("128.43")) == v::held);      // a decimal-point slip
    CHECK(f.check(0, d("128.50"), d("128.43")) == v::pass);        // back in line: the slip is forgotten
    CHECK(f.check(0, d("1284.30"), d("128.43")) == v::held);       // held afresh, not confirmed by the old one
    CHECK(f.check(0, d("1290.00"), d("128.43")) == v::confirmed);  // seen again (within 2 %): a real move
    CHECK(f.check(0, d("60"), d("100")) == v::held);
    CHECK(f.check(0, d("40"), d("100")) == v::held);  // another jump, far from the held one: held instead
    CHECK(f.check(0, d("40.5"), d("100")) == v::confirmed);
}

TEST_CASE("a zero limit turns the check off", "[bad_tick]") {
    bad_tick_filter f(two_symbols());
    CHECK(f.check(1, d("1"), d("71420")) == v::pass);
    CHECK(f.check(9, d("1"), d("71420")) == v::pass);  // unknown index
}

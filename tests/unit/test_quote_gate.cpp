// The quote gate: failover decides which source is published, the bad-tick
// filter holds back an unconfirmed jump; each call returns what it decided.
#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tickerd/normaliser.hpp"
#include "tickerd/quote_gate.hpp"
#include "tickerd/snapshot_store.hpp"

using namespace tickerd;
using std::chrono::milliseconds;

namespace {

// NVDA from yahoo (rank 0) then finnhub (rank 1); two failures hand over, two successes hand back.
config one_symbol() {
    config c;
    symbol_config nvda;
    nvda.id = "NVDA";
    nvda.currency = "USD";
    nvda.cls = asset_class::equity;
    nvda.sources = {{"yahoo", "NVDA"}, {"finnhub", "NVDA"}};
    nvda.failover_after = 2;
    nvda.failback_after = 2;
    nvda.max_age = milliseconds(60'000);
    c.symbols = {nvda};
    c.bad_tick.equity = decimal::from_int(20);
    return c;
}

decimal dec(const char* s) { return *decimal::parse(s); }

quote make(const config& c, const char* price, const char* source, time_point now) {
    raw_quote r;
    r.price = dec(price);
    r.reference = decimal::from_int(100);
    return *normalise(r, c.symbols[0], source, reference_kind::previous_close, std::nullopt, now);
}

std::string published_price(const snapshot_store& store) {
    const auto p = store.get(0);
    return p ? p->q.price.to_string(2) : "(none)";
}

const time_point t0{milliseconds(1'700'000'000'000)};
constexpr std::size_t yahoo = 0;
constexpr std::size_t finnhub = 1;
using tick = bad_tick_filter::verdict;

}  // namespace

TEST_CASE("the active source's quote is published; a healthy backup's is not", "[quote_gate]") {
    const config c = one_symbol();
    snapshot_store store(c.symbols, 0);
    quote_gate gate(c, store);

    auto v = gate.accepted(0, yahoo, make(c, "100.00", "yahoo", t0), t0);
    CHECK(v.published);
    CHECK_FALSE(v.switched);
    CHECK(v.tick == tick::pass);
    CHECK_FALSE(v.held_from);
    CHECK(published_price(store) == "100.00");
    const auto seq = store.seq();

    v = gate.accepted(0, finnhub, make(c, "100.50", "finnhub", t0), t0);
    CHECK_FALSE(v.published);
    CHECK_FALSE(v.switched);
    CHECK(published_price(store) == "100.00");
    CHECK(store.seq() == seq);
    CHECK(gate.active_source(0) == yahoo);
}

TEST_CASE("failover: the backup takes over after failover_after failures, the primary back after failback_after",
          "[quote_gate]") {
    const config c = one_symbol();
    snapshot_store store(c.symbols, 0);
    quote_gate gate(c, store);
    REQUIRE(gate.accepted(0, yahoo, make(c, "100.00", "yahoo", t0), t0).published);
    REQUIRE_FALSE(gate.accepted(0, finnhub, make(c, "100.10", "finnhub", t0), t0).published);

    CHECK_FALSE(gate.failed(0, finnhub + 5));  // an unknown source changes nothing
    CHECK_FALSE(gate.failed(0, yahoo));        // one failure: not yet
    const auto sw = gate.failed(0, yahoo);     // the second: the healthy backup takes over
    REQUIRE(sw);
    CHECK(sw->from == yahoo);
    CHECK(sw->to == finnhub);
    CHECK(gate.active_source(0) == finnhub);

    auto v = gate.accepted(0, finnhub, make(c, "100.20", "finnhub", t0 + milliseconds(100)), t0 + milliseconds(100));
    CHECK(v.published);
    CHECK_FALSE(v.switched);  // already switched by the failure
    CHECK(published_price(store) == "100.20");
    CHECK(store.get(0)->q.source == "finnhub");

    // The primary recovers: its first good quote is not published, the second takes over again.
    v = gate.accepted(0, yahoo, make(c, "100.30", "yahoo", t0 + milliseconds(200)), t0 + milliseconds(200));
    CHECK_FALSE(v.published);
    CHECK_FALSE(v.switched);
    CHECK(published_price(store) == "100.20");
    v = gate.accepted(0, yahoo, make(c, "100.40", "yahoo", t0 + milliseconds(300)), t0 + milliseconds(300));
    CHECK(v.published);
    REQUIRE(v.switched);
    CHECK(v.switched->from == finnhub);
    CHECK(v.switched->to == yahoo);
    CHECK(published_price(store) == "100.40");
    CHECK(gate.active_source(0) == yahoo);
}

TEST_CASE("failover with no healthy backup waits for the backup's first good quote", "[quote_gate]") {
    const config c = one_symbol();
    snapshot_store store(c.symbols, 0);
    quote_gate gate(c, store);
    REQUIRE(gate.accepted(0, yahoo, make(c, "100.00", "yahoo", t0), t0).published);
    CHECK_FALSE(gate.failed(0, yahoo));
    CHECK_FALSE(gate.failed(0, yahoo));  // down, but nothing to switch to
    CHECK(gate.active_source(0) == yahoo);
    const auto v = gate.accepted(0, finnhub, make(c, "100.10", "finnhub", t0), t0);
    CHECK(v.published);
    REQUIRE(v.switched);
    CHECK(v.switched->from == yahoo);
    CHECK(v.switched->to == finnhub);
    CHECK(published_price(store) == "100.10");
}

TEST_CASE("a jump is held, not published, until a second observation confirms it", "[quote_gate][bad_tick]") {
    const config c = one_symbol();
    snapshot_store store(c.symbols, 0);
    quote_gate gate(c, store);
    REQUIRE(gate.accepted(0, yahoo, make(c, "128.43", "yahoo", t0), t0).published);
    const auto seq = store.seq();

    auto v = gate.accepted(0, yahoo, make(c, "1284.30", "yahoo", t0 + milliseconds(500)), t0 + milliseconds(500));
    CHECK_FALSE(v.published);
    CHECK(v.tick == tick::held);
    REQUIRE(v.held_from);
    CHECK(v.held_from->to_string(2) == "128.43");
    CHECK(gate.ticks_held() == 1);
    CHECK(published_price(store) == "128.43");
    CHECK(store.seq() == seq);
    // The source is alive: the held price keeps the published quote fresh.
    CHECK(store.status()[0].last_confirmed == t0 + milliseconds(500));
    CHECK(store.expire(t0 + milliseconds(60'400)).empty());

    v = gate.accepted(0, yahoo, make(c, "1290.00", "yahoo", t0 + milliseconds(1000)), t0 + milliseconds(1000));
    CHECK(v.published);
    CHECK(v.tick == tick::confirmed);
    CHECK_FALSE(v.held_from);
    CHECK(gate.ticks_held() == 1);
    CHECK(published_price(store) == "1290.00");
    CHECK(store.seq() == seq + 1);
}

TEST_CASE("a held jump does not make a stale quote fresh", "[quote_gate][bad_tick]") {
    const config c = one_symbol();
    snapshot_store store(c.symbols, 40);
    quote_gate gate(c, store);
    REQUIRE(store.restore({make(c, "128.43", "yahoo", t0)}) == 1);
    REQUIRE(store.get(0)->q.stale);
    // A restored quote counts as last confirmed when it was received (its age in /metrics).
    const time_point restored_confirmed = store.status()[0].last_confirmed;
    CHECK(restored_confirmed == store.get(0)->q.received_at);
    CHECK(restored_confirmed != time_point{});

    const auto v = gate.accepted(0, yahoo, make(c, "1284.30", "yahoo", t0 + milliseconds(500)), t0 + milliseconds(500));
    CHECK(v.tick == tick::held);
    CHECK_FALSE(v.published);
    REQUIRE(v.held_from);
    CHECK(v.held_from->to_string(2) == "128.43");
    const auto now = store.get(0);
    CHECK(now->q.stale);
    CHECK(now->q.price.to_string(2) == "128.43");
    CHECK(store.seq() == 40);
    CHECK(store.status()[0].last_confirmed == restored_confirmed);  // a held jump confirms nothing

    // A price in line with the old one is published, fresh.
    const auto ok = gate.accepted(0, yahoo, make(c, "129.00", "yahoo", t0 + milliseconds(900)), t0 + milliseconds(900));
    CHECK(ok.published);
    CHECK(ok.tick == tick::pass);
    CHECK_FALSE(store.get(0)->q.stale);
    CHECK(published_price(store) == "129.00");
}

TEST_CASE("a backup's jump is neither checked nor counted while it is not published", "[quote_gate][bad_tick]") {
    const config c = one_symbol();
    snapshot_store store(c.symbols, 0);
    quote_gate gate(c, store);
    REQUIRE(gate.accepted(0, yahoo, make(c, "100.00", "yahoo", t0), t0).published);
    const auto v = gate.accepted(0, finnhub, make(c, "1000.00", "finnhub", t0), t0);
    CHECK_FALSE(v.published);
    CHECK(v.tick == tick::pass);
    CHECK(gate.ticks_held() == 0);
}

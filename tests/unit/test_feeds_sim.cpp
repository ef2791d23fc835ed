#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "feed_test_support.hpp"
#include "tickerd/decimal.hpp"
#include "tickerd/feeds/sim.hpp"

using tickerd::decimal;
using tickerd::feeds::sim_walk;

using tickerd::feed_tests::dec;

namespace {

std::vector<std::string> run(std::uint64_t seed, const char* symbol, const char* start, int precision, int steps) {
    sim_walk w(seed, symbol, dec(start), precision);
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(steps));
    for (int i = 0; i < steps; ++i) out.push_back(w.next().to_string(precision));
    return out;
}

std::int64_t tick_of(int precision) {
    std::int64_t t = 1;
    for (int i = precision; i < decimal::scale; ++i) t *= 10;
    return t;
}

}  // namespace

TEST_CASE("sim starts at the configured price", "[sim]") {
    sim_walk w(1, "NVDA", dec("1284.30"), 2);
    CHECK(w.start() == dec("1284.30"));
    CHECK(w.current() == dec("1284.30"));
    const decimal first = w.next();
    CHECK(w.current() == first);
    CHECK(w.start() == dec("1284.30"));  // the anchor does not move
}

TEST_CASE("sim start is rounded to the precision and kept positive", "[sim]") {
    CHECK(sim_walk(1, "A", dec("1.005"), 2).start() == dec("1.01"));
    CHECK(sim_walk(1, "A", dec("25412.4"), 0).start() == dec("25412"));
    CHECK(sim_walk(1, "A", dec("0"), 2).start() == dec("0.01"));
    CHECK(sim_walk(1, "A", dec("0.004"), 2).start() == dec("0.01"));
    CHECK(sim_walk(1, "A", dec("-5"), 0).start() == dec("1"));
    // Precision is clamped to 0..8.
    CHECK(sim_walk(1, "A", dec("1.23456789"), 12).start() == dec("1.23456789"));
    CHECK(sim_walk(1, "A", dec("2.5"), -1).start() == dec("3"));
}

TEST_CASE("sim is deterministic for a seed and symbol", "[sim]") {
    const auto a = run(42, "BTC", "71420.00", 2, 2000);
    const auto b = run(42, "BTC", "71420.00", 2, 2000);
    CHECK(a == b);
    CHECK(run(43, "BTC", "71420.00", 2, 2000) != a);
    CHECK(run(42, "BTC2", "71420.00", 2, 2000) != a);
    CHECK(run(42, "NVDA", "71420.00", 2, 2000) != a);
}

TEST_CASE("sim sequence is pinned (stable across platforms and library versions)", "[sim]") {
    // mt19937_64 output is fixed by the standard, the symbol hash is FNV-1a and
    // the step is integer maths: these values must never change by accident.
    CHECK(run(1, "BTC", "71420.00", 2, 5) == std::vector<std::string>{"71421.88", "71391.62", "71428.85", "71457.03", "71471.79"});
    CHECK(run(7, "USDVND", "25412", 0, 5) == std::vector<std::string>{"25429", "25464", "25467", "25456", "25429"});
}

TEST_CASE("sim values are positive, on the precision grid, and move every step", "[sim]") {
    struct instrument {
        const char* symbol;
        const char* start;
        int precision;
    };
    const instrument cases[] = {
        {"NVDA", "1284.30", 2}, {"TSM", "248.72", 2},  {"9988.HK", "142.80", 2}, {"BTC", "71420.00", 2},
        {"USDVND", "25412", 0}, {"PENNY", "0.01", 2},  {"TINY", "0.00000001", 8}, {"ONE", "1", 0},
        {"FX", "1.0842", 4},    {"BIG", "90000000000", 0},
    };
    for (const auto& c : cases) {
        INFO(c.symbol << " from " << c.start << " at " << c.precision << " dp");
        sim_walk w(2026, c.symbol, dec(c.start), c.precision);
        const std::int64_t tick = tick_of(c.precision);
        decimal prev = w.current();
        int unchanged = 0;
        bool all_positive = true;
        bool all_on_grid = true;
        for (int i = 0; i < 5000; ++i) {
            const decimal v = w.next();
            all_positive = all_positive && v.is_positive();
            all_on_grid = all_on_grid && v.units() % tick == 0;
            if (v == prev) ++unchanged;
            prev = v;
        }
        CHECK(all_positive);
        CHECK(all_on_grid);
        CHECK(unchanged == 0);
    }
}

TEST_CASE("sim steps are about 0.05 % and revert toward the start", "[sim]") {
    for (const char* symbol : {"BTC", "NVDA", "ETH"}) {
        INFO(symbol);
        const decimal start = dec("71420.00");
        sim_walk w(9, symbol, start, 2);
        double prev = w.current().to_double();
        double sum_sq = 0;
        double sum_price = 0;
        double max_dev = 0;
        const int n = 20'000;
        for (int i = 0; i < n; ++i) {
            const double v = w.next().to_double();
            const double rel = (v - prev) / prev;
            sum_sq += rel * rel;
            sum_price += v;
            max_dev = std::max(max_dev, std::abs(v / start.to_double() - 1));
            prev = v;
        }
        const double step_sd = std::sqrt(sum_sq / n);
        CHECK(step_sd > 0.0004);
        CHECK(step_sd < 0.0006);
        // Mean-reverting: it stays close to where it started, on average and at worst.
        CHECK(std::abs(sum_price / n / start.to_double() - 1) < 0.002);
        CHECK(max_dev < 0.02);
    }
}

TEST_CASE("sim small prices stay near the start too", "[sim]") {
    sim_walk w(3, "PENNY", dec("1.00"), 2);
    decimal lo = w.current();
    decimal hi = w.current();
    for (int i = 0; i < 10'000; ++i) {
        const decimal v = w.next();
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    CHECK(lo >= dec("0.90"));
    CHECK(hi <= dec("1.10"));
    CHECK(lo < hi);
}

TEST_CASE("sim_history is deterministic, ends at the given price and wanders", "[sim]") {
    const auto end = *tickerd::decimal::parse("1284.30");
    const auto a = tickerd::feeds::sim_history(42, "NVDA", end, 2, 1440);
    const auto b = tickerd::feeds::sim_history(42, "NVDA", end, 2, 1440);
    REQUIRE(a.size() == 1440);
    CHECK(a == b);
    CHECK(a.back() == end);
    CHECK(tickerd::feeds::sim_history(43, "NVDA", end, 2, 1440) != a);
    const auto [lo, hi] = std::minmax_element(a.begin(), a.end());
    // It moves (a sparkline worth drawing) but stays within a plausible day's range.
    CHECK((*hi - *lo) > *tickerd::decimal::parse("5"));
    CHECK(*lo > *tickerd::decimal::parse("1000"));
    CHECK(*hi < *tickerd::decimal::parse("1600"));
    for (const auto& p : a) REQUIRE(p.is_positive());
}

// The retry wait of a failing source: starts at the interval (or the cap),
// grows by half per failure, is capped, and never keeps a healed upstream
// waiting for long.
#include <catch2/catch.hpp>

#include <chrono>
#include <random>

#include "upstream/backoff.hpp"

using namespace tickerd;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// Every pick of `failures` over many seeds lies in [lo, hi], and both ends are approached.
void check_range(milliseconds first, unsigned failures, milliseconds max, milliseconds lo, milliseconds hi) {
    std::minstd_rand rng(7);
    milliseconds least = hi, most = lo;
    for (int i = 0; i < 2000; ++i) {
        const auto d = backoff_delay(first, failures, max, rng);
        REQUIRE(d >= lo);
        REQUIRE(d <= hi);
        least = std::min(least, d);
        most = std::max(most, d);
    }
    CHECK(least < lo + (hi - lo) / 10);  // jitter: spread over the whole range
    CHECK(most > hi - (hi - lo) / 10);
}

}  // namespace

TEST_CASE("backoff: the first retry waits about one interval", "[backoff]") {
    check_range(1s, 1, 60s, 750ms, 1s);
    check_range(5s, 0, 60s, 3750ms, 5s);  // 0 counts as the first failure
}

TEST_CASE("backoff: each further failure adds half", "[backoff]") {
    check_range(1s, 2, 60s, 1125ms, 1500ms);
    check_range(1s, 3, 60s, 1688ms, 2250ms);
}

TEST_CASE("backoff: capped at max_backoff, whatever the interval or failure count", "[backoff]") {
    check_range(1s, 1000, 60s, 45s, 60s);
    // openerapi: a 1 h interval does not make a failing poll wait an hour.
    check_range(1h, 1, 60s, 45s, 60s);
    check_range(1h, 7, 60s, 45s, 60s);
}

TEST_CASE("backoff: a 12 s outage at a 1 s interval is retried within 10 s of healing", "[backoff]") {
    for (unsigned seed = 1; seed <= 500; ++seed) {
        std::minstd_rand rng(seed);
        milliseconds t{0};  // the first failed poll; the upstream heals at 12 s
        unsigned failures = 0;
        while (t < 12s) t += backoff_delay(1s, ++failures, 60s, rng);
        INFO("seed " << seed << ": retried " << t.count() << " ms after the outage began");
        REQUIRE(t - 12s <= 10s);
    }
}

// The per-provider request budget at fixed instants: no clock, no sleeping.
#include <catch2/catch.hpp>

#include <vector>

#include "upstream/request_pacer.hpp"

using tickerd::request_pacer;
using namespace std::chrono_literals;

namespace {
const request_pacer::clock::time_point t0{std::chrono::hours(1000)};
}

TEST_CASE("pacer: the first request goes at once", "[pacer]") {
    request_pacer p(1s);
    CHECK(p.reserve(t0) == t0);
}

TEST_CASE("pacer: requests asked for together are spread min_spacing apart", "[pacer]") {
    request_pacer p(200ms);
    std::vector<request_pacer::clock::time_point> slots;
    for (int i = 0; i < 5; ++i) slots.push_back(p.reserve(t0));
    for (int i = 0; i < 5; ++i) CHECK(slots[static_cast<std::size_t>(i)] == t0 + i * 200ms);
}

TEST_CASE("pacer: a request after a quiet spell is not delayed", "[pacer]") {
    request_pacer p(1s);
    CHECK(p.reserve(t0) == t0);
    CHECK(p.reserve(t0 + 5s) == t0 + 5s);
    // 300 ms after the last slot: waits for the remaining 700 ms.
    CHECK(p.reserve(t0 + 5300ms) == t0 + 6s);
}

TEST_CASE("pacer: slots never move backwards when callers pass older instants", "[pacer]") {
    request_pacer p(100ms);
    CHECK(p.reserve(t0 + 1s) == t0 + 1s);
    CHECK(p.reserve(t0) == t0 + 1100ms);
    CHECK(p.reserve(t0 + 500ms) == t0 + 1200ms);
}

TEST_CASE("pacer: zero spacing never delays", "[pacer]") {
    request_pacer p(0ms);
    CHECK(p.reserve(t0) == t0);
    CHECK(p.reserve(t0) == t0);
    CHECK(p.reserve(t0 + 1ms) == t0 + 1ms);
}

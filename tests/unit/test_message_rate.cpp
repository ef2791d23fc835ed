// limits.messages_per_second: a token bucket (burst of two seconds' worth) over a given clock.
#include <catch2/catch.hpp>

#include <chrono>

#include "serve/message_rate.hpp"

using namespace tickerd;
using namespace std::chrono_literals;

namespace {
using verdict = message_rate::verdict;
const message_rate::clock::time_point start{};
}  // namespace

TEST_CASE("client messages over the rate are warned once, then refused with a close", "[rate]") {
    message_rate r(3, start);
    for (int i = 0; i < 6; ++i) CHECK(r.on_message(start) == verdict::accept);  // a 2 s burst
    CHECK(r.on_message(start) == verdict::warn);
    CHECK(r.on_message(start + 1ms) == verdict::close);
}

TEST_CASE("a client that slows down after the warning is fine again", "[rate]") {
    message_rate calm(2, start);
    for (int i = 0; i < 4; ++i) CHECK(calm.on_message(start) == verdict::accept);
    CHECK(calm.on_message(start) == verdict::warn);
    CHECK(calm.on_message(start + 600ms) == verdict::accept);
    CHECK(calm.on_message(start + 1200ms) == verdict::accept);
    // An accepted message forgets the warning: the next excess is warned again, not closed.
    CHECK(calm.on_message(start + 1200ms) == verdict::warn);
}

TEST_CASE("tokens come back at the rate, in fractions", "[rate]") {
    message_rate r(2, start);
    for (int i = 0; i < 4; ++i) REQUIRE(r.on_message(start) == verdict::accept);
    CHECK(r.on_message(start + 250ms) == verdict::warn);    // half a token
    CHECK(r.on_message(start + 500ms) == verdict::accept);  // and another half: one
    CHECK(r.on_message(start + 999ms) == verdict::warn);    // 0.998 of a token
    CHECK(r.on_message(start + 1000ms) == verdict::accept);
}

TEST_CASE("a quiet client saves up two seconds' worth, no more", "[rate]") {
    message_rate r(5, start);
    const auto later = start + 1h;
    for (int i = 0; i < 10; ++i) CHECK(r.on_message(later) == verdict::accept);
    CHECK(r.on_message(later) == verdict::warn);
    CHECK(r.on_message(later) == verdict::close);
}

TEST_CASE("a rate of 0 is unlimited", "[rate]") {
    message_rate off(0, start);
    for (int i = 0; i < 100; ++i) CHECK(off.on_message(start) == verdict::accept);
}

// The slow-client policy, fed with what a session wrote and what the kernel
// says (no socket): the allowance, the measured read rate, and when a client
// is too slow.
#include <catch2/catch.hpp>

#include <chrono>

#include "serve/lag_gate.hpp"

using tickerd::lag_gate;
using tickerd::send_queue_state;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t byte_limit = 32 * 1024;

lag_gate make_gate() { return lag_gate({2s, 10s, byte_limit}); }

send_queue_state kernel(std::size_t unacked, std::size_t window) { return {unacked, window, true}; }

}  // namespace

TEST_CASE("lag_gate: a new client gets a few KiB, then the kernel is asked", "[lag_gate]") {
    auto gate = make_gate();
    const auto t0 = lag_gate::clock::now();
    CHECK_FALSE(gate.must_look());
    gate.wrote(1000, t0);
    CHECK_FALSE(gate.must_look());
    gate.wrote(1500, t0);  // 2,500 bytes: past the first allowance (2 KiB)
    CHECK(gate.must_look());
    // All of it still in the kernel: hold.
    CHECK(gate.look(kernel(2500, 60000), t0 + 10ms) == lag_gate::verdict::hold);
    // Taken: write again, and the allowance doubles.
    CHECK(gate.look(kernel(0, 60000), t0 + 300ms) == lag_gate::verdict::write);
    CHECK(gate.allowance() == 4096);
    CHECK_FALSE(gate.must_look());
}

TEST_CASE("lag_gate: a client that takes everything grows to the byte limit, not beyond", "[lag_gate]") {
    auto gate = make_gate();
    auto t = lag_gate::clock::now();
    for (int i = 0; i < 20; ++i) {
        gate.wrote(gate.allowance(), t);
        REQUIRE(gate.must_look());
        CHECK(gate.look(kernel(0, 60000), t) == lag_gate::verdict::write);
        t += 250ms;
    }
    CHECK(gate.allowance() == byte_limit);
    CHECK(gate.rate() == 0);  // never behind: no rate measured, none needed
}

TEST_CASE("lag_gate: a steady slow reader is measured and kept within max_lag of data", "[lag_gate]") {
    auto gate = make_gate();
    auto t = lag_gate::clock::now();
    // The client takes 1,000 bytes a second; 4,000 are always waiting for it in the kernel.
    std::size_t acked = 0;
    gate.wrote(4000, t);
    for (int i = 0; i < 100; ++i) {  // 10 s, a look every 100 ms
        t += 100ms;
        acked += 100;
        gate.wrote(100, t);  // what it took is replaced
        gate.look(kernel(4000, 0), t);
    }
    INFO("rate " << gate.rate() << " B/s, allowance " << gate.allowance());
    CHECK(gate.rate() == Approx(1000).epsilon(0.1));
    // At 1,000 B/s, 2 s of lag is about 2,000 bytes: 4,000 waiting is too many.
    CHECK(gate.allowance() == Approx(2000).epsilon(0.1));
    CHECK(gate.look(kernel(4000, 0), t) == lag_gate::verdict::hold);
    // Everything acknowledged and its window wide open again: it has read it all.
    CHECK(gate.look(kernel(0, 60000), t + 2ms) == lag_gate::verdict::write);
}

TEST_CASE("lag_gate: a client that takes nothing is too slow after slow_timeout", "[lag_gate]") {
    auto gate = make_gate();
    const auto t0 = lag_gate::clock::now();
    gate.wrote(3000, t0);
    auto v = lag_gate::verdict::write;
    auto t = t0;
    while (t < t0 + 9900ms) {
        t += 100ms;
        v = gate.look(kernel(3000, 0), t);
        REQUIRE(v != lag_gate::verdict::too_slow);
    }
    v = gate.look(kernel(3000, 0), t0 + 10s);
    CHECK(v == lag_gate::verdict::too_slow);
    CHECK_THAT(gate.why(), Catch::Contains("3000 bytes unacknowledged for 10000 ms"));
}

TEST_CASE("lag_gate: a client far behind its rate for slow_timeout is too slow, a pause shorter is not", "[lag_gate]") {
    auto gate = make_gate();
    auto t = lag_gate::clock::now();
    std::size_t acked = 0;
    // Reads 600 B/s while 3,000 bytes wait for it: 5 s behind (each byte
    // waits 5 s, less than slow_timeout, but more than max_lag).
    gate.wrote(3000, t);
    const auto t0 = t;
    bool too_slow = false;
    while (!too_slow && t < t0 + 20s) {
        t += 100ms;
        acked += 60;
        gate.wrote(60, t);
        too_slow = gate.look(kernel(3000, 0), t) == lag_gate::verdict::too_slow;
    }
    CHECK(too_slow);
    CHECK(t - t0 >= 10s);
    CHECK_THAT(gate.why(), Catch::Contains("bytes behind at"));

    // A client that pauses for 5 s, then takes everything, is not.
    auto paused = make_gate();
    t = lag_gate::clock::now();
    paused.wrote(3000, t);
    for (int i = 0; i < 50; ++i) {
        t += 100ms;
        REQUIRE(paused.look(kernel(3000, 0), t) != lag_gate::verdict::too_slow);
    }
    CHECK(paused.look(kernel(0, 60000), t + 100ms) == lag_gate::verdict::write);
}

TEST_CASE("lag_gate: a slight shrink of the client's window is not taken as unread data", "[lag_gate]") {
    auto gate = make_gate();
    const auto t0 = lag_gate::clock::now();
    gate.wrote(2500, t0);
    // A receiver need not announce what a small read frees: 4 KiB off a 64 KiB window stays so.
    CHECK(gate.look(kernel(0, 65536), t0) == lag_gate::verdict::write);
    gate.wrote(gate.allowance() + 1, t0 + 300ms);
    CHECK(gate.look(kernel(0, 61440), t0 + 600ms) == lag_gate::verdict::write);
    // Down to a quarter: the client holds most of its buffer unread; nothing more for now.
    gate.wrote(gate.allowance() + 1, t0 + 700ms);
    CHECK(gate.look(kernel(0, 16384), t0 + 800ms) == lag_gate::verdict::hold);
}

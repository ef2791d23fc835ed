#pragma once
// How long a failing source waits before its next try: exponential back-off
// with jitter, shared by the poll loops and the Coinbase feed.
#include <chrono>
#include <random>

namespace tickerd {

// The wait after the `failures`-th failure in a row (0 counts as 1): `first`
// (at most `max`), grown by half for each further failure, capped at `max`,
// then a uniform pick in [three quarters of that, all of it] so that sources do
// not retry together. Growing by half, not doubling, keeps each wait about as
// long as the time already spent failing, or less: an upstream that comes
// back is tried again within about two thirds of the outage (plus `first`),
// and never later than `max`.
std::chrono::milliseconds backoff_delay(std::chrono::milliseconds first, unsigned failures,
                                        std::chrono::milliseconds max, std::minstd_rand& rng);

}  // namespace tickerd

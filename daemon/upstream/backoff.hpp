#pragma once
// How long a failing source waits before its next try: exponential back-off
// with jitter, shared by the poll loops and the Coinbase feed.
#include <chrono>
#include <random>

namespace tickerd {

// `first` doubled `doublings` times (at most 16), capped at `max`, then a
// uniform pick in [half of that, all of it] so that sources do not retry together.
std::chrono::milliseconds backoff_delay(std::chrono::milliseconds first, unsigned doublings,
                                        std::chrono::milliseconds max, std::minstd_rand& rng);

}  // namespace tickerd

#include "upstream/backoff.hpp"

#include <algorithm>

namespace tickerd {

std::chrono::milliseconds backoff_delay(std::chrono::milliseconds first, unsigned doublings,
                                        std::chrono::milliseconds max, std::minstd_rand& rng) {
    const auto shift = std::min(doublings, 16u);
    const long long base = std::min<long long>(max.count(), first.count() * (1LL << shift));
    std::uniform_int_distribution<long long> d(base / 2, std::max<long long>(base / 2, base));
    return std::chrono::milliseconds(d(rng));
}

}  // namespace tickerd

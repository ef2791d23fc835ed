#include "upstream/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace tickerd {

std::chrono::milliseconds backoff_delay(std::chrono::milliseconds first, unsigned failures,
                                        std::chrono::milliseconds max, std::minstd_rand& rng) {
    const long long cap = std::max<long long>(max.count(), 1);
    const long long start = std::clamp<long long>(first.count(), 1, cap);
    // 1.5^60 is far past any cap: stop growing there (no overflow).
    const unsigned steps = std::min(failures > 0 ? failures - 1 : 0u, 60u);
    const double grown = static_cast<double>(start) * std::pow(1.5, static_cast<double>(steps));
    const long long base = grown >= static_cast<double>(cap) ? cap : static_cast<long long>(grown);
    std::uniform_int_distribution<long long> d(base - base / 4, base);
    return std::chrono::milliseconds(d(rng));
}

}  // namespace tickerd

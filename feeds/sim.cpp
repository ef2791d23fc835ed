#include "tickerd/feeds/sim.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace tickerd::feeds {
namespace {

__extension__ typedef __int128 i128;  // GCC/Clang extension; __extension__ keeps -Wpedantic quiet

// FNV-1a, 64 bit: stable across compilers and standard libraries (std::hash is not).
constexpr std::uint64_t fnv1a64(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

// SplitMix64 finaliser, to spread seed bits before seeding the Mersenne Twister.
constexpr std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

constexpr std::int64_t tick_units(int precision) {
    std::int64_t t = 1;
    for (int i = precision; i < decimal::scale; ++i) t *= 10;
    return t;
}

// num / den rounded half away from zero; den > 0.
i128 div_round(i128 num, i128 den) {
    const bool neg = num < 0;
    const i128 a = neg ? -num : num;
    i128 q = a / den;
    if ((a % den) * 2 >= den) ++q;
    return neg ? -q : q;
}

// Relative step size: one standard deviation is 1/2000 = 0.05 % of the price.
constexpr std::int64_t inverse_sigma = 2000;
// Pull toward the start price: 1/50 of the distance each step, so the walk stays
// within a fraction of a percent of where it started.
constexpr std::int64_t pull_divisor = 50;

}  // namespace

sim_walk::sim_walk(std::uint64_t seed, std::string_view symbol, decimal start, int precision)
    : rng_(mix64(seed ^ mix64(fnv1a64(symbol)))), precision_(std::clamp(precision, 0, decimal::scale)) {
    const std::int64_t tick = tick_units(precision_);
    decimal s = start.rounded(precision_);
    if (s.units() < tick) s = decimal::from_units(tick);  // the smallest positive price
    start_ = s;
    current_ = s;
}

decimal sim_walk::next() {
    // All arithmetic is in integer ticks of 10^-precision, so the sequence is the
    // same on every platform (mt19937_64's output is fixed by the standard).
    const std::int64_t tick = tick_units(precision_);
    const std::int64_t max_ticks = std::numeric_limits<std::int64_t>::max() / tick;
    const std::int64_t cur = current_.units() / tick;
    const std::int64_t anchor = start_.units() / tick;

    // Irwin-Hall: the sum of 12 uniforms on [0,1) minus 6 is close to a standard
    // normal. Here in fixed point, scaled by 2^32.
    constexpr i128 one = static_cast<i128>(1) << 32;
    i128 z = 0;
    for (int k = 0; k < 12; ++k) z += static_cast<i128>(rng_() >> 32);
    z -= 6 * one;

    // move = cur * z / inverse_sigma + (anchor - cur) / pull_divisor, in ticks.
    const i128 den = one * inverse_sigma;
    const i128 num = static_cast<i128>(cur) * z + static_cast<i128>(anchor - cur) * (den / pull_divisor);
    i128 move = div_round(num, den);
    // Coarse ticks or a small price would often round the move to nothing; a live
    // feed should visibly tick, so move at least one tick in the drawn direction.
    if (move == 0) move = num >= 0 ? 1 : -1;

    i128 next = static_cast<i128>(cur) + move;
    next = std::clamp<i128>(next, 1, max_ticks);
    if (next == cur) next = cur < max_ticks ? cur + 1 : cur - 1;
    current_ = decimal::from_units(static_cast<std::int64_t>(next) * tick);
    return current_;
}

}  // namespace tickerd::feeds

namespace tickerd::feeds {

std::vector<decimal> sim_history(std::uint64_t seed, std::string_view symbol, decimal end, int precision,
                                 std::size_t points) {
    std::vector<decimal> out;
    if (points == 0 || !end.is_positive()) return out;
    std::mt19937_64 rng(mix64(seed ^ mix64(fnv1a64(symbol) + 1)));
    // Walk in parts per million of `end`, then subtract the straight line to the
    // walk's end point so that the series finishes exactly at `end`.
    std::vector<std::int64_t> walk(points, 0);
    std::int64_t w = 0;
    for (std::size_t k = 0; k < points; ++k) {
        std::int64_t z = 0;
        for (int i = 0; i < 12; ++i) z += static_cast<std::int64_t>(rng() >> 44);  // 20-bit uniforms
        z -= 6 * (std::int64_t{1} << 20);
        w += z * 1500 / (std::int64_t{1} << 20);  // sd 1500 ppm = 0.15 %
        walk[k] = w;
    }
    out.reserve(points);
    const auto n = static_cast<std::int64_t>(points);
    for (std::int64_t k = 0; k < n; ++k) {
        const std::int64_t bridge = walk[static_cast<std::size_t>(k)] - walk.back() * (k + 1) / n;
        const i128 units = static_cast<i128>(end.units()) * (1'000'000 + bridge) / 1'000'000;
        out.push_back(decimal::from_units(static_cast<std::int64_t>(std::max<i128>(units, 1))).rounded(precision));
    }
    return out;
}

}  // namespace tickerd::feeds

#pragma once
// The built-in offline provider: a seeded, mean-reverting random walk around a
// configured start price. Deterministic for a given seed and symbol.
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

#include "tickerd/decimal.hpp"

namespace tickerd::feeds {

class sim_walk {
public:
    sim_walk(std::uint64_t seed, std::string_view symbol, decimal start, int precision);
    decimal start() const { return start_; }
    decimal current() const { return current_; }
    // One step; the result is positive and rounded to the symbol's precision.
    decimal next();
    // Continues from `current` (a price published before a reload); start() stays.
    void resume(decimal current) { current_ = current; }

private:
    std::mt19937_64 rng_;
    decimal start_;
    decimal current_;
    int precision_;
};

// A deterministic past for the demo's sparklines: `points` prices that wander
// (a random-walk bridge, about 0.15 % a step) and come back to `end`, oldest first.
std::vector<decimal> sim_history(std::uint64_t seed, std::string_view symbol, decimal end, int precision,
                                 std::size_t points);

}  // namespace tickerd::feeds

#pragma once
// The normalised quote: what the store keeps and what clients receive.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "tickerd/decimal.hpp"

namespace tickerd {

using clock_type = std::chrono::system_clock;
using time_point = std::chrono::time_point<clock_type, std::chrono::milliseconds>;

enum class asset_class { equity, crypto, fx };
enum class market_state { open, pre, post, brk, closed, always, unknown };
enum class direction { up, down, flat };

std::string_view to_string(asset_class c);
std::string_view to_string(market_state m);  // brk -> "break"
std::string_view to_string(direction d);

struct quote {
    std::string symbol;  // the configured id clients use
    decimal price;
    decimal ref_price;
    decimal change;      // price - ref_price, exact
    decimal change_pct;  // change / ref_price * 100, exact to 8 decimals
    direction dir = direction::flat;
    market_state market = market_state::unknown;
    bool stale = false;
    std::string source;  // provider name the price came from
    time_point as_of{};        // the upstream's own time
    time_point received_at{};  // when tickerd first received this price
    std::uint64_t seq = 0;     // store sequence at which this quote last changed
};

// True when two quotes would look different to a client (seq and received_at aside).
bool same_content(const quote& a, const quote& b);

// "2026-05-28T13:59:58.120Z" (milliseconds always shown).
std::string format_utc(time_point t);

}  // namespace tickerd

#include "tickerd/quote.hpp"

#include <ctime>

#include <fmt/format.h>

namespace tickerd {

std::string_view to_string(asset_class c) {
    switch (c) {
        case asset_class::equity: return "equity";
        case asset_class::crypto: return "crypto";
        case asset_class::fx: return "fx";
    }
    return "equity";
}

std::string_view to_string(market_state m) {
    switch (m) {
        case market_state::open: return "open";
        case market_state::pre: return "pre";
        case market_state::post: return "post";
        case market_state::brk: return "break";
        case market_state::closed: return "closed";
        case market_state::always: return "always";
        case market_state::unknown: return "unknown";
    }
    return "unknown";
}

std::string_view to_string(direction d) {
    switch (d) {
        case direction::up: return "up";
        case direction::down: return "down";
        case direction::flat: return "flat";
    }
    return "flat";
}

bool same_content(const quote& a, const quote& b) {
    return a.symbol == b.symbol && a.price == b.price && a.ref_price == b.ref_price && a.market == b.market &&
           a.stale == b.stale && a.source == b.source;
}

std::string format_utc(time_point t) {
    const auto ms = t.time_since_epoch().count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    long frac = static_cast<long>(ms % 1000);
    if (frac < 0) {
        frac += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                       tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

}  // namespace tickerd

#pragma once
// The previous-UTC-day reference of a source that gives none (open.er-api
// publishes one rate a day and no previous rate): the last rate seen on a UTC
// day before the day of the rate being shown. Pure: fed (rate, as_of), asked
// for the reference at a time; the daemon keeps one per source and saves it.
#include <optional>

#include "tickerd/decimal.hpp"
#include "tickerd/quote.hpp"

namespace tickerd {

// Days since 1970-01-01 (UTC) of a time; floor division, so instants before
// the epoch fall on the right day too.
long long utc_day(time_point t);

class day_reference {
public:
    struct rate_at {
        decimal rate;
        time_point as_of;
        friend bool operator==(const rate_at&, const rate_at&) = default;
    };

    // A rate with its upstream time. A later time on the same UTC day replaces
    // the day's rate; a new day moves the held day's rate to `previous`. Rates
    // older than the newest held are ignored (the upstream went back).
    void observe(decimal rate, time_point as_of);

    // The last rate seen on a UTC day before the day of `t` (the day of the rate
    // shown), nullopt while none is known.
    std::optional<decimal> reference_at(time_point t) const;

    // What is saved across restarts, and restoring it.
    std::optional<rate_at> latest() const { return latest_; }
    std::optional<rate_at> previous() const { return previous_; }
    static day_reference restore(std::optional<rate_at> latest, std::optional<rate_at> previous);

    friend bool operator==(const day_reference&, const day_reference&) = default;

private:
    std::optional<rate_at> latest_;    // the newest rate seen
    std::optional<rate_at> previous_;  // the last rate of the newest day before latest_'s day
};

}  // namespace tickerd

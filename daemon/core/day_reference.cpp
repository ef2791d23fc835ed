#include "tickerd/day_reference.hpp"

namespace tickerd {

long long utc_day(time_point t) {
    constexpr long long ms_per_day = 86'400'000;
    const long long ms = t.time_since_epoch().count();
    return ms >= 0 ? ms / ms_per_day : -((-ms + ms_per_day - 1) / ms_per_day);
}

void day_reference::observe(decimal rate, time_point as_of) {
    if (!latest_) {
        latest_ = rate_at{rate, as_of};
        return;
    }
    if (as_of < latest_->as_of) return;
    if (utc_day(as_of) > utc_day(latest_->as_of)) previous_ = latest_;
    latest_ = rate_at{rate, as_of};
}

std::optional<decimal> day_reference::reference_at(time_point t) const {
    const long long day = utc_day(t);
    if (latest_ && utc_day(latest_->as_of) < day) return latest_->rate;
    if (previous_ && utc_day(previous_->as_of) < day) return previous_->rate;
    return std::nullopt;
}

day_reference day_reference::restore(std::optional<rate_at> latest, std::optional<rate_at> previous) {
    day_reference r;
    r.latest_ = latest;
    // Only a rate of an earlier day than the latest is a previous one.
    if (latest && previous && utc_day(previous->as_of) < utc_day(latest->as_of)) r.previous_ = previous;
    return r;
}

}  // namespace tickerd

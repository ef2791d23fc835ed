#pragma once
// Recent prices per symbol for sparklines: one point per resolution bucket (the
// last price seen in it), kept for the retention period. Thread-safe.
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "tickerd/config.hpp"
#include "tickerd/decimal.hpp"
#include "tickerd/quote.hpp"

namespace tickerd {

struct history_point {
    time_point t;  // start of the bucket
    decimal price;
};

class price_history {
public:
    price_history(std::size_t symbols, history_config cfg);
    void record(std::size_t index, time_point t, decimal price);
    // Points of the last `window` before `now`, oldest first.
    std::vector<history_point> points(std::size_t index, std::chrono::milliseconds window, time_point now) const;
    const history_config& config() const { return cfg_; }
    // A reload: room for `symbols` slots (never shrinks); the series of
    // `removed` slots are dropped. Kept symbols keep theirs.
    void reconfigure(std::size_t symbols, const std::vector<std::size_t>& removed);
    bool empty(std::size_t index) const;

    // Every point held for a symbol, oldest first (for the state file).
    std::vector<history_point> export_series(std::size_t index) const;
    // Points saved by an earlier run, merged in as if recorded: put into this
    // config's buckets, those older than the retention before `now` dropped.
    void import_series(std::size_t index, const std::vector<history_point>& points, time_point now);

private:
    void record_locked(std::size_t index, time_point t, decimal price);

    history_config cfg_;
    mutable std::mutex mu_;
    std::vector<std::deque<history_point>> series_;
};

}  // namespace tickerd

#pragma once
// The one way a source's normalised quote reaches the store: failover decides
// whether this source is the one published, the bad-tick filter holds back an
// unconfirmed jump, and switches and held ticks are logged and counted.
// Used by every source (poll loops, push feeds).
#include <atomic>
#include <cstddef>

#include "daemon/bad_tick_filter.hpp"
#include "daemon/metrics.hpp"
#include "daemon/rate_limited_log.hpp"
#include "daemon/source_failover.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

class quote_gate {
public:
    quote_gate(const config& cfg, snapshot_store& store, rate_limited_log& log, metrics& stats)
        : store_(store), failover_(cfg.symbols), bad_ticks_(cfg), log_(log), stats_(stats) {}

    // A good, normalised quote from source `rank` of symbol `index`.
    void accepted(std::size_t index, std::size_t rank, quote q, time_point now);
    // A failed poll, or a reply rejected for this symbol.
    void failed(std::size_t index, std::size_t rank);

    // A reload: failover and bad-tick state start afresh for the layout's slots
    // (the index used by accepted/failed); removed slots get no sources.
    void reconfigure(const symbol_layout& layout, const bad_tick_config& limits);

    std::uint64_t ticks_held() const { return ticks_held_.load(std::memory_order_relaxed); }
    // The position in its `sources` of the source symbol `index` publishes now.
    std::size_t active_source(std::size_t index) const { return failover_.active(index); }

private:
    void report_switch(std::size_t index, const std::optional<source_switch>& change);

    snapshot_store& store_;
    source_failover failover_;
    bad_tick_filter bad_ticks_;
    rate_limited_log& log_;
    metrics& stats_;
    std::atomic<std::uint64_t> ticks_held_{0};
};

}  // namespace tickerd

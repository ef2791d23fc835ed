#pragma once
// The one way a source's normalised quote reaches the store: failover decides
// whether this source is the one published, the bad-tick filter holds back an
// unconfirmed jump. It returns what it decided; the caller (upstream's ingest
// step) logs and counts. Thread-safe.
#include <atomic>
#include <cstddef>
#include <optional>

#include "tickerd/bad_tick_filter.hpp"
#include "tickerd/snapshot_store.hpp"
#include "tickerd/source_failover.hpp"

namespace tickerd {

class quote_gate {
public:
    quote_gate(const config& cfg, snapshot_store& store) : store_(store), failover_(cfg.symbols), bad_ticks_(cfg) {}

    struct verdict {
        std::optional<source_switch> switched;  // the symbol's active source changed
        bool published = false;                 // the quote reached the store
        bad_tick_filter::verdict tick = bad_tick_filter::verdict::pass;
        std::optional<decimal> held_from;       // tick == held: the published price it jumped from
    };
    // A good, normalised quote from source `rank` of symbol `index`.
    verdict accepted(std::size_t index, std::size_t rank, quote q, time_point now);
    // A failed poll, or a reply rejected for this symbol.
    std::optional<source_switch> failed(std::size_t index, std::size_t rank) {
        return failover_.on_failure(index, rank);
    }

    // A reload: failover and bad-tick state start afresh for the layout's slots
    // (the index used by accepted/failed); removed slots get no sources.
    void reconfigure(const symbol_layout& layout, const bad_tick_config& limits);

    std::uint64_t ticks_held() const { return ticks_held_.load(std::memory_order_relaxed); }
    // The position in its `sources` of the source symbol `index` publishes now.
    std::size_t active_source(std::size_t index) const { return failover_.active(index); }

private:
    snapshot_store& store_;
    source_failover failover_;
    bad_tick_filter bad_ticks_;
    std::atomic<std::uint64_t> ticks_held_{0};
};

}  // namespace tickerd

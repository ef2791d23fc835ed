#pragma once
// The one way into the store for every source (poll loops, the Coinbase feed,
// the simulator): normalise a raw quote for each symbol it feeds, pass it
// through the quote gate (failover, bad-tick filter) to the store, and log and
// count what the gate decided. Thread-safe.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ops/metrics.hpp"
#include "ops/rate_limited_log.hpp"
#include "tickerd/quote_gate.hpp"
#include "tickerd/raw_quote.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

// A symbol fed by a source, and the position of this source in its `sources`.
struct fed_symbol {
    std::size_t index;
    std::size_t rank;
};

// Who a raw quote comes from.
struct ingest_source {
    std::string provider;          // published as the quote's `source`
    std::string label;             // "yahoo:NVDA", for logs
    // What the raw quote's reference means; nullopt: what each symbol wants (the
    // simulator makes its reference up).
    std::optional<reference_kind> reference;
    provider_metrics* stats;       // null: not counted (the simulator)
};

class ingest {
public:
    ingest(snapshot_store& store, quote_gate& gate, rate_limited_log& log, metrics& stats)
        : store_(store), gate_(gate), log_(log), stats_(stats) {}

    // Normalise → gate → store for one symbol. False when the quote was rejected
    // (logged, counted, and a failure of this source for failover).
    bool quote(const ingest_source& from, fed_symbol to, const raw_quote& raw, time_point now);
    // A failed poll or connection of this source for symbol `to`.
    void failed(fed_symbol to);

    snapshot_store& store() { return store_; }

private:
    void report_switch(std::size_t index, const std::optional<source_switch>& change);

    snapshot_store& store_;
    quote_gate& gate_;
    rate_limited_log& log_;
    metrics& stats_;
};

}  // namespace tickerd

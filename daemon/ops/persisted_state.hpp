#pragma once
// The state file wired to the model: at start, what an earlier run saved is put
// back (quotes stale until a fresh poll, history, day references; only for
// symbols and sources still configured); while running, the saver thread writes
// it whenever something changed; at shutdown, once more. Without a usable state
// directory the daemon runs without saved state (warned).
#include <optional>

#include "ops/state_file.hpp"
#include "ops/state_saver.hpp"
#include "tickerd/config.hpp"
#include "tickerd/day_reference_book.hpp"
#include "tickerd/price_history.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

class persisted_state {
public:
    // Loads and restores the saved state (blocking file I/O: before the io threads run).
    persisted_state(const config& cfg, snapshot_store& store, price_history& history, day_reference_book& day_refs);
    // Starts the saver thread.
    void start();
    // Stops it and saves once more (after the io threads have stopped).
    void stop_and_save();

private:
    snapshot_store& store_;
    price_history& history_;
    day_reference_book& day_refs_;
    std::optional<state_file> file_;
    std::optional<state_saver> saver_;
};

}  // namespace tickerd

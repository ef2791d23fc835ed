#pragma once
// Which of a symbol's sources is published. Every source is polled; the most
// preferred healthy one is active. After `fail_after` consecutive failures of
// the active source the next healthy one takes over; a more preferred source
// takes over again after `recover_after` consecutive successes. Thread-safe.
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

#include "tickerd/config.hpp"

namespace tickerd {

struct source_switch {
    std::size_t from;
    std::size_t to;
};

class source_failover {
public:
    explicit source_failover(const std::vector<symbol_config>& symbols);

    struct verdict {
        bool publish = false;                 // this source's quote should reach the store
        std::optional<source_switch> change;  // the active source changed
    };
    // A good quote from source `rank` (its position in `sources`) of symbol `index`.
    verdict on_success(std::size_t index, std::size_t rank);
    // A failed poll or a rejected quote from that source.
    std::optional<source_switch> on_failure(std::size_t index, std::size_t rank);
    std::size_t active(std::size_t index) const;
    // A reload: every symbol starts afresh on its most preferred source.
    void reset(const std::vector<symbol_config>& symbols);

private:
    struct source_health {
        unsigned failures = 0;   // consecutive
        unsigned successes = 0;  // consecutive
    };
    struct symbol_state {
        std::size_t active = 0;
        unsigned fail_after = 3;
        unsigned recover_after = 3;
        std::vector<source_health> sources;
    };
    bool healthy(const symbol_state& s, std::size_t rank) const;

    mutable std::mutex mu_;
    std::vector<symbol_state> symbols_;
};

}  // namespace tickerd

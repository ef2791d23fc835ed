#include "tickerd/source_failover.hpp"

namespace tickerd {

source_failover::source_failover(const std::vector<symbol_config>& symbols) {
    symbols_.reserve(symbols.size());
    for (const auto& sym : symbols) {
        symbol_state s;
        s.fail_after = sym.failover_after;
        s.recover_after = sym.failback_after;
        s.sources.resize(sym.sources.size());
        symbols_.push_back(std::move(s));
    }
}

void source_failover::reset(const std::vector<symbol_config>& symbols) {
    source_failover fresh(symbols);
    const std::scoped_lock lk(mu_);
    symbols_ = std::move(fresh.symbols_);
}

bool source_failover::healthy(const symbol_state& s, std::size_t rank) const {
    const auto& h = s.sources[rank];
    return h.successes > 0 && h.failures == 0;
}

source_failover::verdict source_failover::on_success(std::size_t index, std::size_t rank) {
    const std::scoped_lock lk(mu_);
    verdict v;
    if (index >= symbols_.size() || rank >= symbols_[index].sources.size()) return v;
    symbol_state& s = symbols_[index];
    auto& h = s.sources[rank];
    h.failures = 0;
    ++h.successes;
    if (rank == s.active) {
        v.publish = true;
    } else if (rank < s.active && h.successes >= s.recover_after) {
        // A preferred source has been healthy long enough: take over again.
        v.change = source_switch{s.active, rank};
        s.active = rank;
        v.publish = true;
    } else if (rank > s.active && s.sources[s.active].failures >= s.fail_after) {
        // The active source is down: the first healthy source after it takes over.
        bool first_healthy = true;
        for (std::size_t r = s.active + 1; r < rank; ++r) {
            if (healthy(s, r)) first_healthy = false;
        }
        if (first_healthy) {
            v.change = source_switch{s.active, rank};
            s.active = rank;
            v.publish = true;
        }
    }
    return v;
}

std::optional<source_switch> source_failover::on_failure(std::size_t index, std::size_t rank) {
    const std::scoped_lock lk(mu_);
    if (index >= symbols_.size() || rank >= symbols_[index].sources.size()) return std::nullopt;
    symbol_state& s = symbols_[index];
    auto& h = s.sources[rank];
    h.successes = 0;
    ++h.failures;
    if (rank != s.active || h.failures < s.fail_after) return std::nullopt;
    // Hand over to the most preferred healthy source, if any; otherwise wait for one.
    for (std::size_t r = 0; r < s.sources.size(); ++r) {
        if (r != rank && healthy(s, r)) {
            const source_switch sw{rank, r};
            s.active = r;
            return sw;
        }
    }
    return std::nullopt;
}

std::size_t source_failover::active(std::size_t index) const {
    const std::scoped_lock lk(mu_);
    return index < symbols_.size() ? symbols_[index].active : 0;
}

}  // namespace tickerd

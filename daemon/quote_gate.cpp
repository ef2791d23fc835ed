#include "daemon/quote_gate.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tickerd {

void quote_gate::accepted(std::size_t index, std::size_t rank, quote q, time_point now) {
    const auto verdict = failover_.on_success(index, rank);
    report_switch(index, verdict.change);
    if (!verdict.publish) return;
    const auto current = store_.get(index);
    std::optional<decimal> last;
    if (current) last = current->q.price;
    switch (bad_ticks_.check(index, q.price, last)) {
        case bad_tick_filter::verdict::held:
            ticks_held_.fetch_add(1, std::memory_order_relaxed);
            stats_.bad_tick_held();
            log_.failure(q.symbol + " bad tick",
                         fmt::format("{} from {} moves {}% from {}: held until confirmed", q.price.to_string(),
                                     q.source, percent_change(q.price, *last).to_string(2), last->to_string()));
            // The source is alive: the held price does not make the quote stale. A quote
            // that is stale already (restored from the state file, or after an outage)
            // stays so: an old price must not look fresh because of an unconfirmed new one.
            if (!current->q.stale) store_.apply(current->q, now);
            return;
        case bad_tick_filter::verdict::confirmed:
            spdlog::info("{}: move to {} confirmed", q.symbol, q.price.to_string());
            break;
        case bad_tick_filter::verdict::pass:
            break;
    }
    store_.apply(std::move(q), now);
}

void quote_gate::reconfigure(const symbol_layout& layout, const bad_tick_config& limits) {
    config by_slot;
    by_slot.bad_tick = limits;
    by_slot.symbols.reserve(layout.slots.size());
    for (std::size_t i = 0; i < layout.slots.size(); ++i) {
        by_slot.symbols.push_back(layout.active[i] ? *layout.slots[i] : symbol_config{});
    }
    failover_.reset(by_slot.symbols);
    bad_ticks_.reset(by_slot);
}

void quote_gate::failed(std::size_t index, std::size_t rank) { report_switch(index, failover_.on_failure(index, rank)); }

void quote_gate::report_switch(std::size_t index, const std::optional<source_switch>& change) {
    if (!change) return;
    stats_.source_switched();
    const auto symp = store_.symbol(index);
    if (!symp) return;
    const symbol_config& sym = *symp;
    const auto name = [&](std::size_t rank) {
        const source_ref& src = sym.sources[rank];
        return src.upstream_symbol.empty() ? src.provider : src.provider + ":" + src.upstream_symbol;
    };
    spdlog::warn("{}: switching source from {} to {}", sym.id, name(change->from), name(change->to));
}

}  // namespace tickerd

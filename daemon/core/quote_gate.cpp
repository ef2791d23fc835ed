#include "tickerd/quote_gate.hpp"

namespace tickerd {

quote_gate::verdict quote_gate::accepted(std::size_t index, std::size_t rank, quote q, time_point now) {
    const auto failover = failover_.on_success(index, rank);
    verdict v;
    v.switched = failover.change;
    if (!failover.publish) return v;
    const auto current = store_.get(index);
    std::optional<decimal> last;
    if (current) last = current->q.price;
    v.tick = bad_ticks_.check(index, q.price, last);
    if (v.tick == bad_tick_filter::verdict::held) {
        ticks_held_.fetch_add(1, std::memory_order_relaxed);
        v.held_from = last;
        // The source is alive: the held price does not make the quote stale. A quote
        // that is stale already (restored from the state file, or after an outage)
        // stays so: an old price must not look fresh because of an unconfirmed new one.
        if (!current->q.stale) store_.apply(index, current->q, now);
        return v;
    }
    store_.apply(index, std::move(q), now);
    v.published = true;
    return v;
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

}  // namespace tickerd

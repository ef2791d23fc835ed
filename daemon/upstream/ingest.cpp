#include "upstream/ingest.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "tickerd/normaliser.hpp"

namespace tickerd {

bool ingest::quote(const ingest_source& from, fed_symbol to, const raw_quote& raw, time_point now) {
    const auto symp = store_.symbol(to.index);
    if (!symp) return false;  // removed by a reload; the source is being stopped
    const symbol_config& sym = *symp;
    std::optional<decimal> previous_ref;
    if (auto cur = store_.get(to.index)) previous_ref = cur->q.ref_price;
    auto q = normalise(raw, sym, from.provider, from.reference.value_or(wanted_reference(sym.cls)), previous_ref, now);
    if (!q) {
        if (from.stats) from.stats->quotes_rejected.fetch_add(1, std::memory_order_relaxed);
        log_.failure(from.label, fmt::format("{} rejected for {}: {}", to_string(q.error().kind), sym.id,
                                             q.error().message));
        failed(to);
        return false;
    }
    const std::string source = q->source;
    const decimal price = q->price;
    const auto v = gate_.accepted(to.index, to.rank, std::move(*q), now);
    report_switch(to.index, v.switched);
    switch (v.tick) {
        case bad_tick_filter::verdict::held:
            stats_.bad_tick_held();
            log_.failure(sym.id + " bad tick",
                         fmt::format("{} from {} moves {}% from {}: held until confirmed", price.to_string(),
                                     source, percent_change(price, *v.held_from).to_string(2),
                                     v.held_from->to_string()));
            break;
        case bad_tick_filter::verdict::confirmed:
            spdlog::info("{}: move to {} confirmed", sym.id, price.to_string());
            break;
        case bad_tick_filter::verdict::pass:
            break;
    }
    return true;
}

void ingest::failed(fed_symbol to) { report_switch(to.index, gate_.failed(to.index, to.rank)); }

void ingest::report_switch(std::size_t index, const std::optional<source_switch>& change) {
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

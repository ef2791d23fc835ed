#include "tickerd/bad_tick_filter.hpp"

namespace tickerd {

namespace {

decimal abs_pct(decimal from, decimal to) {
    const decimal p = percent_change(to, from);
    return p.is_negative() ? -p : p;
}

}  // namespace

bad_tick_filter::bad_tick_filter(const config& cfg) : held_(cfg.symbols.size()) {
    limits_.reserve(cfg.symbols.size());
    for (const auto& sym : cfg.symbols) {
        switch (sym.cls) {
            case asset_class::equity: limits_.push_back(cfg.bad_tick.equity); break;
            case asset_class::crypto: limits_.push_back(cfg.bad_tick.crypto); break;
            case asset_class::fx: limits_.push_back(cfg.bad_tick.fx); break;
        }
    }
}

void bad_tick_filter::reset(const config& cfg) {
    bad_tick_filter fresh(cfg);
    const std::scoped_lock lk(mu_);
    limits_ = std::move(fresh.limits_);
    held_ = std::move(fresh.held_);
}

bad_tick_filter::verdict bad_tick_filter::check(std::size_t index, decimal price, std::optional<decimal> last) {
    const std::scoped_lock lk(mu_);
    if (index >= limits_.size() || !limits_[index].is_positive() || !last || !last->is_positive()) return verdict::pass;
    const decimal limit = limits_[index];
    auto& held = held_[index];
    if (abs_pct(*last, price) <= limit) {
        held.reset();  // back in line: whatever was held was a glitch
        return verdict::pass;
    }
    // A second observation near the held one (within a tenth of the limit) confirms the move.
    const decimal confirm_band = decimal::from_units(limit.units() / 10);
    if (held && held->is_positive() && abs_pct(*held, price) <= confirm_band) {
        held.reset();
        return verdict::confirmed;
    }
    held = price;
    return verdict::held;
}

}  // namespace tickerd

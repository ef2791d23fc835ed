#include "tickerd/price_history.hpp"

namespace tickerd {

price_history::price_history(std::size_t symbols, history_config cfg) : cfg_(cfg), series_(symbols) {}

void price_history::record(std::size_t index, time_point t, decimal price) {
    const std::scoped_lock lk(mu_);
    record_locked(index, t, price);
}

void price_history::record_locked(std::size_t index, time_point t, decimal price) {
    const auto res = cfg_.resolution.count();
    const auto ms = t.time_since_epoch().count();
    const time_point bucket{std::chrono::milliseconds((ms / res) * res)};
    if (index >= series_.size()) return;
    auto& s = series_[index];
    if (!s.empty() && s.back().t == bucket) {
        s.back().price = price;
    } else if (s.empty() || s.back().t < bucket) {
        s.push_back({bucket, price});
    } else {
        return;  // older than what we hold: the clock went back; keep the series ordered
    }
    while (!s.empty() && s.front().t < bucket - cfg_.retention) s.pop_front();
}

void price_history::reconfigure(std::size_t symbols, const std::vector<std::size_t>& removed) {
    const std::scoped_lock lk(mu_);
    if (symbols > series_.size()) series_.resize(symbols);
    for (const std::size_t i : removed) {
        if (i < series_.size()) series_[i].clear();
    }
}

bool price_history::empty(std::size_t index) const {
    const std::scoped_lock lk(mu_);
    return index >= series_.size() || series_[index].empty();
}

std::vector<history_point> price_history::points(std::size_t index, std::chrono::milliseconds window,
                                                 time_point now) const {
    std::vector<history_point> out;
    const std::scoped_lock lk(mu_);
    if (index >= series_.size()) return out;
    const time_point from = now - window;
    for (const auto& p : series_[index]) {
        if (p.t >= from) out.push_back(p);
    }
    return out;
}

std::vector<history_point> price_history::export_series(std::size_t index) const {
    const std::scoped_lock lk(mu_);
    if (index >= series_.size()) return {};
    return {series_[index].begin(), series_[index].end()};
}

void price_history::import_series(std::size_t index, const std::vector<history_point>& points, time_point now) {
    const std::scoped_lock lk(mu_);
    if (index >= series_.size()) return;
    for (const auto& p : points) {
        if (p.t < now - cfg_.retention || p.t > now) continue;
        record_locked(index, p.t, p.price);
    }
}

}  // namespace tickerd

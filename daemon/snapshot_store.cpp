#include "tickerd/snapshot_store.hpp"

#include <algorithm>

#include "tickerd/protocol.hpp"

namespace tickerd {

snapshot_store::snapshot_store(std::vector<symbol_config> symbols, std::uint64_t first_seq)
    : symbols_(std::move(symbols)), entries_(symbols_.size()), seq_(first_seq) {}

void snapshot_store::on_change(change_listener listener) {
    const std::scoped_lock lk(mu_);
    listener_ = std::move(listener);
}

std::optional<std::size_t> snapshot_store::index_of(std::string_view id) const {
    for (std::size_t i = 0; i < symbols_.size(); ++i) {
        if (symbols_[i].id == id) return i;
    }
    return std::nullopt;
}

quote_change snapshot_store::publish_locked(std::size_t index, quote q, time_point now) {
    (void)now;
    q.seq = ++seq_;
    auto pub = std::make_shared<published_quote>();
    pub->json = std::make_shared<const std::string>(encode_quote(symbols_[index], q));
    pub->q = std::move(q);
    std::shared_ptr<const published_quote> cpub = std::move(pub);
    entries_[index].current = cpub;
    quote_change ch;
    ch.seq = seq_;
    ch.index = index;
    ch.quote = cpub;
    ch.update_message = std::make_shared<const std::string>(encode_update(seq_, {cpub}));
    return ch;
}

std::optional<quote_change> snapshot_store::apply(quote q, time_point now) {
    const auto idx = index_of(q.symbol);
    if (!idx) return std::nullopt;
    q.stale = false;
    // notify_mu_ keeps notifications in seq order without holding mu_ while calling out.
    const std::scoped_lock notify_lk(notify_mu_);
    std::optional<quote_change> change;
    change_listener listener;
    {
        const std::scoped_lock lk(mu_);
        entry& e = entries_[*idx];
        e.last_confirmed = now;
        if (e.current && same_content(e.current->q, q)) return std::nullopt;
        change = publish_locked(*idx, std::move(q), now);
        listener = listener_;
    }
    if (listener) listener(*change);
    return change;
}

std::vector<quote_change> snapshot_store::expire(time_point now, const std::function<bool(std::size_t)>& resting) {
    const std::scoped_lock notify_lk(notify_mu_);
    std::vector<quote_change> changes;
    change_listener listener;
    {
        const std::scoped_lock lk(mu_);
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            entry& e = entries_[i];
            if (!e.current || e.current->q.stale) continue;
            if (now - e.last_confirmed <= symbols_[i].max_age) continue;
            if (resting && resting(i)) continue;
            quote q = e.current->q;
            q.stale = true;
            changes.push_back(publish_locked(i, std::move(q), now));
        }
        listener = listener_;
    }
    if (listener) {
        for (const auto& c : changes) listener(c);
    }
    return changes;
}

std::size_t snapshot_store::restore(const std::vector<quote>& saved) {
    const std::scoped_lock notify_lk(notify_mu_);
    const std::scoped_lock lk(mu_);
    std::size_t restored = 0;
    for (const quote& s : saved) {
        const auto idx = index_of(s.symbol);
        if (!idx || entries_[*idx].current) continue;
        quote q = s;
        q.stale = true;
        q.seq = seq_;
        auto pub = std::make_shared<published_quote>();
        pub->json = std::make_shared<const std::string>(encode_quote(symbols_[*idx], q));
        pub->q = std::move(q);
        entries_[*idx].current = std::move(pub);
        ++restored;
    }
    return restored;
}

std::uint64_t snapshot_store::seq() const {
    const std::scoped_lock lk(mu_);
    return seq_;
}

snapshot_store::view snapshot_store::snapshot(const std::vector<std::size_t>& wanted, std::uint64_t since) const {
    view v;
    const std::scoped_lock lk(mu_);
    v.seq = seq_;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), i) == wanted.end()) continue;
        const auto& cur = entries_[i].current;
        if (!cur || cur->q.seq <= since) continue;
        v.quotes.push_back(cur);
    }
    return v;
}

std::shared_ptr<const published_quote> snapshot_store::get(std::size_t index) const {
    const std::scoped_lock lk(mu_);
    return index < entries_.size() ? entries_[index].current : nullptr;
}

std::vector<symbol_status> snapshot_store::status() const {
    std::vector<symbol_status> out;
    const std::scoped_lock lk(mu_);
    out.reserve(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        symbol_status s;
        s.id = symbols_[i].id;
        if (const auto& cur = entries_[i].current) {
            s.has_quote = true;
            s.stale = cur->q.stale;
            s.source = cur->q.source;
            s.received_at = cur->q.received_at;
            s.last_confirmed = entries_[i].last_confirmed;
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace tickerd

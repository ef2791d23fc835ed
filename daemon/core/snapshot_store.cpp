#include "tickerd/snapshot_store.hpp"

#include <algorithm>

#include "tickerd/protocol.hpp"

namespace tickerd {

snapshot_store::snapshot_store(std::vector<symbol_config> symbols, std::uint64_t first_seq)
    : entries_(symbols.size()), seq_(first_seq) {
    auto lay = std::make_shared<symbol_layout>();
    lay->seq = first_seq;
    for (auto& sym : symbols) {
        lay->order.push_back(lay->slots.size());
        lay->slots.push_back(std::make_shared<const symbol_config>(std::move(sym)));
        lay->active.push_back(true);
    }
    layout_ = std::move(lay);
}

void snapshot_store::on_change(change_listener listener) {
    const std::scoped_lock lk(mu_);
    listener_ = std::move(listener);
}

std::optional<std::size_t> snapshot_store::index_of_locked(std::string_view id) const {
    for (const std::size_t i : layout_->order) {
        if (layout_->slots[i]->id == id) return i;
    }
    return std::nullopt;
}

std::optional<std::size_t> snapshot_store::index_of(std::string_view id) const {
    const std::scoped_lock lk(mu_);
    return index_of_locked(id);
}

std::shared_ptr<const symbol_layout> snapshot_store::layout() const {
    const std::scoped_lock lk(mu_);
    return layout_;
}

std::shared_ptr<const symbol_config> snapshot_store::symbol(std::size_t index) const {
    const std::scoped_lock lk(mu_);
    if (layout_->find(index) == nullptr) return nullptr;
    return layout_->slots[index];
}

snapshot_store::reconfigure_result snapshot_store::reconfigure(const std::vector<symbol_config>& symbols) {
    // Taken like apply(): no notification of the old layout interleaves with the switch.
    const std::scoped_lock notify_lk(notify_mu_);
    const std::scoped_lock lk(mu_);
    reconfigure_result out;
    auto lay = std::make_shared<symbol_layout>();
    lay->version = layout_->version + 1;
    lay->slots = layout_->slots;
    lay->active.assign(lay->slots.size(), false);
    for (const auto& sym : symbols) {
        std::size_t slot = lay->slots.size();
        if (const auto kept = index_of_locked(sym.id)) {
            slot = *kept;
            lay->slots[slot] = std::make_shared<const symbol_config>(sym);
        } else if (const auto old = std::find_if(lay->slots.begin(), lay->slots.end(),
                                                 [&](const auto& s) { return s->id == sym.id; });
                   old != lay->slots.end()) {
            // Removed by an earlier reload and back now: its old slot again (emptied
            // when it was removed), so that slots stay as many as the ids ever configured.
            slot = static_cast<std::size_t>(old - lay->slots.begin());
            lay->slots[slot] = std::make_shared<const symbol_config>(sym);
            out.added.push_back(sym.id);
        } else {
            lay->slots.push_back(std::make_shared<const symbol_config>(sym));
            lay->active.push_back(false);
            entries_.emplace_back();
            out.added.push_back(sym.id);
        }
        lay->active[slot] = true;
        lay->order.push_back(slot);
    }
    for (const std::size_t i : layout_->order) {
        if (lay->active[i]) continue;
        out.removed.push_back(layout_->slots[i]->id);
        out.removed_slots.push_back(i);
        entries_[i] = entry{};
    }
    lay->seq = ++seq_;
    layout_ = lay;
    out.layout = std::move(lay);
    return out;
}

quote_change snapshot_store::encode_change(const symbol_config& sym, std::size_t index, quote q, std::uint64_t seq,
                                          std::uint64_t layout_version) {
    q.seq = seq;
    auto pub = std::make_shared<published_quote>();
    pub->json = std::make_shared<const std::string>(encode_quote(sym, q));
    pub->q = std::move(q);
    quote_change ch;
    ch.seq = seq;
    ch.index = index;
    ch.layout = layout_version;
    ch.quote = std::move(pub);
    ch.published_us = unix_now_us();
    ch.update_message = std::make_shared<const std::string>(encode_update(seq, ch.published_us, {ch.quote}));
    return ch;
}

void snapshot_store::install_locked(const quote_change& change) {
    seq_ = std::max(seq_, change.seq);  // an edge's numbered change may be below it (docs/scaling.md)
    entries_[change.index].current = change.quote;
}

std::optional<quote_change> snapshot_store::apply(std::size_t index, quote q, time_point now) {
    q.stale = false;
    return apply_with(index, std::move(q), now, [](std::uint64_t seq, const entry&) { return seq + 1; });
}

std::optional<quote_change> snapshot_store::apply_numbered(std::size_t index, quote q, time_point now,
                                                           std::uint64_t content_seq, std::uint64_t entry_seq) {
    return apply_with(index, std::move(q), now, [content_seq, entry_seq](std::uint64_t, const entry& e) {
        const std::uint64_t shown = e.current ? e.current->q.seq : 0;
        return content_seq > shown ? content_seq : std::max(entry_seq, shown + 1);
    });
}

std::optional<quote_change> snapshot_store::apply_with(
    std::size_t index, quote q, time_point now, const std::function<std::uint64_t(std::uint64_t, const entry&)>& number) {
    // notify_mu_ keeps writers, and so notifications, in seq order without holding mu_ while calling out.
    const std::scoped_lock notify_lk(notify_mu_);
    std::shared_ptr<const symbol_config> sym;
    std::uint64_t seq = 0;
    std::uint64_t layout_version = 0;
    {
        const std::scoped_lock lk(mu_);
        if (layout_->find(index) == nullptr) return std::nullopt;  // removed by a reload while this quote was on its way
        entry& e = entries_[index];
        e.last_confirmed = now;
        if (e.current && same_content(e.current->q, q)) return std::nullopt;
        sym = layout_->slots[index];
        seq = number(seq_, e);
        layout_version = layout_->version;
    }
    quote_change change = encode_change(*sym, index, std::move(q), seq, layout_version);
    change_listener listener;
    {
        const std::scoped_lock lk(mu_);
        install_locked(change);
        listener = listener_;
    }
    if (listener) listener(change);
    return change;
}

std::vector<quote_change> snapshot_store::expire(time_point now,
                                                 const std::function<bool(const symbol_config&)>& resting) {
    const std::scoped_lock notify_lk(notify_mu_);
    struct expiring {
        std::size_t index;
        std::shared_ptr<const symbol_config> sym;
        quote q;
    };
    std::vector<expiring> due;
    std::uint64_t seq = 0;
    std::uint64_t layout_version = 0;
    {
        const std::scoped_lock lk(mu_);
        for (const std::size_t i : layout_->order) {
            entry& e = entries_[i];
            if (!e.current || e.current->q.stale) continue;
            const symbol_config& sym = *layout_->slots[i];
            if (now - e.last_confirmed <= sym.max_age) continue;
            if (resting && resting(sym)) continue;
            due.push_back({i, layout_->slots[i], e.current->q});
        }
        seq = seq_;
        layout_version = layout_->version;
    }
    if (due.empty()) return {};
    std::vector<quote_change> changes;
    changes.reserve(due.size());
    for (auto& d : due) {
        d.q.stale = true;
        changes.push_back(encode_change(*d.sym, d.index, std::move(d.q), ++seq, layout_version));
    }
    change_listener listener;
    {
        const std::scoped_lock lk(mu_);
        for (const auto& c : changes) install_locked(c);
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
        const auto idx = index_of_locked(s.symbol);
        if (!idx || entries_[*idx].current) continue;
        quote q = s;
        q.stale = true;
        q.seq = seq_;
        auto pub = std::make_shared<published_quote>();
        pub->json = std::make_shared<const std::string>(encode_quote(*layout_->slots[*idx], q));
        pub->q = std::move(q);
        // Last confirmed when it was received: its age (metrics) counts from then, not from the epoch.
        entries_[*idx].last_confirmed = pub->q.received_at;
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
    for (const std::size_t i : layout_->order) {
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
    out.reserve(layout_->order.size());
    for (const std::size_t i : layout_->order) {
        symbol_status s;
        s.id = layout_->slots[i]->id;
        s.slot = i;
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

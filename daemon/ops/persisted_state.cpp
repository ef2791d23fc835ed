#include "ops/persisted_state.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

namespace tickerd {
namespace {

// Puts back what an earlier run saved, for symbols and sources still
// configured: quotes (stale until a fresh poll), history, day references. A
// symbol's quote and history are put back together or not at all: only when
// the quote's source is one of the symbol's configured sources and its currency
// and precision are unchanged (restore_refusal); each refusal is logged.
void restore_state(const config& cfg, const saved_state& saved, snapshot_store& store, price_history& history,
                   day_reference_book& day_refs, const std::string& from) {
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now());
    std::vector<quote> quotes;
    std::size_t histories = 0;
    for (const saved_symbol& s : saved.symbols) {
        const auto idx = store.index_of(s.id);
        if (!idx) continue;  // no longer configured
        const auto sym = store.symbol(*idx);
        if (!sym) continue;
        if (!s.last && s.history.empty()) continue;  // nothing saved for it
        if (const std::string why = restore_refusal(*sym, s); !why.empty()) {
            spdlog::info("state: {}: saved quote and {} history points not restored: {}", s.id, s.history.size(), why);
            continue;
        }
        quotes.push_back(*s.last);
        if (!s.history.empty()) {
            history.import_series(*idx, s.history, now);
            ++histories;
        }
    }
    const std::size_t restored = store.restore(quotes);
    std::size_t refs = 0;
    for (const saved_day_reference& d : saved.day_references) {
        const bool used = std::any_of(cfg.symbols.begin(), cfg.symbols.end(), [&](const symbol_config& sym) {
            return std::any_of(sym.sources.begin(), sym.sources.end(), [&](const source_ref& src) {
                return src.provider + ":" + src.upstream_symbol == d.source;
            });
        });
        if (!used) continue;
        day_refs.restore(d);
        ++refs;
    }
    spdlog::info("state: restored {} quotes (stale until a fresh poll), history of {} symbols, {} day references from {}",
                 restored, histories, refs, from);
}

saved_state collect_state(const snapshot_store& store, const price_history& history, const day_reference_book& day_refs) {
    saved_state s;
    s.saved_at = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now());
    const auto layout = store.layout();
    for (const std::size_t slot : layout->order) {
        saved_symbol sym;
        sym.id = layout->slots[slot]->id;
        sym.currency = layout->slots[slot]->currency;
        sym.precision = layout->slots[slot]->precision;
        if (auto cur = store.get(slot)) sym.last = cur->q;
        sym.history = history.export_series(slot);
        s.symbols.push_back(std::move(sym));
    }
    s.day_references = day_refs.entries();
    return s;
}

}  // namespace

persisted_state::persisted_state(const config& cfg, snapshot_store& store, price_history& history,
                                 day_reference_book& day_refs)
    : store_(store), history_(history), day_refs_(day_refs) {
    const auto dir = resolve_state_dir(cfg.server.state_dir);
    if (dir.empty()) {
        spdlog::warn("state: no state directory (set server.state_dir, $STATE_DIRECTORY or $HOME): nothing is kept "
                     "across restarts");
        return;
    }
    state_file f(dir, !cfg.server.state_dir.empty());
    if (const std::string err = f.prepare(); !err.empty()) {
        spdlog::warn("state: {}: running without saved state", err);
        return;
    }
    if (auto saved = f.load()) restore_state(cfg, *saved, store, history, day_refs, f.path().string());
    file_.emplace(std::move(f));
    saver_.emplace(*file_, cfg.server.state_save_interval, [this] { return store_.seq() + day_refs_.version(); },
                   [this] { return collect_state(store_, history_, day_refs_); });
}

void persisted_state::start() {
    if (saver_) saver_->start();
}

void persisted_state::stop_and_save() {
    if (!saver_) return;
    saver_->stop_and_save();
    spdlog::info("state: kept in {}", file_->path().string());
}

}  // namespace tickerd

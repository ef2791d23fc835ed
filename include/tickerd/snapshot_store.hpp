#pragma once
// One latest quote per symbol, a global sequence number, change detection and
// staleness. Thread-safe; the mutex is held for microseconds and never while
// calling out. Each change is serialised here, once, into immutable buffers
// that every client shares.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tickerd/config.hpp"
#include "tickerd/quote.hpp"

namespace tickerd {

using shared_text = std::shared_ptr<const std::string>;

// A published quote and its JSON object text (the "Quote" of the protocol).
struct published_quote {
    quote q;
    shared_text json;
};

// The configured symbols. A symbol's slot (the `index` used by the store, the
// price history, stream subscriptions and the feeds) is fixed for the life of the
// process: a reload keeps the slot of every symbol whose id remains, a removed
// symbol leaves an inactive slot that is never reused, and an added symbol gets
// a new slot at the end. So an index never changes meaning, and a change that
// races with a reload cannot be routed to the wrong symbol.
struct symbol_layout {
    std::uint64_t version = 0;  // 0 at start, +1 per reconfigure
    std::uint64_t seq = 0;      // the store's seq when this layout took effect
    std::vector<std::shared_ptr<const symbol_config>> slots;  // a removed symbol keeps its last config
    std::vector<bool> active;                                 // per slot: configured now
    std::vector<std::size_t> order;                           // active slots, in config order

    const symbol_config* find(std::size_t slot) const {
        return slot < slots.size() && active[slot] ? slots[slot].get() : nullptr;
    }
};

// One change of one symbol: the new quote and the whole update message for it.
struct quote_change {
    std::uint64_t seq = 0;
    std::size_t index = 0;        // the symbol's slot (see symbol_layout)
    std::uint64_t layout = 0;     // symbol_layout::version current when the change was made
    std::shared_ptr<const published_quote> quote;
    std::int64_t published_us = 0;  // when the store made it: system clock, microseconds since the epoch
    shared_text update_message;     // {"type":"update","seq":N,"ts":published_us,"quotes":[...]}
};

struct symbol_status {
    std::string id;
    std::size_t slot = 0;  // see symbol_layout
    bool has_quote = false;
    bool stale = false;
    std::string source;
    time_point received_at{};
    time_point last_confirmed{};
};

class snapshot_store {
public:
    // Sequence numbers continue from first_seq (the daemon passes the start time
    // in microseconds, so seq keeps increasing across restarts).
    snapshot_store(std::vector<symbol_config> symbols, std::uint64_t first_seq);

    using change_listener = std::function<void(const quote_change&)>;
    // Called after every change, in seq order, outside the data lock, on the thread
    // that made it. It must not call apply()/expire().
    void on_change(change_listener listener);

    // An accepted quote for the symbol in slot `index` (see symbol_layout). A
    // quote whose content equals the current one only refreshes its freshness:
    // no new seq, nobody notified. Nothing for a slot a reload has removed.
    std::optional<quote_change> apply(std::size_t index, quote q, time_point now);
    // Edge mode (the cluster numbers the quotes, docs/scaling.md): a quote as a
    // publisher wrote it, its stale flag kept. `content_seq` numbers its content
    // and is the same on every edge; `entry_seq` numbers the entry that carried
    // it. Same content as now: freshness only. Otherwise the change takes
    // content_seq, unless this store already shows a copy of the symbol with a
    // seq at or above it (one it marked stale itself): then max(entry_seq, that
    // + 1), so that no quote's seq goes back. The store's seq is the highest given.
    std::optional<quote_change> apply_numbered(std::size_t index, quote q, time_point now, std::uint64_t content_seq,
                                               std::uint64_t entry_seq);
    // Marks quotes not confirmed within their max_age as stale; each is a change.
    // Symbols for which `resting(config)` is true (their market is closed now, so
    // nobody trades) are skipped. The predicate is called under the store's lock.
    std::vector<quote_change> expire(time_point now, const std::function<bool(const symbol_config&)>& resting = {});

    // Quotes saved by an earlier run, put back before serving: each is marked
    // stale and carries the store's start seq (so clients resuming with a seq of
    // the earlier run get them, and the first live change is above it). Nobody
    // is notified. Unknown ids and symbols that already hold a quote are
    // skipped. Returns how many were restored.
    std::size_t restore(const std::vector<quote>& saved);

    std::uint64_t seq() const;
    // The slot of a configured symbol; nullopt for unknown and removed ids.
    std::optional<std::size_t> index_of(std::string_view id) const;
    // The symbols as configured now; a shared, immutable copy.
    std::shared_ptr<const symbol_layout> layout() const;
    // A configured symbol's config; null for a removed or unknown slot.
    std::shared_ptr<const symbol_config> symbol(std::size_t index) const;

    // A reload: the new symbols in config order. Symbols whose id remains keep
    // their slot and quote (and take the new config); removed ones lose their
    // quote; added ones get new, empty slots. Bumps seq (so cached snapshots and
    // ETags change) and the layout version. Nobody is notified here: the caller
    // tells the stream clients (hub::layout_changed).
    struct reconfigure_result {
        std::vector<std::string> added;    // ids
        std::vector<std::string> removed;  // ids
        std::vector<std::size_t> removed_slots;
        std::shared_ptr<const symbol_layout> layout;
    };
    reconfigure_result reconfigure(const std::vector<symbol_config>& symbols);

    struct view {
        std::uint64_t seq = 0;
        std::vector<std::shared_ptr<const published_quote>> quotes;  // config order, only symbols with data
    };
    // `wanted` (slots, any order) empty = all configured symbols; since > 0 keeps quotes changed after it.
    view snapshot(const std::vector<std::size_t>& wanted = {}, std::uint64_t since = 0) const;
    std::shared_ptr<const published_quote> get(std::size_t index) const;
    std::vector<symbol_status> status() const;

private:
    struct entry {
        std::shared_ptr<const published_quote> current;
        time_point last_confirmed{};
    };
    // Writers (apply, expire, reconfigure, restore) hold notify_mu_ throughout, so
    // the seq a writer reads under mu_ stays its own while it encodes: JSON is
    // written outside mu_, which readers take, and put in place under it.
    static quote_change encode_change(const symbol_config& sym, std::size_t index, quote q, std::uint64_t seq,
                                      std::uint64_t layout_version);
    void install_locked(const quote_change& change);
    std::optional<quote_change> apply_with(std::size_t index, quote q, time_point now,
                                           const std::function<std::uint64_t(std::uint64_t, const entry&)>& number);

    std::optional<std::size_t> index_of_locked(std::string_view id) const;

    std::shared_ptr<const symbol_layout> layout_;  // replaced whole by reconfigure, under mu_
    std::mutex notify_mu_;  // taken before mu_; serialises change notifications
    mutable std::mutex mu_;
    std::vector<entry> entries_;
    std::uint64_t seq_;
    change_listener listener_;
};

}  // namespace tickerd

#include "cluster/quote_watcher.hpp"

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "cluster/nats_link.hpp"
#include "tickerd/cluster_entry.hpp"

namespace tickerd {

namespace {

time_point now_ms() { return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now()); }

// One entry into the store. Its write time is when the publisher last confirmed
// the quote: an entry older than the symbol's max_age arrives stale.
void apply_entry(kvEntry* e, snapshot_store& store, cluster_status& status, std::set<std::string>& unknown) {
    if (kvEntry_Operation(e) != kvOp_Put || kvEntry_Key(e) == cluster_heartbeat_key) return;
    const char* v = static_cast<const char*>(kvEntry_Value(e));
    const auto decoded = decode_cluster_entry(
        std::string_view(v != nullptr ? v : "", v != nullptr ? static_cast<std::size_t>(kvEntry_ValueLen(e)) : 0));
    if (!decoded) {
        spdlog::warn("cluster: bucket entry {} ignored: {}", kvEntry_Key(e), decoded.error());
        return;
    }
    const auto index = store.index_of(decoded->symbol);
    const auto sym = index ? store.symbol(*index) : nullptr;
    if (sym == nullptr) {
        if (unknown.insert(decoded->symbol).second)
            spdlog::info("cluster: the bucket has {}, which this edge is not configured with: not served", decoded->symbol);
        return;
    }
    const time_point now = now_ms();
    const time_point written = std::min(
        now, time_point(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(kvEntry_Created(e)))));
    quote q = decoded->q;
    if (now - written > sym->max_age) q.stale = true;
    const std::uint64_t revision = kvEntry_Revision(e);
    const std::uint64_t changed = decoded->changed != 0 ? decoded->changed : revision;
    store.apply_numbered(*index, std::move(q), written, changed * cluster_seq_scale, revision * cluster_seq_scale);
    status.entry_applied();
}

}  // namespace

quote_watcher::quote_watcher(const cluster_config& cfg, snapshot_store& store, cluster_status& status)
    : cfg_(cfg), store_(store), status_(status) {}

quote_watcher::~quote_watcher() { stop(); }

void quote_watcher::start() {
    thread_ = std::thread([this] { run(); });
}

void quote_watcher::stop() {
    stop_.request();
    if (thread_.joinable()) thread_.join();
}

void quote_watcher::run() {
    std::set<std::string> unknown;
    while (!stop_.stopping()) {
        nats_link link(cfg_, status_, stop_);
        if (!link.connect()) return;
        watch(link, unknown);
    }
}

// Watching again always starts on a new connection: the old one is closed before
// its watcher is destroyed (nats_link::close says why).
void quote_watcher::watch(nats_link& link, std::set<std::string>& unknown) {
    kvStore* quotes = nullptr;
    while (!stop_.stopping() && quotes == nullptr) {
        quotes = link.open_bucket(cfg_.bucket, 0);
        if (quotes == nullptr) stop_.wait_for(std::chrono::seconds(1));
    }
    if (quotes == nullptr) return;
    const std::uint64_t reconnects = link.reconnects();
    const std::uint64_t layout = store_.layout()->version;
    kvWatcher* w = nullptr;
    std::chrono::milliseconds backoff{250};
    while (!stop_.stopping() && w == nullptr) {
        kvWatchOptions wo;
        kvWatchOptions_Init(&wo);
        if (const natsStatus s = kvStore_WatchAll(&w, quotes, &wo); s != NATS_OK) {
            w = nullptr;
            spdlog::warn("cluster: {} (retrying)", nats_link::last_error("cannot watch the quote bucket", s));
            stop_.wait_for(backoff);
            backoff = std::min(backoff * 2, std::chrono::milliseconds(5'000));
        }
    }
    auto last_entry = std::chrono::steady_clock::now();
    while (w != nullptr && !stop_.stopping()) {
        kvEntry* e = nullptr;
        const natsStatus s = kvWatcher_Next(&e, w, 250);
        if (s == NATS_OK) last_entry = std::chrono::steady_clock::now();
        if (s == NATS_OK && e == nullptr) {
            status_.set_loaded(true);  // every key's current entry is in the store
        } else if (s == NATS_OK) {
            apply_entry(e, store_, status_, unknown);
            kvEntry_Destroy(e);
        } else if (s != NATS_TIMEOUT) {
            spdlog::warn("cluster: {}: watching again", nats_link::last_error("the bucket watch ended", s));
            break;
        }
        // Watch again after a reconnect (the server may have lost the watch) or a reload
        // (a symbol added now has entries that were skipped): the current entries come first.
        if (link.reconnects() != reconnects) break;
        // Publishers write a heartbeat every lease_ttl/6: nothing for two lease_ttl
        // while connected means the watch itself is lost (its NATS node died).
        if (link.connected() && std::chrono::steady_clock::now() - last_entry > 2 * cfg_.lease_ttl) {
            spdlog::warn("cluster: nothing from the quote bucket for {} ms: watching again",
                         std::chrono::duration_cast<std::chrono::milliseconds>(2 * cfg_.lease_ttl).count());
            break;
        }
        if (store_.layout()->version != layout) {
            unknown.clear();
            break;
        }
    }
    link.close();
    if (w != nullptr) kvWatcher_Destroy(w);
    kvStore_Destroy(quotes);
}

}  // namespace tickerd

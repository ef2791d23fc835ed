#include "cluster/quote_publisher.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cluster/nats_link.hpp"
#include "tickerd/cluster_entry.hpp"

namespace tickerd {

namespace {

using steady = std::chrono::steady_clock;

// "host:pid:start-ms": who holds a lease, as the lease's value.
std::string node_id() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now().time_since_epoch()).count();
    return fmt::format("{}:{}:{}", host, ::getpid(), ms);
}

std::string entry_text(kvEntry* e) {
    const char* v = static_cast<const char*>(kvEntry_Value(e));
    return v != nullptr ? std::string(v, static_cast<std::size_t>(kvEntry_ValueLen(e))) : std::string();
}

}  // namespace

// What this publisher knows of one symbol of the bucket.
struct quote_publisher::symbol_state {
    std::string key;
    bool held = false;
    std::uint64_t lease_revision = 0;
    steady::time_point renewed_at{};
    std::optional<quote> written;  // the content in the bucket now, as far as we know
    std::uint64_t changed = 0;     // the revision at which that content was first written
    steady::time_point written_at{};
    time_point confirmed_at_write{};  // the store's last confirmation when it was written
    bool retry = false;               // the last write failed
};

quote_publisher::quote_publisher(const cluster_config& cfg, snapshot_store& store, cluster_status& status)
    : cfg_(cfg), store_(store), status_(status) {}

quote_publisher::~quote_publisher() { stop(); }

void quote_publisher::start() {
    thread_ = std::thread([this] { run(); });
}

void quote_publisher::stop() {
    stop_.request();
    {
        const std::scoped_lock lk(mu_);  // so the thread cannot miss the wake-up between its check and its wait
        wake_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void quote_publisher::changed(const quote_change& change) {
    {
        const std::scoped_lock lk(mu_);
        pending_[change.quote->q.symbol] = change.quote->q;
        wake_ = true;
    }
    cv_.notify_one();
}

void quote_publisher::run() {
    nats_link link(cfg_, status_, stop_);
    if (!link.connect()) return;
    const auto ttl = cfg_.lease_ttl;
    kvStore* quotes = nullptr;
    kvStore* leases = nullptr;
    while (!stop_.stopping() && (quotes == nullptr || leases == nullptr)) {
        if (quotes == nullptr) quotes = link.open_bucket(cfg_.bucket, 0);
        if (leases == nullptr)
            leases = link.open_bucket(cfg_.lease_bucket,
                                      std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count());
        if (quotes == nullptr || leases == nullptr) stop_.wait_for(std::chrono::seconds(1));
    }
    const std::string me = node_id();
    std::map<std::string, symbol_state> symbols;

    auto write = [&](symbol_state& st, const quote& q) {
        cluster_entry e;
        e.symbol = q.symbol;
        e.q = q;
        const bool same = st.written && same_content(*st.written, q);
        e.changed = same ? st.changed : 0;
        const std::string value = encode_cluster_entry(e);
        std::uint64_t rev = 0;
        const natsStatus s = kvStore_Put(&rev, quotes, st.key.c_str(), value.data(), static_cast<int>(value.size()));
        if (s != NATS_OK) {
            if (!st.retry) spdlog::warn("cluster: {}", nats_link::last_error(fmt::format("cannot write {}", q.symbol).c_str(), s));
            st.retry = true;
            status_.write_failed();
            return;
        }
        st.retry = false;
        if (!same) st.changed = rev;
        st.written = q;
        st.written_at = steady::now();
        status_.entry_published();
    };
    // The bucket's current entry of a symbol just taken over: what is written there.
    auto read_current = [&](symbol_state& st) {
        kvEntry* e = nullptr;
        if (kvStore_Get(&e, quotes, st.key.c_str()) != NATS_OK || e == nullptr) return;
        if (kvEntry_Operation(e) == kvOp_Put) {
            if (auto dec = decode_cluster_entry(entry_text(e))) {
                st.written = dec->q;
                st.changed = dec->changed != 0 ? dec->changed : kvEntry_Revision(e);
            }
        }
        kvEntry_Destroy(e);
    };
    // Takes (every TTL/6) or renews (every TTL/3) the lease of every configured symbol; writes the current
    // quote of one just taken, and again those the pollers confirm but that were
    // last written a while ago (so that the edges do not mark them stale).
    auto tick = [&] {
        const auto layout = store_.layout();
        const auto status = store_.status();
        std::map<std::string, symbol_state> next;
        for (const auto& s : status) {
            auto it = symbols.find(s.id);
            const bool known = it != symbols.end();
            const bool was_held = known && it->second.held;
            symbol_state st = it != symbols.end() ? std::move(it->second) : symbol_state{};
            if (!known) st.key = cluster_key(s.id);
            std::uint64_t rev = 0;
            // Every other tick (TTL/3) for a held lease.
            if (st.held && steady::now() - st.renewed_at >= ttl / 4) {
                natsStatus r = kvStore_Update(&rev, leases, st.key.c_str(), me.data(), static_cast<int>(me.size()),
                                              st.lease_revision);
                if (r == NATS_OK) {
                    st.lease_revision = rev;
                    st.renewed_at = steady::now();
                } else {
                    // The update may have landed with its answer lost: the lease is still ours if it says so.
                    // Lost only when the lease bucket says so: while it cannot answer (a NATS node
                    // lost, leaders moving) the lease is kept and renewed at the next tick.
                    kvEntry* e = nullptr;
                    bool lost = false;
                    const natsStatus g = kvStore_Get(&e, leases, st.key.c_str());
                    if (g == NATS_NOT_FOUND) lost = true;
                    if (g == NATS_OK && e != nullptr) {
                        lost = kvEntry_Operation(e) != kvOp_Put || entry_text(e) != me;
                        if (!lost) st.lease_revision = kvEntry_Revision(e);
                    }
                    if (e != nullptr) kvEntry_Destroy(e);
                    if (lost) {
                        spdlog::warn("cluster: lost the lease of {}: another publisher writes it now", s.id);
                        st.held = false;
                        status_.set_lease(s.id, false);
                    }
                }
            } else if (!st.held && kvStore_Create(&rev, leases, st.key.c_str(), me.data(), static_cast<int>(me.size())) == NATS_OK) {
                st.held = true;
                st.lease_revision = rev;
                st.renewed_at = steady::now();
                spdlog::info("cluster: took the lease of {}: this publisher writes it", s.id);
                read_current(st);
                if (const auto cur = store_.get(s.slot)) write(st, cur->q);
            } else if (!known) {
                spdlog::info("cluster: {} is written by another publisher: standing by", s.id);
            }
            if (!known || was_held != st.held) status_.set_lease(s.id, st.held);
            if (st.held) {
                const auto cur = store_.get(s.slot);
                const symbol_config* sym = layout->find(s.slot);
                const auto refresh = sym != nullptr ? sym->max_age / 4 : std::chrono::milliseconds(60'000);
                const bool confirmed = s.last_confirmed > st.confirmed_at_write;
                if (cur && (st.retry || (confirmed && steady::now() - st.written_at >= refresh))) {
                    st.confirmed_at_write = s.last_confirmed;
                    write(st, cur->q);
                }
            }
            next.emplace(s.id, std::move(st));
        }
        for (const auto& [id, st] : symbols) {
            if (!next.contains(id)) status_.forget_lease(id);  // removed by a reload; its lease expires
        }
        symbols = std::move(next);
    };

    auto next_tick = steady::now();
    while (!stop_.stopping()) {
        if (steady::now() >= next_tick) {
            tick();
            // Proof of life for the edges' watches (every tick: lease_ttl/6).
            kvStore_PutString(nullptr, quotes, std::string(cluster_heartbeat_key).c_str(), me.c_str());
            next_tick = steady::now() + ttl / 6;  // a standby tries to take a lease this often
        }
        std::map<std::string, quote> todo;
        {
            std::unique_lock lk(mu_);
            cv_.wait_until(lk, next_tick, [this] { return wake_ || stop_.stopping(); });
            wake_ = false;
            todo.swap(pending_);
        }
        for (auto& [id, q] : todo) {
            const auto it = symbols.find(id);
            if (it != symbols.end() && it->second.held) write(it->second, q);
        }
    }
    // A clean stop hands the symbols over at once instead of after lease_ttl.
    for (const auto& [id, st] : symbols) {
        if (st.held) kvStore_Delete(leases, st.key.c_str());
    }
    if (quotes != nullptr) kvStore_Destroy(quotes);
    if (leases != nullptr) kvStore_Destroy(leases);
}

}  // namespace tickerd

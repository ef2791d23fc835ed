#pragma once
// What the listener hands to every session: the store, the hub, the config.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

#include "serve/connection_limiter.hpp"
#include "serve/hub.hpp"
#include "ops/metrics.hpp"
#include "ops/rate_limited_log.hpp"
#include "serve/static_files.hpp"
#include "tickerd/price_history.hpp"
#include "tickerd/config.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

struct server_state {
    server_state(const config& c, snapshot_store& s, hub& h, price_history& ph, static_files web_files, metrics& m)
        : cfg(c),
          store(s),
          clients(h),
          history(ph),
          web(std::move(web_files)),
          stats(m),
          connections(c.limits.max_connections, c.limits.max_connections_per_ip),
          current_(std::make_shared<const config>(c)) {}

    // The config the daemon started with. Read only its start-only settings
    // through it ([server], [history], log_level: a reload keeps them); the
    // symbols and providers may have changed since: see current_config().
    const config& cfg;
    snapshot_store& store;
    hub& clients;
    price_history& history;
    const static_files web;
    metrics& stats;
    // Symbol index -> position in its `sources` of the active source (for /metrics); unset: the first.
    std::function<std::size_t(std::size_t)> active_source;
    // Set in a cluster (docs/scaling.md): why the cluster side is not ready (empty:
    // it is), for /readyz; and its samples for /metrics.
    std::function<std::string()> cluster_problem;
    std::function<std::string()> cluster_metrics;
    const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    connection_limiter connections;  // limits.max_connections and max_connections_per_ip
    rate_limited_log refused_sites;  // pages of sites not in server.allowed_sites

    // GET /v1/snapshot (unfiltered) is built once per seq and shared.
    shared_text snapshot_body(std::uint64_t& seq_out);
    // That body (of `seq`) gzipped, also made once per seq.
    shared_text snapshot_gzip_body(std::uint64_t seq, const shared_text& body);

    // The config in force now (replaced whole by a reload); take one per request.
    std::shared_ptr<const config> current_config() const {
        const std::scoped_lock lk(config_mu_);
        return current_;
    }
    void set_config(std::shared_ptr<const config> c) {
        const std::scoped_lock lk(config_mu_);
        current_ = std::move(c);
    }

private:
    mutable std::mutex config_mu_;
    std::shared_ptr<const config> current_;
    std::mutex cache_mu_;
    std::uint64_t cached_seq_ = 0;
    shared_text cached_body_;
    std::uint64_t cached_gzip_seq_ = 0;
    shared_text cached_gzip_;
};

}  // namespace tickerd

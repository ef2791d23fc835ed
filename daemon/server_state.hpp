#pragma once
// What the listener hands to every session: the store, the hub, the config.
#include <chrono>
#include <memory>
#include <mutex>

#include "daemon/connection_limiter.hpp"
#include "daemon/hub.hpp"
#include "daemon/static_files.hpp"
#include "tickerd/price_history.hpp"
#include "tickerd/config.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

struct server_state {
    server_state(const config& c, snapshot_store& s, hub& h, price_history& ph, static_files web_files)
        : cfg(c),
          store(s),
          clients(h),
          history(ph),
          web(std::move(web_files)),
          connections(c.limits.max_connections, c.limits.max_connections_per_ip) {}

    const config& cfg;
    snapshot_store& store;
    hub& clients;
    price_history& history;
    const static_files web;
    const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    connection_limiter connections;  // limits.max_connections and max_connections_per_ip

    // GET /v1/snapshot (unfiltered) is built once per seq and shared.
    shared_text snapshot_body(std::uint64_t& seq_out);

private:
    std::mutex cache_mu_;
    std::uint64_t cached_seq_ = 0;
    shared_text cached_body_;
};

}  // namespace tickerd

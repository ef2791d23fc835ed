#pragma once
// The edge role: watches the quote bucket (every key's current entry first,
// then each change) and applies the entries to the local store, numbered by
// their bucket revision (tickerd/cluster_entry.hpp), so a quote's seq is the
// same on every edge. After a reconnect to NATS, or when a reload changed the
// symbols, it watches again, on a new connection, from the current entries,
// which catches it up.
// All NATS calls run on this object's own thread.
#include <set>
#include <string>
#include <thread>

#include "cluster/cluster_status.hpp"
#include "cluster/stop_signal.hpp"
#include "tickerd/config.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

class nats_link;

class quote_watcher {
public:
    quote_watcher(const cluster_config& cfg, snapshot_store& store, cluster_status& status);
    ~quote_watcher();  // stops and joins
    quote_watcher(const quote_watcher&) = delete;
    quote_watcher& operator=(const quote_watcher&) = delete;

    void start();
    void stop();

private:
    void run();
    void watch(nats_link& link, std::set<std::string>& unknown);

    const cluster_config cfg_;
    snapshot_store& store_;
    cluster_status& status_;
    stop_signal stop_;
    std::thread thread_;
};

}  // namespace tickerd

#pragma once
// The publisher role: every change of the local store (the pollers fill it as
// in a standalone daemon) is written to the quote bucket, for the symbols this
// daemon holds the lease of. Leases live in the lease bucket (TTL lease_ttl):
// taken with a create (tried every lease_ttl/6), renewed every lease_ttl/3 with
// an update on their revision, dropped on a clean stop. A symbol whose lease another publisher
// holds is polled but not written (hot standby); when that publisher dies its
// lease expires and one of the standbys takes it. Unchanged quotes are written
// again every max_age/4 while the pollers confirm them, so they stay fresh on
// the edges. All NATS calls run on this object's own thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cluster/cluster_status.hpp"
#include "cluster/stop_signal.hpp"
#include "tickerd/config.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

class quote_publisher {
public:
    quote_publisher(const cluster_config& cfg, snapshot_store& store, cluster_status& status);
    ~quote_publisher();  // stops and joins
    quote_publisher(const quote_publisher&) = delete;
    quote_publisher& operator=(const quote_publisher&) = delete;

    void start();
    void stop();
    // A change of the local store (any thread; only queues it).
    void changed(const quote_change& change);

private:
    struct symbol_state;
    void run();

    const cluster_config cfg_;
    snapshot_store& store_;
    cluster_status& status_;
    stop_signal stop_;
    std::mutex mu_;
    std::map<std::string, quote> pending_;  // by symbol id, the newest change only
    bool wake_ = false;
    std::condition_variable cv_;
    std::thread thread_;
};

}  // namespace tickerd

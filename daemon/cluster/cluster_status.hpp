#pragma once
// What the cluster side of a publisher or edge is doing, for /readyz and
// /metrics: connected to NATS or since when not, the bucket loaded (edge), the
// leases held (publisher) and counters. Thread-safe: written by the cluster's
// own threads and NATS callbacks, read by HTTP requests.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "tickerd/config.hpp"
#include "tickerd/quote.hpp"

namespace tickerd {

class cluster_status {
public:
    explicit cluster_status(cluster_role role);

    void set_connected(bool connected, time_point now);
    void set_loaded(bool loaded);  // edge: the bucket's current values are in the store
    void set_lease(const std::string& symbol, bool held);
    void forget_lease(const std::string& symbol);
    void entry_published() { published_.fetch_add(1, std::memory_order_relaxed); }
    void entry_applied() { applied_.fetch_add(1, std::memory_order_relaxed); }
    void write_failed() { write_failures_.fetch_add(1, std::memory_order_relaxed); }

    bool connected() const { return connected_.load(); }
    // Why this daemon is not ready as far as the cluster goes; empty when it is.
    std::string problem() const;
    // The tickerd_cluster_* samples of the Prometheus exposition.
    std::string metrics_text() const;

private:
    const cluster_role role_;
    std::atomic<bool> connected_{false};
    std::atomic<bool> loaded_{false};
    std::atomic<std::uint64_t> published_{0};
    std::atomic<std::uint64_t> applied_{0};
    std::atomic<std::uint64_t> write_failures_{0};
    mutable std::mutex mu_;
    time_point down_since_{};  // when the connection was lost (or the start, before the first)
    std::map<std::string, bool> leases_;
};

}  // namespace tickerd

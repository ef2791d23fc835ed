#pragma once
// This daemon's part in a cluster ([cluster] role, docs/scaling.md), for the
// wiring: a publisher writes the store's changes to NATS, an edge fills its
// store from NATS. Standalone: nothing. NATS itself stays behind this header.
#include <memory>
#include <string>

#include "cluster/cluster_status.hpp"
#include "tickerd/config.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

class quote_publisher;
class quote_watcher;

class cluster_node {
public:
    cluster_node(const cluster_config& cfg, snapshot_store& store);
    ~cluster_node();  // stops, and releases the NATS library
    cluster_node(const cluster_node&) = delete;
    cluster_node& operator=(const cluster_node&) = delete;

    cluster_role role() const { return role_; }
    bool polls() const { return role_ != cluster_role::edge; }  // an edge has no pollers
    void start();  // the cluster's own thread: connects, then publishes or watches
    void stop();   // any thread; joins that thread
    // A change of the local store (the store's listener; any thread, never blocks).
    void changed(const quote_change& change);

    std::string problem() const { return status_.problem(); }  // for /readyz; empty when fine
    std::string metrics_text() const { return status_.metrics_text(); }

private:
    const cluster_role role_;
    cluster_status status_;
    std::unique_ptr<quote_publisher> publisher_;
    std::unique_ptr<quote_watcher> watcher_;
};

}  // namespace tickerd

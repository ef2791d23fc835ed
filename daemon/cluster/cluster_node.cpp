#include "cluster/cluster_node.hpp"

#include <nats/nats.h>

#include "cluster/quote_publisher.hpp"
#include "cluster/quote_watcher.hpp"

namespace tickerd {

cluster_node::cluster_node(const cluster_config& cfg, snapshot_store& store) : role_(cfg.role), status_(cfg.role) {
    if (role_ == cluster_role::publisher) publisher_ = std::make_unique<quote_publisher>(cfg, store, status_);
    if (role_ == cluster_role::edge) watcher_ = std::make_unique<quote_watcher>(cfg, store, status_);
}

cluster_node::~cluster_node() {
    stop();
    if (role_ != cluster_role::standalone) nats_CloseAndWait(2'000);  // the library's own threads
}

void cluster_node::start() {
    if (publisher_) publisher_->start();
    if (watcher_) watcher_->start();
}

void cluster_node::stop() {
    if (publisher_) publisher_->stop();
    if (watcher_) watcher_->stop();
}

void cluster_node::changed(const quote_change& change) {
    if (publisher_) publisher_->changed(change);
}

}  // namespace tickerd

#include "daemon/hub.hpp"

#include <vector>

namespace tickerd {

void hub::join(const std::shared_ptr<stream_client>& client) {
    const std::scoped_lock lk(mu_);
    clients_.emplace(client.get(), client);
}

void hub::leave(const stream_client* client) {
    const std::scoped_lock lk(mu_);
    clients_.erase(client);
}

std::size_t hub::size() const {
    const std::scoped_lock lk(mu_);
    return clients_.size();
}

void hub::broadcast(const quote_change& change) {
    std::vector<std::weak_ptr<stream_client>> targets;
    {
        const std::scoped_lock lk(mu_);
        targets.reserve(clients_.size());
        for (const auto& [key, weak] : clients_) targets.push_back(weak);
    }
    for (const auto& weak : targets) {
        if (auto c = weak.lock()) c->deliver(change);
    }
}

void hub::close_all() {
    std::vector<std::weak_ptr<stream_client>> targets;
    {
        const std::scoped_lock lk(mu_);
        for (const auto& [key, weak] : clients_) targets.push_back(weak);
    }
    for (const auto& weak : targets) {
        if (auto c = weak.lock()) c->go_away();
    }
}

void hub::layout_changed() {
    std::vector<std::weak_ptr<stream_client>> targets;
    {
        const std::scoped_lock lk(mu_);
        for (const auto& [key, weak] : clients_) targets.push_back(weak);
    }
    for (const auto& weak : targets) {
        if (auto c = weak.lock()) c->layout_changed();
    }
}

}  // namespace tickerd

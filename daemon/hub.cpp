#include "daemon/hub.hpp"

#include <vector>

namespace tickerd {

void hub::join(const std::shared_ptr<stream_client>& client) {
    const std::scoped_lock lk(mu_);
    clients_.emplace(client.get(), member{client, client->transport()});
}

void hub::leave(const stream_client* client) {
    const std::scoped_lock lk(mu_);
    clients_.erase(client);
}

std::size_t hub::size() const {
    const std::scoped_lock lk(mu_);
    return clients_.size();
}

std::array<std::size_t, stream_transport_count> hub::size_by_transport() const {
    std::array<std::size_t, stream_transport_count> n{};
    const std::scoped_lock lk(mu_);
    for (const auto& [key, m] : clients_) ++n[static_cast<std::size_t>(m.transport)];
    return n;
}

void hub::broadcast(const quote_change& change) {
    std::vector<std::weak_ptr<stream_client>> targets;
    {
        const std::scoped_lock lk(mu_);
        targets.reserve(clients_.size());
        for (const auto& [key, m] : clients_) targets.push_back(m.client);
    }
    for (const auto& weak : targets) {
        if (auto c = weak.lock()) c->deliver(change);
    }
}

void hub::close_all() {
    std::vector<std::weak_ptr<stream_client>> targets;
    {
        const std::scoped_lock lk(mu_);
        for (const auto& [key, m] : clients_) targets.push_back(m.client);
    }
    for (const auto& weak : targets) {
        if (auto c = weak.lock()) c->go_away();
    }
}

void hub::layout_changed() {
    std::vector<std::weak_ptr<stream_client>> targets;
    {
        const std::scoped_lock lk(mu_);
        for (const auto& [key, m] : clients_) targets.push_back(m.client);
    }
    for (const auto& weak : targets) {
        if (auto c = weak.lock()) c->layout_changed();
    }
}

}  // namespace tickerd

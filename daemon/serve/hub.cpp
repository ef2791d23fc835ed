#include "serve/hub.hpp"

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

std::vector<std::shared_ptr<stream_client>> hub::members() const {
    std::vector<std::weak_ptr<stream_client>> weak;
    {
        const std::scoped_lock lk(mu_);
        weak.reserve(clients_.size());
        for (const auto& [key, m] : clients_) weak.push_back(m.client);
    }
    // Locked outside the registry mutex: a client's last reference may go here.
    std::vector<std::shared_ptr<stream_client>> out;
    out.reserve(weak.size());
    for (const auto& w : weak) {
        if (auto c = w.lock()) out.push_back(std::move(c));
    }
    return out;
}

void hub::broadcast(const quote_change& change) {
    for (const auto& c : members()) c->deliver(change);
}

void hub::close_all() {
    for (const auto& c : members()) c->go_away();
}

void hub::layout_changed() {
    for (const auto& c : members()) c->layout_changed();
}

}  // namespace tickerd

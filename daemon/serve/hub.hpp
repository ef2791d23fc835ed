#pragma once
// Fan-out of store changes to stream clients. The mutex guards only the
// registry; delivery happens after it is released, and each client posts the
// shared, already-serialised message onto its own strand.
#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "ops/stream_transport.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

class stream_client {
public:
    virtual ~stream_client() = default;
    // Any thread; the client filters by its own subscription on its strand.
    virtual void deliver(const quote_change& change) = 0;
    // Any thread: close with 1001 "going away".
    virtual void go_away() = 0;
    virtual stream_transport transport() const = 0;
    // Any thread: the store's symbols changed (a reload). The client re-reads
    // snapshot_store::layout() on its strand and remaps its subscription.
    virtual void layout_changed() = 0;
};

class hub {
public:
    void join(const std::shared_ptr<stream_client>& client);
    void leave(const stream_client* client);
    void broadcast(const quote_change& change);
    void close_all();
    // After snapshot_store::reconfigure: tells every client.
    void layout_changed();
    std::size_t size() const;
    // Clients connected now, by transport (index: stream_transport).
    std::array<std::size_t, stream_transport_count> size_by_transport() const;

private:
    // The clients registered now, each kept alive while it is called.
    std::vector<std::shared_ptr<stream_client>> members() const;

    mutable std::mutex mu_;
    struct member {
        std::weak_ptr<stream_client> client;
        stream_transport transport;
    };
    std::unordered_map<const stream_client*, member> clients_;
};

}  // namespace tickerd

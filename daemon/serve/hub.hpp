#pragma once
// Fan-out of store changes to stream clients, one hand-off per shard.
//
// Every stream session lives on one shard: an io_context run by one thread
// (serve/io_shards). The hub keeps, per shard, the list of the sessions it
// owns; that list is touched only on the shard's thread, so it needs no lock.
// broadcast() (any thread) queues the change, already serialised once, in the
// shard's inbox and posts one drain per shard when none is pending; the drain
// walks the shard's sessions on its thread, hands each the whole burst and
// then lets each start one write. No per-client post, lock or allocation.
//
// The same walk, on a timer per shard, is the sessions' clock (sweep()):
// heartbeats, pings, silent peers and stuck writes are looked at there, not by
// timers of each session's own. A shard with no sessions has no timer running.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <limits>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "ops/stream_transport.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

class hub;

// A session as the hub sees it. Every call comes on the session's own shard thread.
class stream_client {
public:
    virtual ~stream_client() = default;
    // Queue one change (the client filters by its own subscription).
    virtual void deliver(const quote_change& change) = 0;
    // After a burst of deliver(): start writing what is due.
    virtual void flush() = 0;
    // Close with 1001 "going away".
    virtual void go_away() = 0;
    // The store's symbols changed (a reload): re-read snapshot_store::layout()
    // and remap the subscription.
    virtual void layout_changed() = 0;
    // The shard's periodic look at every session (hub::set_shards's `sweep_period`).
    virtual void sweep(std::chrono::steady_clock::time_point now) = 0;
    virtual stream_transport transport() const = 0;

private:
    friend class hub;
    static constexpr std::size_t no_slot = std::numeric_limits<std::size_t>::max();
    std::size_t hub_shard_ = 0;
    std::size_t hub_slot_ = no_slot;  // its place in the shard's list; no_slot: not a member
};

class hub {
public:
    hub();
    ~hub();
    hub(const hub&) = delete;
    hub& operator=(const hub&) = delete;

    // The shards' executors (each an io_context's, run by one thread), and how
    // often each shard sweeps its sessions. Set once, before anything is
    // broadcast from another thread; until then broadcast() reaches nobody.
    void set_shards(const std::vector<boost::asio::any_io_executor>& shards,
                    std::chrono::steady_clock::duration sweep_period);

    // On the client's thread; `executor`: its shard's (an io_context's executor, not a strand).
    void join(stream_client& client, const boost::asio::any_io_executor& executor);
    // On the client's thread; a client that is not a member is ignored.
    void leave(stream_client& client);

    // Any thread.
    void broadcast(const quote_change& change);
    // Any thread: go_away() / layout_changed() on every client, each on its shard.
    void close_all();
    void layout_changed();
    // Any thread: clients connected now, in all and by transport (index: stream_transport).
    std::size_t size() const;
    std::array<std::size_t, stream_transport_count> size_by_transport() const;

private:
    struct shard;
    void drain(shard& s);
    void arm_sweep(shard& s);
    void stop_sweep_if_empty(shard& s);
    struct sweep_wait;  // the pending wait of a shard's sweep timer (hub.cpp)
    template <class Visit>
    void walk(shard& s, const Visit& visit);

    std::vector<std::unique_ptr<shard>> shards_;
    std::chrono::steady_clock::duration sweep_period_{};
    std::array<std::atomic<std::size_t>, stream_transport_count> counts_{};
};

}  // namespace tickerd

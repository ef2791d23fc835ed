#pragma once
// One connection to NATS for the cluster's own thread: the [cluster] servers,
// credentials and TLS, endless reconnects with back-off, and the connection
// state reported to cluster_status. Every call blocks: never on an io thread.
// Private to daemon/cluster/ (it is the one header that includes nats.h).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include <nats/nats.h>

#include "cluster/cluster_status.hpp"
#include "cluster/stop_signal.hpp"
#include "tickerd/config.hpp"

namespace tickerd {

class nats_link {
public:
    nats_link(const cluster_config& cfg, cluster_status& status, stop_signal& stop);
    ~nats_link();
    nats_link(const nats_link&) = delete;
    nats_link& operator=(const nats_link&) = delete;

    // Connects, retrying with back-off until it succeeds; false when the daemon stops first.
    bool connect();
    // Closes the connection (no reconnect follows, and it is not reported as lost).
    // Close before destroying a watcher: its unsubscribe then deletes no consumer
    // on the server. In nats.c 3.4 that delete can read the consumer's name
    // after the library's own thread, recreating an ordered consumer, freed it.
    void close();
    // The bucket, created (history 1, [cluster] replicas, `ttl_ns` 0: none) if
    // it does not exist yet. Null (logged) on failure. The caller destroys it.
    kvStore* open_bucket(const std::string& name, std::int64_t ttl_ns);
    // Reconnections so far: a watcher started before one may have missed entries.
    std::uint64_t reconnects() const { return reconnects_.load(); }
    bool connected() const { return status_.connected(); }

    // "what failed: the library's last error".
    static std::string last_error(const char* what, natsStatus s);

private:
    static void on_disconnected(natsConnection* nc, void* self);
    static void on_reconnected(natsConnection* nc, void* self);
    // The connection's last callback: the destructor waits for it, so that no
    // callback (they run on the library's threads) outlives this object.
    static void on_closed(natsConnection* nc, void* self);

    const cluster_config& cfg_;
    cluster_status& status_;
    stop_signal& stop_;
    natsConnection* conn_ = nullptr;
    jsCtx* js_ = nullptr;
    std::atomic<std::uint64_t> reconnects_{0};
    std::mutex closed_mu_;
    std::condition_variable closed_cv_;
    bool closed_ = false;
    std::atomic<bool> closing_{false};
};

}  // namespace tickerd

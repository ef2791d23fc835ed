#pragma once
// The running configuration and the feeds built from it, and SIGHUP: the config
// file is read and validated on a thread of its own (no disk I/O on the io
// threads), then applied on the reloader's strand: the old feeds stop, the
// store, quote gate and price history take the new symbols (kept symbols keep
// their quotes), a new feed set starts and every stream client remaps its
// subscription. An invalid file is refused with one log line and nothing
// changes; start-only settings keep their value with a warning (reload_plan).
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>

#include "upstream/feed_set.hpp"
#include "serve/hub.hpp"
#include "serve/server_state.hpp"
#include "tickerd/config.hpp"
#include "tickerd/quote_gate.hpp"
#include "tickerd/snapshot_store.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

class reloader {
public:
    // Starts the feeds of `running` (with keys read by the caller) and listens for
    // SIGHUP. Without `polls` (a cluster edge) no feed is ever started.
    reloader(boost::asio::io_context& ioc, std::shared_ptr<const config> running, const provider_keys& keys,
             feed_deps deps, snapshot_store& store, quote_gate& gate, hub& clients, server_state& state,
             bool polls = true);
    ~reloader();  // joins a reload still reading the file
    reloader(const reloader&) = delete;
    reloader& operator=(const reloader&) = delete;

    // Shutdown: stops the feeds and ignores SIGHUP from now on. Any thread.
    void stop();

private:
    void wait_signal();
    void begin();  // on the strand
    void apply(result<config, config_error> loaded, provider_keys keys);  // on the strand

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    boost::asio::signal_set hup_;
    std::shared_ptr<const config> running_;
    feed_deps deps_;
    snapshot_store& store_;
    quote_gate& gate_;
    hub& clients_;
    server_state& state_;
    const bool polls_;
    std::unique_ptr<feed_set> feeds_;  // null without polls_
    std::thread loader_;
    bool loading_ = false;  // a file read is under way
    bool again_ = false;    // SIGHUP during it: read again when it is done
    bool stopped_ = false;
};

}  // namespace tickerd

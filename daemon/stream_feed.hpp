#pragma once
// One push source per (coinbase_ws, product): a WebSocket connection to the
// Coinbase Exchange feed (ws:// or wss:// with certificate and host-name
// verification and SNI). It subscribes to ticker + heartbeat, normalises each
// newer ticker for every symbol fed by it and hands it to the quote_gate
// (failover, bad-tick filter, store) at once. Any message keeps the link alive; after
// `idle_timeout` without one, an error message or any I/O error it reconnects
// with exponential back-off and jitter (reset by a subscription acknowledgement)
// and subscribes again. Beast stays inside stream_feed.cpp.
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "daemon/metrics.hpp"
#include "daemon/poll_loop.hpp"  // fed_symbol
#include "daemon/rate_limited_log.hpp"
#include "daemon/quote_gate.hpp"
#include "tickerd/config.hpp"
#include "tickerd/snapshot_store.hpp"

namespace boost::asio::ssl {
class context;
}

namespace tickerd {

class stream_feed {
public:
    stream_feed(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, const provider_config& provider,
                std::string product_id, std::vector<fed_symbol> symbols, snapshot_store& store,
                quote_gate& gate, rate_limited_log& log, metrics& stats);
    ~stream_feed();
    stream_feed(const stream_feed&) = delete;
    stream_feed& operator=(const stream_feed&) = delete;

    void start();
    // Closes the connection and stops reconnecting; returns at once.
    void stop();
    const std::string& label() const;

    class impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace tickerd

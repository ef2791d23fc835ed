#pragma once
// One push source per (coinbase_ws, product): a WebSocket connection to the
// Coinbase Exchange feed (ws:// or wss:// with certificate and host-name
// verification and SNI). It subscribes to ticker + heartbeat, normalises each
// newer ticker for every symbol fed by it and hands it to the ingest step
// (normalise, failover, bad-tick filter, store) at once. Any message keeps the link alive; after
// `idle_timeout` without one, an error message or any I/O error it reconnects
// with exponential back-off and jitter (reset by a subscription acknowledgement)
// and subscribes again. Beast stays inside coinbase_feed.cpp.
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "ops/metrics.hpp"
#include "ops/rate_limited_log.hpp"
#include "tickerd/config.hpp"
#include "upstream/ingest.hpp"

namespace boost::asio::ssl {
class context;
}

namespace tickerd {

class coinbase_feed {
public:
    coinbase_feed(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, const provider_config& provider,
                std::string product_id, std::vector<fed_symbol> symbols, ingest& in, rate_limited_log& log,
                metrics& stats);
    ~coinbase_feed();
    coinbase_feed(const coinbase_feed&) = delete;
    coinbase_feed& operator=(const coinbase_feed&) = delete;

    void start();
    // Closes the connection and stops reconnecting; returns at once.
    void stop();
    const std::string& label() const;

    class impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace tickerd

#pragma once
// One poll loop per (provider, upstream symbol): fetch the provider's targets,
// parse, normalise for every symbol fed by it, hand the result to the store.
// Failures back off exponentially with jitter; Retry-After is honoured.
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "tickerd/day_reference_book.hpp"
#include "upstream/http_client.hpp"
#include "upstream/ingest.hpp"
#include "ops/metrics.hpp"
#include "ops/rate_limited_log.hpp"
#include "upstream/request_pacer.hpp"
#include "tickerd/config.hpp"
#include "tickerd/feeds/registry.hpp"
#include "tickerd/snapshot_store.hpp"

namespace tickerd {

class poll_loop : public std::enable_shared_from_this<poll_loop> {
public:
    poll_loop(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, const poll_feed& feed,
              const provider_config& provider, std::string upstream_symbol, std::vector<fed_symbol> symbols,
              ingest& in, rate_limited_log& log, metrics& stats,
              std::string api_key = {}, day_reference_book* day_references = nullptr,
              std::shared_ptr<request_pacer> pacer = nullptr);
    void start();
    void stop();
    const std::string& label() const { return label_; }

private:
    void schedule(std::chrono::milliseconds delay);
    void poll();
    void fetch_next();  // waits for the provider's pacer, then send_next()
    void send_next();
    void on_fetch(fetch_result r);
    void on_replies();
    void on_failure(const feed_error& error, upstream_outcome outcome, std::optional<std::chrono::seconds> retry_after);
    std::chrono::nanoseconds poll_duration() const { return std::chrono::steady_clock::now() - poll_started_; }
    std::chrono::milliseconds backoff();

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::steady_timer timer_;
    const poll_feed& feed_;
    const provider_config provider_;
    const std::string label_;  // "yahoo:NVDA", for logs
    const std::string upstream_symbol_;
    const std::vector<std::string> targets_;
    const std::vector<fed_symbol> symbols_;
    http_client client_;
    ingest& ingest_;
    const ingest_source source_;
    rate_limited_log& log_;
    provider_metrics& stats_;
    std::chrono::steady_clock::time_point poll_started_{};
    day_reference_book* day_references_;  // for feeds with daemon_day_reference
    std::shared_ptr<request_pacer> pacer_;  // shared by every loop of this provider; null: unpaced
    std::vector<fetch_result> replies_;
    unsigned failures_ = 0;
    bool stopped_ = false;
    std::minstd_rand rng_;
};

}  // namespace tickerd

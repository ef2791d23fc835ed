#pragma once
// Drives the built-in `sim` provider: every interval, each sim symbol may take
// one step of its random walk, handed to the ingest step like any source's
// quote. Used by config/demo.toml; no network.
#include <memory>
#include <random>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "tickerd/config.hpp"
#include "tickerd/feeds/sim.hpp"
#include "upstream/ingest.hpp"

namespace tickerd {

class sim_loop : public std::enable_shared_from_this<sim_loop> {
public:
    sim_loop(boost::asio::any_io_executor ex, const provider_config& provider, std::vector<fed_symbol> symbols,
             ingest& in);
    void start();
    void stop();

private:
    void tick();
    void schedule();

    boost::asio::strand<boost::asio::any_io_executor> strand_;
    boost::asio::steady_timer timer_;
    const provider_config provider_;
    const std::vector<fed_symbol> symbols_;
    std::vector<feeds::sim_walk> walks_;
    ingest& ingest_;
    const ingest_source source_{"sim", "sim", std::nullopt, nullptr};
    std::minstd_rand rng_;
    bool stopped_ = false;
};

}  // namespace tickerd

#include "upstream/sim_loop.hpp"

#include <stdexcept>


namespace tickerd {

namespace net = boost::asio;

sim_loop::sim_loop(net::any_io_executor ex, const provider_config& provider, std::vector<fed_symbol> symbols,
                   ingest& in)
    : strand_(net::make_strand(ex)),
      timer_(strand_),
      provider_(provider),
      symbols_(std::move(symbols)),
      ingest_(in),
      rng_(static_cast<std::minstd_rand::result_type>(provider.seed)) {
    const snapshot_store& store = ingest_.store();
    for (const auto [i, rank] : symbols_) {
        const auto sym = store.symbol(i);
        if (!sym) throw std::logic_error("sim_loop: symbol slot not configured");
        walks_.emplace_back(provider_.seed, sym->id, sym->start_price.value_or(decimal::from_int(100)), sym->precision);
        // After a reload the walk goes on from the price already published.
        if (const auto cur = store.get(i)) walks_.back().resume(cur->q.price);
    }
}

void sim_loop::start() {
    net::dispatch(strand_, [self = shared_from_this()] {
        self->tick();  // publish the start prices at once
    });
}

void sim_loop::stop() {
    net::dispatch(strand_, [self = shared_from_this()] {
        self->stopped_ = true;
        self->timer_.cancel();
    });
}

void sim_loop::schedule() {
    if (stopped_) return;
    timer_.expires_after(provider_.interval);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->stopped_) return;
        self->tick();
    });
}

void sim_loop::tick() {
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now());
    std::bernoulli_distribution moves(0.6);
    for (std::size_t k = 0; k < symbols_.size(); ++k) {
        const auto symp = ingest_.store().symbol(symbols_[k].index);
        if (!symp) continue;  // removed by a reload; this loop is being stopped
        // The first tick publishes the start price; later ones take a step 60% of
        // the time, else confirm the current price (freshness, nothing published).
        const bool first = !ingest_.store().get(symbols_[k].index);
        raw_quote raw;
        raw.price = first || !moves(rng_) ? walks_[k].current() : walks_[k].next();
        raw.reference = walks_[k].start();
        raw.as_of = now;
        raw.market = symp->cls == asset_class::equity ? market_state::open : market_state::always;
        ingest_.quote(source_, symbols_[k], raw, now);
    }
    schedule();
}

}  // namespace tickerd

#include "daemon/sim_loop.hpp"

#include <stdexcept>

#include "tickerd/normaliser.hpp"

namespace tickerd {

namespace net = boost::asio;

sim_loop::sim_loop(net::any_io_executor ex, const provider_config& provider, std::vector<std::size_t> symbols,
                   snapshot_store& store)
    : strand_(net::make_strand(ex)),
      timer_(strand_),
      provider_(provider),
      symbols_(std::move(symbols)),
      store_(store),
      rng_(static_cast<std::minstd_rand::result_type>(provider.seed)) {
    for (const std::size_t i : symbols_) {
        const auto sym = store_.symbol(i);
        if (!sym) throw std::logic_error("sim_loop: symbol slot not configured");
        walks_.emplace_back(provider_.seed, sym->id, sym->start_price.value_or(decimal::from_int(100)), sym->precision);
        // After a reload the walk goes on from the price already published.
        if (const auto cur = store_.get(i)) walks_.back().resume(cur->q.price);
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
        const std::size_t index = symbols_[k];
        const auto cur = store_.get(index);
        const bool first = !cur;
        if (!first && !moves(rng_)) {
            store_.apply(cur->q, now);  // confirms freshness, publishes nothing
            continue;
        }
        const auto symp = store_.symbol(index);
        if (!symp) continue;  // removed by a reload; this loop is being stopped
        const symbol_config& sym = *symp;
        raw_quote raw;
        raw.price = first ? walks_[k].current() : walks_[k].next();
        raw.reference = walks_[k].start();
        raw.as_of = now;
        raw.market = sym.cls == asset_class::equity ? market_state::open : market_state::always;
        auto q = normalise(raw, sym, "sim", wanted_reference(sym.cls), std::nullopt, now);
        if (q) store_.apply(std::move(*q), now);
    }
    schedule();
}

}  // namespace tickerd

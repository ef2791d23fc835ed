#include "reloader.hpp"

#include <csignal>

#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "settings/config_loader.hpp"
#include "settings/reload_plan.hpp"
#include "ops/systemd_notify.hpp"

namespace tickerd {

namespace net = boost::asio;

reloader::reloader(net::io_context& ioc, std::shared_ptr<const config> running, const provider_keys& keys,
                   feed_deps deps, snapshot_store& store, quote_gate& gate, hub& clients, server_state& state,
                   bool polls)
    : strand_(net::make_strand(ioc)),
      hup_(strand_, SIGHUP),
      running_(std::move(running)),
      deps_(deps),
      store_(store),
      gate_(gate),
      clients_(clients),
      state_(state),
      polls_(polls),
      feeds_(polls ? std::make_unique<feed_set>(*running_, *store.layout(), keys, deps) : nullptr) {
    wait_signal();
}

reloader::~reloader() {
    if (loader_.joinable()) loader_.join();
}

void reloader::stop() {
    net::dispatch(strand_, [this] {
        stopped_ = true;
        boost::system::error_code ignored;
        hup_.cancel(ignored);
        if (feeds_) feeds_->stop();
    });
}

void reloader::wait_signal() {
    hup_.async_wait([this](boost::system::error_code ec, int) {
        if (ec || stopped_) return;
        begin();
        wait_signal();
    });
}

void reloader::begin() {
    if (loading_) {
        again_ = true;  // the file may have changed after that read began
        return;
    }
    loading_ = true;
    spdlog::info("received SIGHUP: reloading {}", running_->file);
    systemd::reloading();
    // The previous reader has posted its result, its last act: this join is immediate.
    if (loader_.joinable()) loader_.join();
    loader_ = std::thread([this, path = running_->file] {
        auto loaded = load_config(path);
        provider_keys keys;
        if (loaded) keys = read_provider_keys(*loaded);
        net::post(strand_, [this, loaded = std::move(loaded), keys = std::move(keys)]() mutable {
            apply(std::move(loaded), std::move(keys));
        });
    });
}

void reloader::apply(result<config, config_error> loaded, provider_keys keys) {
    loading_ = false;
    if (stopped_) return;
    if (!loaded) {
        spdlog::error("reload refused, the running configuration is kept: {}", loaded.error().what());
        deps_.stats.config_reload(false);
    } else {
        reload_plan plan = plan_reload(*running_, std::move(*loaded));
        for (const auto& key : plan.restart_needed) {
            spdlog::warn("{}: {}: changed, but only a restart applies it: the running value is kept", running_->file,
                         key);
        }
        auto next = std::make_shared<const config>(std::move(plan.next));
        // Stop all, start all: the quotes stay in the store, so clients see no gap.
        if (feeds_) feeds_->stop();
        const auto change = store_.reconfigure(next->symbols);
        gate_.reconfigure(*change.layout, next->bad_tick);
        deps_.history.reconfigure(change.layout->slots.size(), change.removed_slots);
        if (polls_) feeds_ = std::make_unique<feed_set>(*next, *change.layout, keys, deps_);
        clients_.layout_changed();
        state_.set_config(next);
        running_ = std::move(next);
        spdlog::info("reloaded {}: {} symbols, added [{}], removed [{}]", running_->file, running_->symbols.size(),
                     fmt::join(change.added, ", "), fmt::join(change.removed, ", "));
        deps_.stats.config_reload(true);
    }
    systemd::ready();  // READY=1 ends the RELOADING=1 sent in begin()
    if (again_) {
        again_ = false;
        begin();
    }
}

}  // namespace tickerd

#include "app.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <thread>

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "cluster/cluster_node.hpp"
#include "ops/fd_limit.hpp"
#include "ops/metrics.hpp"
#include "ops/persisted_state.hpp"
#include "ops/rate_limited_log.hpp"
#include "ops/systemd_notify.hpp"
#include "reloader.hpp"
#include "serve/hub.hpp"
#include "serve/io_shards.hpp"
#include "serve/stream_session.hpp"
#include "serve/listener.hpp"
#include "serve/server_state.hpp"
#include "serve/static_files.hpp"
#include "tickerd/day_reference_book.hpp"
#include "tickerd/market_calendar.hpp"
#include "tickerd/price_history.hpp"
#include "tickerd/quote_gate.hpp"
#include "tickerd/snapshot_store.hpp"
#include "upstream/feed_set.hpp"
#include "upstream/ingest.hpp"
#include "upstream/provider_resources.hpp"

namespace tickerd {

namespace net = boost::asio;

namespace {

std::uint64_t first_sequence() {
    // Microseconds since the epoch: seq keeps increasing across restarts, so a
    // client resuming with ?since= from an earlier run never misses a change.
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now().time_since_epoch()).count());
}

// Re-arms itself every period and marks quotes stale once past their max_age.
void run_expiry(const std::shared_ptr<net::steady_timer>& timer, snapshot_store& store, std::chrono::milliseconds period) {
    timer->expires_after(period);
    timer->async_wait([timer, &store, period](boost::system::error_code ec) {
        if (ec) return;
        const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now());
        // A market that is closed now has no trades to confirm: its quote does not turn stale.
        store.expire(now, [now](const symbol_config& sym) {
            return sym.calendar != nullptr && is_resting(state_at(*sym.calendar, now));
        });
        run_expiry(timer, store, period);
    });
}

// [ops] "5 symbols, 4 fresh, 120 clients" for `systemctl status`, every few seconds.
void run_status(const std::shared_ptr<net::steady_timer>& timer, const snapshot_store& store, const hub& clients) {
    std::size_t fresh = 0;
    const auto st = store.status();
    for (const auto& s : st) fresh += s.has_quote && !s.stale ? 1 : 0;
    systemd::status(fmt::format("{} symbols, {} fresh, {} clients", st.size(), fresh, clients.size()));
    timer->expires_after(std::chrono::seconds(5));
    timer->async_wait([timer, &store, &clients](boost::system::error_code ec) {
        if (!ec) run_status(timer, store, clients);
    });
}

// [ops] WATCHDOG=1 from shard 0, sent only while every other shard answered
// the previous round's post: a wedged io loop, any of them, stops it and
// systemd restarts the daemon.
void run_watchdog(const std::shared_ptr<net::steady_timer>& timer, std::chrono::microseconds period,
                  const std::shared_ptr<std::atomic<unsigned>>& unanswered, const std::vector<net::any_io_executor>& others) {
    if (unanswered->load() == 0) {
        systemd::watchdog();
        unanswered->store(static_cast<unsigned>(others.size()));
        for (const auto& ex : others) net::post(ex, [unanswered] { unanswered->fetch_sub(1); });
    }
    timer->expires_after(period);
    timer->async_wait([timer, period, unanswered, &others](boost::system::error_code ec) {
        if (!ec) run_watchdog(timer, period, unanswered, others);
    });
}

// A provider whose ca_file cannot be loaded is a configuration error; the
// contexts (and request pacers) are shared by every feed of a provider.
bool load_provider_tls(const config& cfg, provider_resources& providers) {
    for (const auto& [name, p] : cfg.providers) {
        if (name == "sim") continue;
        std::string error;
        if (providers.tls(cfg, p, error) == nullptr) {
            spdlog::critical("invalid configuration: {}", error);
            return false;
        }
    }
    return true;
}

// Serves on the socket systemd passed (socket activation), else binds server.listen. Empty, or the error.
std::string open_listener(listener& http, const config& cfg) {
    if (const int passed = systemd::listen_fds(); passed > 0) {
        if (passed > 1) spdlog::warn("systemd passed {} sockets: only the first is used", passed);
        if (auto err = http.adopt(systemd::first_listen_fd()); !err.empty()) return err;
        spdlog::info("using the socket passed by systemd (socket activation); server.listen is not used");
        return {};
    }
    return http.bind(cfg.server.listen_host, cfg.server.listen_port);
}

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep) {
    const std::string host = ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    return fmt::format("http://{}:{}", host, ep.port());
}

static_files load_web_root(const config& cfg) {
    const std::string web_root = cfg.server.web_root.empty() ? TICKERD_DEFAULT_WEB_ROOT : cfg.server.web_root;
    std::string web_error;
    auto web = static_files::load(web_root, web_error);
    if (!web_error.empty()) spdlog::warn("{}", web_error);
    for (const auto& link : web.skipped()) spdlog::warn("web root: {} is a symlink that leads outside the web root (or nowhere): not served", link);
    spdlog::info("serving {} static files from {}", web.size(), web_root);
    return web;
}

void warn_if_few_files(const config& cfg) {
    const std::uint64_t max_files = raise_open_file_limit();
    if (cfg.limits.max_connections != 0 && max_files < cfg.limits.max_connections + 64) {
        spdlog::warn("open file limit {} is below limits.max_connections {} (+64): raise LimitNOFILE", max_files,
                     cfg.limits.max_connections);
    }
}

}  // namespace

int run_daemon(const config& cfg) {
    const unsigned threads = cfg.server.threads != 0 ? cfg.server.threads : std::max(1u, std::thread::hardware_concurrency());
    // Declared before the io_context so that they outlive it: sessions and loops
    // still held by pending handlers are destroyed with the io_context and use these.
    provider_resources providers;
    if (!load_provider_tls(cfg, providers)) return 2;

    // core: the model. Every change goes to the history and, through the hub, to every stream client.
    // On a cluster edge the bucket's revisions number the quotes (docs/scaling.md), from 1.
    const bool edge = cfg.cluster.role == cluster_role::edge;
    snapshot_store store(cfg.symbols, edge ? 1 : first_sequence());
    price_history history(cfg.symbols.size(), cfg.history);
    day_reference_book day_refs;
    hub clients;
    // cluster: a publisher writes every change to NATS, an edge fills the store from it (own thread).
    cluster_node cluster(cfg.cluster, store);
    store.on_change([&clients, &history, &cluster](const quote_change& change) {
        history.record(change.index, change.quote->q.received_at, change.quote->q.price);
        clients.broadcast(change);
        cluster.changed(change);
    });
    metrics stats(TICKERD_VERSION);

    // ops: what an earlier run saved, put back before anything is served.
    persisted_state saved(cfg, store, history, day_refs);
    saved.start();

    // upstream: the one way into the store.
    rate_limited_log upstream_log;
    quote_gate gate(cfg, store);
    ingest in(store, gate, upstream_log, stats);

    // serve: what every session reads.
    server_state state(cfg, store, clients, history, load_web_root(cfg), stats);
    state.active_source = [&gate](std::size_t index) { return gate.active_source(index); };
    if (cluster.role() != cluster_role::standalone) {
        state.cluster_problem = [&cluster] { return cluster.problem(); };
        state.cluster_metrics = [&cluster] { return cluster.metrics_text(); };
    }

    // One io_context per io thread (serve/io_shards); shard 0 also runs the
    // poll loops, feeds and the daemon's own timers.
    io_shards shards(threads);
    clients.set_shards(shards.executors(), stream_session::sweep_period(cfg));
    net::io_context& ioc = shards.main();
    warn_if_few_files(cfg);
    auto http = std::make_shared<listener>(shards, state);
    if (auto err = open_listener(*http, cfg); !err.empty()) {
        spdlog::critical("cannot listen: {}", err);
        return 1;
    }
    // server.ops_listen: always bound here, also under socket activation (which passes the main socket only).
    std::shared_ptr<listener> ops;
    if (cfg.server.ops_listen_set) {
        ops = std::make_shared<listener>(shards, state, true);
        if (auto err = ops->bind(cfg.server.ops_listen_host, cfg.server.ops_listen_port); !err.empty()) {
            spdlog::critical("cannot listen on server.ops_listen: {}", err);
            return 1;
        }
    }
    // The feeds of the running config; SIGHUP replaces them (see reloader). Set up
    // before "listening on" is logged, so a SIGHUP from then on is always a reload.
    // An edge never polls: no feeds, so no API keys either.
    const provider_keys keys = cluster.polls() ? read_provider_keys(cfg) : provider_keys{};
    reloader live(ioc, std::make_shared<const config>(cfg), keys,
                  feed_deps{ioc.get_executor(), providers, in, upstream_log, stats, history, &day_refs}, store, gate,
                  clients, state, cluster.polls());
    if (cfg.server.allowed_sites.empty()) {
        spdlog::info("any site may embed the bar (server.allowed_sites is empty)");
    } else {
        spdlog::info("sites allowed to embed the bar (server.allowed_sites): {}",
                     fmt::join(cfg.server.allowed_sites, ", "));
    }
    if (ops) {
        // Logged before "listening on", which test harnesses and operators wait for.
        spdlog::info("ops endpoints (/metrics, /healthz, /readyz) on {}; /metrics is not served on the main listener",
                     endpoint_text(ops->local_endpoint()));
        ops->start();
    }
    spdlog::info("tickerd {} listening on {} ({} symbols, {} io threads)", TICKERD_VERSION,
                 endpoint_text(http->local_endpoint()), cfg.symbols.size(), threads);
    http->start();
    cluster.start();

    // The daemon's own timers and its SIGTERM handler share one strand (on shard 0,
    // which has one thread: the strand says so and costs nothing at this rate).
    auto own = net::make_strand(ioc);
    const auto other_shards = [&shards] {
        auto all = shards.executors();
        all.erase(all.begin());
        return all;
    }();
    auto expiry = std::make_shared<net::steady_timer>(own);
    auto status_timer = std::make_shared<net::steady_timer>(own);
    auto watchdog_timer = std::make_shared<net::steady_timer>(own);
    net::signal_set signals(own, SIGINT, SIGTERM);
    net::steady_timer shutdown_deadline(own);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        systemd::stopping();  // first: systemd knows the stop is deliberate
        systemd::status("shutting down");
        spdlog::info("received signal {}: shutting down", sig);
        for (const auto& timer : {expiry, status_timer, watchdog_timer}) timer->cancel();
        http->stop();
        if (ops) ops->stop();
        live.stop();
        clients.close_all();
        // Give clients a moment to complete the closing handshake.
        shutdown_deadline.expires_after(std::chrono::milliseconds(clients.size() > 0 ? 1000 : 0));
        shutdown_deadline.async_wait([&](boost::system::error_code) { shards.stop(); });
    });

    // Listening, polling, handling SIGTERM, state loaded: ready.
    run_expiry(expiry, store, std::chrono::milliseconds(250));
    systemd::ready();
    run_status(status_timer, store, clients);
    if (const auto period = systemd::watchdog_interval()) {
        spdlog::info("systemd watchdog on: WATCHDOG=1 every {} ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(*period).count());
        run_watchdog(watchdog_timer, *period, std::make_shared<std::atomic<unsigned>>(0), other_shards);
    }

    shards.run();
    cluster.stop();  // its thread feeds the store, and so the hub: stopped before they go
    saved.stop_and_save();  // the last save, once the io loop has stopped
    const std::uint64_t upstream_ok = stats.requests_total(upstream_outcome::ok);
    spdlog::info("stopped ({} upstream requests ok, {} failed, {} quotes rejected)", upstream_ok,
                 stats.requests_total() - upstream_ok, stats.quotes_rejected_total());
    return 0;
}

}  // namespace tickerd

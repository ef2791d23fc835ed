#include "daemon/app.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "daemon/fd_limit.hpp"
#include "daemon/hub.hpp"
#include "daemon/listener.hpp"
#include "daemon/poll_loop.hpp"
#include "daemon/rate_limited_log.hpp"
#include "daemon/server_state.hpp"
#include "daemon/sim_loop.hpp"
#include "daemon/quote_gate.hpp"
#include "daemon/static_files.hpp"
#include "daemon/stream_feed.hpp"
#include "tickerd/feeds/sim.hpp"
#include "tickerd/price_history.hpp"
#include "tickerd/feed.hpp"
#include "tickerd/market_calendar.hpp"
#include "tickerd/snapshot_store.hpp"

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
        store.expire(now, [&store, now](std::size_t i) {
            const auto& cal = store.symbols()[i].calendar;
            return cal != nullptr && is_resting(state_at(*cal, now));
        });
        run_expiry(timer, store, period);
    });
}

// The demo has no past: give its sparklines a simulated one ending at the start price.
void backfill_sim_history(const config& cfg, const std::vector<std::size_t>& simulated, price_history& history) {
    const auto res = cfg.history.resolution;
    const auto n = static_cast<std::size_t>(cfg.history.retention / res);
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now());
    for (const std::size_t i : simulated) {
        const symbol_config& sym = cfg.symbols[i];
        const auto prices = feeds::sim_history(cfg.providers.at("sim").seed, sym.id,
                                               sym.start_price.value_or(decimal::from_int(100)), sym.precision, n);
        for (std::size_t k = 0; k < prices.size(); ++k) {
            history.record(i, now - res * static_cast<long>(prices.size() - k), prices[k]);
        }
    }
}

// A keyed provider's API key: from providers.NAME.api_key_file (systemd
// credentials), else from $TICKERD_<NAME>_API_KEY. Never from the TOML, never logged.
std::optional<std::string> read_api_key(const provider_config& p) {
    std::string env_name = "TICKERD_" + p.name + "_API_KEY";
    for (char& c : env_name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string key;
    if (!p.api_key_file.empty()) {
        std::ifstream in(p.api_key_file);
        std::getline(in, key);
        if (!in && key.empty()) {
            spdlog::warn("{}: cannot read the API key file {}: its sources are skipped", p.name, p.api_key_file);
            return std::nullopt;
        }
    } else if (const char* v = std::getenv(env_name.c_str())) {
        key = v;
    }
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.erase(0, 1);
    if (key.empty()) {
        spdlog::warn("{}: no API key (set {} or providers.{}.api_key_file): its sources are skipped", p.name, env_name,
                     p.name);
        return std::nullopt;
    }
    return key;
}

}  // namespace

int run_daemon(const config& cfg) {
    const unsigned threads = cfg.server.threads != 0 ? cfg.server.threads : std::max(1u, std::thread::hardware_concurrency());

    // Declared before the io_context so that they outlive it: sessions and loops
    // still held by pending handlers are destroyed with the io_context and use these.
    net::ssl::context tls(net::ssl::context::tls_client);
    tls.set_default_verify_paths();
    tls.set_verify_mode(net::ssl::verify_peer);
    tls.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 | net::ssl::context::no_sslv3 |
                    net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    snapshot_store store(cfg.symbols, first_sequence());
    hub clients;
    price_history history(cfg.symbols.size(), cfg.history);
    store.on_change([&clients, &history](const quote_change& change) {
        history.record(change.index, change.quote->q.received_at, change.quote->q.price);
        clients.broadcast(change);
    });
    const std::string web_root = cfg.server.web_root.empty() ? TICKERD_DEFAULT_WEB_ROOT : cfg.server.web_root;
    std::string web_error;
    auto web = static_files::load(web_root, web_error);
    if (!web_error.empty()) spdlog::warn("{}", web_error);
    spdlog::info("serving {} static files from {}", web.size(), web_root);
    server_state state(cfg, store, clients, history, std::move(web));
    rate_limited_log upstream_log;
    poll_counters counters;
    quote_gate gate(cfg, store, upstream_log);

    net::io_context ioc(static_cast<int>(threads));
    const std::uint64_t max_files = raise_open_file_limit();
    if (cfg.limits.max_connections != 0 && max_files < cfg.limits.max_connections + 64) {
        spdlog::warn("open file limit {} is below limits.max_connections {} (+64): raise LimitNOFILE", max_files,
                     cfg.limits.max_connections);
    }

    auto http = std::make_shared<listener>(ioc, state);
    if (auto err = http->bind(cfg.server.listen_host, cfg.server.listen_port); !err.empty()) {
        spdlog::critical("cannot listen: {}", err);
        return 1;
    }
    const auto ep = http->local_endpoint();
    const std::string host = ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
    spdlog::info("tickerd {} listening on http://{}:{} ({} symbols, {} io threads)", TICKERD_VERSION, host, ep.port(),
                 cfg.symbols.size(), threads);
    http->start();

    // One poll loop per (provider, upstream symbol), for every source of every
    // symbol: backups stay warm, and source_failover decides which one is published.
    std::map<std::pair<std::string, std::string>, std::vector<fed_symbol>> polled;
    std::vector<std::size_t> simulated;
    for (std::size_t i = 0; i < cfg.symbols.size(); ++i) {
        for (std::size_t rank = 0; rank < cfg.symbols[i].sources.size(); ++rank) {
            const source_ref& src = cfg.symbols[i].sources[rank];
            if (src.provider == "sim") {
                simulated.push_back(i);  // the config loader keeps sim apart from real providers
                break;
            }
            polled[{src.provider, src.upstream_symbol}].push_back({i, rank});
        }
    }
    std::vector<std::shared_ptr<poll_loop>> loops;
    std::map<std::string, std::optional<std::string>> api_keys;  // provider -> key, nullopt: skipped
    for (auto& [key, indexes] : polled) {
        const poll_feed* feed = find_poll_feed(key.first);
        if (feed == nullptr) continue;  // not polled (sim, push feeds)
        std::string api_key;
        if (!feed->key_header.empty()) {
            auto [it, fresh] = api_keys.try_emplace(key.first);
            if (fresh) it->second = read_api_key(cfg.providers.at(key.first));
            if (!it->second) continue;  // warned once in read_api_key; its sources never answer
            api_key = *it->second;
        }
        auto loop = std::make_shared<poll_loop>(ioc.get_executor(), tls, *feed, cfg.providers.at(key.first), key.second,
                                                indexes, store, gate, upstream_log, counters, api_key);
        loop->start();
        loops.push_back(std::move(loop));
    }
    // Push sources: one WebSocket feed per (coinbase_ws, product), for every symbol and rank that uses it.
    std::vector<std::shared_ptr<stream_feed>> streams;
    for (auto& [key, indexes] : polled) {
        if (key.first != "coinbase_ws") continue;
        auto feed = std::make_shared<stream_feed>(ioc.get_executor(), tls, cfg.providers.at(key.first), key.second,
                                                  indexes, store, gate, upstream_log, counters);
        feed->start();
        streams.push_back(std::move(feed));
    }
    std::shared_ptr<sim_loop> sim;
    if (!simulated.empty()) {
        backfill_sim_history(cfg, simulated, history);
        sim = std::make_shared<sim_loop>(ioc.get_executor(), cfg.providers.at("sim"), simulated, store);
        sim->start();
        spdlog::warn("serving simulated quotes (provider sim) for {} symbols: not market data", simulated.size());
    }

    auto expiry = std::make_shared<net::steady_timer>(ioc);
    run_expiry(expiry, store, std::chrono::milliseconds(250));

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    net::steady_timer shutdown_deadline(ioc);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        spdlog::info("received signal {}: shutting down", sig);
        http->stop();
        for (auto& l : loops) l->stop();
        for (auto& f : streams) f->stop();
        if (sim) sim->stop();
        expiry->cancel();
        clients.close_all();
        // Give clients a moment to complete the closing handshake.
        shutdown_deadline.expires_after(std::chrono::milliseconds(clients.size() > 0 ? 1000 : 0));
        shutdown_deadline.async_wait([&](boost::system::error_code) { ioc.stop(); });
    });

    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : pool) t.join();
    spdlog::info("stopped ({} polls ok, {} failed, {} quotes rejected)", counters.polls_ok.load(),
                 counters.polls_failed.load(), counters.quotes_rejected.load());
    return 0;
}

}  // namespace tickerd

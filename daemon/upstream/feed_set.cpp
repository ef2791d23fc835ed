#include "upstream/feed_set.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>

#include <unistd.h>

#include <spdlog/spdlog.h>

#include "upstream/sim_loop.hpp"
#include "upstream/coinbase_feed.hpp"
#include "tickerd/feeds/registry.hpp"
#include "tickerd/feeds/sim.hpp"

namespace tickerd {

namespace {

// A keyed provider's API key, from the first of: providers.NAME.api_key_file;
// $CREDENTIALS_DIRECTORY/NAME_api_key (systemd LoadCredential=); $TICKERD_<NAME>_API_KEY.
// Never from the TOML, never logged.
std::optional<std::string> read_api_key(const provider_config& p) {
    std::string env_name = "TICKERD_" + p.name + "_API_KEY";
    for (char& c : env_name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string key;
    // systemd credentials: a file named NAME_api_key in $CREDENTIALS_DIRECTORY.
    std::string credential;
    if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir != nullptr && *dir != '\0') {
        credential = std::string(dir) + "/" + p.name + "_api_key";
        if (::access(credential.c_str(), F_OK) != 0) credential.clear();
    }
    if (!p.api_key_file.empty() || !credential.empty()) {
        const std::string& file = !p.api_key_file.empty() ? p.api_key_file : credential;
        std::ifstream in(file);
        std::getline(in, key);
        if (!in && key.empty()) {
            spdlog::warn("{}: cannot read the API key file {}: its sources are skipped", p.name, file);
            return std::nullopt;
        }
    } else if (const char* v = std::getenv(env_name.c_str())) {
        key = v;
    }
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.erase(0, 1);
    if (key.empty()) {
        spdlog::warn("{}: no API key (set {} or providers.{}.api_key_file) and no systemd credential {}_api_key: "
                     "its sources are skipped",
                     p.name, env_name, p.name, p.name);
        return std::nullopt;
    }
    return key;
}

// The demo has no past: give its sparklines a simulated one ending at the start price.
void backfill_sim_history(const config& cfg, const symbol_config& sym, std::size_t slot, price_history& history) {
    const auto res = history.config().resolution;
    const auto n = static_cast<std::size_t>(history.config().retention / res);
    const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now());
    const auto prices = feeds::sim_history(cfg.providers.at("sim").seed, sym.id,
                                           sym.start_price.value_or(decimal::from_int(100)), sym.precision, n);
    for (std::size_t k = 0; k < prices.size(); ++k) {
        history.record(slot, now - res * static_cast<long>(prices.size() - k), prices[k]);
    }
}

}  // namespace

provider_keys read_provider_keys(const config& cfg) {
    provider_keys keys;
    for (const auto& sym : cfg.symbols) {
        for (const auto& src : sym.sources) {
            const poll_feed* feed = find_poll_feed(src.provider);
            if (feed == nullptr || feed->key_header.empty() || keys.count(src.provider) != 0) continue;
            keys[src.provider] = read_api_key(cfg.providers.at(src.provider));
        }
    }
    return keys;
}

feed_set::feed_set(const config& cfg, const symbol_layout& layout, const provider_keys& keys, feed_deps deps) {
    std::map<std::pair<std::string, std::string>, std::vector<fed_symbol>> polled;
    std::vector<fed_symbol> simulated;
    for (std::size_t i = 0; i < cfg.symbols.size() && i < layout.order.size(); ++i) {
        const std::size_t slot = layout.order[i];
        for (std::size_t rank = 0; rank < cfg.symbols[i].sources.size(); ++rank) {
            const source_ref& src = cfg.symbols[i].sources[rank];
            if (src.provider == "sim") {
                simulated.push_back({slot, rank});  // the config loader keeps sim apart from real providers
                if (deps.history.empty(slot)) backfill_sim_history(cfg, cfg.symbols[i], slot, deps.history);
                break;
            }
            polled[{src.provider, src.upstream_symbol}].push_back({slot, rank});
        }
    }
    // The provider's TLS context; null (logged) when its ca_file cannot be loaded.
    const auto tls_for = [&](const provider_config& p) {
        std::string error;
        auto* tls = deps.providers.tls(cfg, p, error);
        if (tls == nullptr) spdlog::error("{}: its sources are skipped", error);
        return tls;
    };
    for (auto& [key, fed] : polled) {
        const poll_feed* feed = find_poll_feed(key.first);
        if (feed == nullptr) continue;  // not polled (sim, push feeds)
        std::string api_key;
        if (!feed->key_header.empty()) {
            const auto it = keys.find(key.first);
            if (it == keys.end() || !it->second) continue;  // warned in read_provider_keys; its sources never answer
            api_key = *it->second;
        }
        const provider_config& p = cfg.providers.at(key.first);
        auto* tls = tls_for(p);
        if (tls == nullptr) continue;
        auto loop = std::make_shared<poll_loop>(deps.ex, *tls, *feed, p, key.second, fed, deps.in, deps.log, deps.stats, api_key, deps.day_refs, deps.providers.pacer(p));
        loop->start();
        loops_.push_back(std::move(loop));
    }
    // Push sources: one WebSocket feed per (coinbase_ws, product), for every symbol and rank that uses it.
    for (auto& [key, fed] : polled) {
        if (key.first != "coinbase_ws") continue;
        const provider_config& p = cfg.providers.at(key.first);
        auto* tls = tls_for(p);
        if (tls == nullptr) continue;
        auto feed = std::make_shared<coinbase_feed>(deps.ex, *tls, p, key.second, fed, deps.in, deps.log, deps.stats);
        feed->start();
        streams_.push_back(std::move(feed));
    }
    if (!simulated.empty()) {
        sim_ = std::make_shared<sim_loop>(deps.ex, cfg.providers.at("sim"), simulated, deps.in);
        sim_->start();
        spdlog::warn("serving simulated quotes (provider sim) for {} symbols: not market data", simulated.size());
    }
}

feed_set::~feed_set() = default;

void feed_set::stop() {
    for (auto& l : loops_) l->stop();
    for (auto& f : streams_) f->stop();
    if (sim_) sim_->stop();
}

}  // namespace tickerd

#pragma once
// The sources that feed the store for one configuration: a poll loop per
// (provider, upstream symbol) for every source of every symbol (backups stay
// warm; the quote_gate decides which one is published), a push feed per
// coinbase_ws product, and the sim loop. Built and started together, stopped
// together (a reload replaces the whole set; quotes stay in the store).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "tickerd/day_reference_book.hpp"
#include "ops/metrics.hpp"
#include "upstream/poll_loop.hpp"
#include "upstream/provider_resources.hpp"
#include "upstream/ingest.hpp"
#include "ops/rate_limited_log.hpp"
#include "tickerd/config.hpp"
#include "tickerd/price_history.hpp"
#include "tickerd/snapshot_store.hpp"

namespace boost::asio::ssl {
class context;
}

namespace tickerd {

class sim_loop;
class coinbase_feed;

// Provider name -> its API key, or nullopt when it has none (its sources are skipped).
using provider_keys = std::map<std::string, std::optional<std::string>>;

// The keys of the keyed providers the config's symbols use: from
// providers.NAME.api_key_file, $CREDENTIALS_DIRECTORY/NAME_api_key (systemd
// LoadCredential=), else $TICKERD_<NAME>_API_KEY.
// Never from the TOML, never logged. Reads files: call it off the io threads.
provider_keys read_provider_keys(const config& cfg);

struct feed_deps {
    boost::asio::any_io_executor ex;
    provider_resources& providers;  // TLS contexts and request pacers, per provider
    ingest& in;                     // normalise → gate → store, for every source
    rate_limited_log& log;
    metrics& stats;
    price_history& history;
    day_reference_book* day_refs = nullptr;  // for providers whose reference the daemon keeps (openerapi)
};

class feed_set {
public:
    // `layout` is the store's layout for `cfg`: cfg.symbols[i] has slot layout.order[i].
    feed_set(const config& cfg, const symbol_layout& layout, const provider_keys& keys, feed_deps deps);
    ~feed_set();
    feed_set(const feed_set&) = delete;
    feed_set& operator=(const feed_set&) = delete;

    // Stops every loop and feed; returns at once (each stops on its own strand).
    void stop();

private:
    std::vector<std::shared_ptr<poll_loop>> loops_;
    std::vector<std::shared_ptr<coinbase_feed>> streams_;
    std::shared_ptr<sim_loop> sim_;
};

}  // namespace tickerd

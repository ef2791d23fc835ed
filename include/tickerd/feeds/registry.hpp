#pragma once
// The provider registry: every provider a config may name, with its policy
// (defaults, reference rule) and, for a polled (HTTP) one, its request targets
// and parser. Parsers are pure: bytes (and the time, passed in) to a raw quote
// or an error.
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tickerd/raw_quote.hpp"

namespace tickerd {

// A provider polled over HTTP: which request targets one poll needs (relative to
// its base_url, e.g. "/v8/finance/chart/NVDA?range=1d"), and how to turn their
// replies (same order) into a raw quote. `upstream_symbol` is the one the targets
// were made for (open.er-api reads the rate of its QUOTE currency).
struct poll_feed {
    std::string_view name;
    std::vector<std::string> (*targets)(std::string_view upstream_symbol);
    feed_result<raw_quote> (*parse)(std::span<const http_reply> replies, std::string_view upstream_symbol, time_point now);
    std::string_view key_header = {};  // non-empty: the provider needs an API key, sent in this header
    // The reply has no reference: the daemon keeps its own, the last rate of the
    // previous UTC day (by the raw quote's as_of), across restarts (open.er-api).
    bool daemon_day_reference = false;
};

// How quotes reach the daemon from a provider.
enum class provider_kind {
    polled,     // HTTP requests on an interval (poll_feed)
    push,       // a WebSocket stream (coinbase_ws)
    simulated,  // made in the process (sim)
};

// One provider's policy: what the daemon assumes when the config says nothing.
struct provider_policy {
    std::string_view name;
    provider_kind kind;
    const poll_feed* poll;                    // polled providers only, else nullptr
    std::optional<reference_kind> reference;  // what its quotes' reference is; nullopt: sim (its own start price)
    std::chrono::milliseconds interval;       // default providers.NAME.interval
    // Default providers.NAME.min_spacing, from the provider's published rate limit
    // (all of its symbols together); zero for providers that are not polled.
    std::chrono::milliseconds min_spacing;
    std::string_view user_agent;              // default User-Agent; empty: sends none (sim)
    std::string_view base_url = {};           // default base_url; empty: the config must give one
};

// nullptr for unknown providers. Names are exact ("yahoo", not "Yahoo").
const provider_policy* find_provider(std::string_view provider);
// nullptr for unknown providers and for those that are not polled (push, sim).
const poll_feed* find_poll_feed(std::string_view provider);
// Every provider name a config may use, polled or not.
bool is_known_provider(std::string_view provider);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

}  // namespace tickerd

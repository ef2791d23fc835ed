#pragma once
// The provider registry: each polled (HTTP) provider's request targets, parser
// and policy, by name. Parsers are pure: bytes (and the time, passed in) to a
// raw quote or an error.
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
    reference_kind reference;
    std::string_view key_header = {};  // non-empty: the provider needs an API key, sent in this header
    // The reply has no reference: the daemon keeps its own, the last rate of the
    // previous UTC day (by the raw quote's as_of), across restarts (open.er-api).
    bool daemon_day_reference = false;
};

// nullptr for unknown providers and for in-process ones (sim).
const poll_feed* find_poll_feed(std::string_view provider);
// Every provider name a config may use, polled or not.
bool is_known_provider(std::string_view provider);

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view s);

}  // namespace tickerd

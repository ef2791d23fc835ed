#pragma once
// What an upstream adapter produces, and the interface of polled (HTTP) feeds.
// Parsers are pure: bytes (and the time, passed in) to a raw quote or an error.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tickerd/decimal.hpp"
#include "tickerd/quote.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

struct raw_quote {
    decimal price;
    std::optional<decimal> reference;   // the reference the provider defines (previous close, 24 h open)
    std::optional<time_point> as_of;    // upstream time of the price, when it says
    market_state market = market_state::unknown;
    std::string currency;               // as the upstream spells it, empty when it does not say
};

enum class feed_error_kind {
    malformed,       // not the expected shape: bad JSON, missing field, wrong type, HTML page
    upstream_error,  // the upstream said it failed (error object, non-2xx status)
    rate_limited,    // 429 or an in-band "too many requests"
    no_data,         // unknown symbol or an empty reply
    bad_price,       // zero, negative or unparsable price
};
std::string_view to_string(feed_error_kind k);

struct feed_error {
    feed_error_kind kind;
    std::string message;  // short, single line, safe to log
};

template <class T>
using feed_result = result<T, feed_error>;

// One HTTP reply, as handed to a parser.
struct http_reply {
    unsigned status = 0;
    std::string_view content_type;
    std::string_view body;
};

// What a provider's reference price means. A symbol's sources must agree on it,
// or a failover would make change_pct jump: equities and FX use the previous
// close, crypto the open of the rolling 24 h window.
enum class reference_kind { previous_close, open_24h, utc_day_open };
reference_kind wanted_reference(asset_class cls);

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

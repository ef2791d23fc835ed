#pragma once
// What a provider's parser reads (one HTTP reply) and produces (a raw quote, or
// a typed error), and which reference price each asset class wants. The
// vocabulary between feeds/ (parsers) and the model (the normaliser).
#include <optional>
#include <string>
#include <string_view>

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

}  // namespace tickerd

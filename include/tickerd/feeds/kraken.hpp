#pragma once
// Kraken REST: GET /0/public/Ticker?pair={PAIR}
#include <string>
#include <string_view>

#include "tickerd/raw_quote.hpp"

namespace tickerd::feeds {

std::string kraken_ticker_target(std::string_view pair);

// The reply is {"error":[...],"result":{"<Kraken's own pair name>":{...}}}: the
// result key is not what was asked for (XXBTZUSD for XBTUSD), so the single
// entry is taken whatever its name. price = c[0], reference = o, no timestamp
// (as_of empty), market always.
//
// Note: `o` is today's open at 00:00 UTC, not the open of a rolling 24 h window
// as with Coinbase and Binance; the 24 h reference is not in this endpoint. The
// daemon decides whether references from different venues may be mixed.
//
// Errors arrive in the `error` array with HTTP 200; a non-empty array is a
// failure: "EGeneral:Too many requests" is rate_limited, "EQuery:Unknown asset
// pair" is no_data (with "result":{} or no result at all), others upstream_error.
feed_result<raw_quote> parse_kraken_ticker(const http_reply& reply);

}  // namespace tickerd::feeds

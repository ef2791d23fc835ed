#pragma once
// Coinbase Exchange REST: GET /products/{id}/ticker and GET /products/{id}/stats.
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/raw_quote.hpp"

namespace tickerd::feeds {

std::string coinbase_ticker_target(std::string_view product_id);
std::string coinbase_stats_target(std::string_view product_id);

// price = ticker.price, reference = stats.open (24 h), as_of = ticker.time.
// Errors come as {"message":"..."} with a 4xx/5xx status.
feed_result<raw_quote> parse_coinbase(const http_reply& ticker, const http_reply& stats);

// RFC 3339 date-time, e.g. "2026-10-07T19:10:01.482913077Z" or "...+00:00", to a
// UTC time point (fraction truncated to milliseconds). nullopt for anything else.
std::optional<time_point> parse_rfc3339(std::string_view text);

}  // namespace tickerd::feeds

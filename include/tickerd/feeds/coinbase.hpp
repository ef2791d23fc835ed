#pragma once
// Coinbase Exchange REST: GET /products/{id}/ticker and GET /products/{id}/stats.
#include <string>
#include <string_view>

#include "tickerd/feed.hpp"

namespace tickerd::feeds {

std::string coinbase_ticker_target(std::string_view product_id);
std::string coinbase_stats_target(std::string_view product_id);

// price = ticker.price, reference = stats.open (24 h), as_of = ticker.time.
// Errors come as {"message":"..."} with a 4xx/5xx status.
feed_result<raw_quote> parse_coinbase(const http_reply& ticker, const http_reply& stats);

}  // namespace tickerd::feeds

#pragma once
// Yahoo Finance chart API v8: GET /v8/finance/chart/{symbol}?range=1d&interval=5m
#include <string>
#include <string_view>

#include "tickerd/raw_quote.hpp"

namespace tickerd::feeds {

std::string yahoo_chart_target(std::string_view upstream_symbol);

// price = meta.regularMarketPrice, reference = meta.previousClose (else
// chartPreviousClose), as_of = meta.regularMarketTime, market from
// currentTradingPeriod and `now`. Understands the chart.error shape and
// non-JSON 429/5xx bodies.
feed_result<raw_quote> parse_yahoo_chart(const http_reply& reply, time_point now);

}  // namespace tickerd::feeds

#pragma once
// Binance spot REST: GET /api/v3/ticker/24hr?symbol={SYM} (a rolling 24 h window).
#include <string>
#include <string_view>

#include "tickerd/raw_quote.hpp"

namespace tickerd::feeds {

std::string binance_ticker_target(std::string_view symbol);

// price = lastPrice, reference = openPrice (the open of the rolling 24 h window;
// never prevClosePrice, which the docs leave undefined), as_of = closeTime (ms),
// market always. Currency is left empty: the quote asset is USDT, and a config
// that labels it USD does so deliberately. Prices are strings; numbers are
// tolerated. Errors come as {"code":...,"msg":"..."}: -1121 (unknown symbol) is
// no_data; 429, 418 (IP ban) and -1003 are rate_limited; 451 (restricted
// location) and the rest are upstream_error. No trades in the window (count 0,
// zero prices) is no_data.
feed_result<raw_quote> parse_binance_ticker(const http_reply& reply);

}  // namespace tickerd::feeds

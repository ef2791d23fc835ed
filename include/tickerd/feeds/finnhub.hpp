#pragma once
// Finnhub: GET /api/v1/quote?symbol={SYM}, with the API key in a header.
#include <string>
#include <string_view>

#include "tickerd/raw_quote.hpp"

namespace tickerd::feeds {

// The API key is not part of the target (targets end up in logs): the daemon
// sends it in this header.
inline constexpr std::string_view finnhub_token_header = "X-Finnhub-Token";

std::string finnhub_quote_target(std::string_view symbol);

// price = c, reference = pc (previous close), as_of = t (unix s), currency empty
// (not in the body), market unknown (not given). Numbers only.
// c == 0 with pc == 0 (d/dp null or absent) is an unknown symbol or a load
// spike: no_data, never a price. {"error":"..."} (403/401: no access on the
// plan) is upstream_error; 429 is rate_limited.
feed_result<raw_quote> parse_finnhub_quote(const http_reply& reply);

}  // namespace tickerd::feeds

#pragma once
// Pure: a provider's raw quote + the symbol's config + the time -> the quote
// the store keeps, or the reason it is rejected.
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/config.hpp"
#include "tickerd/raw_quote.hpp"
#include "tickerd/quote.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

// previous_reference: the reference of the symbol's current quote, whichever
// source gave it. It is used when the reply has none, and in place of the
// reply's own when `kind` is not what the symbol's class wants (Kraken's
// 00:00 UTC open for a crypto symbol), so that a failover keeps change_pct steady.
feed_result<quote> normalise(const raw_quote& raw, const symbol_config& sym, std::string_view source,
                             reference_kind kind, std::optional<decimal> previous_reference, time_point now);

}  // namespace tickerd

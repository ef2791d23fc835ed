#pragma once
// Pure: a provider's raw quote + the symbol's config + the time -> the quote
// the store keeps, or the reason it is rejected.
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/config.hpp"
#include "tickerd/feed.hpp"
#include "tickerd/quote.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

// previous_reference: the last accepted reference for this symbol, used when a
// reply lacks one.
feed_result<quote> normalise(const raw_quote& raw, const symbol_config& sym, std::string_view source,
                             std::optional<decimal> previous_reference, time_point now);

}  // namespace tickerd

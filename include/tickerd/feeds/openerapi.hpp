#pragma once
// open.er-api.com (ExchangeRate-API open access): GET /v6/latest/{BASE}, daily
// rates of every currency against BASE.
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/raw_quote.hpp"

namespace tickerd::feeds {

// The upstream symbol is written BASE/QUOTE, e.g. "USD/VND": two ISO 4217 codes
// of three upper-case letters.
struct currency_pair {
    std::string base;
    std::string quote;
};
std::optional<currency_pair> split_openerapi_symbol(std::string_view upstream_symbol);

// "/v6/latest/USD" for "USD/VND". For a symbol that is not BASE/QUOTE the text
// before the first '/' (or all of it) is used; the parser then refuses it.
std::string openerapi_latest_target(std::string_view upstream_symbol);

// price = rates[QUOTE] (a JSON number, read from its text exactly), as_of =
// time_last_update_unix (the day of the rate: the daemon derives the UTC day
// from it), currency = QUOTE, market unknown. The reply holds no previous rate:
// reference is left empty and the daemon keeps its own previous-day reference.
// `result` decides, not the status: anything but "success" is an error, by
// error-type: "unsupported-code" is no_data, "quota-reached" rate_limited, the
// rest upstream_error. A missing rate for QUOTE is no_data; a rate that is not
// positive is bad_price.
feed_result<raw_quote> parse_openerapi_latest(const http_reply& reply, std::string_view upstream_symbol);

}  // namespace tickerd::feeds

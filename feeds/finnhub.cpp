#include "tickerd/feeds/finnhub.hpp"

#include <simdjson.h>

#include <chrono>
#include <string>

#include "json_util.hpp"

namespace tickerd::feeds {
namespace {

using namespace detail;
using kind = feed_error_kind;

// pc missing, null or zero: together with c == 0, the "no data" shape.
bool zero_or_absent(const scalar_field& f) {
    if (f.k == scalar_field::kind::missing || f.k == scalar_field::kind::null) return true;
    if (f.k != scalar_field::kind::number) return false;
    const auto d = decimal::parse(f.text);
    return d && d->is_zero();
}

}  // namespace

std::string finnhub_quote_target(std::string_view symbol) { return "/api/v1/quote?symbol=" + url_encode(symbol); }

feed_result<raw_quote> parse_finnhub_quote(const http_reply& reply) {
    const unsigned status = reply.status;
    const bool throttled = status == 429;

    json_doc json;
    auto parsed = json.parse_object(reply.body, {status_prefix(status), throttled, says_rate_limited});
    if (!parsed) return parsed.error();
    od::object& root = *parsed;

    // {"error":"You don't have access to this resource."} (403, or 401), and
    // whatever comes with a 429.
    const scalar_field error = read_scalar(root, "error");
    const bool has_error = error.k == scalar_field::kind::string;
    const std::string text =
        has_error && !error.text.empty() ? clean_text(error.text) : std::string("no error details");
    if (throttled) return fail(kind::rate_limited, status, text);
    if (has_error) return fail(says_rate_limited(text) ? kind::rate_limited : kind::upstream_error, status, text);
    if (!is_2xx(status)) return fail(kind::upstream_error, status, text);

    const scalar_field c = read_scalar(root, "c");
    const scalar_field pc = read_scalar(root, "pc");
    raw_quote q;
    {
        auto price = read_price(c, "c", price_json::number);
        if (!price) return fail(price.error().kind, status, price.error().message);
        // Unknown symbols answer 200 with c, pc, h, l, o, t all 0 and d/dp null
        // (absent before 2021); valid symbols have briefly done the same under load.
        if (price->is_zero() && zero_or_absent(pc)) return fail(kind::no_data, status, "unknown symbol or no data (c and pc are 0)");
        if (!price->is_positive()) return fail(kind::bad_price, status, "c not positive: " + clean_text(c.text, 40));
        q.price = *price;
    }
    q.reference = optional_positive(pc, price_json::number);
    if (const auto t = to_seconds(read_scalar(root, "t")); t && *t > 0) q.as_of = time_point{std::chrono::seconds{*t}};
    q.market = market_state::unknown;  // not given; currency is not in the body either
    return q;
}

}  // namespace tickerd::feeds

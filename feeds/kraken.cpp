#include "tickerd/feeds/kraken.hpp"

#include <simdjson.h>

#include <cstddef>
#include <string>

#include "json_util.hpp"

namespace tickerd::feeds {
namespace {

using namespace detail;
using kind = feed_error_kind;

// The first element of an array field, as a scalar (c = [price, lot volume]).
// `other` when the field is not an array, `missing` when it is absent or empty.
scalar_field first_element(od::object& obj, std::string_view key, bool& is_array) {
    scalar_field out;
    is_array = false;
    od::array arr;
    od::value field;
    if (obj.find_field_unordered(key).get(field)) return out;
    if (field.get_array().get(arr)) {
        out.k = scalar_field::kind::other;
        return out;
    }
    is_array = true;
    for (auto element : arr) {
        od::value v;
        if (element.get(v)) {
            out.k = scalar_field::kind::other;
            return out;
        }
        out = scalar_of(v);
        break;
    }
    return out;
}

feed_result<raw_quote> read_pair(od::object& pair, unsigned status) {
    raw_quote q;
    bool is_array = false;
    const scalar_field last = first_element(pair, "c", is_array);
    if (!is_array && last.k == scalar_field::kind::other) return fail(kind::malformed, status, "c is not an array");
    if (is_array && last.k == scalar_field::kind::missing) return fail(kind::malformed, status, "c is empty");
    auto price = read_price(last, "c[0]", price_json::number_or_string);
    if (!price) return fail(price.error().kind, status, price.error().message);
    if (!price->is_positive()) return fail(kind::bad_price, status, "c[0] not positive: " + clean_text(last.text, 40));
    q.price = *price;

    // Today's open at 00:00 UTC ("today's prices start at midnight UTC"), NOT the
    // open of a rolling 24 h window like Coinbase's stats.open or Binance's
    // openPrice; Kraken's ticker has no 24 h open. The daemon handles agreement
    // between references of different venues.
    q.reference = optional_positive(read_scalar(pair, "o"), price_json::number_or_string);
    // No timestamp in the body: as_of stays empty (the daemon uses receipt time).
    q.market = market_state::always;
    return q;
}

}  // namespace

std::string kraken_ticker_target(std::string_view pair) { return "/0/public/Ticker?pair=" + url_encode(pair); }

feed_result<raw_quote> parse_kraken_ticker(const http_reply& reply) {
    const unsigned status = reply.status;
    const bool throttled = status == 429;

    json_doc json;
    auto parsed = json.parse_object(reply.body, {status_prefix(status), throttled, says_rate_limited});
    if (!parsed) return parsed.error();
    od::object& root = *parsed;

    // "error": ["<severity><category>:<message>", ...], with HTTP 200. Any entry is a failure.
    {
        od::value errors_value;
        if (!root.find_field_unordered("error").get(errors_value)) {
            od::array errors;
            if (errors_value.get_array().get(errors)) return fail(kind::malformed, status, "error is not an array");
            std::string text;
            bool any = false;
            bool limited = false;
            bool unknown_pair = false;
            for (auto element : errors) {
                std::string_view s;
                if (element.get_string().get(s)) return fail(kind::malformed, status, "error entry is not a string");
                any = true;
                limited = limited || says_rate_limited(s);
                unknown_pair = unknown_pair || contains_nocase(s, "Unknown asset pair");
                if (!text.empty()) text += "; ";
                if (text.size() < 200) text += s;
            }
            if (any) {
                kind k = kind::upstream_error;
                if (unknown_pair) k = kind::no_data;
                if (limited || throttled) k = kind::rate_limited;
                return fail(k, status, clean_text(text));
            }
        }
    }
    if (throttled) return fail(kind::rate_limited, status, "no error details");
    if (!is_2xx(status)) return fail(kind::upstream_error, status, "no error details");

    // "result": {"XXBTZUSD": {...}}: Kraken's own pair name, so take the single entry.
    od::value result;
    if (root.find_field_unordered("result").get(result)) return fail(kind::malformed, status, "no result and no error");
    od::object pairs;
    if (result.get_object().get(pairs)) return fail(kind::malformed, status, "result is not an object");
    std::size_t count = 0;
    std::string name;
    feed_result<raw_quote> out = fail(kind::no_data, status, "result is empty");
    for (auto field : pairs) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return fail(kind::malformed, status, "result unreadable");
        if (++count > 1) continue;
        name = clean_text(key, 24);
        od::object pair;
        if (field.value().get_object().get(pair)) return fail(kind::malformed, status, "result." + name + " is not an object");
        out = read_pair(pair, status);
    }
    if (count > 1) return fail(kind::malformed, status, "result holds " + std::to_string(count) + " pairs, expected one");
    if (!out.ok() && count == 1) return make_error(out.error().kind, out.error().message + " (result." + name + ")");
    return out;
}

}  // namespace tickerd::feeds

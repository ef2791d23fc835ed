#include "tickerd/feeds/openerapi.hpp"

#include <simdjson.h>

#include <chrono>
#include <string>

#include "json_util.hpp"

namespace tickerd::feeds {
namespace {

using namespace detail;
using kind = feed_error_kind;

bool is_currency_code(std::string_view s) {
    if (s.size() != 3) return false;
    for (const char c : s)
        if (c < 'A' || c > 'Z') return false;
    return true;
}

kind classify(std::string_view error_type) {
    if (error_type == "unsupported-code") return kind::no_data;  // unknown base currency
    if (error_type == "quota-reached") return kind::rate_limited;
    return kind::upstream_error;  // malformed-request, invalid-key, inactive-account, ...
}

}  // namespace

std::optional<currency_pair> split_openerapi_symbol(std::string_view upstream_symbol) {
    const auto slash = upstream_symbol.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const std::string_view base = upstream_symbol.substr(0, slash);
    const std::string_view quote = upstream_symbol.substr(slash + 1);
    if (!is_currency_code(base) || !is_currency_code(quote)) return std::nullopt;
    return currency_pair{std::string(base), std::string(quote)};
}

std::string openerapi_latest_target(std::string_view upstream_symbol) {
    return "/v6/latest/" + url_encode(upstream_symbol.substr(0, upstream_symbol.find('/')));
}

feed_result<raw_quote> parse_openerapi_latest(const http_reply& reply, std::string_view upstream_symbol) {
    const auto pair = split_openerapi_symbol(upstream_symbol);
    if (!pair)
        return make_error(kind::no_data, "open.er-api symbol must be BASE/QUOTE such as USD/VND, not \"" +
                                             clean_text(upstream_symbol, 40) + "\"");

    const unsigned status = reply.status;
    const bool throttled = status == 429;

    json_doc json;
    auto parsed = json.parse_object(reply.body, {status_prefix(status), throttled, says_rate_limited});
    if (!parsed) return parsed.error();
    od::object& root = *parsed;

    // {"result":"error","error-type":"unsupported-code"}. The status of error
    // bodies is not known (tests elsewhere mock 200): `result` decides.
    const scalar_field result = read_scalar(root, "result");
    const scalar_field error_type = read_scalar(root, "error-type");
    const bool has_type = error_type.k == scalar_field::kind::string && !error_type.text.empty();
    if (throttled) return fail(kind::rate_limited, status, has_type ? clean_text(error_type.text, 60) : "no error details");
    if (result.k != scalar_field::kind::string) {
        if (!is_2xx(status)) return fail(kind::upstream_error, status, "no error details");
        return fail(kind::malformed, status, result.k == scalar_field::kind::missing ? "result missing" : "result is not a string");
    }
    if (result.text != "success") {
        const std::string text = has_type ? clean_text(error_type.text, 60) : "result " + clean_text(result.text, 40);
        return fail(has_type ? classify(error_type.text) : kind::upstream_error, status, text);
    }

    // The rates of the base we asked for, not of another one.
    if (const scalar_field base = read_scalar(root, "base_code");
        base.k == scalar_field::kind::string && base.text != pair->base)
        return fail(kind::malformed, status, "base_code " + clean_text(base.text, 16) + ", expected " + pair->base);

    raw_quote q;
    // Rates change once a day: the update time tells the day of the rate.
    if (const auto t = to_seconds(read_scalar(root, "time_last_update_unix")); t && *t > 0)
        q.as_of = time_point{std::chrono::seconds{*t}};

    od::object rates;
    if (root.find_field_unordered("rates").get_object().get(rates)) return fail(kind::malformed, status, "no rates object");
    const std::string name = "rates." + pair->quote;
    const scalar_field rate = read_scalar(rates, pair->quote);
    if (rate.k == scalar_field::kind::missing) return fail(kind::no_data, status, "no rate for " + pair->quote);
    auto price = read_price(rate, name, price_json::number);
    if (!price) return fail(price.error().kind, status, price.error().message);
    if (!price->is_positive()) return fail(kind::bad_price, status, name + " not positive: " + clean_text(rate.text, 40));
    q.price = *price;
    // No previous rate in the reply: the daemon keeps its own previous-day reference.
    q.reference = std::nullopt;
    q.currency = pair->quote;
    q.market = market_state::unknown;
    return q;
}

}  // namespace tickerd::feeds

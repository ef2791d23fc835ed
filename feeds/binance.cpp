#include "tickerd/feeds/binance.hpp"

#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "json_util.hpp"

namespace tickerd::feeds {
namespace {

using namespace detail;
using kind = feed_error_kind;

// Binance error codes are small negative integers (0 for the 451 geo block).
std::optional<std::int64_t> error_code(const scalar_field& f) {
    if (f.k != scalar_field::kind::number) return std::nullopt;
    const auto d = decimal::parse(f.text);
    if (!d || d->units() % decimal::one != 0) return std::nullopt;
    return d->units() / decimal::one;
}

kind classify(unsigned status, std::optional<std::int64_t> code) {
    // 418: the IP was auto-banned for ignoring 429s; both carry Retry-After.
    if (status == 429 || status == 418 || code == -1003) return kind::rate_limited;
    if (code == -1121) return kind::no_data;  // "Invalid symbol."
    return kind::upstream_error;              // 451 restricted location, 403 WAF, 5xx, other codes
}

// "code -1121: Invalid symbol."
std::string describe(const scalar_field& code, const scalar_field& msg) {
    std::string text;
    if (code.k == scalar_field::kind::number) text = "code " + code.text;
    if (msg.k == scalar_field::kind::string && !msg.text.empty()) text += (text.empty() ? "" : ": ") + msg.text;
    return text.empty() ? std::string("no error details") : clean_text(text);
}

// closeTime in Unix milliseconds; nullopt for anything but a plausible positive integer.
std::optional<time_point> millis(const scalar_field& f) {
    const auto ms = to_unsigned(f);
    constexpr std::uint64_t year_9999_ms = 253'402'300'800'000;
    if (!ms || *ms == 0 || *ms >= year_9999_ms) return std::nullopt;
    return time_point{std::chrono::milliseconds{static_cast<std::int64_t>(*ms)}};
}

}  // namespace

std::string binance_ticker_target(std::string_view symbol) {
    return "/api/v3/ticker/24hr?symbol=" + url_encode(symbol);
}

feed_result<raw_quote> parse_binance_ticker(const http_reply& reply) {
    const unsigned status = reply.status;
    const bool throttled = status == 429 || status == 418;

    // The geo block is clear from the status alone, whatever page comes with it.
    if (const std::string_view body = strip_bom(reply.body); status == 451 && !looks_like_json_object(body))
        return fail(kind::upstream_error, status, "restricted location: " + body_excerpt(body));

    json_doc json;
    auto parsed = json.parse_object(reply.body, {status_prefix(status), throttled, says_rate_limited});
    if (!parsed) return parsed.error();
    od::object& root = *parsed;

    // {"code":-1121,"msg":"Invalid symbol."}, usually with a 4xx, possibly with 200.
    const scalar_field code = read_scalar(root, "code");
    const scalar_field msg = read_scalar(root, "msg");
    const scalar_field last = read_scalar(root, "lastPrice");
    const bool error_shape =
        last.k == scalar_field::kind::missing && (code.k != scalar_field::kind::missing || msg.k != scalar_field::kind::missing);
    if (!is_2xx(status) || error_shape) return fail(classify(status, error_code(code)), status, describe(code, msg));

    // No trades in the window: count 0, firstId/lastId -1 and zero prices.
    if (const auto count = to_unsigned(read_scalar(root, "count")); count && *count == 0)
        return fail(kind::no_data, status, "no trades in the last 24 h (count 0)");

    raw_quote q;
    {
        auto price = read_price(last, "lastPrice", price_json::number_or_string);
        if (!price) return fail(price.error().kind, status, price.error().message);
        if (price->is_zero()) return fail(kind::no_data, status, "lastPrice is zero (no trades)");
        if (price->is_negative()) return fail(kind::bad_price, status, "lastPrice not positive: " + clean_text(last.text, 40));
        q.price = *price;
    }
    // The rolling 24 h open. prevClosePrice is undefined by the docs (it can be
    // "0.00000000" or far from openPrice) and is never used.
    q.reference = optional_positive(read_scalar(root, "openPrice"), price_json::number_or_string);
    q.as_of = millis(read_scalar(root, "closeTime"));
    q.market = market_state::always;
    return q;
}

}  // namespace tickerd::feeds

#include "tickerd/feeds/coinbase.hpp"

#include <simdjson.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "json_util.hpp"

namespace tickerd::feeds {
namespace {

using namespace detail;
using kind = feed_error_kind;

template <std::size_t N>
using fields = std::array<scalar_field, N>;

// What a body that is not JSON says when Coinbase throttles.
bool coinbase_says_throttled(std::string_view text) {
    return contains_nocase(text, "too many requests") || contains_nocase(text, "rate limit");
}

// Checks one reply (status, JSON, the {"message":...} error shape) and reads
// the given top-level fields. `which` prefixes error messages.
template <std::size_t N>
feed_result<fields<N>> read_reply(const http_reply& reply, std::string_view which,
                                  const std::array<std::string_view, N>& keys) {
    const unsigned status = reply.status;
    const std::string prefix = std::string(which) + ": " + status_prefix(status);
    json_doc json;
    auto parsed = json.parse_object(reply.body, {prefix, status == 429, coinbase_says_throttled});
    if (!parsed) return parsed.error();
    od::object& root = *parsed;

    const scalar_field message = read_scalar(root, "message");
    const std::string text = message.k == scalar_field::kind::string && !message.text.empty()
                                 ? clean_text(message.text)
                                 : std::string("no error details");
    if (status == 429) return fail(kind::rate_limited, prefix, text);
    if (!is_2xx(status)) return fail(status == 404 ? kind::no_data : kind::upstream_error, prefix, text);

    fields<N> out;
    bool any = false;
    for (std::size_t i = 0; i < N; ++i) {
        out[i] = read_scalar(root, keys[i]);
        any = any || out[i].k != scalar_field::kind::missing;
    }
    // An error object that came with a 2xx status.
    if (!any && message.k == scalar_field::kind::string) return fail(kind::upstream_error, prefix, text);
    return out;
}

// A price field: a JSON string (what Coinbase sends) or a number.
std::optional<decimal> price_value(const scalar_field& f) {
    if (f.k != scalar_field::kind::string && f.k != scalar_field::kind::number) return std::nullopt;
    return decimal::parse(f.text);
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const char c = s[pos + k];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

}  // namespace

std::optional<time_point> parse_rfc3339(std::string_view s) {
    // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (s.size() < 20) return std::nullopt;
    if (!digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' || !digits(s, 8, 2, day))
        return std::nullopt;
    if (s[10] != 'T' && s[10] != 't') return std::nullopt;
    if (!digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
        !digits(s, 17, 2, second))
        return std::nullopt;
    std::size_t i = 19;
    std::int64_t millis = 0;
    if (s[i] == '.') {
        ++i;
        int n = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (n < 3) millis = millis * 10 + (s[i] - '0');
            ++n;
            ++i;
        }
        if (n == 0) return std::nullopt;
        for (int k = n; k < 3; ++k) millis *= 10;
    }
    if (i >= s.size()) return std::nullopt;
    int offset_minutes = 0;
    if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
    } else if (s[i] == '+' || s[i] == '-') {
        const bool neg = s[i] == '-';
        int oh = 0, om = 0;
        if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(s, i + 4, 2, om))
            return std::nullopt;
        if (oh > 23 || om > 59) return std::nullopt;
        offset_minutes = (neg ? -1 : 1) * (oh * 60 + om);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;

    using namespace std::chrono;
    const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                             std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;  // 60: leap second
    const auto t = sys_days{ymd} + hours{hour} + minutes{minute} + seconds{second} + milliseconds{millis} -
                   minutes{offset_minutes};
    return time_point{duration_cast<milliseconds>(t.time_since_epoch())};
}

std::string coinbase_ticker_target(std::string_view product_id) {
    return "/products/" + url_encode(product_id) + "/ticker";
}

std::string coinbase_stats_target(std::string_view product_id) {
    return "/products/" + url_encode(product_id) + "/stats";
}

feed_result<raw_quote> parse_coinbase(const http_reply& ticker, const http_reply& stats) {
    auto t = read_reply<2>(ticker, "ticker", {"price", "time"});
    if (!t) return t.error();
    auto st = read_reply<1>(stats, "stats", {"open"});
    if (!st) return st.error();

    const scalar_field& price_f = (*t)[0];
    const scalar_field& time_f = (*t)[1];
    const scalar_field& open_f = (*st)[0];

    raw_quote q;
    switch (price_f.k) {
        case scalar_field::kind::missing:
            return make_error(kind::malformed, "ticker: price missing");
        case scalar_field::kind::null:
            return make_error(kind::bad_price, "ticker: price is null");
        case scalar_field::kind::string:
        case scalar_field::kind::number:
            break;
        default:
            return make_error(kind::malformed, "ticker: price is not a string or number");
    }
    const auto price = price_value(price_f);
    if (!price) return make_error(kind::bad_price, "ticker: unparsable price: " + clean_text(price_f.text, 40));
    if (!price->is_positive()) return make_error(kind::bad_price, "ticker: price not positive: " + clean_text(price_f.text, 40));
    q.price = *price;

    if (const auto open = price_value(open_f); open && open->is_positive()) q.reference = *open;
    if (time_f.k == scalar_field::kind::string) q.as_of = parse_rfc3339(time_f.text);
    q.market = market_state::always;
    return q;
}

}  // namespace tickerd::feeds

#include "tickerd/feeds/yahoo.hpp"

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

// What a body that is not JSON says when Yahoo throttles.
bool yahoo_says_throttled(std::string_view text) { return contains_nocase(text, "too many requests"); }

struct period {
    std::int64_t start = 0;  // unix seconds
    std::int64_t end = 0;
};

std::optional<period> read_period(od::object& ctp, std::string_view name) {
    od::object p;
    if (ctp.find_field_unordered(name).get_object().get(p)) return std::nullopt;
    const auto start = to_seconds(read_scalar(p, "start"));
    const auto end = to_seconds(read_scalar(p, "end"));
    if (!start || !end || *end < *start) return std::nullopt;
    return period{*start, *end};
}

bool inside(const std::optional<period>& p, std::int64_t now_ms) {
    return p && now_ms >= p->start * 1000 && now_ms < p->end * 1000;
}

// Market state from the periods of meta.currentTradingPeriod (nullopt when
// absent or unreadable), `now` and the time of the last regular-session price.
market_state derive_market(const std::optional<period>& pre, const std::optional<period>& regular_in,
                           const std::optional<period>& post, std::optional<std::int64_t> market_time,
                           time_point now) {
    if (!regular_in) return market_state::unknown;
    period regular = *regular_in;
    // FX and crypto: a whole-day "regular" that ends at 23:59; cover the last minute too.
    constexpr std::int64_t day = 86'400;
    const bool post_empty = !post || post->start == post->end;
    if (post_empty && regular.end - regular.start >= day - 60 && regular.end - regular.start < day)
        regular.end = regular.start + day;

    // The period can already describe another day (the next session overnight,
    // or a holiday): the last regular price then predates its start by far more
    // than one overnight gap.
    constexpr std::int64_t other_day_gap = 20 * 3600;
    const bool other_day = market_time && *market_time < regular.start - other_day_gap;

    const std::int64_t now_ms = now.time_since_epoch().count();
    if (inside(regular, now_ms)) return other_day ? market_state::closed : market_state::open;
    // Before the regular session the last price is always from an earlier day
    // (after a weekend by more than 60 h), so `other_day` says nothing here.
    if (inside(pre, now_ms)) return market_state::pre;
    if (inside(post, now_ms)) return other_day ? market_state::closed : market_state::post;
    return market_state::closed;
}

}  // namespace

std::string yahoo_chart_target(std::string_view upstream_symbol) {
    return "/v8/finance/chart/" + url_encode(upstream_symbol) + "?range=1d&interval=5m&includePrePost=false";
}

feed_result<raw_quote> parse_yahoo_chart(const http_reply& reply, time_point now) {
    const unsigned status = reply.status;
    const std::string_view body = strip_bom(reply.body);

    // Rate limiting arrives as plain text ("Too Many Requests"), sometimes as JSON.
    if (status == 429) return fail(kind::rate_limited, status, body_excerpt(body));

    json_doc json;
    auto parsed = json.parse_object(reply.body, {status_prefix(status), false, yahoo_says_throttled});
    if (!parsed) return parsed.error();
    od::object& root = *parsed;
    // v8 wraps everything in "chart"; v7/v10 error replies use "finance".
    od::object envelope;
    if (root.find_field_unordered("chart").get_object().get(envelope) &&
        root.find_field_unordered("finance").get_object().get(envelope)) {
        if (!is_2xx(status)) return fail(status == 404 ? kind::no_data : kind::upstream_error, status, body_excerpt(body));
        return fail(kind::malformed, status, "no chart object");
    }

    // chart.error: {"code":"Not Found","description":"..."} or null.
    {
        od::object err;
        if (!envelope.find_field_unordered("error").get_object().get(err)) {
            const scalar_field code = read_scalar(err, "code");
            const scalar_field desc = read_scalar(err, "description");
            std::string text = code.k == scalar_field::kind::string ? code.text : std::string("error");
            if (desc.k == scalar_field::kind::string && !desc.text.empty()) text += ": " + desc.text;
            kind k = kind::upstream_error;
            if (status == 404 || code.text == "Not Found") k = kind::no_data;
            if (status == 429 || contains_nocase(text, "too many requests")) k = kind::rate_limited;
            return fail(k, status, clean_text(text));
        }
    }
    if (!is_2xx(status)) return fail(status == 404 ? kind::no_data : kind::upstream_error, status, "no error details");

    // chart.result: null or [] when there is nothing for the symbol.
    od::value result;
    if (envelope.find_field_unordered("result").get(result)) return fail(kind::malformed, status, "no chart.result");
    od::json_type result_type{};
    if (result.type().get(result_type)) return fail(kind::malformed, status, "chart.result unreadable");
    if (result_type == od::json_type::null) return fail(kind::no_data, status, "chart.result is null");
    od::array results;
    if (result.get_array().get(results)) return fail(kind::malformed, status, "chart.result is not an array");
    od::value first;
    bool found = false;
    for (auto element : results) {
        if (element.get(first)) return fail(kind::malformed, status, "chart.result unreadable");
        found = true;
        break;
    }
    if (!found) return fail(kind::no_data, status, "chart.result is empty");
    od::object entry;
    if (first.get_object().get(entry)) return fail(kind::malformed, status, "chart.result[0] is not an object");
    od::object meta;
    if (entry.find_field_unordered("meta").get_object().get(meta)) return fail(kind::malformed, status, "no meta object");

    raw_quote q;
    // Price: the meta's regular-market price, never the last indicator bar.
    {
        const scalar_field f = read_scalar(meta, "regularMarketPrice");
        const auto price = read_price(f, "meta.regularMarketPrice", price_json::number);
        if (!price) return fail(price.error().kind, status, price.error().message);
        if (!price->is_positive())
            return fail(kind::bad_price, status, "meta.regularMarketPrice not positive: " + clean_text(f.text, 40));
        q.price = *price;
    }
    // Reference: the previous regular close. chartPreviousClose is the close
    // before the first bar of the range, which is the previous close only when
    // the reply itself says its range is one day (a 5d range gives the close of
    // six sessions ago): otherwise no reference, so no change, rather than a wrong one.
    q.reference = optional_positive(read_scalar(meta, "previousClose"), price_json::number);
    if (!q.reference) {
        const scalar_field range = read_scalar(meta, "range");
        if (range.k == scalar_field::kind::string && range.text == "1d")
            q.reference = optional_positive(read_scalar(meta, "chartPreviousClose"), price_json::number);
    }

    const auto market_time = to_seconds(read_scalar(meta, "regularMarketTime"));
    std::optional<std::int64_t> as_of_s;
    if (market_time && *market_time > 0) {
        as_of_s = market_time;
        q.as_of = time_point{std::chrono::seconds{*market_time}};
    }

    if (scalar_field cur = read_scalar(meta, "currency"); cur.k == scalar_field::kind::string)
        q.currency = clean_text(cur.text, 16);

    od::object ctp;
    if (meta.find_field_unordered("currentTradingPeriod").get_object().get(ctp)) {
        q.market = market_state::unknown;
    } else {
        const auto regular = read_period(ctp, "regular");
        const auto pre = read_period(ctp, "pre");
        const auto post = read_period(ctp, "post");
        q.market = derive_market(pre, regular, post, as_of_s, now);
    }
    return q;
}

}  // namespace tickerd::feeds

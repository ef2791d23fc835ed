#include "tickerd/feeds/coinbase_ws.hpp"

#include <simdjson.h>

#include <string>
#include <utility>

#include "json_util.hpp"
#include "tickerd/feeds/coinbase.hpp"

namespace tickerd::feeds {
namespace {

using namespace detail;
using kind = feed_error_kind;

void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20) {
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 0x0F];
        } else {
            out += ch;
        }
    }
    out += '"';
}

// product_id and sequence, which ticker and heartbeat both need.
struct product_sequence {
    std::string product_id;
    std::uint64_t sequence = 0;
};

// Errors start with `context`, the message type ("ticker: "), so that logs
// tell a bad ticker from a bad heartbeat.
feed_result<product_sequence> read_product_sequence(od::object& root, std::string_view context) {
    product_sequence out;
    const scalar_field product = read_scalar(root, "product_id");
    if (product.k != scalar_field::kind::string || product.text.empty())
        return fail(kind::malformed, context, "product_id missing or not a string");
    out.product_id = product.text;
    const scalar_field seq = read_scalar(root, "sequence");
    const auto sequence = to_unsigned(seq);
    if (!sequence) return fail(kind::malformed, context, "sequence missing or not a non-negative integer");
    out.sequence = *sequence;
    return out;
}

std::optional<time_point> read_time(od::object& root) {
    const scalar_field t = read_scalar(root, "time");
    if (t.k != scalar_field::kind::string) return std::nullopt;
    return parse_rfc3339(t.text);
}

coinbase_ws_event read_ticker(od::object& root) {
    auto ids = read_product_sequence(root, "ticker: ");
    if (!ids) return ids.error();
    coinbase_ws_ticker t;
    t.product_id = std::move(ids->product_id);
    t.sequence = ids->sequence;

    const scalar_field price_f = read_scalar(root, "price");
    auto price = read_price(price_f, "price", price_json::number_or_string);
    if (!price) return fail(price.error().kind, "ticker: ", price.error().message);
    if (!price->is_positive()) return fail(kind::bad_price, "ticker: ", "price not positive: " + clean_text(price_f.text, 40));
    t.quote.price = *price;
    t.quote.reference = optional_positive(read_scalar(root, "open_24h"), price_json::number_or_string);
    t.quote.as_of = read_time(root);
    t.quote.market = market_state::always;
    return coinbase_ws_message{std::move(t)};
}

coinbase_ws_event read_heartbeat(od::object& root) {
    auto ids = read_product_sequence(root, "heartbeat: ");
    if (!ids) return ids.error();
    coinbase_ws_heartbeat h;
    h.product_id = std::move(ids->product_id);
    h.sequence = ids->sequence;
    h.time = read_time(root);
    return coinbase_ws_message{std::move(h)};
}

// {"channels":[{"name":"ticker","product_ids":["BTC-USD"],"account_ids":null}, ...]};
// a bare channel name is accepted too. Entries of other shapes are skipped: the
// acknowledgement only confirms the subscription.
coinbase_ws_event read_subscriptions(od::object& root) {
    coinbase_ws_subscriptions s;
    od::array channels;
    if (!root.find_field_unordered("channels").get_array().get(channels)) {
        for (auto element : channels) {
            od::value v;
            od::json_type t{};
            if (element.get(v) || v.type().get(t)) return fail(kind::malformed, "subscriptions: ", "channels unreadable");
            if (t == od::json_type::string) {
                std::string_view name;
                if (!v.get_string().get(name)) s.channels.push_back({std::string(name), {}});
                continue;
            }
            od::object obj;
            if (t != od::json_type::object || v.get_object().get(obj)) continue;
            coinbase_ws_channel channel;
            const scalar_field name = read_scalar(obj, "name");
            if (name.k != scalar_field::kind::string) continue;
            channel.name = name.text;
            od::array ids;
            if (!obj.find_field_unordered("product_ids").get_array().get(ids)) {
                for (auto id : ids) {
                    std::string_view text;
                    if (!id.get_string().get(text)) channel.product_ids.emplace_back(text);
                }
            }
            s.channels.push_back(std::move(channel));
        }
    }
    return coinbase_ws_message{std::move(s)};
}

coinbase_ws_event read_error(od::object& root) {
    coinbase_ws_error e;
    if (const scalar_field m = read_scalar(root, "message"); m.k == scalar_field::kind::string) e.message = clean_text(m.text);
    if (const scalar_field r = read_scalar(root, "reason"); r.k == scalar_field::kind::string) e.reason = clean_text(r.text);
    return coinbase_ws_message{std::move(e)};
}

}  // namespace

std::string coinbase_ws_subscribe_message(const std::vector<std::string>& product_ids) {
    std::string out = R"({"type":"subscribe","product_ids":[)";
    for (std::size_t i = 0; i < product_ids.size(); ++i) {
        if (i > 0) out += ',';
        append_json_string(out, product_ids[i]);
    }
    out += R"(],"channels":["ticker","heartbeat"]})";
    return out;
}

coinbase_ws_event parse_coinbase_ws_message(std::string_view text) {
    // No status and no throttling in-band: anything but a JSON object is malformed.
    json_doc json;
    auto parsed = json.parse_object(text, {"", false, nullptr});
    if (!parsed) return parsed.error();
    od::object& root = *parsed;

    const scalar_field type = read_scalar(root, "type");
    if (type.k == scalar_field::kind::missing) return make_error(kind::malformed, "message without a type");
    if (type.k != scalar_field::kind::string) return make_error(kind::malformed, "type is not a string");
    if (type.text == "ticker") return read_ticker(root);
    if (type.text == "heartbeat") return read_heartbeat(root);
    if (type.text == "subscriptions") return read_subscriptions(root);
    if (type.text == "error") return read_error(root);
    // New types can appear at any time; the caller ignores them.
    return coinbase_ws_message{coinbase_ws_unknown{clean_text(type.text, 40)}};
}

}  // namespace tickerd::feeds

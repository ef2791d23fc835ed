#pragma once
// Coinbase Exchange WebSocket feed (wss://ws-feed.exchange.coinbase.com): the
// subscribe message, and a pure parser for one text message from the server.
// The connection, liveness timer, reconnects and sequence bookkeeping are the
// daemon's.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tickerd/raw_quote.hpp"

namespace tickerd::feeds {

// {"type":"subscribe","product_ids":[...],"channels":["ticker","heartbeat"]}
// (to be sent within 5 s of connecting).
std::string coinbase_ws_subscribe_message(const std::vector<std::string>& product_ids);

// type "ticker": price = price, reference = open_24h (rolling 24 h), as_of =
// time, market always, currency empty.
struct coinbase_ws_ticker {
    std::string product_id;
    std::uint64_t sequence = 0;
    raw_quote quote;
};

// type "heartbeat": once a second per subscribed product; a liveness signal.
struct coinbase_ws_heartbeat {
    std::string product_id;
    std::uint64_t sequence = 0;
    std::optional<time_point> time;  // empty when absent or unreadable
};

// type "subscriptions": the acknowledgement, listing the active channels.
struct coinbase_ws_channel {
    std::string name;
    std::vector<std::string> product_ids;
};
struct coinbase_ws_subscriptions {
    std::vector<coinbase_ws_channel> channels;
};

// type "error", e.g. {"message":"Failed to subscribe","reason":"... is not a valid product"}.
struct coinbase_ws_error {
    std::string message;  // log-safe, single line
    std::string reason;
};

// Any other type: new types may appear at any time and are to be ignored.
struct coinbase_ws_unknown {
    std::string type;  // log-safe, short
};

using coinbase_ws_message = std::variant<coinbase_ws_ticker, coinbase_ws_heartbeat, coinbase_ws_subscriptions,
                                         coinbase_ws_error, coinbase_ws_unknown>;
// A message, or a feed_error: malformed for broken JSON, a missing type or a
// ticker/heartbeat without product_id or sequence; bad_price for a ticker whose
// price is null, unparsable, zero or negative.
using coinbase_ws_event = feed_result<coinbase_ws_message>;

coinbase_ws_event parse_coinbase_ws_message(std::string_view text);

// Keep-highest per product: true when a ticker with `sequence` is newer than the
// highest sequence already applied for its product (nullopt: none yet). Older
// and duplicate messages are to be dropped.
constexpr bool coinbase_ws_is_newer(std::optional<std::uint64_t> highest_applied, std::uint64_t sequence) {
    return !highest_applied || sequence > *highest_applied;
}

}  // namespace tickerd::feeds

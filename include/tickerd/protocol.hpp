#pragma once
// The wire format: JSON encoding of quotes and stream messages, and the parser
// of what clients send. Encoding is done once per change (see snapshot_store).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tickerd/config.hpp"
#include "tickerd/decimal.hpp"
#include "tickerd/price_history.hpp"
#include "tickerd/quote.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

struct published_quote;

// {"symbol":…,"name":…,…,"seq":N}. Numbers are rounded to the symbol's
// precision (change_pct to 2 decimals); display strings are ready to show.
std::string encode_quote(const symbol_config& sym, const quote& q);

// JSON string literal with escapes, including the quotes.
std::string json_string(std::string_view s);

using quote_list = std::vector<std::shared_ptr<const published_quote>>;
using shared_text = std::shared_ptr<const std::string>;  // as in snapshot_store.hpp

// {"type":"update","seq":N,"ts":T,"quotes":[…]}: the one encoder of the update
// message. T: when the store published the oldest change the message carries, in
// microseconds since the Unix epoch (a client's receipt time minus T is the longest
// any of its quotes spent in the daemon). As pieces to write one after another:
// the head (seq and ts), then the quotes' own shared texts (never copied) with
// update_comma() between them, then update_tail(), so a stream client's update
// of several symbols re-encodes no quote.
void write_update_head(std::string& out, std::uint64_t seq, std::int64_t ts_us);  // replaces out
const shared_text& update_comma();
const shared_text& update_tail();
// The same message in one string.
std::string encode_update(std::uint64_t seq, std::int64_t ts_us, const quote_list& quotes);
// The system clock in microseconds since the Unix epoch: an update's "ts".
std::int64_t unix_now_us();
// {"type":"snapshot","seq":N[,"since":S],"quotes":[…]}; since = 0 leaves it out.
std::string encode_stream_snapshot(std::uint64_t seq, std::uint64_t since, const quote_list& quotes);
// {"seq":N,"generated_at":"…Z","quotes":[…]} for GET /v1/snapshot.
std::string encode_http_snapshot(std::uint64_t seq, time_point generated_at, const quote_list& quotes);
// {"type":"heartbeat","seq":N}
std::string encode_heartbeat(std::uint64_t seq);
// {"type":"removed","seq":N,"symbols":["X",…]}: a reload removed these
// subscribed symbols; the client is no longer subscribed to them.
std::string encode_removed(std::uint64_t seq, const std::vector<std::string>& symbols);
// {"type":"error","code":…,"message":…}
std::string encode_stream_error(std::string_view code, std::string_view message);
// {"symbol":…,"window":…,"resolution_s":N,"points":[[t_ms,price],…]}
std::string encode_history(const symbol_config& sym, std::string_view window, std::chrono::milliseconds resolution,
                           const std::vector<history_point>& points);
// {"error":…}
std::string encode_http_error(std::string_view message);

struct client_message {
    enum class kind { subscribe, unsubscribe } op;
    std::vector<std::string> symbols;
    std::optional<unsigned> max_hz;  // subscribe only: at most this many updates a second (0: no cap)
};
inline constexpr unsigned max_max_hz = 1000;
// {"op":"subscribe"|"unsubscribe","symbols":["NVDA",…][,"max_hz":N]}; an error text otherwise.
result<client_message, std::string> parse_client_message(std::string_view text);

// "NVDA,BTC" (already URL-decoded) to ids; empty items are skipped.
std::vector<std::string> split_symbol_list(std::string_view text);
// %XX and '+' decoding for query values and path segments; nullopt on bad escapes.
std::optional<std::string> url_decode(std::string_view text);

}  // namespace tickerd

#pragma once
// Cheap scans of tickerd stream messages (no JSON parse): the message type, the
// number of quotes, the publish time "ts", for servers without it the first
// quote's "received_at", and every quote's "as_of".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ws_load {

enum class message_kind { update, snapshot, heartbeat, other };

message_kind kind_of(std::string_view msg);

// Quote objects in the message: occurrences of {"symbol":
std::size_t count_quotes(std::string_view msg);

// The top-level "ts" (µs since the Unix epoch), looked for before "quotes".
std::optional<std::int64_t> publish_time_us(std::string_view msg);

// The first quote's "received_at" ("2026-12-07T06:22:59.119Z") in µs since the Unix epoch.
std::optional<std::int64_t> first_received_at_us(std::string_view msg);

// "YYYY-MM-DDTHH:MM:SS[.fraction]Z" in µs since the Unix epoch.
std::optional<std::int64_t> parse_utc_timestamp_us(std::string_view text);

// The next "as_of" ("2026-12-07T12:00:00.123Z") at or after pos, in µs since the
// Unix epoch; pos is moved past it. nullopt when no "as_of" is left; one that does
// not parse is skipped.
std::optional<std::int64_t> next_as_of_us(std::string_view msg, std::size_t& pos);

}  // namespace ws_load

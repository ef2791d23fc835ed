#include "message_scan.hpp"

namespace ws_load {
namespace {

constexpr std::string_view type_key = "\"type\":\"";

std::optional<std::int64_t> digits(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return std::nullopt;
    std::int64_t v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;
    const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

}  // namespace

message_kind kind_of(std::string_view msg) {
    const auto p = msg.substr(0, 48).find(type_key);
    if (p == std::string_view::npos) return message_kind::other;
    const auto t = msg.substr(p + type_key.size());
    if (t.starts_with("update\"")) return message_kind::update;
    if (t.starts_with("snapshot\"")) return message_kind::snapshot;
    if (t.starts_with("heartbeat\"")) return message_kind::heartbeat;
    return message_kind::other;
}

std::size_t count_quotes(std::string_view msg) {
    constexpr std::string_view key = "{\"symbol\":";
    std::size_t n = 0;
    for (auto p = msg.find(key); p != std::string_view::npos; p = msg.find(key, p + key.size())) ++n;
    return n;
}

std::optional<std::int64_t> publish_time_us(std::string_view msg) {
    constexpr std::string_view key = "\"ts\":";
    const auto head = msg.substr(0, msg.find("\"quotes\":"));
    const auto p = head.find(key);
    if (p == std::string_view::npos) return std::nullopt;
    std::size_t i = p + key.size();
    std::int64_t v = 0;
    const std::size_t start = i;
    while (i < head.size() && head[i] >= '0' && head[i] <= '9') v = v * 10 + (head[i++] - '0');
    if (i == start) return std::nullopt;
    return v;
}

std::optional<std::int64_t> first_received_at_us(std::string_view msg) {
    constexpr std::string_view key = "\"received_at\":\"";
    const auto p = msg.find(key);
    if (p == std::string_view::npos) return std::nullopt;
    const auto rest = msg.substr(p + key.size());
    return parse_utc_timestamp_us(rest.substr(0, rest.find('"')));
}

std::optional<std::int64_t> parse_utc_timestamp_us(std::string_view s) {
    if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return std::nullopt;
    const auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
    const auto h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
    if (!y || !mo || !d || !h || !mi || !se) return std::nullopt;
    std::int64_t frac_us = 0;
    std::size_t i = 19;
    if (i < s.size() && s[i] == '.') {
        std::int64_t scale = 100000;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            frac_us += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (i >= s.size() || s[i] != 'Z') return std::nullopt;
    const std::int64_t secs = days_from_civil(*y, *mo, *d) * 86400 + *h * 3600 + *mi * 60 + *se;
    return secs * 1000000 + frac_us;
}

}  // namespace ws_load

#include "message_scan.hpp"

#include <ctime>

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

std::optional<std::int64_t> next_as_of_us(std::string_view msg, std::size_t& pos) {
    constexpr std::string_view key = "\"as_of\":\"";
    for (auto p = msg.find(key, pos); p != std::string_view::npos; p = msg.find(key, pos)) {
        const auto rest = msg.substr(p + key.size());
        const auto end = rest.find('"');
        pos = p + key.size() + (end == std::string_view::npos ? rest.size() : end);
        if (const auto us = parse_utc_timestamp_us(rest.substr(0, end))) return us;
    }
    pos = msg.size();
    return std::nullopt;
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
    std::tm utc{};
    utc.tm_year = static_cast<int>(*y - 1900);
    utc.tm_mon = static_cast<int>(*mo - 1);
    utc.tm_mday = static_cast<int>(*d);
    utc.tm_hour = static_cast<int>(*h);
    utc.tm_min = static_cast<int>(*mi);
    utc.tm_sec = static_cast<int>(*se);
    const std::time_t secs = timegm(&utc);  // glibc: the tm read as UTC
    return static_cast<std::int64_t>(secs) * 1000000 + frac_us;
}

}  // namespace ws_load

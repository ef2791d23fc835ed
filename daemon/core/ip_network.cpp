#include "tickerd/ip_network.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace tickerd {

std::optional<ip_address> parse_ip(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    const std::string s(text);
    ip_address a;
    in_addr v4{};
    if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
        a.bytes[10] = 0xff;
        a.bytes[11] = 0xff;
        std::memcpy(&a.bytes[12], &v4, 4);
        a.v4 = true;
        return a;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
    std::memcpy(a.bytes.data(), &v6, 16);
    static constexpr std::array<std::uint8_t, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    a.v4 = std::equal(mapped.begin(), mapped.end(), a.bytes.begin());
    return a;
}

std::string ip_address::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (v4) {
        inet_ntop(AF_INET, &bytes[12], buf, sizeof buf);
    } else {
        inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    }
    return buf;
}

std::optional<ip_network> parse_network(std::string_view text) {
    const auto slash = text.find('/');
    const auto addr = parse_ip(text.substr(0, slash));
    if (!addr) return std::nullopt;
    ip_network n{*addr, 128};
    if (slash == std::string_view::npos) return n;
    const std::string_view bits = text.substr(slash + 1);
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), v);
    if (bits.empty() || ec != std::errc{} || p != bits.data() + bits.size()) return std::nullopt;
    if (v > (addr->v4 ? 32u : 128u)) return std::nullopt;
    n.prefix = addr->v4 ? v + 96 : v;
    return n;
}

bool ip_network::contains(const ip_address& a) const {
    unsigned left = prefix;
    for (std::size_t i = 0; i < 16 && left > 0; ++i) {
        const unsigned take = std::min(left, 8u);
        const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
        if ((a.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
        left -= take;
    }
    return true;
}

bool in_any(const std::vector<ip_network>& nets, const ip_address& a) {
    return std::any_of(nets.begin(), nets.end(), [&](const ip_network& n) { return n.contains(a); });
}

ip_address client_address(const ip_address& peer, std::string_view forwarded_for,
                          const std::vector<ip_network>& trusted) {
    if (!in_any(trusted, peer)) return peer;
    ip_address client = peer;
    while (!forwarded_for.empty()) {
        const auto comma = forwarded_for.rfind(',');
        std::string_view item = comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
        forwarded_for = comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        const auto a = parse_ip(item);
        if (!a) break;
        client = *a;
        if (!in_any(trusted, client)) break;
    }
    return client;
}

}  // namespace tickerd

#pragma once
// IP addresses and CIDR networks for the trusted-proxy list, and the client
// address a request stands for (X-Forwarded-For honoured only from trusted
// proxies). Pure: text in, values out.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tickerd {

// IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one comparison covers both.
struct ip_address {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = false;

    // Canonical text: "192.0.2.1", "2001:db8::1" (a mapped IPv4 prints as IPv4).
    std::string to_string() const;
    friend bool operator==(const ip_address&, const ip_address&) = default;
};

struct ip_network {
    ip_address base;
    unsigned prefix = 128;  // in bits of the 16-byte form (IPv4 /24 is stored as 120)

    bool contains(const ip_address& a) const;
};

// "192.0.2.1", "::1", "::ffff:192.0.2.1"; nullopt otherwise (no brackets, no port, no zone).
std::optional<ip_address> parse_ip(std::string_view text);
// "10.0.0.0/8", "2001:db8::/32", or a single address (a /32 or /128).
std::optional<ip_network> parse_network(std::string_view text);

bool in_any(const std::vector<ip_network>& nets, const ip_address& a);

// The address a request comes from: the peer itself, unless the peer is a
// trusted proxy and sent X-Forwarded-For; then the rightmost address of that
// list that is not itself a trusted proxy (entries to its left were written by
// the client and prove nothing). A malformed entry stops the walk there.
ip_address client_address(const ip_address& peer, std::string_view forwarded_for,
                          const std::vector<ip_network>& trusted);

}  // namespace tickerd

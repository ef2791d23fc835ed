#include "tickerd/base_url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

namespace tickerd {
namespace {

bool has_space_or_control(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

struct authority_parts {
    std::string_view host;
    std::string_view port;
    bool ok = false;
};

// "host[:port]" or "[v6]:port"; a port, when written, is not empty.
authority_parts split_authority(std::string_view authority) {
    authority_parts out{authority, {}, false};
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return out;
        out.host = authority.substr(1, close - 1);
        out.ok = is_ipv6(out.host);
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') out.ok = false;
            out.port = after.substr(1);
            if (out.port.empty()) out.ok = false;
        }
        return out;
    }
    const auto colon = authority.find(':');
    if (colon != std::string_view::npos) {
        out.host = authority.substr(0, colon);
        out.port = authority.substr(colon + 1);
        if (out.port.empty()) out.port = "x";  // "host:" is malformed
    }
    out.ok = is_hostname(out.host);
    return out;
}

}  // namespace

result<base_url, url_problem> parse_base_url(std::string_view url, url_family family) {
    static constexpr std::array<std::string_view, 2> http_schemes{"http://", "https://"};
    static constexpr std::array<std::string_view, 2> ws_schemes{"ws://", "wss://"};
    const auto& schemes = family == url_family::websocket ? ws_schemes : http_schemes;
    const auto scheme = std::find_if(schemes.begin(), schemes.end(), [&](std::string_view s) { return url.starts_with(s); });
    if (scheme == schemes.end()) return url_problem::scheme;
    if (has_space_or_control(url)) return url_problem::characters;
    if (url.find_first_of("?#") != std::string_view::npos) return url_problem::query;
    const std::string_view rest = url.substr(scheme->size());
    const auto slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos) return url_problem::credentials;
    const authority_parts parts = split_authority(authority);
    if (!parts.ok) return url_problem::host;
    if (!parts.port.empty() && parse_port(parts.port).value_or(0) == 0) return url_problem::port;
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);

    base_url out;
    out.tls = scheme != schemes.begin();  // the second scheme of each family is the TLS one
    out.host = std::string(parts.host);
    out.port = parts.port.empty() ? (out.tls ? "443" : "80") : std::string(parts.port);
    out.prefix = std::string(path);
    out.text = std::string(*scheme) + std::string(authority) + out.prefix;
    return out;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    unsigned v = 0;
    for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

bool is_hostname(std::string_view s) {
    if (s.empty() || s.size() > 253 || s.front() == '.' || s.front() == '-' || s.back() == '-') return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '-';
    });
}

bool is_ipv6(std::string_view s) {
    in6_addr addr{};
    return !s.empty() && inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

}  // namespace tickerd

// [server] (listening, threads, state, proxies, origins) and [limits] (per-connection limits).
#include <cctype>
#include <limits>
#include <tuple>
#include <utility>
#include <type_traits>

#include <fmt/format.h>

#include "settings/config_sections.hpp"
#include "settings/toml_reader.hpp"
#include "tickerd/base_url.hpp"
#include "tickerd/ip_network.hpp"

namespace tickerd::config_sections {
namespace {

using namespace toml_reader;

constexpr unsigned max_threads = 1024;

// Dotted quad, each part 0..255 without leading zeros.
bool is_ipv4(std::string_view s) {
    int parts = 0;
    std::size_t i = 0;
    while (true) {
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        const std::string_view part = s.substr(start, i - start);
        if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
        if (std::stoi(std::string(part)) > 255) return false;
        ++parts;
        if (i == s.size()) break;
        if (s[i] != '.' || parts == 4) return false;
        ++i;
    }
    return parts == 4;
}

// "host:port" or "[v6]:port" into host and port.
std::pair<std::string, std::uint16_t> parse_listen(const toml::node& n, const std::string& key) {
    const std::string s = get_string(n, key);
    std::string_view host;
    std::string_view port;
    if (!s.empty() && s.front() == '[') {
        const auto close = s.find(']');
        if (close == std::string::npos) fail(key, fmt::format("\"{}\": missing ']' after the IPv6 address", s), &n);
        host = std::string_view(s).substr(1, close - 1);
        if (close + 1 >= s.size() || s[close + 1] != ':')
            fail(key, fmt::format("\"{}\": expected \"[address]:port\"", s), &n);
        port = std::string_view(s).substr(close + 2);
        if (!is_ipv6(host)) fail(key, fmt::format("\"{}\": not a valid IPv6 address", host), &n);
    } else {
        const auto colon = s.rfind(':');
        if (colon == std::string::npos)
            fail(key, fmt::format("\"{}\": expected \"host:port\", e.g. \"127.0.0.1:8080\"", s), &n);
        host = std::string_view(s).substr(0, colon);
        port = std::string_view(s).substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            fail(key, fmt::format("\"{}\": put an IPv6 address in brackets, e.g. \"[::1]:8080\"", s), &n);
        if (!is_ipv4(host))
            fail(key,
                 fmt::format("\"{}\": the host must be an IPv4 address or a bracketed IPv6 address "
                             "(e.g. \"127.0.0.1\", \"0.0.0.0\", \"[::1]\")",
                             host),
                 &n);
    }
    const auto p = parse_port(port);
    if (!p) fail(key, fmt::format("\"{}\": the port must be a number from 0 to 65535", port), &n);
    return {std::string(host), *p};
}

// "https://example.com[:port]": scheme and host, no path; compared case-insensitively.
std::vector<std::string> read_origins(const toml::node& n, const std::string& key) {
    std::vector<std::string> out;
    for_each_string(n, key, [&](const std::string& v, const std::string& k, const toml::node& item) {
        std::string lower = v;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string_view rest;
        if (lower.starts_with("http://")) rest = std::string_view(lower).substr(7);
        if (lower.starts_with("https://")) rest = std::string_view(lower).substr(8);
        const auto colon = rest.find(':');
        const auto host = rest.substr(0, colon);
        const bool port_ok = colon == std::string_view::npos || parse_port(rest.substr(colon + 1)).value_or(0) != 0;
        if (rest.empty() || !port_ok || (!is_hostname(host) && !(host.starts_with('[') && host.ends_with(']'))))
            fail(k,
                 fmt::format("\"{}\": expected a site's origin such as \"https://news.example.com\" (scheme and "
                             "host, no path; leave the list empty for any site)",
                             v),
                 &item);
        out.push_back(lower);
    });
    return out;
}
}  // namespace

server_config read_server(const toml::table& t) {
    server_config s;
    check_keys(t, "server",
               {"listen", "threads", "ping_interval", "heartbeat_interval", "max_queued_messages", "web_root", "state_dir",
                "state_save_interval", "trusted_proxies", "allowed_sites", "ops_listen",
                // Replaced by allowed_sites: named so that the error says so.
                "allowed_origins", "cors_origins"});
    if (const auto* n = t.get("listen")) std::tie(s.listen_host, s.listen_port) = parse_listen(*n, "server.listen");
    if (const auto* n = t.get("threads")) s.threads = static_cast<unsigned>(get_int(*n, "server.threads", 0, max_threads));
    if (const auto* n = t.get("ping_interval")) s.ping_interval = get_duration(*n, "server.ping_interval", true);
    if (const auto* n = t.get("heartbeat_interval"))
        s.heartbeat_interval = get_duration(*n, "server.heartbeat_interval", true);
    if (const auto* n = t.get("max_queued_messages"))
        s.max_queued_messages = static_cast<std::size_t>(
            get_int(*n, "server.max_queued_messages", 1, std::numeric_limits<std::int64_t>::max()));
    if (const auto* n = t.get("web_root")) {
        s.web_root = get_string(*n, "server.web_root");
        if (s.web_root.empty() || has_control_chars(s.web_root))
            fail("server.web_root", "must be a directory path", n);
    }
    if (const auto* n = t.get("state_dir")) {
        s.state_dir = get_string(*n, "server.state_dir");
        if (s.state_dir.empty() || has_control_chars(s.state_dir))
            fail("server.state_dir", "must be a directory path", n);
    }
    if (const auto* n = t.get("state_save_interval")) {
        s.state_save_interval = get_duration(*n, "server.state_save_interval", true);
        if (s.state_save_interval < milliseconds{100}) fail("server.state_save_interval", "must be at least 100ms", n);
    }
    if (const auto* n = t.get("trusted_proxies")) {
        s.trusted_proxies.clear();
        for_each_string(*n, "server.trusted_proxies", [&](const std::string& v, const std::string& key,
                                                          const toml::node& item) {
            const auto net = parse_network(v);
            if (!net)
                fail(key, fmt::format("\"{}\": expected an IP address or CIDR network, e.g. \"10.0.0.0/8\"", v),
                     &item);
            s.trusted_proxies.push_back(*net);
        });
    }
    for (const char* old : {"allowed_origins", "cors_origins"}) {
        if (const auto* n = t.get(old))
            fail(join("server", old),
                 "replaced by server.allowed_sites (one list of the sites allowed to embed the bar, for both the "
                 "WebSocket Origin check and CORS; empty or absent: any site)",
                 n);
    }
    if (const auto* n = t.get("allowed_sites")) s.allowed_sites = read_origins(*n, "server.allowed_sites");
    if (const auto* n = t.get("ops_listen")) {
        std::tie(s.ops_listen_host, s.ops_listen_port) = parse_listen(*n, "server.ops_listen");
        s.ops_listen_set = true;
    }
    if (s.ops_listen_set && s.ops_listen_port != 0 && s.ops_listen_port == s.listen_port &&
        s.ops_listen_host == s.listen_host)
        fail("server.ops_listen",
             "must not be the address of server.listen (the ops endpoints need a listener of their own)",
             t.get("ops_listen"));
    return s;
}

limits_config read_limits(const toml::table& t) {
    limits_config l;
    check_keys(t, "limits",
               {"max_connections", "max_connections_per_ip", "max_header_bytes", "max_message_bytes",
                "handshake_timeout", "idle_timeout", "messages_per_second", "max_queued_bytes",
                "max_lag", "slow_client_timeout", "send_buffer_bytes"});
    constexpr std::int64_t big = 1'000'000'000;
    auto count = [&](const char* name, std::int64_t min, std::int64_t max, auto& out) {
        if (const auto* n = t.get(name))
            out = static_cast<std::remove_reference_t<decltype(out)>>(get_int(*n, join("limits", name), min, max));
    };
    auto duration = [&](const char* name, milliseconds& out) {
        if (const auto* n = t.get(name)) out = get_duration(*n, join("limits", name), true);
    };
    count("max_connections", 0, big, l.max_connections);
    count("max_connections_per_ip", 0, big, l.max_connections_per_ip);
    count("max_header_bytes", 1024, 1 << 20, l.max_header_bytes);
    count("max_message_bytes", 64, 1 << 20, l.max_message_bytes);
    duration("handshake_timeout", l.handshake_timeout);
    duration("idle_timeout", l.idle_timeout);
    count("messages_per_second", 0, 100'000, l.messages_per_second);
    count("max_queued_bytes", 4096, std::int64_t{1} << 32, l.max_queued_bytes);
    duration("max_lag", l.max_lag);
    duration("slow_client_timeout", l.slow_client_timeout);
    count("send_buffer_bytes", 0, 64 << 20, l.send_buffer_bytes);
    return l;
}
}  // namespace tickerd::config_sections

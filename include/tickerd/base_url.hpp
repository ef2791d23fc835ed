#pragma once
// An upstream's base URL, "scheme://host[:port][/prefix]": checked and taken
// apart once, for the config loader (which reports what is wrong) and for the
// HTTP and WebSocket clients (which connect to it). Pure: text in, values out.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "tickerd/result.hpp"

namespace tickerd {

// Which schemes a URL may have: http:// or https://, or ws:// or wss://.
enum class url_family { http, websocket };

struct base_url {
    bool tls = false;     // https:// or wss://
    std::string host;     // without the brackets of an IPv6 address
    std::string port;     // as written, else "443" (tls) or "80"
    std::string prefix;   // path prefix without a trailing '/'
    std::string text;     // the URL as written, without a trailing '/'
};

// What is wrong with a URL, the first problem found, in this order.
enum class url_problem {
    scheme,       // not one of the family's schemes
    characters,   // spaces or control characters
    query,        // a query or a fragment
    credentials,  // "user@host"
    host,         // missing or invalid host
    port,         // not a number from 1 to 65535
};

// No credentials, query or fragment; the host a DNS name, or an IPv6 address in brackets.
result<base_url, url_problem> parse_base_url(std::string_view url, url_family family);

// 0..65535, plain digits only.
std::optional<std::uint16_t> parse_port(std::string_view s);
// Letters, digits, '.' and '-', not starting with '.' or '-', nor ending with '-'.
bool is_hostname(std::string_view s);
// An IPv6 address, without brackets.
bool is_ipv6(std::string_view s);

}  // namespace tickerd

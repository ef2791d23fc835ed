// TOML text to a validated, immutable config. Every key is known: anything else is
// an error, reported with its full dotted path ("symbols[2].max_age") so a user can
// find it. Only the first error is reported.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "settings/config_loader.hpp"
#include "tickerd/base_url.hpp"
#include "tickerd/feeds/registry.hpp"
#include "tickerd/feeds/openerapi.hpp"
#include "tickerd/market_calendar.hpp"

namespace tickerd {
namespace {

constexpr std::string_view sim_provider = "sim";
constexpr std::size_t max_symbol_id_length = 32;
constexpr unsigned max_threads = 1024;
constexpr std::size_t max_config_bytes = 4 << 20;

// Thrown inside the validator, caught once in parse_config.
struct invalid {
    std::string key;
    std::string message;
};

std::string join(std::string_view path, std::string_view key) {
    if (path.empty()) return std::string(key);
    return fmt::format("{}.{}", path, key);
}

std::string index_path(std::string_view path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

std::string_view type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

std::string at_line(const toml::node* n) {
    if (n == nullptr || n->source().begin.line == 0) return {};
    return fmt::format(" (line {})", n->source().begin.line);
}

[[noreturn]] void fail(std::string key, std::string message, const toml::node* at = nullptr) {
    throw invalid{std::move(key), std::move(message) + at_line(at)};
}

[[noreturn]] void wrong_type(const std::string& key, std::string_view expected, const toml::node& n) {
    fail(key, fmt::format("expected {}, got {}", expected, type_name(n)), &n);
}

// Rejects keys outside `allowed`, the first one in document order.
void check_keys(const toml::table& t, std::string_view path, std::initializer_list<std::string_view> allowed) {
    const toml::key* first = nullptr;
    for (const auto& [k, v] : t) {
        if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
        if (first == nullptr ||
            std::pair(k.source().begin.line, k.source().begin.column) <
                std::pair(first->source().begin.line, first->source().begin.column))
            first = &k;
    }
    if (first != nullptr) {
        std::string line;
        if (first->source().begin.line != 0) line = fmt::format(" (line {})", first->source().begin.line);
        throw invalid{join(path, first->str()), "unknown key" + line};
    }
}

const toml::table& as_table(const toml::node& n, const std::string& key) {
    if (const auto* t = n.as_table()) return *t;
    wrong_type(key, "a table", n);
}

std::string get_string(const toml::node& n, const std::string& key) {
    if (const auto* s = n.as_string()) return s->get();
    wrong_type(key, "a string", n);
}

std::int64_t get_int(const toml::node& n, const std::string& key, std::int64_t min, std::int64_t max) {
    const auto* i = n.as_integer();
    if (i == nullptr) wrong_type(key, "an integer", n);
    const std::int64_t v = i->get();
    if (v < min || v > max) {
        if (max == std::numeric_limits<std::int64_t>::max())
            fail(key, fmt::format("must be at least {}, got {}", min, v), &n);
        fail(key, fmt::format("must be between {} and {}, got {}", min, max, v), &n);
    }
    return v;
}

milliseconds get_duration(const toml::node& n, const std::string& key, bool positive) {
    const auto* s = n.as_string();
    if (s == nullptr) wrong_type(key, "a duration string such as \"5s\"", n);
    const auto d = parse_duration(s->get());
    if (!d)
        fail(key,
             fmt::format("invalid duration \"{}\": use whole numbers with units ms, s, m, h, "
                         "e.g. \"250ms\", \"5s\", \"1m30s\"",
                         s->get()),
             &n);
    if (positive && d->count() == 0) fail(key, "must be greater than zero", &n);
    return *d;
}

bool has_control_chars(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

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

void parse_listen(const toml::node& n, const std::string& key, server_config& out) {
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
    out.listen_host = std::string(host);
    out.listen_port = *p;
}

// scheme://host[:port][/prefix], no credentials, query or fragment. Trailing '/' removed.
// With `websocket`, ws:// or wss:// instead of http:// or https://.
std::string parse_base_url(const toml::node& n, const std::string& key, bool websocket = false) {
    const std::string s = get_string(n, key);
    const auto url = tickerd::parse_base_url(s, websocket ? url_family::websocket : url_family::http);
    if (url) return url->text;
    switch (url.error()) {
        case url_problem::scheme:
            fail(key, fmt::format("\"{}\": must start with {}", s, websocket ? "ws:// or wss://" : "http:// or https://"),
                 &n);
        case url_problem::characters:
            fail(key, fmt::format("\"{}\": must not contain spaces or control characters", s), &n);
        case url_problem::query: fail(key, fmt::format("\"{}\": must not have a query or fragment", s), &n);
        case url_problem::credentials: fail(key, fmt::format("\"{}\": credentials in the URL are not supported", s), &n);
        case url_problem::host: break;
        case url_problem::port: fail(key, fmt::format("\"{}\": the port must be a number from 1 to 65535", s), &n);
    }
    fail(key, fmt::format("\"{}\": missing or invalid host", s), &n);
}

bool is_symbol_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("._/=^-").find(c) != std::string_view::npos;
}

// Byte offset in `text` of a 1-based (line, column) position, columns counted in code points
// as toml++ does. npos when the position is not in the text.
std::size_t byte_offset(std::string_view text, std::uint32_t line, std::uint32_t column) {
    if (line == 0 || column == 0) return std::string_view::npos;
    std::size_t pos = 0;
    for (std::uint32_t l = 1; l < line; ++l) {
        pos = text.find('\n', pos);
        if (pos == std::string_view::npos) return pos;
        ++pos;
    }
    for (std::uint32_t c = 1; c < column; ++c) {
        if (pos >= text.size() || text[pos] == '\n') return std::string_view::npos;
        ++pos;
        while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
    }
    return pos;
}

// The decimal value of a TOML float, from its text as written when it can be recovered (so
// digits beyond a double's precision are kept), else from the double's shortest form.
std::optional<decimal> float_to_decimal(const toml::value<double>& v, std::string_view toml_text) {
    const double d = v.get();
    if (!std::isfinite(d)) return std::nullopt;
    const auto& src = v.source();
    if (src.begin.line == src.end.line) {
        const auto b = byte_offset(toml_text, src.begin.line, src.begin.column);
        const auto e = byte_offset(toml_text, src.end.line, src.end.column);
        if (b != std::string_view::npos && e != std::string_view::npos && e > b) {
            std::string written(toml_text.substr(b, e - b));
            std::erase(written, '_');
            if (auto p = decimal::parse(written)) {
                if (std::abs(p->to_double() - d) <= 1e-6 * std::max(1.0, std::abs(d))) return p;
            }
        }
    }
    return decimal::parse(fmt::format("{}", d));
}

class validator {
public:
    explicit validator(std::string_view text) : text_(text) {}

    config run(const toml::table& root) {
        config c;
        check_keys(root, "",
                   {"log_level", "server", "limits", "history", "bad_tick", "symbols", "providers", "markets"});
        if (const auto* n = root.get("log_level")) c.log_level = log_level(*n);
        if (const auto* n = root.get("server")) c.server = server(as_table(*n, "server"));
        if (const auto* n = root.get("limits")) c.limits = limits(as_table(*n, "limits"));
        if (const auto* n = root.get("history")) c.history = history(as_table(*n, "history"));
        if (const auto* n = root.get("bad_tick")) c.bad_tick = bad_tick(as_table(*n, "bad_tick"));
        if (const auto* n = root.get("providers")) {
            for (const auto& [name, node] : as_table(*n, "providers")) {
                const std::string key = join("providers", name.str());
                if (!is_known_provider(name.str()))
                    fail(key, fmt::format("unknown provider '{}'", name.str()), &node);
                c.providers.emplace(std::string(name.str()), provider(name.str(), as_table(node, key), key));
            }
        }
        if (const auto* n = root.get("markets")) markets(as_table(*n, "markets"));
        const auto* syms = root.get("symbols");
        if (syms == nullptr) fail("symbols", "at least one [[symbols]] entry is required");
        const auto* arr = syms->as_array();
        if (arr == nullptr) wrong_type("symbols", "an array of tables ([[symbols]])", *syms);
        if (arr->empty()) fail("symbols", "at least one [[symbols]] entry is required", syms);
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const std::string key = index_path("symbols", i);
            c.symbols.push_back(symbol(as_table((*arr)[i], key), key, c));
        }
        return c;
    }

private:
    static std::string log_level(const toml::node& n) {
        static constexpr std::string_view levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
        std::string s = get_string(n, "log_level");
        if (std::find(std::begin(levels), std::end(levels), s) == std::end(levels))
            fail("log_level",
                 fmt::format("unknown level \"{}\": use trace, debug, info, warn, error, critical or off", s),
                 &n);
        return s;
    }

    static server_config server(const toml::table& t) {
        server_config s;
        check_keys(t, "server",
                   {"listen", "threads", "ping_interval", "heartbeat_interval", "max_queued_messages", "web_root", "state_dir",
                    "state_save_interval", "trusted_proxies", "allowed_origins", "cors_origins"});
        if (const auto* n = t.get("listen")) parse_listen(*n, "server.listen", s);
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
        if (const auto* n = t.get("allowed_origins")) s.allowed_origins = origins(*n, "server.allowed_origins", false);
        if (const auto* n = t.get("cors_origins")) s.cors_origins = origins(*n, "server.cors_origins", true);
        return s;
    }

    template <class F>
    static void for_each_string(const toml::node& n, const std::string& key, F&& f) {
        const auto* arr = n.as_array();
        if (arr == nullptr) wrong_type(key, "an array of strings", n);
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const std::string k = index_path(key, i);
            f(get_string((*arr)[i], k), k, (*arr)[i]);
        }
    }

    // "https://example.com[:port]": scheme and host, no path; compared case-insensitively.
    static std::vector<std::string> origins(const toml::node& n, const std::string& key, bool star) {
        std::vector<std::string> out;
        for_each_string(n, key, [&](const std::string& v, const std::string& k, const toml::node& item) {
            if (star && v == "*") return out.push_back(v);
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
                     fmt::format("\"{}\": expected an origin such as \"https://example.com\" (scheme and host, no "
                                 "path){}",
                                 v, star ? ", or \"*\"" : ""),
                     &item);
            out.push_back(lower);
        });
        return out;
    }

    static limits_config limits(const toml::table& t) {
        limits_config l;
        check_keys(t, "limits",
                   {"max_connections", "max_connections_per_ip", "max_header_bytes", "max_message_bytes",
                    "handshake_timeout", "idle_timeout", "messages_per_second", "max_queued_bytes",
                    "slow_client_timeout", "send_buffer_bytes"});
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
        duration("slow_client_timeout", l.slow_client_timeout);
        count("send_buffer_bytes", 0, 64 << 20, l.send_buffer_bytes);
        return l;
    }

    static history_config history(const toml::table& t) {
        history_config h;
        check_keys(t, "history", {"resolution", "retention"});
        if (const auto* n = t.get("resolution")) {
            h.resolution = get_duration(*n, "history.resolution", true);
            if (h.resolution < milliseconds{1000}) fail("history.resolution", "must be at least 1s", n);
        }
        if (const auto* n = t.get("retention")) {
            h.retention = get_duration(*n, "history.retention", true);
            if (h.retention < h.resolution) fail("history.retention", "must be at least history.resolution", n);
            if (h.retention / h.resolution > 100'000)
                fail("history.retention", "keeps more than 100000 points per symbol: raise history.resolution", n);
        }
        return h;
    }

    static provider_config provider(std::string_view name, const toml::table& t, const std::string& path) {
        provider_config p;
        p.name = std::string(name);
        const provider_policy& policy = *find_provider(name);  // run() accepts known providers only
        const bool sim = policy.kind == provider_kind::simulated;
        const bool push = policy.kind == provider_kind::push;
        p.interval = policy.interval;
        check_keys(t, path,
                   {"base_url", "interval", "timeout", "max_backoff", "max_body_bytes", "user_agent", "seed",
                    "closed_interval",
                    "idle_timeout", "api_key_file", "min_spacing", "ca_file"});
        if (sim) {
            for (std::string_view k : {"base_url", "timeout", "max_backoff", "max_body_bytes", "user_agent",
                                       "closed_interval", "min_spacing", "ca_file"})
                if (const auto* n = t.get(k)) fail(join(path, k), "not used by the sim provider", n);
        } else if (const auto* n = t.get("seed")) {
            fail(join(path, "seed"), "only used by the sim provider", n);
        }
        if (push) {
            for (std::string_view k : {"interval", "max_body_bytes", "user_agent", "min_spacing"})
                if (const auto* n = t.get(k)) fail(join(path, k), "not used by the coinbase_ws provider", n);
        } else if (const auto* n = t.get("idle_timeout")) {
            fail(join(path, "idle_timeout"), "only used by the coinbase_ws provider", n);
        }
        if (const auto* n = t.get("idle_timeout")) p.idle_timeout = get_duration(*n, join(path, "idle_timeout"), true);
        if (const auto* n = t.get("api_key_file")) {
            // The key itself never lives in the TOML: only where to read it.
            if (policy.poll == nullptr || policy.poll->key_header.empty())
                fail(join(path, "api_key_file"), "only used by providers that need an API key (finnhub)", n);
            p.api_key_file = get_string(*n, join(path, "api_key_file"));
            if (p.api_key_file.empty() || has_control_chars(p.api_key_file))
                fail(join(path, "api_key_file"), "must be a file path", n);
        }

        if (const auto* n = t.get("base_url")) {
            p.base_url = parse_base_url(*n, join(path, "base_url"), push);
        } else if (!policy.base_url.empty()) {
            p.base_url = std::string(policy.base_url);
        } else if (!sim) {
            fail(join(path, "base_url"),
                 push ? "required: the upstream's URL, e.g. \"wss://ws-feed.exchange.coinbase.com\""
                      : "required: the upstream's URL, e.g. \"https://example.com\"",
                 &t);
        }
        if (const auto* n = t.get("interval")) p.interval = get_duration(*n, join(path, "interval"), true);
        if (const auto* n = t.get("timeout")) p.timeout = get_duration(*n, join(path, "timeout"), true);
        if (const auto* n = t.get("max_backoff")) {
            p.max_backoff = get_duration(*n, join(path, "max_backoff"), true);
            if (p.max_backoff < p.interval && !push)  // a push source has no interval
                fail(join(path, "max_backoff"),
                     fmt::format("must be at least the interval ({} ms), got {} ms", p.interval.count(),
                                 p.max_backoff.count()),
                     n);
        } else {
            p.max_backoff = std::max(p.max_backoff, p.interval);
        }
        if (const auto* n = t.get("max_body_bytes"))
            p.max_body_bytes = static_cast<std::size_t>(
                get_int(*n, join(path, "max_body_bytes"), 1, std::numeric_limits<std::int64_t>::max()));
        if (const auto* n = t.get("user_agent")) {
            p.user_agent = get_string(*n, join(path, "user_agent"));
            if (has_control_chars(p.user_agent))
                fail(join(path, "user_agent"), "must not contain control characters", n);
        }
        if (const auto* n = t.get("closed_interval"))
            p.closed_interval = get_duration(*n, join(path, "closed_interval"), true);
        p.min_spacing = policy.min_spacing;
        if (const auto* n = t.get("min_spacing")) {
            p.min_spacing = get_duration(*n, join(path, "min_spacing"), false);
            if (p.min_spacing > std::chrono::hours(1))
                fail(join(path, "min_spacing"), "must be at most 1h", n);
        }
        if (const auto* n = t.get("ca_file")) {
            p.ca_file = get_string(*n, join(path, "ca_file"));
            if (p.ca_file.empty() || has_control_chars(p.ca_file))
                fail(join(path, "ca_file"), "must be the path of a PEM file of CA certificates", n);
        }
        if (const auto* n = t.get("seed"))
            p.seed = static_cast<std::uint64_t>(
                get_int(*n, join(path, "seed"), 0, std::numeric_limits<std::int64_t>::max()));
        return p;
    }

    symbol_config symbol(const toml::table& t, const std::string& path, const config& c) {
        symbol_config s;
        check_keys(t, path,
                   {"id", "name", "class", "currency", "precision", "sources", "max_age", "failover_after",
                    "failback_after", "start_price", "market"});
        auto required = [&](std::string_view k, std::string_view what) -> const toml::node& {
            const auto* n = t.get(k);
            if (n == nullptr) fail(join(path, k), fmt::format("required: {}", what), &t);
            return *n;
        };

        {
            const std::string key = join(path, "id");
            const auto& n = required("id", "the symbol's id, e.g. \"NVDA\"");
            s.id = get_string(n, key);
            if (s.id.empty()) fail(key, "must not be empty", &n);
            if (s.id.size() > max_symbol_id_length)
                fail(key, fmt::format("\"{}\" is longer than {} characters", s.id, max_symbol_id_length), &n);
            if (!std::all_of(s.id.begin(), s.id.end(), is_symbol_id_char))
                fail(key,
                     fmt::format("\"{}\": only letters, digits and . _ / = ^ - are allowed", s.id), &n);
            for (std::size_t i = 0; i < c.symbols.size(); ++i)
                if (c.symbols[i].id == s.id)
                    fail(key, fmt::format("duplicate symbol id \"{}\" (already used by symbols[{}])", s.id, i),
                         &n);
        }

        s.name = s.id;
        if (const auto* n = t.get("name")) {
            s.name = get_string(*n, join(path, "name"));
            if (s.name.empty()) fail(join(path, "name"), "must not be empty (leave it out to use the id)", n);
            if (has_control_chars(s.name)) fail(join(path, "name"), "must not contain control characters", n);
        }

        {
            const std::string key = join(path, "class");
            const auto& n = required("class", "equity, crypto or fx");
            const std::string cls = get_string(n, key);
            if (cls == "equity") s.cls = asset_class::equity;
            else if (cls == "crypto") s.cls = asset_class::crypto;
            else if (cls == "fx") s.cls = asset_class::fx;
            else fail(key, fmt::format("unknown class \"{}\": use equity, crypto or fx", cls), &n);
        }

        {
            const std::string key = join(path, "currency");
            const auto& n = required("currency", "the quote currency, e.g. \"USD\"");
            s.currency = get_string(n, key);
            const bool ok = !s.currency.empty() && s.currency.size() <= 12 &&
                            std::all_of(s.currency.begin(), s.currency.end(), [](char ch) {
                                return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                       (ch >= '0' && ch <= '9');
                            });
            if (!ok) fail(key, fmt::format("\"{}\": expected a currency code such as \"USD\"", s.currency), &n);
        }

        if (const auto* n = t.get("precision"))
            s.precision = static_cast<int>(get_int(*n, join(path, "precision"), 0, decimal::scale));

        sources(required("sources", "a list such as [\"yahoo:NVDA\"] or [\"sim\"]"), join(path, "sources"), c,
                s);

        if (const auto* n = t.get("max_age")) s.max_age = get_duration(*n, join(path, "max_age"), true);
        if (const auto* n = t.get("failover_after"))
            s.failover_after = static_cast<unsigned>(get_int(*n, join(path, "failover_after"), 1, 1000));
        if (const auto* n = t.get("failback_after"))
            s.failback_after = static_cast<unsigned>(get_int(*n, join(path, "failback_after"), 1, 1000));

        const bool sim = s.sources.front().provider == sim_provider;
        const std::string price_key = join(path, "start_price");
        if (const auto* n = t.get("start_price")) {
            if (!sim) fail(price_key, "only used by the sim provider", n);
            s.start_price = start_price(*n, price_key);
        } else if (sim) {
            fail(price_key, "required for a symbol with a sim source: the price the simulation starts from",
                 &t);
        }
        if (const auto* n = t.get("market")) {
            const std::string key = join(path, "market");
            s.market = get_string(*n, key);
            const auto found = markets_.find(s.market);
            if (found != markets_.end()) {
                s.calendar = found->second;
            } else if (const auto* builtin = find_builtin_calendar(s.market)) {
                s.calendar = std::make_shared<const market_calendar>(*builtin);
            } else {
                fail(key,
                     fmt::format("unknown market \"{}\": use XNAS, XNYS, XHKG, FX, always or a [markets.NAME] table",
                                 s.market),
                     n);
            }
        }
        return s;
    }

    static void sources(const toml::node& n, const std::string& key, const config& c, symbol_config& s) {
        const auto* arr = n.as_array();
        if (arr == nullptr) wrong_type(key, "an array of strings", n);
        if (arr->empty()) fail(key, "must list at least one source, e.g. [\"yahoo:NVDA\"]", &n);
        for (std::size_t j = 0; j < arr->size(); ++j) {
            const std::string k = index_path(key, j);
            const auto& item = (*arr)[j];
            const std::string text = get_string(item, k);
            source_ref ref;
            if (text == sim_provider) {
                ref.provider = text;
            } else {
                const auto colon = text.find(':');
                if (colon == std::string::npos)
                    fail(k, fmt::format("\"{}\": expected \"provider:symbol\" (or just \"sim\")", text), &item);
                ref.provider = text.substr(0, colon);
                ref.upstream_symbol = text.substr(colon + 1);
                if (ref.provider.empty()) fail(k, fmt::format("\"{}\": the provider name is empty", text), &item);
                if (ref.upstream_symbol.empty())
                    fail(k, fmt::format("\"{}\": the upstream symbol is empty", text), &item);
                if (ref.provider == sim_provider)
                    fail(k, fmt::format("\"{}\": the sim provider takes no upstream symbol; write \"sim\"", text),
                         &item);
                if (has_control_chars(ref.upstream_symbol) || ref.upstream_symbol.find(' ') != std::string::npos)
                    fail(k, fmt::format("\"{}\": the upstream symbol must not contain spaces", text), &item);
            }
            if (!is_known_provider(ref.provider))
                fail(k, fmt::format("unknown provider '{}'", ref.provider), &item);
            if (ref.provider == "openerapi" && !feeds::split_openerapi_symbol(ref.upstream_symbol))
                fail(k, fmt::format("\"{}\": openerapi symbols are BASE/QUOTE currency codes, e.g. \"openerapi:USD/VND\"", text),
                     &item);
            if (!c.providers.contains(ref.provider))
                fail(k,
                     fmt::format("provider '{}' is not configured: add [providers.{}]", ref.provider,
                                 ref.provider),
                     &item);
            for (const auto& prev : s.sources) {
                if (prev.provider == ref.provider && prev.upstream_symbol == ref.upstream_symbol)
                    fail(k, fmt::format("duplicate source \"{}\"", text), &item);
                if ((prev.provider == sim_provider) != (ref.provider == sim_provider))
                    fail(k,
                         "\"sim\" cannot be mixed with real providers in one symbol: a simulated price must "
                         "never be served as a real one",
                         &item);
            }
            s.sources.push_back(std::move(ref));
        }
    }

    decimal start_price(const toml::node& n, const std::string& key) const {
        const decimal price = decimal_value(n, key);
        if (!price.is_positive()) fail(key, "must be greater than zero", &n);
        return price;
    }

    bad_tick_config bad_tick(const toml::table& t) const {
        bad_tick_config b;
        check_keys(t, "bad_tick", {"equity", "crypto", "fx"});
        for (auto [name, field] : {std::pair{"equity", &b.equity}, std::pair{"crypto", &b.crypto}, std::pair{"fx", &b.fx}}) {
            const auto* n = t.get(name);
            if (n == nullptr) continue;
            const std::string key = join("bad_tick", name);
            *field = decimal_value(*n, key);
            if (field->is_negative() || *field > decimal::from_int(1000))
                fail(key, "must be a percentage from 0 (no check) to 1000", n);
        }
        return b;
    }

    // A number, or a decimal string read exactly ("1284.30").
    decimal decimal_value(const toml::node& n, const std::string& key) const {
        std::optional<decimal> price;
        if (const auto* str = n.as_string()) {
            price = decimal::parse(str->get());
            if (!price) fail(key, fmt::format("\"{}\" is not a decimal number", str->get()), &n);
        } else if (const auto* i = n.as_integer()) {
            constexpr std::int64_t max_whole = std::numeric_limits<std::int64_t>::max() / decimal::one;
            if (i->get() > max_whole || i->get() < -max_whole) fail(key, "out of range", &n);
            price = decimal::from_int(i->get());
        } else if (const auto* f = n.as_floating_point()) {
            price = float_to_decimal(*f, text_);
            if (!price) fail(key, "not a finite number in range", &n);
        } else {
            wrong_type(key, "a number or a decimal string such as \"1284.30\"", n);
        }
        return *price;
    }

    // [markets.NAME] tables: a built-in name starts from the built-in calendar and
    // replaces the keys given; a new name needs timezone and regular.
    void markets(const toml::table& t) {
        for (const auto& [name_key, node] : t) {
            const std::string name(name_key.str());
            const std::string path = join("markets", name);
            const bool name_ok = !name.empty() && name.size() <= 32 &&
                                 std::all_of(name.begin(), name.end(), [](char ch) {
                                     return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                            (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
                                 });
            if (!name_ok)
                fail(path, "a market name is 1 to 32 letters, digits, _ or -", &node);
            if (name == "always") fail(path, "\"always\" is built in and cannot be changed", &node);
            markets_[name] = std::make_shared<const market_calendar>(market(name, as_table(node, path), path));
        }
    }

    static market_calendar market(const std::string& name, const toml::table& t, const std::string& path) {
        check_keys(t, path, {"timezone", "regular", "pre", "post", "weekdays", "holidays", "half_days", "half_day_close"});
        market_calendar m;
        if (const auto* builtin = find_builtin_calendar(name)) {
            m = *builtin;
        } else {
            m.name = name;
            m.weekdays = {false, true, true, true, true, true, false};
            for (std::string_view k : {"timezone", "regular"})
                if (t.get(k) == nullptr)
                    fail(join(path, k),
                         k == "timezone" ? "required: an IANA time zone such as \"America/New_York\""
                                         : "required: the regular sessions, e.g. [\"09:30-16:00\"]",
                         &t);
        }
        if (const auto* n = t.get("timezone")) {
            const std::string key = join(path, "timezone");
            m.timezone = get_string(*n, key);
            if (!is_known_time_zone(m.timezone))
                fail(key,
                     fmt::format("unknown time zone \"{}\": use an IANA name from the system time zone database "
                                 "(/usr/share/zoneinfo), e.g. \"America/New_York\"",
                                 m.timezone),
                     n);
        }
        if (const auto* n = t.get("regular")) {
            const std::string key = join(path, "regular");
            const auto* arr = n->as_array();
            if (arr == nullptr) wrong_type(key, "an array of strings such as [\"09:30-16:00\"]", *n);
            if (arr->empty()) fail(key, "must list at least one session, e.g. [\"09:30-16:00\"]", n);
            m.regular.clear();
            for (std::size_t i = 0; i < arr->size(); ++i) {
                const std::string k = index_path(key, i);
                const auto r = range((*arr)[i], k);
                if (!m.regular.empty() && r.begin < m.regular.back().end)
                    fail(k, "sessions must be in time order and must not overlap", &(*arr)[i]);
                m.regular.push_back(r);
            }
        }
        if (const auto* n = t.get("pre")) m.pre = range(*n, join(path, "pre"));
        if (const auto* n = t.get("post")) m.post = range(*n, join(path, "post"));
        if (m.pre && m.pre->end > m.regular.front().begin)
            fail(join(path, "pre"), "must end by the start of the first regular session", t.get("pre"));
        if (m.post && m.post->begin < m.regular.back().end)
            fail(join(path, "post"), "must start at or after the end of the last regular session", t.get("post"));
        if (const auto* n = t.get("weekdays")) {
            static constexpr std::string_view days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
            const std::string key = join(path, "weekdays");
            const auto* arr = n->as_array();
            if (arr == nullptr) wrong_type(key, "an array of strings such as [\"mon\", \"tue\"]", *n);
            if (arr->empty()) fail(key, "must list at least one day", n);
            m.weekdays = {};
            for (std::size_t i = 0; i < arr->size(); ++i) {
                const std::string k = index_path(key, i);
                const std::string d = get_string((*arr)[i], k);
                const auto* it = std::find(std::begin(days), std::end(days), d);
                if (it == std::end(days))
                    fail(k, fmt::format("unknown day \"{}\": use mon, tue, wed, thu, fri, sat or sun", d), &(*arr)[i]);
                auto& slot = m.weekdays[static_cast<std::size_t>(it - std::begin(days))];
                if (slot) fail(k, fmt::format("duplicate day \"{}\"", d), &(*arr)[i]);
                slot = true;
            }
        }
        if (const auto* n = t.get("holidays")) {
            const std::string key = join(path, "holidays");
            const auto* arr = n->as_array();
            if (arr == nullptr) wrong_type(key, "an array of dates such as [\"2026-12-25\"]", *n);
            m.holidays.clear();
            for (std::size_t i = 0; i < arr->size(); ++i) m.holidays.push_back(holiday((*arr)[i], index_path(key, i)));
        }
        if (const auto* n = t.get("half_day_close")) {
            const std::string key = join(path, "half_day_close");
            const std::string text = get_string(*n, key);
            const auto close = parse_clock_time(text);
            if (!close) fail(key, fmt::format("invalid time \"{}\": use \"HH:MM\" (24-hour local time), e.g. \"13:00\"", text), n);
            if (*close <= m.regular.front().begin || *close >= m.regular.back().end)
                fail(key, "must fall after the start of the first regular session and before the end of the last", n);
            m.half_day_close = close;
        }
        if (const auto* n = t.get("half_days")) {
            const std::string key = join(path, "half_days");
            const auto* arr = n->as_array();
            if (arr == nullptr) wrong_type(key, "an array of dates such as [\"2026-12-24\"]", *n);
            m.half_days.clear();
            for (std::size_t i = 0; i < arr->size(); ++i) {
                const std::string k = index_path(key, i);
                const auto d = holiday((*arr)[i], k);
                if (std::find(m.holidays.begin(), m.holidays.end(), d) != m.holidays.end())
                    fail(k, "is also listed in holidays: a day is either closed or a half day", &(*arr)[i]);
                m.half_days.push_back(d);
            }
            if (!m.half_days.empty() && !m.half_day_close)
                fail(join(path, "half_day_close"), "required with half_days: the early close, e.g. \"13:00\"", &t);
        }
        return m;
    }

    static session_range range(const toml::node& n, const std::string& key) {
        const std::string text = get_string(n, key);
        const auto r = parse_session_range(text);
        if (!r)
            fail(key,
                 fmt::format("invalid time range \"{}\": use \"HH:MM-HH:MM\" (24-hour local time, start before "
                             "end, \"24:00\" only as an end), e.g. \"09:30-16:00\"",
                             text),
                 &n);
        return *r;
    }

    // "2026-12-25", or a TOML date (2026-12-25 unquoted).
    static std::chrono::year_month_day holiday(const toml::node& n, const std::string& key) {
        int y = 0;
        unsigned mo = 0;
        unsigned d = 0;
        if (const auto* dt = n.as_date()) {
            y = dt->get().year;
            mo = dt->get().month;
            d = dt->get().day;
        } else if (const auto* s = n.as_string()) {
            const std::string& text = s->get();
            const bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                               all_digits(std::string_view(text).substr(0, 4)) &&
                               all_digits(std::string_view(text).substr(5, 2)) &&
                               all_digits(std::string_view(text).substr(8, 2));
            if (!shape) fail(key, fmt::format("invalid date \"{}\": use \"YYYY-MM-DD\"", text), &n);
            y = std::stoi(text.substr(0, 4));
            mo = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
            d = static_cast<unsigned>(std::stoi(text.substr(8, 2)));
        } else {
            wrong_type(key, "a date string such as \"2026-12-25\"", n);
        }
        const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo}, std::chrono::day{d}};
        if (!ymd.ok()) fail(key, fmt::format("{:04}-{:02}-{:02} is not a calendar date", y, mo, d), &n);
        return ymd;
    }

    std::map<std::string, std::shared_ptr<const market_calendar>> markets_;
    std::string_view text_;
};

}  // namespace

std::optional<milliseconds> parse_duration(std::string_view text) {
    // Whole numbers, each followed by a unit; units strictly descending (h, m, s, ms), each at
    // most once. No sign, no fractions, no spaces: "1.5s" is written "1500ms".
    static constexpr std::pair<std::string_view, std::int64_t> units[] = {
        {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}};
    if (text.empty()) return std::nullopt;
    std::int64_t total = 0;
    std::size_t next_unit = 0;  // index into units of the largest unit still allowed
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t digits_start = i;
        std::int64_t n = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (n > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
            n = n * 10 + (text[i] - '0');
            ++i;
        }
        if (i == digits_start) return std::nullopt;
        const std::size_t unit_start = i;
        while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
        const std::string_view unit = text.substr(unit_start, i - unit_start);
        std::size_t u = next_unit;
        while (u < std::size(units) && units[u].first != unit) ++u;
        if (u == std::size(units)) return std::nullopt;
        if (n > (std::numeric_limits<std::int64_t>::max() - total) / units[u].second) return std::nullopt;
        total += n * units[u].second;
        next_unit = u + 1;
    }
    return milliseconds{total};
}

result<config, config_error> parse_config(std::string_view toml_text, std::string_view file) {
    toml::table root;
    try {
        root = toml::parse(toml_text, std::string(file));
    } catch (const toml::parse_error& e) {
        const auto& pos = e.source().begin;
        std::string message = std::string(e.description());
        if (pos.line != 0) message = fmt::format("line {}, column {}: {}", pos.line, pos.column, message);
        return config_error{std::string(file), "", "invalid TOML: " + message};
    }
    try {
        config c = validator(toml_text).run(root);
        c.file = std::string(file);
        return c;
    } catch (const invalid& e) {
        return config_error{std::string(file), e.key, e.message};
    }
}

result<config, config_error> load_config(const std::string& path) {
    auto unreadable = [&](int err) {
        return config_error{path, "",
                            fmt::format("cannot read the config file: {}", std::generic_category().message(err))};
    };
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!f) return unreadable(errno);
    std::string text;
    char buf[8192];
    while (true) {
        errno = 0;
        const std::size_t n = std::fread(buf, 1, sizeof buf, f.get());
        text.append(buf, n);
        if (text.size() > max_config_bytes)
            return config_error{path, "", fmt::format("the config file is larger than {} bytes", max_config_bytes)};
        if (n < sizeof buf) {
            if (std::ferror(f.get())) return unreadable(errno != 0 ? errno : EIO);
            break;
        }
    }
    auto cfg = parse_config(text, path);
    if (!cfg) return cfg;
    // Extra CA files are read here (parse_config does no I/O); the TLS context loads them again at start.
    for (const auto& [name, p] : cfg->providers) {
        if (p.ca_file.empty()) continue;
        const std::string key = join(join("providers", name), "ca_file");
        std::unique_ptr<std::FILE, int (*)(std::FILE*)> ca(std::fopen(p.ca_file.c_str(), "rb"), &std::fclose);
        if (!ca)
            return config_error{path, key,
                                fmt::format("cannot read \"{}\": {}", p.ca_file, std::generic_category().message(errno))};
        std::string pem;
        while (pem.size() <= max_config_bytes) {
            const std::size_t n = std::fread(buf, 1, sizeof buf, ca.get());
            pem.append(buf, n);
            if (n < sizeof buf) break;
        }
        if (pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos)
            return config_error{path, key, fmt::format("\"{}\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                                                       p.ca_file)};
    }
    return cfg;
}

}  // namespace tickerd

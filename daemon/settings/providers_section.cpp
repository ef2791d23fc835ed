// [providers.NAME]: one table per provider the symbols use. What the config
// leaves out comes from the provider's policy in the registry.
#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "settings/config_sections.hpp"
#include "settings/toml_reader.hpp"
#include "tickerd/base_url.hpp"
#include "tickerd/feeds/registry.hpp"

namespace tickerd::config_sections {
namespace {

using namespace toml_reader;

// scheme://host[:port][/prefix], no credentials, query or fragment. Trailing '/' removed.
// With `websocket`, ws:// or wss:// instead of http:// or https://.
std::string read_base_url(const toml::node& n, const std::string& key, bool websocket) {
    const std::string s = get_string(n, key);
    const auto url = parse_base_url(s, websocket ? url_family::websocket : url_family::http);
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

// Every key a provider table may have, and those only some kinds of provider use.
void check_provider_keys(const provider_policy& policy, const toml::table& t, const std::string& path) {
    check_keys(t, path,
               {"base_url", "interval", "timeout", "max_backoff", "max_body_bytes", "user_agent", "seed",
                "closed_interval", "idle_timeout", "api_key_file", "min_spacing", "ca_file"});
    if (policy.kind == provider_kind::simulated) {
        for (std::string_view k : {"base_url", "timeout", "max_backoff", "max_body_bytes", "user_agent",
                                   "closed_interval", "min_spacing", "ca_file"})
            if (const auto* n = t.get(k)) fail(join(path, k), "not used by the sim provider", n);
    } else if (const auto* n = t.get("seed")) {
        fail(join(path, "seed"), "only used by the sim provider", n);
    }
    if (policy.kind == provider_kind::push) {
        for (std::string_view k : {"interval", "max_body_bytes", "user_agent", "min_spacing"})
            if (const auto* n = t.get(k)) fail(join(path, k), "not used by the coinbase_ws provider", n);
    } else if (const auto* n = t.get("idle_timeout")) {
        fail(join(path, "idle_timeout"), "only used by the coinbase_ws provider", n);
    }
}

// base_url, or the provider's default one; sim has none.
void read_provider_url(const provider_policy& policy, const toml::table& t, const std::string& path, provider_config& p) {
    const bool push = policy.kind == provider_kind::push;
    if (const auto* n = t.get("base_url")) {
        p.base_url = read_base_url(*n, join(path, "base_url"), push);
    } else if (!policy.base_url.empty()) {
        p.base_url = std::string(policy.base_url);
    } else if (policy.kind != provider_kind::simulated) {
        fail(join(path, "base_url"),
             push ? "required: the upstream's URL, e.g. \"wss://ws-feed.exchange.coinbase.com\""
                  : "required: the upstream's URL, e.g. \"https://example.com\"",
             &t);
    }
}

// interval (the provider's default unless given), timeout, max_backoff.
void read_provider_timing(const toml::table& t, const std::string& path, provider_config& p) {
    if (const auto* n = t.get("interval")) p.interval = get_duration(*n, join(path, "interval"), true);
    if (const auto* n = t.get("timeout")) p.timeout = get_duration(*n, join(path, "timeout"), true);
    // The cap of the retry wait after failures, whatever the interval: a long
    // interval (openerapi's 1h) must not keep a recovered upstream's quotes stale for that long.
    if (const auto* n = t.get("max_backoff")) p.max_backoff = get_duration(*n, join(path, "max_backoff"), true);
}

// A file path key: not empty, no control characters.
std::string read_path(const toml::node& n, const std::string& key, std::string_view what) {
    std::string s = get_string(n, key);
    if (s.empty() || has_control_chars(s)) fail(key, std::string(what), &n);
    return s;
}

}  // namespace

provider_config read_provider(std::string_view name, const toml::table& t, const std::string& path) {
    const provider_policy& policy = *find_provider(name);  // the walk accepts known providers only
    check_provider_keys(policy, t, path);
    provider_config p;
    p.name = std::string(name);
    p.interval = policy.interval;
    if (const auto* n = t.get("idle_timeout")) p.idle_timeout = get_duration(*n, join(path, "idle_timeout"), true);
    if (const auto* n = t.get("api_key_file")) {
        // The key itself never lives in the TOML: only where to read it.
        if (policy.poll == nullptr || policy.poll->key_header.empty())
            fail(join(path, "api_key_file"), "only used by providers that need an API key (finnhub)", n);
        p.api_key_file = read_path(*n, join(path, "api_key_file"), "must be a file path");
    }
    read_provider_url(policy, t, path, p);
    read_provider_timing(t, path, p);
    if (const auto* n = t.get("max_body_bytes"))
        p.max_body_bytes = static_cast<std::size_t>(
            get_int(*n, join(path, "max_body_bytes"), 1, std::numeric_limits<std::int64_t>::max()));
    if (const auto* n = t.get("user_agent")) {
        p.user_agent = get_string(*n, join(path, "user_agent"));
        if (has_control_chars(p.user_agent)) fail(join(path, "user_agent"), "must not contain control characters", n);
    }
    if (const auto* n = t.get("closed_interval"))
        p.closed_interval = get_duration(*n, join(path, "closed_interval"), true);
    p.min_spacing = policy.min_spacing;
    if (const auto* n = t.get("min_spacing")) {
        p.min_spacing = get_duration(*n, join(path, "min_spacing"), false);
        if (p.min_spacing > std::chrono::hours(1)) fail(join(path, "min_spacing"), "must be at most 1h", n);
    }
    if (const auto* n = t.get("ca_file"))
        p.ca_file = read_path(*n, join(path, "ca_file"), "must be the path of a PEM file of CA certificates");
    if (const auto* n = t.get("seed"))
        p.seed = static_cast<std::uint64_t>(
            get_int(*n, join(path, "seed"), 0, std::numeric_limits<std::int64_t>::max()));
    return p;
}

}  // namespace tickerd::config_sections

#include "settings/config_print.hpp"

#include "ops/state_file.hpp"

#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace tickerd {

namespace {

// `web_root` empty means the built-in default: print the folder actually served.
std::string effective_web_root(const server_config& s) {
#ifdef TICKERD_DEFAULT_WEB_ROOT
    if (s.web_root.empty()) return TICKERD_DEFAULT_WEB_ROOT;
#endif
    return s.web_root;
}

std::string listen_text(const server_config& s) {
    const bool v6 = s.listen_host.find(':') != std::string::npos;
    return v6 ? fmt::format("[{}]:{}", s.listen_host, s.listen_port) : fmt::format("{}:{}", s.listen_host, s.listen_port);
}

std::string range_text(const session_range& r) {
    const auto b = r.begin.count();
    const auto e = r.end.count();
    return fmt::format("{:02}:{:02}-{:02}:{:02}", b / 60, b % 60, e / 60, e % 60);
}

const char* class_name(asset_class c) {
    switch (c) {
        case asset_class::equity: return "equity";
        case asset_class::crypto: return "crypto";
        case asset_class::fx: return "fx";
    }
    return "equity";
}

toml::table server_table(const server_config& s) {
    toml::table t;
    t.insert("listen", listen_text(s));
    t.insert("threads", static_cast<std::int64_t>(s.threads));
    t.insert("ping_interval", format_duration(s.ping_interval));
    t.insert("heartbeat_interval", format_duration(s.heartbeat_interval));
    t.insert("max_queued_messages", static_cast<std::int64_t>(s.max_queued_messages));
    t.insert("web_root", effective_web_root(s));
    if (const auto dir = resolve_state_dir(s.state_dir); !dir.empty()) t.insert("state_dir", dir.string());
    t.insert("state_save_interval", format_duration(s.state_save_interval));
    toml::array proxies;
    for (const auto& net : s.trusted_proxies) {
        proxies.push_back(fmt::format("{}/{}", net.base.to_string(), net.base.v4 ? net.prefix - 96 : net.prefix));
    }
    t.insert("trusted_proxies", std::move(proxies));
    toml::array sites;
    for (const auto& o : s.allowed_sites) sites.push_back(o);
    t.insert("allowed_sites", std::move(sites));
    if (s.ops_listen_set) {
        const bool v6 = s.ops_listen_host.find(':') != std::string::npos;
        t.insert("ops_listen", fmt::format(fmt::runtime(v6 ? "[{}]:{}" : "{}:{}"), s.ops_listen_host, s.ops_listen_port));
    }
    return t;
}

toml::table limits_table(const limits_config& l) {
    toml::table t;
    t.insert("max_connections", static_cast<std::int64_t>(l.max_connections));
    t.insert("max_connections_per_ip", static_cast<std::int64_t>(l.max_connections_per_ip));
    t.insert("max_header_bytes", static_cast<std::int64_t>(l.max_header_bytes));
    t.insert("max_message_bytes", static_cast<std::int64_t>(l.max_message_bytes));
    t.insert("handshake_timeout", format_duration(l.handshake_timeout));
    t.insert("idle_timeout", format_duration(l.idle_timeout));
    t.insert("messages_per_second", static_cast<std::int64_t>(l.messages_per_second));
    t.insert("max_queued_bytes", static_cast<std::int64_t>(l.max_queued_bytes));
    t.insert("max_lag", format_duration(l.max_lag));
    t.insert("slow_client_timeout", format_duration(l.slow_client_timeout));
    t.insert("send_buffer_bytes", static_cast<std::int64_t>(l.send_buffer_bytes));
    return t;
}

toml::table history_table(const history_config& h) {
    toml::table t;
    t.insert("resolution", format_duration(h.resolution));
    t.insert("retention", format_duration(h.retention));
    return t;
}

toml::table bad_tick_table(const bad_tick_config& b) {
    toml::table t;
    t.insert("equity", b.equity.to_string());
    t.insert("crypto", b.crypto.to_string());
    t.insert("fx", b.fx.to_string());
    return t;
}

// Only the keys the provider accepts (the loader refuses the others).
toml::table provider_table(const provider_config& p) {
    const bool sim = p.name == "sim";
    const bool push = p.name == "coinbase_ws";
    toml::table t;
    t.insert("interval", format_duration(p.interval));
    if (sim) {
        t.insert("seed", static_cast<std::int64_t>(p.seed));
        return t;
    }
    t.insert("base_url", p.base_url);
    t.insert("timeout", format_duration(p.timeout));
    t.insert("max_backoff", format_duration(p.max_backoff));
    t.insert("closed_interval", format_duration(p.closed_interval));
    if (push) {
        t.erase("interval");
        t.insert("idle_timeout", format_duration(p.idle_timeout));
    } else {
        t.insert("max_body_bytes", static_cast<std::int64_t>(p.max_body_bytes));
        if (!p.user_agent.empty()) t.insert("user_agent", p.user_agent);
        t.insert("min_spacing", format_duration(p.min_spacing));
    }
    if (!p.ca_file.empty()) t.insert("ca_file", p.ca_file);
    if (!p.api_key_file.empty()) t.insert("api_key_file", p.api_key_file);  // a path, never the key
    return t;
}

toml::table market_table(const market_calendar& m) {
    static constexpr const char* days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    toml::table t;
    t.insert("timezone", m.timezone);
    toml::array regular;
    for (const auto& r : m.regular) regular.push_back(range_text(r));
    t.insert("regular", std::move(regular));
    if (m.pre) t.insert("pre", range_text(*m.pre));
    if (m.post) t.insert("post", range_text(*m.post));
    toml::array weekdays;
    for (std::size_t d = 1; d <= 7; ++d) {  // mon .. sun
        if (m.weekdays[d % 7]) weekdays.push_back(days[d % 7]);
    }
    t.insert("weekdays", std::move(weekdays));
    toml::array holidays;
    for (const auto& ymd : m.holidays) {
        holidays.push_back(fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day())));
    }
    t.insert("holidays", std::move(holidays));
    if (!m.half_days.empty()) {
        toml::array half_days;
        for (const auto& ymd : m.half_days) {
            half_days.push_back(fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                                            static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day())));
        }
        t.insert("half_days", std::move(half_days));
    }
    if (m.half_day_close) {
        const auto c = m.half_day_close->count();
        t.insert("half_day_close", fmt::format("{:02}:{:02}", c / 60, c % 60));
    }
    return t;
}

toml::table symbol_table(const symbol_config& s) {
    toml::table t;
    t.insert("id", s.id);
    t.insert("name", s.name.empty() ? s.id : s.name);
    t.insert("class", class_name(s.cls));
    t.insert("currency", s.currency);
    t.insert("precision", static_cast<std::int64_t>(s.precision));
    toml::array sources;
    for (const auto& src : s.sources) {
        sources.push_back(src.upstream_symbol.empty() ? src.provider : src.provider + ":" + src.upstream_symbol);
    }
    t.insert("sources", std::move(sources));
    t.insert("max_age", format_duration(s.max_age));
    t.insert("failover_after", static_cast<std::int64_t>(s.failover_after));
    t.insert("failback_after", static_cast<std::int64_t>(s.failback_after));
    if (s.start_price) t.insert("start_price", s.start_price->to_string());
    if (!s.market.empty()) t.insert("market", s.market);
    return t;
}

// [cluster], when the daemon is in one. The token is never printed.
toml::table cluster_table(const cluster_config& c) {
    toml::table t;
    t.insert("role", std::string(to_string(c.role)));
    toml::array servers;
    for (const auto& s : c.servers) servers.push_back(s);
    t.insert("servers", std::move(servers));
    t.insert("bucket", c.bucket);
    t.insert("lease_bucket", c.lease_bucket);
    t.insert("lease_ttl", format_duration(c.lease_ttl));
    t.insert("replicas", static_cast<std::int64_t>(c.replicas));
    if (!c.credentials_file.empty()) t.insert("credentials_file", c.credentials_file);  // a path, never its content
    if (!c.token.empty()) t.insert("token", "(redacted)");
    if (!c.tls_ca_file.empty()) t.insert("tls_ca_file", c.tls_ca_file);
    if (!c.tls_cert_file.empty()) t.insert("tls_cert_file", c.tls_cert_file);
    if (!c.tls_key_file.empty()) t.insert("tls_key_file", c.tls_key_file);
    return t;
}

}  // namespace

std::string format_duration(milliseconds d) {
    auto ms = d.count();
    if (ms <= 0) return "0ms";
    std::string out;
    const std::pair<long long, const char*> units[] = {{3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
    for (const auto& [size, unit] : units) {
        if (ms >= size) {
            out += fmt::format("{}{}", ms / size, unit);
            ms %= size;
        }
    }
    return out;
}

std::string config_to_toml(const config& cfg) {
    // One insert per key: a new config key is one more line in its table's function.
    toml::table root;
    root.insert("log_level", cfg.log_level);
    root.insert("server", server_table(cfg.server));
    root.insert("limits", limits_table(cfg.limits));
    root.insert("history", history_table(cfg.history));
    root.insert("bad_tick", bad_tick_table(cfg.bad_tick));
    if (cfg.cluster.role != cluster_role::standalone) root.insert("cluster", cluster_table(cfg.cluster));
    toml::array symbols;
    toml::table markets;
    for (const auto& s : cfg.symbols) {
        symbols.push_back(symbol_table(s));
        // The calendars the symbols use, written out whole (a built-in's name
        // keeps its meaning: the table replaces every key). `always` has no table.
        if (s.calendar != nullptr && !s.calendar->always && !markets.contains(s.market)) {
            markets.insert(s.market, market_table(*s.calendar));
        }
    }
    if (!markets.empty()) root.insert("markets", std::move(markets));
    toml::table providers;
    for (const auto& [name, p] : cfg.providers) providers.insert(name, provider_table(p));
    if (!providers.empty()) root.insert("providers", std::move(providers));
    root.insert("symbols", std::move(symbols));

    std::ostringstream out;
    out << "# " << cfg.file << ": resolved configuration (defaults included)\n";
    out << toml::toml_formatter(root, toml::toml_formatter::default_flags & ~toml::format_flags::indentation) << "\n";
    return out.str();
}

}  // namespace tickerd

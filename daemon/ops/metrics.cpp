#include "ops/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include <fmt/format.h>

namespace tickerd {

std::string_view to_string(upstream_outcome o) {
    switch (o) {
        case upstream_outcome::ok: return "ok";
        case upstream_outcome::http_error: return "http_error";
        case upstream_outcome::timeout: return "timeout";
        case upstream_outcome::network: return "network";
        case upstream_outcome::malformed: return "malformed";
        case upstream_outcome::rate_limited: return "rate_limited";
        case upstream_outcome::no_data: return "no_data";
        case upstream_outcome::bad_price: return "bad_price";
        case upstream_outcome::rejected: return "rejected";
    }
    return "unknown";
}


void latency_histogram::observe(std::chrono::nanoseconds d) {
    const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count()));
    const double s = static_cast<double>(ns) / 1e9;
    const auto it = std::lower_bound(bounds.begin(), bounds.end(), s);  // first bound >= s: le is inclusive
    buckets_[static_cast<std::size_t>(it - bounds.begin())].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(ns, std::memory_order_relaxed);
}

latency_histogram::reading latency_histogram::read() const {
    reading r;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        r.cumulative[i] = running;
    }
    r.count = running;  // from the buckets, so that _count always equals the +Inf bucket
    r.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return r;
}

std::uint64_t provider_metrics::total() const {
    std::uint64_t n = 0;
    for (const auto& c : requests) n += c.load(std::memory_order_relaxed);
    return n;
}

namespace {

double unix_now_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

using label_list = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Appends exposition lines to one string.
class exposition {
public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, label_list labels, double value) {
        sample_text(name, labels, format_sample_value(value));
    }
    void sample(std::string_view name, label_list labels, std::uint64_t value) {
        sample_text(name, labels, fmt::format("{}", value));
    }
    std::string take() { return std::move(out_); }

private:
    void sample_text(std::string_view name, label_list labels, std::string_view value) {
        out_ += name;
        if (labels.size() > 0) {
            out_ += '{';
            bool first = true;
            for (const auto& [k, v] : labels) {
                if (!first) out_ += ',';
                first = false;
                out_ += k;
                out_ += "=\"";
                out_ += escape_label_value(v);
                out_ += '"';
            }
            out_ += '}';
        }
        out_ += ' ';
        out_ += value;
        out_ += '\n';
    }

    std::string out_;
};

}  // namespace

std::string escape_label_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (const char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string format_sample_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{}", v);  // shortest text that reads back as v: 0.25, 3, 1.5e-05
}

metrics::metrics(std::string version) : version_(std::move(version)), start_time_seconds_(unix_now_seconds()) {}

provider_metrics& metrics::provider(std::string_view name) {
    const std::scoped_lock lk(registration_mu_);
    const std::size_t n = provider_count_.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i) {
        if (provider_names_[i] == name) return providers_[i];
    }
    if (n == max_providers) {
        // Full: the last slot was renamed "other" and is shared by the rest.
        return providers_[n - 1];
    }
    provider_names_[n] = n + 1 == max_providers ? std::string("other") : std::string(name);
    provider_count_.store(n + 1, std::memory_order_release);  // the name is written before the slot is visible
    return providers_[n];
}

std::uint64_t metrics::requests_total(upstream_outcome o) const {
    std::uint64_t sum = 0;
    const std::size_t n = provider_count_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i) sum += providers_[i].requests[static_cast<std::size_t>(o)].load(std::memory_order_relaxed);
    return sum;
}

std::uint64_t metrics::requests_total() const {
    std::uint64_t sum = 0;
    const std::size_t n = provider_count_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i) sum += providers_[i].total();
    return sum;
}

std::uint64_t metrics::quotes_rejected_total() const {
    std::uint64_t sum = 0;
    const std::size_t n = provider_count_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i) sum += providers_[i].quotes_rejected.load(std::memory_order_relaxed);
    return sum;
}

std::string metrics::render(const scrape_reading& r) const {
    constexpr auto relaxed = std::memory_order_relaxed;
    exposition e;
    e.family("tickerd_build_info", "gauge", "Always 1; the version label says which tickerd this is.");
    e.sample("tickerd_build_info", {{"version", version_}}, std::uint64_t{1});
    e.family("tickerd_process_start_time_seconds", "gauge", "Start time of the process, in seconds since the Unix epoch.");
    e.sample("tickerd_process_start_time_seconds", {}, start_time_seconds_);

    const std::size_t n = provider_count_.load(std::memory_order_acquire);
    e.family("tickerd_upstream_requests_total", "counter",
             "Upstream exchanges by provider and outcome: one per poll of a polled provider, one per ticker message "
             "or connection failure of a push provider.");
    for (std::size_t p = 0; p < n; ++p) {
        for (std::size_t o = 0; o < upstream_outcome_count; ++o) {
            e.sample("tickerd_upstream_requests_total",
                     {{"provider", provider_names_[p]}, {"outcome", to_string(static_cast<upstream_outcome>(o))}},
                     providers_[p].requests[o].load(relaxed));
        }
    }
    e.family("tickerd_upstream_request_duration_seconds", "histogram",
             "Duration of one poll of a polled provider (every HTTP request it makes), in seconds.");
    for (std::size_t p = 0; p < n; ++p) {
        const auto h = providers_[p].duration.read();
        const std::string& name = provider_names_[p];
        for (std::size_t b = 0; b < latency_histogram::bounds.size(); ++b) {
            const std::string le = format_sample_value(latency_histogram::bounds[b]);
            e.sample("tickerd_upstream_request_duration_seconds_bucket", {{"provider", name}, {"le", le}},
                     h.cumulative[b]);
        }
        e.sample("tickerd_upstream_request_duration_seconds_bucket", {{"provider", name}, {"le", "+Inf"}},
                 h.cumulative.back());
        e.sample("tickerd_upstream_request_duration_seconds_sum", {{"provider", name}}, h.sum_seconds);
        e.sample("tickerd_upstream_request_duration_seconds_count", {{"provider", name}}, h.count);
    }
    e.family("tickerd_quotes_rejected_total", "counter",
             "Upstream quotes rejected for a symbol (parse or normalisation failure), by provider.");
    for (std::size_t p = 0; p < n; ++p) {
        e.sample("tickerd_quotes_rejected_total", {{"provider", provider_names_[p]}},
                 providers_[p].quotes_rejected.load(relaxed));
    }

    e.family("tickerd_quote_age_seconds", "gauge",
             "Seconds since a source last confirmed the symbol's quote; absent while the symbol has no quote.");
    for (const auto& s : r.symbols) {
        if (s.has_quote) e.sample("tickerd_quote_age_seconds", {{"symbol", s.id}}, std::max(0.0, s.age_seconds));
    }
    e.family("tickerd_quote_stale", "gauge", "1 when the symbol's quote is stale or it has none yet, else 0.");
    for (const auto& s : r.symbols) {
        e.sample("tickerd_quote_stale", {{"symbol", s.id}}, std::uint64_t{!s.has_quote || s.stale ? 1u : 0u});
    }
    e.family("tickerd_active_source", "gauge",
             "1 for the provider whose quotes a symbol publishes now, 0 for its other sources.");
    for (const auto& s : r.symbols) {
        std::vector<std::string_view> seen;
        for (const auto& [provider, active] : s.sources) {
            if (std::find(seen.begin(), seen.end(), provider) != seen.end()) continue;  // one series per provider
            seen.push_back(provider);
            bool any_active = false;
            for (const auto& [p2, a2] : s.sources) any_active = any_active || (p2 == provider && a2);
            e.sample("tickerd_active_source", {{"symbol", s.id}, {"provider", provider}},
                     std::uint64_t{any_active ? 1u : 0u});
        }
    }
    e.family("tickerd_source_switches_total", "counter", "Times a symbol's active source changed (failover or failback).");
    e.sample("tickerd_source_switches_total", {}, source_switches_.load(relaxed));
    e.family("tickerd_bad_ticks_held_total", "counter",
             "Quotes held back by the bad-tick filter until a second one confirmed the move.");
    e.sample("tickerd_bad_ticks_held_total", {}, bad_ticks_held_.load(relaxed));

    e.family("tickerd_websocket_clients", "gauge", "WebSocket stream clients connected now.");
    e.sample("tickerd_websocket_clients", {}, std::uint64_t{r.clients[index(stream_transport::websocket)]});
    e.family("tickerd_sse_clients", "gauge", "Server-Sent Events stream clients connected now.");
    e.sample("tickerd_sse_clients", {}, std::uint64_t{r.clients[index(stream_transport::sse)]});
    const stream_transport transports[] = {stream_transport::websocket, stream_transport::sse};
    e.family("tickerd_messages_sent_total", "counter",
             "Stream messages written to clients (snapshots, updates, heartbeats, errors), by transport.");
    for (const auto t : transports) e.sample("tickerd_messages_sent_total", {{"transport", to_string(t)}}, messages_sent_[index(t)].load(relaxed));
    e.family("tickerd_bytes_sent_total", "counter", "Bytes written to stream clients, by transport.");
    for (const auto t : transports) e.sample("tickerd_bytes_sent_total", {{"transport", to_string(t)}}, bytes_sent_[index(t)].load(relaxed));
    e.family("tickerd_updates_coalesced_total", "counter",
             "Queued updates replaced by a newer one for the same symbol before they were sent.");
    e.sample("tickerd_updates_coalesced_total", {}, coalesced_.load(relaxed));
    e.family("tickerd_updates_dropped_total", "counter", "Messages discarded unsent because their client was closed.");
    e.sample("tickerd_updates_dropped_total", {}, dropped_.load(relaxed));
    e.family("tickerd_slow_client_disconnects_total", "counter",
             "Stream clients closed because their queue was full (WebSocket close code 1013), by transport.");
    for (const auto t : transports) {
        e.sample("tickerd_slow_client_disconnects_total", {{"transport", to_string(t)}}, slow_disconnects_[index(t)].load(relaxed));
    }
    e.family("tickerd_origin_refused_total", "counter",
             "Requests from pages of sites not in server.allowed_sites: WebSocket upgrades refused (kind=websocket), "
             "other requests answered without CORS headers (kind=cors).");
    e.sample("tickerd_origin_refused_total", {{"kind", "websocket"}}, origin_refused_ws_.load(relaxed));
    e.sample("tickerd_origin_refused_total", {{"kind", "cors"}}, origin_refused_cors_.load(relaxed));
    e.family("tickerd_config_reloads_total", "counter", "Configuration reloads (SIGHUP) by outcome.");
    e.sample("tickerd_config_reloads_total", {{"outcome", "ok"}}, reloads_ok_.load(relaxed));
    e.sample("tickerd_config_reloads_total", {{"outcome", "failed"}}, reloads_failed_.load(relaxed));
    return e.take();
}

}  // namespace tickerd

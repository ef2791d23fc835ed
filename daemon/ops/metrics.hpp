#pragma once
// The daemon's counters, gauges and the upstream latency histogram, and their
// Prometheus text exposition (format 0.0.4) for GET /metrics.
//
// Hot paths only touch std::atomic values in slots that exist before they are
// used: a poll loop or push feed asks for its provider's slot once, at
// construction (a mutex guards only that registration), and then counts into it
// without locking or allocating. Per-symbol values (quote age, staleness, active
// source) are not stored here: they are read from the store and the failover
// state when /metrics is scraped, so they follow the symbols the daemon has now.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "ops/stream_transport.hpp"
#include <vector>

namespace tickerd {

// How one upstream exchange ended (one poll of a polled provider; one ticker
// message or one connection failure of a push provider).
enum class upstream_outcome : std::uint8_t {
    ok,            // at least one symbol got an accepted quote
    http_error,    // non-2xx status, or the upstream answered with an error
    timeout,       // no complete answer within the provider's timeout / idle_timeout
    network,       // resolve, connect, TLS, reset, closed
    malformed,     // not the expected shape
    rate_limited,  // 429 or an in-band "too many requests"
    no_data,       // unknown symbol or an empty reply
    bad_price,     // zero, negative or unparsable price
    rejected,      // parsed, but the normaliser rejected it for every symbol
};
inline constexpr std::size_t upstream_outcome_count = 9;
std::string_view to_string(upstream_outcome o);

// A fixed-bucket histogram of durations, in seconds. observe() is lock-free.
class latency_histogram {
public:
    // Upper bounds in seconds; an implicit +Inf bucket follows.
    static constexpr std::array<double, 11> bounds{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    void observe(std::chrono::nanoseconds d);

    struct reading {
        std::array<std::uint64_t, bounds.size() + 1> cumulative{};  // last: +Inf, equals count
        double sum_seconds = 0;
        std::uint64_t count = 0;
    };
    reading read() const;

private:
    std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};  // not cumulative
    std::atomic<std::uint64_t> sum_ns_{0};
};

// Everything counted for one upstream provider.
struct provider_metrics {
    std::array<std::atomic<std::uint64_t>, upstream_outcome_count> requests{};
    std::atomic<std::uint64_t> quotes_rejected{0};  // a reply or message rejected for one symbol
    latency_histogram duration;

    void record(upstream_outcome o) { requests[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed); }
    void record(upstream_outcome o, std::chrono::nanoseconds took) {
        record(o);
        duration.observe(took);
    }
    std::uint64_t total() const;
};

// Per-symbol state, read when /metrics is scraped.
struct symbol_reading {
    std::string id;
    bool has_quote = false;
    bool stale = false;
    double age_seconds = 0;  // since a source last confirmed the quote
    // The providers of the symbol's sources, in order, and whether each is the active one.
    std::vector<std::pair<std::string, bool>> sources;
};

struct scrape_reading {
    std::vector<symbol_reading> symbols;
    std::array<std::size_t, stream_transport_count> clients{};
};

class metrics {
public:
    static constexpr std::size_t max_providers = 32;

    explicit metrics(std::string version);
    metrics(const metrics&) = delete;
    metrics& operator=(const metrics&) = delete;

    // The slot of a provider, made on first use; the same slot for the same name.
    // Not for hot paths (it may lock); keep the reference. Beyond max_providers,
    // providers share a slot named "other".
    provider_metrics& provider(std::string_view name);

    // --- stream clients (any thread) ---
    void sent(stream_transport t, std::size_t bytes, std::uint64_t messages = 1) {
        messages_sent_[index(t)].fetch_add(messages, std::memory_order_relaxed);
        bytes_sent_[index(t)].fetch_add(bytes, std::memory_order_relaxed);
    }
    void slow_client_disconnect(stream_transport t) { slow_disconnects_[index(t)].fetch_add(1, std::memory_order_relaxed); }
    void updates_dropped(std::size_t n) { dropped_.fetch_add(n, std::memory_order_relaxed); }
    void update_coalesced() { coalesced_.fetch_add(1, std::memory_order_relaxed); }
    void updates_coalesced(std::uint64_t n) { coalesced_.fetch_add(n, std::memory_order_relaxed); }
    // A request from a page of a site not in server.allowed_sites: a WebSocket upgrade refused with 403, or
    // any other request answered without CORS headers.
    void origin_refused(bool websocket) { (websocket ? origin_refused_ws_ : origin_refused_cors_).fetch_add(1, std::memory_order_relaxed); }

    // --- quotes ---
    void bad_tick_held() { bad_ticks_held_.fetch_add(1, std::memory_order_relaxed); }
    void source_switched() { source_switches_.fetch_add(1, std::memory_order_relaxed); }

    // --- lifecycle ---
    void config_reload(bool ok) { (ok ? reloads_ok_ : reloads_failed_).fetch_add(1, std::memory_order_relaxed); }

    // Sums over every provider, for the shutdown log line.
    std::uint64_t requests_total(upstream_outcome o) const;
    std::uint64_t requests_total() const;
    std::uint64_t quotes_rejected_total() const;

    // The whole exposition: this registry's values plus the scraped readings.
    std::string render(const scrape_reading& r) const;

private:
    static std::size_t index(stream_transport t) { return static_cast<std::size_t>(t); }

    const std::string version_;
    const double start_time_seconds_;

    mutable std::mutex registration_mu_;  // only provider() registration
    std::array<std::string, max_providers> provider_names_;
    std::array<provider_metrics, max_providers> providers_;
    std::atomic<std::size_t> provider_count_{0};  // slots [0, count) are named and published
    std::atomic<std::uint64_t> origin_refused_ws_{0};
    std::atomic<std::uint64_t> origin_refused_cors_{0};

    std::array<std::atomic<std::uint64_t>, stream_transport_count> messages_sent_{};
    std::array<std::atomic<std::uint64_t>, stream_transport_count> bytes_sent_{};
    std::array<std::atomic<std::uint64_t>, stream_transport_count> slow_disconnects_{};
    std::atomic<std::uint64_t> dropped_{0};
    std::atomic<std::uint64_t> coalesced_{0};
    std::atomic<std::uint64_t> bad_ticks_held_{0};
    std::atomic<std::uint64_t> source_switches_{0};
    std::atomic<std::uint64_t> reloads_ok_{0};
    std::atomic<std::uint64_t> reloads_failed_{0};
};

// Text exposition helpers, public for the tests.
// A label value with \, " and newline escaped as the format requires.
std::string escape_label_value(std::string_view v);
// A sample value: integers without a decimal point, +Inf/-Inf/NaN spelled as the format wants.
std::string format_sample_value(double v);

}  // namespace tickerd

// The metrics registry and its Prometheus text exposition (format 0.0.4).
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "ops/metrics.hpp"

using namespace tickerd;
using namespace std::chrono_literals;

namespace {

// Lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(prefix, 0) == 0) out.push_back(line);
    }
    return out;
}

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("Label values escape backslash, double quote and newline", "[metrics]") {
    CHECK(escape_label_value("plain") == "plain");
    CHECK(escape_label_value(R"(a\b)") == R"(a\\b)");
    CHECK(escape_label_value(R"(say "hi")") == R"(say \"hi\")");
    CHECK(escape_label_value("two\nlines") == R"(two\nlines)");
    CHECK(escape_label_value("USD/VND ^GSPC =X") == "USD/VND ^GSPC =X");
}

TEST_CASE("Sample values are written as the text format wants", "[metrics]") {
    CHECK(format_sample_value(0) == "0");
    CHECK(format_sample_value(3) == "3");
    CHECK(format_sample_value(0.25) == "0.25");
    CHECK(format_sample_value(1.0 / 0.0) == "+Inf");
    CHECK(format_sample_value(-1.0 / 0.0) == "-Inf");
    CHECK(format_sample_value(0.0 / 0.0) == "NaN");
}

TEST_CASE("The latency histogram is cumulative with an inclusive upper bound, +Inf, _sum and _count", "[metrics]") {
    metrics m("1.2.3");
    provider_metrics& yahoo = m.provider("yahoo");
    yahoo.record(upstream_outcome::ok, 3ms);      // le 0.005
    yahoo.record(upstream_outcome::ok, 100ms);    // exactly on the 0.1 bound: counts in le="0.1"
    yahoo.record(upstream_outcome::timeout, 4s);  // le 5
    yahoo.record(upstream_outcome::timeout, 30s); // only +Inf
    const std::string text = m.render({});

    CHECK(has_line(text, "# TYPE tickerd_upstream_request_duration_seconds histogram"));
    CHECK(has_line(text, R"(tickerd_upstream_request_duration_seconds_bucket{provider="yahoo",le="0.005"} 1)"));
    CHECK(has_line(text, R"(tickerd_upstream_request_duration_seconds_bucket{provider="yahoo",le="0.05"} 1)"));
    CHECK(has_line(text, R"(tickerd_upstream_request_duration_seconds_bucket{provider="yahoo",le="0.1"} 2)"));
    CHECK(has_line(text, R"(tickerd_upstream_request_duration_seconds_bucket{provider="yahoo",le="2.5"} 2)"));
    CHECK(has_line(text, R"(tickerd_upstream_request_duration_seconds_bucket{provider="yahoo",le="5"} 3)"));
    CHECK(has_line(text, R"(tickerd_upstream_request_duration_seconds_bucket{provider="yahoo",le="10"} 3)"));
    CHECK(has_line(text, R"(tickerd_upstream_request_duration_seconds_bucket{provider="yahoo",le="+Inf"} 4)"));
    CHECK(has_line(text, R"(tickerd_upstream_request_duration_seconds_sum{provider="yahoo"} 34.103)"));
    CHECK(has_line(text, R"(tickerd_upstream_request_duration_seconds_count{provider="yahoo"} 4)"));

    // Buckets never decrease, and there is one per bound plus +Inf.
    const auto buckets = lines_starting(text, "tickerd_upstream_request_duration_seconds_bucket{provider=\"yahoo\"");
    REQUIRE(buckets.size() == latency_histogram::bounds.size() + 1);
    unsigned long long previous = 0;
    for (const auto& line : buckets) {
        const unsigned long long v = std::stoull(line.substr(line.rfind(' ') + 1));
        CHECK(v >= previous);
        previous = v;
    }

    CHECK(has_line(text, R"(tickerd_upstream_requests_total{provider="yahoo",outcome="ok"} 2)"));
    CHECK(has_line(text, R"(tickerd_upstream_requests_total{provider="yahoo",outcome="timeout"} 2)"));
    CHECK(has_line(text, R"(tickerd_upstream_requests_total{provider="yahoo",outcome="malformed"} 0)"));
    CHECK(m.requests_total() == 4);
    CHECK(m.requests_total(upstream_outcome::ok) == 2);
}

TEST_CASE("A provider has one slot whatever the number of loops asking for it", "[metrics]") {
    metrics m("0.1.0");
    provider_metrics& a = m.provider("coinbase");
    provider_metrics& b = m.provider("coinbase");
    CHECK(&a == &b);
    CHECK(&m.provider("kraken") != &a);
    a.record(upstream_outcome::http_error);
    b.record(upstream_outcome::http_error);
    const std::string text = m.render({});
    CHECK(has_line(text, R"(tickerd_upstream_requests_total{provider="coinbase",outcome="http_error"} 2)"));
    CHECK(has_line(text, R"(tickerd_upstream_requests_total{provider="kraken",outcome="http_error"} 0)"));
    CHECK(lines_starting(text, R"(tickerd_upstream_requests_total{provider="coinbase")").size() == upstream_outcome_count);
}

TEST_CASE("Every family has HELP and TYPE lines before its samples, once", "[metrics]") {
    metrics m("0.1.0");
    m.provider("yahoo").record(upstream_outcome::ok, 10ms);
    scrape_reading r;
    r.symbols.push_back({"NVDA", true, false, 1.5, {{"yahoo", true}, {"finnhub", false}}});
    const std::string text = m.render(r);

    std::vector<std::string> typed;
    std::string helped;  // the family named by the last HELP line
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        INFO(line);
        REQUIRE_FALSE(line.empty());
        if (line.rfind("# HELP ", 0) == 0) {
            helped = line.substr(7, line.find(' ', 7) - 7);
            CHECK(line.size() > 8 + helped.size());  // some help text
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            const std::string name = line.substr(7, line.find(' ', 7) - 7);
            CHECK(name == helped);
            CHECK(std::find(typed.begin(), typed.end(), name) == typed.end());
            typed.push_back(name);
            continue;
        }
        // A sample belongs to the family typed last (histograms add _bucket, _sum, _count).
        REQUIRE_FALSE(typed.empty());
        const std::string metric = line.substr(0, line.find_first_of("{ "));
        CHECK(metric.rfind(typed.back(), 0) == 0);
    }
    for (const char* name :
         {"tickerd_build_info", "tickerd_process_start_time_seconds", "tickerd_upstream_requests_total",
          "tickerd_upstream_request_duration_seconds", "tickerd_quotes_rejected_total", "tickerd_quote_age_seconds",
          "tickerd_quote_stale", "tickerd_active_source", "tickerd_source_switches_total", "tickerd_bad_ticks_held_total",
          "tickerd_websocket_clients", "tickerd_sse_clients", "tickerd_messages_sent_total", "tickerd_bytes_sent_total",
          "tickerd_updates_coalesced_total", "tickerd_updates_dropped_total", "tickerd_slow_client_disconnects_total",
          "tickerd_config_reloads_total"}) {
        INFO(name);
        CHECK(std::find(typed.begin(), typed.end(), name) != typed.end());
    }
    CHECK(has_line(text, R"(tickerd_build_info{version="0.1.0"} 1)"));
}

TEST_CASE("Per-symbol gauges come from the scraped readings", "[metrics]") {
    metrics m("0.1.0");
    scrape_reading r;
    r.symbols.push_back({"NVDA", true, false, 2.5, {{"yahoo", false}, {"finnhub", true}}});
    r.symbols.push_back({"BTC", true, true, 400, {{"coinbase", true}, {"coinbase", false}, {"kraken", false}}});
    r.symbols.push_back({"ODD\"ID", false, false, 0, {{"yahoo", true}}});
    r.clients = {3, 1};
    const std::string text = m.render(r);

    CHECK(has_line(text, R"(tickerd_quote_age_seconds{symbol="NVDA"} 2.5)"));
    CHECK(has_line(text, R"(tickerd_quote_age_seconds{symbol="BTC"} 400)"));
    CHECK(text.find(R"(tickerd_quote_age_seconds{symbol="ODD\"ID"})") == std::string::npos);  // no quote: no age
    CHECK(has_line(text, R"(tickerd_quote_stale{symbol="NVDA"} 0)"));
    CHECK(has_line(text, R"(tickerd_quote_stale{symbol="BTC"} 1)"));
    CHECK(has_line(text, R"(tickerd_quote_stale{symbol="ODD\"ID"} 1)"));
    CHECK(has_line(text, R"(tickerd_active_source{symbol="NVDA",provider="yahoo"} 0)"));
    CHECK(has_line(text, R"(tickerd_active_source{symbol="NVDA",provider="finnhub"} 1)"));
    // Two sources from one provider: one series, active when either is.
    CHECK(lines_starting(text, R"(tickerd_active_source{symbol="BTC",provider="coinbase"})").size() == 1);
    CHECK(has_line(text, R"(tickerd_active_source{symbol="BTC",provider="coinbase"} 1)"));
    CHECK(has_line(text, R"(tickerd_active_source{symbol="BTC",provider="kraken"} 0)"));
    CHECK(has_line(text, "tickerd_websocket_clients 3"));
    CHECK(has_line(text, "tickerd_sse_clients 1"));
}

TEST_CASE("Stream, quote and reload counters move when counted", "[metrics]") {
    metrics m("0.1.0");
    m.sent(stream_transport::websocket, 120);
    m.sent(stream_transport::websocket, 80);
    m.sent(stream_transport::sse, 300, 0);  // the response head: bytes, no message
    m.slow_client_disconnect(stream_transport::websocket);
    m.updates_dropped(7);
    m.update_coalesced();
    m.bad_tick_held();
    m.source_switched();
    m.config_reload(true);
    m.config_reload(false);
    m.config_reload(false);
    m.provider("yahoo").quotes_rejected.fetch_add(2);
    const std::string text = m.render({});
    CHECK(has_line(text, R"(tickerd_messages_sent_total{transport="websocket"} 2)"));
    CHECK(has_line(text, R"(tickerd_bytes_sent_total{transport="websocket"} 200)"));
    CHECK(has_line(text, R"(tickerd_messages_sent_total{transport="sse"} 0)"));
    CHECK(has_line(text, R"(tickerd_bytes_sent_total{transport="sse"} 300)"));
    CHECK(has_line(text, R"(tickerd_slow_client_disconnects_total{transport="websocket"} 1)"));
    CHECK(has_line(text, R"(tickerd_slow_client_disconnects_total{transport="sse"} 0)"));
    CHECK(has_line(text, "tickerd_updates_dropped_total 7"));
    CHECK(has_line(text, "tickerd_updates_coalesced_total 1"));
    CHECK(has_line(text, "tickerd_bad_ticks_held_total 1"));
    CHECK(has_line(text, "tickerd_source_switches_total 1"));
    CHECK(has_line(text, R"(tickerd_config_reloads_total{outcome="ok"} 1)"));
    CHECK(has_line(text, R"(tickerd_config_reloads_total{outcome="failed"} 2)"));
    CHECK(has_line(text, R"(tickerd_quotes_rejected_total{provider="yahoo"} 2)"));
    CHECK(m.quotes_rejected_total() == 2);
}

// The real tickerd against a fake Yahoo/Coinbase on loopback: GET /metrics moves
// with what the daemon does, /healthz carries per-symbol state, and the live
// exposition passes `promtool check metrics`.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/fake_ws_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/skip.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

// NVDA from Yahoo (good), BTC from Coinbase (good), JUNK from Yahoo (an HTML page: malformed).
std::string metrics_config(const fake_upstream& up) {
    return fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "NVDA"
name = "NVIDIA"
class = "equity"
currency = "USD"
precision = 2
sources = ["yahoo:NVDA"]

[[symbols]]
id = "BTC"
name = "Bitcoin"
class = "crypto"
currency = "USD"
precision = 2
sources = ["coinbase:BTC-USD"]

[[symbols]]
id = "JUNK"
name = "Broken upstream"
class = "equity"
currency = "USD"
precision = 2
sources = ["yahoo:JUNK"]

[providers.yahoo]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "2s"

[providers.coinbase]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "2s"
)",
                       up.base_url());
}

// The value of the sample whose name-and-labels part is exactly `series`; nullopt when absent.
std::optional<double> sample(const std::string& exposition, const std::string& series) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return std::nullopt;
}

struct command_result {
    int exit_code = -1;  // -1: did not exit normally
    std::string output;  // stdout, without a trailing newline
};

// Runs `command` with /bin/sh and reads its stdout to the end.
command_result run_command(const std::string& command) {
    command_result r;
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) return r;
    char buf[512];
    while (const std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.output.append(buf, n);
    const int status = ::pclose(p);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    return r;
}

std::string scrape(const daemon_process& d) {
    auto r = http_get(d.port(), "/metrics");
    REQUIRE(r.status == 200);
    return r.body;
}

// Waits until `series` has a value satisfying `pred`; returns the last exposition.
template <class Pred>
std::string wait_sample(const daemon_process& d, const std::string& series, Pred pred) {
    std::string last;
    const bool ok = eventually(
        [&] {
            last = scrape(d);
            const auto v = sample(last, series);
            return v && pred(*v);
        },
        10s);
    INFO("waiting for " << series << " in:\n" << last);
    REQUIRE(ok);
    return last;
}

}  // namespace

TEST_CASE("GET /metrics counts upstream requests by outcome and stream clients by transport", "[integration][metrics]") {
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    m.up.set_route(yahoo_path("JUNK"), html_page());
    daemon_process d(metrics_config(m.up));
    wait_quote(d, "NVDA", [](const json_doc&) { return true; });
    wait_quote(d, "BTC", [](const json_doc&) { return true; });

    const auto res = http_get(d.port(), "/metrics");
    REQUIRE(res.status == 200);
    CHECK(res.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(res.body.find("# TYPE tickerd_upstream_requests_total counter\n") != std::string::npos);
    CHECK(sample(res.body, fmt::format(R"(tickerd_build_info{{version="{}"}})", TICKERD_VERSION)) == 1.0);

    auto text = wait_sample(d, R"(tickerd_upstream_requests_total{provider="yahoo",outcome="ok"})",
                            [](double v) { return v >= 1; });
    text = wait_sample(d, R"(tickerd_upstream_requests_total{provider="yahoo",outcome="malformed"})",
                       [](double v) { return v >= 1; });
    CHECK(sample(text, R"(tickerd_upstream_requests_total{provider="coinbase",outcome="ok"})").value_or(0) >= 1);
    CHECK(sample(text, R"(tickerd_upstream_requests_total{provider="coinbase",outcome="timeout"})") == 0.0);
    CHECK(sample(text, R"(tickerd_upstream_request_duration_seconds_count{provider="yahoo"})").value_or(0) >= 2);
    CHECK(sample(text, R"(tickerd_upstream_request_duration_seconds_bucket{provider="yahoo",le="+Inf"})") ==
          sample(text, R"(tickerd_upstream_request_duration_seconds_count{provider="yahoo"})"));

    // Per symbol: NVDA fresh from its only source, JUNK never had a quote.
    CHECK(sample(text, R"(tickerd_quote_stale{symbol="NVDA"})") == 0.0);
    CHECK(sample(text, R"(tickerd_quote_stale{symbol="JUNK"})") == 1.0);
    CHECK_FALSE(sample(text, R"(tickerd_quote_age_seconds{symbol="JUNK"})"));
    const auto age = sample(text, R"(tickerd_quote_age_seconds{symbol="NVDA"})");
    REQUIRE(age);
    CHECK(*age >= 0);
    CHECK(*age < 5);
    CHECK(sample(text, R"(tickerd_active_source{symbol="NVDA",provider="yahoo"})") == 1.0);
    CHECK(sample(text, R"(tickerd_active_source{symbol="BTC",provider="coinbase"})") == 1.0);

    // Stream clients: the gauges equal what is connected, and messages and bytes move.
    CHECK(sample(text, "tickerd_websocket_clients") == 0.0);
    ws_client a;
    ws_client b;
    a.connect(d.port(), "/v1/stream");
    b.connect(d.port(), "/v1/stream?symbols=NVDA");
    CHECK(json_doc(a.read_json(5s)).str("/type") == "snapshot");
    CHECK(json_doc(b.read_json(5s)).str("/type") == "snapshot");
    sse_client e;
    REQUIRE(e.connect(d.port(), "/v1/events") == 200);
    CHECK(e.next(5s).event == "snapshot");

    text = wait_sample(d, "tickerd_websocket_clients", [](double v) { return v == 2; });
    CHECK(sample(text, "tickerd_sse_clients") == 1.0);
    CHECK(sample(text, R"(tickerd_messages_sent_total{transport="websocket"})").value_or(0) >= 2);
    CHECK(sample(text, R"(tickerd_bytes_sent_total{transport="websocket"})").value_or(0) > 100);
    CHECK(sample(text, R"(tickerd_messages_sent_total{transport="sse"})").value_or(0) >= 1);
    CHECK(sample(text, R"(tickerd_bytes_sent_total{transport="sse"})").value_or(0) > 100);

    // A price change reaches both WebSocket clients: two more messages.
    const double before = sample(text, R"(tickerd_messages_sent_total{transport="websocket"})").value_or(0);
    m.yahoo("NVDA", "1290.5", "1266.32");
    CHECK(json_doc(b.read_json(5s)).str("/type") == "update");
    wait_sample(d, R"(tickerd_messages_sent_total{transport="websocket"})", [&](double v) { return v >= before + 2; });

    a.close();
    e.disconnect();
    text = wait_sample(d, "tickerd_websocket_clients", [](double v) { return v == 1; });
    wait_sample(d, "tickerd_sse_clients", [](double v) { return v == 0; });
    CHECK(sample(text, R"(tickerd_slow_client_disconnects_total{transport="websocket"})") == 0.0);
    CHECK(sample(text, R"(tickerd_config_reloads_total{outcome="ok"})") == 0.0);
}

TEST_CASE("GET /metrics counts timeouts and network failures of an upstream", "[integration][metrics]") {
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.up.set_route(coinbase_ticker_path("BTC-USD"), closing());
    m.up.set_route(yahoo_path("JUNK"), hanging());
    auto cfg = metrics_config(m.up);
    // A short Yahoo timeout, so that the hanging JUNK poll times out quickly.
    cfg.replace(cfg.find("timeout = \"2s\""), 14, "timeout = \"300ms\"");
    daemon_process d(cfg);
    wait_sample(d, R"(tickerd_upstream_requests_total{provider="yahoo",outcome="timeout"})", [](double v) { return v >= 1; });
    wait_sample(d, R"(tickerd_upstream_requests_total{provider="coinbase",outcome="network"})", [](double v) { return v >= 1; });
    const std::string text = scrape(d);
    CHECK(sample(text, R"(tickerd_upstream_requests_total{provider="coinbase",outcome="ok"})") == 0.0);
    // A timed-out poll lasts about the timeout: it lands above the 0.25 s bucket.
    const auto fast = sample(text, R"(tickerd_upstream_request_duration_seconds_bucket{provider="yahoo",le="0.25"})");
    const auto all = sample(text, R"(tickerd_upstream_request_duration_seconds_count{provider="yahoo"})");
    REQUIRE(fast);
    REQUIRE(all);
    CHECK(*fast < *all);
}

TEST_CASE("GET /metrics follows the active source through a failover", "[integration][metrics][failover]") {
    fake_upstream up;
    up.set_route(coinbase_ticker_path("BTC-USD"), json_ok(coinbase_ticker_body("71420.00", utc_text_ms(unix_now() - 1))));
    up.set_route(coinbase_stats_path("BTC-USD"), json_ok(coinbase_stats_body("70825.07")));
    up.set_route("/0/public/Ticker",
                 json_ok(R"({"error":[],"result":{"XXBTZUSD":{"a":["71440.0","1","1.000"],"b":["71440.0","1","1.000"],)"
                         R"("c":["71440.0","0.1"],"v":["1","2"],"p":["71440.0","71440.0"],"t":[10,20],)"
                         R"("l":["71440.0","71440.0"],"h":["71440.0","71440.0"],"o":"71012.6"}}})"));
    daemon_process d(fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "BTC"
name = "Bitcoin"
class = "crypto"
currency = "USD"
precision = 2
sources = ["coinbase:BTC-USD", "kraken:XBTUSD"]
failover_after = 2
failback_after = 2

[providers.coinbase]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"

[providers.kraken]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"
)",
                                 up.base_url()));
    auto text = wait_sample(d, R"(tickerd_upstream_requests_total{provider="kraken",outcome="ok"})",
                            [](double v) { return v >= 1; });
    CHECK(sample(text, R"(tickerd_active_source{symbol="BTC",provider="coinbase"})") == 1.0);
    CHECK(sample(text, R"(tickerd_active_source{symbol="BTC",provider="kraken"})") == 0.0);
    CHECK(sample(text, "tickerd_source_switches_total") == 0.0);

    up.set_route(coinbase_ticker_path("BTC-USD"), with_status(500, R"({"message":"Internal Server Error"})"));
    text = wait_sample(d, R"(tickerd_active_source{symbol="BTC",provider="kraken"})", [](double v) { return v == 1; });
    CHECK(sample(text, R"(tickerd_active_source{symbol="BTC",provider="coinbase"})") == 0.0);
    CHECK(sample(text, "tickerd_source_switches_total") == 1.0);
    CHECK(sample(text, R"(tickerd_upstream_requests_total{provider="coinbase",outcome="http_error"})").value_or(0) >= 2);
}

TEST_CASE("GET /metrics counts push tickers and push connection failures", "[integration][metrics][push]") {
    fake_ws_upstream ws;
    daemon_process d(fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "BTC"
name = "Bitcoin"
class = "crypto"
currency = "USD"
precision = 2
sources = ["coinbase_ws:BTC-USD"]

[providers.coinbase_ws]
base_url = "{0}"
timeout = "1s"
idle_timeout = "300ms"
max_backoff = "300ms"
)",
                                 ws.base_url()));
    REQUIRE(ws.wait_for_subscribed(1, 5s));
    ws.send_ticker("BTC-USD", 1001, "71420.00", "70825.07");
    ws.send_ticker("BTC-USD", 1002, "71421.00", "70825.07");
    ws.send("{not json");
    auto text = wait_sample(d, R"(tickerd_upstream_requests_total{provider="coinbase_ws",outcome="ok"})",
                            [](double v) { return v >= 2; });
    text = wait_sample(d, R"(tickerd_upstream_requests_total{provider="coinbase_ws",outcome="malformed"})",
                       [](double v) { return v >= 1; });
    CHECK(sample(text, R"(tickerd_quotes_rejected_total{provider="coinbase_ws"})").value_or(0) >= 1);
    // A silent link: after idle_timeout the feed gives up on it and reconnects.
    ws.set_mode(ws_mode::silent);
    wait_sample(d, R"(tickerd_upstream_requests_total{provider="coinbase_ws",outcome="timeout"})",
                [](double v) { return v >= 1; });
}

TEST_CASE("GET /healthz and /readyz report every symbol's state", "[integration][metrics]") {
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    m.up.set_route(yahoo_path("JUNK"), html_page());
    daemon_process d(metrics_config(m.up));
    wait_quote(d, "NVDA", [](const json_doc&) { return true; });
    wait_quote(d, "BTC", [](const json_doc&) { return true; });

    for (const char* path : {"/healthz", "/readyz"}) {
        INFO(path);
        const auto r = http_get(d.port(), path);
        CHECK(r.status == (std::string_view(path) == "/healthz" ? 200u : 503u));
        const json_doc j(r.body);
        REQUIRE(j.size("/symbols") == 3);
        CHECK(j.str("/symbols/0/symbol") == "NVDA");
        CHECK(j.str("/symbols/0/state") == "fresh");
        CHECK(j.str("/symbols/0/source") == "yahoo");
        CHECK(j.str("/symbols/1/symbol") == "BTC");
        CHECK(j.str("/symbols/1/source") == "coinbase");
        CHECK(j.str("/symbols/2/symbol") == "JUNK");
        CHECK(j.str("/symbols/2/state") == "missing");
        CHECK(j.str("/symbols/2/source").empty());
    }
}

TEST_CASE("The live /metrics passes promtool check metrics", "[integration][metrics][promtool]") {
    const std::string promtool = run_command("command -v promtool").output;
    if (promtool.empty()) {
        skip_missing_tool("promtool", "Debian package prometheus; scripts/setup --test installs it");
        return;
    }
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "1284.3", "1266.32");
    m.coinbase("71420.00", "70825.07");
    m.up.set_route(yahoo_path("JUNK"), html_page());
    daemon_process d(metrics_config(m.up));
    wait_quote(d, "NVDA", [](const json_doc&) { return true; });
    ws_client c;
    c.connect(d.port(), "/v1/stream");
    c.read_json(5s);
    const std::string text = wait_sample(d, R"(tickerd_upstream_requests_total{provider="yahoo",outcome="malformed"})",
                                         [](double v) { return v >= 1; });

    const auto file = d.dir() / "metrics.txt";
    std::ofstream(file) << text;
    const std::string command = fmt::format("'{}' check metrics < '{}' 2>&1", promtool, file.string());
    const auto good = run_command(command);
    INFO("promtool said:\n" << good.output << "\nof:\n" << text);
    CHECK(good.exit_code == 0);
    CHECK(good.output.empty());

    // And promtool does catch a problem here: a counter without _total.
    std::ofstream(file) << "# HELP tickerd_bad a counter without the suffix\n# TYPE tickerd_bad counter\ntickerd_bad 1\n";
    const auto bad = run_command(command);
    INFO("promtool on a bad exposition:\n" << bad.output);
    CHECK_FALSE((bad.exit_code == 0 && bad.output.empty()));
}

namespace {

// The port of "ops endpoints (/metrics, /healthz, /readyz) on http://127.0.0.1:PORT" in a log, or 0.
std::uint16_t ops_port(const std::string& log) {
    static constexpr std::string_view marker = "/readyz) on http://127.0.0.1:";
    const auto at = log.find(marker);
    if (at == std::string::npos) return 0;
    return static_cast<std::uint16_t>(std::stoul(log.substr(at + marker.size())));
}

}  // namespace

TEST_CASE("server.ops_listen: /metrics, /healthz and /readyz on their own listener, /metrics off the public one",
          "[integration][metrics][ops]") {
    yahoo_coinbase_market m;
    m.yahoo("NVDA", "1284.30", "1266.32");
    m.coinbase("71420.00", "70825.07");
    daemon_process d(yahoo_coinbase_config(m.up, R"(ops_listen = "127.0.0.1:0")"));
    const std::uint16_t ops = ops_port(d.log_text());
    REQUIRE(ops != 0);
    REQUIRE(ops != d.port());

    // The ops listener: the three ops endpoints, nothing else.
    const auto metrics = http_get(ops, "/metrics");
    CHECK(metrics.status == 200);
    CHECK_THAT(metrics.body, Catch::Contains("tickerd_build_info"));
    CHECK(http_get(ops, "/healthz").status == 200);
    CHECK((http_get(ops, "/readyz").status == 200 || http_get(ops, "/readyz").status == 503));
    CHECK(http_get(ops, "/v1/snapshot").status == 404);
    CHECK(http_get(ops, "/").status == 404);
    CHECK(http_get(ops, "/v1/events").status == 404);

    // The public listener: no /metrics; health and readiness stay (load balancers probe them there).
    CHECK(http_get(d.port(), "/metrics").status == 404);
    CHECK(http_get(d.port(), "/healthz").status == 200);
    CHECK(http_get(d.port(), "/v1/snapshot").status == 200);

    // Without ops_listen, /metrics is on the public listener as before.
    daemon_process plain(yahoo_coinbase_config(m.up));
    CHECK(http_get(plain.port(), "/metrics").status == 200);
    CHECK(ops_port(plain.log_text()) == 0);
}

// The real tickerd against fake upstreams behind TLS on loopback, with a CA made
// at test time: the certificate is accepted when providers.NAME.ca_file names
// that CA, refused (and logged) when not, and refused for another host name;
// the coinbase_ws push feed works over wss:// the same way.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <fstream>
#include <string>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/fake_ws_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/test_clients.hpp"
#include "support/test_tls.hpp"

using namespace tickerd::test;

namespace {

// NVDA from Yahoo at `url`; `ca_line` is "" or `ca_file = "..."`.
std::string yahoo_config(const std::string& url, const std::string& ca_line) {
    return fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]

[providers.yahoo]
base_url = "{0}"
interval = "100ms"
max_backoff = "200ms"
timeout = "1s"
min_spacing = "0ms"
{1}
)",
                       url, ca_line);
}

std::string ca_line(const test_ca& ca) { return fmt::format("ca_file = \"{}\"", ca.ca_file().string()); }

void serve_nvda(fake_upstream& up) {
    const auto now = unix_now();
    up.set_route(yahoo_path("NVDA"),
                 json_ok(yahoo_chart_body("NVDA", "1284.3", "1266.32", "USD", now - 5, now - 3600, now + 3600)));
}

bool log_has(const daemon_process& d, std::string_view text, std::chrono::milliseconds timeout = 10s) {
    return eventually([&] { return d.log_text().find(text) != std::string::npos; }, timeout);
}

}  // namespace

TEST_CASE("TLS upstream: accepted when its CA is configured in ca_file", "[integration][tls]") {
    test_ca ca;
    fake_upstream up(ca.issue("upstream", {"IP:127.0.0.1", "DNS:localhost"}));
    serve_nvda(up);
    REQUIRE(up.base_url().starts_with("https://"));
    daemon_process d(yahoo_config(up.base_url(), ca_line(ca)));
    auto q = wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "1284.30"; });
    CHECK(q.str("/source") == "yahoo");
    CHECK(up.failed_tls_handshakes() == 0);
    CHECK(d.log_text().find("trusting the CA certificates in") != std::string::npos);
}

TEST_CASE("TLS upstream: a certificate for the host name in base_url is accepted", "[integration][tls]") {
    test_ca ca;
    fake_upstream up(ca.issue("named", {"DNS:localhost"}));  // no IP address in it
    serve_nvda(up);
    // https://localhost:PORT: checked against the DNS name (and sent as SNI), not an address.
    const std::string url = "https://localhost:" + std::to_string(up.port());
    daemon_process d(yahoo_config(url, ca_line(ca)));
    wait_quote(d, "NVDA", [](const json_doc& j) { return j.raw("/price") == "1284.30"; });
    CHECK(up.failed_tls_handshakes() == 0);
}

TEST_CASE("TLS upstream: refused and logged when its CA is not trusted", "[integration][tls]") {
    test_ca ca;
    test_ca other;
    fake_upstream up(ca.issue("upstream", {"IP:127.0.0.1"}));
    serve_nvda(up);
    // Without ca_file (system store only), then with an unrelated CA.
    for (const std::string& extra : {std::string(), ca_line(other)}) {
        DYNAMIC_SECTION((extra.empty() ? "system store only" : "another CA")) {
            daemon_process d(yahoo_config(up.base_url(), extra));
            CHECK(log_has(d, "certificate verify failed"));
            CHECK(up.request_count(yahoo_path("NVDA")) == 0);  // nothing got through the TLS front
            CHECK(up.failed_tls_handshakes() > 0);
            CHECK(http_get(d.port(), "/v1/quotes/NVDA").status == 404);
        }
    }
}

TEST_CASE("TLS upstream: refused on a certificate for another host name", "[integration][tls]") {
    test_ca ca;
    fake_upstream up(ca.issue("elsewhere", {"DNS:quotes.example.org"}));
    serve_nvda(up);
    daemon_process d(yahoo_config(up.base_url(), ca_line(ca)));
    CHECK(log_has(d, "TLS handshake: certificate verify failed"));
    CHECK(up.request_count(yahoo_path("NVDA")) == 0);
    CHECK(http_get(d.port(), "/v1/quotes/NVDA").status == 404);
}

TEST_CASE("TLS upstream: the coinbase_ws push feed over wss:// with the test CA reaches a WebSocket client",
          "[integration][tls][push]") {
    test_ca ca;
    fake_ws_upstream ws(ca.issue("feed", {"IP:127.0.0.1"}));
    REQUIRE(ws.base_url().starts_with("wss://"));
    daemon_process d(fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "BTC"
class = "crypto"
currency = "USD"
sources = ["coinbase_ws:BTC-USD"]

[providers.coinbase_ws]
base_url = "{0}"
timeout = "1s"
idle_timeout = "2s"
max_backoff = "500ms"
{1}
)",
                                 ws.base_url(), ca_line(ca)));
    REQUIRE(ws.wait_for_subscribed(1, 10s));
    ws_client c;
    c.connect(d.port(), "/v1/stream?symbols=BTC");
    json_doc first(c.read_json(5s));
    REQUIRE(first.str("/type") == "snapshot");
    ws.send_ticker("BTC-USD", 100, "71420.00", "70825.07");
    bool got = false;
    for (int i = 0; i < 20 && !got; ++i) {
        auto text = c.try_read(2s);
        if (!text) break;
        json_doc m(*text);
        got = m.str("/type") == "update" && m.raw("/quotes/0/price") == "71420.00";
    }
    CHECK(got);
}

TEST_CASE("TLS upstream: the coinbase_ws feed refuses an untrusted wss:// certificate", "[integration][tls][push]") {
    test_ca ca;
    fake_ws_upstream ws(ca.issue("feed", {"IP:127.0.0.1"}));
    daemon_process d(fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "BTC"
class = "crypto"
currency = "USD"
sources = ["coinbase_ws:BTC-USD"]

[providers.coinbase_ws]
base_url = "{0}"
timeout = "1s"
max_backoff = "500ms"
)",
                                 ws.base_url()));
    CHECK(log_has(d, "certificate verify failed"));
    CHECK(ws.subscribe_count() == 0);
}

TEST_CASE("TLS upstream: a missing or non-PEM ca_file is a config error naming the key", "[integration][tls][config]") {
    test_ca ca;
    const auto dir = ca.ca_file().parent_path();
    const std::string not_pem = (dir / "not.pem").string();
    {
        std::ofstream f(not_pem);
        f << "hello\n";
    }
    for (const std::string& path : {(dir / "missing.pem").string(), not_pem}) {
        // Section names must not change between runs of the test case (the temp dir does).
        DYNAMIC_SECTION((path == not_pem ? "a file without a PEM certificate" : "a missing file")) {
            daemon_options opts;
            opts.wait_listening = false;
            opts.separate_stderr = true;
            daemon_process d(yahoo_config("https://127.0.0.1:9", fmt::format("ca_file = \"{}\"", path)), opts);
            auto status = d.wait_exit(10s);
            INFO(d.stderr_text());
            REQUIRE(status.has_value());
            CHECK(*status == 2);
            CHECK(d.stderr_text().find(d.config_path() + ": providers.yahoo.ca_file: ") != std::string::npos);
        }
    }
}

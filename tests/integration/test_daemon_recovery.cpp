// Recovery after an outage: the real tickerd polls a fake Yahoo every second
// with the default max_backoff; the upstream fails for 12 s, then heals. The
// fresh price must be served within 10 s of healing (docs/operations.md,
// "Recovery"), and the first good poll resets the back-off.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;
using namespace std::chrono_literals;

namespace {

std::string nvda_body(std::string_view price) {
    const auto now = unix_now();
    return yahoo_chart_body("NVDA", price, "1266.32", "USD", now - 5, now - 3600, now + 3600);
}

}  // namespace

TEST_CASE("Recovery: after a 12 s outage the fresh price arrives within 10 s", "[integration][recovery]") {
    fake_upstream up;
    const std::string path = yahoo_path("NVDA");
    up.set_route(path, json_ok(nvda_body("1284.3")));
    // No max_backoff: the default cap is what is tested.
    daemon_process d(fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]
max_age = "1m"

[providers.yahoo]
base_url = "{0}"
interval = "1s"
timeout = "2s"
min_spacing = "0ms"
)",
                                 up.base_url()));
    wait_quote(d, "NVDA", [](const json_doc& q) { return q.raw("/price") == "1284.30"; });

    up.set_route(path, server_error());
    const auto broken_at = std::chrono::steady_clock::now();
    const auto polls_before = up.request_count(path);
    std::this_thread::sleep_for(12s);
    const auto failed_polls = up.request_count(path) - polls_before;
    INFO("polls during the outage: " << failed_polls);
    CHECK(failed_polls >= 4);   // it kept trying...
    CHECK(failed_polls <= 9);   // ...but backed off from once a second (12 polls)
    CHECK(json_doc(http_get(d.port(), "/v1/quotes/NVDA").body).raw("/price") == "1284.30");

    up.set_route(path, json_ok(nvda_body("1290.55")));
    const auto healed_at = std::chrono::steady_clock::now();
    wait_quote(d, "NVDA", [](const json_doc& q) { return q.raw("/price") == "1290.55" && !q.boolean("/stale"); },
               10s);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - healed_at);
    const auto outage = std::chrono::duration_cast<std::chrono::milliseconds>(healed_at - broken_at);
    WARN("outage " << outage.count() << " ms; fresh price served " << took.count() << " ms after the upstream healed");
    CHECK(took <= 10s);

    // The first good poll reset the back-off: polls are one a second again.
    const auto polls_after_heal = up.request_count(path);
    std::this_thread::sleep_for(3s);
    CHECK(up.request_count(path) - polls_after_heal >= 2);
    CHECK(d.log_text().find("yahoo:NVDA: recovered after") != std::string::npos);
}

// The real tickerd against a fake upstream that fails in every way the fault
// modes of fake_upstream offer. In each case: the last good quote stays, it
// turns stale at max_age, the failure is logged (once, rate limited), and fresh
// data resumes when the upstream heals.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <string>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

std::string nvda_body(std::string_view price) {
    const auto now = unix_now();
    return yahoo_chart_body("NVDA", price, "1266.32", "USD", now - 5, now - 3600, now + 3600);
}

// Runs one fault through its whole life: good quote, fault, stale, log line, heal.
// With `same_error_each_time`, the failure is logged once however often it repeats.
void survive(const fake_response& fault, std::string_view log_words, bool same_error_each_time = true) {
    fake_upstream up;
    up.set_route(yahoo_path("NVDA"), json_ok(nvda_body("1284.3")));
    daemon_process d(fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["yahoo:NVDA"]
max_age = "2s"

[providers.yahoo]
base_url = "{0}"
interval = "100ms"
max_backoff = "300ms"
timeout = "700ms"
max_body_bytes = 65536
min_spacing = "0ms"
)",
                                 up.base_url()));
    auto good = wait_quote(d, "NVDA", [](const json_doc& q) { return q.raw("/price") == "1284.30"; });
    REQUIRE_FALSE(good.boolean("/stale"));

    up.set_route(yahoo_path("NVDA"), fault);
    const auto polls = up.request_count(yahoo_path("NVDA"));
    REQUIRE(up.wait_for_requests(yahoo_path("NVDA"), polls + 2, 10s));
    // Still the last good price, and fresh until max_age has passed.
    auto during = json_doc(http_get(d.port(), "/v1/quotes/NVDA").body);
    CHECK(during.raw("/price") == "1284.30");

    auto stale = wait_quote(d, "NVDA", [](const json_doc& q) { return q.boolean("/stale"); });
    CHECK(stale.raw("/price") == "1284.30");
    CHECK(stale.raw("/ref_price") == "1266.32");

    // Logged by the rate-limited log: the first failure at once, named by source.
    const std::string log = d.log_text();
    INFO(log);
    const std::string line = "yahoo:NVDA: ";
    CHECK(log.find(line) != std::string::npos);
    CHECK(log.find(std::string(log_words)) != std::string::npos);
    CHECK(log.find("backing off, next try in") != std::string::npos);
    if (same_error_each_time) {
        std::size_t lines = 0;
        for (auto at = log.find(log_words); at != std::string::npos; at = log.find(log_words, at + 1)) ++lines;
        CHECK(up.request_count(yahoo_path("NVDA")) >= polls + 2);  // it failed more than once...
        CHECK(lines == 1);                                         // ...and was logged once
    }
    CHECK(http_get(d.port(), "/healthz").status == 200);

    up.set_route(yahoo_path("NVDA"), json_ok(nvda_body("1290.55")));
    auto healed = wait_quote(d, "NVDA", [](const json_doc& q) {
        return q.raw("/price") == "1290.55" && !q.boolean("/stale");
    });
    CHECK(healed.str("/source") == "yahoo");
    CHECK(eventually([&] { return d.log_text().find("yahoo:NVDA: recovered after") != std::string::npos; }, 5s));
}

}  // namespace

TEST_CASE("Fault 500: last good quote stays, turns stale, resumes", "[integration][faults]") {
    survive(server_error(), "HTTP 500");
}

TEST_CASE("Fault 429 with Retry-After: backs off as told, turns stale, resumes", "[integration][faults]") {
    survive(rate_limited(std::chrono::seconds(1)), "rate_limited: HTTP 429, retry after 1 s");
}

TEST_CASE("Fault hang: the request deadline fires, turns stale, resumes", "[integration][faults]") {
    survive(hanging(), "timed out after 700 ms");
}

TEST_CASE("Fault slow trickle: the whole-request deadline fires though bytes keep coming", "[integration][faults]") {
    // One byte every 50 ms: every read makes progress, only a whole-request deadline stops it.
    survive(trickling(json_ok(nvda_body("1284.3")), std::chrono::milliseconds(50)), "timed out after 700 ms");
}

TEST_CASE("Fault connection reset: turns stale, resumes", "[integration][faults]") {
    survive(resetting(), "Connection reset by peer", false);
}

TEST_CASE("Fault garbage body: rejected, turns stale, resumes", "[integration][faults]") {
    survive(garbage(), "malformed: HTTP 200: not JSON");
}

TEST_CASE("Fault truncated body: rejected, turns stale, resumes", "[integration][faults]") {
    survive(truncated(json_ok(nvda_body("1284.3"))), "read: ", false);
}

TEST_CASE("Fault oversized body: refused past max_body_bytes, turns stale, resumes", "[integration][faults]") {
    survive(oversized(200'000), "response body larger than 65536 bytes");
}

TEST_CASE("Fault HTML page with status 200: rejected, turns stale, resumes", "[integration][faults]") {
    survive(html_page(200), "malformed: HTTP 200: not JSON: Yahoo Will be right back");
}

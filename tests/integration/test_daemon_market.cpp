// The real tickerd binary against a fake Yahoo on loopback: exchange calendars
// decide a quote's market; a closed market is polled slowly and does not turn stale.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

namespace {

// The trading weekdays of a market that is closed now: every day except
// yesterday, today and tomorrow (UTC), so that no day boundary during the test matters.
std::string weekdays_closed_now() {
    static constexpr const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    const auto today = std::chrono::weekday{std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())};
    std::string out;
    for (unsigned d = 0; d < 7; ++d) {
        const unsigned from_today = (d + 7 - today.c_encoding()) % 7;
        if (from_today == 0 || from_today == 1 || from_today == 6) continue;
        out += fmt::format("{}\"{}\"", out.empty() ? "" : ", ", names[d]);
    }
    return "[" + out + "]";
}

std::string market_config(const fake_upstream& up) {
    return fmt::format(R"(
[server]
listen = "127.0.0.1:0"

[markets.SHUT]
timezone = "UTC"
regular = ["00:00-24:00"]
weekdays = {1}

[markets.ALLDAY]
timezone = "UTC"
regular = ["00:00-24:00"]
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[providers.yahoo]
base_url = "{0}"
interval = "200ms"
closed_interval = "5s"
timeout = "2s"

[[symbols]]
id = "SHUT"
class = "equity"
currency = "USD"
sources = ["yahoo:SHUT"]
market = "SHUT"
max_age = "1s"

[[symbols]]
id = "ALLDAY"
class = "equity"
currency = "USD"
sources = ["yahoo:ALLDAY"]
market = "ALLDAY"
max_age = "1s"
)",
                       up.base_url(), weekdays_closed_now());
}

json_doc quote_of(const daemon_process& d, std::string_view id) {
    auto r = http_get(d.port(), fmt::format("/v1/quotes/{}", id));
    INFO(r.body);
    REQUIRE(r.status == 200);
    return json_doc(r.body);
}

}  // namespace

TEST_CASE("A calendar decides market: closed now is polled slowly and stays fresh, open all day is open",
          "[integration][market]") {
    fake_upstream up;
    const std::int64_t now = unix_now();
    // Yahoo's own trading period says "open" for both: the calendars must win.
    for (const char* s : {"SHUT", "ALLDAY"})
        up.set_route(yahoo_path(s), json_ok(yahoo_chart_body(s, "101.5", "100.0", "USD", now - 5, now - 3600, now + 3600)));
    daemon_process d(market_config(up));

    REQUIRE(eventually([&] { return http_get(d.port(), "/v1/quotes/SHUT").status == 200; }, 10s));
    REQUIRE(eventually([&] { return http_get(d.port(), "/v1/quotes/ALLDAY").status == 200; }, 10s));
    const auto first = std::chrono::steady_clock::now();

    auto shut = quote_of(d, "SHUT");
    INFO(shut.text());
    CHECK(shut.str("/market") == "closed");
    CHECK_FALSE(shut.boolean("/stale"));
    auto open = quote_of(d, "ALLDAY");
    INFO(open.text());
    CHECK(open.str("/market") == "open");

    // Well past max_age (1s) while the closed market is polled only every closed_interval (5s):
    // the quote is not stale, since nobody trades; the open one is polled every interval.
    std::this_thread::sleep_until(first + 3s);
    shut = quote_of(d, "SHUT");
    CHECK(shut.str("/market") == "closed");
    CHECK_FALSE(shut.boolean("/stale"));
    CHECK(shut.raw("/price") == "101.50");
    CHECK(up.request_count(yahoo_path("SHUT")) <= 2);
    CHECK(up.request_count(yahoo_path("ALLDAY")) >= 5);
    open = quote_of(d, "ALLDAY");
    CHECK(open.str("/market") == "open");
    CHECK_FALSE(open.boolean("/stale"));

    auto rz = http_get(d.port(), "/readyz");
    INFO(rz.body);
    CHECK(rz.status == 200);
}

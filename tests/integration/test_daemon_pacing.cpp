// The real tickerd polling five symbols of one provider: the provider's poll
// loops share one request budget, so the fake upstream never sees two requests
// closer together than providers.NAME.min_spacing.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/market_fixture.hpp"
#include "support/test_clients.hpp"

using namespace tickerd::test;

TEST_CASE("Five symbols on one provider share its min_spacing budget", "[integration][pacing]") {
    fake_upstream up;
    const auto now = unix_now();
    const std::vector<std::string> ids{"AAA", "BBB", "CCC", "DDD", "EEE"};
    std::string symbols;
    for (const auto& id : ids) {
        up.set_route(yahoo_path(id),
                     json_ok(yahoo_chart_body(id, "100.5", "100.0", "USD", now - 5, now - 3600, now + 3600)));
        symbols += fmt::format("\n[[symbols]]\nid = \"{0}\"\nclass = \"equity\"\ncurrency = \"USD\"\nsources = "
                               "[\"yahoo:{0}\"]\n",
                               id);
    }
    // Unpaced, five loops polling every 100 ms would send about 50 requests a second.
    daemon_process d(fmt::format(R"(
[server]
listen = "127.0.0.1:0"
{1}
[providers.yahoo]
base_url = "{0}"
interval = "100ms"
timeout = "1s"
min_spacing = "200ms"
)",
                                 up.base_url(), symbols));
    for (const auto& id : ids) wait_quote(d, id, [](const json_doc& q) { return q.raw("/price") == "100.50"; });
    const std::size_t seen = up.requests().size();
    REQUIRE(eventually([&] { return up.requests().size() >= seen + 12; }, 10s));

    const auto all = up.requests();
    std::map<std::string, int> per_symbol;
    for (const auto& r : all) ++per_symbol[r.target];
    CHECK(per_symbol.size() == ids.size());  // every symbol is polled: the budget is shared, not starved

    // Once every connection is open (no connect time in the way), requests arrive
    // as the pacer sent them. Unpaced they would come about 20 ms apart.
    const std::vector<recorded_request> reqs(all.begin() + static_cast<long>(seen), all.end());
    REQUIRE(reqs.size() >= 12);
    for (std::size_t i = 1; i < reqs.size(); ++i) {
        const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(reqs[i].at - reqs[i - 1].at);
        INFO("request " << i << " (" << reqs[i].target << ") came " << gap.count() << " ms after the previous one");
        // Sent 200 ms apart; delivery on a loaded machine may shift one arrival a little.
        CHECK(gap >= 150ms);
    }
    // Over many requests the jitter does not add up: n requests span (n - 1) x 200 ms.
    const auto span = std::chrono::duration_cast<std::chrono::milliseconds>(reqs.back().at - reqs.front().at);
    CHECK(span.count() >= static_cast<long>(reqs.size() - 1) * 200 - 50);
}

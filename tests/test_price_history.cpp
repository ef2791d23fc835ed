#include <catch2/catch.hpp>

#include "tickerd/price_history.hpp"

using namespace tickerd;
using std::chrono::milliseconds;

namespace {
const time_point t0{milliseconds(1'800'000'000'000)};  // on a minute boundary
decimal d(const char* s) { return *decimal::parse(s); }
}  // namespace

TEST_CASE("one point per bucket: the last price seen in it", "[history]") {
    price_history h(2, history_config{milliseconds(60'000), milliseconds(3'600'000)});
    h.record(0, t0 + milliseconds(1'000), d("10"));
    h.record(0, t0 + milliseconds(59'000), d("11"));
    h.record(0, t0 + milliseconds(61'000), d("12"));
    const auto p = h.points(0, std::chrono::hours(1), t0 + milliseconds(62'000));
    REQUIRE(p.size() == 2);
    CHECK(p[0].t == t0);
    CHECK(p[0].price == d("11"));
    CHECK(p[1].t == t0 + milliseconds(60'000));
    CHECK(p[1].price == d("12"));
    CHECK(h.points(1, std::chrono::hours(1), t0).empty());
    CHECK(h.points(7, std::chrono::hours(1), t0).empty());
}

TEST_CASE("points older than the retention are dropped, windows cut the rest", "[history]") {
    price_history h(1, history_config{milliseconds(60'000), milliseconds(300'000)});
    for (int m = 0; m < 10; ++m) h.record(0, t0 + milliseconds(m * 60'000), decimal::from_int(m + 1));
    const time_point now = t0 + milliseconds(9 * 60'000 + 1);
    const auto all = h.points(0, std::chrono::hours(24), now);
    REQUIRE(all.size() == 6);  // minutes 4..9: the 5-minute retention before the newest bucket
    CHECK(all.front().price == decimal::from_int(5));
    CHECK(all.back().price == decimal::from_int(10));
    CHECK(h.points(0, milliseconds(120'000), now).size() == 2);
}

TEST_CASE("a point older than the newest is ignored, keeping the series ordered", "[history]") {
    price_history h(1, history_config{});
    h.record(0, t0 + milliseconds(120'000), d("2"));
    h.record(0, t0, d("1"));
    const auto p = h.points(0, std::chrono::hours(24), t0 + milliseconds(180'000));
    REQUIRE(p.size() == 1);
    CHECK(p[0].price == d("2"));
}

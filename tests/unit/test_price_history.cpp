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

TEST_CASE("export and import carry a series across, rebucketed and cut to the retention", "[history][state]") {
    price_history a(1, history_config{milliseconds(60'000), milliseconds(3'600'000)});
    for (int m = 0; m < 5; ++m) a.record(0, t0 + milliseconds(m * 60'000 + 500), decimal::from_int(m + 1));
    const auto saved = a.export_series(0);
    REQUIRE(saved.size() == 5);
    CHECK(saved.front().t == t0);
    CHECK(a.export_series(3).empty());

    price_history same(1, a.config());
    same.import_series(0, saved, t0 + milliseconds(10 * 60'000));
    CHECK(same.export_series(0).size() == 5);

    // Coarser buckets after a config change: the last price of each 2-minute bucket.
    price_history coarse(1, history_config{milliseconds(120'000), milliseconds(3'600'000)});
    coarse.import_series(0, saved, t0 + milliseconds(10 * 60'000));
    const auto c = coarse.export_series(0);
    REQUIRE(c.size() == 3);
    CHECK(c[0].price == decimal::from_int(2));
    CHECK(c[2].price == decimal::from_int(5));

    // Points older than the retention before now, or after now, are dropped.
    price_history late(1, history_config{milliseconds(60'000), milliseconds(180'000)});
    late.import_series(0, saved, t0 + milliseconds(5 * 60'000));
    const auto l = late.export_series(0);
    REQUIRE(l.size() == 3);
    CHECK(l.front().price == decimal::from_int(3));
    price_history early(1, a.config());
    early.import_series(0, saved, t0 + milliseconds(60'000));
    CHECK(early.export_series(0).size() == 2);
}

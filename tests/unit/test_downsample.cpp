#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "tickerd/downsample.hpp"

using namespace tickerd;
using std::chrono::milliseconds;

namespace {

const time_point t0{milliseconds(1'800'000'000'000)};

// n points one minute apart, price f(i) (in cents).
template <class F>
std::vector<history_point> series(std::size_t n, F f) {
    std::vector<history_point> s;
    for (std::size_t i = 0; i < n; ++i) {
        s.push_back({t0 + milliseconds(static_cast<std::int64_t>(i) * 60'000),
                     decimal::from_units(static_cast<std::int64_t>(f(i)) * 1'000'000)});
    }
    return s;
}

bool same(const history_point& a, const history_point& b) { return a.t == b.t && a.price == b.price; }

// Every output point is an input point, in strictly increasing time.
void check_subsequence(const std::vector<history_point>& in, const std::vector<history_point>& out) {
    std::size_t j = 0;
    for (const auto& p : out) {
        while (j < in.size() && !same(in[j], p)) ++j;
        REQUIRE(j < in.size());
        ++j;
    }
}

}  // namespace

TEST_CASE("downsample: a series of at most max_points comes back unchanged", "[history][downsample]") {
    const auto s = series(120, [](std::size_t i) { return 10'000 + static_cast<long>(i % 7) * 13; });
    for (std::size_t k : {120u, 121u, 1440u}) {
        const auto out = downsample_lttb(s, k);
        REQUIRE(out.size() == s.size());
        CHECK(std::equal(out.begin(), out.end(), s.begin(), same));
    }
    CHECK(downsample_lttb({}, 60).empty());
    const auto one = series(1, [](std::size_t) { return 5; });
    CHECK(downsample_lttb(one, 2).size() == 1);
}

TEST_CASE("downsample: exactly max_points, first and last kept, all from the input in order",
          "[history][downsample]") {
    const auto s = series(1440, [](std::size_t i) {
        return 100'000 + static_cast<long>(std::lround(800 * std::sin(static_cast<double>(i) / 37.0))) +
               static_cast<long>((i * 7919) % 101);
    });
    for (std::size_t k : {2u, 3u, 4u, 60u, 119u, 120u, 500u, 1439u}) {
        INFO("max_points " << k);
        const auto out = downsample_lttb(s, k);
        REQUIRE(out.size() == k);
        CHECK(same(out.front(), s.front()));
        CHECK(same(out.back(), s.back()));
        check_subsequence(s, out);
    }
    // Below 2 counts as 2: the ends.
    for (std::size_t k : {0u, 1u}) {
        const auto out = downsample_lttb(s, k);
        REQUIRE(out.size() == 2);
        CHECK(same(out.front(), s.front()));
        CHECK(same(out.back(), s.back()));
    }
}

TEST_CASE("downsample: the extreme of a spike survives, up or down", "[history][downsample]") {
    for (const long sign : {1L, -1L}) {
        const std::size_t at = 733;  // not on a bucket edge
        const auto s = series(1440, [&](std::size_t i) {
            const long base = 50'000 + static_cast<long>(i % 5);  // a flat line with a little noise
            if (i == at) return base + sign * 5'000;
            if (i == at - 1 || i == at + 1) return base + sign * 2'000;
            return base;
        });
        const auto out = downsample_lttb(s, 60);
        INFO("sign " << sign);
        REQUIRE(out.size() == 60);
        CHECK(std::any_of(out.begin(), out.end(), [&](const history_point& p) { return same(p, s[at]); }));
        // And the series' range is the input's: the spike sets it.
        const auto [lo, hi] = std::minmax_element(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return a.price < b.price;
        });
        CHECK((sign > 0 ? hi->price : lo->price) == s[at].price);
    }
}

TEST_CASE("downsample: a straight line stays straight, a step keeps both levels", "[history][downsample]") {
    const auto step = series(1000, [](std::size_t i) { return i < 400 ? 1'000 : 2'000; });
    const auto out = downsample_lttb(step, 50);
    REQUIRE(out.size() == 50);
    // Points on both sides of the step, each holding its level.
    CHECK(std::any_of(out.begin(), out.end(), [](const auto& p) { return p.price == decimal::from_int(10); }));
    CHECK(std::any_of(out.begin(), out.end(), [](const auto& p) { return p.price == decimal::from_int(20); }));
    // The corner of the step (the last low or first high point) is kept.
    CHECK(std::any_of(out.begin(), out.end(), [&](const auto& p) { return same(p, step[399]) || same(p, step[400]); }));
}

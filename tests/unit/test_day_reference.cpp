#include <catch2/catch.hpp>

#include "tickerd/day_reference_book.hpp"
#include "tickerd/day_reference.hpp"

using namespace tickerd;
using std::chrono::milliseconds;

namespace {
// 2026-10-07T00:00:00Z
constexpr long long day0_ms = 1'791'331'200'000;
time_point at(long long day, int hour, int minute = 0, int second = 0, int ms = 0) {
    return time_point{milliseconds(day0_ms + day * 86'400'000 + hour * 3'600'000LL + minute * 60'000LL + second * 1000LL + ms)};
}
decimal d(const char* s) { return *decimal::parse(s); }
}  // namespace

TEST_CASE("utc_day splits days at 00:00:00.000 UTC", "[day_reference]") {
    CHECK(utc_day(at(0, 0)) == utc_day(at(0, 23, 59, 59, 999)));
    CHECK(utc_day(at(1, 0)) == utc_day(at(0, 0)) + 1);
    CHECK(utc_day(at(0, 0)) - 1 == utc_day(at(0, 0) - milliseconds(1)));
    CHECK(utc_day(time_point{milliseconds(0)}) == 0);
    CHECK(utc_day(time_point{milliseconds(-1)}) == -1);
    CHECK(utc_day(time_point{milliseconds(86'400'000)}) == 1);
}

TEST_CASE("no reference until a rate of an earlier UTC day is known", "[day_reference]") {
    day_reference r;
    CHECK_FALSE(r.reference_at(at(0, 12)));
    r.observe(d("26100"), at(0, 0, 2, 31));
    CHECK_FALSE(r.reference_at(at(0, 0, 2, 31)));  // the same day: no previous day yet
    CHECK_FALSE(r.reference_at(at(0, 23, 59, 59, 999)));
    // Asked about a rate of the next day, the last rate of day 0 is the reference.
    CHECK(r.reference_at(at(1, 0)) == d("26100"));
}

TEST_CASE("the reference is the last rate of the previous UTC day", "[day_reference]") {
    day_reference r;
    r.observe(d("26100"), at(0, 0, 2));
    r.observe(d("26150"), at(0, 23, 59, 59, 999));  // a later rate on day 0 replaces the day's rate
    r.observe(d("26200"), at(1, 0, 0));              // day 1 starts: day 0's last rate is the reference
    CHECK(r.reference_at(at(1, 0)) == d("26150"));
    r.observe(d("26210"), at(1, 12));
    CHECK(r.reference_at(at(1, 12)) == d("26150"));
    r.observe(d("26300"), at(2, 0, 5));
    CHECK(r.reference_at(at(2, 0, 5)) == d("26210"));
    REQUIRE(r.latest());
    CHECK(r.latest()->rate == d("26300"));
    REQUIRE(r.previous());
    CHECK(r.previous()->rate == d("26210"));
}

TEST_CASE("a gap of several days uses the last rate of the newest earlier day", "[day_reference]") {
    day_reference r;
    r.observe(d("100"), at(0, 10));
    r.observe(d("105"), at(4, 0, 3));  // days 1..3 not seen (daemon down, weekend)
    CHECK(r.reference_at(at(4, 0, 3)) == d("100"));
}

TEST_CASE("a rate older than the newest held is ignored", "[day_reference]") {
    day_reference r;
    r.observe(d("100"), at(0, 10));
    r.observe(d("110"), at(1, 10));
    r.observe(d("90"), at(0, 11));  // the upstream went back a day
    CHECK(r.latest()->rate == d("110"));
    CHECK(r.reference_at(at(1, 10)) == d("100"));
}

TEST_CASE("restore keeps a previous rate only when it is of an earlier day", "[day_reference]") {
    const day_reference::rate_at day0{d("100"), at(0, 1)};
    const day_reference::rate_at day1{d("110"), at(1, 1)};
    const auto ok = day_reference::restore(day1, day0);
    CHECK(ok.reference_at(at(1, 1)) == d("100"));
    const auto same_day = day_reference::restore(day0, day_reference::rate_at{d("99"), at(0, 0)});
    CHECK_FALSE(same_day.previous());
    CHECK_FALSE(same_day.reference_at(at(0, 5)));
    CHECK_FALSE(day_reference::restore(std::nullopt, day0).previous());
}

TEST_CASE("the book keeps one reference per source and counts changes", "[day_reference]") {
    day_reference_book book;
    CHECK(book.version() == 0);
    CHECK_FALSE(book.observe("openerapi:USD/VND", d("26100"), at(0, 0, 2)));
    const auto v1 = book.version();
    CHECK(v1 > 0);
    CHECK_FALSE(book.observe("openerapi:USD/VND", d("26100"), at(0, 0, 2)));  // the same rate again: no change
    CHECK(book.version() == v1);
    CHECK_FALSE(book.observe("openerapi:USD/EUR", d("0.86"), at(1, 0, 2)));  // another source has its own
    CHECK(book.observe("openerapi:USD/VND", d("26200"), at(1, 0, 2)) == d("26100"));
    CHECK(book.entries().size() == 2);

    day_reference_book restored;
    for (const auto& e : book.entries()) restored.restore(e);
    CHECK(restored.observe("openerapi:USD/VND", d("26250"), at(1, 6)) == d("26100"));
}

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "tickerd/market_calendar.hpp"
#include "tickerd/normaliser.hpp"

using namespace tickerd;
using namespace std::chrono_literals;

namespace {

// A fixed UTC instant: never today's date.
time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s = 0, int ms = 0) {
    const std::chrono::sys_days day{std::chrono::year{y} / std::chrono::month{mo} / std::chrono::day{d}};
    return time_point{day.time_since_epoch() + std::chrono::hours(h) + std::chrono::minutes(mi) +
                      std::chrono::seconds(s) + std::chrono::milliseconds(ms)};
}

const market_calendar& builtin(std::string_view name) {
    const auto* c = find_builtin_calendar(name);
    REQUIRE(c != nullptr);
    return *c;
}

std::string state(const market_calendar& c, time_point t) { return std::string(to_string(state_at(c, t))); }

}  // namespace

TEST_CASE("NASDAQ: pre, open, post and closed on a winter weekday", "[market_calendar]") {
    const auto& xnas = builtin("XNAS");
    // Tuesday 2026-11-24, EST (UTC-5): 04:00 = 09:00Z, 09:30 = 14:30Z, 16:00 = 21:00Z, 20:00 = 01:00Z next day.
    CHECK(state(xnas, utc(2026, 11, 24, 8, 59, 59, 999)) == "closed");
    CHECK(state(xnas, utc(2026, 11, 24, 9, 0)) == "pre");
    CHECK(state(xnas, utc(2026, 11, 24, 14, 29, 59, 999)) == "pre");
    CHECK(state(xnas, utc(2026, 11, 24, 14, 30)) == "open");
    CHECK(state(xnas, utc(2026, 11, 24, 18, 0)) == "open");
    CHECK(state(xnas, utc(2026, 11, 25, 0, 59, 59, 999)) == "post");
    CHECK(state(xnas, utc(2026, 11, 25, 1, 0)) == "closed");
    CHECK(state(builtin("XNYS"), utc(2026, 11, 24, 18, 0)) == "open");
}

TEST_CASE("NASDAQ: 16:00 is the first instant of the post-market session", "[market_calendar]") {
    const auto& xnas = builtin("XNAS");
    CHECK(state(xnas, utc(2026, 11, 24, 20, 59, 59, 999)) == "open");
    CHECK(state(xnas, utc(2026, 11, 24, 21, 0)) == "post");
    // Without a post session, 16:00 is closed.
    market_calendar plain = xnas;
    plain.post.reset();
    CHECK(state(plain, utc(2026, 11, 24, 20, 59, 59, 999)) == "open");
    CHECK(state(plain, utc(2026, 11, 24, 21, 0)) == "closed");
}

TEST_CASE("NASDAQ: the opening moves by an hour in UTC across the March DST change", "[market_calendar]") {
    const auto& xnas = builtin("XNAS");
    // Friday 2026-03-06, EST (UTC-5): 09:30 = 14:30Z.
    CHECK(state(xnas, utc(2026, 3, 6, 13, 30)) == "pre");
    CHECK(state(xnas, utc(2026, 3, 6, 14, 30)) == "open");
    CHECK(state(xnas, utc(2026, 3, 6, 20, 0)) == "open");   // 15:00 EST
    CHECK(state(xnas, utc(2026, 3, 6, 21, 0)) == "post");   // 16:00 EST
    // Sunday 2026-03-08: clocks go forward at 02:00; a weekend anyway.
    CHECK(state(xnas, utc(2026, 3, 8, 15, 0)) == "closed");
    // Monday 2026-03-09, EDT (UTC-4): 09:30 = 13:30Z, 16:00 = 20:00Z.
    CHECK(state(xnas, utc(2026, 3, 9, 13, 29, 59, 999)) == "pre");
    CHECK(state(xnas, utc(2026, 3, 9, 13, 30)) == "open");
    CHECK(state(xnas, utc(2026, 3, 9, 19, 59, 59, 999)) == "open");
    CHECK(state(xnas, utc(2026, 3, 9, 20, 0)) == "post");
    CHECK(state(xnas, utc(2026, 3, 10, 0, 0)) == "closed");  // 20:00 EDT
    CHECK(state(xnas, utc(2026, 3, 9, 8, 0)) == "pre");      // 04:00 EDT
}

TEST_CASE("HKEX: morning session, lunch break, afternoon session", "[market_calendar]") {
    const auto& xhkg = builtin("XHKG");
    // Tuesday 2026-11-24, HKT (UTC+8, no DST): 09:30 = 01:30Z, 12:00 = 04:00Z, 13:00 = 05:00Z, 16:00 = 08:00Z.
    CHECK(state(xhkg, utc(2026, 11, 24, 1, 29, 59, 999)) == "closed");
    CHECK(state(xhkg, utc(2026, 11, 24, 1, 30)) == "open");
    CHECK(state(xhkg, utc(2026, 11, 24, 3, 59, 59, 999)) == "open");
    CHECK(state(xhkg, utc(2026, 11, 24, 4, 0)) == "break");
    CHECK(state(xhkg, utc(2026, 11, 24, 4, 59, 59, 999)) == "break");
    CHECK(state(xhkg, utc(2026, 11, 24, 5, 0)) == "open");
    CHECK(state(xhkg, utc(2026, 11, 24, 7, 59, 59, 999)) == "open");
    CHECK(state(xhkg, utc(2026, 11, 24, 8, 0)) == "closed");
    // Monday 09:30 HKT is still Sunday in UTC.
    CHECK(state(xhkg, utc(2026, 11, 29, 23, 0)) == "closed");  // Mon 07:00 HKT
    CHECK(state(xhkg, utc(2026, 11, 30, 1, 30)) == "open");    // Mon 09:30 HKT
}

TEST_CASE("a configured holiday is closed all day, in the market's local date", "[market_calendar]") {
    market_calendar xnas = builtin("XNAS");
    xnas.holidays = {std::chrono::year{2026} / std::chrono::December / std::chrono::day{25}};
    CHECK(state(xnas, utc(2026, 12, 24, 15, 0)) == "open");    // Thursday
    CHECK(state(xnas, utc(2026, 12, 25, 12, 0)) == "closed");  // 07:00 EST: no pre-market either
    CHECK(state(xnas, utc(2026, 12, 25, 15, 0)) == "closed");
    // 00:30Z on Dec 25 is 19:30 EST on Dec 24, not a holiday in New York.
    CHECK(state(xnas, utc(2026, 12, 25, 0, 30)) == "post");
}

TEST_CASE("weekends are closed", "[market_calendar]") {
    // Saturday 2026-11-28 and Sunday 2026-11-29 at what would be midday sessions.
    CHECK(state(builtin("XNAS"), utc(2026, 11, 28, 17, 0)) == "closed");
    CHECK(state(builtin("XNAS"), utc(2026, 11, 29, 17, 0)) == "closed");
    CHECK(state(builtin("XHKG"), utc(2026, 11, 28, 2, 0)) == "closed");
    // A market trading on Saturdays only.
    market_calendar sat = builtin("XNAS");
    sat.weekdays = {false, false, false, false, false, false, true};
    CHECK(state(sat, utc(2026, 11, 28, 17, 0)) == "open");
    CHECK(state(sat, utc(2026, 11, 27, 17, 0)) == "closed");
}

TEST_CASE("FX: closed from Friday 22:00 UTC to Sunday 22:00 UTC", "[market_calendar]") {
    const auto& fx = builtin("FX");
    CHECK(state(fx, utc(2026, 11, 27, 21, 59, 59, 999)) == "open");  // Friday
    CHECK(state(fx, utc(2026, 11, 27, 22, 0)) == "closed");
    CHECK(state(fx, utc(2026, 11, 28, 12, 0)) == "closed");  // Saturday
    CHECK(state(fx, utc(2026, 11, 29, 21, 59, 59, 999)) == "closed");  // Sunday
    CHECK(state(fx, utc(2026, 11, 29, 22, 0)) == "open");
    CHECK(state(fx, utc(2026, 11, 30, 12, 0)) == "open");  // Monday
    CHECK(state(fx, utc(2026, 12, 2, 21, 59)) == "open");  // Wednesday, across the zone's midnight
    CHECK(state(fx, utc(2026, 12, 2, 22, 0)) == "open");
    // The same in summer: the boundary is UTC, not New York.
    CHECK(state(fx, utc(2026, 7, 3, 21, 59)) == "open");
    CHECK(state(fx, utc(2026, 7, 3, 22, 0)) == "closed");
}

TEST_CASE("always is always, and an unknown zone gives unknown", "[market_calendar]") {
    CHECK(state(builtin("always"), utc(2026, 11, 28, 3, 0)) == "always");
    CHECK(state(builtin("always"), utc(2026, 12, 25, 15, 0)) == "always");
    market_calendar bad = builtin("XNAS");
    bad.timezone = "Mars/Olympus_Mons";
    CHECK(state_at(bad, utc(2026, 11, 24, 15, 0)) == market_state::unknown);
    CHECK(is_resting(market_state::closed));
    CHECK(is_resting(market_state::brk));
    CHECK_FALSE(is_resting(market_state::open));
    CHECK_FALSE(is_resting(market_state::pre));
    CHECK_FALSE(is_resting(market_state::always));
    CHECK_FALSE(is_resting(market_state::unknown));
}

TEST_CASE("a 00:00-24:00 session covers the whole day", "[market_calendar]") {
    market_calendar all_day;
    all_day.timezone = "UTC";
    all_day.regular = {*parse_session_range("00:00-24:00")};
    all_day.weekdays = {true, true, true, true, true, true, true};
    CHECK(state(all_day, utc(2026, 11, 28, 0, 0)) == "open");
    CHECK(state(all_day, utc(2026, 11, 28, 23, 59, 59, 999)) == "open");
}

TEST_CASE("parse_session_range", "[market_calendar]") {
    CHECK(parse_session_range("09:30-16:00") == session_range{570min, 960min});
    CHECK(parse_session_range("00:00-24:00") == session_range{0min, 1440min});
    for (const char* bad : {"", "9:30-16:00", "09:30 - 16:00", "16:00-09:30", "09:30-09:30", "24:00-24:00",
                            "12:60-13:00", "24:01-24:00", "25:00-26:00", "09:30-16:0x", "09:30/16:00", "0930-1600",
                            "09:30-16:00 "}) {
        INFO(bad);
        CHECK_FALSE(parse_session_range(bad).has_value());
    }
}

TEST_CASE("time zones come from the system database", "[market_calendar]") {
    CHECK(is_known_time_zone("America/New_York"));
    CHECK(is_known_time_zone("Asia/Hong_Kong"));
    CHECK(is_known_time_zone("Etc/GMT-2"));
    CHECK(is_known_time_zone("UTC"));
    CHECK_FALSE(is_known_time_zone("Mars/Olympus_Mons"));
    CHECK_FALSE(is_known_time_zone(""));
    for (const auto& c : builtin_calendars())
        if (!c.always) CHECK(is_known_time_zone(c.timezone));
}

TEST_CASE("the normaliser takes market from the calendar at the time of receipt", "[market_calendar][normaliser]") {
    symbol_config s;
    s.id = "NVDA";
    s.cls = asset_class::equity;
    s.currency = "USD";
    raw_quote r;
    r.price = *decimal::parse("101.5");
    r.reference = *decimal::parse("100");
    r.market = market_state::open;  // what the upstream says
    const auto saturday = utc(2026, 11, 28, 17, 0);
    const auto tuesday = utc(2026, 11, 24, 21, 30);  // 16:30 EST

    auto q = normalise(r, s, "yahoo", reference_kind::previous_close, std::nullopt, saturday);
    REQUIRE(q);
    CHECK(q->market == market_state::open);  // no calendar: the upstream's state

    s.market = "XNAS";
    s.calendar = std::make_shared<const market_calendar>(builtin("XNAS"));
    q = normalise(r, s, "yahoo", reference_kind::previous_close, std::nullopt, saturday);
    REQUIRE(q);
    CHECK(q->market == market_state::closed);
    q = normalise(r, s, "yahoo", reference_kind::previous_close, std::nullopt, tuesday);
    REQUIRE(q);
    CHECK(q->market == market_state::post);

    s.cls = asset_class::crypto;
    s.market.clear();
    s.calendar = nullptr;
    q = normalise(r, s, "coinbase", reference_kind::open_24h, std::nullopt, saturday);
    REQUIRE(q);
    CHECK(q->market == market_state::always);
}

TEST_CASE("XHKG half day: the morning session only, closed from 12:00", "[market_calendar][half_days]") {
    market_calendar hk = builtin("XHKG");
    hk.half_days = {std::chrono::year{2026} / 12 / 24};
    // Thursday 2026-12-24, HKT (UTC+8): 09:30 = 01:30Z, 12:00 = 04:00Z, 13:00 = 05:00Z, 16:00 = 08:00Z.
    CHECK(state(hk, utc(2026, 12, 24, 1, 29)) == "closed");
    CHECK(state(hk, utc(2026, 12, 24, 1, 30)) == "open");
    CHECK(state(hk, utc(2026, 12, 24, 3, 59, 59, 999)) == "open");
    CHECK(state(hk, utc(2026, 12, 24, 4, 0)) == "closed");  // not a lunch break: the day is over
    CHECK(state(hk, utc(2026, 12, 24, 5, 30)) == "closed");
    CHECK(state(hk, utc(2026, 12, 24, 7, 59)) == "closed");
    // The next trading day is a full day again.
    CHECK(state(hk, utc(2026, 12, 28, 4, 30)) == "break");
    CHECK(state(hk, utc(2026, 12, 28, 5, 30)) == "open");
}

TEST_CASE("NYSE early close: regular to 13:00, late trading 13:00-17:00", "[market_calendar][half_days]") {
    market_calendar xnys = builtin("XNYS");
    xnys.half_days = {std::chrono::year{2026} / 11 / 27};
    // Friday 2026-11-27, EST (UTC-5): 13:00 = 18:00Z, 16:00 = 21:00Z, 17:00 = 22:00Z.
    CHECK(state(xnys, utc(2026, 11, 27, 9, 0)) == "pre");
    CHECK(state(xnys, utc(2026, 11, 27, 14, 30)) == "open");
    CHECK(state(xnys, utc(2026, 11, 27, 17, 59, 59, 999)) == "open");
    CHECK(state(xnys, utc(2026, 11, 27, 18, 0)) == "post");
    CHECK(state(xnys, utc(2026, 11, 27, 21, 30)) == "post");
    CHECK(state(xnys, utc(2026, 11, 27, 22, 0)) == "closed");
    // The day before is a normal day: open at 13:00 local.
    CHECK(state(xnys, utc(2026, 11, 25, 18, 0)) == "open");
}

TEST_CASE("a half day without half_day_close changes nothing", "[market_calendar][half_days]") {
    market_calendar m;
    m.name = "T";
    m.timezone = "UTC";
    m.regular = {{std::chrono::hours(9), std::chrono::hours(17)}};
    m.weekdays = {false, true, true, true, true, true, false};
    m.half_days = {std::chrono::year{2026} / 12 / 24};
    CHECK(state(m, utc(2026, 12, 24, 16, 0)) == "open");
    m.half_day_close = std::chrono::hours(12);
    CHECK(state(m, utc(2026, 12, 24, 16, 0)) == "closed");
    CHECK(state(m, utc(2026, 12, 24, 11, 59)) == "open");
}

TEST_CASE("parse_clock_time", "[market_calendar][half_days]") {
    CHECK(parse_clock_time("13:00") == std::chrono::minutes(780));
    CHECK(parse_clock_time("00:00") == std::chrono::minutes(0));
    CHECK(parse_clock_time("23:59") == std::chrono::minutes(1439));
    CHECK_FALSE(parse_clock_time("24:00"));
    CHECK_FALSE(parse_clock_time("9:30"));
    CHECK_FALSE(parse_clock_time("12:60"));
    CHECK_FALSE(parse_clock_time("12-00"));
    CHECK_FALSE(parse_clock_time(""));
}

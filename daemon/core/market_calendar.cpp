#include "tickerd/market_calendar.hpp"

#include <algorithm>
#include <stdexcept>

#include <date/date.h>
#include <date/tz.h>

namespace tickerd {

// Time zones come from the system's tz database (/usr/share/zoneinfo, Debian's
// tzdata package), never from the network: Debian builds libdate-tz with
// USE_OS_TZDB=1 (the date::date-tz target exports it), which leaves out the
// download code.
static_assert(USE_OS_TZDB == 1, "link date::date-tz built with USE_OS_TZDB=1 (the system tz database)");
static_assert(HAS_REMOTE_API == 0, "the tz database must never be downloaded");

namespace {

using std::chrono::minutes;

const date::time_zone* find_zone(std::string_view name) {
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {  // unknown zone, or no readable tz database
        return nullptr;
    }
}

session_range hm(int bh, int bm, int eh, int em) {
    return session_range{std::chrono::hours(bh) + minutes(bm), std::chrono::hours(eh) + minutes(em)};
}

constexpr std::array<bool, 7> monday_to_friday{false, true, true, true, true, true, false};

std::vector<market_calendar> make_builtins() {
    std::vector<market_calendar> v;
    for (const char* name : {"XNAS", "XNYS"}) {
        market_calendar us;
        us.name = name;
        us.timezone = "America/New_York";
        us.regular = {hm(9, 30, 16, 0)};
        us.pre = hm(4, 0, 9, 30);
        us.post = hm(16, 0, 20, 0);
        us.weekdays = monday_to_friday;
        us.half_day_close = std::chrono::hours(13);  // early closes: 13:00, late trading to 17:00
        v.push_back(std::move(us));
    }
    market_calendar hk;
    hk.name = "XHKG";
    hk.timezone = "Asia/Hong_Kong";
    hk.regular = {hm(9, 30, 12, 0), hm(13, 0, 16, 0)};
    hk.weekdays = monday_to_friday;
    hk.half_day_close = std::chrono::hours(12);  // half days: the morning session only
    v.push_back(std::move(hk));
    // FX: open from Sunday 22:00 UTC to Friday 22:00 UTC. Etc/GMT-2 is UTC+2 all
    // year (the sign of the Etc zones is inverted), so its Monday 00:00 is Sunday
    // 22:00 UTC and its Friday 24:00 is Friday 22:00 UTC.
    market_calendar fx;
    fx.name = "FX";
    fx.timezone = "Etc/GMT-2";
    fx.regular = {hm(0, 0, 24, 0)};
    fx.weekdays = monday_to_friday;
    v.push_back(std::move(fx));
    market_calendar always;
    always.name = "always";
    always.always = true;
    v.push_back(std::move(always));
    return v;
}

market_state state_in_sessions(const std::vector<session_range>& regular, const std::optional<session_range>& pre,
                               const std::optional<session_range>& post, minutes t) {
    for (const auto& r : regular)
        if (r.contains(t)) return market_state::open;
    if (pre && pre->contains(t)) return market_state::pre;
    if (post && post->contains(t)) return market_state::post;
    if (!regular.empty() && regular.front().begin <= t && t < regular.back().end) return market_state::brk;
    return market_state::closed;
}

}  // namespace

market_state state_at(const market_calendar& cal, time_point utc) {
    if (cal.always) return market_state::always;
    const date::time_zone* zone = find_zone(cal.timezone);
    if (zone == nullptr) return market_state::unknown;
    const auto local = zone->to_local(date::sys_time<std::chrono::milliseconds>(utc.time_since_epoch()));
    const auto day = date::floor<date::days>(local);
    const auto t = std::chrono::duration_cast<minutes>(local - day);
    if (!cal.weekdays[date::weekday(day).c_encoding()]) return market_state::closed;
    const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day.time_since_epoch().count()}}};
    if (std::find(cal.holidays.begin(), cal.holidays.end(), ymd) != cal.holidays.end()) return market_state::closed;
    const bool half_day = cal.half_day_close &&
                          std::find(cal.half_days.begin(), cal.half_days.end(), ymd) != cal.half_days.end();
    if (!half_day) return state_in_sessions(cal.regular, cal.pre, cal.post, t);
    // An early close: regular sessions end at half_day_close; the post session follows it.
    const minutes close = *cal.half_day_close;
    std::vector<session_range> regular;
    for (const auto& r : cal.regular)
        if (r.begin < close) regular.push_back({r.begin, std::min(r.end, close)});
    std::optional<session_range> post;
    if (cal.post) post = session_range{close, close + (cal.post->end - cal.post->begin)};
    return state_in_sessions(regular, cal.pre, post, t);
}

bool is_resting(market_state s) { return s == market_state::closed || s == market_state::brk; }

const std::vector<market_calendar>& builtin_calendars() {
    static const std::vector<market_calendar> all = make_builtins();
    return all;
}

const market_calendar* find_builtin_calendar(std::string_view name) {
    for (const auto& c : builtin_calendars())
        if (c.name == name) return &c;
    return nullptr;
}

bool is_known_time_zone(std::string_view name) { return !name.empty() && find_zone(name) != nullptr; }

std::optional<minutes> parse_clock_time(std::string_view text) {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    for (std::size_t i : {0u, 1u, 3u, 4u})
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
    const int h = (text[0] - '0') * 10 + (text[1] - '0');
    const int m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h > 23 || m > 59) return std::nullopt;
    return std::chrono::hours(h) + minutes(m);
}

std::optional<session_range> parse_session_range(std::string_view text) {
    // "HH:MM-HH:MM", exactly 11 characters.
    if (text.size() != 11 || text[5] != '-') return std::nullopt;
    auto clock = [](std::string_view s) -> std::optional<minutes> {
        if (s[2] != ':') return std::nullopt;
        for (std::size_t i : {0u, 1u, 3u, 4u})
            if (s[i] < '0' || s[i] > '9') return std::nullopt;
        const int h = (s[0] - '0') * 10 + (s[1] - '0');
        const int m = (s[3] - '0') * 10 + (s[4] - '0');
        if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
        return std::chrono::hours(h) + minutes(m);
    };
    const auto b = clock(text.substr(0, 5));
    const auto e = clock(text.substr(6, 5));
    if (!b || !e || *b >= std::chrono::hours(24) || *b >= *e) return std::nullopt;
    return session_range{*b, *e};
}

}  // namespace tickerd

// [markets.NAME]: trading calendars, new or replacing keys of a built-in one.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "settings/config_sections.hpp"
#include "settings/toml_reader.hpp"

namespace tickerd::config_sections {
namespace {

using namespace toml_reader;

session_range read_range(const toml::node& n, const std::string& key) {
    const std::string text = get_string(n, key);
    const auto r = parse_session_range(text);
    if (!r)
        fail(key,
             fmt::format("invalid time range \"{}\": use \"HH:MM-HH:MM\" (24-hour local time, start before "
                         "end, \"24:00\" only as an end), e.g. \"09:30-16:00\"",
                         text),
             &n);
    return *r;
}

// "2026-12-25", or a TOML date (2026-12-25 unquoted).
std::chrono::year_month_day read_date(const toml::node& n, const std::string& key) {
    int y = 0;
    unsigned mo = 0;
    unsigned d = 0;
    if (const auto* dt = n.as_date()) {
        y = dt->get().year;
        mo = dt->get().month;
        d = dt->get().day;
    } else if (const auto* s = n.as_string()) {
        const std::string& text = s->get();
        const bool shape = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
                           all_digits(std::string_view(text).substr(0, 4)) &&
                           all_digits(std::string_view(text).substr(5, 2)) &&
                           all_digits(std::string_view(text).substr(8, 2));
        if (!shape) fail(key, fmt::format("invalid date \"{}\": use \"YYYY-MM-DD\"", text), &n);
        y = std::stoi(text.substr(0, 4));
        mo = static_cast<unsigned>(std::stoi(text.substr(5, 2)));
        d = static_cast<unsigned>(std::stoi(text.substr(8, 2)));
    } else {
        wrong_type(key, "a date string such as \"2026-12-25\"", n);
    }
    const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo}, std::chrono::day{d}};
    if (!ymd.ok()) fail(key, fmt::format("{:04}-{:02}-{:02} is not a calendar date", y, mo, d), &n);
    return ymd;
}

// An array at `key`, else `expected` ("an array of strings such as ...").
const toml::array& as_array(const toml::node& n, const std::string& key, std::string_view expected) {
    const auto* arr = n.as_array();
    if (arr == nullptr) wrong_type(key, expected, n);
    return *arr;
}

void read_regular(const toml::node& n, const std::string& key, market_calendar& m) {
    const auto& arr = as_array(n, key, "an array of strings such as [\"09:30-16:00\"]");
    if (arr.empty()) fail(key, "must list at least one session, e.g. [\"09:30-16:00\"]", &n);
    m.regular.clear();
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const std::string k = index_path(key, i);
        const auto r = read_range(arr[i], k);
        if (!m.regular.empty() && r.begin < m.regular.back().end)
            fail(k, "sessions must be in time order and must not overlap", &arr[i]);
        m.regular.push_back(r);
    }
}

void read_weekdays(const toml::node& n, const std::string& key, market_calendar& m) {
    static constexpr std::string_view days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    const auto& arr = as_array(n, key, "an array of strings such as [\"mon\", \"tue\"]");
    if (arr.empty()) fail(key, "must list at least one day", &n);
    m.weekdays = {};
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const std::string k = index_path(key, i);
        const std::string d = get_string(arr[i], k);
        const auto* it = std::find(std::begin(days), std::end(days), d);
        if (it == std::end(days))
            fail(k, fmt::format("unknown day \"{}\": use mon, tue, wed, thu, fri, sat or sun", d), &arr[i]);
        auto& slot = m.weekdays[static_cast<std::size_t>(it - std::begin(days))];
        if (slot) fail(k, fmt::format("duplicate day \"{}\"", d), &arr[i]);
        slot = true;
    }
}

void read_half_day_close(const toml::node& n, const std::string& key, market_calendar& m) {
    const std::string text = get_string(n, key);
    const auto close = parse_clock_time(text);
    if (!close) fail(key, fmt::format("invalid time \"{}\": use \"HH:MM\" (24-hour local time), e.g. \"13:00\"", text), &n);
    if (*close <= m.regular.front().begin || *close >= m.regular.back().end)
        fail(key, "must fall after the start of the first regular session and before the end of the last", &n);
    m.half_day_close = close;
}

void read_half_days(const toml::node& n, const std::string& key, market_calendar& m) {
    const auto& arr = as_array(n, key, "an array of dates such as [\"2026-12-24\"]");
    m.half_days.clear();
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const std::string k = index_path(key, i);
        const auto d = read_date(arr[i], k);
        if (std::find(m.holidays.begin(), m.holidays.end(), d) != m.holidays.end())
            fail(k, "is also listed in holidays: a day is either closed or a half day", &arr[i]);
        m.half_days.push_back(d);
    }
}

// The built-in calendar of that name, else a new one (Monday to Friday) that must give timezone and regular.
market_calendar starting_calendar(const std::string& name, const toml::table& t, const std::string& path,
                                  const market_map& base) {
    if (const auto found = base.find(name); found != base.end()) return *found->second;
    if (const auto* builtin = find_builtin_calendar(name)) return *builtin;
    market_calendar m;
    m.name = name;
    m.weekdays = {false, true, true, true, true, true, false};
    for (std::string_view k : {"timezone", "regular"})
        if (t.get(k) == nullptr)
            fail(join(path, k),
                 k == "timezone" ? "required: an IANA time zone such as \"America/New_York\""
                                 : "required: the regular sessions, e.g. [\"09:30-16:00\"]",
                 &t);
    return m;
}

market_calendar read_market(const std::string& name, const toml::table& t, const std::string& path,
                            const market_map& base) {
    check_keys(t, path, {"timezone", "regular", "pre", "post", "weekdays", "holidays", "half_days", "half_day_close"});
    market_calendar m = starting_calendar(name, t, path, base);
    if (const auto* n = t.get("timezone")) {
        const std::string key = join(path, "timezone");
        m.timezone = get_string(*n, key);
        if (!is_known_time_zone(m.timezone))
            fail(key,
                 fmt::format("unknown time zone \"{}\": use an IANA name from the system time zone database "
                             "(/usr/share/zoneinfo), e.g. \"America/New_York\"",
                             m.timezone),
                 n);
    }
    if (const auto* n = t.get("regular")) read_regular(*n, join(path, "regular"), m);
    if (const auto* n = t.get("pre")) m.pre = read_range(*n, join(path, "pre"));
    if (const auto* n = t.get("post")) m.post = read_range(*n, join(path, "post"));
    if (m.pre && m.pre->end > m.regular.front().begin)
        fail(join(path, "pre"), "must end by the start of the first regular session", t.get("pre"));
    if (m.post && m.post->begin < m.regular.back().end)
        fail(join(path, "post"), "must start at or after the end of the last regular session", t.get("post"));
    if (const auto* n = t.get("weekdays")) read_weekdays(*n, join(path, "weekdays"), m);
    if (const auto* n = t.get("holidays")) {
        const std::string key = join(path, "holidays");
        const auto& arr = as_array(*n, key, "an array of dates such as [\"2026-12-25\"]");
        m.holidays.clear();
        for (std::size_t i = 0; i < arr.size(); ++i) m.holidays.push_back(read_date(arr[i], index_path(key, i)));
    }
    if (const auto* n = t.get("half_day_close")) read_half_day_close(*n, join(path, "half_day_close"), m);
    if (const auto* n = t.get("half_days")) {
        read_half_days(*n, join(path, "half_days"), m);
        if (!m.half_days.empty() && !m.half_day_close)
            fail(join(path, "half_day_close"), "required with half_days: the early close, e.g. \"13:00\"", &t);
    }
    return m;
}

}  // namespace

// [markets.NAME] tables: a name in `base` (shipped) or a built-in name starts
// from that calendar and replaces the keys given; a new name needs timezone and
// regular. The result holds `base` too.
market_map read_markets(const toml::table& t, const market_map& base) {
    market_map markets = base;
    for (const auto& [name_key, node] : t) {
        const std::string name(name_key.str());
        const std::string path = join("markets", name);
        const bool name_ok = !name.empty() && name.size() <= 32 &&
                             std::all_of(name.begin(), name.end(), [](char ch) {
                                 return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                                        (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
                             });
        if (!name_ok)
            fail(path, "a market name is 1 to 32 letters, digits, _ or -", &node);
        if (name == "always") fail(path, "\"always\" is built in and cannot be changed", &node);
        markets[name] = std::make_shared<const market_calendar>(read_market(name, as_table(node, path), path, base));
    }
    return markets;
}

}  // namespace tickerd::config_sections

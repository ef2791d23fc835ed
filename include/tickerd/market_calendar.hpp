#pragma once
// Exchange calendars: in which time zone a market trades, its sessions, lunch
// break, trading weekdays and holidays; and, purely, its state at a given UTC
// instant. Nothing here reads the clock: the time is always passed in.
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tickerd/quote.hpp"

namespace tickerd {

// [begin, end) in local wall-clock time of one trading day, as minutes after
// midnight; end may be 24 * 60 ("24:00", the end of the day).
struct session_range {
    std::chrono::minutes begin{0};
    std::chrono::minutes end{0};
    bool contains(std::chrono::minutes t) const { return begin <= t && t < end; }
    friend bool operator==(const session_range&, const session_range&) = default;
};

struct market_calendar {
    std::string name;                    // "XNAS", "always", or the [markets.NAME] of the config
    bool always = false;                 // trades around the clock (crypto): every other field unused
    std::string timezone;                // IANA name, e.g. "America/New_York"
    std::vector<session_range> regular;  // ascending, not overlapping; gaps between them are breaks
    std::optional<session_range> pre;    // before the first regular session
    std::optional<session_range> post;   // after the last regular session
    std::array<bool, 7> weekdays{};      // trading days, indexed 0 = Sunday .. 6 = Saturday
    std::vector<std::chrono::year_month_day> holidays;  // local dates without any session
    // Early-close days: regular trading ends at half_day_close (sessions after it
    // are dropped), and a post session starts then instead, keeping its length
    // (NYSE: 13:00, late trading to 17:00; HKEX: 12:00, no afternoon session).
    std::vector<std::chrono::year_month_day> half_days;
    std::optional<std::chrono::minutes> half_day_close;  // local time; set whenever half_days is not empty
};

// The state of the market at `utc`: always, open, brk (between two regular
// sessions), pre, post or closed (outside every session, on a weekend or holiday).
// Ranges are half open: at 16:00 a 09:30-16:00 market is no longer open.
// The calendar's time zone must exist (the config loader checks it): if it
// does not, the state is unknown.
market_state state_at(const market_calendar& cal, time_point utc);

// True for closed and brk: nobody trades, so prices cannot change.
bool is_resting(market_state s);

// The calendars usable without a [markets.NAME] table: XNAS, XNYS, XHKG, FX and always.
const std::vector<market_calendar>& builtin_calendars();
const market_calendar* find_builtin_calendar(std::string_view name);

// True when the system time zone database knows `name` ("America/New_York").
bool is_known_time_zone(std::string_view name);

// "13:00" -> 780 minutes. HH:MM with HH 00..23.
std::optional<std::chrono::minutes> parse_clock_time(std::string_view text);

// "09:30-16:00" -> {570, 960}. HH:MM with HH 00..23 (or 24:00 as an end), begin < end.
std::optional<session_range> parse_session_range(std::string_view text);

}  // namespace tickerd

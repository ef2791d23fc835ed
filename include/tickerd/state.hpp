#pragma once
// What survives a restart (the state file, `snapshot.json` in the state
// directory): per symbol id the last published quote and recent history, and
// the previous-day references the daemon keeps for sources that give none.
// Serialising and parsing are pure; the file I/O is in daemon/state_file.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tickerd/config.hpp"
#include "tickerd/day_reference.hpp"
#include "tickerd/price_history.hpp"
#include "tickerd/quote.hpp"
#include "tickerd/result.hpp"

namespace tickerd {

inline constexpr int state_format_version = 1;

struct saved_symbol {
    std::string id;
    std::optional<quote> last;           // the last published quote (its seq is the earlier run's)
    std::vector<history_point> history;  // oldest first
    // The symbol's currency and precision when it was saved (absent in files of
    // an earlier tickerd): a quote is put back only under the same ones.
    std::optional<std::string> currency;
    std::optional<int> precision;
};

struct saved_day_reference {
    std::string source;  // "openerapi:USD/VND"
    day_reference ref;
};

struct saved_state {
    time_point saved_at{};
    std::vector<saved_symbol> symbols;
    std::vector<saved_day_reference> day_references;
};

// Why a saved symbol's quote and history must not be put back under `sym`, its
// config now; empty when they may. They may only when the saved quote's source
// is one of the symbol's configured providers and its currency and precision
// are the configured ones. History points carry no source: a series goes with
// its symbol's quote, so a series without a saved quote is refused too.
std::string restore_refusal(const symbol_config& sym, const saved_symbol& saved);

// {"version":1,"saved_at":MS,"symbols":[…],"day_references":[…]}: decimals as
// exact strings, times as Unix milliseconds. No trailing newline, so every
// truncation of a file is invalid JSON.
std::string serialise_state(const saved_state& s);

// The whole file or an error saying what is wrong with it (never a partial state).
result<saved_state, std::string> parse_state(std::string_view bytes);

// One quote in the file's form (exact decimals, Unix milliseconds), and back,
// for symbol `id`; the cluster's bucket entries carry quotes this way too.
std::string serialise_saved_quote(const quote& q);
result<quote, std::string> parse_saved_quote(std::string_view json, const std::string& id);

}  // namespace tickerd

#pragma once
// Logs failures without flooding: the first occurrence of a message is logged
// at once, repeats are counted and summarised at most once a minute, and a
// recovery is logged once. A source that flaps (fails, works, fails again,
// as accept does while files run out) is not a new first occurrence each time:
// within the minute a relapse counts as a repeat, and only the first recovery
// after a logged failure line is logged; the others are summed into the next.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace tickerd {

class rate_limited_log {
public:
    explicit rate_limited_log(std::chrono::seconds summary_every = std::chrono::seconds(60))
        : summary_every_(summary_every) {}
    // `message` decides what counts as a repeat; `detail` is only printed.
    void failure(const std::string& source, const std::string& message, const std::string& detail = {});
    // Logs "SOURCE: recovered after N WHAT" if it had failed.
    void recovered(const std::string& source, std::string_view what = "failed polls");

private:
    using clock = std::chrono::steady_clock;
    struct state {
        std::string last_message;
        std::uint64_t repeats = 0;       // failures since the last failure line, not yet reported
        std::uint64_t failures = 0;      // since the last recovery line
        bool failure_logged = false;     // a failure line is the last word on this source
        clock::time_point last_logged{};            // the last failure line
        std::optional<clock::time_point> last_recovery;  // the last recovery line
    };
    std::chrono::seconds summary_every_;
    std::mutex mu_;
    std::map<std::string, state> states_;  // one per source: a fixed set (labels, symbols, "accept")
};

}  // namespace tickerd

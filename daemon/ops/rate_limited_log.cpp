#include "ops/rate_limited_log.hpp"

#include <spdlog/spdlog.h>

namespace tickerd {

void rate_limited_log::failure(const std::string& source, const std::string& message, const std::string& detail) {
    const auto now = clock::now();
    std::uint64_t previous_repeats = 0;  // of another message, reported before this one
    std::uint64_t repeats = 0;           // of this message, reported with it
    {
        const std::scoped_lock lk(mu_);
        state& s = states_[source];
        ++s.failures;
        if (s.last_message != message) {
            previous_repeats = s.repeats;
            s.last_message = message;
        } else if (now - s.last_logged >= summary_every_) {
            repeats = s.repeats > 0 ? s.repeats + 1 : 0;
        } else {
            ++s.repeats;
            return;
        }
        s.repeats = 0;
        s.last_logged = now;
        s.failure_logged = true;
    }
    if (previous_repeats > 0) spdlog::warn("{}: previous error repeated {} times", source, previous_repeats);
    if (repeats > 0) {
        spdlog::warn("{}: {} (repeated {} times){}", source, message, repeats, detail);
    } else {
        spdlog::warn("{}: {}{}", source, message, detail);
    }
}

void rate_limited_log::recovered(const std::string& source, std::string_view what) {
    const auto now = clock::now();
    std::uint64_t failures = 0;
    {
        const std::scoped_lock lk(mu_);
        auto it = states_.find(source);
        if (it == states_.end() || it->second.failures == 0) return;
        state& s = it->second;
        // A recovery moments after the last one, with no failure line between:
        // summed into the next recovery line rather than logged.
        if (!s.failure_logged && s.last_recovery && now - *s.last_recovery < summary_every_) return;
        failures = s.failures;
        s.failures = 0;
        s.repeats = 0;
        s.failure_logged = false;
        s.last_recovery = now;
    }
    spdlog::info("{}: recovered after {} {}", source, failures, what);
}

}  // namespace tickerd

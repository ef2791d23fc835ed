#include "ops/rate_limited_log.hpp"

#include <spdlog/spdlog.h>

namespace tickerd {

void rate_limited_log::failure(const std::string& source, const std::string& message, const std::string& detail) {
    const auto now = std::chrono::steady_clock::now();
    std::uint64_t repeats = 0;
    bool log_new = false;
    {
        const std::scoped_lock lk(mu_);
        state& s = states_[source];
        ++s.failures;
        if (s.last_message != message) {
            repeats = s.repeats;
            s.last_message = message;
            s.repeats = 0;
            s.last_logged = now;
            log_new = true;
        } else if (now - s.last_logged >= summary_every_) {
            repeats = s.repeats + 1;
            s.repeats = 0;
            s.last_logged = now;
        } else {
            ++s.repeats;
            return;
        }
    }
    if (log_new) {
        if (repeats > 0) spdlog::warn("{}: previous error repeated {} times", source, repeats);
        spdlog::warn("{}: {}{}", source, message, detail);
    } else {
        spdlog::warn("{}: {} (repeated {} times){}", source, message, repeats, detail);
    }
}

void rate_limited_log::recovered(const std::string& source, std::string_view what) {
    std::uint64_t failures = 0;
    {
        const std::scoped_lock lk(mu_);
        auto it = states_.find(source);
        if (it == states_.end()) return;
        failures = it->second.failures;
        states_.erase(it);
    }
    if (failures > 0) spdlog::info("{}: recovered after {} {}", source, failures, what);
}

}  // namespace tickerd

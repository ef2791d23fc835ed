#pragma once
// Logs upstream failures without flooding: the first occurrence of a message is
// logged at once, repeats are counted and summarised at most once a minute, and
// a recovery is logged once.
#include <chrono>
#include <map>
#include <mutex>
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
    struct state {
        std::string last_message;
        std::uint64_t repeats = 0;       // not yet reported
        std::uint64_t failures = 0;      // since the last success
        std::chrono::steady_clock::time_point last_logged{};
    };
    std::chrono::seconds summary_every_;
    std::mutex mu_;
    std::map<std::string, state> states_;
};

}  // namespace tickerd

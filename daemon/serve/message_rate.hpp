#pragma once
// limits.messages_per_second for what one client sends: a token bucket with a
// burst of two seconds' worth (a page subscribing symbol by symbol at start). Over the rate, a message is refused and the
// client warned once; another one before the bucket has a token again closes
// it (1008). Pure: the caller passes `now`.
#include <algorithm>
#include <chrono>

namespace tickerd {

class message_rate {
public:
    using clock = std::chrono::steady_clock;
    enum class verdict { accept, warn, close };

    // 0: unlimited.
    message_rate(unsigned per_second, clock::time_point now)
        : rate_(per_second), burst_(2.0 * per_second), tokens_(burst_), last_(now) {}

    verdict on_message(clock::time_point now) {
        if (rate_ == 0) return verdict::accept;
        const double elapsed = std::chrono::duration<double>(now - last_).count();
        last_ = now;
        tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
        if (tokens_ >= 1.0) {
            tokens_ -= 1.0;
            warned_ = false;
            return verdict::accept;
        }
        if (warned_) return verdict::close;
        warned_ = true;
        return verdict::warn;
    }

private:
    unsigned rate_;
    double burst_;
    double tokens_;
    clock::time_point last_;
    bool warned_ = false;
};

}  // namespace tickerd

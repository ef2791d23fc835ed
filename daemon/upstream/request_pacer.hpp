#pragma once
// A per-provider request budget: the poll loops of one provider share one pacer,
// so that the provider never sees two requests closer together than
// `min_spacing`, however many symbols it serves. The pacer hands out send slots;
// it never reads the clock (the caller passes `now`) and never waits: the caller
// waits for its slot on a timer.
#include <chrono>
#include <mutex>

namespace tickerd {

class request_pacer {
public:
    using clock = std::chrono::steady_clock;

    explicit request_pacer(std::chrono::milliseconds min_spacing) : spacing_(min_spacing) {}

    // Reserves the earliest slot at or after `now` that is at least min_spacing
    // after every slot handed out before, and returns it. The caller sends its
    // request at that instant (immediately when it equals `now`). Thread-safe:
    // the loops of one provider run on different strands.
    clock::time_point reserve(clock::time_point now);

    std::chrono::milliseconds min_spacing() const { return spacing_; }

private:
    const std::chrono::milliseconds spacing_;
    std::mutex mu_;
    bool any_ = false;
    clock::time_point last_{};
};

}  // namespace tickerd

#pragma once
// A stop request the cluster's threads wait on: a back-off or a tick that ends
// at once when the daemon stops.
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tickerd {

class stop_signal {
public:
    void request() {
        {
            const std::scoped_lock lk(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
    }
    bool stopping() const {
        const std::scoped_lock lk(mu_);
        return stopping_;
    }
    // Waits `d` or until a stop; true when stopping.
    bool wait_for(std::chrono::milliseconds d) {
        std::unique_lock lk(mu_);
        return cv_.wait_for(lk, d, [this] { return stopping_; });
    }

private:
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
};

}  // namespace tickerd

#pragma once
// The saver thread: every interval, when anything changed, collects the state
// and writes it with state_file::save; once more at shutdown. All file I/O of
// the state happens here, never on an io thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "ops/state_file.hpp"

namespace tickerd {

class state_saver {
public:
    // `generation` grows whenever something worth saving changed; `collect`
    // builds the state to write. Both are called on the saver thread.
    state_saver(state_file& file, std::chrono::milliseconds interval, std::function<std::uint64_t()> generation,
                std::function<saved_state()> collect);
    ~state_saver();  // stop() without the final save if still running
    state_saver(const state_saver&) = delete;
    state_saver& operator=(const state_saver&) = delete;

    void start();
    // Stops the thread, then saves once more if anything changed (on the caller's thread:
    // at shutdown, after the io loop has stopped).
    void stop_and_save();

private:
    void run();
    void save_if_changed();

    state_file& file_;
    const std::chrono::milliseconds interval_;
    std::function<std::uint64_t()> generation_;
    std::function<saved_state()> collect_;
    std::uint64_t saved_generation_ = 0;
    bool failing_ = false;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace tickerd

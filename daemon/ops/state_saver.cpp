#include "ops/state_saver.hpp"

#include <spdlog/spdlog.h>

namespace tickerd {

state_saver::state_saver(state_file& file, std::chrono::milliseconds interval,
                         std::function<std::uint64_t()> generation, std::function<saved_state()> collect)
    : file_(file), interval_(interval), generation_(std::move(generation)), collect_(std::move(collect)) {}

state_saver::~state_saver() {
    {
        const std::scoped_lock lk(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void state_saver::start() {
    // What was just loaded needs no save until something changes.
    saved_generation_ = generation_();
    thread_ = std::thread([this] { run(); });
}

void state_saver::stop_and_save() {
    {
        const std::scoped_lock lk(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    save_if_changed();
}

void state_saver::run() {
    std::unique_lock lk(mu_);
    while (!stopping_) {
        if (cv_.wait_for(lk, interval_, [this] { return stopping_; })) break;
        lk.unlock();
        save_if_changed();
        lk.lock();
    }
}

void state_saver::save_if_changed() {
    const std::uint64_t gen = generation_();
    if (gen == saved_generation_) return;
    const auto started = std::chrono::steady_clock::now();
    const std::string text = serialise_state(collect_());
    if (const std::string err = file_.save(text); !err.empty()) {
        // Logged when it starts failing and when it recovers, not at every interval.
        if (!failing_) spdlog::warn("state: cannot save: {} (will retry)", err);
        failing_ = true;
        return;
    }
    if (failing_) spdlog::info("state: saved again to {}", file_.path().string());
    failing_ = false;
    saved_generation_ = gen;
    spdlog::debug("state: saved {} bytes in {} us", text.size(),
                  std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
}

}  // namespace tickerd

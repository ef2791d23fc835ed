#include "ops/systemd_notify.hpp"

#include <time.h>

#include <cstdint>
#include <string>

#include <systemd/sd-daemon.h>

namespace tickerd::systemd {

namespace {

// sd_notify returns 0 without NOTIFY_SOCKET and < 0 on a send error: neither
// is worth failing over, the daemon works the same without the manager.
void notify(const std::string& message) { (void)sd_notify(0, message.c_str()); }

}  // namespace

void ready() { notify("READY=1"); }

void status(std::string_view text) { notify("STATUS=" + std::string(text)); }

void watchdog() { notify("WATCHDOG=1"); }

void reloading() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    const auto usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
    notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void stopping() { notify("STOPPING=1"); }

std::optional<std::chrono::microseconds> watchdog_interval() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
    return std::chrono::microseconds(static_cast<std::int64_t>(usec / 2));
}

int listen_fds() {
    const int n = sd_listen_fds(1);
    return n > 0 ? n : 0;
}

int first_listen_fd() { return SD_LISTEN_FDS_START; }

}  // namespace tickerd::systemd

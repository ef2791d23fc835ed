#pragma once
// Talks to the service manager (systemd): sd_notify messages and the sockets
// it passes. Every function is a cheap no-op when the daemon does not run
// under systemd (NOTIFY_SOCKET / LISTEN_FDS / WATCHDOG_USEC unset), so the
// callers never check. No systemd header leaks out of this file.
#include <chrono>
#include <optional>
#include <string_view>

namespace tickerd::systemd {

// READY=1: startup finished (listeners bound, state loaded), or a reload finished.
void ready();
// STATUS=<text>: one line shown by `systemctl status`.
void status(std::string_view text);
// WATCHDOG=1: the io loop is alive. Send it every watchdog_interval().
void watchdog();
// RELOADING=1 with MONOTONIC_USEC=<now> (what systemd 253+ expects for
// Type=notify-reload; accepted and ignored by older versions). Call ready() when done.
void reloading();
// STOPPING=1: shutdown has begun.
void stopping();

// Half of WatchdogSec= when systemd's watchdog is on for this process, else nullopt.
std::optional<std::chrono::microseconds> watchdog_interval();

// Number of sockets passed by socket activation (LISTEN_FDS for this pid);
// 0 when none. The variables are unset so that children do not inherit them.
int listen_fds();
// The first passed descriptor (SD_LISTEN_FDS_START, i.e. 3).
int first_listen_fd();

}  // namespace tickerd::systemd

#pragma once
// What /proc says about a process: resident memory and CPU time.
#include <optional>

namespace ws_load {

// VmRSS of /proc/PID/status, in KiB.
std::optional<long> rss_kib(int pid);
// utime + stime of /proc/PID/stat, in seconds.
std::optional<double> cpu_seconds(int pid);
// This process's user + system CPU time, in seconds.
double own_cpu_seconds();

}  // namespace ws_load

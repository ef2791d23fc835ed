#pragma once
// Runs the real tickerd binary for one test: a fresh temp dir with the config
// file and the daemon's log, a child process, and a bounded wait for
// "listening on http://127.0.0.1:PORT". When a test assertion fails while a
// daemon is alive, the tail of its log is printed (see daemon_process.cpp).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tickerd::test {

// The binary under test. TICKERD_BINARY is defined for the integration target
// only (not for this support library), so each test file registers it below.
void set_default_tickerd_binary(std::string path);
const std::string& default_tickerd_binary();

#ifdef TICKERD_BINARY
namespace {
[[maybe_unused]] const bool tickerd_binary_registered = (set_default_tickerd_binary(TICKERD_BINARY), true);
}  // namespace
#endif

struct daemon_options {
    std::string binary;                              // empty: default_tickerd_binary()
    std::vector<std::string> extra_args;             // after "--config FILE"
    bool wait_listening = true;                      // false: for processes expected to exit
    std::chrono::milliseconds start_timeout{10'000};  // to the "listening on" line
    bool separate_stderr = false;  // stderr to its own file (stderr_text) instead of the log
    // Passed as $STATE_DIRECTORY. Empty: DIR/state, fresh for each daemon and
    // removed with it, so no test reads another's state or the user's.
    std::string state_dir;
};

// A temp dir that outlives several daemons (e.g. a state dir across a restart); removed at destruction.
class scratch_dir {
public:
    scratch_dir();
    ~scratch_dir();
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::string str() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

class daemon_process {
public:
    // Writes `config_toml` to DIR/tickerd.toml and runs
    // `TICKERD_BINARY --config DIR/tickerd.toml [extra args]`. With
    // wait_listening, throws std::runtime_error (with the log) if the daemon
    // exits or does not report its port in time.
    explicit daemon_process(const std::string& config_toml, daemon_options options = {});
    ~daemon_process();  // stops a daemon still running (SIGTERM, SIGKILL after 3 s), removes the temp dir
    daemon_process(const daemon_process&) = delete;
    daemon_process& operator=(const daemon_process&) = delete;

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::filesystem::path& dir() const { return dir_; }
    const std::filesystem::path& state_dir() const { return state_dir_; }
    std::string config_path() const { return config_path_.string(); }

    std::string log_text() const;     // stdout (+ stderr unless separate_stderr)
    std::string stderr_text() const;  // only with separate_stderr
    std::string log_tail(std::size_t lines = 40) const;

    // Sends a signal without waiting.
    void signal(int sig) const;
    // SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit status:
    // the exit code, or 128 + signal number when killed by a signal.
    int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5'000));
    // Waits for the process to exit on its own; its status as in stop(), or
    // nullopt if still running after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    bool running();

    // Printed once, at the first failed assertion while this daemon is alive.
    void dump_log_once(const char* why);

private:
    std::optional<int> reap(bool block);
    void wait_listening(std::chrono::milliseconds timeout);

    std::filesystem::path dir_;
    std::filesystem::path config_path_;
    std::filesystem::path log_path_;
    std::filesystem::path err_path_;
    std::filesystem::path state_dir_;
    pid_t pid_ = -1;
    std::optional<int> exit_status_;
    std::uint16_t port_ = 0;
    bool dumped_ = false;
    int uncaught_at_start_ = 0;
};

// A temp dir's file contents, or "" when missing.
std::string read_file_text(const std::filesystem::path& path);

// A config with one simulated symbol, DEMO (USD, 2 decimals, start price
// 1284.30, a simulated past of 1440 points at the default [history]), that
// ticks only once an hour after publishing its start price: a daemon that
// needs no upstream. `server_extra` goes into [server], `rest` after everything
// (e.g. a [history] table).
std::string quiet_sim_config(std::string_view server_extra = "", std::string_view rest = "");
// The same symbol from a sim with this seed, ticking every `interval` (e.g. "100ms").
std::string sim_demo_config(int seed, std::string_view interval, std::string_view server_extra = "",
                            std::string_view rest = "");

}  // namespace tickerd::test

#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include "support/daemon_process.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace tickerd::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

std::string& binary_slot() {
    static std::string path;
    return path;
}

// Live daemons, so a failed assertion can show their logs.
std::mutex& registry_mutex() {
    static std::mutex mu;
    return mu;
}
std::vector<daemon_process*>& registry() {
    static std::vector<daemon_process*> r;
    return r;
}

void register_daemon(daemon_process* d) {
    std::scoped_lock lk(registry_mutex());
    registry().push_back(d);
}
void unregister_daemon(daemon_process* d) {
    std::scoped_lock lk(registry_mutex());
    auto& r = registry();
    r.erase(std::remove(r.begin(), r.end(), d), r.end());
}

int status_of(int wstatus) {
    if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
    return -1;
}

fs::path make_temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "tickerd-it-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error(fmt::format("mkdtemp: {}", std::strerror(errno)));
    return tmpl;
}

// The port in the first "listening on http://127.0.0.1:PORT" line, or 0.
std::uint16_t find_port(const std::string& log) {
    static constexpr std::string_view marker = "listening on http://127.0.0.1:";
    auto pos = log.find(marker);
    if (pos == std::string::npos) return 0;
    pos += marker.size();
    unsigned long port = 0;
    std::size_t digits = 0;
    while (pos < log.size() && log[pos] >= '0' && log[pos] <= '9' && digits < 6) {
        port = port * 10 + static_cast<unsigned long>(log[pos] - '0');
        ++pos;
        ++digits;
    }
    if (digits == 0 || pos >= log.size() || port > 65535) return 0;  // line not complete yet
    return static_cast<std::uint16_t>(port);
}

}  // namespace

scratch_dir::scratch_dir() : path_(make_temp_dir()) {}

scratch_dir::~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void set_default_tickerd_binary(std::string path) { binary_slot() = std::move(path); }
const std::string& default_tickerd_binary() { return binary_slot(); }

std::string read_file_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

daemon_process::daemon_process(const std::string& config_toml, daemon_options options)
    : uncaught_at_start_(std::uncaught_exceptions()) {
    const std::string binary = options.binary.empty() ? default_tickerd_binary() : options.binary;
    if (binary.empty()) throw std::runtime_error("no tickerd binary: TICKERD_BINARY is not defined");

    dir_ = make_temp_dir();
    config_path_ = dir_ / "tickerd.toml";
    log_path_ = dir_ / "tickerd.log";
    if (options.separate_stderr) err_path_ = dir_ / "tickerd.stderr";
    {
        std::ofstream out(config_path_, std::ios::binary);
        out << config_toml;
        if (!out) throw std::runtime_error("cannot write " + config_path_.string());
    }

    std::vector<std::string> args{binary, "--config", config_path_.string()};
    args.insert(args.end(), options.extra_args.begin(), options.extra_args.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    // The environment, with $STATE_DIRECTORY set to this daemon's own state dir.
    state_dir_ = options.state_dir.empty() ? dir_ / "state" : fs::path(options.state_dir);
    std::string state_env = "STATE_DIRECTORY=" + state_dir_.string();
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::string_view(*e).starts_with("STATE_DIRECTORY=")) continue;
        envp.push_back(*e);
    }
    envp.push_back(state_env.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (options.separate_stderr)
        posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
                                         0644);
    else
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // not our sockets (the fake upstream's)

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    int rc = ::posix_spawn(&pid_, binary.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        pid_ = -1;
        std::error_code ec;
        fs::remove_all(dir_, ec);
        throw std::runtime_error(fmt::format("posix_spawn {}: {}", binary, std::strerror(rc)));
    }
    register_daemon(this);

    if (options.wait_listening) {
        try {
            wait_listening(options.start_timeout);
        } catch (...) {
            // The destructor will not run for a half-built object.
            if (running()) {
                ::kill(pid_, SIGKILL);
                reap(true);
            }
            unregister_daemon(this);
            std::error_code ec;
            fs::remove_all(dir_, ec);
            throw;
        }
    }
}

daemon_process::~daemon_process() {
    if (std::uncaught_exceptions() > uncaught_at_start_) dump_log_once("the test threw");
    // SIGTERM first, so every test also shuts the daemon down cleanly and, in the
    // sanitizer builds, LeakSanitizer checks it at exit (a SIGKILL skips that).
    if (running()) stop(std::chrono::milliseconds(3'000));
    unregister_daemon(this);
    if (std::getenv("TICKERD_IT_KEEP")) {
        std::cerr << "tickerd test dir kept: " << dir_ << '\n';
    } else {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
}

void daemon_process::wait_listening(std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        std::string text = log_text();
        if (!err_path_.empty()) text += stderr_text();
        if (auto p = find_port(text); p != 0) {
            port_ = p;
            return;
        }
        if (auto st = reap(false))
            throw std::runtime_error(
                fmt::format("tickerd exited with status {} before listening; its output:\n{}", *st, log_tail(60)));
        if (steady::now() >= deadline)
            throw std::runtime_error(
                fmt::format("tickerd did not report 'listening on http://127.0.0.1:PORT' within {} ms; its output:\n{}",
                            timeout.count(), log_tail(60)));
        std::this_thread::sleep_for(20ms);
    }
}

std::string daemon_process::log_text() const { return read_file_text(log_path_); }

std::string daemon_process::stderr_text() const { return err_path_.empty() ? std::string{} : read_file_text(err_path_); }

std::string daemon_process::log_tail(std::size_t lines) const {
    std::string text = log_text();
    if (!err_path_.empty()) text += "---- stderr ----\n" + stderr_text();
    std::size_t pos = text.size();
    if (pos > 0 && text[pos - 1] == '\n') --pos;
    for (std::size_t n = 0; pos > 0; --pos) {
        if (text[pos - 1] == '\n' && ++n == lines) break;
    }
    return text.substr(pos);
}

void daemon_process::signal(int sig) const {
    if (pid_ > 0 && !exit_status_) ::kill(pid_, sig);
}

std::optional<int> daemon_process::reap(bool block) {
    if (exit_status_) return exit_status_;
    if (pid_ <= 0) return std::nullopt;
    int wstatus = 0;
    for (;;) {
        pid_t r = ::waitpid(pid_, &wstatus, block ? 0 : WNOHANG);
        if (r == pid_) {
            exit_status_ = status_of(wstatus);
            return exit_status_;
        }
        if (r == -1 && errno == EINTR) continue;
        return std::nullopt;
    }
}

bool daemon_process::running() { return pid_ > 0 && !reap(false); }

std::optional<int> daemon_process::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    for (;;) {
        if (auto st = reap(false)) return st;
        if (steady::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(10ms);
    }
}

int daemon_process::stop(std::chrono::milliseconds grace) {
    if (auto st = reap(false)) return *st;
    ::kill(pid_, SIGTERM);
    if (auto st = wait_exit(grace)) return *st;
    ::kill(pid_, SIGKILL);
    return reap(true).value_or(-1);
}

void daemon_process::dump_log_once(const char* why) {
    if (dumped_) return;
    dumped_ = true;
    std::cerr << fmt::format("---- tickerd pid {} ({}), {}: last lines of its output ----\n{}\n---- end of tickerd output ----\n",
                             pid_, dir_.string(), why, log_tail(60));
}

namespace {

// Shows the daemon's log next to the first failed assertion of a test.
struct daemon_log_listener : Catch::TestEventListenerBase {
    using TestEventListenerBase::TestEventListenerBase;

    bool assertionEnded(Catch::AssertionStats const& stats) override {
        if (!stats.assertionResult.isOk()) {
            std::scoped_lock lk(registry_mutex());
            for (auto* d : registry()) d->dump_log_once("an assertion failed");
        }
        return true;
    }
};

}  // namespace

CATCH_REGISTER_LISTENER(daemon_log_listener)

std::string quiet_sim_config(std::string_view server_extra, std::string_view rest) {
    return sim_demo_config(7, "1h", server_extra, rest);
}

std::string sim_demo_config(int seed, std::string_view interval, std::string_view server_extra, std::string_view rest) {
    return fmt::format(R"([server]
listen = "127.0.0.1:0"
{}

[providers.sim]
seed = {}
interval = "{}"

[[symbols]]
id = "DEMO"
name = "Demo Corp"
class = "equity"
currency = "USD"
precision = 2
sources = ["sim"]
start_price = "1284.30"

{}
)",
                       server_extra, seed, interval, rest);
}

}  // namespace tickerd::test

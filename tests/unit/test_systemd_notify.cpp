// The sd_notify wrapper against a datagram socket standing in for systemd:
// the exact messages, the watchdog period, and no-ops outside systemd.
#include <catch2/catch.hpp>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <string>

#include "ops/systemd_notify.hpp"

namespace systemd = tickerd::systemd;
namespace fs = std::filesystem;

namespace {

class env_var {
public:
    env_var(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value != nullptr) ::setenv(name, value, 1);
        else ::unsetenv(name);
    }
    ~env_var() {
        if (old_) ::setenv(name_, old_->c_str(), 1);
        else ::unsetenv(name_);
    }
    env_var(const env_var&) = delete;
    env_var& operator=(const env_var&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

// systemd's end: messages are read without waiting (sd_notify's send is done when it returns).
class fake_manager {
public:
    fake_manager() {
        path_ = fs::temp_directory_path() / ("tickerd-notify-unit-" + std::to_string(::getpid()) + ".sock");
        fs::remove(path_);
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    ~fake_manager() {
        ::close(fd_);
        fs::remove(path_);
    }
    std::string path() const { return path_.string(); }
    std::optional<std::string> next() {
        char buf[1024];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

private:
    fs::path path_;
    int fd_ = -1;
};

}  // namespace

TEST_CASE("Each notification sends its sd_notify message", "[systemd_notify]") {
    fake_manager m;
    env_var sock("NOTIFY_SOCKET", m.path().c_str());
    systemd::ready();
    CHECK(m.next() == std::optional<std::string>("READY=1"));
    systemd::status("5 symbols, 4 fresh, 120 clients");
    CHECK(m.next() == std::optional<std::string>("STATUS=5 symbols, 4 fresh, 120 clients"));
    systemd::watchdog();
    CHECK(m.next() == std::optional<std::string>("WATCHDOG=1"));
    systemd::stopping();
    CHECK(m.next() == std::optional<std::string>("STOPPING=1"));
    systemd::reloading();
    const auto reloading = m.next();
    REQUIRE(reloading);
    CHECK(std::regex_match(*reloading, std::regex("RELOADING=1\nMONOTONIC_USEC=[1-9][0-9]*")));
    CHECK_FALSE(m.next());
}

TEST_CASE("Without NOTIFY_SOCKET notifications send nothing", "[systemd_notify]") {
    fake_manager m;
    {
        env_var sock("NOTIFY_SOCKET", nullptr);
        systemd::ready();
        systemd::status("x");
        systemd::watchdog();
        systemd::reloading();
        systemd::stopping();
    }
    // The manager, listening all along, got nothing...
    CHECK_FALSE(m.next());
    // ...though it does get what is sent once NOTIFY_SOCKET names it.
    env_var sock("NOTIFY_SOCKET", m.path().c_str());
    systemd::ready();
    CHECK(m.next() == std::optional<std::string>("READY=1"));
    CHECK_FALSE(m.next());
}

TEST_CASE("The watchdog period is half of WATCHDOG_USEC, for this process only", "[systemd_notify]") {
    {
        env_var usec("WATCHDOG_USEC", "400000");
        env_var pid("WATCHDOG_PID", nullptr);
        CHECK(systemd::watchdog_interval() == std::optional<std::chrono::microseconds>(200'000));
    }
    {
        env_var usec("WATCHDOG_USEC", "400000");
        env_var pid("WATCHDOG_PID", std::to_string(::getpid()).c_str());
        CHECK(systemd::watchdog_interval() == std::optional<std::chrono::microseconds>(200'000));
    }
    {
        env_var usec("WATCHDOG_USEC", "400000");
        env_var pid("WATCHDOG_PID", "1");  // meant for another process
        CHECK_FALSE(systemd::watchdog_interval());
    }
    {
        env_var usec("WATCHDOG_USEC", nullptr);
        CHECK_FALSE(systemd::watchdog_interval());
    }
}

TEST_CASE("Passed sockets count only when LISTEN_PID is this process", "[systemd_notify]") {
    {
        env_var fds("LISTEN_FDS", nullptr);
        CHECK(systemd::listen_fds() == 0);
    }
    {
        env_var fds("LISTEN_FDS", "1");
        env_var pid("LISTEN_PID", "1");
        CHECK(systemd::listen_fds() == 0);
    }
    CHECK(systemd::first_listen_fd() == 3);
}

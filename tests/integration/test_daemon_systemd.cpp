// The real tickerd under systemd's protocols, without systemd: a datagram
// socket standing in for NOTIFY_SOCKET, systemd-socket-activate passing a
// listening socket, JOURNAL_STREAM naming stderr, $CREDENTIALS_DIRECTORY, and
// --check-config printing the resolved configuration.
#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/daemon_process.hpp"
#include "support/fake_upstream.hpp"
#include "support/free_port.hpp"
#include "support/skip.hpp"
#include "support/test_clients.hpp"

extern char** environ;

using namespace tickerd::test;
namespace fs = std::filesystem;

namespace {

const std::string sim_config = sim_demo_config(42, "100ms");

// Sets an environment variable for the daemons spawned in this scope.
class scoped_env {
public:
    scoped_env(std::string name, const std::string& value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) old_ = old;
        ::setenv(name_.c_str(), value.c_str(), 1);
    }
    ~scoped_env() {
        if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
        else ::unsetenv(name_.c_str());
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

fs::path fresh_dir(const std::string& what) {
    auto dir = fs::temp_directory_path() / fmt::format("tickerd-{}-{}-{}", what, ::getpid(), unix_now());
    fs::create_directories(dir);
    return dir;
}

// The service manager's end of NOTIFY_SOCKET: an AF_UNIX datagram socket.
class notify_listener {
public:
    notify_listener() : dir_(fresh_dir("notify")), path_(dir_ / "notify.sock") {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(path_.string().size() < sizeof addr.sun_path);
        std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        timeval tv{0, 50'000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~notify_listener() {
        ::close(fd_);
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    const fs::path& path() const { return path_; }

    // Receives until a message contains `needle` or `timeout`; that message, or nullopt.
    std::optional<std::string> wait_for(std::string_view needle, milliseconds timeout) {
        for (std::size_t i = seen_; i < messages_.size(); ++i) {
            if (messages_[i].find(needle) != std::string::npos) {
                seen_ = i + 1;
                return messages_[i];
            }
        }
        seen_ = messages_.size();
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            char buf[4096];
            const auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) continue;
            messages_.emplace_back(buf, static_cast<std::size_t>(n));
            seen_ = messages_.size();
            if (messages_.back().find(needle) != std::string::npos) return messages_.back();
        }
        return std::nullopt;
    }
    // Everything received so far, in order.
    const std::vector<std::string>& messages() const { return messages_; }

private:
    fs::path dir_;
    fs::path path_;
    int fd_ = -1;
    std::vector<std::string> messages_;
    std::size_t seen_ = 0;
};

// A child process with stdout and stderr appended to `log`, for the cases
// daemon_process does not cover (a wrapper in front of tickerd, a log file
// whose inode must be known before the start).
class child {
public:
    child(const std::vector<std::string>& args, const fs::path& log) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const int rc = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) pid_ = -1;
    }
    ~child() {
        if (pid_ > 0 && !status_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    bool started() const { return pid_ > 0; }
    void signal(int sig) const { ::kill(pid_, sig); }
    // Exit code (128 + signal when killed), or nullopt if still running after `timeout`.
    std::optional<int> wait_exit(milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!status_) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                break;
            }
            if (std::chrono::steady_clock::now() >= deadline) break;
            std::this_thread::sleep_for(20ms);
        }
        return status_;
    }

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

std::optional<std::string> find_program(const std::string& name) {
    for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
        const auto p = fs::path(dir) / name;
        if (::access(p.c_str(), X_OK) == 0) return p.string();
    }
    return std::nullopt;
}

std::uint16_t port_from_log(const std::string& log) {
    std::smatch m;
    static const std::regex re(R"(listening on http://127\.0\.0\.1:(\d+))");
    if (!std::regex_search(log, m, re)) return 0;
    return static_cast<std::uint16_t>(std::stoi(m[1].str()));
}

// Runs `tickerd ARGS` to completion; exit code and stdout/stderr.
struct run_result {
    int status = -1;
    std::string out;
    std::string err;
};
run_result run_tickerd(const std::vector<std::string>& args) {
    const auto dir = fresh_dir("run");
    std::string cmd = default_tickerd_binary();
    for (const auto& a : args) cmd += " '" + a + "'";
    cmd += fmt::format(" >'{}' 2>'{}'", (dir / "out").string(), (dir / "err").string());
    const int st = std::system(cmd.c_str());
    run_result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = read_file_text(dir / "out");
    r.err = read_file_text(dir / "err");
    fs::remove_all(dir);
    return r;
}

}  // namespace

TEST_CASE("sd_notify READY STATUS WATCHDOG and STOPPING reach NOTIFY_SOCKET", "[integration][systemd]") {
    notify_listener manager;
    scoped_env notify("NOTIFY_SOCKET", manager.path().string());
    scoped_env watchdog("WATCHDOG_USEC", "400000");
    daemon_process d(sim_config);

    const auto ready = manager.wait_for("READY=1", 5s);
    REQUIRE(ready);
    // Ready means serving: /healthz answers at once.
    CHECK(http_get(d.port(), "/healthz").status == 200);

    const auto status = manager.wait_for("STATUS=", 5s);
    REQUIRE(status);
    CHECK(std::regex_search(*status, std::regex(R"(STATUS=1 symbols, [01] fresh, 0 clients)")));

    // Every WatchdogSec/2 = 200 ms from the io loop: about 7 in 1.5 s, at least 3 even on a loaded machine.
    const auto watchdogs_before = std::count(manager.messages().begin(), manager.messages().end(), "WATCHDOG=1");
    const auto until = std::chrono::steady_clock::now() + 1500ms;
    while (std::chrono::steady_clock::now() < until) manager.wait_for("no such message", 100ms);
    const auto watchdogs = std::count(manager.messages().begin(), manager.messages().end(), "WATCHDOG=1");
    CHECK(watchdogs - watchdogs_before >= 3);
    CHECK(d.log_text().find("systemd watchdog on: WATCHDOG=1 every 200 ms") != std::string::npos);

    const auto t0 = std::chrono::steady_clock::now();
    d.signal(SIGTERM);
    CHECK(manager.wait_for("STOPPING=1", 3s));
    const auto exit_status = d.wait_exit(5s);
    REQUIRE(exit_status.has_value());
    CHECK(*exit_status == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("STATUS counts connected clients and fresh quotes", "[integration][systemd]") {
    notify_listener manager;
    scoped_env notify("NOTIFY_SOCKET", manager.path().string());
    daemon_process d(sim_config);
    REQUIRE(manager.wait_for("READY=1", 5s));
    ws_client a;
    a.connect(d.port(), "/v1/stream");
    ws_client b;
    b.connect(d.port(), "/v1/stream");
    // STATUS is refreshed every 5 s.
    CHECK(manager.wait_for("STATUS=1 symbols, 1 fresh, 2 clients", 8s));
    // No watchdog asked for: none sent.
    CHECK(std::count(manager.messages().begin(), manager.messages().end(), "WATCHDOG=1") == 0);
}

TEST_CASE("Without NOTIFY_SOCKET the daemon runs and stops as usual", "[integration][systemd]") {
    REQUIRE(std::getenv("NOTIFY_SOCKET") == nullptr);
    daemon_process d(sim_config);
    CHECK(http_get(d.port(), "/healthz").status == 200);
    CHECK(d.stop() == 0);
}

TEST_CASE("Socket activation through systemd-socket-activate serves on the passed socket",
          "[integration][systemd]") {
    const auto activate = find_program("systemd-socket-activate");
    if (!activate) {
        skip_missing_tool("systemd-socket-activate", "Debian package systemd");
        return;
    }
    const auto dir = fresh_dir("activate");
    std::ofstream(dir / "tickerd.toml") << sim_config;
    const auto port = free_loopback_port();
    child c({*activate, "-l", fmt::format("127.0.0.1:{}", port), default_tickerd_binary(), "--config",
             (dir / "tickerd.toml").string()},
            dir / "log");
    REQUIRE(c.started());
    std::string body;
    const bool served = eventually(
        [&] {
            try {
                auto r = http_get(port, "/healthz", {}, 1s);
                body = r.body;
                return r.status == 200;
            } catch (const std::exception&) {
                return false;
            }
        },
        10s, 50ms);
    const std::string log = read_file_text(dir / "log");
    INFO(log);
    CHECK(served);
    CHECK(log.find("using the socket passed by systemd") != std::string::npos);
    CHECK(log.find(fmt::format("listening on http://127.0.0.1:{}", port)) != std::string::npos);
    c.signal(SIGTERM);
    const auto st = c.wait_exit(5s);
    REQUIRE(st.has_value());
    CHECK(*st == 0);
    fs::remove_all(dir);
}

TEST_CASE("Under socket activation the ops listener binds server.ops_listen itself", "[integration][systemd][ops]") {
    const auto activate = find_program("systemd-socket-activate");
    if (!activate) {
        skip_missing_tool("systemd-socket-activate", "Debian package systemd");
        return;
    }
    const auto dir = fresh_dir("activate-ops");
    const auto port = free_loopback_port();
    const auto ops = free_loopback_port();
    REQUIRE(ops != port);
    std::string cfg = sim_config;
    cfg.replace(cfg.find("listen = \"127.0.0.1:0\""), 22,
                fmt::format("listen = \"127.0.0.1:0\"\nops_listen = \"127.0.0.1:{}\"", ops));
    std::ofstream(dir / "tickerd.toml") << cfg;
    child c({*activate, "-l", fmt::format("127.0.0.1:{}", port), default_tickerd_binary(), "--config",
             (dir / "tickerd.toml").string()},
            dir / "log");
    REQUIRE(c.started());
    // The first connection to the passed socket starts the daemon (systemd-socket-activate execs at once).
    const bool served = eventually(
        [&] {
            try {
                return http_get(port, "/healthz", {}, 1s).status == 200;
            } catch (const std::exception&) {
                return false;
            }
        },
        10s, 50ms);
    const std::string log = read_file_text(dir / "log");
    INFO(log);
    REQUIRE(served);
    CHECK(log.find("using the socket passed by systemd") != std::string::npos);
    CHECK(http_get(ops, "/metrics", {}, 2s).status == 200);
    CHECK(http_get(port, "/metrics", {}, 2s).status == 404);
    c.signal(SIGTERM);
    const auto st = c.wait_exit(5s);
    REQUIRE(st.has_value());
    CHECK(*st == 0);
    fs::remove_all(dir);
}

TEST_CASE("A passed socket that is not a listening TCP socket is refused with exit 1", "[integration][systemd]") {
    const auto activate = find_program("systemd-socket-activate");
    if (!activate) {
        skip_missing_tool("systemd-socket-activate", "Debian package systemd");
        return;
    }
    const auto dir = fresh_dir("activate-udp");
    std::ofstream(dir / "tickerd.toml") << sim_config;
    const auto port = free_loopback_port();
    // Under journald (-E passes the variable on), so the critical line's priority is checked too.
    { std::ofstream touch(dir / "log"); }
    struct stat log_stat {};
    REQUIRE(::stat((dir / "log").c_str(), &log_stat) == 0);
    scoped_env journal("JOURNAL_STREAM", fmt::format("{}:{}", log_stat.st_dev, log_stat.st_ino));
    child c({*activate, "-E", "JOURNAL_STREAM", "--datagram", "-l", fmt::format("127.0.0.1:{}", port), default_tickerd_binary(),
             "--config", (dir / "tickerd.toml").string()},
            dir / "log");
    REQUIRE(c.started());
    // systemd-socket-activate starts the program at the first datagram.
    std::optional<int> st;
    for (int i = 0; i < 50 && !st; ++i) {
        const int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::sendto(udp, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        ::close(udp);
        st = c.wait_exit(200ms);
    }
    const std::string log = read_file_text(dir / "log");
    INFO(log);
    REQUIRE(st.has_value());
    CHECK(*st == 1);
    CHECK(std::regex_search(log, std::regex(R"((^|\n)<2>cannot listen: the socket passed by systemd \(fd 3\) is not a listening TCP stream socket)")));
    fs::remove_all(dir);
}

TEST_CASE("LISTEN_FDS meant for another process is ignored", "[integration][systemd]") {
    scoped_env fds("LISTEN_FDS", "1");
    scoped_env pid("LISTEN_PID", "1");
    daemon_process d(sim_config);
    CHECK(http_get(d.port(), "/healthz").status == 200);
    CHECK(d.log_text().find("socket passed by systemd") == std::string::npos);
}

TEST_CASE("Under journald log lines carry syslog priorities and no timestamp", "[integration][systemd]") {
    const auto dir = fresh_dir("journal");
    std::ofstream(dir / "tickerd.toml") << sim_config;
    const auto log = dir / "stderr";
    { std::ofstream touch(log); }
    struct stat st {};
    REQUIRE(::stat(log.c_str(), &st) == 0);
    std::string log_text;
    {
        scoped_env journal("JOURNAL_STREAM", fmt::format("{}:{}", st.st_dev, st.st_ino));
        child c({default_tickerd_binary(), "--config", (dir / "tickerd.toml").string()}, log);
        REQUIRE(c.started());
        REQUIRE(eventually([&] { return port_from_log(read_file_text(log)) != 0; }, 10s));
        c.signal(SIGTERM);
        CHECK(c.wait_exit(5s) == std::optional<int>(0));
        log_text = read_file_text(log);
    }
    INFO(log_text);
    // info is <6>, warn <4> (the sim warning); nothing else on a line.
    CHECK(std::regex_search(log_text, std::regex(R"((^|\n)<6>tickerd [0-9.]+ listening on http://127\.0\.0\.1:\d+)")));
    CHECK(std::regex_search(log_text, std::regex(R"((^|\n)<4>serving simulated quotes)")));
    std::istringstream lines(log_text);
    std::string line;
    std::size_t n = 0;
    while (std::getline(lines, line)) {
        ++n;
        CHECK(std::regex_match(line, std::regex(R"(<[0-7]>[^<].*)")));
        CHECK_FALSE(std::regex_search(line, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d)")));
    }
    CHECK(n >= 3);
    fs::remove_all(dir);
}

TEST_CASE("A JOURNAL_STREAM naming another file keeps timestamps", "[integration][systemd]") {
    scoped_env journal("JOURNAL_STREAM", "1:1");
    daemon_process d(sim_config);
    const std::string log = d.log_text();
    CHECK(std::regex_search(log, std::regex(R"((^|\n)\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info )")));
    CHECK(log.find("<6>") == std::string::npos);
}

TEST_CASE("An API key is read from the systemd credentials directory and never logged",
          "[integration][systemd][finnhub]") {
    fake_upstream up;
    up.set_route("/api/v1/quote",
                 json_ok(R"({"c":1284.3,"d":17.98,"dp":1.4199,"h":1291.5,"l":1262.11,"o":1268.4,"pc":1266.32,"t":1791400198})"));
    const auto creds = fresh_dir("credentials");
    const std::string secret = "cr3d-finnhub-key";
    std::ofstream(creds / "finnhub_api_key") << secret << "\n";
    scoped_env dir("CREDENTIALS_DIRECTORY", creds.string());
    scoped_env env_key("TICKERD_FINNHUB_API_KEY", "env-key-loses");  // the credential comes first
    daemon_process d(fmt::format(R"([server]
listen = "127.0.0.1:0"
[[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["finnhub:NVDA"]
[providers.finnhub]
base_url = "{}"
interval = "100ms"
timeout = "1s"
)",
                                 up.base_url()));
    REQUIRE(up.wait_for_requests("/api/v1/quote", 1, 5s));
    bool sent = false;
    for (const auto& req : up.requests()) {
        for (const auto& [name, value] : req.headers) {
            if (name == "X-Finnhub-Token") {
                CHECK(value == secret);
                sent = true;
            }
        }
    }
    CHECK(sent);
    CHECK(d.log_text().find(secret) == std::string::npos);
    fs::remove_all(creds);
}

TEST_CASE("check-config prints the resolved config, which reads back to the same config",
          "[integration][cli]") {
    for (const char* shipped : {"config/tickerd.toml", "config/demo.toml"}) {
        const std::string path = std::string(TICKERD_SOURCE_DIR) + "/" + shipped;
        const auto first = run_tickerd({"--check-config", "--config", path});
        INFO(shipped << "\n" << first.err);
        REQUIRE(first.status == 0);
        // Every key with its effective value, defaults included.
        for (const char* key : {"log_level = ", "[server]", "listen = ", "threads = ", "ping_interval = ",
                                "heartbeat_interval = ", "max_queued_messages = ", "web_root = ", "[history]",
                                "resolution = ", "retention = ", "[bad_tick]", "[[symbols]]", "max_age = ",
                                "failover_after = ", "failback_after = ", "[providers."}) {
            CHECK(first.out.find(key) != std::string::npos);
        }
        const auto dir = fresh_dir("resolved");
        std::ofstream(dir / "resolved.toml") << first.out;
        const auto second = run_tickerd({"--check-config", "--config", (dir / "resolved.toml").string()});
        INFO(second.err);
        REQUIRE(second.status == 0);
        // Same config: the same text, apart from the first line naming the file.
        CHECK(second.out.substr(second.out.find('\n')) == first.out.substr(first.out.find('\n')));
        fs::remove_all(dir);
    }
}

TEST_CASE("check-config shows defaults as durations and never prints an API key", "[integration][cli]") {
    const auto dir = fresh_dir("check");
    std::ofstream(dir / "t.toml") << R"([[symbols]]
id = "NVDA"
class = "equity"
currency = "USD"
sources = ["finnhub:NVDA"]
[providers.finnhub]
base_url = "https://finnhub.io"
api_key_file = "/run/credentials/tickerd.service/finnhub_api_key"
)";
    scoped_env key("TICKERD_FINNHUB_API_KEY", "never-printed-key");
    const auto r = run_tickerd({"--check-config", "--config", (dir / "t.toml").string()});
    REQUIRE(r.status == 0);
    CHECK(r.out.find("ping_interval = '15s'") != std::string::npos);
    CHECK(r.out.find("max_age = '5m'") != std::string::npos);
    CHECK(r.out.find("listen = '127.0.0.1:8080'") != std::string::npos);
    CHECK(r.out.find("api_key_file = '/run/credentials/tickerd.service/finnhub_api_key'") != std::string::npos);
    CHECK(r.out.find("never-printed-key") == std::string::npos);
    CHECK(r.err.find("OK (1 symbols)") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("check-config on a bad config exits 2 naming the key", "[integration][cli]") {
    const auto dir = fresh_dir("bad");
    std::ofstream(dir / "t.toml") << sim_config << "max_age = \"1.5s\"\n";
    const auto r = run_tickerd({"--check-config", "--config", (dir / "t.toml").string()});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("t.toml: symbols[0].max_age: invalid duration") != std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("The version and help options exit 0 and a bad option exits 2", "[integration][cli]") {
    const auto v = run_tickerd({"--version"});
    CHECK(v.status == 0);
    CHECK((v.out + v.err).find("tickerd ") != std::string::npos);
    const auto h = run_tickerd({"--help"});
    CHECK(h.status == 0);
    for (const char* opt : {"--config", "--check-config", "--log-level", "--version"}) {
        CHECK(h.out.find(opt) != std::string::npos);
    }
    CHECK(run_tickerd({"--no-such-option"}).status == 2);
    CHECK(run_tickerd({"--config", std::string(TICKERD_SOURCE_DIR) + "/config/demo.toml", "--log-level", "loud"}).status == 2);
}

#include "support/nats_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace tickerd::test {

namespace fs = std::filesystem;

namespace {

// A connection to 127.0.0.1:port succeeds.
bool accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

std::string find_on_path(const char* name) {
    const char* path = std::getenv("PATH");
    std::string p = path != nullptr ? path : "/usr/bin:/bin";
    std::size_t start = 0;
    while (start <= p.size()) {
        const auto end = p.find(':', start);
        const std::string dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
        const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return {};
}

}  // namespace

bool have_nats_server() { return !find_on_path("nats-server").empty(); }

nats_server::nats_server(nats_node_options options) : options_(std::move(options)) {
    std::string tmpl = (fs::temp_directory_path() / "tickerd-nats-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error(fmt::format("mkdtemp: {}", std::strerror(errno)));
    dir_ = tmpl;
    port_ = options_.port != 0 ? options_.port : free_loopback_port();
    start();
}

nats_server::~nats_server() {
    kill();
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

std::string nats_server::url() const { return fmt::format("nats://127.0.0.1:{}", port_); }

void nats_server::start() {
    if (pid_ > 0) throw std::runtime_error("nats-server is already running");
    const std::string binary = find_on_path("nats-server");
    if (binary.empty()) throw std::runtime_error("nats-server is not installed");
    std::vector<std::string> args{binary, "-js", "-sd", (dir_ / "store").string(), "-a", "127.0.0.1",
                                  "-p", std::to_string(port_), "-n", options_.name};
    if (options_.cluster_port != 0) {
        args.insert(args.end(), {"--cluster_name", "tickerd-test", "--cluster",
                                 fmt::format("nats://127.0.0.1:{}", options_.cluster_port)});
        std::string routes;
        for (const auto p : options_.route_ports) {
            if (!routes.empty()) routes += ',';
            routes += fmt::format("nats://127.0.0.1:{}", p);
        }
        if (!routes.empty()) args.insert(args.end(), {"--routes", routes});
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string log = (dir_ / "nats.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    const int rc = ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        pid_ = -1;
        throw std::runtime_error(fmt::format("posix_spawn nats-server: {}", std::strerror(rc)));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!accepts(port_)) {
        if (!running()) throw std::runtime_error("nats-server exited at start:\n" + log_tail());
        if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("nats-server did not start:\n" + log_tail());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void nats_server::kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

bool nats_server::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
    }
    return true;
}

std::string nats_server::log_tail(std::size_t lines) const {
    std::ifstream in(dir_ / "nats.log");
    std::deque<std::string> tail;
    for (std::string line; std::getline(in, line);) {
        tail.push_back(line);
        if (tail.size() > lines) tail.pop_front();
    }
    std::string out;
    for (const auto& l : tail) out += l + '\n';
    return out;
}

}  // namespace tickerd::test

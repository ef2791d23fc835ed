#include "ops/state_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tickerd {

namespace fs = std::filesystem;

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::string(v) : std::string();
}

std::string errno_text(std::string_view what, const fs::path& p) {
    return fmt::format("{} {}: {}", what, p.string(), std::strerror(errno));
}

// Writes all of `bytes` to fd; false on error (errno set).
bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string utc_stamp() {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

}  // namespace

fs::path resolve_state_dir(const std::string& configured) {
    if (!configured.empty()) return configured;
    if (std::string s = env("STATE_DIRECTORY"); !s.empty()) return s.substr(0, s.find(':'));
    if (std::string x = env("XDG_STATE_HOME"); !x.empty() && x.front() == '/') return fs::path(x) / "tickerd";
    if (std::string h = env("HOME"); !h.empty()) return fs::path(h) / ".local/state/tickerd";
    return {};
}

state_file::state_file(fs::path dir, bool configured) : dir_(std::move(dir)), configured_(configured) {}

std::string state_file::prepare() {
    std::error_code ec;
    if (!configured_ && fs::is_symlink(dir_, ec)) {
        return fmt::format("{} is a symlink: set server.state_dir to use a linked directory", dir_.string());
    }
    if (!fs::is_directory(dir_, ec)) {
        if (dir_.has_parent_path()) fs::create_directories(dir_.parent_path(), ec);
        if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) return errno_text("cannot create", dir_);
    }
    // A probe file: permission bits alone do not tell (read-only mounts, root).
    std::string probe = (dir_ / ".write-test-XXXXXX").string();
    const int fd = ::mkstemp(probe.data());
    if (fd < 0) return errno_text("cannot write in", dir_);
    ::close(fd);
    ::unlink(probe.c_str());
    return {};
}

std::optional<saved_state> state_file::load() {
    const fs::path p = path();
    std::error_code ec;
    if (!fs::exists(p, ec)) {
        spdlog::info("state: no saved state in {}", dir_.string());
        return std::nullopt;
    }
    if (const auto size = fs::file_size(p, ec); !ec && size > max_file_bytes) {
        move_aside(fmt::format("{} bytes, more than the {} a state file may have", size, max_file_bytes));
        return std::nullopt;
    }
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        spdlog::warn("state: cannot read {}: starting empty", p.string());
        return std::nullopt;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    auto parsed = parse_state(text);
    if (parsed) return std::move(parsed).value();
    move_aside(parsed.error());
    return std::nullopt;
}

void state_file::move_aside(const std::string& why) {
    const fs::path p = path();
    const fs::path aside = dir_ / fmt::format("{}.corrupt-{}", file_name, utc_stamp());
    std::error_code ec;
    fs::rename(p, aside, ec);
    if (ec) {
        spdlog::error("state: {} is unreadable ({}) and cannot be moved aside ({}); starting empty", p.string(), why,
                      ec.message());
    } else {
        spdlog::error("state: {} is unreadable ({}); moved to {}, starting empty", p.string(), why, aside.string());
    }
}

std::string state_file::save(std::string_view bytes) {
    const fs::path tmp = dir_ / fmt::format("{}.tmp", file_name);
    const fs::path target = path();
    // A fresh file, never one found there: a link planted as the temp file is not followed.
    ::unlink(tmp.c_str());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return errno_text("cannot create", tmp);
    if (!write_all(fd, bytes) || ::fsync(fd) != 0) {
        std::string err = errno_text("cannot write", tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return err;
    }
    if (::close(fd) != 0) return errno_text("cannot close", tmp);
    if (::rename(tmp.c_str(), target.c_str()) != 0) return errno_text("cannot rename to", target);
    // The rename is durable only once the directory is synced.
    const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return errno_text("cannot open", dir_);
    const int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) return errno_text("cannot sync", dir_);
    return {};
}

}  // namespace tickerd

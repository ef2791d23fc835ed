#include "ops/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace tickerd {

namespace {

// The syslog priority of a level, as sd-daemon.h's SD_ERR etc.
int syslog_priority(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::critical: return 2;
        case spdlog::level::err: return 3;
        case spdlog::level::warn: return 4;
        case spdlog::level::info: return 6;
        default: return 7;  // debug, trace
    }
}

// %* in the pattern: "<N>".
class priority_flag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        const char text[] = {'<', static_cast<char>('0' + syslog_priority(msg.level)), '>'};
        dest.append(text, text + sizeof text);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<priority_flag>(); }
};

}  // namespace

bool stderr_is_journal() {
    const char* env = std::getenv("JOURNAL_STREAM");
    if (env == nullptr) return false;
    unsigned long long dev = 0;
    unsigned long long ino = 0;
    if (std::sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev && static_cast<unsigned long long>(st.st_ino) == ino;
}

void setup_logging(spdlog::level::level_enum level) {
    if (stderr_is_journal()) {
        auto logger = spdlog::stderr_logger_mt("tickerd");
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<priority_flag>('*').set_pattern("%*%v");
        logger->set_formatter(std::move(formatter));
        spdlog::set_default_logger(std::move(logger));
    } else {
        spdlog::set_default_logger(spdlog::stderr_color_mt("tickerd"));
        spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    }
    spdlog::set_level(level);
    spdlog::flush_on(spdlog::level::info);
}

}  // namespace tickerd

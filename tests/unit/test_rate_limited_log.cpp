// The log of failing sources: one line for the first failure, repeats summed up
// later, one line for the recovery, and a source that flaps (accept while files
// run out, a poll that fails every other time) not logged on every flap.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "ops/rate_limited_log.hpp"

using namespace tickerd;
using namespace std::chrono_literals;

namespace {

// The default logger writes into a string while it lives.
class captured_log {
public:
    captured_log() : previous_(spdlog::default_logger()) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
        sink->set_pattern("%v");
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
    }
    ~captured_log() { spdlog::set_default_logger(previous_); }
    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::istringstream in(out_.str());
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }

private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace

TEST_CASE("rate_limited_log: the first failure is logged, repeats are not, the recovery once") {
    captured_log cap;
    rate_limited_log log;
    for (int i = 0; i < 5; ++i) log.failure("yahoo:NVDA", "http: 503", " (next try in 5 s)");
    log.recovered("yahoo:NVDA");
    log.recovered("yahoo:NVDA");  // nothing failed since
    log.recovered("never-failed");
    CHECK(cap.lines() == std::vector<std::string>{"yahoo:NVDA: http: 503 (next try in 5 s)",
                                                  "yahoo:NVDA: recovered after 5 failed polls"});
}

TEST_CASE("rate_limited_log: a new message is logged at once, with the count of the old one's repeats") {
    captured_log cap;
    rate_limited_log log;
    log.failure("s", "a");
    log.failure("s", "a");
    log.failure("s", "a");
    log.failure("s", "b");
    log.failure("other", "a");  // sources are counted apart
    CHECK(cap.lines() == std::vector<std::string>{"s: a", "s: previous error repeated 2 times", "s: b", "other: a"});
}

TEST_CASE("rate_limited_log: a source that flaps is one failure line and one recovery line, not one per flap") {
    captured_log cap;
    rate_limited_log log;
    for (int i = 0; i < 20; ++i) {
        log.failure("accept", "Too many open files", " (accepting again every 100 ms)");
        log.recovered("accept", "failed accepts");
    }
    CHECK(cap.lines() == std::vector<std::string>{"accept: Too many open files (accepting again every 100 ms)",
                                                  "accept: recovered after 1 failed accepts"});
}

TEST_CASE("rate_limited_log: once the summary period has passed, repeats are summed up and the recovery counts them") {
    captured_log cap;
    rate_limited_log log(std::chrono::seconds(1));
    log.failure("accept", "EMFILE");
    log.recovered("accept", "failed accepts");
    for (int i = 0; i < 3; ++i) {  // flaps within the period: counted, not logged
        log.failure("accept", "EMFILE");
        log.recovered("accept", "failed accepts");
    }
    std::this_thread::sleep_for(1100ms);
    log.failure("accept", "EMFILE");  // the 4th since the first line: the summary
    log.recovered("accept", "failed accepts");
    std::this_thread::sleep_for(1100ms);
    log.failure("accept", "EMFILE");  // long after, with no repeats pending: plain again
    log.recovered("accept", "failed accepts");
    CHECK(cap.lines() == std::vector<std::string>{"accept: EMFILE", "accept: recovered after 1 failed accepts",
                                                  "accept: EMFILE (repeated 4 times)",
                                                  "accept: recovered after 4 failed accepts", "accept: EMFILE",
                                                  "accept: recovered after 1 failed accepts"});
}

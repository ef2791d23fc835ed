#pragma once
// Command line of tickerd_ws_load.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace ws_load {

// What a probe's latency sample is timed from (--latency-from).
enum class latency_origin : std::uint8_t {
    ts,     // the update's "ts" (the server's publish time), else its first quote's "received_at"
    as_of,  // each quote's "as_of" (the upstream's own time): one sample per quote
};

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string path = "/v1/stream";
    std::size_t clients = 1000;          // bulk connections
    std::size_t probes = 8;              // latency probes beside the bulk
    std::size_t sources = 4;             // source addresses 127.0.0.1 ... 127.0.0.K, round-robin
    std::size_t inflight = 200;          // most handshakes under way at once
    double warmup_s = 2.0;
    double duration_s = 10.0;
    double connect_timeout_s = 60.0;
    std::optional<int> server_pid;
    latency_origin latency_from = latency_origin::ts;
    bool json = false;
};

// The options, or a message (usage text on --help, an error otherwise) and the exit status.
struct parse_failure {
    std::string message;
    int status;
};
std::variant<options, parse_failure> parse_options(int argc, char** argv);

}  // namespace ws_load

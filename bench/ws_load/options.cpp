#include "options.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace ws_load {
namespace {

constexpr std::string_view usage = R"(usage: tickerd_ws_load [options]
Opens N WebSocket connections (plus P latency probes) to a stream server and
reports delivery rate, probe latency, connect time and the server's RSS and CPU.
  --host ADDR          server address (127.0.0.1)
  --port PORT          server port (8080)
  --path PATH          request path, query included (/v1/stream)
  --clients N          bulk connections (1000)
  --probes P           latency probe connections beside the bulk (8)
  --sources K          source addresses 127.0.0.1 ... 127.0.0.K, round-robin (4)
  --inflight M         most handshakes under way at once (200)
  --warmup S           seconds after connecting before measuring (2)
  --duration S         measured seconds (10)
  --connect-timeout S  give up connecting after S seconds (60)
  --pid PID            the server's process: RSS and CPU from /proc/PID
  --latency-from WHAT  ts (default): publish to receipt, from each update's "ts"
                       (else its first quote's "received_at"); as_of: upstream
                       to receipt, one sample per quote from its "as_of" (the
                       upstream's time, which tickerd keeps to whole
                       milliseconds: these samples read up to 1 ms high)
  --json               also print one JSON object line
Exit status: 0 when every connection was established and messages arrived, 1 otherwise, 2 on bad usage.
)";

template <typename T>
bool parse_number(std::string_view text, T& out) {
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool parse_seconds(std::string_view text, double& out) {
    char* end = nullptr;
    const std::string s(text);
    out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && !s.empty() && out >= 0;
}

}  // namespace

std::variant<options, parse_failure> parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") return parse_failure{std::string(usage), 0};
        if (arg == "--json") {
            o.json = true;
            continue;
        }
        if (i + 1 >= argc) return parse_failure{std::string(arg) + " needs a value\n" + std::string(usage), 2};
        const std::string_view val = argv[++i];
        bool ok = true;
        if (arg == "--host") o.host = val;
        else if (arg == "--port") ok = parse_number(val, o.port);
        else if (arg == "--path") o.path = val;
        else if (arg == "--clients") ok = parse_number(val, o.clients);
        else if (arg == "--probes") ok = parse_number(val, o.probes);
        else if (arg == "--sources") ok = parse_number(val, o.sources) && o.sources >= 1 && o.sources <= 254;
        else if (arg == "--inflight") ok = parse_number(val, o.inflight) && o.inflight >= 1;
        else if (arg == "--warmup") ok = parse_seconds(val, o.warmup_s);
        else if (arg == "--duration") ok = parse_seconds(val, o.duration_s) && o.duration_s > 0;
        else if (arg == "--connect-timeout") ok = parse_seconds(val, o.connect_timeout_s);
        else if (arg == "--latency-from") {
            if (val == "ts") o.latency_from = latency_origin::ts;
            else if (val == "as_of") o.latency_from = latency_origin::as_of;
            else ok = false;
        } else if (arg == "--pid") {
            int pid = 0;
            ok = parse_number(val, pid) && pid > 0;
            o.server_pid = pid;
        } else {
            return parse_failure{"unknown option " + std::string(arg) + "\n" + std::string(usage), 2};
        }
        if (!ok) return parse_failure{"bad value for " + std::string(arg) + ": " + std::string(val) + "\n", 2};
    }
    return o;
}

}  // namespace ws_load

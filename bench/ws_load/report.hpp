#pragma once
// The figures of one run and their two printed forms: a block for people and one JSON line for scripts.
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>

#include "connection_pool.hpp"

namespace ws_load {

struct run_report {
    std::size_t clients = 0, probes = 0;
    std::size_t established_bulk = 0, established_probes = 0;
    std::size_t open_at_end = 0;  // bulk and probes still open when the window ended
    double connect_s = 0;
    double measured_s = 0;
    delivery_counts counts;
    std::uint64_t latency_samples = 0;
    std::string latency_source;  // "ts", "received_at", "as_of" or "none"
    double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
    std::map<unsigned, std::uint64_t> closes;
    std::map<std::string, std::uint64_t> errors;
    std::optional<long> server_rss_before_kib, server_rss_connected_kib, server_rss_end_kib;
    std::optional<double> server_cpu_s;  // during the measured window
    double own_cpu_s = 0;                // during the measured window

    bool ok() const { return established_bulk == clients && established_probes == probes && counts.messages > 0; }
};

void print_human(std::ostream& out, const run_report& r);
void print_json(std::ostream& out, const run_report& r);

}  // namespace ws_load

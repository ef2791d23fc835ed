// tickerd_ws_load: a one-thread epoll WebSocket load client for the fan-out
// benchmark (bench/run, docs/benchmarks.md).
#include <sys/resource.h>

#include <chrono>
#include <exception>
#include <iostream>

#include "connection_pool.hpp"
#include "options.hpp"
#include "process_stats.hpp"
#include "report.hpp"

namespace {

void raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
}

int run(const ws_load::options& opts) {
    raise_fd_limit();
    ws_load::run_report r;
    r.clients = opts.clients;
    r.probes = opts.probes;
    if (opts.server_pid) r.server_rss_before_kib = ws_load::rss_kib(*opts.server_pid);

    ws_load::connection_pool pool(opts);
    r.connect_s = pool.connect_all(opts.connect_timeout_s);
    r.established_bulk = pool.established_bulk();
    r.established_probes = pool.established_probes();
    pool.run_for(opts.warmup_s);
    if (opts.server_pid) r.server_rss_connected_kib = ws_load::rss_kib(*opts.server_pid);

    const std::optional<double> server_cpu_start = opts.server_pid ? ws_load::cpu_seconds(*opts.server_pid) : std::nullopt;
    const double own_cpu_start = ws_load::own_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    pool.start_measuring();
    pool.run_for(opts.duration_s);
    r.measured_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.own_cpu_s = ws_load::own_cpu_seconds() - own_cpu_start;
    if (opts.server_pid) {
        const auto cpu_end = ws_load::cpu_seconds(*opts.server_pid);
        if (server_cpu_start && cpu_end) r.server_cpu_s = *cpu_end - *server_cpu_start;
        r.server_rss_end_kib = ws_load::rss_kib(*opts.server_pid);
    }

    r.counts = pool.counts();
    r.open_at_end = pool.open_bulk() + pool.open_probes();
    auto& lat = pool.latencies();
    r.latency_samples = lat.count();
    r.latency_source = pool.as_of_samples() > 0         ? "as_of"
                       : pool.ts_samples() > 0          ? "ts"
                       : pool.received_at_samples() > 0 ? "received_at"
                                                        : "none";
    r.p50_ms = lat.percentile_ms(0.50);
    r.p99_ms = lat.percentile_ms(0.99);
    r.p999_ms = lat.percentile_ms(0.999);
    r.max_ms = lat.max_ms();
    r.closes = pool.closes();
    r.errors = pool.errors();

    ws_load::print_human(std::cout, r);
    if (opts.json) ws_load::print_json(std::cout, r);
    std::cout.flush();
    return r.ok() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    const auto parsed = ws_load::parse_options(argc, argv);
    if (const auto* failure = std::get_if<ws_load::parse_failure>(&parsed)) {
        (failure->status == 0 ? std::cout : std::cerr) << failure->message;
        return failure->status;
    }
    try {
        return run(std::get<ws_load::options>(parsed));
    } catch (const std::exception& e) {
        std::cerr << "tickerd_ws_load: " << e.what() << "\n";
        return 2;
    }
}

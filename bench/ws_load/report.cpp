#include "report.hpp"

#include <cstdio>
#include <string_view>

namespace ws_load {
namespace {

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (const char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        if (static_cast<unsigned char>(ch) < 0x20) continue;
        out += ch;
    }
    return out + "\"";
}

double per_s(std::uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0; }

std::optional<double> per_connection_kib(const run_report& r) {
    if (!r.server_rss_before_kib || !r.server_rss_connected_kib) return std::nullopt;
    const auto n = r.established_bulk + r.established_probes;
    if (n == 0) return std::nullopt;
    return static_cast<double>(*r.server_rss_connected_kib - *r.server_rss_before_kib) / static_cast<double>(n);
}

}  // namespace

void print_human(std::ostream& out, const run_report& r) {
    out << "connected        " << r.established_bulk << "/" << r.clients << " (probes " << r.established_probes << "/"
        << r.probes << ") in " << fixed(r.connect_s, 2) << " s; open at the end: " << r.open_at_end << "\n";
    out << "delivered        " << fixed(per_s(r.counts.messages, r.measured_s), 0) << " messages/s, "
        << fixed(per_s(r.counts.quotes, r.measured_s), 0) << " quotes/s (" << r.counts.updates << " updates, "
        << r.counts.snapshots << " snapshots, " << r.counts.heartbeats << " heartbeats in " << fixed(r.measured_s, 1)
        << " s; " << fixed(per_s(r.counts.bytes, r.measured_s) / 1e6, 2) << " MB/s of payload)\n";
    out << "probe latency    p50 " << fixed(r.p50_ms, 2) << " ms, p99 " << fixed(r.p99_ms, 2) << " ms, p99.9 "
        << fixed(r.p999_ms, 2) << " ms, max " << fixed(r.max_ms, 2) << " ms (" << r.latency_samples << " samples, from ";
    if (r.latency_source == "ts") out << "the update's \"ts\": publish to receipt)\n";
    else if (r.latency_source == "received_at")
        out << "the first quote's \"received_at\": the server sends no \"ts\", so this includes its ingest)\n";
    else if (r.latency_source == "as_of")
        out << "each quote's \"as_of\": upstream time to receipt; whole ms, so up to 1 ms high)\n";
    else out << "nothing: no timed update arrived)\n";
    out << "closes received  ";
    if (r.closes.empty()) out << "none";
    for (const auto& [code, n] : r.closes) out << code << " ×" << n << "  ";
    out << "\nerrors           ";
    if (r.errors.empty()) out << "none";
    for (const auto& [what, n] : r.errors) out << what << " ×" << n << "; ";
    out << "\n";
    if (r.server_rss_before_kib) {
        out << "server RSS       " << *r.server_rss_before_kib << " KiB before, " << r.server_rss_connected_kib.value_or(0)
            << " KiB connected, " << r.server_rss_end_kib.value_or(0) << " KiB at the end";
        if (const auto per = per_connection_kib(r)) out << "; " << fixed(*per, 2) << " KiB per connection";
        out << "\n";
    }
    if (r.server_cpu_s)
        out << "server CPU       " << fixed(*r.server_cpu_s, 2) << " s in the window (" << fixed(100 * *r.server_cpu_s / r.measured_s, 1)
            << " % of a core)\n";
    out << "load client CPU  " << fixed(r.own_cpu_s, 2) << " s in the window (" << fixed(100 * r.own_cpu_s / r.measured_s, 1)
        << " % of a core)\n";
}

void print_json(std::ostream& out, const run_report& r) {
    out << "{\"clients\":" << r.clients << ",\"probes\":" << r.probes << ",\"connected\":" << r.established_bulk
        << ",\"probes_connected\":" << r.established_probes << ",\"open_at_end\":" << r.open_at_end
        << ",\"connect_s\":" << fixed(r.connect_s, 3) << ",\"measured_s\":" << fixed(r.measured_s, 3)
        << ",\"messages\":" << r.counts.messages << ",\"updates\":" << r.counts.updates << ",\"quotes\":" << r.counts.quotes
        << ",\"messages_per_s\":" << fixed(per_s(r.counts.messages, r.measured_s), 1)
        << ",\"quotes_per_s\":" << fixed(per_s(r.counts.quotes, r.measured_s), 1)
        << ",\"latency_source\":" << json_string(r.latency_source) << ",\"latency_samples\":" << r.latency_samples
        << ",\"p50_ms\":" << fixed(r.p50_ms, 3) << ",\"p99_ms\":" << fixed(r.p99_ms, 3) << ",\"p999_ms\":" << fixed(r.p999_ms, 3)
        << ",\"max_ms\":" << fixed(r.max_ms, 3) << ",\"closes\":{";
    bool first = true;
    for (const auto& [code, n] : r.closes) {
        out << (first ? "" : ",") << "\"" << code << "\":" << n;
        first = false;
    }
    out << "},\"errors\":{";
    first = true;
    for (const auto& [what, n] : r.errors) {
        out << (first ? "" : ",") << json_string(what) << ":" << n;
        first = false;
    }
    out << "}";
    const auto opt = [&](const char* key, const auto& v) {
        out << ",\"" << key << "\":";
        if (v) out << *v;
        else out << "null";
    };
    opt("server_rss_before_kib", r.server_rss_before_kib);
    opt("server_rss_connected_kib", r.server_rss_connected_kib);
    opt("server_rss_end_kib", r.server_rss_end_kib);
    const auto per = per_connection_kib(r);
    out << ",\"server_rss_per_connection_kib\":" << (per ? fixed(*per, 3) : "null");
    out << ",\"server_cpu_s\":" << (r.server_cpu_s ? fixed(*r.server_cpu_s, 3) : "null");
    out << ",\"client_cpu_s\":" << fixed(r.own_cpu_s, 3) << ",\"ok\":" << (r.ok() ? "true" : "false") << "}\n";
}

}  // namespace ws_load

// The state file's text from a saved_state (pure). See tickerd/state.hpp.
#include <fmt/format.h>

#include "tickerd/protocol.hpp"
#include "tickerd/state.hpp"

namespace tickerd {
namespace {

long long ms_of(time_point t) { return static_cast<long long>(t.time_since_epoch().count()); }

void append_quote(std::string& out, const quote& q) {
    fmt::format_to(std::back_inserter(out),
                   "{{\"price\":\"{}\",\"ref_price\":\"{}\",\"change\":\"{}\",\"change_pct\":\"{}\",\"direction\":\"{}\","
                   "\"market\":\"{}\",\"stale\":{},\"source\":{},\"as_of\":{},\"received_at\":{},\"seq\":{}}}",
                   q.price.to_string(), q.ref_price.to_string(), q.change.to_string(), q.change_pct.to_string(),
                   to_string(q.dir), to_string(q.market), q.stale ? "true" : "false", json_string(q.source),
                   ms_of(q.as_of), ms_of(q.received_at), q.seq);
}

void append_rate(std::string& out, const day_reference::rate_at& r) {
    fmt::format_to(std::back_inserter(out), "{{\"rate\":\"{}\",\"as_of\":{}}}", r.rate.to_string(), ms_of(r.as_of));
}

}  // namespace

std::string serialise_state(const saved_state& s) {
    std::string out;
    out.reserve(4096);
    fmt::format_to(std::back_inserter(out), "{{\"version\":{},\"saved_at\":{},\"symbols\":[", state_format_version,
                   ms_of(s.saved_at));
    bool first = true;
    for (const auto& sym : s.symbols) {
        if (!first) out += ',';
        first = false;
        out += "\n{\"id\":";
        out += json_string(sym.id);
        out += ",\"quote\":";
        if (sym.last) {
            append_quote(out, *sym.last);
        } else {
            out += "null";
        }
        out += ",\"history\":[";
        for (std::size_t i = 0; i < sym.history.size(); ++i) {
            if (i != 0) out += ',';
            fmt::format_to(std::back_inserter(out), "[{},\"{}\"]", ms_of(sym.history[i].t),
                           sym.history[i].price.to_string());
        }
        out += "]}";
    }
    out += "],\"day_references\":[";
    first = true;
    for (const auto& d : s.day_references) {
        if (!first) out += ',';
        first = false;
        out += "\n{\"source\":";
        out += json_string(d.source);
        out += ",\"latest\":";
        if (const auto r = d.ref.latest()) {
            append_rate(out, *r);
        } else {
            out += "null";
        }
        out += ",\"previous\":";
        if (const auto r = d.ref.previous()) {
            append_rate(out, *r);
        } else {
            out += "null";
        }
        out += '}';
    }
    out += "]}";
    return out;
}

}  // namespace tickerd

#include "serve/http_api.hpp"

#include <fmt/format.h>

#include "tickerd/protocol.hpp"
#include "tickerd/utf8.hpp"

namespace tickerd {
namespace {

time_point now_ms() { return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now()); }

api_response json(unsigned status, std::string body) {
    api_response r;
    r.status = status;
    r.body = std::make_shared<const std::string>(std::move(body));
    return r;
}

api_response error(unsigned status, std::string_view message) { return json(status, encode_http_error(message)); }

bool etag_matches(std::string_view header, std::string_view etag) {
    // If-None-Match: "a", W/"b", *
    while (!header.empty()) {
        const auto comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == "*" || item == etag) return true;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

api_response snapshot(const parsed_target& t, const api_request& req, server_state& st) {
    std::string etag;
    api_response r;
    const auto symbols = query_param(t.query, "symbols");
    if (symbols) {
        const auto ids = split_symbol_list(*symbols);
        auto sel = select_symbols(st.store, ids);
        if (!sel.unknown.empty()) return error(400, fmt::format("unknown symbol {}", sel.unknown));
        if (sel.indexes.empty()) return error(400, "symbols= names no symbol");
        const auto view = st.store.snapshot(sel.indexes);
        r = json(200, encode_http_snapshot(view.seq, now_ms(), view.quotes));
        etag = fmt::format("\"{}\"", view.seq);
    } else {
        std::uint64_t seq = 0;
        r.body = st.snapshot_body(seq);
        etag = fmt::format("\"{}\"", seq);
    }
    if (!req.if_none_match.empty() && etag_matches(req.if_none_match, etag)) {
        api_response nm;
        nm.status = 304;
        nm.etag = etag;
        nm.body = std::make_shared<const std::string>();
        return nm;
    }
    r.etag = std::move(etag);
    return r;
}

api_response one_quote(std::string_view id, const api_request& req, server_state& st) {
    const auto index = st.store.index_of(id);
    if (!index) return error(404, fmt::format("unknown symbol {}", utf8_prefix(id, 64)));
    const auto q = st.store.get(*index);
    if (!q) return error(404, fmt::format("no quote yet for {}", id));
    api_response r;
    r.etag = fmt::format("\"{}\"", q->q.seq);
    if (!req.if_none_match.empty() && etag_matches(req.if_none_match, r.etag)) {
        r.status = 304;
        r.body = std::make_shared<const std::string>();
        return r;
    }
    r.body = q->json;
    return r;
}

std::optional<std::chrono::milliseconds> history_window(std::string_view w) {
    if (w == "1h") return std::chrono::hours(1);
    if (w == "6h") return std::chrono::hours(6);
    if (w == "1d") return std::chrono::hours(24);
    return std::nullopt;
}

api_response history(std::string_view id, const parsed_target& t, server_state& st) {
    const auto index = st.store.index_of(id);
    if (!index) return error(404, fmt::format("unknown symbol {}", utf8_prefix(id, 64)));
    const std::string window = query_param(t.query, "window").value_or("1d");
    const auto span = history_window(window);
    if (!span) return error(400, "window must be 1h, 6h or 1d");
    const time_point now = now_ms();
    auto points = st.history.points(*index, *span, now);
    // A price confirmed since its last change has no point of its own: end the series at now.
    if (const auto cur = st.store.get(*index)) {
        const auto res = st.history.config().resolution.count();
        const time_point bucket{std::chrono::milliseconds((now.time_since_epoch().count() / res) * res)};
        if (points.empty() || points.back().t < bucket) points.push_back({bucket, cur->q.price});
    }
    const auto sym = st.store.symbol(*index);
    if (!sym) return error(404, fmt::format("unknown symbol {}", id));  // removed by a reload just now
    return json(200, encode_history(*sym, window, st.history.config().resolution, points));
}

api_response static_file_response(const std::string& path, const api_request& req, server_state& st) {
    const static_file* f = st.web.find(path);
    if (f == nullptr) return error(404, "no such endpoint");
    api_response r;
    r.content_type = f->content_type;
    r.etag = f->etag;
    r.headers.emplace_back("Last-Modified", f->last_modified);
    const bool fresh = !req.if_none_match.empty() ? etag_matches(req.if_none_match, f->etag)
                                                  : !req.if_modified_since.empty() && req.if_modified_since == f->last_modified;
    if (fresh) {
        r.status = 304;
        r.body = std::make_shared<const std::string>();
        return r;
    }
    r.body = f->content;
    return r;
}

// One {"symbol","state","source"} object per configured symbol, in config order (/healthz, /readyz).
std::string symbol_state_json(const symbol_status& s) {
    return fmt::format("{{\"symbol\":{},\"state\":\"{}\",\"source\":{}}}", json_string(s.id),
                       !s.has_quote ? "missing" : s.stale ? "stale" : "fresh", json_string(s.source));
}

api_response health(server_state& st) {
    const auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - st.started);
    std::string symbols;
    for (const auto& s : st.store.status()) {
        if (!symbols.empty()) symbols += ',';
        symbols += symbol_state_json(s);
    }
    return json(200, fmt::format("{{\"status\":\"ok\",\"uptime_s\":{},\"clients\":{},\"symbols\":[{}]}}", up.count(),
                                 st.clients.size(), symbols));
}

api_response readiness(server_state& st) {
    std::string missing;
    std::string stale;
    std::string symbols;
    bool ready = true;
    for (const auto& s : st.store.status()) {
        const std::string id = json_string(s.id);
        if (!s.has_quote) {
            missing += (missing.empty() ? "" : ",") + id;
            ready = false;
        } else if (s.stale) {
            stale += (stale.empty() ? "" : ",") + id;
            ready = false;
        }
        if (!symbols.empty()) symbols += ',';
        symbols += symbol_state_json(s);
    }
    std::string cluster;  // in a cluster: why its side is not ready, else ""
    if (st.cluster_problem) {
        const std::string problem = st.cluster_problem();
        ready = ready && problem.empty();
        cluster = fmt::format(",\"cluster\":{}", json_string(problem));
    }
    return json(ready ? 200 : 503, fmt::format("{{\"ready\":{},\"missing\":[{}],\"stale\":[{}],\"symbols\":[{}]{}}}",
                                               ready ? "true" : "false", missing, stale, symbols, cluster));
}

// GET /metrics: the registry plus what the store and the hub say now.
api_response metrics_exposition(server_state& st) {
    scrape_reading r;
    const time_point now = now_ms();
    const auto layout = st.store.layout();
    const auto status = st.store.status();
    r.symbols.reserve(status.size());
    for (const symbol_status& s : status) {
        const symbol_config* sym = layout->find(s.slot);
        if (sym == nullptr) continue;  // removed by a reload since status() was taken
        symbol_reading sr;
        sr.id = s.id;
        sr.has_quote = s.has_quote;
        sr.stale = s.stale;
        sr.age_seconds = std::chrono::duration<double>(now - s.last_confirmed).count();
        const std::size_t active = st.active_source ? st.active_source(s.slot) : 0;
        for (std::size_t rank = 0; rank < sym->sources.size(); ++rank) {
            sr.sources.emplace_back(sym->sources[rank].provider, rank == active);
        }
        r.symbols.push_back(std::move(sr));
    }
    r.clients = st.clients.size_by_transport();
    api_response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = std::make_shared<const std::string>(st.stats.render(r) + (st.cluster_metrics ? st.cluster_metrics() : ""));
    return res;
}

}  // namespace

parsed_target parse_target(std::string_view target) {
    parsed_target t;
    const auto q = target.find('?');
    auto path = url_decode(target.substr(0, q));
    if (!path) {
        t.valid = false;
        return t;
    }
    t.path = std::move(*path);
    if (q != std::string_view::npos) t.query = std::string(target.substr(q + 1));
    return t;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view item = query.substr(0, amp);
        const auto eq = item.find('=');
        if (item.substr(0, eq) == name) {
            return url_decode(eq == std::string_view::npos ? std::string_view{} : item.substr(eq + 1))
                .value_or(std::string{});
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

symbol_selection select_symbols(const snapshot_store& store, const std::vector<std::string>& ids) {
    symbol_selection sel;
    for (const auto& id : ids) {
        const auto index = store.index_of(id);
        if (!index) {
            sel.unknown = std::string(utf8_prefix(id, 64));
            sel.indexes.clear();
            return sel;
        }
        sel.indexes.push_back(*index);
    }
    return sel;
}

api_response handle_api(const api_request& req, server_state& st) {
    if (req.method == "OPTIONS") {
        // CORS preflight: the API is public, read-only market data.
        api_response r;
        r.status = 204;
        r.body = std::make_shared<const std::string>();
        r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD");
        r.headers.emplace_back("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since, Last-Event-ID");
        r.headers.emplace_back("Access-Control-Max-Age", "86400");
        return r;
    }
    if (req.method != "GET" && req.method != "HEAD") {
        auto r = error(405, "only GET and HEAD are supported");
        r.headers.emplace_back("Allow", "GET, HEAD");
        return r;
    }
    const auto t = parse_target(req.target);
    if (!t.valid) return error(400, "malformed URL escape");
    if (t.path == "/v1/snapshot") return snapshot(t, req, st);
    if (t.path.starts_with("/v1/quotes/")) return one_quote(std::string_view(t.path).substr(11), req, st);
    if (t.path == "/healthz") return health(st);
    if (t.path == "/readyz") return readiness(st);
    if (t.path == "/metrics") return metrics_exposition(st);
    if (t.path.starts_with("/v1/history/")) return history(std::string_view(t.path).substr(12), t, st);
    if (t.path == "/v1/openapi.json") {
        static const auto doc = std::make_shared<const std::string>(openapi_document);
        api_response r;
        r.body = doc;
        return r;
    }
    if (t.path == "/v1/events") {
        // GET is streamed by http_session; this answers HEAD.
        api_response r;
        r.content_type = "text/event-stream; charset=utf-8";
        r.body = std::make_shared<const std::string>();
        return r;
    }
    if (t.path == "/v1/stream") return error(426, "/v1/stream is a WebSocket endpoint: send an Upgrade request");
    if (t.path.starts_with("/v1/")) return error(404, "no such endpoint");
    return static_file_response(t.path, req, st);
}

shared_text server_state::snapshot_body(std::uint64_t& seq_out) {
    const std::scoped_lock lk(cache_mu_);
    const std::uint64_t seq = store.seq();
    if (!cached_body_ || cached_seq_ != seq) {
        const auto view = store.snapshot();
        cached_body_ = std::make_shared<const std::string>(encode_http_snapshot(view.seq, now_ms(), view.quotes));
        cached_seq_ = view.seq;
    }
    seq_out = cached_seq_;
    return cached_body_;
}

}  // namespace tickerd

#include "serve/http_api.hpp"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "serve/gzip.hpp"
#include "tickerd/downsample.hpp"
#include "tickerd/protocol.hpp"
#include "tickerd/utf8.hpp"

namespace tickerd {
namespace {

time_point now_ms() { return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_type::now()); }

api_response json(unsigned status, std::string body) {
    api_response r;
    r.status = status;
    r.body = std::make_shared<const std::string>(std::move(body));
    r.compressible = true;
    return r;
}

api_response error(unsigned status, std::string_view message) { return json(status, encode_http_error(message)); }

// The ETag of a representation's gzipped form: "X" -> "X-gz" (Apache's way; a
// strong validator names one content coding).
std::string gzip_etag(std::string_view etag) {
    if (etag.size() < 2 || etag.back() != '"') return std::string(etag);
    return fmt::format("{}-gz\"", etag.substr(0, etag.size() - 1));
}

// If-None-Match: "a", W/"b", * (weak comparison). Either coding's tag of the
// same content matches; returns the tag the client holds (what a 304 names).
std::optional<std::string> matching_etag(std::string_view header, std::string_view etag) {
    const std::string gz = gzip_etag(etag);
    while (!header.empty()) {
        const auto comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == "*" || item == etag) return std::string(etag);
        if (item == gz) return gz;
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return std::nullopt;
}

// 304 when If-None-Match names `etag` (in either coding).
std::optional<api_response> not_modified(const api_request& req, std::string_view etag) {
    if (req.if_none_match.empty()) return std::nullopt;
    auto tag = matching_etag(req.if_none_match, etag);
    if (!tag) return std::nullopt;
    api_response nm;
    nm.status = 304;
    nm.etag = std::move(*tag);
    nm.body = std::make_shared<const std::string>();
    nm.compressible = true;
    return nm;
}

api_response snapshot(const parsed_target& t, const api_request& req, server_state& st) {
    api_response r;
    std::uint64_t seq = 0;
    const auto symbols = query_param(t.query, "symbols");
    if (symbols) {
        const auto ids = split_symbol_list(*symbols);
        auto sel = select_symbols(st.store, ids);
        if (!sel.unknown.empty()) return error(400, fmt::format("unknown symbol {}", sel.unknown));
        if (sel.indexes.empty()) return error(400, "symbols= names no symbol");
        const auto view = st.store.snapshot(sel.indexes);
        r = json(200, encode_http_snapshot(view.seq, now_ms(), view.quotes));
        seq = view.seq;
    } else {
        r.body = st.snapshot_body(seq);
        r.compressible = true;
    }
    std::string etag = fmt::format("\"{}\"", seq);
    if (auto nm = not_modified(req, etag)) return std::move(*nm);
    // The whole snapshot is gzipped once per seq, not per request.
    if (!symbols && req.accept_gzip) r.gzip_body = st.snapshot_gzip_body(seq, r.body);
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
    if (auto nm = not_modified(req, r.etag)) return std::move(*nm);
    r.body = q->json;
    r.compressible = true;
    return r;
}

std::optional<std::chrono::milliseconds> history_window(std::string_view w) {
    if (w == "1h") return std::chrono::hours(1);
    if (w == "6h") return std::chrono::hours(6);
    if (w == "1d") return std::chrono::hours(24);
    return std::nullopt;
}

// ?points=N: an integer from 2 to max_history_points; nullopt when invalid.
std::optional<std::size_t> history_points(const std::optional<std::string>& text) {
    if (!text) return default_history_points;
    std::size_t v = 0;
    const auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
    if (text->empty() || ec != std::errc{} || p != text->data() + text->size() || v < 2 || v > max_history_points)
        return std::nullopt;
    return v;
}

std::string content_etag(std::string_view data) {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a
    for (const unsigned char c : data) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return fmt::format("\"h{:016x}\"", h);
}

api_response history(std::string_view id, const parsed_target& t, const api_request& req, server_state& st) {
    const auto index = st.store.index_of(id);
    if (!index) return error(404, fmt::format("unknown symbol {}", utf8_prefix(id, 64)));
    const std::string window = query_param(t.query, "window").value_or("1d");
    const auto span = history_window(window);
    if (!span) return error(400, "window must be 1h, 6h or 1d");
    const auto max_points = history_points(query_param(t.query, "points"));
    if (!max_points) return error(400, fmt::format("points must be an integer from 2 to {}", max_history_points));
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
    const auto resolution = st.history.config().resolution;
    auto r = json(200, encode_history(*sym, window, resolution, downsample_lttb(points, *max_points)));
    // The validator is the body's own hash: it changes exactly when the series (or
    // its downsampling) does. A series moves on once per resolution step, so a
    // cache may keep it that long; the live stream carries the prices in between.
    const auto max_age = std::max<std::int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(resolution).count());
    const std::string cache_control = fmt::format("public, max-age={}", max_age);
    std::string etag = content_etag(*r.body);
    auto nm = not_modified(req, etag);
    api_response& out = nm ? *nm : r;
    if (!nm) out.etag = std::move(etag);
    out.no_cache = false;
    out.headers.emplace_back("Cache-Control", cache_control);
    return std::move(out);
}

api_response static_file_response(const parsed_target& t, const api_request& req, server_state& st) {
    const static_file* f = st.web.find(t.path);
    if (f == nullptr) return error(404, "no such endpoint");
    api_response r;
    r.content_type = f->content_type;
    r.etag = f->etag;
    r.headers.emplace_back("Last-Modified", f->last_modified);
    // /file?v=VERSION names this content for good; any other URL of it is revalidated.
    r.no_cache = false;
    r.headers.emplace_back("Cache-Control", query_param(t.query, "v") == f->version
                                                ? "public, max-age=31536000, immutable"
                                                : "no-cache");
    r.compressible = f->gzip != nullptr;
    const bool fresh = !req.if_none_match.empty() ? matching_etag(req.if_none_match, f->etag).has_value()
                                                  : !req.if_modified_since.empty() && req.if_modified_since == f->last_modified;
    if (fresh) {
        r.status = 304;
        r.body = std::make_shared<const std::string>();
        if (!req.if_none_match.empty()) r.etag = *matching_etag(req.if_none_match, f->etag);
        return r;
    }
    r.body = f->content;
    r.gzip_body = f->gzip;
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
        // The active source is the one whose quote is served; before any quote, the one the gate waits for.
        const std::size_t active = st.active_source ? st.active_source(s.slot) : 0;
        for (std::size_t rank = 0; rank < sym->sources.size(); ++rank) {
            const auto& provider = sym->sources[rank].provider;
            sr.sources.emplace_back(provider, s.has_quote ? provider == s.source : rank == active);
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

namespace {

api_response route(const api_request& req, server_state& st) {
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
    // With server.ops_listen, its listener answers the ops endpoints only, and /metrics leaves the public one.
    const bool ops_path = t.path == "/metrics" || t.path == "/healthz" || t.path == "/readyz";
    if (req.ops_listener && !ops_path)
        return error(404, "no such endpoint (this listener serves /metrics, /healthz and /readyz)");
    if (!req.ops_listener && t.path == "/metrics" && st.cfg.server.ops_listen_set)
        return error(404, "no such endpoint");
    if (t.path == "/v1/snapshot") return snapshot(t, req, st);
    if (t.path.starts_with("/v1/quotes/")) return one_quote(std::string_view(t.path).substr(11), req, st);
    if (t.path == "/healthz") return health(st);
    if (t.path == "/readyz") return readiness(st);
    if (t.path == "/metrics") return metrics_exposition(st);
    if (t.path.starts_with("/v1/history/")) return history(std::string_view(t.path).substr(12), t, req, st);
    if (t.path == "/v1/openapi.json") {
        static const auto doc = std::make_shared<const std::string>(openapi_document);
        static const auto doc_gz = std::make_shared<const std::string>(gzip_compress(openapi_document, 9));
        api_response r;
        r.body = doc;
        r.gzip_body = doc_gz;
        r.compressible = true;
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
    return static_file_response(t, req, st);
}

}  // namespace

bool accepts_gzip(std::string_view header) {
    std::optional<double> gzip_q;
    std::optional<double> any_q;
    while (!header.empty()) {
        const auto comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        header.remove_prefix(comma == std::string_view::npos ? header.size() : comma + 1);
        const auto semi = item.find(';');
        std::string coding(item.substr(0, semi));
        std::erase_if(coding, [](char c) { return c == ' ' || c == '\t'; });
        for (char& c : coding) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (coding.empty()) continue;
        double q = 1;
        for (std::string_view params = semi == std::string_view::npos ? std::string_view{} : item.substr(semi + 1);
             !params.empty();) {
            const auto next = params.find(';');
            std::string p(params.substr(0, next));
            params.remove_prefix(next == std::string_view::npos ? params.size() : next + 1);
            std::erase_if(p, [](char c) { return c == ' ' || c == '\t'; });
            if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
            const char* end = p.data() + p.size();
            const auto [ptr, ec] = std::from_chars(p.data() + 2, end, q);
            if (ec != std::errc{} || ptr != end || q < 0 || q > 1) q = 0;  // a malformed weight refuses
        }
        if (coding == "gzip" || coding == "x-gzip") {
            gzip_q = std::max(gzip_q.value_or(0), q);
        } else if (coding == "*") {
            any_q = q;
        }
    }
    return gzip_q ? *gzip_q > 0 : any_q.value_or(0) > 0;
}

api_response handle_api(const api_request& req, server_state& st) {
    api_response r = route(req, st);
    if (!r.compressible || (r.status != 200 && r.status != 304)) return r;
    // This answer depends on Accept-Encoding (also a 304: it names the coding's ETag).
    r.headers.emplace_back("Vary", "Accept-Encoding");
    if (r.status != 200 || !req.accept_gzip || !r.body) return r;
    if (!r.gzip_body) {
        if (r.body->size() < min_gzip_bytes) return r;
        r.gzip_body = std::make_shared<const std::string>(gzip_compress(*r.body));
    }
    r.body = std::move(r.gzip_body);
    r.content_encoding = "gzip";
    if (!r.etag.empty()) r.etag = gzip_etag(r.etag);
    return r;
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

shared_text server_state::snapshot_gzip_body(std::uint64_t seq, const shared_text& body) {
    const std::scoped_lock lk(cache_mu_);
    if (!cached_gzip_ || cached_gzip_seq_ != seq) {
        cached_gzip_ = std::make_shared<const std::string>(gzip_compress(*body));
        cached_gzip_seq_ = seq;
    }
    return cached_gzip_;
}

}  // namespace tickerd

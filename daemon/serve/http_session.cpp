#include "serve/http_session.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "serve/allowed_sites.hpp"
#include "serve/http_api.hpp"
#include "serve/sse_session.hpp"
#include "serve/ws_session.hpp"
#include "tickerd/ip_network.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

constexpr std::size_t max_request_body = 1024;
constexpr auto write_timeout = std::chrono::seconds(30);

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// A request Beast could not parse (as opposed to a timeout or a reset): answered, then closed.
bool is_malformed(beast::error_code ec) {
    using e = http::error;
    for (const e x : {e::header_limit, e::body_limit, e::bad_target, e::bad_method, e::bad_version, e::bad_field,
                      e::bad_value, e::bad_line_ending, e::bad_obs_fold, e::bad_content_length,
                      e::bad_transfer_encoding, e::bad_chunk, e::bad_chunk_extension, e::multiple_content_length}) {
        if (ec == x) return true;
    }
    return false;
}

class http_session : public std::enable_shared_from_this<http_session> {
public:
    http_session(net::ip::tcp::socket&& socket, ip_address peer, connection_slot slot, server_state& state, bool ops)
        : stream_(std::move(socket)), peer_(peer), slot_(std::move(slot)), state_(state), ops_(ops) {}

    void run() {
        cors_ = cors_allow_origin(check_site(state_.cfg.server.allowed_sites, {}, {}), {});
        do_read();
    }

private:
    void do_read() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(state_.cfg.limits.max_header_bytes));
        parser_->body_limit(max_request_body);
        // Also the bound on a silent or half-open connection, and on a slow request.
        stream_.expires_after(state_.cfg.limits.idle_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
    }

    // The framing is checked before any body is read (RFC 9112 §6, RFC 9110 §10.1.1).
    void on_header(beast::error_code ec) {
        if (ec) return on_read(ec);
        const auto& h = parser_->get();
        // No request of this API has a body to continue with: answer at once
        // rather than leave the client waiting for a 100 that never comes.
        if (h.count(http::field::expect) != 0) {
            return send_error_and_close(http::status::expectation_failed, "Expect is not supported");
        }
        // Only a single "chunked" is understood; a request whose length cannot be
        // known must not be read as one (the rest would be taken for a second request).
        if (const auto te = h.count(http::field::transfer_encoding); te != 0) {
            if (te > 1 || lower(h[http::field::transfer_encoding]) != "chunked") {
                return send_error_and_close(http::status::bad_request, "unsupported transfer coding");
            }
        }
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream) return shutdown();
        if (is_malformed(ec)) {
            return send_error_and_close(ec == http::error::header_limit ? http::status::request_header_fields_too_large
                                                                          : http::status::bad_request,
                                        "malformed request");
        }
        if (ec) return;  // timeout, reset: just drop the connection
        auto req = parser_->release();
        if (!admit_client(req)) {
            return send_error_and_close(http::status::service_unavailable, "too many connections from this address");
        }
        // The ops listener serves no pages: no streams, no CORS.
        const bool upgrade_request = !ops_ && beast::websocket::is_upgrade(req);
        site_ = ops_ ? site_verdict::no_origin
                     : check_site(state_.cfg.server.allowed_sites, req[http::field::origin], req[http::field::host]);
        cors_ = cors_allow_origin(site_, req[http::field::origin]);
        if (site_ == site_verdict::refused)
            report_refused_site(state_.refused_sites, state_.stats, req[http::field::origin], upgrade_request);
        const auto t = parse_target(req.target());
        if (t.valid && t.path == "/v1/stream" && upgrade_request) return upgrade(std::move(req), t);
        if (!ops_ && t.valid && t.path == "/v1/events" && req.method() == http::verb::get)
            return events(std::move(req), t);
        api_request ar{req.method_string(), req.target(), req[http::field::if_none_match],
                       req[http::field::if_modified_since]};
        ar.ops_listener = ops_;
        ar.accept_gzip = accepts_gzip(req[http::field::accept_encoding]);
        respond(handle_api(ar, state_), req.version(), req.keep_alive(), req.method() == http::verb::head);
    }

    // Behind a trusted proxy, the client is named by X-Forwarded-For: its
    // connection counts against that address from now on.
    bool admit_client(const http::request<http::string_body>& req) {
        if (state_.cfg.server.trusted_proxies.empty() || !in_any(state_.cfg.server.trusted_proxies, peer_)) return true;
        std::string forwarded;
        for (const auto& field : req) {  // every X-Forwarded-For line, in order, as one list
            if (!beast::iequals(field.name_string(), "X-Forwarded-For")) continue;
            if (!forwarded.empty()) forwarded += ',';
            forwarded += field.value();
        }
        const ip_address client = client_address(peer_, forwarded, state_.cfg.server.trusted_proxies);
        // The proxy itself is not limited per IP; it carries many clients.
        return state_.connections.reassign(slot_, client == peer_ ? std::string() : client.to_string());
    }

    // ?symbols= and ?since= (or Last-Event-ID) of /v1/stream and /v1/events; an error text when invalid.
    std::string stream_params(const parsed_target& t, std::string_view last_event_id, stream_request& what) const {
        if (const auto symbols = query_param(t.query, "symbols")) {
            auto sel = select_symbols(state_.store, split_symbol_list(*symbols));
            if (!sel.unknown.empty()) return "unknown symbol " + sel.unknown;
            if (sel.indexes.empty()) return "symbols= names no symbol";
            what.symbols = std::move(sel.indexes);
        }
        // An EventSource reconnects with its original URL and a newer Last-Event-ID: the larger one wins.
        for (const std::string& text : {query_param(t.query, "since").value_or(""), std::string(last_event_id)}) {
            if (text.empty()) continue;
            std::uint64_t v = 0;
            const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
            if (ec != std::errc{} || p != text.data() + text.size()) return "since must be a sequence number";
            what.since = std::max(what.since, v);
        }
        if (const auto hz = query_param(t.query, "max_hz")) {
            unsigned v = 0;
            const auto [p, ec] = std::from_chars(hz->data(), hz->data() + hz->size(), v);
            if (hz->empty() || ec != std::errc{} || p != hz->data() + hz->size() || v > max_max_hz)
                return "max_hz must be an integer from 0 to " + std::to_string(max_max_hz);
            what.max_hz = v;
        }
        return {};
    }

    void upgrade(http::request<http::string_body> req, const parsed_target& t) {
        // A request without Origin is not from a browser page (which always sends it on upgrades): let through.
        if (site_ == site_verdict::refused) {
            return respond(error_response(403, "origin not allowed: this site is not in server.allowed_sites"),
                           req.version(), false, false);
        }
        stream_request what;
        if (auto err = stream_params(t, {}, what); !err.empty()) {
            return respond(error_response(400, err), req.version(), false, false);
        }
        stream_.expires_never();
        start_ws_session(stream_.release_socket(), std::move(req), std::move(what), std::move(slot_), state_);
    }

    void events(http::request<http::string_body> req, const parsed_target& t) {
        stream_request what;
        if (auto err = stream_params(t, req["Last-Event-ID"], what); !err.empty()) {
            return respond(error_response(400, err), req.version(), false, false);
        }
        stream_.expires_never();
        start_sse_session(stream_.release_socket(), req.version(), std::move(what), cors_, std::move(slot_), state_);
    }

    static api_response error_response(unsigned status, const std::string& message) {
        api_response r;
        r.status = status;
        r.body = std::make_shared<const std::string>(encode_http_error(message));
        return r;
    }

    // The head is written by hand into a string the session keeps (its capacity
    // reused from request to request), and the body goes out as the shared
    // buffer it is (the snapshot's is built once per seq): no header container,
    // no copy of the body, one gather-write.
    void respond(const api_response& ar, unsigned version, bool keep_alive, bool head) {
        const auto status = static_cast<http::status>(ar.status);
        auto& h = head_;
        h.clear();
        const auto add = [&h](std::string_view name, std::string_view value) {
            h.append(name).append(": ").append(value).append("\r\n");
        };
        const auto reason = http::obsolete_reason(status);
        h.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(ar.status)).append(" ");
        h.append(reason.data(), reason.size()).append("\r\n");
        add("Server", "tickerd/" TICKERD_VERSION);
        add("Content-Type", ar.content_type);
        if (ar.no_cache) add("Cache-Control", "no-cache");
        if (!ar.etag.empty()) add("ETag", ar.etag);
        // Public, read-only market data: pages of server.allowed_sites (any site when empty) may read it.
        // Vary: Origin (from CORS) and what the response adds (Accept-Encoding), in one field.
        std::string vary = vary_for_cors();
        if (!cors_.empty()) {
            add("Access-Control-Allow-Origin", cors_);
            add("Access-Control-Expose-Headers", "ETag");
        }
        for (const auto& [k, v] : ar.headers) {
            if (beast::iequals(k, "Vary")) {
                vary = vary.empty() ? v : vary + ", " + v;
            } else {
                add(k, v);
            }
        }
        if (!vary.empty()) add("Vary", vary);
        if (!ar.content_encoding.empty()) add("Content-Encoding", ar.content_encoding);
        if (version == 10 && keep_alive) add("Connection", "keep-alive");
        if (version != 10 && !keep_alive) add("Connection", "close");
        const std::size_t length = ar.status == 304 || !ar.body ? 0 : ar.body->size();
        char digits[24];
        const auto end = std::to_chars(std::begin(digits), std::end(digits), length).ptr;
        add("Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
        h.append("\r\n");
        shared_text body = ar.status == 304 || head ? nullptr : ar.body;
        const std::array<net::const_buffer, 2> buffers{net::buffer(h),
                                                       body ? net::buffer(*body) : net::const_buffer()};
        stream_.expires_after(write_timeout);
        net::async_write(stream_, buffers,
                         [self = shared_from_this(), body = std::move(body), close_after = !keep_alive](
                             beast::error_code ec, std::size_t) {
                             if (ec) return;
                             if (close_after) return self->shutdown();
                             self->do_read();
                         });
    }

    void send_error_and_close(http::status status, const char* message) {
        auto res = std::make_shared<http::response<http::string_body>>(status, 11);
        res->set(http::field::server, "tickerd/" TICKERD_VERSION);
        res->set(http::field::content_type, "application/json");
        set_cors(*res);
        res->body() = encode_http_error(message);
        res->keep_alive(false);
        res->prepare_payload();
        write(std::move(res), true);
    }

    void set_cors(http::response<http::string_body>& res) const {
        if (const auto vary = vary_for_cors(); !vary.empty()) res.set(http::field::vary, vary);
        if (cors_.empty()) return;
        res.set(http::field::access_control_allow_origin, cors_);
        res.set(http::field::access_control_expose_headers, "ETag");
    }

    // With a list of sites, or an answer naming the Origin, the response depends
    // on the Origin: caches must keep one per Origin.
    std::string vary_for_cors() const {
        if (!state_.cfg.server.allowed_sites.empty() || (!cors_.empty() && cors_ != "*")) return "Origin";
        return {};
    }

    void write(std::shared_ptr<http::response<http::string_body>> res, bool close_after) {
        stream_.expires_after(write_timeout);
        http::async_write(stream_, *res, [self = shared_from_this(), res, close_after](beast::error_code ec, std::size_t) {
            if (ec) return;
            if (close_after) return self->shutdown();
            self->do_read();
        });
    }

    void shutdown() {
        beast::error_code ignored;
        stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    ip_address peer_;
    connection_slot slot_;
    std::string cors_ = "*";  // for the request being answered
    std::string head_;        // the head of the response being written (respond())
    site_verdict site_ = site_verdict::any_site;  // of the request being answered
    server_state& state_;
    const bool ops_;  // accepted by the ops listener (server.ops_listen)
};

ip_address peer_address(const net::ip::tcp::socket& socket) {
    beast::error_code ec;
    const auto ep = socket.remote_endpoint(ec);
    if (ec) return {};
    auto a = ep.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
    return parse_ip(a.to_string()).value_or(ip_address{});
}

// limits.max_connections / max_connections_per_ip, before any work: a refused
// connection gets a fixed 503 written without waiting (it fits an empty socket
// buffer) and is closed. A trusted proxy is counted per client, once its
// request names the client (admit_client).
std::optional<connection_slot> admit_connection(net::ip::tcp::socket& socket, const ip_address& peer,
                                                server_state& state) {
    const bool proxy = in_any(state.cfg.server.trusted_proxies, peer);
    auto slot = state.connections.admit(proxy ? std::string() : peer.to_string());
    if (slot) return slot;
    static constexpr std::string_view refusal =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 32\r\n"
        "Connection: close\r\nRetry-After: 5\r\n\r\n{\"error\":\"too many connections\"}";
    static_assert(std::string_view("{\"error\":\"too many connections\"}").size() == 32);
    beast::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(refusal), ignored);
    socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    return std::nullopt;
}

}  // namespace

void start_http_session(net::ip::tcp::socket socket, server_state& state, bool ops) {
    const ip_address peer = peer_address(socket);
    auto slot = admit_connection(socket, peer, state);
    if (!slot) return;
    if (const auto n = state.cfg.limits.send_buffer_bytes; n != 0) {
        beast::error_code ignored;
        socket.set_option(net::socket_base::send_buffer_size(static_cast<int>(n)), ignored);
    }
    std::make_shared<http_session>(std::move(socket), peer, std::move(*slot), state, ops)->run();
}

}  // namespace tickerd

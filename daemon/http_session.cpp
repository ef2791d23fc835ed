#include "daemon/http_session.hpp"

#include <charconv>
#include <optional>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "daemon/http_api.hpp"
#include "daemon/sse_session.hpp"
#include "daemon/ws_session.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

constexpr std::size_t max_header_bytes = 8 * 1024;
constexpr std::size_t max_request_body = 1024;
constexpr auto read_timeout = std::chrono::seconds(30);

class http_session : public std::enable_shared_from_this<http_session> {
public:
    http_session(net::ip::tcp::socket&& socket, server_state& state) : stream_(std::move(socket)), state_(state) {}

    void run() { do_read(); }

private:
    void do_read() {
        parser_.emplace();
        parser_->header_limit(max_header_bytes);
        parser_->body_limit(max_request_body);
        stream_.expires_after(read_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::end_of_stream) return shutdown();
        if (ec == http::error::header_limit || ec == http::error::body_limit || ec == http::error::bad_target ||
            ec == http::error::bad_method || ec == http::error::bad_version || ec == http::error::bad_field ||
            ec == http::error::bad_value || ec == http::error::bad_line_ending) {
            return send_error_and_close(ec == http::error::header_limit ? http::status::request_header_fields_too_large
                                                                          : http::status::bad_request,
                                        "malformed request");
        }
        if (ec) return;  // timeout, reset: just drop the connection
        auto req = parser_->release();
        const auto t = parse_target(req.target());
        if (t.valid && t.path == "/v1/stream" && beast::websocket::is_upgrade(req)) return upgrade(std::move(req), t);
        if (t.valid && t.path == "/v1/events" && req.method() == http::verb::get) return events(std::move(req), t);
        const api_request ar{req.method_string(), req.target(), req[http::field::if_none_match],
                             req[http::field::if_modified_since]};
        respond(handle_api(ar, state_), req.version(), req.keep_alive(), req.method() == http::verb::head);
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
        return {};
    }

    void upgrade(http::request<http::string_body> req, const parsed_target& t) {
        stream_request what;
        if (auto err = stream_params(t, {}, what); !err.empty()) {
            return respond(error_response(400, err), req.version(), false, false);
        }
        stream_.expires_never();
        start_ws_session(stream_.release_socket(), std::move(req), std::move(what), state_);
    }

    void events(http::request<http::string_body> req, const parsed_target& t) {
        stream_request what;
        if (auto err = stream_params(t, req["Last-Event-ID"], what); !err.empty()) {
            return respond(error_response(400, err), req.version(), false, false);
        }
        stream_.expires_never();
        start_sse_session(stream_.release_socket(), req.version(), std::move(what), state_);
    }

    static api_response error_response(unsigned status, const std::string& message) {
        api_response r;
        r.status = status;
        r.body = std::make_shared<const std::string>(encode_http_error(message));
        return r;
    }

    void respond(const api_response& ar, unsigned version, bool keep_alive, bool head) {
        auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(ar.status), version);
        res->set(http::field::server, "tickerd/" TICKERD_VERSION);
        res->set(http::field::content_type, ar.content_type);
        if (ar.no_cache) res->set(http::field::cache_control, "no-cache");
        if (!ar.etag.empty()) res->set(http::field::etag, ar.etag);
        // Public, read-only market data: any page may read it.
        res->set(http::field::access_control_allow_origin, "*");
        res->set(http::field::access_control_expose_headers, "ETag");
        for (const auto& [k, v] : ar.headers) res->set(k, v);
        res->keep_alive(keep_alive);
        if (ar.status == 304) {
            res->content_length(0);
        } else if (head) {
            res->content_length(ar.body ? ar.body->size() : 0);
        } else {
            // string_body owns its string; one copy of a few KB per request.
            res->body() = ar.body ? *ar.body : std::string{};
            res->prepare_payload();
        }
        write(std::move(res), !keep_alive);
    }

    void send_error_and_close(http::status status, const char* message) {
        auto res = std::make_shared<http::response<http::string_body>>(status, 11);
        res->set(http::field::content_type, "application/json");
        res->set(http::field::access_control_allow_origin, "*");
        res->body() = encode_http_error(message);
        res->keep_alive(false);
        res->prepare_payload();
        write(std::move(res), true);
    }

    void write(std::shared_ptr<http::response<http::string_body>> res, bool close_after) {
        stream_.expires_after(read_timeout);
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
    server_state& state_;
};

}  // namespace

void start_http_session(net::ip::tcp::socket socket, server_state& state) {
    std::make_shared<http_session>(std::move(socket), state)->run();
}

}  // namespace tickerd

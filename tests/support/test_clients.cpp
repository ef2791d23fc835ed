#include "support/test_clients.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <cctype>
#include <deque>
#include <exception>
#include <stdexcept>

namespace tickerd::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

tcp::endpoint loopback(std::uint16_t port) { return {net::ip::make_address_v4("127.0.0.1"), port}; }

constexpr std::string_view user_agent = "tickerd-integration-tests/1";

}  // namespace

// --- HTTP -------------------------------------------------------------------

std::string http_result::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return {};
}

bool http_result::has_header(std::string_view name) const {
    for (const auto& h : headers)
        if (iequals(h.first, name)) return true;
    return false;
}

namespace {

net::awaitable<void> do_get(beast::tcp_stream& stream, std::uint16_t port, std::string_view target,
                            const header_list& extra, steady::time_point deadline, http_result& out) {
    stream.expires_at(deadline);
    co_await stream.async_connect(loopback(port), net::use_awaitable);

    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, fmt::format("127.0.0.1:{}", port));
    req.set(http::field::user_agent, user_agent);
    for (const auto& [k, v] : extra) req.set(k, v);
    stream.expires_at(deadline);
    co_await http::async_write(stream, req, net::use_awaitable);

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    stream.expires_at(deadline);
    co_await http::async_read(stream, buffer, parser, net::use_awaitable);

    auto res = parser.release();
    out.status = res.result_int();
    for (const auto& f : res) out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    out.body = std::move(res.body());

    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

std::uint64_t metric_counter(std::uint16_t port, std::string_view series) {
    const std::string text = http_get(port, "/metrics").body;
    const std::string line_start = "\n" + std::string(series) + " ";
    const auto at = text.find(line_start);
    if (at == std::string::npos) throw std::runtime_error("no " + std::string(series) + " in /metrics");
    return std::stoull(text.substr(at + line_start.size()));
}

http_result http_get(std::uint16_t port, std::string_view target, const header_list& extra_headers,
                     milliseconds timeout) {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    http_result out;
    std::exception_ptr failure;
    net::co_spawn(ioc, do_get(stream, port, target, extra_headers, steady::now() + timeout, out),
                  [&](std::exception_ptr e) { failure = e; });
    // The stream's own deadline ends every operation; run_for is a second bound.
    ioc.run_for(timeout + 1s);
    if (!ioc.stopped()) {
        beast::error_code ec;
        stream.socket().close(ec);
        ioc.restart();
        ioc.run_for(1s);
        throw std::runtime_error(fmt::format("GET {}: no answer within {} ms", target, timeout.count()));
    }
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const boost::system::system_error& e) {
            throw std::runtime_error(fmt::format("GET {} on port {}: {}", target, port, e.code().message()));
        }
    }
    return out;
}

// --- WebSocket --------------------------------------------------------------

struct ws_client::impl {
    net::io_context ioc;
    websocket::stream<beast::tcp_stream> ws{ioc};
    beast::flat_buffer buffer;
    std::deque<std::string> inbox;
    std::string outgoing;
    bool open = false;     // upgraded and not yet closed
    bool closed = false;   // read side finished (close frame or error)
    bool reading = false;
    std::optional<unsigned> code;
    std::string reason;
    std::string error;

    // Runs handlers until done() or the deadline. False on timeout.
    template <class Done>
    bool run_until(Done done, steady::time_point deadline) {
        while (!done()) {
            if (steady::now() >= deadline) return false;
            if (ioc.stopped()) ioc.restart();
            if (ioc.run_one_until(deadline) == 0 && steady::now() < deadline) return done();  // no work left
        }
        return true;
    }

    void start_read() {
        if (reading || closed) return;
        reading = true;
        ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
            reading = false;
            if (ec) {
                closed = true;
                open = false;
                if (ec == websocket::error::closed) {
                    code = static_cast<unsigned>(ws.reason().code);
                    reason = std::string(ws.reason().reason.c_str());
                } else {
                    error = ec.message();
                }
                return;
            }
            inbox.push_back(beast::buffers_to_string(buffer.data()));
            buffer.consume(buffer.size());
            start_read();
        });
    }

    void drop_socket() {
        beast::error_code ec;
        beast::get_lowest_layer(ws).socket().close(ec);
        ioc.restart();
        ioc.run_for(std::chrono::milliseconds(200));
    }
};

ws_client::ws_client() : impl_(std::make_unique<impl>()) {}

ws_client::~ws_client() {
    try {
        if (impl_->open) close(500ms);
    } catch (...) {
    }
    impl_->drop_socket();
}

unsigned ws_client::try_connect(std::uint16_t port, std::string_view target, std::string* body, milliseconds timeout) {
    auto& im = *impl_;
    const auto deadline = steady::now() + timeout;
    bool done = false;
    beast::error_code result;
    websocket::response_type res;
    const std::string host = fmt::format("127.0.0.1:{}", port);
    const std::string tgt(target);

    auto& tcp_layer = beast::get_lowest_layer(im.ws);
    tcp_layer.expires_at(deadline);
    tcp_layer.async_connect(loopback(port), [&](beast::error_code ec) {
        if (ec) {
            result = ec;
            done = true;
            return;
        }
        tcp_layer.expires_never();  // the websocket stream keeps its own timeouts
        websocket::stream_base::timeout opt{};
        opt.handshake_timeout = timeout;
        opt.idle_timeout = websocket::stream_base::none();
        opt.keep_alive_pings = false;
        im.ws.set_option(opt);
        im.ws.set_option(websocket::stream_base::decorator(
            [](websocket::request_type& req) { req.set(http::field::user_agent, user_agent); }));
        im.ws.async_handshake(res, host, tgt, [&](beast::error_code hec) {
            result = hec;
            done = true;
        });
    });
    if (!im.run_until([&] { return done; }, deadline)) {
        im.drop_socket();
        throw std::runtime_error(fmt::format("WebSocket connect to {}{}: timed out", host, tgt));
    }
    if (result && res.result_int() == 0)
        throw std::runtime_error(fmt::format("WebSocket connect to {}{}: {}", host, tgt, result.message()));
    if (body) *body = res.body();
    if (result) return res.result_int();  // refused upgrade
    im.open = true;
    im.start_read();
    return res.result_int();
}

void ws_client::connect(std::uint16_t port, std::string_view target, milliseconds timeout) {
    std::string body;
    unsigned status = try_connect(port, target, &body, timeout);
    if (status != 101)
        throw std::runtime_error(fmt::format("WebSocket upgrade of {} refused: HTTP {} {}", target, status, body));
}

std::optional<std::string> ws_client::try_read(milliseconds timeout) {
    auto& im = *impl_;
    im.run_until([&] { return !im.inbox.empty() || im.closed; }, steady::now() + timeout);
    if (im.inbox.empty()) return std::nullopt;
    std::string msg = std::move(im.inbox.front());
    im.inbox.pop_front();
    return msg;
}

std::string ws_client::read_json(milliseconds timeout) {
    if (auto m = try_read(timeout)) return std::move(*m);
    if (impl_->closed)
        throw std::runtime_error(fmt::format("WebSocket closed while waiting for a message (code {}, reason '{}'{}{})",
                                             impl_->code ? static_cast<int>(*impl_->code) : -1, impl_->reason,
                                             impl_->error.empty() ? "" : ", error: ", impl_->error));
    throw std::runtime_error(fmt::format("no WebSocket message within {} ms", timeout.count()));
}

void ws_client::send_text(std::string_view text, milliseconds timeout) {
    auto& im = *impl_;
    if (!im.open) throw std::runtime_error("send_text on a WebSocket that is not open");
    im.outgoing.assign(text);
    bool done = false;
    beast::error_code result;
    im.ws.text(true);
    im.ws.async_write(net::buffer(im.outgoing), [&](beast::error_code ec, std::size_t) {
        result = ec;
        done = true;
    });
    if (!im.run_until([&] { return done; }, steady::now() + timeout))
        throw std::runtime_error("WebSocket write timed out");
    if (result) throw std::runtime_error("WebSocket write failed: " + result.message());
}

bool ws_client::wait_closed(milliseconds timeout) {
    auto& im = *impl_;
    return im.run_until([&] { return im.closed; }, steady::now() + timeout);
}

bool ws_client::closed() const { return impl_->closed; }
std::optional<unsigned> ws_client::close_code() const { return impl_->code; }
std::string ws_client::close_reason() const { return impl_->reason; }
std::size_t ws_client::queued() const { return impl_->inbox.size(); }

void ws_client::close(milliseconds timeout) {
    auto& im = *impl_;
    if (!im.open || im.closed) return;
    bool done = false;
    im.ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
    im.run_until([&] { return done && im.closed; }, steady::now() + timeout);
    im.open = false;
}

// --- Server-Sent Events -----------------------------------------------------

struct sse_client::impl {
    net::io_context ioc;
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;
    http_result head;
    std::string raw;         // stream bytes after the head
    std::size_t parsed = 0;  // raw[0, parsed) has been split into lines
    std::array<char, 4096> chunk{};
    std::deque<sse_event> events;
    std::optional<unsigned> retry;
    sse_event block;         // the event being assembled
    bool block_has_data = false;
    bool streaming = false;
    bool reading = false;
    bool closed = false;
    std::string error;

    template <class Done>
    bool run_until(Done done, steady::time_point deadline) {
        while (!done()) {
            if (steady::now() >= deadline) return false;
            if (ioc.stopped()) ioc.restart();
            if (ioc.run_one_until(deadline) == 0 && steady::now() < deadline) return done();  // no work left
        }
        return true;
    }

    // One line of the stream, per the HTML EventSource parsing rules.
    void on_line(std::string_view line) {
        if (line.empty()) {
            if (block_has_data) {
                if (block.event.empty()) block.event = "message";
                events.push_back(std::move(block));
            }
            block = {};
            block_has_data = false;
            return;
        }
        if (line.front() == ':') return;  // comment
        const auto colon = line.find(':');
        const std::string_view field = line.substr(0, colon);
        std::string_view value;
        if (colon != std::string_view::npos) {
            value = line.substr(colon + 1);
            if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        }
        if (field == "event") {
            block.event.assign(value);
        } else if (field == "data") {
            if (block_has_data) block.data += '\n';
            block.data.append(value);
            block_has_data = true;
        } else if (field == "id") {
            if (value.find('\0') == std::string_view::npos) block.id.assign(value);
        } else if (field == "retry") {
            unsigned v = 0;
            bool digits = !value.empty();
            for (const char c : value) {
                if (c < '0' || c > '9') {
                    digits = false;
                } else {
                    v = v * 10 + static_cast<unsigned>(c - '0');
                }
            }
            if (digits) retry = v;
        }
    }

    // Lines end with CRLF, LF or CR.
    void parse() {
        for (;;) {
            const auto eol = raw.find_first_of("\r\n", parsed);
            if (eol == std::string::npos) return;
            std::size_t next = eol + 1;
            if (raw[eol] == '\r') {
                if (next == raw.size() && !closed) return;  // a LF may follow
                if (next < raw.size() && raw[next] == '\n') ++next;
            }
            const std::string_view line(raw.data() + parsed, eol - parsed);
            parsed = next;
            on_line(line);
        }
    }

    void start_read() {
        if (reading || closed) return;
        reading = true;
        stream.async_read_some(net::buffer(chunk), [this](beast::error_code ec, std::size_t n) {
            reading = false;
            if (n > 0) raw.append(chunk.data(), n);
            if (ec) {
                closed = true;
                if (ec != net::error::eof) error = ec.message();
                parse();
                return;
            }
            parse();
            start_read();
        });
    }

    void drop_socket() {
        beast::error_code ec;
        stream.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream.socket().close(ec);
        closed = true;
        ioc.restart();
        ioc.run_for(std::chrono::milliseconds(100));
    }
};

sse_client::sse_client() : impl_(std::make_unique<impl>()) {}

sse_client::~sse_client() {
    try {
        impl_->drop_socket();
    } catch (...) {
    }
}

unsigned sse_client::connect(std::uint16_t port, std::string_view target, const header_list& extra_headers,
                             milliseconds timeout) {
    auto& im = *impl_;
    if (im.streaming || im.closed) throw std::runtime_error("sse_client::connect: one connection per client");
    const auto deadline = steady::now() + timeout;
    const std::string tgt(target);

    http::request<http::empty_body> req{http::verb::get, tgt, 11};
    req.set(http::field::host, fmt::format("127.0.0.1:{}", port));
    req.set(http::field::user_agent, user_agent);
    req.set(http::field::accept, "text/event-stream");
    req.set(http::field::cache_control, "no-cache");
    for (const auto& [k, v] : extra_headers) req.set(k, v);

    http::response_parser<http::string_body> parser;
    parser.body_limit(1024 * 1024);
    bool done = false;
    beast::error_code result;
    im.stream.expires_at(deadline);
    im.stream.async_connect(loopback(port), [&](beast::error_code ec) {
        if (ec) {
            result = ec;
            done = true;
            return;
        }
        http::async_write(im.stream, req, [&](beast::error_code wec, std::size_t) {
            if (wec) {
                result = wec;
                done = true;
                return;
            }
            http::async_read_header(im.stream, im.buffer, parser, [&](beast::error_code rec, std::size_t) {
                result = rec;
                done = true;
            });
        });
    });
    if (!im.run_until([&] { return done; }, deadline)) {
        im.drop_socket();
        throw std::runtime_error(fmt::format("SSE GET {}: no response head within {} ms", tgt, timeout.count()));
    }
    if (result) {
        im.drop_socket();
        throw std::runtime_error(fmt::format("SSE GET {} on port {}: {}", tgt, port, result.message()));
    }

    const auto& res = parser.get();
    im.head.status = res.result_int();
    for (const auto& f : res) im.head.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    im.streaming = im.head.status == 200 && im.head.header("Content-Type").starts_with("text/event-stream");

    if (!im.streaming) {
        // An ordinary reply (e.g. 400 JSON): read its body, then close.
        done = false;
        result = {};
        http::async_read(im.stream, im.buffer, parser, [&](beast::error_code ec, std::size_t) {
            result = ec;
            done = true;
        });
        if (!im.run_until([&] { return done; }, deadline)) {
            im.drop_socket();
            throw std::runtime_error(fmt::format("SSE GET {}: the {} reply's body did not end within {} ms", tgt,
                                                 im.head.status, timeout.count()));
        }
        if (result && result != http::error::end_of_stream) {
            im.drop_socket();
            throw std::runtime_error(
                fmt::format("SSE GET {}: reading the {} reply: {}", tgt, im.head.status, result.message()));
        }
        im.head.body = parser.get().body();
        im.drop_socket();
        return im.head.status;
    }

    // The stream: bytes read past the head belong to it.
    im.stream.expires_never();
    im.raw = beast::buffers_to_string(im.buffer.data());
    im.buffer.consume(im.buffer.size());
    im.parse();
    im.start_read();
    return im.head.status;
}

const http_result& sse_client::response() const { return impl_->head; }

std::optional<sse_event> sse_client::try_next(milliseconds timeout) {
    auto& im = *impl_;
    if (im.streaming) im.run_until([&] { return !im.events.empty() || im.closed; }, steady::now() + timeout);
    if (im.events.empty()) return std::nullopt;
    sse_event e = std::move(im.events.front());
    im.events.pop_front();
    return e;
}

sse_event sse_client::next(milliseconds timeout) {
    if (auto e = try_next(timeout)) return std::move(*e);
    if (!impl_->streaming) throw std::runtime_error(fmt::format("not an event stream (HTTP {})", impl_->head.status));
    if (impl_->closed)
        throw std::runtime_error(fmt::format("event stream ended while waiting for an event{}{}",
                                             impl_->error.empty() ? "" : ": ", impl_->error));
    throw std::runtime_error(fmt::format("no SSE event within {} ms", timeout.count()));
}

std::optional<unsigned> sse_client::retry() const { return impl_->retry; }
const std::string& sse_client::raw() const { return impl_->raw; }
std::size_t sse_client::queued() const { return impl_->events.size(); }
bool sse_client::closed() const { return impl_->closed; }

bool sse_client::wait_closed(milliseconds timeout) {
    auto& im = *impl_;
    if (!im.streaming) return true;
    return im.run_until([&] { return im.closed; }, steady::now() + timeout);
}

void sse_client::disconnect() { impl_->drop_socket(); }

// --- JSON -------------------------------------------------------------------

struct json_doc::parsed {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
};

json_doc::json_doc(std::string text) : text_(std::move(text)), parsed_(std::make_unique<parsed>()) {
    auto r = parsed_->parser.parse(text_);
    if (r.error())
        throw std::runtime_error(fmt::format("not JSON ({}): {}", simdjson::error_message(r.error()), text_));
    parsed_->root = r.value_unsafe();
}

json_doc::~json_doc() = default;
json_doc::json_doc(json_doc&&) noexcept = default;
json_doc& json_doc::operator=(json_doc&&) noexcept = default;

namespace {

simdjson::dom::element at(const simdjson::dom::element& root, std::string_view pointer, const std::string& text) {
    auto r = root.at_pointer(pointer);
    if (r.error()) throw std::runtime_error(fmt::format("JSON has no '{}': {}", pointer, text));
    return r.value_unsafe();
}

[[noreturn]] void wrong_type(std::string_view pointer, std::string_view wanted, const std::string& text) {
    throw std::runtime_error(fmt::format("JSON '{}' is not a {}: {}", pointer, wanted, text));
}

}  // namespace

bool json_doc::has(std::string_view pointer) const { return !parsed_->root.at_pointer(pointer).error(); }

std::string json_doc::type(std::string_view pointer) const {
    using t = simdjson::dom::element_type;
    switch (at(parsed_->root, pointer, text_).type()) {
        case t::ARRAY: return "array";
        case t::OBJECT: return "object";
        case t::INT64:
        case t::UINT64:
        case t::DOUBLE: return "number";
        case t::STRING: return "string";
        case t::BOOL: return "bool";
        case t::NULL_VALUE: return "null";
    }
    return "?";
}

std::string json_doc::str(std::string_view pointer) const {
    std::string_view s;
    if (at(parsed_->root, pointer, text_).get_string().get(s)) wrong_type(pointer, "string", text_);
    return std::string(s);
}

double json_doc::num(std::string_view pointer) const {
    auto e = at(parsed_->root, pointer, text_);
    using t = simdjson::dom::element_type;
    switch (e.type()) {
        case t::INT64: return static_cast<double>(e.get_int64().value_unsafe());
        case t::UINT64: return static_cast<double>(e.get_uint64().value_unsafe());
        case t::DOUBLE: return e.get_double().value_unsafe();
        default: wrong_type(pointer, "number", text_);
    }
}

std::uint64_t json_doc::u64(std::string_view pointer) const {
    std::uint64_t v = 0;
    if (at(parsed_->root, pointer, text_).get_uint64().get(v)) wrong_type(pointer, "non-negative integer", text_);
    return v;
}

bool json_doc::boolean(std::string_view pointer) const {
    bool v = false;
    if (at(parsed_->root, pointer, text_).get_bool().get(v)) wrong_type(pointer, "bool", text_);
    return v;
}

std::size_t json_doc::size(std::string_view pointer) const {
    auto e = at(parsed_->root, pointer, text_);
    if (e.is_array()) return e.get_array().value_unsafe().size();
    if (e.is_object()) return e.get_object().value_unsafe().size();
    wrong_type(pointer, "array or object", text_);
}

std::vector<std::string> json_doc::strings(std::string_view pointer) const {
    simdjson::dom::array arr;
    if (at(parsed_->root, pointer, text_).get_array().get(arr)) wrong_type(pointer, "array", text_);
    std::vector<std::string> out;
    for (auto item : arr) {
        std::string_view s;
        if (item.get_string().get(s)) wrong_type(pointer, "array of strings", text_);
        out.emplace_back(s);
    }
    return out;
}

std::string json_doc::raw(std::string_view pointer) const {
    simdjson::ondemand::parser p;
    simdjson::padded_string padded(text_);
    auto doc = p.iterate(padded);
    auto v = doc.at_pointer(pointer);
    std::string_view tok;
    if (v.error() || v.raw_json_token().get(tok))
        throw std::runtime_error(fmt::format("JSON has no '{}': {}", pointer, text_));
    while (!tok.empty() && std::isspace(static_cast<unsigned char>(tok.back()))) tok.remove_suffix(1);
    return std::string(tok);
}

std::optional<std::string> json_doc::find(std::string_view array_pointer, std::string_view key,
                                          std::string_view value) const {
    simdjson::dom::array arr;
    if (at(parsed_->root, array_pointer, text_).get_array().get(arr)) wrong_type(array_pointer, "array", text_);
    std::size_t i = 0;
    for (auto item : arr) {
        std::string_view s;
        if (!item[key].get_string().get(s) && s == value) return fmt::format("{}/{}", array_pointer, i);
        ++i;
    }
    return std::nullopt;
}

std::vector<std::string> json_doc::symbols(std::string_view array_pointer) const {
    simdjson::dom::array arr;
    if (at(parsed_->root, array_pointer, text_).get_array().get(arr)) wrong_type(array_pointer, "array", text_);
    std::vector<std::string> out;
    for (auto item : arr) {
        std::string_view s;
        if (item["symbol"].get_string().get(s)) wrong_type(array_pointer, "array of quotes", text_);
        out.emplace_back(s);
    }
    return out;
}

}  // namespace tickerd::test

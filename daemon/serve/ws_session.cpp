#include "serve/ws_session.hpp"

#include <sys/socket.h>

#include <span>

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "serve/message_rate.hpp"
#include "serve/op_memory.hpp"
#include "serve/stream_session.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

namespace {

using clock = std::chrono::steady_clock;

// The most a read asks for at once (a piece of a client message).
constexpr std::size_t read_piece_bytes = 256;

// The header of an unmasked frame (from the server) with `payload` bytes: RFC 6455 section 5.2.
std::size_t frame_header_bytes(std::size_t payload) { return payload < 126 ? 2 : payload < 65536 ? 4 : 10; }

// The WebSocket transport of a stream_session: frames, pings, client messages
// and close codes. A slow reader is closed with 1013 (the core's backlog gate).
class ws_session final : public stream_session {
public:
    ws_session(net::ip::tcp::socket&& socket, const stream_request& what, connection_slot slot, server_state& state)
        : stream_session(socket.get_executor(), stream_transport::websocket, what, std::move(slot), state),
          ws_(std::move(socket)),
          rate_(state.cfg.limits.messages_per_second, clock::now()) {}

    void run(http::request<http::string_body> req) {
        // Pings are the session's own (see on_sweep), so that a silent client is
        // closed with a close frame rather than dropped. The handshake timeout
        // also bounds the closing handshake.
        websocket::stream_base::timeout opt{};
        opt.handshake_timeout = state().cfg.limits.handshake_timeout;
        opt.idle_timeout = websocket::stream_base::none();
        opt.keep_alive_pings = false;
        ws_.set_option(opt);
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
            on_control(kind, payload.size());
        });
        ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
            res.set(http::field::server, "tickerd/" TICKERD_VERSION);
        }));
        // Larger client messages fail the read; Beast then closes with 1009 itself.
        ws_.read_message_max(state().cfg.limits.max_message_bytes);
        ws_.text(true);
        ws_.async_accept(req, [self = shared(this)](beast::error_code ec) { self->on_accept(ec); });
    }

private:
    void on_accept(beast::error_code ec) {
        if (ec) return;  // not a WebSocket client after all; nothing to report
        gate_backlog(fd());
        last_heard_ = clock::now();
        open_stream();
        do_read();
    }

    int fd() { return ws_.next_layer().native_handle(); }

    void write_message(const outgoing& msg) override {
        buffers_.clear();
        if (!msg.head.empty()) buffers_.emplace_back(msg.head.data(), msg.head.size());
        for (const auto& p : msg.pieces) buffers_.emplace_back(p->data(), p->size());
        // A span, not the vector: Beast copies the buffer sequence several times per write.
        ws_.async_write(std::span<const net::const_buffer>(buffers_),
                        bind_op_memory([self = shared(this)](beast::error_code ec, std::size_t) {
                            const auto n = self->current().size();
                            self->written(ec, n, n + frame_header_bytes(n));
                        }));
    }

    bool control_pending() const override { return ping_due_; }

    bool write_control(clock::time_point now) override {
        if (!ping_due_) return false;
        ping_due_ = false;
        pinged_at_ = now;
        control_started(now);
        ws_.async_ping({}, [self = shared(this)](beast::error_code ec) { self->control_written(ec, frame_header_bytes(0)); });
        return true;
    }

    // A control frame from the client. Beast answers a ping with a pong of the
    // same payload by itself: that pong is counted by the slow-client gate, and
    // pings count against messages_per_second like messages (a client that
    // floods pings and reads nothing cannot grow what the server sends it).
    void on_control(websocket::frame_type kind, std::size_t payload) {
        const auto now = clock::now();
        last_heard_ = now;
        if (closing()) return;
        if (kind == websocket::frame_type::close) {
            if (ws_.reason().code >= 5000) refuse_close_code();
            return;
        }
        if (kind != websocket::frame_type::ping) return;
        wrote_by_itself(payload + frame_header_bytes(payload));
        if (rate_.on_message(now) == message_rate::verdict::close) {
            // Not from inside Beast's read: the close starts once this handler has returned.
            net::post(ws_.get_executor(), [self = shared(this)] {
                self->close(websocket::close_code::policy_error, "too many messages");
            });
        }
    }

    void after_write() override {
        if (refusing_) return send_refusal();
        if (pending_close_) return finish_close();
        pump();
    }

    void write_failed(const boost::system::error_code&) override { fail(); }

    void close_too_slow(const std::string& why) override {
        spdlog::info("stream client too slow ({}): closing with 1013", why);
        close(websocket::close_code::try_again_later, "client too slow");
    }

    void shut_down() override { close(websocket::close_code::going_away, "server shutting down"); }

    // A client message is read in small pieces into buffer_, which is emptied
    // and given back after each message: async_read would make room for a
    // whole frame (1.5 KiB) before anything arrived, on every idle connection.
    // Beast still limits the message to read_message_max (1009 beyond it).
    void do_read() {
        ws_.async_read_some(buffer_, read_piece_bytes,
                            [self = shared(this)](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        last_heard_ = clock::now();
        // Oversized (1009), bad UTF-8 (1007) and protocol errors: Beast has already sent the close frame.
        if (ec) return fail();
        if (!ws_.is_message_done()) return do_read();
        const auto release = [this] {
            buffer_.consume(buffer_.size());
            buffer_.shrink_to_fit();
        };
        if (!ws_.got_text()) {
            release();
            return close(websocket::close_code::unknown_data, "binary frames are not accepted");
        }
        const std::string text = beast::buffers_to_string(buffer_.data());
        release();
        switch (rate_.on_message(clock::now())) {
            case message_rate::verdict::accept: handle_client_message(text); break;
            case message_rate::verdict::warn:
                send("error", 0,
                     std::make_shared<const std::string>(encode_stream_error("rate_limited", "too many messages: slow down")));
                break;
            case message_rate::verdict::close:
                return close(websocket::close_code::policy_error, "too many messages", true);
        }
        if (!closing()) do_read();
    }

    // - A write that has not finished within slow_client_timeout: the kernel's
    //   send buffer is full (one message larger than the backlog limit, to a
    //   client that reads nothing). No close frame could follow it, so the
    //   connection is reset, which also frees the kernel's send buffer.
    // - Nothing heard from the client (no message, no pong) for ping_interval:
    //   ping it; for twice that: close it with 1013.
    // Looked at on every sweep of the shard (stream_session::sweep_period).
    void on_sweep(clock::time_point now) override {
        if (dead_) return;
        const auto& cfg = state().cfg;
        if (writing() && now - write_started() >= cfg.limits.slow_client_timeout) {
            spdlog::info("stream client read nothing for {} ms: resetting the connection",
                         cfg.limits.slow_client_timeout.count());
            return abort();
        }
        if (closing()) return;  // the closing handshake has its own timeout
        const auto silent = now - last_heard_;
        if (silent >= 2 * cfg.server.ping_interval) {
            too_slow("no reply to a ping for " + std::to_string(cfg.server.ping_interval.count()) + " ms");
        } else if (silent >= cfg.server.ping_interval && pinged_at_ < last_heard_) {
            ping_due_ = true;
            pump();
        }
    }

    // Close codes from 5000 up are invalid (RFC 6455 section 7.4.2), but Beast
    // accepts them and would echo one back. The answer is 1002: its close frame
    // is written here directly, then the sending side is shut, so that Beast's
    // echo fails and the read ends. With a write in flight, the 1002 waits for
    // it (no frame is cut): the write's handler runs before Beast's read, which
    // is waiting for the same write, resumes to send its echo.
    void refuse_close_code() {
        start_closing(false);
        if (writing()) {
            refusing_ = true;
            return;
        }
        send_refusal();
    }

    void send_refusal() {
        refusing_ = false;
        auto& sock = ws_.next_layer();
        static constexpr unsigned char frame[] = {0x88, 0x02, 0x03, 0xEA};  // close, 2 bytes: 1002
        [[maybe_unused]] const auto n = ::send(sock.native_handle(), frame, sizeof frame, MSG_NOSIGNAL | MSG_DONTWAIT);
        beast::error_code ignored;
        sock.shutdown(net::socket_base::shutdown_send, ignored);
    }

    // A write in flight finishes first (on_sweep still guards it). Queued
    // messages are dropped, or with `drain` sent before the close frame (a
    // client closed for its message rate gets the error explaining it).
    void close(websocket::close_code code, const char* reason, bool drain = false) {
        if (!start_closing(drain)) return;
        draining_ = drain;
        pending_close_ = std::make_pair(code, reason);
        if (!writing()) finish_close();
    }

    void finish_close() {
        if (draining_ && write_queued(clock::now())) return;
        const auto [code, reason] = *pending_close_;
        pending_close_.reset();
        ws_.async_close(websocket::close_reason(code, reason), [self = shared(this)](beast::error_code) { self->fail(); });
    }

    void abort() {
        auto& sock = ws_.next_layer();
        beast::error_code ignored;
        sock.set_option(net::socket_base::linger(true, 0), ignored);
        sock.close(ignored);
        fail();
    }

    void fail() {
        dead_ = true;
        closed();
    }

    // On the bare socket, not beast::tcp_stream: the websocket stream has its own
    // handshake and close timeouts, the shard's sweep bounds writes, and tcp_stream's
    // per-operation timeout bookkeeping cost every write.
    websocket::stream<net::ip::tcp::socket> ws_;
    beast::flat_buffer buffer_;
    std::vector<net::const_buffer> buffers_;  // of the write in flight
    message_rate rate_;
    clock::time_point last_heard_{};  // a message or control frame from the client
    clock::time_point pinged_at_{};
    std::optional<std::pair<websocket::close_code, const char*>> pending_close_;
    bool ping_due_ = false;
    bool refusing_ = false;  // a 1002 waits for the write in flight
    bool draining_ = false;
    bool dead_ = false;
};

}  // namespace

void start_ws_session(net::ip::tcp::socket socket, http::request<http::string_body> req, stream_request what,
                      connection_slot slot, server_state& state) {
    std::make_shared<ws_session>(std::move(socket), what, std::move(slot), state)->run(std::move(req));
}

}  // namespace tickerd

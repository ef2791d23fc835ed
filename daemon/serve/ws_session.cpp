#include "serve/ws_session.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "serve/http_api.hpp"
#include "serve/message_rate.hpp"
#include "serve/outbox.hpp"
#include "serve/stream_layout.hpp"
#include "serve/stream_subscription.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

namespace {

using clock = std::chrono::steady_clock;

shared_text text_of(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

// How often a session checks for a stuck write and a silent peer.
clock::duration tick_period(std::chrono::milliseconds slow_client_timeout, std::chrono::milliseconds ping_interval) {
    return std::max<clock::duration>(std::min(slow_client_timeout, ping_interval) / 4, std::chrono::milliseconds(50));
}

// While backlogged: how often the kernel's queue is looked at again.
// A WebSocket frame header from the server: at most 10 bytes (no mask); rounded up.
constexpr std::size_t max_frame_header = 16;

constexpr clock::duration backlog_poll = std::chrono::milliseconds(100);

// A quarter of the socket's send buffer may wait unacknowledged in the
// kernel; the rest stays free for a close frame (see backlogged()). 0: unknown.
std::size_t backlog_limit(int fd) {
    int sndbuf = 0;
    socklen_t len = sizeof sndbuf;
    if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) != 0 || sndbuf <= 0) return 0;
    return static_cast<std::size_t>(sndbuf) / 4;
}

// Bytes written to the socket that the client has not acknowledged yet
// (unsent or in flight). 0 when the kernel cannot tell.
std::size_t kernel_unacked(int fd) {
    int n = 0;
    if (::ioctl(fd, SIOCOUTQ, &n) != 0 || n < 0) return 0;
    return static_cast<std::size_t>(n);
}

class ws_session : public stream_client, public std::enable_shared_from_this<ws_session> {
public:
    ws_session(net::ip::tcp::socket&& socket, stream_request what, connection_slot slot, server_state& state)
        : ws_(std::move(socket)),
          state_(state),
          slot_(std::move(slot)),
          heartbeat_(ws_.get_executor()),
          flush_(ws_.get_executor()),
          tick_(ws_.get_executor()),
          subscription_(state.store.layout()->active, what.symbols),
          outbox_({state.cfg.limits.max_queued_bytes, state.cfg.server.max_queued_messages}),
          rate_(state.cfg.limits.messages_per_second, clock::now()),
          since_(what.since) {
        outbox_.set_max_hz(what.max_hz);
    }

    ~ws_session() override { state_.clients.leave(this); }

    void run(http::request<http::string_body> req) {
        // Pings are the session's own (see on_tick), so that a silent client is
        // closed with a close frame rather than dropped. The handshake timeout
        // also bounds the closing handshake.
        websocket::stream_base::timeout opt{};
        opt.handshake_timeout = state_.cfg.limits.handshake_timeout;
        opt.idle_timeout = websocket::stream_base::none();
        opt.keep_alive_pings = false;
        ws_.set_option(opt);
        ws_.control_callback([this](websocket::frame_type, beast::string_view) { last_heard_ = clock::now(); });
        ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
            res.set(http::field::server, "tickerd/" TICKERD_VERSION);
        }));
        // Larger client messages fail the read; Beast then closes with 1009 itself.
        ws_.read_message_max(state_.cfg.limits.max_message_bytes);
        ws_.text(true);
        ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
    }

    void deliver(const quote_change& change) override {
        net::post(ws_.get_executor(), [self = shared_from_this(), change] { self->on_change(change); });
    }

    void go_away() override {
        net::post(ws_.get_executor(), [self = shared_from_this()] { self->close(websocket::close_code::going_away, "server shutting down"); });
    }

    stream_transport transport() const override { return stream_transport::websocket; }
    void layout_changed() override {
        net::post(ws_.get_executor(), [self = shared_from_this()] {
            if (!self->closing_) self->sync_layout(true);
        });
    }

private:
    void on_accept(beast::error_code ec) {
        if (ec) return;  // not a WebSocket client after all; nothing to report
        state_.clients.join(shared_from_this());
        // Joined first, then the snapshot: a change that races with it arrives
        // afterwards and is dropped by seq if the snapshot already holds it.
        sync_layout(false);  // a reload since this session was made: the snapshot shows the new symbols
        backlog_limit_ = backlog_limit(fd());
        last_heard_ = clock::now();
        send_snapshot(subscription_.indexes(), since_);
        do_read();
        arm_heartbeat();
        arm_tick();
    }

    void send_snapshot(const std::vector<std::size_t>& indexes, std::uint64_t since) {
        if (indexes.empty()) {
            // A subscribe that adds nothing is still answered, with no quotes.
            const auto seq = state_.store.seq();
            return send("snapshot", seq, text_of(encode_stream_snapshot(seq, since, {})));
        }
        const auto view = state_.store.snapshot(indexes, since);
        subscription_.snapshot_sent(indexes, view.seq);
        send("snapshot", view.seq, text_of(encode_stream_snapshot(view.seq, since, view.quotes)));
    }

    // Remaps the subscription to the store's current symbols (after a reload).
    // `announce`: tell the client: "removed" for subscribed symbols that are
    // gone, and the quotes the store already holds for symbols it now follows.
    void sync_layout(bool announce) {
        for (auto& m : sync_stream_layout(state_.store, subscription_, layout_version_, announce)) {
            send(m.event, m.seq, std::move(m.text));
        }
    }

    void on_change(const quote_change& change) {
        if (closing_) return;
        if (change.layout > layout_version_ || !subscription_.knows(change.index)) sync_layout(true);
        if (!subscription_.accept(change)) return;
        const bool ok = outbox_.push_change(change);
        if (const auto n = outbox_.take_coalesced()) state_.stats.updates_coalesced(n);
        if (!ok) return too_slow();
        pump();
    }

    void send(std::string_view event, std::uint64_t seq, shared_text msg) {
        if (closing_) return;
        if (!outbox_.push_message(event, seq, std::move(msg))) return too_slow();
        pump();
    }

    void too_slow(const std::string& why) {
        state_.stats.slow_client_disconnect(stream_transport::websocket);
        spdlog::info("stream client too slow ({}): closing with 1013", why);
        close(websocket::close_code::try_again_later, "client too slow");
    }
    void too_slow() { too_slow(std::to_string(outbox_.queued_bytes()) + " bytes queued"); }

    int fd() { return beast::get_lowest_layer(ws_).socket().native_handle(); }

    // Starts the next write if none is in flight and something is due.
    void pump() {
        if (writing_ || closing_) return;
        const auto now = clock::now();
        if (ping_due_) return send_ping(now);
        if (outbox_.empty() || backlogged(now)) return;
        auto next = outbox_.next(now);
        if (!next) {
            if (const auto due = outbox_.due()) wake_at(*due);
            return;
        }
        write(std::move(*next), now);
    }

    // A client that reads too little is never written more than backlog_limit_
    // bytes ahead: beyond that, nothing more goes to the kernel (the outbox
    // conflates meanwhile) until the client has taken it. A client still
    // backlogged after slow_client_timeout is closed with 1013, and its close
    // frame still fits the send buffer, behind the data already there, so the
    // client reads it whenever it reads again.
    bool backlogged(clock::time_point now) {
        if (backlog_limit_ == 0 || unacked_bound_ < backlog_limit_) return false;
        unacked_bound_ = kernel_unacked(fd());  // only now: the bound was reached
        backlog_limit_ = backlog_limit(fd());   // the kernel's autotuning may have grown the buffer
        if (unacked_bound_ < backlog_limit_) {
            backlogged_since_.reset();
            return false;
        }
        if (!backlogged_since_) backlogged_since_ = now;
        const auto timeout = state_.cfg.limits.slow_client_timeout;
        if (now - *backlogged_since_ >= timeout) {
            too_slow(std::to_string(unacked_bound_) + " bytes unread for " + std::to_string(timeout.count()) + " ms");
            return true;
        }
        wake_at(now + backlog_poll);
        return true;
    }

    // pump() again at `at` (or earlier, if already due earlier).
    void wake_at(clock::time_point at) {
        if (wake_armed_ && flush_.expiry() <= at) return;
        wake_armed_ = true;
        flush_.expires_at(at);  // a wait already armed ends with operation_aborted and is ignored
        flush_.async_wait([self = shared_from_this(), gen = ++wake_gen_](beast::error_code ec) {
            if (gen != self->wake_gen_) return;
            self->wake_armed_ = false;
            if (!ec) self->pump();
        });
    }

    void write(outgoing msg, clock::time_point now) {
        current_ = std::move(msg);
        buffers_.clear();
        for (const auto& p : current_.pieces) buffers_.emplace_back(p->data(), p->size());
        writing_ = true;
        write_started_ = now;
        unacked_bound_ += current_.size() + max_frame_header;
        ws_.async_write(buffers_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
    }

    // A ping goes through the same single write path (and the same stuck-write check).
    void send_ping(clock::time_point now) {
        ping_due_ = false;
        pinged_at_ = now;
        writing_ = true;
        write_started_ = now;
        unacked_bound_ += max_frame_header;
        ws_.async_ping({}, [self = shared_from_this()](beast::error_code ec) {
            self->writing_ = false;
            if (ec) return self->fail();
            if (self->pending_close_) return self->finish_close();
            self->pump();
        });
    }

    // Closing: the messages still queued go first when draining (a client
    // closed for its message rate gets the error explaining it), then the close frame.
    void finish_close() {
        const auto now = clock::now();
        if (draining_) {
            if (auto next = outbox_.next(now)) return write(std::move(*next), now);
        }
        const auto [code, reason] = *pending_close_;
        pending_close_.reset();
        start_close(code, reason);
    }

    void on_write(beast::error_code ec) {
        writing_ = false;
        if (ec) return fail();
        state_.stats.sent(stream_transport::websocket, current_.size());
        last_send_ = clock::now();
        current_ = {};
        if (pending_close_) return finish_close();
        pump();
    }

    void do_read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        last_heard_ = clock::now();
        // Oversized (1009), bad UTF-8 (1007) and protocol errors: Beast has already sent the close frame.
        if (ec) return fail();
        if (!ws_.got_text()) {
            buffer_.consume(buffer_.size());
            return close(websocket::close_code::unknown_data, "binary frames are not accepted");
        }
        const std::string text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        switch (rate_.on_message(clock::now())) {
            case message_rate::verdict::accept: handle_message(text); break;
            case message_rate::verdict::warn:
                send("error", 0, text_of(encode_stream_error("rate_limited", "too many messages: slow down")));
                break;
            case message_rate::verdict::close:
                return close(websocket::close_code::policy_error, "too many messages", true);
        }
        if (!closing_) do_read();
    }

    void handle_message(const std::string& text) {
        auto msg = parse_client_message(text);
        if (!msg) return send("error", 0, text_of(encode_stream_error("bad_request", msg.error())));
        sync_layout(true);  // slots from select_symbols are in the store's current layout
        auto sel = select_symbols(state_.store, msg->symbols);
        if (!sel.unknown.empty()) {
            return send("error", 0, text_of(encode_stream_error("unknown_symbol", "unknown symbol " + sel.unknown)));
        }
        if (msg->op == client_message::kind::unsubscribe) {
            subscription_.remove(sel.indexes);
            return outbox_.drop(sel.indexes);
        }
        if (msg->max_hz) outbox_.set_max_hz(*msg->max_hz);
        // Answered with a snapshot of the newly added symbols (possibly none).
        send_snapshot(subscription_.add(sel.indexes), 0);
    }

    void arm_heartbeat() {
        const auto interval = state_.cfg.server.heartbeat_interval;
        const auto wait = heartbeat_wait(last_send_, interval, clock::now());
        heartbeat_.expires_after(wait.count() > 0 ? wait : clock::duration(interval));
        heartbeat_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec || self->closing_) return;
            const auto now = clock::now();
            if (heartbeat_wait(self->last_send_, self->state_.cfg.server.heartbeat_interval, now).count() == 0 &&
                self->outbox_.empty() && !self->writing_) {
                const auto seq = self->subscription_.last_seq();
                self->send("heartbeat", seq, text_of(encode_heartbeat(seq)));
                self->last_send_ = now;  // the next one is due an interval after this one
            }
            self->arm_heartbeat();
        });
    }

    void arm_tick() {
        tick_.expires_after(tick_period(state_.cfg.limits.slow_client_timeout, state_.cfg.server.ping_interval));
        tick_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec || self->dead_) return;
            if (self->on_tick(clock::now())) self->arm_tick();
        });
    }

    // - A write that has not finished within slow_client_timeout: the kernel's
    //   send buffer is full (one message larger than the backlog limit, to a
    //   client that reads nothing). No close frame could follow it, so the
    //   connection is reset, which also frees the kernel's send buffer.
    // - Nothing heard from the client (no message, no pong) for ping_interval:
    //   ping it; for twice that: close it with 1013.
    bool on_tick(clock::time_point now) {
        const auto& cfg = state_.cfg;
        if (writing_ && now - write_started_ >= cfg.limits.slow_client_timeout) {
            spdlog::info("stream client read nothing for {} ms: resetting the connection",
                         cfg.limits.slow_client_timeout.count());
            abort();
            return false;
        }
        if (closing_) return true;  // the closing handshake has its own timeout
        const auto silent = now - last_heard_;
        if (silent >= 2 * cfg.server.ping_interval) {
            too_slow("no reply to a ping for " + std::to_string(cfg.server.ping_interval.count()) + " ms");
        } else if (silent >= cfg.server.ping_interval && pinged_at_ < last_heard_) {
            ping_due_ = true;
            pump();
        }
        return true;
    }

    // A write in flight finishes first (on_tick still guards it). Queued
    // messages are dropped, or with `drain` sent before the close frame.
    void close(websocket::close_code code, const char* reason, bool drain = false) {
        if (closing_) return;
        closing_ = true;
        draining_ = drain;
        heartbeat_.cancel();
        flush_.cancel();
        if (!drain) {
            state_.stats.updates_dropped(outbox_.pending_changes());
            outbox_.clear();
        }
        pending_close_ = std::make_pair(code, reason);
        if (!writing_) finish_close();
    }

    void start_close(websocket::close_code code, const char* reason) {
        ws_.async_close(websocket::close_reason(code, reason), [self = shared_from_this()](beast::error_code) {
            self->fail();
        });
    }

    void abort() {
        auto& sock = beast::get_lowest_layer(ws_).socket();
        beast::error_code ignored;
        sock.set_option(net::socket_base::linger(true, 0), ignored);
        sock.close(ignored);
        fail();
    }

    void fail() {
        closing_ = true;
        dead_ = true;
        heartbeat_.cancel();
        flush_.cancel();
        tick_.cancel();
        outbox_.clear();
        slot_.release();
        state_.clients.leave(this);
    }

    websocket::stream<beast::tcp_stream> ws_;
    server_state& state_;
    connection_slot slot_;
    net::steady_timer heartbeat_;
    net::steady_timer flush_;  // wake_at(): max_hz's next slot, or the next look at a backlog
    net::steady_timer tick_;   // on_tick(): stuck writes, pings
    beast::flat_buffer buffer_;
    stream_subscription subscription_;
    std::uint64_t layout_version_ = 0;  // of the symbol_layout subscription_ is mapped to
    outbox outbox_;
    outgoing current_;  // the message being written (keeps its buffers alive)
    std::vector<net::const_buffer> buffers_;
    message_rate rate_;
    std::uint64_t since_ = 0;
    clock::time_point last_send_ = clock::now();
    clock::time_point write_started_{};
    clock::time_point last_heard_{};  // a message or control frame from the client
    clock::time_point pinged_at_{};
    std::optional<clock::time_point> backlogged_since_;
    std::size_t backlog_limit_ = 0;   // bytes; 0: unknown, no gate
    std::size_t unacked_bound_ = 0;   // the kernel's unacknowledged bytes are at most this
    std::uint64_t wake_gen_ = 0;
    std::optional<std::pair<websocket::close_code, const char*>> pending_close_;
    bool writing_ = false;
    bool wake_armed_ = false;
    bool ping_due_ = false;
    bool closing_ = false;
    bool draining_ = false;
    bool dead_ = false;
};

}  // namespace

void start_ws_session(net::ip::tcp::socket socket, http::request<http::string_body> req, stream_request what,
                      connection_slot slot, server_state& state) {
    std::make_shared<ws_session>(std::move(socket), std::move(what), std::move(slot), state)->run(std::move(req));
}

}  // namespace tickerd

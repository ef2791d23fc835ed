#include "daemon/ws_session.hpp"

#include <sys/socket.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "daemon/http_api.hpp"
#include "daemon/message_rate.hpp"
#include "daemon/outbox.hpp"
#include "daemon/stream_layout.hpp"
#include "daemon/stream_subscription.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

namespace {

using clock = std::chrono::steady_clock;

shared_text text_of(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

// How often a session checks that its write in flight is not stuck.
clock::duration watchdog_period(std::chrono::milliseconds slow_client_timeout) {
    return std::max<clock::duration>(slow_client_timeout / 4, std::chrono::milliseconds(50));
}

class ws_session : public stream_client, public std::enable_shared_from_this<ws_session> {
public:
    ws_session(net::ip::tcp::socket&& socket, stream_request what, connection_slot slot, server_state& state)
        : ws_(std::move(socket)),
          state_(state),
          slot_(std::move(slot)),
          heartbeat_(ws_.get_executor()),
          flush_(ws_.get_executor()),
          watchdog_(ws_.get_executor()),
          subscription_(state.store.layout()->active, what.symbols),
          outbox_({state.cfg.limits.max_queued_bytes, state.cfg.server.max_queued_messages}),
          rate_(state.cfg.limits.messages_per_second, clock::now()),
          since_(what.since) {
        outbox_.set_max_hz(what.max_hz);
    }

    ~ws_session() override { state_.clients.leave(this); }

    void run(http::request<http::string_body> req) {
        // Beast sends a ping after half the idle timeout and closes a peer that stays silent for all of it.
        websocket::stream_base::timeout opt{};
        opt.handshake_timeout = state_.cfg.limits.handshake_timeout;
        opt.idle_timeout = state_.cfg.server.ping_interval * 2;
        opt.keep_alive_pings = true;
        ws_.set_option(opt);
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
        send_snapshot(subscription_.indexes(), since_);
        do_read();
        arm_heartbeat();
        arm_watchdog();
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

    void too_slow() {
        state_.stats.slow_client_disconnect(stream_transport::websocket);
        spdlog::info("stream client too slow ({} bytes queued): closing", outbox_.queued_bytes());
        close(websocket::close_code::try_again_later, "client too slow");
    }

    // Starts the next write if none is in flight and something is due.
    void pump() {
        if (writing_ || closing_) return;
        const auto now = clock::now();
        auto next = outbox_.next(now);
        if (!next) {
            if (const auto due = outbox_.due(); due && !flush_armed_) {
                flush_armed_ = true;
                flush_.expires_at(*due);
                flush_.async_wait([self = shared_from_this()](beast::error_code ec) {
                    self->flush_armed_ = false;
                    if (!ec) self->pump();
                });
            }
            return;
        }
        write(std::move(*next), now);
    }

    void write(outgoing msg, clock::time_point now) {
        current_ = std::move(msg);
        buffers_.clear();
        for (const auto& p : current_.pieces) buffers_.emplace_back(p->data(), p->size());
        writing_ = true;
        write_started_ = now;
        ws_.async_write(buffers_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
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

    // A write that has not finished within slow_client_timeout: the client reads
    // nothing (or far too little). It could not read a close frame either, so the
    // connection is reset at once, which also frees the kernel's send buffer.
    void arm_watchdog() {
        watchdog_.expires_after(watchdog_period(state_.cfg.limits.slow_client_timeout));
        watchdog_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec || self->dead_) return;
            if (self->writing_ && clock::now() - self->write_started_ >= self->state_.cfg.limits.slow_client_timeout) {
                spdlog::info("stream client read nothing for {} ms: resetting the connection",
                             self->state_.cfg.limits.slow_client_timeout.count());
                return self->abort();
            }
            self->arm_watchdog();
        });
    }

    // A write in flight finishes first (the watchdog still guards it). Queued
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
        watchdog_.cancel();
        outbox_.clear();
        slot_.release();
        state_.clients.leave(this);
    }

    websocket::stream<beast::tcp_stream> ws_;
    server_state& state_;
    connection_slot slot_;
    net::steady_timer heartbeat_;
    net::steady_timer flush_;     // max_hz: the next update's slot
    net::steady_timer watchdog_;  // slow_client_timeout
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
    std::optional<std::pair<websocket::close_code, const char*>> pending_close_;
    bool writing_ = false;
    bool flush_armed_ = false;
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

#include "serve/sse_session.hpp"

#include <array>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "serve/outbox.hpp"
#include "serve/stream_layout.hpp"
#include "serve/stream_subscription.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

using clock = std::chrono::steady_clock;

shared_text text_of(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

class sse_session : public stream_client, public std::enable_shared_from_this<sse_session> {
public:
    sse_session(net::ip::tcp::socket&& socket, stream_request what, connection_slot slot, server_state& state)
        : stream_(std::move(socket)),
          state_(state),
          slot_(std::move(slot)),
          heartbeat_(stream_.get_executor()),
          flush_(stream_.get_executor()),
          subscription_(state.store.layout()->active, what.symbols),
          outbox_({state.cfg.limits.max_queued_bytes, state.cfg.server.max_queued_messages}),
          since_(what.since) {
        outbox_.set_max_hz(what.max_hz);
    }

    ~sse_session() override { state_.clients.leave(this); }

    void run(unsigned version, const std::string& cors_origin) {
        state_.clients.join(shared_from_this());
        // Headers first; `retry` tells EventSource how soon to reconnect.
        std::string cors;
        if (!cors_origin.empty()) {
            cors = fmt::format("Access-Control-Allow-Origin: {}\r\n{}Access-Control-Expose-Headers: ETag\r\n",
                               cors_origin, cors_origin == "*" ? "" : "Vary: Origin\r\n");
        }
        std::string head = fmt::format(
            "HTTP/1.{} 200 OK\r\nServer: tickerd/{}\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            "Cache-Control: no-cache\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n{}\r\nretry: 2000\n\n",
            version == 10 ? 0 : 1, TICKERD_VERSION, cors);
        outbox_.push_message("", 0, text_of(std::move(head)));
        pump();  // in flight at once: it does not count against max_queued_messages
        sync_layout(false);  // a reload since this session was made: the snapshot shows the new symbols
        const auto view = state_.store.snapshot(subscription_.indexes(), since_);
        subscription_.snapshot_sent(subscription_.indexes(), view.seq);
        send("snapshot", view.seq, text_of(encode_stream_snapshot(view.seq, since_, view.quotes)));
        watch_for_close();
        arm_heartbeat();
    }

    void deliver(const quote_change& change) override {
        net::post(stream_.get_executor(), [self = shared_from_this(), change] {
            if (self->closing_) return;
            if (change.layout > self->layout_version_ || !self->subscription_.knows(change.index)) {
                self->sync_layout(true);
            }
            if (!self->subscription_.accept(change)) return;
            const bool ok = self->outbox_.push_change(change);
            if (const auto n = self->outbox_.take_coalesced()) self->state_.stats.updates_coalesced(n);
            if (!ok) return self->too_slow();
            self->pump();
        });
    }

    void go_away() override {
        net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
    }

    stream_transport transport() const override { return stream_transport::sse; }
    void layout_changed() override {
        net::post(stream_.get_executor(), [self = shared_from_this()] {
            if (!self->closing_) self->sync_layout(true);
        });
    }

private:
    // Remaps the subscription to the store's current symbols (after a reload);
    // with `announce`, sends "removed" and the held quotes of newly followed symbols.
    void sync_layout(bool announce) {
        for (auto& m : sync_stream_layout(state_.store, subscription_, layout_version_, announce)) {
            send(m.event, m.seq, std::move(m.text));
        }
    }

    void send(std::string_view event, std::uint64_t seq, shared_text body) {
        if (closing_) return;
        if (!outbox_.push_message(event, seq, std::move(body))) return too_slow();
        pump();
    }

    void too_slow() {
        state_.stats.slow_client_disconnect(stream_transport::sse);
        spdlog::info("event stream client too slow ({} bytes queued): closing", outbox_.queued_bytes());
        close(true);
    }

    void pump() {
        static const std::string end = "\n\n";
        if (writing_ || closing_) return;
        auto next = outbox_.next(clock::now());
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
        current_ = std::move(*next);
        buffers_.clear();
        if (!current_.event.empty()) {
            // "event: update\nid: N\ndata: " + message + "\n\n"; the JSON holds no newline.
            prefix_ = fmt::format("event: {}\nid: {}\ndata: ", current_.event, current_.id);
            buffers_.emplace_back(prefix_.data(), prefix_.size());
        }
        for (const auto& p : current_.pieces) buffers_.emplace_back(p->data(), p->size());
        if (!current_.event.empty()) buffers_.emplace_back(end.data(), end.size());
        buffers_bytes_ = 0;
        for (const auto& b : buffers_) buffers_bytes_ += b.size();
        writing_ = true;
        // A write unfinished within slow_client_timeout: the client reads nothing; drop it.
        stream_.expires_after(state_.cfg.limits.slow_client_timeout);
        net::async_write(stream_, buffers_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->writing_ = false;
            if (ec) {
                if (ec == beast::error::timeout) spdlog::info("event stream client read nothing: dropping it");
                return self->close(true);
            }
            self->state_.stats.sent(stream_transport::sse, self->buffers_bytes_, self->current_.event.empty() ? 0 : 1);
            self->last_send_ = clock::now();
            self->current_ = {};
            self->pump();
        });
    }

    // EventSource never sends after its request: any read completion means the client went away.
    void watch_for_close() {
        stream_.socket().async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return self->close();
            self->watch_for_close();
        });
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

    // `reset`: for a client that reads too little, drop unsent bytes at once
    // rather than let the kernel hold them for a reader that may never come.
    void close(bool reset = false) {
        if (closing_) return;
        closing_ = true;
        heartbeat_.cancel();
        flush_.cancel();
        state_.stats.updates_dropped(outbox_.pending_changes());
        outbox_.clear();
        slot_.release();
        state_.clients.leave(this);
        beast::error_code ignored;
        if (reset) stream_.socket().set_option(net::socket_base::linger(true, 0), ignored);
        stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    server_state& state_;
    connection_slot slot_;
    net::steady_timer heartbeat_;
    net::steady_timer flush_;
    stream_subscription subscription_;
    std::uint64_t layout_version_ = 0;  // of the symbol_layout subscription_ is mapped to
    outbox outbox_;
    outgoing current_;
    std::string prefix_;
    std::vector<net::const_buffer> buffers_;
    std::size_t buffers_bytes_ = 0;  // of the write in flight
    std::uint64_t since_ = 0;
    std::array<char, 256> scratch_{};
    clock::time_point last_send_ = clock::now();
    bool writing_ = false;
    bool flush_armed_ = false;
    bool closing_ = false;
};

}  // namespace

void start_sse_session(net::ip::tcp::socket socket, unsigned http_version, stream_request what, std::string cors_origin,
                       connection_slot slot, server_state& state) {
    std::make_shared<sse_session>(std::move(socket), std::move(what), std::move(slot), state)
        ->run(http_version, cors_origin);
}

}  // namespace tickerd

#include "daemon/sse_session.hpp"

#include <array>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/outbox.hpp"
#include "daemon/stream_subscription.hpp"
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
          subscription_(state.store.symbols().size(), what.symbols),
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
        const auto view = state_.store.snapshot(subscription_.indexes(), since_);
        subscription_.snapshot_sent(subscription_.indexes(), view.seq);
        send("snapshot", view.seq, text_of(encode_stream_snapshot(view.seq, since_, view.quotes)));
        watch_for_close();
        arm_heartbeat();
    }

    void deliver(const quote_change& change) override {
        net::post(stream_.get_executor(), [self = shared_from_this(), change] {
            if (self->closing_ || !self->subscription_.accept(change)) return;
            if (!self->outbox_.push_change(change)) return self->too_slow();
            self->pump();
        });
    }

    void go_away() override {
        net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
    }

private:
    void send(std::string_view event, std::uint64_t seq, shared_text body) {
        if (closing_) return;
        if (!outbox_.push_message(event, seq, std::move(body))) return too_slow();
        pump();
    }

    void too_slow() {
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
        writing_ = true;
        // A write unfinished within slow_client_timeout: the client reads nothing; drop it.
        stream_.expires_after(state_.cfg.limits.slow_client_timeout);
        net::async_write(stream_, buffers_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->writing_ = false;
            if (ec) {
                if (ec == beast::error::timeout) spdlog::info("event stream client read nothing: dropping it");
                return self->close(true);
            }
            // One event of current_.size() bytes went out (the place for per-client send counters).
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
    outbox outbox_;
    outgoing current_;
    std::string prefix_;
    std::vector<net::const_buffer> buffers_;
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

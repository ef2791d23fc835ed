#include "daemon/sse_session.hpp"

#include <array>
#include <deque>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <fmt/format.h>

#include "daemon/stream_subscription.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

constexpr auto write_timeout = std::chrono::seconds(30);

class sse_session : public stream_client, public std::enable_shared_from_this<sse_session> {
public:
    sse_session(net::ip::tcp::socket&& socket, stream_request what, server_state& state)
        : stream_(std::move(socket)),
          state_(state),
          heartbeat_(stream_.get_executor()),
          subscription_(state.store.layout()->active, what.symbols),
          since_(what.since) {}

    ~sse_session() override { state_.clients.leave(this); }

    void run(unsigned version) {
        state_.clients.join(shared_from_this());
        // Headers first; `retry` tells EventSource how soon to reconnect.
        std::string head = fmt::format(
            "HTTP/1.{} 200 OK\r\nServer: tickerd/{}\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            "Cache-Control: no-cache\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n"
            "Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: ETag\r\n\r\nretry: 2000\n\n",
            version == 10 ? 0 : 1, TICKERD_VERSION);
        enqueue(std::move(head), nullptr);
        sync_layout(false);  // a reload since this session was made: the snapshot shows the new symbols
        const auto view = state_.store.snapshot(subscription_.indexes(), since_);
        subscription_.snapshot_sent(subscription_.indexes(), view.seq);
        send_event("snapshot", view.seq,
                   std::make_shared<const std::string>(encode_stream_snapshot(view.seq, since_, view.quotes)));
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
            self->send_event("update", change.seq, change.update_message);
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
        const auto lay = state_.store.layout();
        if (lay->version == layout_version_) return;
        layout_version_ = lay->version;
        const layout_delta delta = subscription_.relayout(lay->active);
        if (!announce) return;
        if (!delta.removed.empty()) {
            std::vector<std::string> ids;
            for (const std::size_t i : delta.removed) ids.push_back(lay->slots[i]->id);
            subscription_.sent(lay->seq);
            send_event("removed", lay->seq, std::make_shared<const std::string>(encode_removed(lay->seq, ids)));
        }
        if (!delta.added.empty()) {
            const auto view = state_.store.snapshot(delta.added);
            subscription_.snapshot_sent(delta.added, view.seq);
            if (!view.quotes.empty()) {
                send_event("update", view.seq,
                           std::make_shared<const std::string>(encode_update(view.seq, view.quotes)));
            }
        }
    }

    struct frame {
        std::string prefix;  // "event: update\nid: N\ndata: " or raw bytes
        shared_text body;    // the shared message; may be null
    };

    void send_event(std::string_view type, std::uint64_t seq, shared_text body) {
        enqueue(fmt::format("event: {}\nid: {}\ndata: ", type, seq), std::move(body));
    }

    void enqueue(std::string prefix, shared_text body) {
        if (closing_) return;
        if (queue_.size() >= state_.cfg.server.max_queued_messages) {
            state_.stats.slow_client_disconnect(stream_transport::sse);
            return close();
        }
        queue_.push_back({std::move(prefix), std::move(body)});
        if (queue_.size() == 1) do_write();
    }

    void do_write() {
        static const std::string end = "\n\n";
        const frame& f = queue_.front();
        std::array<net::const_buffer, 3> bufs{net::buffer(f.prefix), net::const_buffer{}, net::const_buffer{}};
        if (f.body) {
            bufs[1] = net::buffer(*f.body);
            bufs[2] = net::buffer(end);
        }
        stream_.expires_after(write_timeout);
        net::async_write(stream_, bufs, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
            if (ec) return self->close();
            self->state_.stats.sent(stream_transport::sse, n, self->queue_.front().body ? 1 : 0);
            self->last_send_ = std::chrono::steady_clock::now();
            self->queue_.pop_front();
            if (!self->queue_.empty()) self->do_write();
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
        const auto wait = heartbeat_wait(last_send_, interval, std::chrono::steady_clock::now());
        heartbeat_.expires_after(wait.count() > 0 ? wait : std::chrono::steady_clock::duration(interval));
        heartbeat_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec || self->closing_) return;
            const auto now = std::chrono::steady_clock::now();
            if (heartbeat_wait(self->last_send_, self->state_.cfg.server.heartbeat_interval, now).count() == 0 &&
                self->queue_.empty()) {
                const auto seq = self->subscription_.last_seq();
                self->send_event("heartbeat", seq, std::make_shared<const std::string>(encode_heartbeat(seq)));
                self->last_send_ = now;  // the next one is due an interval after this one
            }
            self->arm_heartbeat();
        });
    }

    void close() {
        if (closing_) return;
        closing_ = true;
        heartbeat_.cancel();
        state_.stats.updates_dropped(queue_.size());
        state_.clients.leave(this);
        beast::error_code ignored;
        stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    server_state& state_;
    net::steady_timer heartbeat_;
    stream_subscription subscription_;
    std::uint64_t layout_version_ = 0;  // of the symbol_layout subscription_ is mapped to
    std::uint64_t since_ = 0;
    std::deque<frame> queue_;
    std::array<char, 256> scratch_{};
    std::chrono::steady_clock::time_point last_send_ = std::chrono::steady_clock::now();
    bool closing_ = false;
};

}  // namespace

void start_sse_session(net::ip::tcp::socket socket, unsigned http_version, stream_request what, server_state& state) {
    std::make_shared<sse_session>(std::move(socket), std::move(what), state)->run(http_version);
}

}  // namespace tickerd

#include "daemon/ws_session.hpp"

#include <deque>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include "daemon/http_api.hpp"
#include "daemon/stream_subscription.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

namespace {

constexpr std::size_t max_client_message = 4096;

class ws_session : public stream_client, public std::enable_shared_from_this<ws_session> {
public:
    ws_session(net::ip::tcp::socket&& socket, stream_request what, server_state& state)
        : ws_(std::move(socket)),
          state_(state),
          heartbeat_(ws_.get_executor()),
          subscription_(state.store.layout()->active, what.symbols),
          since_(what.since) {}

    ~ws_session() override { state_.clients.leave(this); }

    void run(http::request<http::string_body> req) {
        // Beast sends a ping after half the idle timeout and closes a peer that stays silent for all of it.
        websocket::stream_base::timeout opt{};
        opt.handshake_timeout = std::chrono::seconds(10);
        opt.idle_timeout = state_.cfg.server.ping_interval * 2;
        opt.keep_alive_pings = true;
        ws_.set_option(opt);
        ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
            res.set(http::field::server, "tickerd/" TICKERD_VERSION);
        }));
        ws_.read_message_max(max_client_message);
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
    }

    void send_snapshot(const std::vector<std::size_t>& indexes, std::uint64_t since) {
        if (indexes.empty()) {
            // A subscribe that adds nothing is still answered, with no quotes.
            return send(std::make_shared<const std::string>(encode_stream_snapshot(state_.store.seq(), since, {})));
        }
        const auto view = state_.store.snapshot(indexes, since);
        subscription_.snapshot_sent(indexes, view.seq);
        send(std::make_shared<const std::string>(encode_stream_snapshot(view.seq, since, view.quotes)));
    }

    // Remaps the subscription to the store's current symbols (after a reload).
    // `announce`: tell the client: "removed" for subscribed symbols that are
    // gone, and the quotes the store already holds for symbols it now follows.
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
            send(std::make_shared<const std::string>(encode_removed(lay->seq, ids)));
        }
        if (!delta.added.empty()) {
            const auto view = state_.store.snapshot(delta.added);
            subscription_.snapshot_sent(delta.added, view.seq);
            if (!view.quotes.empty()) send(std::make_shared<const std::string>(encode_update(view.seq, view.quotes)));
        }
    }

    void on_change(const quote_change& change) {
        if (closing_) return;
        if (change.layout > layout_version_ || !subscription_.knows(change.index)) sync_layout(true);
        if (!subscription_.accept(change)) return;
        send(change.update_message);
    }

    void send(shared_text msg) {
        if (closing_) return;
        if (queue_.size() >= state_.cfg.server.max_queued_messages) {
            spdlog::info("stream client too slow ({} messages queued): closing", queue_.size());
            state_.stats.slow_client_disconnect(stream_transport::websocket);
            return close(websocket::close_code::try_again_later, "client too slow");
        }
        queue_.push_back(std::move(msg));
        if (queue_.size() == 1) do_write();
    }

    void do_write() {
        ws_.async_write(net::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->on_write(ec);
        });
    }

    void on_write(beast::error_code ec) {
        if (ec) return fail();
        last_send_ = std::chrono::steady_clock::now();
        state_.stats.sent(stream_transport::websocket, queue_.front()->size());
        queue_.pop_front();
        if (!queue_.empty()) return do_write();
        if (pending_close_) {
            const auto [code, reason] = *pending_close_;
            pending_close_.reset();
            start_close(code, reason);
        }
    }

    void do_read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == websocket::error::message_too_big) return close(websocket::close_code::too_big, "message too big");
        if (ec) return fail();
        if (!ws_.got_text()) {
            buffer_.consume(buffer_.size());
            return close(websocket::close_code::unknown_data, "binary frames are not accepted");
        }
        const std::string text = beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        handle_message(text);
        if (!closing_) do_read();
    }

    void handle_message(const std::string& text) {
        auto msg = parse_client_message(text);
        if (!msg) return send(std::make_shared<const std::string>(encode_stream_error("bad_request", msg.error())));
        sync_layout(true);  // slots from select_symbols are in the store's current layout
        auto sel = select_symbols(state_.store, msg->symbols);
        if (!sel.unknown.empty()) {
            return send(std::make_shared<const std::string>(
                encode_stream_error("unknown_symbol", "unknown symbol " + sel.unknown)));
        }
        if (msg->op == client_message::kind::unsubscribe) return subscription_.remove(sel.indexes);
        // Answered with a snapshot of the newly added symbols (possibly none).
        send_snapshot(subscription_.add(sel.indexes), 0);
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
                self->send(std::make_shared<const std::string>(encode_heartbeat(self->subscription_.last_seq())));
                self->last_send_ = now;  // the next one is due an interval after this one
            }
            self->arm_heartbeat();
        });
    }

    void close(websocket::close_code code, const char* reason) {
        if (closing_) return;
        closing_ = true;
        heartbeat_.cancel();
        // Let a write in flight finish first; queued updates are dropped.
        if (!queue_.empty()) {
            state_.stats.updates_dropped(queue_.size() - 1);
            while (queue_.size() > 1) queue_.pop_back();
            pending_close_ = std::make_pair(code, reason);
            return;
        }
        start_close(code, reason);
    }

    void start_close(websocket::close_code code, const char* reason) {
        ws_.async_close(websocket::close_reason(code, reason), [self = shared_from_this()](beast::error_code) {});
    }

    void fail() {
        closing_ = true;
        heartbeat_.cancel();
        state_.clients.leave(this);
    }

    websocket::stream<beast::tcp_stream> ws_;
    server_state& state_;
    net::steady_timer heartbeat_;
    beast::flat_buffer buffer_;
    std::deque<shared_text> queue_;
    stream_subscription subscription_;
    std::uint64_t layout_version_ = 0;  // of the symbol_layout subscription_ is mapped to
    std::uint64_t since_ = 0;
    std::chrono::steady_clock::time_point last_send_ = std::chrono::steady_clock::now();
    std::optional<std::pair<websocket::close_code, const char*>> pending_close_;
    bool closing_ = false;
};

}  // namespace

void start_ws_session(net::ip::tcp::socket socket, http::request<http::string_body> req, stream_request what,
                      server_state& state) {
    std::make_shared<ws_session>(std::move(socket), std::move(what), state)->run(std::move(req));
}

}  // namespace tickerd

#include "serve/stream_session.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>

#include "serve/http_api.hpp"
#include "serve/stream_layout.hpp"
#include "tickerd/protocol.hpp"

namespace tickerd {

namespace net = boost::asio;

namespace {

using clock = std::chrono::steady_clock;

shared_text text_of(std::string s) { return std::make_shared<const std::string>(std::move(s)); }

// While backlogged: how often the kernel's queue is looked at again.
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

}  // namespace

stream_session::stream_session(const net::any_io_executor& strand, stream_transport transport, const stream_request& what,
                               connection_slot slot, server_state& state)
    : state_(state),
      transport_(transport),
      slot_(std::move(slot)),
      strand_(strand),
      heartbeat_(strand),
      wake_(strand),
      subscription_(state.store.layout()->active, what.symbols),
      outbox_({state.cfg.limits.max_queued_bytes, state.cfg.server.max_queued_messages}),
      since_(what.since) {
    outbox_.set_max_hz(what.max_hz);
}

stream_session::~stream_session() { state_.clients.leave(this); }

void stream_session::deliver(const quote_change& change) {
    net::post(strand_, [self = shared_from_this(), change] { self->on_change(change); });
}

void stream_session::go_away() {
    net::post(strand_, [self = shared_from_this()] { self->shut_down(); });
}

void stream_session::layout_changed() {
    net::post(strand_, [self = shared_from_this()] {
        if (!self->closing_) self->sync_layout(true);
    });
}

void stream_session::open_stream() {
    state_.clients.join(shared_from_this());
    // Joined first, then the snapshot: a change that races with it arrives
    // afterwards and is dropped by seq if the snapshot already holds it.
    sync_layout(false);  // a reload since this session was made: the snapshot shows the new symbols
    send_snapshot(subscription_.indexes(), since_);
    arm_heartbeat();
}

void stream_session::send_raw(shared_text bytes) {
    outbox_.push_message("", 0, std::move(bytes));
    pump();  // in flight at once: it does not count against max_queued_messages
}

void stream_session::send_snapshot(const std::vector<std::size_t>& indexes, std::uint64_t since) {
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
void stream_session::sync_layout(bool announce) {
    for (auto& m : sync_stream_layout(state_.store, subscription_, layout_version_, announce)) {
        send(m.event, m.seq, std::move(m.text));
    }
}

void stream_session::on_change(const quote_change& change) {
    if (closing_) return;
    if (change.layout > layout_version_ || !subscription_.knows(change.index)) sync_layout(true);
    if (!subscription_.accept(change)) return;
    const bool ok = outbox_.push_change(change);
    if (const auto n = outbox_.take_coalesced()) state_.stats.updates_coalesced(n);
    if (!ok) return too_slow();
    pump();
}

void stream_session::send(std::string_view event, std::uint64_t seq, shared_text text) {
    if (closing_) return;
    if (!outbox_.push_message(event, seq, std::move(text))) return too_slow();
    pump();
}

void stream_session::handle_client_message(const std::string& text) {
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

void stream_session::too_slow(const std::string& why) {
    state_.stats.slow_client_disconnect(transport_);
    close_too_slow(why);
}

void stream_session::too_slow() { too_slow(std::to_string(outbox_.queued_bytes()) + " bytes queued"); }

void stream_session::pump() {
    if (writing_ || closing_) return;
    const auto now = clock::now();
    if (write_control(now)) return;
    if (outbox_.empty() || backlogged(now)) return;
    if (write_queued(now)) return;
    if (const auto due = outbox_.due()) wake_at(*due);
}

bool stream_session::write_queued(clock::time_point now) {
    auto next = outbox_.next(now);
    if (!next) return false;
    begin_write(std::move(*next), now);
    return true;
}

void stream_session::begin_write(outgoing msg, clock::time_point now) {
    current_ = std::move(msg);
    writing_ = true;
    write_started_ = now;
    unacked_bound_ += current_.size() + frame_bytes_;
    write_message(current_);
}

void stream_session::written(const boost::system::error_code& ec, std::size_t bytes) {
    writing_ = false;
    if (ec) return write_failed(ec);
    state_.stats.sent(transport_, bytes, current_.event.empty() ? 0 : 1);
    last_send_ = clock::now();
    current_ = {};
    after_write();
}

// A control write goes through the same single write path (and the same stuck-write check).
void stream_session::control_started(clock::time_point now) {
    writing_ = true;
    write_started_ = now;
    unacked_bound_ += frame_bytes_;
}

void stream_session::control_written(const boost::system::error_code& ec) {
    writing_ = false;
    if (ec) return write_failed(ec);
    after_write();
}

void stream_session::gate_backlog(int fd, std::size_t frame_bytes) {
    gate_fd_ = fd;
    frame_bytes_ = frame_bytes;
    backlog_limit_ = backlog_limit(fd);
}

// A client that reads too little is never written more than backlog_limit_
// bytes ahead: beyond that, nothing more goes to the kernel (the outbox
// conflates meanwhile) until the client has taken it. A client still
// backlogged after slow_client_timeout is closed as too slow; the transport's
// close message (a WebSocket close frame) still fits the send buffer, behind the
// data already there, so the client reads it whenever it reads again.
bool stream_session::backlogged(clock::time_point now) {
    if (gate_fd_ < 0 || backlog_limit_ == 0 || unacked_bound_ < backlog_limit_) return false;
    unacked_bound_ = kernel_unacked(gate_fd_);  // only now: the bound was reached
    backlog_limit_ = backlog_limit(gate_fd_);   // the kernel's autotuning may have grown the buffer
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
void stream_session::wake_at(clock::time_point at) {
    if (wake_armed_ && wake_.expiry() <= at) return;
    wake_armed_ = true;
    wake_.expires_at(at);  // a wait already armed ends with operation_aborted and is ignored
    wake_.async_wait([self = shared_from_this(), gen = ++wake_gen_](const boost::system::error_code& ec) {
        if (gen != self->wake_gen_) return;
        self->wake_armed_ = false;
        if (!ec) self->pump();
    });
}

void stream_session::arm_heartbeat() {
    const auto interval = state_.cfg.server.heartbeat_interval;
    const auto wait = heartbeat_wait(last_send_, interval, clock::now());
    heartbeat_.expires_after(wait.count() > 0 ? wait : clock::duration(interval));
    heartbeat_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
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

bool stream_session::start_closing(bool keep_queue) {
    if (closing_) return false;
    closing_ = true;
    heartbeat_.cancel();
    wake_.cancel();
    if (!keep_queue) {
        state_.stats.updates_dropped(outbox_.pending_changes());
        outbox_.clear();
    }
    return true;
}

void stream_session::closed() {
    closing_ = true;
    heartbeat_.cancel();
    wake_.cancel();
    outbox_.clear();
    slot_.release();
    state_.clients.leave(this);
}

}  // namespace tickerd
